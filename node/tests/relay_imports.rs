//! The relayer publishes its segment's imports in order with its batches:
//! an import signed on the relayer's tip is checked against it (parent,
//! height, the leaves making its root, the silo it raises), refused with a
//! named reason otherwise, and taken durably; every later batch is planned
//! on the state it credits (so its proof starts from the boundary the
//! gates will hold), the import goes to the stream only once every batch
//! before it is in the chain, and the batches after it only once it is.
//! An import the stream refuses is dropped with its reason, the batches
//! planned on it go back to the queue, and an exit that only fitted with
//! its credit is refused with its reason.

mod common;

use std::path::Path;

use bulkhead_node::relay::engine::{
    AccountLeaf, BatchPolicy, Engine, ExitSubmission, ImportError, ImportRefusal, ImportSubmission,
    Outgoing, StreamView,
};
use bulkhead_node::relay::store::{now_ms, RelayStore};
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::SegmentState;
use bulkhead_testkit::chain::{SEED, SHAPE};
use bulkhead_testkit::gate::{import_on, STREAM_ID, VALIDATOR_THRESHOLD};
use bulkhead_testkit::sample::{ASSET, EPOCH};
use bulkhead_testkit::signed::{exit_request_json, segment};
use bulkhead_verifier::gate::Import;
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

/// The stream with segment 1's chain at `state`, `height` steps from its
/// genesis, read up to `position`.
fn view_at(state: &SegmentState, attested: bool, height: u64, position: u64) -> StreamView {
    StreamView {
        position,
        epoch: EPOCH,
        next_seq: state.exit_seq(),
        quarantined: false,
        boundary: state.boundary_root(),
        height,
        tip: Some((state.accounts_root(), attested)),
        governed_lanes: Default::default(),
        boundary_silos: std::sync::Arc::new(
            state
                .silos()
                .values()
                .map(|silo| (silo.asset, (*silo, silo.cap)))
                .collect(),
        ),
    }
}

/// Segment 1's import at `height` from `parent` to `root`, signed by a
/// threshold of its validators.
fn signed(height: u64, parent: Fp, root: Fp, asset: u64, amount: u64) -> Import {
    import_on(
        STREAM_ID,
        SEED,
        1,
        height,
        parent,
        root,
        asset,
        amount,
        VALIDATOR_THRESHOLD,
    )
}

/// `state` with `amount` imported into account 0, and the leaf it sets.
fn credit_account_0(state: &SegmentState, amount: u64) -> (SegmentState, Vec<AccountLeaf>) {
    let mut credited = state.clone();
    credited.import(ASSET, &[(0, amount)]).unwrap();
    let leaf = AccountLeaf {
        index: 0,
        account: *credited.account(0).unwrap(),
    };
    (credited, vec![leaf])
}

fn refusal(engine: &mut Engine, submission: &ImportSubmission, view: &StreamView) -> ImportRefusal {
    match engine.take_import(submission, view) {
        Err(ImportError::Refused(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn outgoing(engine: &mut Engine, view: &StreamView) -> Option<String> {
    engine.next_outgoing(view).unwrap().map(|o| match o {
        Outgoing::Bundle { id, .. } => format!("bundle {id}"),
        Outgoing::Import { id, .. } => format!("import {id}"),
    })
}

fn import_status(dir: &Path, id: u64) -> String {
    RelayStore::open_reader(dir)
        .unwrap()
        .import(id)
        .unwrap()
        .unwrap()
        .status
}

#[test]
fn the_relayer_publishes_its_import_in_order_with_its_batches() {
    let dir = tempfile::tempdir().unwrap();
    let dir: &Path = dir.path();
    let mut engine = relay_engine(dir, policy());
    let genesis = segment(SEED, 1, &SHAPE).unwrap();
    let at_genesis = view_at(&genesis, true, 0, 0);
    engine.submit(&request(0, 0, 10)).unwrap();
    engine.submit(&request(2, 0, 10)).unwrap();
    assert_eq!(engine.form_batches(&at_genesis, now_ms()).unwrap(), 1);

    // The validators sign on the relayer's tip: the state once batch 1 is
    // paid, one step above it.
    let mut tip = genesis.clone();
    tip.apply_exits(&engine.live()[0].planned_request(), &SHAPE)
        .unwrap();
    assert_eq!(
        engine.import_point(&at_genesis),
        (tip.accounts_root(), Some(2))
    );
    let (credited, leaves) = credit_account_0(&tip, 30);
    let submit = |import: Import| ImportSubmission {
        import,
        accounts: leaves.clone(),
    };
    let good = signed(2, tip.accounts_root(), credited.accounts_root(), ASSET, 30);

    // Each wrong import is refused by name, and changes nothing.
    let status_before = engine.status(&at_genesis).unwrap();
    let wrong = [
        (
            signed(
                2,
                genesis.accounts_root(),
                credited.accounts_root(),
                ASSET,
                30,
            ),
            "other_parent",
        ),
        (
            signed(1, tip.accounts_root(), credited.accounts_root(), ASSET, 30),
            "height",
        ),
        (
            signed(2, tip.accounts_root(), Fp::from(7), ASSET, 30),
            "other_root",
        ),
        (
            signed(2, tip.accounts_root(), credited.accounts_root(), ASSET, 0),
            "zero",
        ),
        (
            signed(2, tip.accounts_root(), credited.accounts_root(), 99, 30),
            "no_silo",
        ),
        (
            signed(
                2,
                tip.accounts_root(),
                credited.accounts_root(),
                ASSET,
                u64::MAX,
            ),
            "overflow",
        ),
        (
            Import {
                segment: 2,
                ..good.clone()
            },
            "other_segment",
        ),
    ];
    for (import, label) in wrong {
        let refused = refusal(&mut engine, &submit(import), &at_genesis);
        assert_eq!(refused.label(), label, "{refused}");
    }
    let beyond_the_tree = ImportSubmission {
        import: good.clone(),
        accounts: vec![AccountLeaf {
            index: 1 << 40,
            account: leaves[0].account,
        }],
    };
    assert_eq!(
        refusal(&mut engine, &beyond_the_tree, &at_genesis).label(),
        "bad_leaves"
    );
    assert!(engine.pending_import().is_none());
    assert_eq!(engine.status(&at_genesis).unwrap(), status_before);

    // The right one is taken, once; a retry is answered with its receipt.
    let receipt = engine
        .take_import(&submit(good.clone()), &at_genesis)
        .unwrap();
    assert_eq!((receipt.after_seq, receipt.repeat), (2, false));
    let again = engine
        .take_import(&submit(good.clone()), &at_genesis)
        .unwrap();
    assert_eq!((again.id, again.repeat), (receipt.id, true));
    let (twice, _) = credit_account_0(&credited, 1);
    let second = signed(3, credited.accounts_root(), twice.accounts_root(), ASSET, 1);
    assert_eq!(
        refusal(&mut engine, &submit(second), &at_genesis).label(),
        "import_open"
    );

    // Account 0 spends more than it had before the credit: admitted
    // against the credited tip, and planned on it (once the prover is
    // free), from the boundary the gates will hold once the import is in.
    let spend = tip.account(0).unwrap().balance + 20;
    engine.submit(&request(0, 1, spend)).unwrap();
    prove_all(&mut engine, dir);
    assert_eq!(engine.form_batches(&at_genesis, now_ms()).unwrap(), 1);
    let after = engine.live()[1].planned.outcome.instance;
    assert_eq!(after.boundary_before, credited.boundary_root());
    assert_eq!(after.accounts_before, credited.accounts_root());

    // Durable: a restart finds the import between the two batches.
    drop(engine);
    let mut engine = relay_engine(dir, policy());
    assert_eq!(engine.pending_import().unwrap().id, receipt.id);
    assert_eq!(engine.live()[1].planned.outcome.instance, after);

    // Batch 1 goes first; the import waits for it to be in the chain, and
    // batch 2 for the import.
    prove_all(&mut engine, dir);
    assert_eq!(engine.live().len(), 2);
    let (b1, b2) = (engine.live()[0].row.id, engine.live()[1].row.id);
    assert_eq!(
        outgoing(&mut engine, &at_genesis),
        Some(format!("bundle {b1}"))
    );
    engine.published(b1, 1).unwrap();
    assert_eq!(outgoing(&mut engine, &at_genesis), None);
    let b1_in = view_at(&tip, false, 1, 1);
    assert_eq!(engine.reconcile(&b1_in).unwrap().confirmed, (1, 2));
    assert_eq!(
        outgoing(&mut engine, &b1_in),
        Some(format!("import {}", receipt.id))
    );
    engine.import_published(receipt.id, 2).unwrap();
    assert_eq!(outgoing(&mut engine, &b1_in), None);
    assert_eq!(import_status(dir, receipt.id), "published");

    // In the chain: folded into the confirmed state, not taken for the
    // segment moving under the relayer; batch 2 goes.
    let import_in = view_at(&credited, true, 2, 2);
    engine.reconcile(&import_in).unwrap();
    assert!(engine.pending_import().is_none());
    assert!(engine.behind().is_none() && engine.halted().is_none());
    assert_eq!(import_status(dir, receipt.id), "landed");
    assert_eq!(
        RelayStore::open_reader(dir)
            .unwrap()
            .base()
            .unwrap()
            .to_state()
            .unwrap()
            .boundary_root(),
        credited.boundary_root()
    );
    assert_eq!(
        outgoing(&mut engine, &import_in),
        Some(format!("bundle {b2}"))
    );
}

#[test]
fn an_import_the_stream_refuses_is_dropped_and_what_relied_on_it_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dir: &Path = dir.path();
    let mut engine = relay_engine(dir, policy());
    let genesis = segment(SEED, 1, &SHAPE).unwrap();
    let at_genesis = view_at(&genesis, true, 0, 0);
    let (credited, leaves) = credit_account_0(&genesis, 30);
    let import = signed(
        1,
        genesis.accounts_root(),
        credited.accounts_root(),
        ASSET,
        30,
    );
    let receipt = engine
        .take_import(
            &ImportSubmission {
                import,
                accounts: leaves,
            },
            &at_genesis,
        )
        .unwrap();
    // One exit relies on the credit, one does not.
    let spend = genesis.account(0).unwrap().balance + 20;
    let relying = engine.submit(&request(0, 0, spend)).unwrap().id;
    let other = engine.submit(&request(2, 0, 10)).unwrap().id;
    engine.form_batches(&at_genesis, now_ms()).unwrap();
    assert!(
        !engine.live().is_empty(),
        "{}",
        engine.status(&at_genesis).unwrap()
    );
    assert_eq!(
        outgoing(&mut engine, &at_genesis),
        Some(format!("import {}", receipt.id))
    );
    engine.import_published(receipt.id, 1).unwrap();

    // The stream read past it and the chain did not take it (rule G7).
    let refused = view_at(&genesis, true, 0, 1);
    engine.reconcile(&refused).unwrap();
    assert!(engine.pending_import().is_none());
    assert!(engine.live().is_empty());
    assert!(engine.halted().is_none() && engine.behind().is_none());
    let row = RelayStore::open_reader(dir)
        .unwrap()
        .import(receipt.id)
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "dropped");
    assert!(row.note.unwrap().contains("G7"));
    let relying = engine.exit_status(relying).unwrap().unwrap();
    assert_eq!(relying["status"], "refused", "{relying}");
    assert!(relying["reason"]
        .as_str()
        .unwrap()
        .contains("the import it relied on was dropped"));
    assert_eq!(
        engine.exit_status(other).unwrap().unwrap()["status"],
        "queued"
    );
    assert_eq!(engine.queued(), 1);
}

#[test]
fn an_import_the_segment_moved_under_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let dir: &Path = dir.path();
    let mut engine = relay_engine(dir, policy());
    let genesis = segment(SEED, 1, &SHAPE).unwrap();
    let at_genesis = view_at(&genesis, true, 0, 0);
    let (credited, leaves) = credit_account_0(&genesis, 30);
    let import = signed(
        1,
        genesis.accounts_root(),
        credited.accounts_root(),
        ASSET,
        30,
    );
    let receipt = engine
        .take_import(
            &ImportSubmission {
                import,
                accounts: leaves,
            },
            &at_genesis,
        )
        .unwrap();
    // The validators attest another root of the segment's own execution
    // before the import is published: its parent is gone.
    let mut moved = genesis.clone();
    let mut a0 = *moved.account(0).unwrap();
    a0.balance -= 1;
    moved.set_account(0, a0).unwrap();
    engine.reconcile(&view_at(&moved, true, 1, 1)).unwrap();
    assert!(engine.behind().is_some());
    assert!(engine.pending_import().is_none());
    assert_eq!(import_status(dir, receipt.id), "dropped");
    assert!(engine
        .next_outgoing(&view_at(&moved, true, 1, 1))
        .unwrap()
        .is_none());
}

#[test]
fn an_import_that_lands_after_a_governance_change_is_taken_with_the_new_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let dir: &Path = dir.path();
    let mut engine = relay_engine(dir, policy());
    let genesis = segment(SEED, 1, &SHAPE).unwrap();
    let at_genesis = view_at(&genesis, true, 0, 0);
    let (credited, leaves) = credit_account_0(&genesis, 30);
    let import = signed(
        1,
        genesis.accounts_root(),
        credited.accounts_root(),
        ASSET,
        30,
    );
    let receipt = engine
        .take_import(
            &ImportSubmission {
                import,
                accounts: leaves,
            },
            &at_genesis,
        )
        .unwrap();
    assert!(outgoing(&mut engine, &at_genesis).is_some());
    engine.import_published(receipt.id, 2).unwrap();
    // A cap cut lands at position 1, the import (which G7 takes whatever
    // the cap) at 2.
    let cut = |state: &SegmentState| {
        let mut state = state.clone();
        let mut silo = *state.silo(ASSET).unwrap();
        silo.cap -= 1;
        state.set_silo(silo).unwrap();
        state
    };
    engine
        .reconcile(&view_at(&cut(&genesis), true, 0, 1))
        .unwrap();
    assert!(engine.pending_import().is_some(), "waits for its verdict");
    let landed = view_at(&cut(&credited), true, 1, 2);
    engine.reconcile(&landed).unwrap();
    assert!(engine.pending_import().is_none());
    assert_eq!(import_status(dir, receipt.id), "landed");
    assert!(engine.behind().is_none() && engine.halted().is_none());
    let base = RelayStore::open_reader(dir)
        .unwrap()
        .base()
        .unwrap()
        .to_state()
        .unwrap();
    assert_eq!(base.boundary_root(), landed.boundary);
    assert_eq!(base.accounts_root(), credited.accounts_root());
}
