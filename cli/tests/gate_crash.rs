//! The gate is money: a `gate serve` following a directory log is killed
//! with SIGKILL at random moments while the stream is being written, and
//! restarted, at least 50 times; the final ledger equals that of a gate
//! that was never interrupted (no credit lost, none doubled). Two writers
//! racing for one directory: one gets it, the other is refused naming
//! the holder, and nothing either did is lost.

mod service;

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bulkhead_node::ledger::{Depth, Ledger, LedgerReader};
use bulkhead_node::stream::{DirLog, StreamEntry};
use bulkhead_testkit::chain::{bundles, item, tick, verifier_keys, vote, EPOCH, SEED};
use bulkhead_testkit::gate::{governance_on, GUARDIAN_THRESHOLD, STREAM_ID, VALIDATOR_THRESHOLD};
use bulkhead_testkit::http;
use bulkhead_verifier::gate::{BoundaryChange, GuardianScope, Signers, StreamItem};
use service::relay::Moments;
use service::*;

/// Kills that must land on a running process.
const KILLS: usize = 50;

/// The stream: bundles, a replay, a malformed entry, ticks, local
/// breaker trips and releases (which hold and release credits), and
/// governance of segment 1 whose loosens mature while the ticks go on (a
/// raise and deposits through their timelocks, one cancelled, a
/// withdrawal).
fn stream() -> Vec<StreamEntry> {
    let b = bundles();
    let mut items = vec![
        StreamEntry::Item(tick(EPOCH)),
        StreamEntry::Item(item(&b[0])),
        StreamEntry::Item(item(&b[1])),
        StreamEntry::Item(item(&b[0])), // a replay: refused
        StreamEntry::Item(tick(EPOCH + 1)),
        StreamEntry::Item(vote(GuardianScope::Local, 2, true, 0, 0)),
        StreamEntry::Item(vote(GuardianScope::Local, 2, true, 0, 1)),
        StreamEntry::Item(item(&b[2])), // held: the breaker is tripped
        StreamEntry::Malformed("garbage".into()),
        StreamEntry::Item(vote(GuardianScope::Local, 2, false, 1, 1)),
        StreamEntry::Item(vote(GuardianScope::Local, 2, false, 1, 2)),
    ];
    let mut round = 2;
    for epoch in EPOCH + 2..EPOCH + 70 {
        items.push(StreamEntry::Item(tick(epoch)));
        let governed = match epoch - EPOCH {
            3 => vec![
                (
                    0,
                    BoundaryChange::RaiseCap {
                        asset: 1,
                        cap: 9_000,
                    },
                    true,
                ),
                (
                    1,
                    BoundaryChange::Deposit {
                        asset: 1,
                        amount: 700,
                    },
                    true,
                ),
            ],
            4 => vec![(2, BoundaryChange::Cancel { change: 1 }, true)],
            9 => vec![(
                3,
                BoundaryChange::Withdraw {
                    asset: 1,
                    amount: 300,
                },
                false,
            )],
            20 => vec![(
                4,
                BoundaryChange::Deposit {
                    asset: 1,
                    amount: 50,
                },
                true,
            )],
            _ => Vec::new(),
        };
        for (seq, change, guardians) in governed {
            let (by, signers) = if guardians {
                (Signers::Guardians, GUARDIAN_THRESHOLD)
            } else {
                (Signers::Validators, VALIDATOR_THRESHOLD)
            };
            items.push(StreamEntry::Item(governance_on(
                STREAM_ID, SEED, 1, seq, change, by, signers,
            )));
        }
        if epoch % 5 == 0 {
            let trip = round % 2 == 0;
            for guardian in [0, 2] {
                items.push(StreamEntry::Item(vote(
                    GuardianScope::Local,
                    2,
                    trip,
                    round,
                    guardian,
                )));
            }
            round += 1;
        }
    }
    items
}

fn append(log: &DirLog, position: u64, entry: &StreamEntry) {
    match entry {
        StreamEntry::Item(item) => {
            assert_eq!(log.append(item, position).unwrap(), position);
        }
        StreamEntry::Malformed(text) => {
            std::fs::create_dir_all(log.dir()).unwrap();
            std::fs::write(log.path(position), text).unwrap();
        }
    }
}

/// The ledger of a gate that followed `entries` without interruption.
fn uninterrupted(dir: &Path, entries: &[StreamEntry]) -> serde_json::Value {
    create_gate(dir);
    let mut ledger = Ledger::open(dir, |_| Ok(Some(vec![verifier_keys()]))).unwrap();
    for (i, entry) in entries.iter().enumerate() {
        let position = i as u64 + 1;
        match entry {
            StreamEntry::Item(item) => {
                ledger.apply(item, Some(position)).unwrap();
            }
            StreamEntry::Malformed(_) => ledger.skip(position).unwrap(),
        }
    }
    drop(ledger);
    LedgerReader::open(dir).unwrap().export().unwrap()
}

fn position(dir: &Path) -> u64 {
    LedgerReader::open(dir)
        .and_then(|r| r.state(Depth::Summary))
        .map_or(0, |(_, p)| p)
}

#[test]
fn sigkill_at_random_moments_loses_and_doubles_nothing() {
    let entries = stream();
    let total = entries.len() as u64;
    let tmp = tempfile::tempdir().unwrap();
    let expected = uninterrupted(&tmp.path().join("reference"), &entries);
    // Not vacuous: every governance item was taken, the raise and the
    // last deposit matured, the cancelled deposit never came.
    let (reference, _) = LedgerReader::open(&tmp.path().join("reference"))
        .unwrap()
        .state(Depth::Summary)
        .unwrap();
    let source = &reference.sources[&1];
    assert_eq!(source.governance.seq, 5);
    assert!(source.governance.pending.is_empty());
    assert_eq!(source.mirror.silo(1).unwrap().cap, 9_000);
    let flow = reference.flow(1, 1);
    assert_eq!((flow.deposited, flow.withdrawn), (50, 300));

    let gate_dir = tmp.path().join("gate");
    create_gate(&gate_dir);
    let log = DirLog::new(tmp.path().join("stream"));
    let fed = AtomicBool::new(false);
    let mut moments = Moments(0x9e37_79b9_7f4a_7c15);
    let mut kills = 0;
    let mut mid_stream = 0;
    std::thread::scope(|s| {
        s.spawn(|| {
            for (i, entry) in entries.iter().enumerate() {
                append(&log, i as u64 + 1, entry);
                // Slow enough that the stream is still being written for most
                // of the kills.
                std::thread::sleep(Duration::from_millis(250));
            }
            fed.store(true, Ordering::SeqCst);
        });
        while kills < KILLS || !fed.load(Ordering::SeqCst) {
            let mut child = bulkhead()
                .args(["gate", "--state"])
                .arg(&gate_dir)
                .args(["serve", "--listen", "127.0.0.1:0", "--follow"])
                .arg(log.dir())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // Startup derives keys (about half a second at TINY): some kills
            // land before, most while items are applied.
            std::thread::sleep(Duration::from_millis(200 + moments.next_below(1200)));
            if child.try_wait().unwrap().is_none() {
                kills += 1;
            }
            child.kill().unwrap();
            child.wait().unwrap();
            let at = position(&gate_dir);
            if at > 0 && at < total {
                mid_stream += 1;
            }
        }
    });
    assert!(kills >= KILLS, "{kills} kills");
    assert!(
        mid_stream >= 10,
        "only {mid_stream} kills landed mid-stream"
    );

    let service = serve(&gate_dir, &["--follow", log.dir().to_str().unwrap()]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while position(&gate_dir) < total {
        assert!(
            Instant::now() < deadline,
            "the restarted gate did not finish the stream"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = http::get(service.addr, "/v1/status").json();
    assert_eq!(status["stream_position"], total.to_string());
    assert!(service.terminate().success());
    let actual = LedgerReader::open(&gate_dir).unwrap().export().unwrap();
    assert!(
        expected["credits"].as_array().is_some_and(|c| c.len() == 6),
        "the reference credits every honest exit once"
    );
    assert_eq!(
        actual, expected,
        "after {kills} kills the ledger is the uninterrupted one"
    );
    eprintln!("{kills} SIGKILLs ({mid_stream} mid-stream), {total} stream entries: ledger equal");
}

#[test]
fn two_services_race_for_one_directory_and_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    create_gate(dir.path());
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| start(dir.path(), &[], &[]));
        let b = s.spawn(|| start(dir.path(), &[], &[]));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (winner, refused) = match (a, b) {
        (Started::Listening(w), Started::Exited(code, err))
        | (Started::Exited(code, err), Started::Listening(w)) => (w, (code, err)),
        (Started::Listening(_), Started::Listening(_)) => panic!("two writers listening"),
        (Started::Exited(c1, e1), Started::Exited(c2, e2)) => {
            panic!("neither started: {c1:?} {e1} / {c2:?} {e2}")
        }
    };
    assert_eq!(refused.0, Some(2));
    let pid = winner.child.id();
    assert!(refused.1.contains(&format!("pid {pid}")), "{}", refused.1);
    let tick = serde_json::to_vec(&tick(EPOCH).to_json().unwrap()).unwrap();
    assert_eq!(
        http::post(winner.addr, "/v1/items", "application/json", "", &tick).status,
        200
    );
    winner.kill();
    // What the winner accepted survives its SIGKILL.
    let (state, _) = LedgerReader::open(dir.path())
        .unwrap()
        .state(Depth::Summary)
        .unwrap();
    assert_eq!(state.epoch, EPOCH);
}

/// The race that used to lose credits: `accept` of a tick and two bundles
/// against another one-shot writer. Whoever gets the lock applies all of
/// its items; the other is refused with exit 2 and applies nothing.
#[test]
fn racing_one_shot_writers_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let b = bundles();
    let write = |name: &str, item: &StreamItem| -> String {
        let (format, bytes) = bulkhead_node::stream::encode_item(item);
        let path = tmp.path().join(format!("{name}.{}", format.extension()));
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let bundle_items = [
        write("tick", &tick(EPOCH)),
        write("b0", &item(&b[0])),
        write("b1", &item(&b[1])),
    ];
    let vote_item = write("vote", &vote(GuardianScope::Local, 2, true, 0, 0));
    for round in 0..4 {
        let dir = tmp.path().join(format!("gate{round}"));
        create_gate(&dir);
        let spawn = |items: &[String]| {
            bulkhead()
                .args(["gate", "--state"])
                .arg(&dir)
                .arg("accept")
                .args(items)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let first = spawn(&bundle_items);
        let second = spawn(std::slice::from_ref(&vote_item));
        let first = first.wait_with_output().unwrap();
        let second = second.wait_with_output().unwrap();
        let (state, _) = LedgerReader::open(&dir)
            .unwrap()
            .state(Depth::Summary)
            .unwrap();
        for (out, applied) in [
            (&first, state.credited_exits == 4),
            (&second, state.local_votes.contains(&0)),
        ] {
            match out.status.code() {
                Some(0) => assert!(applied, "an exit-0 writer's items are in the ledger"),
                Some(2) => {
                    let err = String::from_utf8_lossy(&out.stderr);
                    assert!(err.contains("held by another bulkhead process"), "{err}");
                    assert!(!applied, "a refused writer applied nothing");
                }
                other => panic!("exit {other:?}: {}", String::from_utf8_lossy(&out.stderr)),
            }
        }
        assert!(first.status.success() || second.status.success());
    }
}

/// A gate that starts behind its stream verifies the waiting bundles'
/// proofs in batches; a bad proof among them is named and refused alone,
/// and the ledger is the one a gate checking each proof alone reaches.
#[test]
fn a_gate_catching_up_verifies_its_backlog_in_batches() {
    let b = bundles();
    let mut bad = b[1].clone();
    bad.proof[40] ^= 1;
    let entries: Vec<StreamEntry> = [
        tick(EPOCH),
        item(&b[0]),
        item(&bad),
        item(&b[1]),
        tick(EPOCH + 1),
        item(&b[2]),
    ]
    .into_iter()
    .map(StreamEntry::Item)
    .collect();
    let tmp = tempfile::tempdir().unwrap();
    let expected = uninterrupted(&tmp.path().join("reference"), &entries);
    let gate_dir = tmp.path().join("gate");
    create_gate(&gate_dir);
    let log = DirLog::new(tmp.path().join("stream"));
    for (i, entry) in entries.iter().enumerate() {
        append(&log, i as u64 + 1, entry);
    }
    let service = serve(&gate_dir, &["--follow", log.dir().to_str().unwrap()]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while position(&gate_dir) < entries.len() as u64 {
        assert!(Instant::now() < deadline, "the gate did not catch up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let metrics = http::get(service.addr, "/metrics").text();
    let batched: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("bulkhead_gate_batched_proofs_total "))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        batched >= 2,
        "the backlog's proofs were batched:\n{metrics}"
    );
    assert!(
        metrics.contains("bulkhead_gate_refusals_total{rule=\"G1\",reason=\"G1 invalid proof\"} 1"),
        "{metrics}"
    );
    assert!(service.terminate().success());
    let actual = LedgerReader::open(&gate_dir).unwrap().export().unwrap();
    assert_eq!(actual, expected);
    assert_eq!(actual["credits"].as_array().unwrap().len(), 6);
}
