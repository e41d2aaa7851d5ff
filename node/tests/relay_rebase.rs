//! The relayer follows its segment: when the segment's own execution
//! moves its state (an import credited, a trade), the relayer stops
//! forming batches instead of halting, refuses state feeds that are not
//! the attested state, and on the attested one rebases its queue: exits
//! that still fit keep their order, each one that does not is refused with
//! its reason and reported, and the next batch is proven from the
//! stream's new boundary. A restart resumes the rebased state.

mod common;

use std::path::Path;

use bulkhead_node::relay::engine::{
    AccountLeaf, BatchPolicy, Engine, ExitSubmission, RebaseError, RebaseRefusal, StateFeed,
    StreamView,
};
use bulkhead_node::relay::store::now_ms;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::SegmentState;
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_testkit::chain::{SEED, SHAPE};
use bulkhead_testkit::sample::{ASSET, EPOCH};
use bulkhead_testkit::signed::{exit_request_json, segment};
use common::relay_engine;

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

/// The stream as a watcher reports it with the segment at `state`, its
/// tip signed or not.
fn view_of(state: &SegmentState, attested: bool) -> StreamView {
    StreamView {
        position: 5,
        epoch: EPOCH,
        next_seq: state.exit_seq(),
        quarantined: false,
        boundary: state.boundary_root(),
        height: 0,
        tip: Some((state.accounts_root(), attested)),
        governed_lanes: Default::default(),
        boundary_silos: Default::default(),
    }
}

fn refused(engine: &mut Engine, feed: &StateFeed, view: &StreamView) -> RebaseRefusal {
    match engine.rebase(feed, view) {
        Err(RebaseError::Refused(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn status(engine: &Engine, id: u64) -> serde_json::Value {
    engine.exit_status(id).unwrap().unwrap()
}

#[test]
fn the_relayer_rebases_on_its_segments_attested_state() {
    let dir = tempfile::tempdir().unwrap();
    let dir: &Path = dir.path();
    let mut engine = relay_engine(dir, policy());
    let genesis = segment(SEED, 1, &SHAPE).unwrap();
    // Accounts 0 and 2 fill a batch; account 4 waits in the queue.
    let ids: Vec<u64> = [(0, 10), (2, 10), (4, 10)]
        .iter()
        .map(|(account, amount)| engine.submit(&request(*account, 0, *amount)).unwrap().id)
        .collect();
    assert_eq!(
        engine
            .form_batches(&view_of(&genesis, true), now_ms())
            .unwrap(),
        1
    );
    assert_eq!(engine.queued(), 1);

    // The segment's own execution: it imports 30 into account 4, account
    // 0 trades most of its balance away, and account 2's owner spends its
    // nonce 0 inside the segment. The validators attest the new root.
    let mut moved = genesis.clone();
    moved.import(ASSET, &[(4, 30)]).unwrap();
    let mut a0 = *moved.account(0).unwrap();
    a0.balance = 5;
    moved.set_account(0, a0).unwrap();
    let mut a2 = *moved.account(2).unwrap();
    a2.nonce += 1;
    moved.set_account(2, a2).unwrap();
    let view = view_of(&moved, true);

    // The relayer sees its segment moved: it waits instead of halting,
    // and its batch planned on the old state goes back to the queue.
    let done = engine.reconcile(&view).unwrap();
    assert!(done.superseded.is_some());
    assert!(engine.behind().is_some());
    assert!(engine.halted().is_none());
    assert!(engine.live().is_empty());
    assert_eq!(engine.form_batches(&view, now_ms()).unwrap(), 0);
    assert!(engine.status(&view).unwrap()["behind"].is_string());

    // Feeds that are not the attested state are refused, changing nothing.
    let snapshot = |state: &SegmentState| StateFeed::Snapshot {
        snapshot: Snapshot::from_state(state, SHAPE),
    };
    assert!(matches!(
        refused(&mut engine, &snapshot(&moved), &view_of(&moved, false)),
        RebaseRefusal::NotAttested
    ));
    let only_the_import = StateFeed::Leaves {
        accounts: vec![AccountLeaf {
            index: 4,
            account: *moved.account(4).unwrap(),
        }],
        silos: vec![*moved.silo(ASSET).unwrap()],
    };
    assert!(matches!(
        refused(&mut engine, &only_the_import, &view),
        RebaseRefusal::NotAttested
    ));
    let accounts_without_silo = StateFeed::Leaves {
        accounts: [0, 2, 4]
            .iter()
            .map(|i| AccountLeaf {
                index: *i,
                account: *moved.account(*i).unwrap(),
            })
            .collect(),
        silos: Vec::new(),
    };
    assert!(matches!(
        refused(&mut engine, &accounts_without_silo, &view),
        RebaseRefusal::OtherBoundary
    ));
    let other = segment(SEED, 2, &SHAPE).unwrap();
    assert!(matches!(
        refused(&mut engine, &snapshot(&other), &view),
        RebaseRefusal::OtherSegment { .. }
    ));
    assert!(engine.behind().is_some());
    assert_eq!(status(&engine, ids[0])["status"], "queued");

    // The attested state: the queue is rebased on it.
    let rebased = engine.rebase(&snapshot(&moved), &view).unwrap();
    assert_eq!(rebased.queued, 1);
    let refused_ids: Vec<u64> = rebased.refused.iter().map(|(id, _)| *id).collect();
    assert_eq!(refused_ids, vec![ids[0], ids[1]]);
    assert!(engine.behind().is_none());
    let first = status(&engine, ids[0]);
    assert_eq!(first["status"], "refused");
    assert!(
        first["reason"].as_str().unwrap().contains("holds 5"),
        "{first}"
    );
    let second = status(&engine, ids[1]);
    assert!(
        second["reason"].as_str().unwrap().contains("nonce"),
        "{second}"
    );
    assert_eq!(status(&engine, ids[2])["status"], "queued");

    // The owner of account 0 asks again at the same nonce, for what it
    // holds now: the refused exit no longer holds the nonce.
    let again = engine.submit(&request(0, 0, 5)).unwrap();
    assert!(!again.repeat);
    // The next batch starts from the stream's new boundary and root.
    assert_eq!(engine.form_batches(&view, now_ms()).unwrap(), 1);
    let instance = engine.live()[0].planned.outcome.instance;
    assert_eq!(instance.boundary_before, moved.boundary_root());
    assert_eq!(instance.accounts_before, moved.accounts_root());

    // A restart resumes the rebased state and its batch.
    drop(engine);
    let engine = relay_engine(dir, policy());
    assert_eq!(engine.live().len(), 1);
    assert_eq!(
        engine.live()[0].planned.outcome.instance.boundary_before,
        moved.boundary_root()
    );
    assert_eq!(status(&engine, ids[1])["status"], "refused");
}

#[test]
fn a_feed_waits_for_published_batches_to_be_judged() {
    let dir = tempfile::tempdir().unwrap();
    let dir: &Path = dir.path();
    let mut engine = relay_engine(dir, policy());
    let genesis = segment(SEED, 1, &SHAPE).unwrap();
    engine.submit(&request(0, 0, 10)).unwrap();
    engine.submit(&request(2, 0, 10)).unwrap();
    engine
        .form_batches(&view_of(&genesis, true), now_ms())
        .unwrap();
    let path = dir.join("b.bundle");
    std::fs::write(&path, b"").unwrap();
    assert!(engine.finish_proof(1, &path).unwrap());
    engine.published(1, 9).unwrap();
    let mut moved = genesis.clone();
    moved.import(ASSET, &[(4, 30)]).unwrap();
    // The import reached the stream before the batch (position 9 is not
    // read yet): the relayer waits, and a feed waits for the batch.
    let view = view_of(&moved, true);
    engine.reconcile(&view).unwrap();
    assert!(engine.behind().is_some());
    let feed = StateFeed::Snapshot {
        snapshot: Snapshot::from_state(&moved, SHAPE),
    };
    assert!(matches!(
        refused(&mut engine, &feed, &view),
        RebaseRefusal::InFlight { published: 1 }
    ));
    // The stream refused the batch (its boundary is gone): it is
    // superseded, and the feed is taken.
    let judged = StreamView {
        position: 9,
        ..view
    };
    assert!(engine.reconcile(&judged).unwrap().superseded.is_some());
    let rebased = engine.rebase(&feed, &judged).unwrap();
    assert_eq!((rebased.queued, rebased.refused.len()), (2, 0));
}
