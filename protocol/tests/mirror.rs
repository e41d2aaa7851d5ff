//! The boundary mirror follows a source from its registration's openings
//! alone: after every batch the model applies, the mirror moved by the
//! batch's public inputs has the model's boundary root, and a change the
//! boundary rules forbid is refused.

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::instance::Instance;
use bulkhead_protocol::mirror::{BoundaryMirror, MirrorError, OpenedTree};
use bulkhead_protocol::model::{SegmentState, Silo, SiloRefusal};
use bulkhead_protocol::CircuitShape;
use bulkhead_testkit::sample::{self, ASSET, DST, EPOCH, OTHER_ASSET};
use proptest::prelude::*;

const SHAPE: CircuitShape = CircuitShape::TINY;

/// The mirror a gate builds from the segment's registration.
fn mirror_of(state: &SegmentState) -> BoundaryMirror {
    let silos = state.silos().values().map(|silo| {
        let path = state.silo_path(silo.asset).unwrap();
        (*silo, path.siblings)
    });
    BoundaryMirror::new(
        SHAPE.silo_depth,
        silos.collect::<Vec<_>>(),
        state.lanes_root(),
        state.exit_seq(),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_mirror_tracks_the_models_boundary(
        batches in prop::collection::vec((0u64..4, 0u64..3, 1u128..1500, 0u64..900), 1..12),
    ) {
        let mut state = sample::segment(1, &SHAPE).unwrap();
        let mut mirror = mirror_of(&state);
        prop_assert_eq!(mirror.root(), state.boundary_root());
        for (account, epoch_step, amount, imported) in batches {
            // Accounts 0, 2, 4, 6 hold asset 1; 1, 3, 5, 7 asset 2.
            let (account, asset) = if account % 2 == 0 { (account, ASSET) } else { (account, OTHER_ASSET) };
            let mut request = sample::batch(EPOCH + epoch_step, &[(account, amount)]);
            request.asset = asset;
            request.dst = DST;
            let before = state.clone();
            let Ok(outcome) = state.apply_exits(&request, &SHAPE) else {
                state = before;
                continue;
            };
            let root = mirror.apply_exits(&outcome.instance).unwrap();
            prop_assert_eq!(root, outcome.instance.boundary_after);
            prop_assert_eq!(root, state.boundary_root());
            prop_assert_eq!(mirror.silo(asset), state.silo(asset));
            // The segment imports (credits an account and raises the
            // collateral); the mirror's import reaches the same boundary.
            if imported > 0 {
                prop_assert_eq!(state.import(asset, &[(account, imported)]).unwrap(), imported);
                let root = mirror.apply_import(asset, imported).unwrap();
                prop_assert_eq!(root, state.boundary_root());
            }
        }
    }
}

#[test]
fn a_model_import_is_all_or_nothing() {
    let mut state = sample::segment(1, &SHAPE).unwrap();
    let before = state.clone();
    // Account 1 holds asset 2: the credit to account 0 before it is undone.
    assert!(state.import(ASSET, &[(0, 5), (1, 5)]).is_err());
    assert!(state.import(ASSET, &[(0, 5), (99, 5)]).is_err());
    assert!(state.import(ASSET, &[(0, u64::MAX)]).is_err());
    assert!(state.import(9, &[(0, 5)]).is_err());
    assert_eq!(state.accounts_root(), before.accounts_root());
    assert_eq!(state.boundary_root(), before.boundary_root());
    // One account twice: both credits land.
    let balance = state.account(0).unwrap().balance;
    let collateral = state.silo(ASSET).unwrap().collateral;
    assert_eq!(state.import(ASSET, &[(0, 5), (0, 7)]).unwrap(), 12);
    assert_eq!(state.account(0).unwrap().balance, balance + 12);
    assert_eq!(state.silo(ASSET).unwrap().collateral, collateral + 12);
}

fn instance(state: &SegmentState, asset: u64, epoch: u64, total: u64) -> Instance {
    Instance {
        src: state.id(),
        dst: DST,
        asset,
        epoch,
        accounts_before: Fp::zero(),
        accounts_after: Fp::zero(),
        boundary_before: state.boundary_root(),
        boundary_after: Fp::zero(),
        first_seq: state.exit_seq(),
        exit_count: 1,
        total,
        exits_root: Fp::zero(),
    }
}

#[test]
fn a_change_the_boundary_rules_forbid_is_refused_and_changes_nothing() {
    let state = sample::segment(1, &SHAPE).unwrap();
    let mirror = mirror_of(&state);
    let refused = |instance: Instance| {
        let mut copy = mirror.clone();
        let error = copy.apply_exits(&instance).unwrap_err();
        assert_eq!(copy, mirror, "nothing changed");
        error
    };
    // The sample silos: collateral 20,000, cap 6,000, window at EPOCH with
    // 1,000 out.
    assert_eq!(
        refused(instance(&state, ASSET, EPOCH, 5_001)),
        MirrorError::Silo {
            asset: ASSET,
            refusal: SiloRefusal::CapExceeded { outflow: 1_000 }
        }
    );
    assert_eq!(
        refused(instance(&state, ASSET, EPOCH - 1, 1)),
        MirrorError::Silo {
            asset: ASSET,
            refusal: SiloRefusal::EpochBackwards {
                window_epoch: EPOCH
            }
        }
    );
    assert_eq!(
        refused(instance(&state, 3, EPOCH, 1)),
        MirrorError::UndeclaredSilo { asset: 3 }
    );
    let mut hostile = instance(&state, ASSET, EPOCH + 1, u64::MAX);
    assert!(matches!(
        refused(hostile),
        MirrorError::Silo {
            refusal: SiloRefusal::CollateralExhausted { .. },
            ..
        }
    ));
    hostile = instance(&state, ASSET, EPOCH + 1, 1);
    hostile.first_seq = 5;
    assert_eq!(
        refused(hostile),
        MirrorError::OtherSequence {
            first_seq: 5,
            exit_seq: 0
        }
    );
    // Collateral drains over epochs, never below zero: 20,000 in four
    // epochs of 5,000, then nothing more.
    let mut draining = mirror.clone();
    let mut next = state.clone();
    for step in 1..=4 {
        let mut at = instance(&next, ASSET, EPOCH + step, 5_000);
        at.first_seq = draining.exit_seq();
        draining.apply_exits(&at).unwrap();
        next.restore_exit_seq(draining.exit_seq());
    }
    assert_eq!(draining.silo(ASSET).unwrap().collateral, 0);
    let mut more = instance(&next, ASSET, EPOCH + 5, 1);
    more.first_seq = draining.exit_seq();
    assert!(matches!(
        draining.apply_exits(&more),
        Err(MirrorError::Silo {
            refusal: SiloRefusal::CollateralExhausted { collateral: 0 },
            ..
        })
    ));
}

#[test]
fn openings_that_are_not_of_one_tree_are_refused() {
    let state = sample::segment(1, &SHAPE).unwrap();
    let depth = SHAPE.silo_depth;
    let opening = |asset: u64| {
        let silo = state.silo(asset).unwrap();
        (asset, silo.leaf(), state.silo_path(asset).unwrap().siblings)
    };
    let tree = OpenedTree::from_openings(depth, 2, [opening(ASSET), opening(OTHER_ASSET)]);
    assert!(tree.is_err() || tree.is_ok(), "tag only changes the hashes");
    let honest = OpenedTree::from_openings(
        depth,
        bulkhead_protocol::hash::tag::SILO_NODE,
        [opening(ASSET), opening(OTHER_ASSET)],
    )
    .unwrap();
    assert!(honest.is_opened(ASSET) && !honest.is_opened(3));
    let mut forged = opening(OTHER_ASSET);
    forged.1 = Fp::from(99);
    assert!(matches!(
        OpenedTree::from_openings(
            depth,
            bulkhead_protocol::hash::tag::SILO_NODE,
            [opening(ASSET), forged]
        ),
        Err(MirrorError::Inconsistent { .. })
    ));
    assert_eq!(
        OpenedTree::from_openings(
            depth,
            bulkhead_protocol::hash::tag::SILO_NODE,
            [opening(ASSET), opening(ASSET)]
        ),
        Err(MirrorError::OpenedTwice { index: ASSET })
    );
    let mut short = opening(ASSET);
    short.2.pop();
    assert!(matches!(
        OpenedTree::from_openings(depth, bulkhead_protocol::hash::tag::SILO_NODE, [short]),
        Err(MirrorError::BadOpening { .. })
    ));
}

#[test]
fn a_lane_change_follows_the_model_and_a_stale_opening_changes_nothing() {
    let state = sample::segment(1, &SHAPE).unwrap();
    let mut mirror = mirror_of(&state);
    let lane = bulkhead_protocol::model::Lane {
        dst: DST,
        asset: ASSET,
    };
    let position = state.lanes()[&lane];
    let opening = state.lane_path(position).unwrap().siblings;
    let zero = Fp::from(0);
    let mut model = state.clone();
    model.set_lane_at(position, None).unwrap();
    let root = mirror
        .set_lane(SHAPE.lanes_depth, position, lane.leaf(), zero, &opening)
        .unwrap();
    assert_eq!(root, model.boundary_root());
    assert_eq!(mirror.lanes_root(), model.lanes_root());
    // The same opening again is of the old tree: refused, nothing moves;
    // so is a position past the tree or a path of another length.
    let before = mirror.clone();
    for (at, siblings) in [
        (position, opening.clone()),
        (1 << SHAPE.lanes_depth, opening.clone()),
        (u64::MAX, opening.clone()),
        (position, opening[1..].to_vec()),
    ] {
        let refused = mirror.set_lane(SHAPE.lanes_depth, at, lane.leaf(), zero, &siblings);
        assert!(
            matches!(refused, Err(MirrorError::LaneOpening { .. })),
            "{refused:?}"
        );
        assert_eq!(mirror, before);
    }
    // Put back: the registered root again.
    let opening = model.lane_path(position).unwrap().siblings;
    mirror
        .set_lane(SHAPE.lanes_depth, position, zero, lane.leaf(), &opening)
        .unwrap();
    assert_eq!(mirror.root(), state.boundary_root());
}

#[test]
fn a_segment_with_a_lane_gap_reads_back_from_its_snapshot() {
    use bulkhead_protocol::snapshot::Snapshot;
    let mut state = sample::segment(1, &SHAPE).unwrap();
    let dense = Snapshot::from_state(&state, SHAPE);
    assert!(dense.lanes.iter().all(|l| l.position.is_none()));
    let first = *state.lanes().iter().find(|(_, p)| **p == 0).unwrap().0;
    state.set_lane_at(0, None).unwrap();
    let gapped = Snapshot::from_state(&state, SHAPE);
    assert!(gapped.lanes.iter().all(|l| l.position.is_some()));
    let back = gapped.to_state().unwrap();
    assert_eq!(back.boundary_root(), state.boundary_root());
    assert_eq!(back.lanes(), state.lanes());
    // A lane added later takes the gap, not a position past the count.
    let mut back = back;
    assert_eq!(back.allow_lane(first).unwrap(), 0);
    // A snapshot naming one lane at two positions is refused.
    let mut twice = Snapshot::from_state(&back, SHAPE);
    twice.lanes[1] = bulkhead_protocol::snapshot::LaneEntry {
        position: Some(3),
        ..twice.lanes[0]
    };
    twice.lanes[0].position = Some(0);
    assert!(twice.to_state().is_err());
}

#[test]
fn a_silo_added_by_an_older_opening_reaches_the_models_root() {
    let state = sample::segment(1, &SHAPE).unwrap();
    let mut mirror = mirror_of(&state);
    // Opened before asset 1's silo moved: the siblings on its path are
    // stale, and the mirror reads them from itself.
    let siblings = state.silo_path(9).unwrap().siblings;
    let outflow = instance(&state, ASSET, EPOCH, 40);
    mirror.apply_exits(&outflow).unwrap();
    let added = Silo {
        asset: 9,
        collateral: 0,
        cap: 70,
        window_epoch: 0,
        window_outflow: 0,
    };
    let before = mirror.clone();
    // A sibling the mirror does not know must be the given one.
    let mut wrong = siblings.clone();
    wrong[0] = Fp::from(1);
    assert_eq!(
        mirror.add_silo(added, &wrong),
        Err(MirrorError::SiloOpening { asset: 9 })
    );
    assert_eq!(
        mirror.add_silo(
            Silo {
                asset: ASSET,
                ..added
            },
            &siblings
        ),
        Err(MirrorError::DeclaredSilo { asset: ASSET })
    );
    assert_eq!(mirror, before);
    let root = mirror.add_silo(added, &siblings).unwrap();
    let mut model = state.clone();
    for silo in mirror.silos().values() {
        model.set_silo(*silo).unwrap();
    }
    model.restore_exit_seq(mirror.exit_seq());
    assert_eq!(root, model.boundary_root());
}
