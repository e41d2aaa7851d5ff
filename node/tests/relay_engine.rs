//! The relayer's engine without proofs: what it takes at the door, how it
//! forms batches, and what it does with the stream's answer, across
//! restarts. The stream is played by hand ([`StreamView`]); the service
//! test (`cli/tests/relay.rs`) runs the real thing.

use std::path::Path;
use std::time::Duration;

use bulkhead_node::relay::engine::{
    BatchPolicy, Engine, ExitSubmission, IntakeRefusal, StreamView, SubmitError,
};
use bulkhead_node::relay::store::RelayStore;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_testkit::chain::{SEED, SHAPE};
use bulkhead_testkit::gate::STREAM_ID;
use bulkhead_testkit::sample::{ASSET, EPOCH, OTHER_ASSET};
use bulkhead_testkit::signed::{exit_request_json, segment};
use proptest::prelude::*;

const SRC: u64 = 1;

fn policy(deadline_ms: u64) -> BatchPolicy {
    BatchPolicy {
        deadline: Duration::from_millis(deadline_ms),
        max_queued: 1000,
        max_queued_per_account: 1000,
    }
}

fn engine(dir: &Path, deadline_ms: u64) -> Engine {
    if !RelayStore::path(dir).exists() {
        let state = segment(SEED, SRC, &SHAPE).unwrap();
        RelayStore::create(dir, &Snapshot::from_state(&state, SHAPE)).unwrap();
    }
    Engine::open(dir, policy(deadline_ms), STREAM_ID).unwrap()
}

/// Account `account`'s exit of `amount` to `dst` at `nonce`.
fn request(account: u64, nonce: u64, dst: u64, amount: u64) -> ExitSubmission {
    let asset = if account.is_multiple_of(2) {
        ASSET
    } else {
        OTHER_ASSET
    };
    let json = exit_request_json(
        SEED,
        SRC,
        dst,
        asset,
        account,
        nonce,
        Fp::from(900 + account),
        amount,
    );
    serde_json::from_value(json).unwrap()
}

fn refusal(engine: &mut Engine, request: &ExitSubmission) -> IntakeRefusal {
    match engine.submit(request) {
        Err(SubmitError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn view(position: u64, epoch: u64, next_seq: u64) -> StreamView {
    StreamView {
        position,
        epoch,
        next_seq,
        quarantined: false,
        boundary: Fp::zero(),
        height: 0,
        tip: None,
        governed_lanes: Default::default(),
        boundary_silos: Default::default(),
    }
}

/// The view of a stream whose chain took the relayer's batches up to
/// `next_seq`: its boundary root is the last one's.
fn taken_view(engine: &Engine, position: u64, epoch: u64, next_seq: u64) -> StreamView {
    let boundary = engine
        .live()
        .iter()
        .find(|b| b.end_seq() == next_seq)
        .map_or(Fp::zero(), |b| b.planned.outcome.instance.boundary_after);
    StreamView {
        boundary,
        ..view(position, epoch, next_seq)
    }
}

/// Records a proof (an empty stand-in file) for every planned batch, so
/// the prover is idle again.
fn prove_all(engine: &mut Engine, dir: &Path) {
    let ids: Vec<u64> = engine
        .live()
        .iter()
        .filter(|b| b.row.status.as_str() == "planned")
        .map(|b| b.row.id)
        .collect();
    for id in ids {
        let path = dir.join(format!("fake-{id}.bundle"));
        std::fs::write(&path, b"").unwrap();
        assert!(engine.finish_proof(id, &path).unwrap());
    }
}

/// Forms batches as the prover frees up, until none is due; how many.
fn form_all(engine: &mut Engine, dir: &Path, view: &StreamView, now: u64) -> usize {
    let mut formed = 0;
    loop {
        let n = engine.form_batches(view, now).unwrap();
        if n == 0 {
            return formed;
        }
        formed += n;
        prove_all(engine, dir);
    }
}

/// An engine with one full batch (accounts 0 and 2, 10 each) published
/// at position 1.
fn one_batch_published(dir: &Path) -> Engine {
    let mut engine = engine(dir, 0);
    engine.submit(&request(0, 0, 2, 10)).unwrap();
    engine.submit(&request(2, 0, 2, 10)).unwrap();
    let now = bulkhead_node::relay::store::now_ms();
    engine.form_batches(&view(0, EPOCH, 0), now).unwrap();
    publish_all(&mut engine, dir, 1);
    engine
}

/// Proves (in name) and publishes every live batch, from position `at`.
fn publish_all(engine: &mut Engine, dir: &Path, at: u64) -> u64 {
    prove_all(engine, dir);
    let mut position = at;
    let ids: Vec<u64> = engine.live().iter().map(|b| b.row.id).collect();
    for id in ids {
        engine.published(id, position).unwrap();
        position += 1;
    }
    position
}

#[test]
fn refusals_name_their_cause_and_queue_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = engine(dir.path(), 0);
    let mut forged = request(0, 0, 2, 10);
    forged.signature[0] ^= 1;
    let mut stolen = request(0, 0, 2, 10);
    stolen.public_key = request(2, 0, 2, 10).public_key;
    let mut unknown = request(0, 0, 2, 10);
    unknown.account = 9;
    let mut wrong_asset = request(0, 0, 2, 10);
    wrong_asset.asset = OTHER_ASSET;
    let cases: Vec<(ExitSubmission, &str, &str)> = vec![
        (request(0, 0, 2, 0), "zero_amount", "at least 1"),
        (
            request(0, 0, 7, 10),
            "lane_not_allowed",
            "no lane to segment 7",
        ),
        (unknown, "unknown_account", "no account 9"),
        (wrong_asset, "wrong_asset", "holds asset 1"),
        (request(0, 0, 2, 1001), "insufficient_balance", "1000 left"),
        (request(6, 0, 2, 6500), "over_cap", "cap of 6000"),
        (forged, "bad_signature", "does not verify"),
        (stolen, "not_owner", "does not own"),
        (request(0, 1, 2, 10), "nonce_skipped", "nonce 0 is missing"),
    ];
    for (request, label, words) in cases {
        let refused = refusal(&mut engine, &request);
        assert_eq!(refused.label(), label, "{refused}");
        assert!(refused.to_string().contains(words), "{refused}");
    }
    assert_eq!(engine.queued(), 0);
    // Another request at a nonce already spent: refused, naming it. (The
    // same request twice is a retry, answered with its receipt:
    // `relay_retry.rs`.)
    engine.submit(&request(0, 0, 2, 10)).unwrap();
    let again = refusal(&mut engine, &request(0, 0, 2, 11));
    assert_eq!(again.label(), "nonce_used", "{again}");
    assert!(again.to_string().contains("already used"), "{again}");
    // The balance counts what is queued: 990 left, not 1000.
    let over = refusal(&mut engine, &request(0, 1, 2, 991));
    assert!(over.to_string().contains("990 left"), "{over}");
    // So does the collateral: asset 2's 20,000 less what accounts 5, 7
    // and 3 queue (6,000 + 6,000 + 4,000) leaves 4,000.
    for (account, amount) in [(5, 6000), (7, 6000), (3, 4000)] {
        engine.submit(&request(account, 0, 2, amount)).unwrap();
    }
    let over = refusal(&mut engine, &request(1, 0, 2, 4001));
    assert_eq!(over.label(), "over_collateral");
    assert!(
        over.to_string().contains("4000 of collateral left"),
        "{over}"
    );
    drop(engine);
    assert_eq!(self::engine(dir.path(), 0).queued(), 4, "durable");
}

#[test]
fn a_full_queue_refuses_with_503_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let state = segment(SEED, SRC, &SHAPE).unwrap();
    RelayStore::create(dir.path(), &Snapshot::from_state(&state, SHAPE)).unwrap();
    let mut engine = Engine::open(
        dir.path(),
        BatchPolicy {
            deadline: Duration::from_secs(60),
            max_queued: 2,
            max_queued_per_account: 2,
        },
        STREAM_ID,
    )
    .unwrap();
    engine.submit(&request(0, 0, 2, 1)).unwrap();
    engine.submit(&request(0, 1, 2, 1)).unwrap();
    assert_eq!(
        refusal(&mut engine, &request(0, 2, 2, 1)).label(),
        "queue_full"
    );
}

#[test]
fn batches_wait_for_the_silo_window_then_fill_or_meet_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = engine(dir.path(), 60_000);
    engine.submit(&request(0, 0, 2, 10)).unwrap();
    let now = bulkhead_node::relay::store::now_ms();
    // The stream's epoch is before the silo's window: nothing can go.
    assert_eq!(
        engine
            .form_batches(&view(0, EPOCH - 1, 0), now + 120_000)
            .unwrap(),
        0
    );
    // One exit, before the deadline: waits for a full batch.
    assert_eq!(engine.form_batches(&view(0, EPOCH, 0), now).unwrap(), 0);
    engine.submit(&request(2, 0, 2, 20)).unwrap();
    // Two exits fill a TINY batch.
    assert_eq!(engine.form_batches(&view(0, EPOCH, 0), now).unwrap(), 1);
    engine.submit(&request(4, 0, 2, 30)).unwrap();
    assert_eq!(engine.form_batches(&view(0, EPOCH, 0), now).unwrap(), 0);
    // Past the deadline, a partial batch goes once the prover is idle.
    assert_eq!(
        engine
            .form_batches(&view(0, EPOCH, 0), now + 120_000)
            .unwrap(),
        0
    );
    prove_all(&mut engine, dir.path());
    assert_eq!(
        engine
            .form_batches(&view(0, EPOCH, 0), now + 120_000)
            .unwrap(),
        1
    );
    let live = engine.live();
    assert_eq!(live.len(), 2);
    assert_eq!((live[0].row.first_seq, live[0].row.count), (0, 2));
    assert_eq!((live[1].row.first_seq, live[1].row.count), (2, 1));
    assert_eq!(live[1].row.epoch, EPOCH);
}

#[test]
fn past_the_deadline_a_lane_keeps_filling_while_the_prover_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let state = segment(SEED, SRC, &SHAPE).unwrap();
    RelayStore::create(dir.path(), &Snapshot::from_state(&state, SHAPE)).unwrap();
    let mut engine = Engine::open(
        dir.path(),
        BatchPolicy {
            deadline: Duration::ZERO,
            max_queued: 100,
            max_queued_per_account: 100,
        },
        STREAM_ID,
    )
    .unwrap();
    let now = bulkhead_node::relay::store::now_ms() + 1;
    engine.submit(&request(0, 0, 2, 1)).unwrap();
    assert_eq!(
        engine.form_batches(&view(0, EPOCH, 0), now).unwrap(),
        1,
        "prover idle"
    );
    engine.submit(&request(2, 0, 2, 1)).unwrap();
    assert_eq!(
        engine.form_batches(&view(0, EPOCH, 0), now).unwrap(),
        0,
        "a batch waits for its proof: the partial batch keeps filling"
    );
    engine.submit(&request(4, 0, 2, 1)).unwrap();
    assert_eq!(
        engine.form_batches(&view(0, EPOCH, 0), now).unwrap(),
        1,
        "full"
    );
    assert_eq!(engine.live()[1].row.count, 2);
}

#[test]
fn an_account_spends_its_nonces_in_order_across_lanes() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = engine(dir.path(), 0);
    // Account 0 to segment 2, then to segment 3, then to 2 again.
    engine.submit(&request(0, 0, 2, 1)).unwrap();
    engine.submit(&request(0, 1, 3, 1)).unwrap();
    engine.submit(&request(0, 2, 2, 1)).unwrap();
    let now = bulkhead_node::relay::store::now_ms();
    assert_eq!(
        form_all(&mut engine, dir.path(), &view(0, EPOCH, 0), now),
        3
    );
    let order: Vec<(u64, u64)> = engine
        .live()
        .iter()
        .flat_map(|b| b.exits.iter().map(|e| (e.nonce, e.request.dst)))
        .collect();
    assert_eq!(order, [(0, 2), (1, 3), (2, 2)], "nonce order kept");
}

#[test]
fn the_epoch_cap_cuts_a_batch_and_the_rest_waits_for_the_next_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = engine(dir.path(), 0);
    // Epoch 7 has 5,000 of asset 1 left under the cap.
    engine.submit(&request(6, 0, 2, 4000)).unwrap();
    engine.submit(&request(4, 0, 2, 2000)).unwrap();
    let now = bulkhead_node::relay::store::now_ms();
    assert_eq!(
        form_all(&mut engine, dir.path(), &view(0, EPOCH, 0), now),
        1
    );
    assert_eq!(engine.live()[0].row.count, 1);
    assert_eq!(engine.queued(), 1);
    let status = engine.exit_status(2).unwrap().unwrap();
    assert_eq!(status["status"], "queued");
    assert!(status["waiting"].as_str().unwrap().contains("epoch cap"));
    // In the next epoch it goes (the first batch must be taken first: it
    // is published and confirmed here).
    let at = publish_all(&mut engine, dir.path(), 3);
    let taken = taken_view(&engine, at, EPOCH, 1);
    engine.reconcile(&taken).unwrap();
    assert_eq!(
        engine.form_batches(&view(at, EPOCH + 1, 1), now).unwrap(),
        1
    );
    assert_eq!(engine.live()[0].row.epoch, EPOCH + 1);
}

#[test]
fn a_stale_batch_is_superseded_and_planned_again_for_the_new_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = engine(dir.path(), 0);
    for (account, amount) in [(0, 10), (2, 20), (4, 30)] {
        engine.submit(&request(account, 0, 2, amount)).unwrap();
    }
    let now = bulkhead_node::relay::store::now_ms();
    assert_eq!(
        form_all(&mut engine, dir.path(), &view(0, EPOCH, 0), now),
        2
    );
    let first_ids: Vec<u64> = engine.live().iter().map(|b| b.row.id).collect();
    publish_all(&mut engine, dir.path(), 10);
    // The stream ticked (position 9) before the bundles (10, 11): it read
    // both and took neither.
    let done = engine.reconcile(&view(11, EPOCH + 1, 0)).unwrap();
    assert!(done.superseded.unwrap().contains("stale"));
    assert!(engine.live().is_empty());
    assert_eq!(engine.queued(), 3, "every exit is queued again");
    assert_eq!(engine.exit_status(1).unwrap().unwrap()["status"], "queued");
    // Reopened, the engine is the same; planned again at the new epoch,
    // from the same sequence number.
    drop(engine);
    let mut engine = self::engine(dir.path(), 0);
    assert_eq!(engine.queued(), 3);
    assert_eq!(
        form_all(&mut engine, dir.path(), &view(11, EPOCH + 1, 0), now),
        2
    );
    let live = engine.live();
    assert_eq!(live[0].row.first_seq, 0);
    assert_eq!(live[0].row.epoch, EPOCH + 1);
    assert!(!first_ids.contains(&live[0].row.id));
    let nonces: Vec<u64> = live
        .iter()
        .flat_map(|b| b.exits.iter().map(|e| e.id))
        .collect();
    assert_eq!(nonces, [1, 2, 3], "queue order kept");
}

#[test]
fn a_damaged_bundle_file_is_proven_again_not_published() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = engine(dir.path(), 0);
    engine.submit(&request(0, 0, 2, 10)).unwrap();
    engine.submit(&request(2, 0, 2, 10)).unwrap();
    let now = bulkhead_node::relay::store::now_ms();
    engine.form_batches(&view(0, EPOCH, 0), now).unwrap();
    let path = dir.path().join("damaged.bundle");
    std::fs::write(&path, b"not a bundle").unwrap();
    engine.finish_proof(1, &path).unwrap();
    assert!(engine
        .next_to_publish(&view(0, EPOCH, 0))
        .unwrap()
        .is_none());
    assert_eq!(engine.live()[0].row.status.as_str(), "planned");
    assert_eq!(engine.take_for_proving(2).len(), 1, "proven again");
    drop(engine);
    assert_eq!(
        self::engine(dir.path(), 0).live()[0].row.status.as_str(),
        "planned"
    );
}

#[test]
fn confirmed_batches_fold_into_the_state_a_restart_starts_from() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = engine(dir.path(), 0);
    for (account, amount) in [(0, 10), (2, 20), (4, 30), (6, 40)] {
        engine.submit(&request(account, 0, 2, amount)).unwrap();
    }
    let now = bulkhead_node::relay::store::now_ms();
    form_all(&mut engine, dir.path(), &view(0, EPOCH, 0), now);
    publish_all(&mut engine, dir.path(), 1);
    // The stream has taken the first batch only so far.
    let taken = taken_view(&engine, 1, EPOCH, 2);
    let done = engine.reconcile(&taken).unwrap();
    assert_eq!(done.confirmed, (1, 2));
    assert_eq!(
        engine.exit_status(1).unwrap().unwrap()["status"],
        "confirmed"
    );
    assert_eq!(
        engine.exit_status(3).unwrap().unwrap()["status"],
        "published"
    );
    drop(engine);
    let engine = self::engine(dir.path(), 0);
    assert_eq!(engine.live().len(), 1);
    assert_eq!(engine.live()[0].row.first_seq, 2);
    let status = engine.status(&view(1, EPOCH, 2)).unwrap();
    assert_eq!(status["confirmed_seq"], "2");
    assert_eq!(status["planned_seq"], "4");
}

#[test]
fn a_refusal_that_planning_again_cannot_cure_halts_the_relayer() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = one_batch_published(dir.path());
    // Read, not taken, same epoch, not quarantined.
    engine.reconcile(&view(1, EPOCH, 0)).unwrap();
    assert!(engine
        .halted()
        .unwrap()
        .to_string()
        .contains("refused batch 1"));
    assert_eq!(refusal(&mut engine, &request(4, 0, 2, 1)).label(), "halted");
    let now = bulkhead_node::relay::store::now_ms();
    assert_eq!(engine.form_batches(&view(1, EPOCH, 0), now).unwrap(), 0);
}

#[test]
fn a_halted_relayer_says_why_in_its_status_and_logs_it_with_backoff() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = one_batch_published(dir.path());
    let refused = view(1, EPOCH, 0);
    engine.reconcile(&refused).unwrap();
    let reason = engine.halted().unwrap().to_string();
    assert!(reason.contains("refused batch 1"), "{reason}");
    assert_eq!(engine.halt_logs(), 1, "logged when it halted");
    // Ten seconds of the service loop, a pass every 50 ms: the refusal is
    // read again on every pass, the reason logged at the halt and then
    // 1, 3 and 7 s later (the waits double), not on every pass.
    let start = bulkhead_node::relay::store::now_ms();
    for pass in 0..=200 {
        let now = start + pass * 50;
        engine.reconcile(&refused).unwrap();
        assert_eq!(engine.form_batches(&refused, now).unwrap(), 0);
        engine.remind_halt(now);
    }
    assert_eq!(engine.halt_logs(), 4);
    // An hour on, the waits are capped at a minute: seven logs in the
    // first minute (at 0, 1, 3, 7, 15, 31 and 63 s), then one a minute.
    for second in 10..3600 {
        engine.reconcile(&refused).unwrap();
        engine.remind_halt(start + second * 1000);
    }
    let logs = engine.halt_logs();
    assert!((60..=7 + 60).contains(&logs), "{logs} logs in an hour");
    // The first reason stays, and the status says it.
    assert_eq!(
        engine.halted().map(ToString::to_string),
        Some(reason.clone())
    );
    let status = engine.status(&refused).unwrap();
    assert_eq!(status["halted"], reason.as_str());
    // New requests are refused, naming it; a retry of an accepted one is
    // still answered with where it is.
    let refusal = refusal(&mut engine, &request(4, 0, 2, 1));
    assert_eq!(refusal.label(), "halted");
    assert!(refusal.to_string().contains(&reason), "{refusal}");
    let retry = engine.submit(&request(0, 0, 2, 10)).unwrap();
    assert!(retry.repeat);
    assert_eq!(retry.stage.as_str(), "published");
}

#[test]
fn under_quarantine_nothing_is_planned_or_published() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = engine(dir.path(), 0);
    engine.submit(&request(0, 0, 2, 10)).unwrap();
    engine.submit(&request(2, 0, 2, 10)).unwrap();
    let now = bulkhead_node::relay::store::now_ms();
    let quarantined = StreamView {
        quarantined: true,
        ..view(0, EPOCH, 0)
    };
    assert_eq!(engine.form_batches(&quarantined, now).unwrap(), 0);
    engine.form_batches(&view(0, EPOCH, 0), now).unwrap();
    let path = dir.path().join("b.bundle");
    std::fs::write(&path, b"").unwrap();
    engine.finish_proof(1, &path).unwrap();
    assert!(engine.next_to_publish(&quarantined).unwrap().is_none());
    assert_eq!(
        engine.live()[0].row.status.as_str(),
        "proven",
        "kept for later"
    );
    // Published just before the quarantine and refused: a refused bundle
    // stays valid, so it is kept and published again after the release.
    engine.published(1, 4).unwrap();
    let done = engine
        .reconcile(&StreamView {
            quarantined: true,
            ..view(4, EPOCH, 0)
        })
        .unwrap();
    assert_eq!(done, Default::default(), "nothing superseded");
    assert_eq!(engine.live()[0].row.status.as_str(), "proven");
    assert_eq!(engine.form_batches(&quarantined, now).unwrap(), 0);
    drop(engine);
    let mut engine = self::engine(dir.path(), 0);
    assert!(engine.next_to_publish(&quarantined).unwrap().is_none());
    assert_eq!(engine.live()[0].row.id, 1, "the same batch after a restart");
}

#[test]
fn a_chain_that_is_not_the_relayers_halts_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = one_batch_published(dir.path());
    // The stream's chain passed sequence 2 with another boundary root.
    engine.reconcile(&view(1, EPOCH, 2)).unwrap();
    assert!(engine
        .halted()
        .unwrap()
        .to_string()
        .contains("not the relayer's"));
    assert_eq!(engine.live().len(), 1, "nothing confirmed");
}

/// An entry of the simulated stream.
#[derive(Clone, Debug)]
enum Entry {
    /// A published bundle: its epoch, first sequence number, boundary
    /// root after it, and exits (id, account, nonce).
    Bundle(u64, u64, Fp, Vec<(u64, u64, u64)>),
    /// A tick.
    Tick,
    /// The stream's guardians quarantine the segment, or release it.
    Quarantine(bool),
}

/// The stream as every gate sees it: entries in position order (position
/// = index + 1), read lazily, as a watcher does.
#[derive(Default)]
struct Stream {
    entries: Vec<Entry>,
    /// Positions read so far.
    read: u64,
    /// The epoch at `read`.
    epoch: u64,
    /// The chain's next sequence number at `read`.
    next_seq: u64,
    /// Exits taken, in order: (id, account, nonce).
    taken: Vec<(u64, u64, u64)>,
    /// Whether the segment is quarantined at `read`.
    quarantined: bool,
    /// The chain's boundary root at `read`.
    boundary: Fp,
}

impl Stream {
    fn append(&mut self, entry: Entry) -> u64 {
        self.entries.push(entry);
        self.entries.len() as u64
    }

    /// Reads up to `n` entries with the follow rules: a bundle of the
    /// current epoch that chains on the tip is taken, any other refused;
    /// a tick moves the epoch.
    fn read(&mut self, n: usize) {
        for _ in 0..n {
            let Some(entry) = self.entries.get(self.read as usize).cloned() else {
                return;
            };
            self.read += 1;
            match entry {
                Entry::Tick => self.epoch += 1,
                Entry::Quarantine(on) => self.quarantined = on,
                Entry::Bundle(epoch, first_seq, boundary, exits) => {
                    if epoch == self.epoch && first_seq == self.next_seq && !self.quarantined {
                        self.next_seq += exits.len() as u64;
                        self.boundary = boundary;
                        self.taken.extend(exits);
                    }
                }
            }
        }
    }

    /// What the relayer's watcher reports.
    fn view(&self) -> StreamView {
        StreamView {
            quarantined: self.quarantined,
            boundary: self.boundary,
            height: 0,
            ..view(self.read, self.epoch, self.next_seq)
        }
    }
}

/// One step of a relayer's life, as an adversarial scheduler picks it.
#[derive(Clone, Debug)]
enum Step {
    /// A request: an account, the nonce offset from its next (0 valid,
    /// else a replay or a gap), a destination, an amount (hostile values
    /// included).
    Submit(u64, i8, u64, u64),
    /// Form batches, `0` ms or an hour later.
    Form(bool),
    /// Prove and publish every live batch.
    Publish,
    /// The relayer's watcher reads up to `n` stream entries.
    Take(usize),
    /// The clock appends a tick: bundles published after it are stale.
    Tick,
    /// The guardians quarantine (true) or release (false) the segment.
    Quarantine(bool),
    /// Crash and restart.
    Restart,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0u64..8, -1i8..=1, prop_oneof![Just(2u64), Just(3)], prop_oneof![
            1u64..500, Just(0u64), Just(u64::MAX), Just(4_000u64)
        ])
            .prop_map(|(a, n, d, m)| Step::Submit(a, n, d, m)),
        2 => any::<bool>().prop_map(Step::Form),
        2 => Just(Step::Publish),
        2 => (0usize..4).prop_map(Step::Take),
        1 => Just(Step::Tick),
        1 => any::<bool>().prop_map(Step::Quarantine),
        1 => Just(Step::Restart),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Whatever the order of requests (valid, replayed, premature,
    /// hostile amounts), ticks and quarantines racing publications, and
    /// crashes: the relayer never halts, every accepted exit
    /// is in exactly one place (queued, or one live or taken batch), the
    /// stream's taken batches have contiguous sequence numbers, no exit
    /// is taken twice, and each account's exits are taken in nonce order.
    #[test]
    fn no_exit_is_lost_or_taken_twice(steps in proptest::collection::vec(step(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let mut engine = engine(dir.path(), 0);
        let mut nonces = [0u64; 8];
        let mut accepted: Vec<u64> = Vec::new();
        let mut stream = Stream { epoch: EPOCH, ..Stream::default() };
        let now = bulkhead_node::relay::store::now_ms();
        for step in steps {
            match step {
                Step::Submit(account, offset, dst, amount) => {
                    let nonce = nonces[account as usize].saturating_add_signed(i64::from(offset));
                    if let Ok(receipt) = engine.submit(&request(account, nonce, dst, amount)) {
                        if receipt.repeat {
                            // The same signed exit again (a retry): its
                            // stored receipt, nothing new.
                            prop_assert!(accepted.contains(&receipt.id), "a retry names a stored exit");
                            prop_assert_eq!(receipt.nonce, nonce);
                            continue;
                        }
                        prop_assert_eq!(nonce, nonces[account as usize], "only the next nonce");
                        prop_assert_eq!(receipt.nonce, nonce);
                        nonces[account as usize] += 1;
                        accepted.push(receipt.id);
                    }
                }
                Step::Form(late) => {
                    let at = if late { now + 3_600_000 } else { now };
                    engine.form_batches(&stream.view(), at).unwrap();
                }
                Step::Publish => {
                    // Proofs are not made here: an empty bundle file stands
                    // for one, and the engine's publication rule (in order,
                    // not for an epoch the watcher has seen end) is applied
                    // to what it holds.
                    let v = stream.view();
                    type Due = (u64, u64, u64, Fp, Vec<(u64, u64, u64)>);
                    let due: Vec<Due> = engine.live().iter()
                        .take_while(|b| b.row.status.as_str() == "published"
                            || (b.row.status.as_str() == "proven" && b.row.epoch >= v.epoch
                                && !v.quarantined))
                        .filter(|b| b.row.status.as_str() == "proven")
                        .map(|b| (b.row.id, b.row.epoch, b.row.first_seq,
                            b.planned.outcome.instance.boundary_after,
                            b.exits.iter().map(|e| (e.id, e.request.account, e.nonce)).collect()))
                        .collect();
                    for (id, epoch, first_seq, boundary, exits) in due {
                        let position = stream.append(Entry::Bundle(epoch, first_seq, boundary, exits));
                        engine.published(id, position).unwrap();
                    }
                    let ids: Vec<u64> = engine.live().iter()
                        .filter(|b| b.row.status.as_str() == "planned")
                        .map(|b| b.row.id).collect();
                    for id in ids {
                        let path = dir.path().join(format!("{id}.bundle"));
                        std::fs::write(&path, b"").unwrap();
                        engine.finish_proof(id, &path).unwrap();
                    }
                }
                Step::Take(n) => {
                    // The watcher reads some of the stream (possibly past
                    // a tick the relayer has not seen yet), reconciling
                    // after each entry.
                    for _ in 0..n {
                        stream.read(1);
                        engine.reconcile(&stream.view()).unwrap();
                    }
                }
                Step::Tick => {
                    // Appended now; read when the watcher gets there.
                    stream.append(Entry::Tick);
                }
                Step::Quarantine(on) => {
                    stream.append(Entry::Quarantine(on));
                }
                Step::Restart => {
                    drop(engine);
                    engine = self::engine(dir.path(), 0);
                }
            }
            prop_assert!(engine.halted().is_none(), "{:?}", engine.halted());
        }
        let taken = &stream.taken;
        // Taken: contiguous, unique, nonce order per account.
        prop_assert_eq!(taken.len() as u64, stream.next_seq);
        let mut ids: Vec<u64> = taken.iter().map(|t| t.0).collect();
        ids.sort_unstable();
        ids.dedup();
        prop_assert_eq!(ids.len(), taken.len(), "an exit taken twice");
        for account in 0..8 {
            let spent: Vec<u64> = taken.iter().filter(|t| t.1 == account).map(|t| t.2).collect();
            prop_assert_eq!(spent.clone(), (0..spent.len() as u64).collect::<Vec<_>>());
        }
        // Every accepted exit is in exactly one place.
        let mut placed: Vec<u64> = engine.live().iter().flat_map(|b| b.exits.iter().map(|e| e.id)).collect();
        for id in &accepted {
            let status = engine.exit_status(*id).unwrap().unwrap();
            let status = status["status"].as_str().unwrap().to_owned();
            if status == "queued" { placed.push(*id); }
            if status == "confirmed" { prop_assert!(ids.binary_search(id).is_ok()); }
        }
        placed.extend(ids.iter().copied());
        placed.sort_unstable();
        let mut expected = accepted.clone();
        expected.sort_unstable();
        prop_assert_eq!(placed, expected);
    }
}
