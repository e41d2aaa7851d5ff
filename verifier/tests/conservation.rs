//! Conservation of collateral, by property: random adversarial streams
//! (honest bundles and ticks, imports of every size, height and signer
//! count, governance of every kind, signer set, size and sequence number,
//! replays of anything seen, quarantines and releases, tampered bundles,
//! extra ticks that mature loosens) through two gates of different
//! segments, asserting after every item, at both gates:
//!
//! - for every asset, the sum over segments of live collateral plus the
//!   value in flight (accepted exits not yet imported) is the genesis total
//!   plus what was deposited less what was withdrawn (rule G8);
//! - no segment's collateral exceeds what it was given plus what it
//!   received and was deposited;
//! - nothing is imported that did not arrive;
//! - both gates hold the same mirrors and flows.

mod common;

use std::collections::BTreeMap;

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::Lane;
use bulkhead_testkit::gate::{
    governance_on, import_on, lane_flip, rotation_on, validator_keys, STREAM_ID,
};
use bulkhead_verifier::gate::{
    BoundaryChange, Gate, GateState, GuardianScope, Signers, StreamItem,
};
use common::*;
use proptest::prelude::*;

/// The honest stream: the clock into the sample epoch, two bundles from
/// segment 1 to segment 2 (30 of asset 1 each), the next epoch, a third.
fn script() -> Vec<StreamItem> {
    let b = bundles();
    vec![
        tick(EPOCH),
        item(&b[0]),
        item(&b[1]),
        tick(EPOCH + 1),
        item(&b[2]),
    ]
}

#[derive(Clone, Debug)]
enum Action {
    /// The next item of the honest script.
    Next,
    /// An import by `segment` at the tip's height + `offset` (0 is next),
    /// from the tip or another parent, signed by `signers` validators.
    Import {
        segment: u64,
        asset: u64,
        amount: u64,
        offset: u64,
        from_tip: bool,
        signers: usize,
    },
    /// Any item offered before, again.
    Replay(prop::sample::Index),
    /// A stream guardian's vote on a source, in the source's round or a
    /// stale one.
    Vote {
        target: u64,
        trip: bool,
        guardian: usize,
        stale: bool,
    },
    /// A script bundle with its TOTAL or its BOUNDARY_AFTER changed.
    Tampered {
        which: prop::sample::Index,
        total: bool,
        value: u64,
    },
    /// A governance item: change `kind` (0 to 11: lower cap, withdraw,
    /// raise cap, deposit, cancel, clear, lower or raise the inbound
    /// limit, a lane removed or added where it is opened, a rotation
    /// cosigned by `signers` registered validators, a silo added) of `segment`'s `asset` by
    /// `value`, at the source's next sequence number + `offset`, signed
    /// by `signers` validators or guardians.
    Govern {
        segment: u64,
        kind: u8,
        asset: u64,
        value: u64,
        offset: u64,
        guardians: bool,
        signers: usize,
    },
    /// The stream's next tick (loosens mature, the automatic rule counts).
    Tick,
}

fn action() -> impl Strategy<Value = Action> {
    // Mostly imports that can pass (segment 2 receives asset 1), with
    // every way of being wrong mixed in.
    let amount = prop_oneof![6 => 1u64..=40, 1 => 41u64..=70, 1 => Just(0u64), 1 => Just(u64::MAX)];
    let segment = prop_oneof![4 => Just(2u64), 1 => Just(1u64), 1 => Just(3u64)];
    let asset = prop_oneof![4 => Just(1u64), 1 => Just(2u64), 1 => Just(9u64)];
    let offset = prop_oneof![6 => Just(0u64), 1 => 1u64..=2];
    let signers = prop_oneof![4 => 3usize..=4, 1 => Just(2usize)];
    prop_oneof![
        4 => Just(Action::Next),
        4 => (segment, asset, amount, offset, prop::bool::weighted(0.9), signers)
            .prop_map(|(segment, asset, amount, offset, from_tip, signers)| Action::Import {
                segment, asset, amount, offset, from_tip, signers,
            }),
        2 => any::<prop::sample::Index>().prop_map(Action::Replay),
        2 => (1u64..=2, any::<bool>(), 0usize..3, prop::bool::weighted(0.2))
            .prop_map(|(target, trip, guardian, stale)| Action::Vote { target, trip, guardian, stale }),
        1 => (any::<prop::sample::Index>(), any::<bool>(), any::<u64>())
            .prop_map(|(which, total, value)| Action::Tampered { which, total, value }),
        3 => govern(),
        1 => Just(Action::Tick),
    ]
}

fn govern() -> impl Strategy<Value = Action> {
    let segment = prop_oneof![3 => Just(2u64), 2 => Just(1u64), 1 => Just(3u64)];
    let asset = prop_oneof![4 => Just(1u64), 1 => Just(2u64), 1 => Just(9u64)];
    let value = prop_oneof![
        4 => 0u64..=200,
        2 => 5_000u64..=30_000,
        1 => Just(u64::MAX),
    ];
    let offset = prop_oneof![8 => Just(0u64), 1 => Just(1u64)];
    let signers = prop_oneof![4 => 2usize..=4, 1 => Just(1usize)];
    (
        segment,
        0u8..12,
        asset,
        value,
        offset,
        any::<bool>(),
        signers,
    )
        .prop_map(
            |(segment, kind, asset, value, offset, guardians, signers)| Action::Govern {
                segment,
                kind,
                asset,
                value,
                offset,
                guardians,
                signers,
            },
        )
}

/// The item `action` stands for, against `gate`'s state; `None` when the
/// script is exhausted.
fn item_for(
    gate: &Gate,
    action: &Action,
    next: &mut usize,
    seen: &[StreamItem],
) -> Option<StreamItem> {
    let state = gate.state();
    match action {
        Action::Next => {
            let item = script().get(*next).cloned();
            *next += 1;
            item
        }
        Action::Import {
            segment,
            asset,
            amount,
            offset,
            from_tip,
            signers,
        } => {
            let (height, tip) = state
                .sources
                .get(segment)
                .map_or((0, Fp::from(0)), |s| (s.height, s.tip));
            let parent = if *from_tip { tip } else { Fp::from(3) };
            let height = height.saturating_add(1).saturating_add(*offset);
            let root = Fp::from(10_000 + height * 100 + amount % 97);
            Some(StreamItem::Import(import_on(
                STREAM_ID, SEED, *segment, height, parent, root, *asset, *amount, *signers,
            )))
        }
        Action::Replay(i) => (!seen.is_empty()).then(|| seen[i.index(seen.len())].clone()),
        Action::Vote {
            target,
            trip,
            guardian,
            stale,
        } => {
            let round = state.sources[target].round;
            let round = if *stale { round.wrapping_sub(1) } else { round };
            Some(vote(
                GuardianScope::Stream,
                *target,
                *trip,
                round,
                *guardian,
            ))
        }
        Action::Tampered {
            which,
            total,
            value,
        } => {
            let mut bundle = bundles()[which.index(bundles().len())].clone();
            if *total {
                bundle.instance.total = *value;
            } else {
                bundle.instance.boundary_after = Fp::from(*value);
            }
            Some(item(&bundle))
        }
        Action::Govern {
            segment,
            kind,
            asset,
            value,
            offset,
            guardians,
            signers,
        } => {
            let (asset, value) = (*asset, *value);
            let change = match kind {
                0 => BoundaryChange::LowerCap { asset, cap: value },
                1 => BoundaryChange::Withdraw {
                    asset,
                    amount: value,
                },
                2 => BoundaryChange::RaiseCap { asset, cap: value },
                3 => BoundaryChange::Deposit {
                    asset,
                    amount: value,
                },
                4 => BoundaryChange::Cancel { change: value % 8 },
                5 => BoundaryChange::Clear { asset },
                6 => BoundaryChange::LowerInbound { limit: value },
                7 => BoundaryChange::RaiseInbound { limit: value },
                10 => {
                    let change = BoundaryChange::Rotate {
                        validators: validator_keys(SEED + 1, *segment, 3),
                        threshold: 1 + (value % 3) as usize,
                    };
                    let seq = state
                        .sources
                        .get(segment)
                        .map_or(0, |s| s.governance.seq)
                        .saturating_add(*offset);
                    return Some(rotation_on(
                        STREAM_ID, SEED, *segment, seq, change, SEED, *signers,
                    ));
                }
                11 => match genesis().get(segment) {
                    Some(registered) => BoundaryChange::AddSilo {
                        asset,
                        cap: value,
                        siblings: registered
                            .silo_path(asset.min(15))
                            .map(|p| p.siblings)
                            .unwrap_or_default(),
                    },
                    None => BoundaryChange::Clear { asset },
                },
                _ => match (genesis().get(segment), state.sources.get(segment)) {
                    (Some(registered), Some(source)) => lane_flip(
                        registered,
                        &source.governance.lanes,
                        value % 4,
                        Lane { dst: 3, asset },
                    ),
                    _ => BoundaryChange::LowerInbound { limit: value },
                },
            };
            let seq = state
                .sources
                .get(segment)
                .map_or(0, |s| s.governance.seq)
                .saturating_add(*offset);
            let by = if *guardians {
                Signers::Guardians
            } else {
                Signers::Validators
            };
            Some(governance_on(
                STREAM_ID, SEED, *segment, seq, change, by, *signers,
            ))
        }
        Action::Tick => Some(tick(state.epoch + 1)),
    }
}

/// Every asset's genesis total, per segment, from the registrations.
fn registered(state: &GateState) -> BTreeMap<(u64, u64), u128> {
    state
        .config
        .sources
        .iter()
        .flat_map(|s| {
            s.silos
                .iter()
                .map(move |o| ((s.segment, o.asset), u128::from(o.collateral)))
        })
        .collect()
}

fn check_conservation(state: &GateState) -> Result<(), TestCaseError> {
    let registered = registered(state);
    let mut genesis: BTreeMap<u64, u128> = BTreeMap::new();
    for ((_, asset), collateral) in &registered {
        *genesis.entry(*asset).or_default() += collateral;
    }
    let mut now: BTreeMap<u64, u128> = BTreeMap::new();
    for (segment, source) in &state.sources {
        for silo in source.mirror.silos().values() {
            *now.entry(silo.asset).or_default() += u128::from(silo.collateral);
            // A silo governance added was registered empty.
            let given = registered
                .get(&(*segment, silo.asset))
                .copied()
                .unwrap_or(0);
            let flow = state.flow(*segment, silo.asset);
            let received = flow.inflow + flow.deposited;
            prop_assert!(
                u128::from(silo.collateral) <= given + received,
                "segment {segment} holds {} of asset {} > given {given} + received {received}",
                silo.collateral,
                silo.asset
            );
        }
    }
    for (key, flow) in &state.flows {
        prop_assert!(
            flow.imported <= flow.inflow,
            "{key:?} imported more than arrived"
        );
        *now.entry(key.asset).or_default() += flow.in_flight() + flow.withdrawn;
        *genesis.entry(key.asset).or_default() += flow.deposited;
    }
    for (asset, total) in &genesis {
        prop_assert_eq!(
            now.get(asset).copied().unwrap_or(0),
            *total,
            "asset {}",
            asset
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn collateral_is_conserved_and_gates_agree(actions in prop::collection::vec(action(), 1..40)) {
        let mut gates = [gate_with(config(1)), gate_with(config(2))];
        let mut next = 0;
        let mut seen = Vec::new();
        let mut imports = 0;
        for action in &actions {
            let Some(item) = item_for(&gates[0], action, &mut next, &seen) else { continue };
            let verdicts: Vec<bool> = gates.iter_mut().map(|g| g.process(&item).is_ok()).collect();
            prop_assert_eq!(verdicts[0], verdicts[1], "the gates disagree on {:?}", action);
            if verdicts[0] && matches!(item, StreamItem::Import(_)) {
                imports += 1;
            }
            seen.push(item);
            for g in &gates {
                check_conservation(g.state())?;
            }
            let [a, b] = &gates;
            for (id, source) in &a.state().sources {
                prop_assert_eq!(&source.mirror, &b.state().sources[id].mirror);
            }
            prop_assert_eq!(&a.state().flows, &b.state().flows);
            for (id, source) in &a.state().sources {
                prop_assert_eq!(&source.governance, &b.state().sources[id].governance);
            }
        }
        // Not a vacuous run: whatever was imported is counted.
        let imported: u128 = gates[0].state().flows.values().map(|f| f.imported).sum();
        prop_assert!(imports == 0 || imported > 0);
    }
}
