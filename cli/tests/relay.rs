//! `relay serve` for real, on a directory log at the TINY shape: signed
//! exits posted over HTTP come out as bundles in the stream that a gate
//! takes, each exit credited once. The relayer is SIGKILLed at random
//! moments while requests arrive and batches are proven; clients retry
//! what they did not hear back about (a retry of a stored request is
//! answered 200 with its receipt, so retrying is safe). A tick in the middle
//! makes batches stale, which the relayer proves again for the new epoch.
//! At the end: every accepted exit credited exactly once, none twice,
//! sequence numbers contiguous.

mod service;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use bulkhead_node::ledger::{Depth, Ledger, LedgerReader};
use bulkhead_node::stream::{DirLog, StreamEntry, StreamSource};
use bulkhead_protocol::hash::Fp;
use bulkhead_testkit::chain::{tick, verifier_keys, EPOCH};
use bulkhead_testkit::http;
use service::relay::*;
use service::*;

/// A gate of segment 2 that follows the whole log, and its credits by
/// recipient, and segment 1's next sequence number there.
fn follow(root: &Path, stream: &Path) -> (BTreeMap<Fp, Vec<u64>>, u64) {
    let dir = root.join("gate");
    create_gate(&dir);
    let mut ledger = Ledger::open(&dir, |_| Ok(Some(vec![verifier_keys()]))).unwrap();
    let log = DirLog::new(stream);
    let mut position = 1;
    while let Some(entry) = log.entry(position).unwrap() {
        match entry {
            StreamEntry::Item(item) => {
                ledger.apply(&item, Some(position)).unwrap();
            }
            StreamEntry::Malformed(_) => ledger.skip(position).unwrap(),
        }
        position += 1;
    }
    let next_seq = ledger.state().sources[&1].next_seq();
    drop(ledger);
    let reader = LedgerReader::open(&dir).unwrap();
    let mut credits: BTreeMap<Fp, Vec<u64>> = BTreeMap::new();
    for (_, credit) in reader.credits(None, 0, 100_000).unwrap().credits {
        assert_eq!(credit.src, 1);
        credits
            .entry(credit.recipient)
            .or_default()
            .push(credit.amount);
    }
    assert!(reader.state(Depth::Summary).unwrap().0.held.is_empty());
    (credits, next_seq)
}

#[test]
fn exits_survive_sigkills_and_stale_epochs_and_are_credited_once() {
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("stream");
    let world = relay_world(tmp.path(), 1, stream.to_str().unwrap());
    let log = DirLog::new(&stream);
    // The stream opens the silo's epoch.
    log.append(&tick(EPOCH), 1).unwrap();

    let exits = load(1, 36, 10_000);
    let mut nonces = [0u64; 8];
    let mut relayer = relay(&world);
    let mut kills = 0;
    let mut moments = Moments(0x2545_f491_4f6c_dd1d);
    for (i, exit) in exits.iter().enumerate() {
        // Retried until the relayer says yes: 202, or 200 with the stored
        // exit when an earlier try landed before a kill.
        post_until_answered(&relayer, exit, nonces[exit.account as usize]);
        nonces[exit.account as usize] += 1;
        if i == 18 {
            // The epoch ends while batches are in flight.
            log.append(&tick(EPOCH + 1), 1).unwrap();
        }
        if i % 6 == 5 {
            // Killed at a random moment within the next 0.8 s of work.
            std::thread::sleep(Duration::from_millis(moments.next_below(800)));
            relayer.kill();
            kills += 1;
            relayer = relay(&world);
        }
    }
    wait_until("every exit confirmed", Duration::from_secs(240), || {
        all_confirmed(relayer.addr)
    });
    let status = http::get(relayer.addr, "/v1/status").json();
    assert_eq!(status["confirmed_seq"], exits.len().to_string());
    assert!(status["halted"].is_null());
    let exit_one = http::get(relayer.addr, "/v1/exits/1").json();
    assert_eq!(exit_one["status"], "confirmed");
    assert!(exit_one["bundle"].as_str().unwrap().ends_with(".bundle"));
    let metrics = http::get(relayer.addr, "/metrics").text();
    assert!(
        metrics.contains("bulkhead_relay_queue_depth 0"),
        "{metrics}"
    );
    assert_eq!(
        relayer.terminate().code(),
        Some(0),
        "SIGTERM ends it cleanly"
    );

    let (credits, next_seq) = follow(tmp.path(), &stream);
    assert_eq!(next_seq, exits.len() as u64, "contiguous, every exit taken");
    let to_two: Vec<&Exit> = exits.iter().filter(|e| e.dst == 2).collect();
    assert_eq!(
        credits.len(),
        to_two.len(),
        "one credit per exit to segment 2"
    );
    for exit in to_two {
        assert_eq!(
            credits.get(&Fp::from(exit.recipient)),
            Some(&vec![exit.amount]),
            "exit to {} credited exactly once",
            exit.recipient
        );
    }
    eprintln!(
        "{kills} SIGKILLs, {} exits, all credited once; batches {}",
        exits.len(),
        status["batches"]
    );
}

#[test]
fn bad_requests_and_bad_flags_are_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("stream");
    let world = relay_world(tmp.path(), 1, stream.to_str().unwrap());
    match start_relay(&world, &["--threads", "100000"]) {
        Started::Exited(code, stderr) => {
            assert_eq!(code, Some(2));
            assert!(stderr.contains("threads = 100000"), "{stderr}");
        }
        Started::Listening(_) => panic!("absurd flags accepted"),
    }
    assert!(!world.state.exists(), "nothing written");
    match start_relay(&world, &["--listen", "0.0.0.0:0"]) {
        Started::Exited(code, stderr) => {
            assert_eq!(code, Some(2));
            // The relayer's own variable, not the gate's.
            assert!(stderr.contains("BULKHEAD_RELAY_TOKEN"), "{stderr}");
            assert!(!stderr.contains("BULKHEAD_GATE_TOKEN"), "{stderr}");
        }
        Started::Listening(_) => panic!("open to the world without a token"),
    }
    let relayer = relay(&world);
    let answer = |body: &[u8], content_type: &str| {
        http::post(relayer.addr, "/v1/exits", content_type, "", body)
    };
    assert_eq!(answer(b"{}", "text/plain").status, 415);
    assert_eq!(answer(b"{not json", "application/json").status, 400);
    let huge = vec![b' '; 64 * 1024];
    assert_eq!(answer(&huge, "application/json").status, 413);
    let exit = Exit {
        src: 1,
        account: 0,
        dst: 2,
        amount: 5,
        recipient: 1,
    };
    let skipped = answer(&body(&exit, 3), "application/json");
    assert_eq!(skipped.status, 422);
    assert_eq!(skipped.json()["error"], "nonce_skipped");
    assert!(
        skipped.text().contains("next nonce is 0"),
        "{}",
        skipped.text()
    );
    let ok = answer(&body(&exit, 0), "application/json");
    assert_eq!(ok.status, 202, "{}", ok.text());
    assert_eq!(ok.json()["nonce"], "0");
    assert_eq!(http::get(relayer.addr, "/v1/exits/99").status, 404);
    // The stream is still at the genesis epoch, before the silo's window.
    wait_until("the exit's wait explained", Duration::from_secs(10), || {
        let queued = http::get(relayer.addr, "/v1/exits/1").json();
        assert_eq!(queued["status"], "queued");
        queued["waiting"]
            .as_str()
            .is_some_and(|why| why.contains("before the silo's window"))
    });
    // A second relayer on the same directory is refused, naming the first.
    match start_relay(&world, &[]) {
        Started::Exited(code, stderr) => {
            assert_eq!(code, Some(2));
            assert!(stderr.contains("held by another"), "{stderr}");
        }
        Started::Listening(_) => panic!("two relayers on one directory"),
    }
}
