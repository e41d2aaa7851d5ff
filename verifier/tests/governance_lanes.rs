//! Rule G8 on lanes and inbound limits: a removed lane takes effect at
//! once at every gate (its bundles are refused), an added one only after
//! the timelock, each carrying an opening of the lanes tree as it is; a
//! lowered inbound limit holds credits at every gate at once, a raise
//! frees them after the timelock; every wrong item is refused by name and
//! changes nothing.

mod common;

use bulkhead_protocol::model::{Lane, SegmentState};
use bulkhead_testkit::gate::{
    governance_on, GUARDIAN_THRESHOLD, INBOUND_LIMIT, STREAM_ID, VALIDATOR_THRESHOLD,
};
use bulkhead_testkit::sample;
use bulkhead_verifier::gate::{
    BoundaryChange, Effect, Gate, GovernanceRefusal, Refusal, Signers, StreamItem, DEFAULT_TIMELOCK,
};
use common::*;

/// The source governed: segment 1, which pays segment 2.
const SOURCE: u64 = 1;
const ASSET: u64 = sample::ASSET;
/// The lane every sample bundle leaves by, at position 0.
const MAIN: Lane = Lane {
    dst: 2,
    asset: ASSET,
};
/// The one empty position of segment 1's lanes tree (TINY: 4 positions,
/// 3 lanes).
const EMPTY: u64 = 3;

fn governed(seq: u64, change: BoundaryChange, by: Signers) -> StreamItem {
    let signers = match by {
        Signers::Validators => VALIDATOR_THRESHOLD,
        Signers::Guardians => GUARDIAN_THRESHOLD,
    };
    governance_on(STREAM_ID, SEED, SOURCE, seq, change, by, signers)
}

fn refused_governance(gate: &mut Gate, item: StreamItem) -> GovernanceRefusal {
    match refuse(gate, item) {
        Refusal::Governance(refusal) => refusal,
        other => panic!("not a G8 refusal: {other}"),
    }
}

fn segment() -> SegmentState {
    genesis()[&SOURCE].clone()
}

/// A removal of `lane` at `position`, opened in `state`'s lanes tree.
fn remove(state: &SegmentState, lane: Lane, position: u64) -> BoundaryChange {
    BoundaryChange::RemoveLane {
        dst: lane.dst,
        asset: lane.asset,
        position,
        siblings: state.lane_path(position).unwrap().siblings,
    }
}

/// An addition of `lane` at `position`, opened in `state`'s lanes tree.
fn add(state: &SegmentState, lane: Lane, position: u64) -> BoundaryChange {
    BoundaryChange::AddLane {
        dst: lane.dst,
        asset: lane.asset,
        position,
        siblings: state.lane_path(position).unwrap().siblings,
    }
}

/// A gate of `me` at the sample epoch.
fn at_epoch(me: u64) -> Gate {
    let mut g = gate_with(config(me));
    accept(&mut g, tick(EPOCH));
    g
}

fn boundary(gate: &Gate) -> bulkhead_protocol::hash::Fp {
    gate.state().sources[&SOURCE].boundary()
}

#[test]
fn a_removed_lane_closes_at_once_and_an_added_one_opens_after_the_timelock() {
    let state = segment();
    let position = state.lanes()[&MAIN];
    let again = chain_from(state.clone(), &[(EPOCH + DEFAULT_TIMELOCK, ASSET)]);
    let mut gates = [at_epoch(1), at_epoch(2)];
    for g in &mut gates {
        let registered = boundary(g);
        accept(
            g,
            governed(0, remove(&state, MAIN, position), Signers::Validators),
        );
        // The mirror's root is the model's with the lane gone.
        let mut without = state.clone();
        without.set_lane_at(position, None).unwrap();
        assert_eq!(boundary(g), without.boundary_root());
        assert_eq!(g.state().sources[&SOURCE].governance.lanes[&position], None);
        // A bundle on the lane (proven on the old boundary) is refused,
        // and no proof on the new one can name the lane (I5).
        let refusal = refuse(g, item(&bundles()[0]));
        assert_eq!(refusal.label(), "G2 boundary", "{refusal}");
        assert!(!without.lanes().contains_key(&MAIN));

        // The guardians put it back: pending until the timelock.
        let effect = accept(
            g,
            governed(1, add(&without, MAIN, position), Signers::Guardians),
        );
        assert!(matches!(effect, Effect::Governed { pending: true, .. }));
        for epoch in EPOCH + 1..EPOCH + DEFAULT_TIMELOCK {
            accept(g, tick(epoch));
            assert_eq!(
                boundary(g),
                without.boundary_root(),
                "open before its epoch"
            );
        }
        accept(g, tick(EPOCH + DEFAULT_TIMELOCK));
        assert_eq!(boundary(g), registered, "the lane is back where it was");
        assert_eq!(
            g.state().sources[&SOURCE].governance.lanes[&position],
            Some(MAIN)
        );
        // A real proof on the lane is accepted again.
        accept(g, item(&again[0]));
    }
    // Every gate follows the same boundary (what each credited is its own).
    let [a, b] = &gates;
    for (x, y) in a.state().sources.values().zip(b.state().sources.values()) {
        assert_eq!((&x.mirror, &x.governance), (&y.mirror, &y.governance));
    }
}

#[test]
fn a_new_lane_gives_the_boundary_of_the_model_with_it() {
    // A lane added at the empty position: the relayer's model with the
    // same lane there has the mirror's boundary, so it proves on it.
    let state = segment();
    let lane = Lane {
        dst: 3,
        asset: sample::OTHER_ASSET,
    };
    let mut g = at_epoch(2);
    accept(
        &mut g,
        governed(0, add(&state, lane, EMPTY), Signers::Guardians),
    );
    for epoch in EPOCH + 1..=EPOCH + DEFAULT_TIMELOCK {
        accept(&mut g, tick(epoch));
    }
    let mut model = state.clone();
    model.set_lane_at(EMPTY, Some(lane)).unwrap();
    assert_eq!(boundary(&g), model.boundary_root());
    assert_eq!(model.lanes()[&lane], EMPTY);
}

#[test]
fn each_wrong_lane_or_inbound_item_is_refused_by_name() {
    let state = segment();
    let position = state.lanes()[&MAIN];
    let mut g = at_epoch(2);
    let mut wrong_siblings = remove(&state, MAIN, position);
    if let BoundaryChange::RemoveLane { siblings, .. } = &mut wrong_siblings {
        siblings[0] = siblings[1];
    }
    let mut short = remove(&state, MAIN, position);
    if let BoundaryChange::RemoveLane { siblings, .. } = &mut short {
        siblings.pop();
    }
    let other_lane = Lane {
        dst: 3,
        asset: ASSET,
    };
    let cases: Vec<(StreamItem, &str)> = vec![
        (
            governed(0, wrong_siblings, Signers::Validators),
            "G8 lane opening",
        ),
        (governed(0, short, Signers::Validators), "G8 lane opening"),
        // Another lane than the one at the position.
        (
            governed(0, remove(&state, other_lane, position), Signers::Validators),
            "G8 lane opening",
        ),
        // Nothing there to remove; something there already to add over.
        (
            governed(0, remove(&state, MAIN, EMPTY), Signers::Validators),
            "G8 lane opening",
        ),
        (
            governed(0, add(&state, other_lane, position), Signers::Guardians),
            "G8 lane opening",
        ),
        // A position past the tree (TINY: 4 positions), and 2^64 - 1.
        (
            governed(
                0,
                BoundaryChange::AddLane {
                    dst: 3,
                    asset: ASSET,
                    position: 4,
                    siblings: state.lane_path(0).unwrap().siblings,
                },
                Signers::Guardians,
            ),
            "G8 lane opening",
        ),
        (
            governed(
                0,
                BoundaryChange::RemoveLane {
                    dst: 2,
                    asset: ASSET,
                    position: u64::MAX,
                    siblings: state.lane_path(0).unwrap().siblings,
                },
                Signers::Validators,
            ),
            "G8 lane opening",
        ),
        (
            governed(
                0,
                add(&state, Lane { dst: 3, asset: 99 }, EMPTY),
                Signers::Guardians,
            ),
            "G8 undeclared asset",
        ),
        (
            governed(0, add(&state, other_lane, EMPTY), Signers::Validators),
            "G8 signers",
        ),
        (
            governed(
                0,
                BoundaryChange::RaiseInbound { limit: 10 },
                Signers::Guardians,
            ),
            "G8 inbound direction",
        ),
        (
            governed(
                0,
                BoundaryChange::RaiseInbound { limit: 10 },
                Signers::Validators,
            ),
            "G8 signers",
        ),
    ];
    for (item, label) in cases {
        let refusal = refused_governance(&mut g, item);
        assert_eq!(refusal.label(), label, "{refusal}");
    }

    // One lane addition at a time: each opens the tree as it is.
    let new_lane = Lane {
        dst: 3,
        asset: sample::OTHER_ASSET,
    };
    accept(
        &mut g,
        governed(0, add(&state, new_lane, EMPTY), Signers::Guardians),
    );
    let refusal = refused_governance(
        &mut g,
        governed(
            1,
            add(
                &state,
                Lane {
                    dst: 4,
                    asset: ASSET,
                },
                EMPTY,
            ),
            Signers::Guardians,
        ),
    );
    assert_eq!(refusal.label(), "G8 lane pending", "{refusal}");
    // A lane removal voids it: its opening would be stale.
    accept(
        &mut g,
        governed(1, remove(&state, MAIN, position), Signers::Validators),
    );
    assert!(g.state().sources[&SOURCE].governance.pending.is_empty());
    let mut without = state.clone();
    without.set_lane_at(position, None).unwrap();
    assert_eq!(boundary(&g), without.boundary_root());
    // The position is signed: an addition signed for one empty position
    // and moved to another (with a valid opening there) does not hold.
    let StreamItem::Governance(mut moved) =
        governed(2, add(&without, new_lane, EMPTY), Signers::Guardians)
    else {
        unreachable!()
    };
    moved.change = add(&without, new_lane, position);
    let refusal = refused_governance(&mut g, StreamItem::Governance(moved));
    assert_eq!(refusal.label(), "G8 signatures", "{refusal}");

    // Inbound limits only go down now, and up after the timelock.
    accept(
        &mut g,
        governed(
            2,
            BoundaryChange::LowerInbound { limit: 100 },
            Signers::Guardians,
        ),
    );
    for (item, label) in [
        (
            BoundaryChange::LowerInbound { limit: 100 },
            "G8 inbound direction",
        ),
        (
            BoundaryChange::LowerInbound { limit: u64::MAX },
            "G8 inbound direction",
        ),
        (
            BoundaryChange::RaiseInbound { limit: 100 },
            "G8 inbound direction",
        ),
        (
            BoundaryChange::RaiseInbound { limit: 50 },
            "G8 inbound direction",
        ),
    ] {
        let refusal = refused_governance(&mut g, governed(3, item, Signers::Guardians));
        assert_eq!(refusal.label(), label, "{refusal}");
    }
    // The source's own validators may not lower it: it also holds exits
    // already accepted, and they could lower it again after every raise.
    let refusal = refused_governance(
        &mut g,
        governed(
            3,
            BoundaryChange::LowerInbound { limit: 0 },
            Signers::Validators,
        ),
    );
    assert_eq!(refusal.label(), "G8 signers", "{refusal}");
    // Another stream's signatures do not hold.
    let refusal = refused_governance(
        &mut g,
        governance_on(
            STREAM_ID + 1,
            SEED,
            SOURCE,
            3,
            BoundaryChange::LowerInbound { limit: 0 },
            Signers::Guardians,
            GUARDIAN_THRESHOLD,
        ),
    );
    assert_eq!(refusal.label(), "G8 signatures", "{refusal}");
    // Cosignatures ride only on a rotation.
    let StreamItem::Governance(mut stray) = governed(
        3,
        BoundaryChange::LowerInbound { limit: 0 },
        Signers::Guardians,
    ) else {
        unreachable!()
    };
    stray.cosigners = stray.signatures.clone();
    let refusal = refused_governance(&mut g, StreamItem::Governance(stray));
    assert_eq!(refusal.label(), "G8 cosigners", "{refusal}");
}

#[test]
fn a_lowered_inbound_limit_holds_credits_until_a_raise_takes_effect() {
    let mut g = at_epoch(2);
    // The guardians see trouble at segment 1: every gate credits it at
    // most 10 per epoch from now on (this gate's own limit is 2,000).
    accept(
        &mut g,
        governed(
            0,
            BoundaryChange::LowerInbound { limit: 10 },
            Signers::Guardians,
        ),
    );
    let held_before = g.state().held.len();
    accept(&mut g, item(&bundles()[0]));
    assert_eq!(g.state().inbound_now(SOURCE), 10);
    assert!(
        g.state().held.len() > held_before,
        "the rest is held, not lost"
    );
    let held: u64 = g.state().held.values().map(|c| c.amount).sum();

    // A raise waits for the timelock; until then each epoch pays 10.
    accept(
        &mut g,
        governed(
            1,
            BoundaryChange::RaiseInbound { limit: 5_000 },
            Signers::Guardians,
        ),
    );
    accept(&mut g, tick(EPOCH + 1));
    assert_eq!(g.state().inbound_now(SOURCE), 10.min(held));
    let mut epoch = EPOCH + 1;
    while epoch < EPOCH + DEFAULT_TIMELOCK {
        epoch += 1;
        accept(&mut g, tick(epoch));
    }
    // In effect: the local limit (2,000) is the lower one again.
    assert_eq!(
        g.state().sources[&SOURCE]
            .governance
            .inbound_limit(INBOUND_LIMIT),
        INBOUND_LIMIT
    );
    assert!(g.state().held.is_empty(), "everything held is credited");
    assert_eq!(
        g.state().sources[&SOURCE].governance.inbound_limit,
        Some(5_000)
    );
}
