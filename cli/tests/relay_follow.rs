//! `relay serve` follows its segment for real: segment 2 receives a
//! bundle from segment 1, imports it (its validators sign the import, its
//! execution credits an account), and its relayer, which saw its segment
//! move under it, waits rather than halt. A state feed that is not the
//! attested state is refused; the attested one rebases the queue, the
//! relayer is SIGKILLed and comes back, and the exit goes out in a bundle
//! proven from the mirror's new boundary that every gate takes.

mod service;

use std::time::Duration;

use bulkhead_node::stream::{DirLog, StreamEntry, StreamSource};
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_testkit::chain::{
    bundles, config, genesis, item, tick, verifier_keys, EPOCH, SEED, SHAPE,
};
use bulkhead_testkit::gate::{import_on, STREAM_ID, VALIDATOR_THRESHOLD};
use bulkhead_testkit::http;
use bulkhead_testkit::sample::ASSET;
use bulkhead_verifier::gate::{Gate, StreamItem};
use service::relay::*;

fn feed(addr: std::net::SocketAddr, body: &serde_json::Value) -> http::Answer {
    http::post(
        addr,
        "/v1/state",
        "application/json",
        "",
        &serde_json::to_vec(body).unwrap(),
    )
}

#[test]
fn a_relayer_whose_segment_imports_rebases_on_the_attested_state() {
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("stream");
    let world = relay_world(tmp.path(), 2, stream.to_str().unwrap());
    let log = DirLog::new(&stream);
    let before = genesis().remove(&2).unwrap();
    // Segment 1 pays segment 2 30 of asset 1; segment 2 imports it into
    // account 4, and its validators sign the import.
    let mut after = before.clone();
    after.import(ASSET, &[(4, 30)]).unwrap();
    let import = StreamItem::Import(import_on(
        STREAM_ID,
        SEED,
        2,
        1,
        before.accounts_root(),
        after.accounts_root(),
        ASSET,
        30,
        VALIDATOR_THRESHOLD,
    ));
    for entry in [tick(EPOCH), item(&bundles()[0]), import] {
        log.append(&entry, 1).unwrap();
    }

    let relayer = relay(&world);
    wait_until(
        "the relayer sees its segment moved",
        Duration::from_secs(60),
        || http::get(relayer.addr, "/v1/status").json()["behind"].is_string(),
    );
    // An exit of segment 2's account 0 to segment 1: queued, not batched.
    let exit = Exit {
        src: 2,
        account: 0,
        dst: 1,
        amount: 7,
        recipient: 77,
    };
    assert_eq!(post(relayer.addr, &exit, 0), Some(true));

    // Not a feed; the state before the import; the attested one.
    assert_eq!(
        feed(relayer.addr, &serde_json::json!({"form": "mystery"})).status,
        400
    );
    let snapshot = |state| serde_json::json!({ "form": "snapshot", "snapshot": Snapshot::from_state(state, SHAPE) });
    let stale = feed(relayer.addr, &snapshot(&before));
    assert_eq!(stale.status, 422, "{}", stale.text());
    assert_eq!(stale.json()["error"], "not_attested");
    let taken = feed(relayer.addr, &snapshot(&after));
    assert_eq!(taken.status, 200, "{}", taken.text());
    assert_eq!(taken.json()["queued"], "1");
    assert!(http::get(relayer.addr, "/v1/status").json()["behind"].is_null());

    // Killed and back: the rebased state is its own now.
    relayer.kill();
    let relayer = relay(&world);
    wait_until("the exit confirmed", Duration::from_secs(120), || {
        all_confirmed(relayer.addr)
    });
    let status = http::get(relayer.addr, "/v1/status").json();
    assert_eq!(status["confirmed_seq"], "1");
    assert!(status["halted"].is_null(), "{status}");
    relayer.terminate();

    // A gate of segment 1 fed the whole log took the bundle from the new
    // boundary and credited the exit.
    let mut gate = Gate::new(config(1), vec![verifier_keys()]).unwrap();
    let mut position = 1;
    while let Some(entry) = log.entry(position).unwrap() {
        if let StreamEntry::Item(item) = entry {
            let _ = gate.process(&item);
        }
        position += 1;
    }
    let source = &gate.state().sources[&2];
    assert_eq!(source.next_seq(), 1);
    assert_eq!(source.mirror.silo(ASSET).unwrap().collateral, {
        let registered = before.silo(ASSET).unwrap().collateral;
        registered + 30 - 7
    });
    assert_eq!(source.credited.get(&ASSET), Some(&7));
    assert_eq!(gate.state().credited_exits, 1);
}
