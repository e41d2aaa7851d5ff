//! `relay serve` for real, on a directory log at the TINY shape: signed
//! exits posted over HTTP come out as bundles in the stream that a gate
//! takes, each exit credited once. The relayer is SIGKILLed at random
//! moments while requests arrive and batches are proven; clients retry
//! what they did not hear back about (a retry of a stored request is
//! refused as a spent nonce, so retrying is safe). A tick in the middle
//! makes batches stale, which the relayer proves again for the new epoch.
//! At the end: every accepted exit credited exactly once, none twice,
//! sequence numbers contiguous.

mod service;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bulkhead_node::ledger::{Depth, Ledger, LedgerReader};
use bulkhead_node::stream::{DirLog, StreamEntry, StreamSource};
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_testkit::chain::{config, tick, verifier_keys, EPOCH, SEED, SHAPE};
use bulkhead_testkit::http;
use bulkhead_testkit::sample::{ASSET, OTHER_ASSET};
use bulkhead_testkit::signed::{exit_request_json, segment};
use service::*;

/// The files a relayer of segment 1 starts from.
struct World {
    snapshot: PathBuf,
    registry: PathBuf,
    state: PathBuf,
    stream: PathBuf,
}

fn world(root: &Path) -> World {
    let snapshot = root.join("segment.json");
    let state = segment(SEED, 1, &SHAPE).unwrap();
    std::fs::write(
        &snapshot,
        serde_json::to_vec(&Snapshot::from_state(&state, SHAPE)).unwrap(),
    )
    .unwrap();
    let registry = root.join("gate-config.json");
    std::fs::write(&registry, serde_json::to_vec(&config(2)).unwrap()).unwrap();
    World {
        snapshot,
        registry,
        state: root.join("relay"),
        stream: root.join("stream"),
    }
}

fn start_relay(world: &World, extra: &[&str]) -> Started {
    let mut command = bulkhead();
    command
        .args(["relay", "serve", "--segment"])
        .arg(&world.snapshot)
        .arg("--registry")
        .arg(&world.registry)
        .arg("--state")
        .arg(&world.state)
        .arg("--publish")
        .arg(&world.stream)
        .args(["--deadline-ms", "300"])
        .args(extra)
        .env_remove("BULKHEAD_RELAY_TOKEN");
    if !extra.contains(&"--listen") {
        command.args(["--listen", "127.0.0.1:0"]);
    }
    spawn_listening(command)
}

fn relay(world: &World) -> Service {
    match start_relay(world, &[]) {
        Started::Listening(service) => service,
        Started::Exited(code, stderr) => panic!("relay serve exited {code:?}: {stderr}"),
    }
}

/// One exit the load sends: account, destination, amount, and a
/// recipient unique to it.
#[derive(Clone, Copy, Debug)]
struct Exit {
    account: u64,
    dst: u64,
    amount: u64,
    recipient: u64,
}

/// The load: accounts 0..8 on all three lanes, small amounts (far under
/// the caps and the gate's inbound limit).
fn load(count: u64) -> Vec<Exit> {
    (0..count)
        .map(|i| {
            let account = (i * 5) % 8;
            let dst = if account % 2 == 0 && i % 3 == 0 { 3 } else { 2 };
            Exit {
                account,
                dst,
                amount: 1 + i % 5,
                recipient: 10_000 + i,
            }
        })
        .collect()
}

fn body(exit: &Exit, nonce: u64) -> Vec<u8> {
    let asset = if exit.account % 2 == 0 {
        ASSET
    } else {
        OTHER_ASSET
    };
    serde_json::to_vec(&exit_request_json(
        SEED,
        1,
        exit.dst,
        asset,
        exit.account,
        nonce,
        Fp::from(exit.recipient),
        exit.amount,
    ))
    .unwrap()
}

/// Posts `exit` at `nonce`: `Some(true)` accepted, `Some(false)` refused
/// because that nonce is already spent (an earlier try was stored), `None`
/// no answer (the relayer is down).
fn post(addr: SocketAddr, exit: &Exit, nonce: u64) -> Option<bool> {
    let head = "POST /v1/exits HTTP/1.1\r\nContent-Type: application/json";
    let answer = http::raw(addr, head, &body(exit, nonce)).ok()?;
    match answer.status {
        202 => Some(true),
        422 if answer.text().contains("already used") => Some(false),
        503 => None,
        other => panic!("unexpected answer {other}: {}", answer.text()),
    }
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A gate of segment 2 that follows the whole stream, and its credits by
/// recipient.
fn follow(root: &Path, stream: &Path) -> (BTreeMap<Fp, Vec<u64>>, u64) {
    let dir = root.join("gate");
    let _ = std::fs::remove_dir_all(&dir);
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
    let next_seq = ledger.state().sources[&1].next_seq;
    drop(ledger);
    let reader = LedgerReader::open(&dir).unwrap();
    let page = reader.credits(None, 0, 100_000).unwrap();
    let mut credits: BTreeMap<Fp, Vec<u64>> = BTreeMap::new();
    for (_, credit) in page.credits {
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
    let world = world(tmp.path());
    let log = DirLog::new(&world.stream);
    // The stream opens the silo's epoch.
    log.append(&tick(EPOCH), 1).unwrap();

    let exits = load(36);
    let mut nonces = [0u64; 8];
    let mut accepted: Vec<Exit> = Vec::new();
    let mut relayer = relay(&world);
    let mut kills = 0;
    let mut moments = 0x2545_f491_4f6c_dd1du64;
    for (i, exit) in exits.iter().enumerate() {
        let nonce = nonces[exit.account as usize];
        // Retry until the relayer says yes, or says the nonce is spent
        // (an earlier try landed before a kill).
        loop {
            match post(relayer.addr, exit, nonce) {
                Some(_) => break,
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        nonces[exit.account as usize] += 1;
        accepted.push(*exit);
        if i == 18 {
            // The epoch ends while batches are in flight.
            log.append(&tick(EPOCH + 1), 1).unwrap();
        }
        if i % 6 == 5 {
            // Kill at a random moment within the next 0.8 s of work.
            moments ^= moments << 13;
            moments ^= moments >> 7;
            moments ^= moments << 17;
            std::thread::sleep(Duration::from_millis(moments % 800));
            relayer.kill();
            kills += 1;
            relayer = relay(&world);
        }
    }
    // Everything taken by the stream.
    wait_until("every exit confirmed", Duration::from_secs(240), || {
        let status = http::get(relayer.addr, "/v1/status").json();
        status["queued"] == "0" && status["batches"].get("planned").is_none() && {
            let counts = &status["batches"];
            ["proven", "published"]
                .iter()
                .all(|s| counts.get(*s).is_none())
        }
    });
    let status = http::get(relayer.addr, "/v1/status").json();
    assert_eq!(status["confirmed_seq"], accepted.len().to_string());
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

    let (credits, next_seq) = follow(tmp.path(), &world.stream);
    assert_eq!(
        next_seq,
        accepted.len() as u64,
        "contiguous, every exit taken"
    );
    let to_two: Vec<&Exit> = accepted.iter().filter(|e| e.dst == 2).collect();
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
        "{kills} SIGKILLs, {} exits, all credited once; {}",
        accepted.len(),
        status["batches"]
    );
}

#[test]
fn bad_requests_and_bad_flags_are_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let world = world(tmp.path());
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
            assert!(stderr.contains("token"), "{stderr}");
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
        account: 0,
        dst: 2,
        amount: 5,
        recipient: 1,
    };
    let skipped = answer(&body(&exit, 3), "application/json");
    assert_eq!(skipped.status, 422);
    assert!(
        skipped.text().contains("next nonce is 0"),
        "{}",
        skipped.text()
    );
    let ok = answer(&body(&exit, 0), "application/json");
    assert_eq!(ok.status, 202, "{}", ok.text());
    assert_eq!(ok.json()["nonce"], "0");
    let missing = http::get(relayer.addr, "/v1/exits/99");
    assert_eq!(missing.status, 404);
    let queued = http::get(relayer.addr, "/v1/exits/1").json();
    // The stream is still at the genesis epoch, before the silo's window.
    assert_eq!(queued["status"], "queued");
    // A second relayer on the same directory is refused, naming the first.
    match start_relay(&world, &[]) {
        Started::Exited(code, stderr) => {
            assert_eq!(code, Some(2));
            assert!(stderr.contains("held by another"), "{stderr}");
        }
        Started::Listening(_) => panic!("two relayers on one directory"),
    }
}
