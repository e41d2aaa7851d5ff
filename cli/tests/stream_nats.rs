//! The stream across machines, end to end on loopback: a NATS JetStream
//! server with a user per role and subject permissions
//! (examples/nats-server.conf), two relayer services (segments 1 and 2)
//! and three gate services (segments 1, 2, 3), all at the TINY shape. A
//! load generator posts signed exits on every lane of both segments while
//! the guardians tick the epoch twice; one gate and then a relayer are
//! SIGKILLed mid-run and restarted. Midway, segment 2 imports part of what
//! segment 1 sent it: its validators sign the import on its relayer's tip,
//! opening a new account with it, and hand it to the relayer, which is
//! SIGKILLed at a random moment after taking it and publishes it from its
//! store; then the new account pays inside the segment, the validators
//! attest the root, and the relayer, behind its segment, takes the state
//! from `POST /v1/state`, is SIGKILLed, and goes on from the new state and
//! boundary. At the end every gate has the same follow state (mirrors and
//! flows included) at the same stream position, every exit the relayers
//! accepted is credited exactly once at its destination, none twice; and
//! the server refuses what a role may not publish (the validators may not
//! publish an import: only the relayer does, in order with its batches). Each gate and relayer
//! runs as its own user, through the one consumer that user may touch.

mod nats;
mod service;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bulkhead_node::ledger::{Depth, Ledger, LedgerReader};
use bulkhead_node::relay::store::RelayStore;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::{Account, SegmentState};
use bulkhead_testkit::chain::{config, verifier_keys, EPOCH, SEED};
use bulkhead_testkit::gate::{attestation, import_on, STREAM_ID, VALIDATOR_THRESHOLD};
use bulkhead_testkit::http;
use bulkhead_verifier::gate::StreamItem;
use nats::*;
use service::relay::*;
use service::*;

/// Starts gate `g` as user gate-G through its consumer gate-G.
fn start_gate(dir: &Path, url: &str, g: u64) -> Service {
    let user = format!("gate-{g}");
    let env: Vec<(String, String)> = role(&user);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    match start(dir, &["--follow", url, "--consumer", &user], &env) {
        Started::Listening(service) => service,
        Started::Exited(code, stderr) => panic!("gate serve exited {code:?}: {stderr}"),
    }
}

/// What every gate must agree on: the stream position, the epoch, and
/// each source's chain (tip, height, boundary, next sequence number,
/// quarantine).
fn follow_state(dir: &Path) -> serde_json::Value {
    let (state, position) = LedgerReader::open(dir)
        .unwrap()
        .state(Depth::Summary)
        .unwrap();
    let sources: BTreeMap<String, serde_json::Value> = state
        .sources
        .iter()
        .map(|(id, s)| {
            (
                id.to_string(),
                serde_json::json!({
                    "tip": bulkhead_protocol::hex::fp_to_hex(&s.tip),
                    "height": s.height,
                    "boundary": bulkhead_protocol::hex::fp_to_hex(&s.boundary()),
                    "next_seq": s.next_seq(),
                    "quarantined": s.quarantined.is_some(),
                    "silos": s.mirror.silos().values().collect::<Vec<_>>(),
                }),
            )
        })
        .collect();
    serde_json::json!({
        "position": position,
        "epoch": state.epoch,
        "sources": sources,
        "flows": serde_json::to_value(&state).unwrap()["flows"],
    })
}

/// The amount segment 2 imports, into an account it opens with it.
const IMPORTED: u64 = 5;
/// The account the import opens (the sample uses 0 to 7).
const NEW_ACCOUNT: u64 = 9;

/// Segment 2's import, published by its relayer in order with its
/// batches: once everything the relayer accepted is confirmed, its
/// validators sign the import on the relayer's tip (`sign_imports_on` in
/// its status), opening a new account with it, and hand it over with the
/// account's leaf (`POST /v1/imports`). The relayer is SIGKILLed at a
/// random moment after taking it and restarted; it publishes the import
/// from its store, and it lands in the chain. Returns the relayer and the
/// import as a stream item's file.
fn import_into_segment_2(
    tmp: &Path,
    url: &str,
    world: &RelayWorld,
    relayer: Service,
    pause_ms: u64,
) -> (Service, PathBuf) {
    wait_until("segment 2 confirmed", Duration::from_secs(300), || {
        all_confirmed(relayer.addr)
    });
    let mut state = RelayStore::open_reader(&world.state)
        .unwrap()
        .base()
        .unwrap()
        .to_state()
        .unwrap();
    let status = http::get(relayer.addr, "/v1/status").json();
    let point = &status["sign_imports_on"];
    assert_eq!(
        point["parent"],
        bulkhead_protocol::hex::fp_to_hex(&state.accounts_root()),
        "{status}"
    );
    let height: u64 = point["height"].as_str().unwrap().parse().unwrap();
    let parent = state.accounts_root();
    let account = Account {
        owner: Fp::from(4242),
        asset: 1,
        balance: IMPORTED,
        nonce: 0,
    };
    state.set_account(NEW_ACCOUNT, account).unwrap();
    let import = import_on(
        STREAM_ID,
        SEED,
        2,
        height,
        parent,
        state.accounts_root(),
        1,
        IMPORTED,
        VALIDATOR_THRESHOLD,
    );
    let submission = serde_json::json!({
        "import": import,
        "accounts": [{ "index": NEW_ACCOUNT.to_string(), "account": account }],
    });
    let answer = http::post(
        relayer.addr,
        "/v1/imports",
        "application/json",
        "",
        &serde_json::to_vec(&submission).unwrap(),
    );
    assert_eq!(answer.status, 202, "{}", answer.text());
    let id = answer.json()["id"].as_str().unwrap().to_owned();
    // Taken durably: killed at any moment after, the relayer publishes it.
    std::thread::sleep(Duration::from_millis(pause_ms));
    relayer.kill();
    let relayer = relay(world);
    wait_until("the import in the chain", Duration::from_secs(120), || {
        http::get(relayer.addr, &format!("/v1/imports/{id}")).json()["status"] == "landed"
    });
    assert!(http::get(relayer.addr, "/v1/status").json()["behind"].is_null());
    let file = tmp.join("import.json");
    let (_, bytes) = bulkhead_node::stream::encode_item(&StreamItem::Import(import));
    std::fs::write(&file, bytes).unwrap();
    let relayer = trade_in_segment_2(tmp, url, world, relayer, state, height + 1);
    (relayer, file)
}

/// Segment 2's own execution moves its state: the new account pays 2 to
/// account 0 inside the segment, and the validators attest the new root at
/// `height`. The relayer, behind its segment, takes the leaves from
/// `POST /v1/state`, is SIGKILLed at once, and goes on from the new state.
fn trade_in_segment_2(
    tmp: &Path,
    url: &str,
    world: &RelayWorld,
    relayer: Service,
    mut state: SegmentState,
    height: u64,
) -> Service {
    let parent = state.accounts_root();
    let mut payer = *state.account(NEW_ACCOUNT).unwrap();
    let mut payee = *state.account(0).unwrap();
    payer.balance -= 2;
    payee.balance += 2;
    state.set_account(NEW_ACCOUNT, payer).unwrap();
    state.set_account(0, payee).unwrap();
    let attested = attestation(
        SEED,
        2,
        height,
        parent,
        state.accounts_root(),
        VALIDATOR_THRESHOLD,
    );
    let file = tmp.join("attestation.json");
    std::fs::write(&file, bulkhead_node::stream::encode_item(&attested).1).unwrap();
    let out = stream_as("validator", url, &["append", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_until(
        "relayer 2 behind its segment",
        Duration::from_secs(60),
        || http::get(relayer.addr, "/v1/status").json()["behind"].is_string(),
    );
    let feed = serde_json::json!({
        "form": "leaves",
        "accounts": [
            { "index": NEW_ACCOUNT.to_string(), "account": payer },
            { "index": "0", "account": payee },
        ],
    });
    let answer = http::post(
        relayer.addr,
        "/v1/state",
        "application/json",
        "",
        &serde_json::to_vec(&feed).unwrap(),
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    // The rebase is durable: killed at once, the relayer goes on from it.
    relayer.kill();
    let relayer = relay(world);
    assert!(http::get(relayer.addr, "/v1/status").json()["behind"].is_null());
    relayer
}

fn position(dir: &Path) -> u64 {
    LedgerReader::open(dir)
        .and_then(|r| r.state(Depth::Summary))
        .map_or(0, |(_, p)| p)
}

#[test]
fn relayers_and_gates_agree_over_nats_through_sigkills() {
    let tmp = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(&tmp.path().join("nats-store"));
    let url = nats.url.clone();
    let init = stream_as("admin", &url, &["init"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let opened = stream_as(
        "guardian",
        &url,
        &["append", tick_file(tmp.path(), EPOCH).to_str().unwrap()],
    );
    assert!(
        opened.status.success(),
        "{}",
        String::from_utf8_lossy(&opened.stderr)
    );

    // Three gates, each following the stream as its own durable consumer.
    let gate_dirs: Vec<PathBuf> = (1..=3)
        .map(|g| tmp.path().join(format!("gate-{g}")))
        .collect();
    for (g, dir) in (1..=3).zip(&gate_dirs) {
        Ledger::create(dir, config(g), vec![verifier_keys()]).unwrap();
    }
    let mut gates: Vec<Service> = (1..=3)
        .zip(&gate_dirs)
        .map(|(g, d)| start_gate(d, &url, g))
        .collect();

    // Two relayers.
    let mut worlds: Vec<RelayWorld> = [1, 2]
        .into_iter()
        .map(|src| relay_world(tmp.path(), src, &url))
        .collect();
    for world in &mut worlds {
        world.env = role(&format!("relayer-{}", world.src));
    }
    let mut relayers: Vec<Service> = worlds.iter().map(relay).collect();

    // The load: both segments, every lane, interleaved.
    let loads = [load(1, 24, 10_000), load(2, 24, 20_000)];
    let mut nonces = [[0u64; 8]; 2];
    let mut moments = Moments(0x9e37_79b9_7f4a_7c15);
    let (mut gate_kills, mut relay_kills) = (0, 0);
    let mut import_file = None;
    for i in 0..24 {
        for (r, exits) in loads.iter().enumerate() {
            let exit = &exits[i];
            post_until_answered(&relayers[r], exit, nonces[r][exit.account as usize]);
            nonces[r][exit.account as usize] += 1;
        }
        match i {
            7 | 15 => {
                let epoch = EPOCH + if i == 7 { 1 } else { 2 };
                let out = stream_as(
                    "guardian",
                    &url,
                    &["append", tick_file(tmp.path(), epoch).to_str().unwrap()],
                );
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            10 => {
                std::thread::sleep(Duration::from_millis(moments.next_below(500)));
                gates.pop().unwrap().kill();
                gate_kills += 1;
            }
            13 => gates.push(start_gate(&gate_dirs[2], &url, 3)),
            16 => {
                let relayer = relayers.remove(1);
                let (relayer, file) = import_into_segment_2(
                    tmp.path(),
                    &url,
                    &worlds[1],
                    relayer,
                    moments.next_below(400),
                );
                import_file = Some(file);
                relayers.insert(1, relayer);
                relay_kills += 1;
            }
            18 => {
                std::thread::sleep(Duration::from_millis(moments.next_below(800)));
                let relayer = relayers.remove(0);
                relayer.kill();
                relay_kills += 1;
                relayers.insert(0, relay(&worlds[0]));
            }
            _ => {}
        }
    }
    for relayer in &relayers {
        wait_until("every exit confirmed", Duration::from_secs(300), || {
            all_confirmed(relayer.addr)
        });
    }

    // What no role may publish is refused by the server, and the stream
    // does not move.
    let before = last_position(&url);
    let forged_tick = tick_file(tmp.path(), EPOCH + 3);
    std::thread::scope(|s| {
        for user in ["gate-1", "relayer-1", "validator"] {
            let (url, forged_tick) = (&url, &forged_tick);
            s.spawn(move || {
                let out = stream_as(user, url, &["append", forged_tick.to_str().unwrap()]);
                assert_eq!(out.status.code(), Some(2), "{user} published a tick");
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(stderr.contains("no acknowledgement"), "{user}: {stderr}");
            });
        }
    });
    // Only a relayer publishes its segment's imports (in order with its
    // batches): the validators' user may not.
    let import_file = import_file.expect("segment 2 imported");
    let out = stream_as(
        "validator",
        &url,
        &["append", import_file.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "the validators published an import"
    );
    assert_eq!(last_position(&url), before, "nothing reached the stream");

    // Every gate reaches the end of the stream, in the same state.
    for dir in &gate_dirs {
        wait_until(
            "gates at the end of the stream",
            Duration::from_secs(120),
            || position(dir) == before,
        );
    }
    let states: Vec<serde_json::Value> = gate_dirs.iter().map(|d| follow_state(d)).collect();
    assert_eq!(states[0], states[1], "gates 1 and 2 agree");
    assert_eq!(states[0], states[2], "gates 1 and 3 agree (3 was killed)");
    assert_eq!(states[0]["epoch"], EPOCH + 2);
    for (r, exits) in loads.iter().enumerate() {
        assert_eq!(
            states[0]["sources"][(r + 1).to_string()]["next_seq"],
            exits.len(),
            "segment {}: every exit taken, sequence contiguous",
            r + 1
        );
    }
    // Segment 2's import is in every gate's flows and mirror.
    let (state, _) = LedgerReader::open(&gate_dirs[0])
        .unwrap()
        .state(Depth::Summary)
        .unwrap();
    assert_eq!(state.flow(2, 1).imported, u128::from(IMPORTED));

    // Each exit credited once, at its destination.
    for (g, dir) in (1..=3u64).zip(&gate_dirs) {
        let reader = LedgerReader::open(dir).unwrap();
        let mut credited: BTreeMap<Fp, Vec<u64>> = BTreeMap::new();
        for (_, credit) in reader.credits(None, 0, 100_000).unwrap().credits {
            credited
                .entry(credit.recipient)
                .or_default()
                .push(credit.amount);
        }
        let (state, _) = reader.state(Depth::Summary).unwrap();
        assert!(state.held.is_empty(), "gate {g}: nothing held");
        let expected: BTreeMap<Fp, Vec<u64>> = loads
            .iter()
            .flatten()
            .filter(|e| e.dst == g)
            .map(|e| (Fp::from(e.recipient), vec![e.amount]))
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(
            credited, expected,
            "gate {g}: each exit credited exactly once"
        );
    }
    for service in gates.into_iter().chain(relayers) {
        assert_eq!(service.terminate().code(), Some(0));
    }
    eprintln!(
        "{} exits over NATS, {gate_kills} gate and {relay_kills} relayer SIGKILLs, {before} stream items: \
         three gates agree, every exit credited once",
        loads.iter().map(Vec::len).sum::<usize>()
    );
}
