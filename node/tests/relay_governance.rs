//! The relayer follows the governance of its segment's boundary (rule
//! G8): when the stream's mirror moves the silos and nothing else (a cap
//! lowered, collateral withdrawn), the relayer neither halts nor waits for
//! a state feed. Its published batch, proven on the old boundary, is left
//! to the stream's verdict; then its live batches are planned again in
//! place on the new boundary (a step its validators already attested is
//! still taken), or, where one no longer fits, every exit is admitted
//! again and one that no longer fits is refused with its reason. An
//! effective cap halved by the automatic rule limits what it batches.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use bulkhead_node::relay::engine::{BatchPolicy, ExitSubmission, StreamView};
use bulkhead_node::relay::store::now_ms;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::{Lane, SegmentState};
use bulkhead_testkit::chain::{SEED, SHAPE};
use bulkhead_testkit::sample::{ASSET, EPOCH};
use bulkhead_testkit::signed::{exit_request_json, segment};
use common::{prove_all, relay_engine};

fn policy() -> BatchPolicy {
    BatchPolicy {
        deadline: std::time::Duration::ZERO,
        max_queued: 100,
        max_queued_per_account: 100,
    }
}

/// Account `account`'s (asset 1) exit of `amount` to segment 2 at `nonce`.
fn request(account: u64, nonce: u64, amount: u64) -> ExitSubmission {
    let json = exit_request_json(
        SEED,
        1,
        2,
        ASSET,
        account,
        nonce,
        Fp::from(900 + account),
        amount,
    );
    serde_json::from_value(json).unwrap()
}

/// The stream, read up to `position`, with segment 1 at `state` and the
/// effective caps `halved` (asset 1 halved if true).
fn view_at(state: &SegmentState, position: u64, halved: bool) -> StreamView {
    let silos: BTreeMap<u64, _> = state
        .silos()
        .values()
        .map(|silo| {
            let cap = if halved && silo.asset == ASSET {
                silo.cap / 2
            } else {
                silo.cap
            };
            (silo.asset, (*silo, cap))
        })
        .collect();
    StreamView {
        position,
        epoch: EPOCH,
        next_seq: state.exit_seq(),
        quarantined: false,
        boundary: state.boundary_root(),
        height: 0,
        tip: Some((state.accounts_root(), true)),
        governed_lanes: Default::default(),
        boundary_silos: Arc::new(silos),
    }
}

#[test]
fn a_withdrawal_is_followed_without_a_halt_and_what_no_longer_fits_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dir: &Path = dir.path();
    let mut engine = relay_engine(dir, policy());
    let genesis = segment(SEED, 1, &SHAPE).unwrap();
    let at_genesis = view_at(&genesis, 0, false);
    let small = engine.submit(&request(0, 0, 10)).unwrap().id;
    let large = engine.submit(&request(2, 0, 500)).unwrap().id;
    assert_eq!(engine.form_batches(&at_genesis, now_ms()).unwrap(), 1);
    prove_all(&mut engine, dir);
    let batch = engine.live()[0].row.id;
    assert!(engine.next_outgoing(&at_genesis).unwrap().is_some());
    engine.published(batch, 2).unwrap();

    // The validators withdrew asset 1's collateral down to 100 at
    // position 1, before the batch (proven on the old boundary) landed.
    let mut governed = genesis.clone();
    let mut silo = *governed.silo(ASSET).unwrap();
    silo.collateral = 100;
    governed.set_silo(silo).unwrap();
    let before_verdict = view_at(&governed, 1, false);
    engine.reconcile(&before_verdict).unwrap();
    assert!(engine.halted().is_none() && engine.behind().is_none());
    assert_eq!(
        engine.live().len(),
        1,
        "the published batch awaits its verdict"
    );
    assert!(engine.next_outgoing(&before_verdict).unwrap().is_none());
    assert_eq!(
        engine.form_batches(&before_verdict, now_ms()).unwrap(),
        0,
        "nothing is planned on the old boundary"
    );

    // The stream refused it (G2 boundary): the relayer takes the new
    // boundary, refuses what no longer fits it, and plans the rest on it.
    let judged = view_at(&governed, 2, false);
    engine.reconcile(&judged).unwrap();
    assert!(engine.halted().is_none() && engine.behind().is_none());
    let refused = engine.exit_status(large).unwrap().unwrap();
    assert_eq!(refused["status"], "refused", "{refused}");
    assert!(refused["reason"]
        .as_str()
        .unwrap()
        .contains("boundary changed (governance)"));
    assert_eq!(
        engine.exit_status(small).unwrap().unwrap()["status"],
        "queued"
    );
    assert_eq!(engine.form_batches(&judged, now_ms()).unwrap(), 1);
    let instance = engine.live()[0].planned.outcome.instance;
    assert_eq!(instance.boundary_before, governed.boundary_root());

    // Durable: a restart holds the governed state.
    drop(engine);
    let engine = relay_engine(dir, policy());
    assert_eq!(
        engine.live()[0].planned.outcome.instance.boundary_before,
        governed.boundary_root()
    );
}

#[test]
fn a_halved_effective_cap_limits_what_is_batched() {
    let dir = tempfile::tempdir().unwrap();
    let dir: &Path = dir.path();
    let mut engine = relay_engine(dir, policy());
    let genesis = segment(SEED, 1, &SHAPE).unwrap();
    let silo = *genesis.silo(ASSET).unwrap();
    // Room for one exit under the halved cap, not for two.
    let room = silo.cap / 2
        - if silo.window_epoch == EPOCH {
            silo.window_outflow
        } else {
            0
        };
    engine.submit(&request(2, 0, room - 5)).unwrap();
    engine.submit(&request(0, 0, 10)).unwrap();
    let halved = view_at(&genesis, 0, true);
    assert_eq!(engine.form_batches(&halved, now_ms()).unwrap(), 1);
    assert_eq!(
        engine.live()[0].row.count,
        1,
        "only what the halved cap lets out"
    );
    assert_eq!(engine.queued(), 1);
}

#[test]
fn a_batch_whose_step_was_attested_is_planned_again_in_place_on_the_governed_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let dir: &Path = dir.path();
    let mut engine = relay_engine(dir, policy());
    let genesis = segment(SEED, 1, &SHAPE).unwrap();
    let at_genesis = view_at(&genesis, 0, false);
    let exits: Vec<u64> = [(0, 10), (2, 20)]
        .iter()
        .map(|(account, amount)| engine.submit(&request(*account, 0, *amount)).unwrap().id)
        .collect();
    assert_eq!(engine.form_batches(&at_genesis, now_ms()).unwrap(), 1);
    prove_all(&mut engine, dir);
    let batch = engine.live()[0].row.id;
    let step = engine.live()[0].planned.outcome.instance.accounts_after;
    engine.published(batch, 3).unwrap();

    // The validators attested the batch's post-exit root (the step it
    // takes), then a cap was cut, before the bundle landed: it is refused
    // for its boundary, and its exits are already spent in the attested
    // state. Requeued and admitted again they would be refused as spent:
    // the batch must go again as it was, on the new boundary.
    let mut governed = genesis.clone();
    let mut silo = *governed.silo(ASSET).unwrap();
    silo.cap -= 1;
    governed.set_silo(silo).unwrap();
    let mut view = view_at(&governed, 2, false);
    view.tip = Some((step, true));
    view.height = 1;
    engine.reconcile(&view).unwrap();
    assert_eq!(engine.live().len(), 1, "waits for the verdict");
    view.position = 3;
    engine.reconcile(&view).unwrap();
    assert!(engine.halted().is_none() && engine.behind().is_none());
    let live = &engine.live()[0];
    assert_eq!((live.row.id, live.row.status.as_str()), (batch, "planned"));
    let instance = live.planned.outcome.instance;
    assert_eq!(instance.accounts_after, step, "the attested step, again");
    assert_eq!(instance.boundary_before, governed.boundary_root());
    for id in exits {
        assert_eq!(
            engine.exit_status(id).unwrap().unwrap()["status"],
            "in_batch"
        );
    }
    // A restart replays it on the governed base.
    drop(engine);
    let engine = relay_engine(dir, policy());
    assert_eq!(engine.live()[0].planned.outcome.instance, instance);
}

#[test]
fn a_removed_lane_is_followed_and_its_queued_exits_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let dir: &Path = dir.path();
    let mut engine = relay_engine(dir, policy());
    let genesis = segment(SEED, 1, &SHAPE).unwrap();
    let queued = engine.submit(&request(0, 0, 10)).unwrap().id;

    // The validators removed the lane (2, 1): every gate's mirror holds
    // the lanes tree without it, and records the emptied position.
    let lane = Lane {
        dst: 2,
        asset: ASSET,
    };
    let position = genesis.lanes()[&lane];
    let mut governed = genesis.clone();
    governed.set_lane_at(position, None).unwrap();
    let mut view = view_at(&governed, 1, false);
    view.governed_lanes = Arc::new(BTreeMap::from([(position, None)]));
    engine.reconcile(&view).unwrap();
    assert!(engine.halted().is_none() && engine.behind().is_none());
    let refused = engine.exit_status(queued).unwrap().unwrap();
    assert_eq!(refused["status"], "refused", "{refused}");
    let reason = refused["reason"].as_str().unwrap();
    assert!(
        reason.contains("boundary changed (governance)") && reason.contains("no lane"),
        "{reason}"
    );
    assert_eq!(engine.form_batches(&view, now_ms()).unwrap(), 0);
    // A new exit on the lane is refused at intake, naming it.
    let late = engine.submit(&request(2, 0, 10));
    assert!(late.is_err(), "an exit on a removed lane is taken");

    // Durable: a restart holds the governed lanes.
    drop(engine);
    let mut engine = relay_engine(dir, policy());
    assert!(engine.submit(&request(2, 0, 10)).is_err());
}

#[test]
fn a_lane_moved_to_a_lower_position_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let dir: &Path = dir.path();
    let mut engine = relay_engine(dir, policy());
    let genesis = segment(SEED, 1, &SHAPE).unwrap();
    // Lanes (2, 1) at 0 and (3, 1) at 1 removed, then (3, 1) added at 0:
    // the gates' record says 0 holds (3, 1) and 1 is empty.
    let moved = Lane {
        dst: 3,
        asset: ASSET,
    };
    let (main, from) = (
        Lane {
            dst: 2,
            asset: ASSET,
        },
        genesis.lanes()[&moved],
    );
    let mut governed = genesis.clone();
    governed.set_lane_at(genesis.lanes()[&main], None).unwrap();
    governed.set_lane_at(from, None).unwrap();
    governed.set_lane_at(0, Some(moved)).unwrap();
    let mut view = view_at(&governed, 1, false);
    view.governed_lanes = Arc::new(BTreeMap::from([(0, Some(moved)), (from, None)]));
    engine.reconcile(&view).unwrap();
    assert!(engine.halted().is_none() && engine.behind().is_none());
    // An exit on the moved lane is taken and planned on the new tree.
    let exit = exit_request_json(SEED, 1, 3, ASSET, 0, 0, Fp::from(900), 10);
    let exit: ExitSubmission = serde_json::from_value(exit).unwrap();
    engine.submit(&exit).unwrap();
    assert_eq!(engine.form_batches(&view, now_ms()).unwrap(), 1);
    let instance = engine.live()[0].planned.outcome.instance;
    assert_eq!(instance.boundary_before, governed.boundary_root());
}
