//! Gates registered at different points of a source's life agree: over
//! random adversarial streams (ticks on time, early or skipped, bundles
//! replayed and reordered, attestations that step, race a bundle, fork at
//! the tip or far below it, with too few or too many signatures, stream
//! guardian votes for current and stale rounds, imports by segment 2 of
//! what segment 1 sent it, governance of both sources: tightens, loosens
//! pending across the registration, cancels, clears), a gate registered from
//! genesis and a gate registered part-way, from the first gate's state at
//! that point, give the same verdict on every later item and hold the same
//! follow state after it. Real proofs at the TINY shape.

mod common;

use bulkhead_protocol::hash::{fp_from_bytes, Fp};
use bulkhead_protocol::model::SegmentState;
use bulkhead_testkit::gate::{
    attestation, governance_on, import_above_tip, signed_tick, source_config, tick_time, STREAM_ID,
};
use bulkhead_verifier::gate::{
    BoundaryChange, Gate, GateConfig, GateState, GuardianScope, Refusal, Signers, SourceState,
    StreamItem,
};
use common::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Action {
    /// A tick `skip` epochs past the next one, `early` seconds early,
    /// signed by `signers` guardians.
    Tick {
        skip: u64,
        early: bool,
        signers: usize,
    },
    /// One of the chain's bundles (replays and reorders included).
    Bundle(usize),
    /// A stream guardian's vote on source `target`, for the current round
    /// or a stale one.
    Vote {
        target: u64,
        trip: bool,
        stale: bool,
        guardian: usize,
    },
    /// An attestation of source 1 `back` heights below the next one, with
    /// the chain's parent or another, of a new root or of the post-exit
    /// root of bundle `race` (validators racing the relayer).
    Attest {
        back: u64,
        other_parent: bool,
        root: u64,
        race: Option<usize>,
        signers: usize,
    },
    /// An import of `amount` of asset 1 by segment 2, one height above its
    /// tip, by `signers` validators.
    Import { amount: u64, signers: usize },
    /// Governance of `segment`: change `kind` (0 to 5) of asset 1 by
    /// `value`, by the guardians or the validators.
    Govern {
        segment: u64,
        kind: u8,
        value: u64,
        guardians: bool,
    },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (0..2u64, prop::bool::weighted(0.2), 1..4usize)
            .prop_map(|(skip, early, signers)| Action::Tick { skip, early, signers }),
        4 => (0..3usize).prop_map(Action::Bundle),
        2 => (1..3u64, any::<bool>(), prop::bool::weighted(0.2), 0..3usize).prop_map(
            |(target, trip, stale, guardian)| Action::Vote { target, trip, stale, guardian }
        ),
        3 => (
            prop_oneof![3 => Just(0u64), 2 => Just(1u64), 1 => 2..5u64],
            prop::bool::weighted(0.2),
            0..3u64,
            prop::option::weighted(0.4, 0..3usize),
            prop_oneof![4 => Just(3usize), 1 => Just(2usize), 1 => Just(5usize)],
        )
            .prop_map(|(back, other_parent, root, race, signers)| Action::Attest {
                back,
                other_parent,
                root,
                race,
                signers,
            }),
        2 => (1..40u64, prop_oneof![4 => Just(3usize), 1 => Just(2usize)])
            .prop_map(|(amount, signers)| Action::Import { amount, signers }),
        2 => (1..=2u64, 0..6u8, 0..8_000u64, prop::bool::weighted(0.7))
            .prop_map(|(segment, kind, value, guardians)| Action::Govern {
                segment, kind, value, guardians,
            }),
    ]
}

/// The item an action means against the state of the gate registered
/// first (both gates are offered the same item).
fn item_for(state: &GateState, action: &Action) -> StreamItem {
    match action {
        Action::Tick {
            skip,
            early,
            signers,
        } => {
            let epoch = state.epoch + 1 + skip;
            let time = tick_time(epoch) - if *early { 1 } else { 0 };
            signed_tick(SEED, epoch, time, *signers)
        }
        Action::Bundle(i) => item(&bundles()[*i]),
        Action::Vote {
            target,
            trip,
            stale,
            guardian,
        } => {
            let round = state.sources[target].round;
            let round = if *stale { round.wrapping_sub(1) } else { round };
            vote(GuardianScope::Stream, *target, *trip, round, *guardian)
        }
        Action::Attest {
            back,
            other_parent,
            root,
            race,
            signers,
        } => {
            let source = &state.sources[&1];
            let height = (source.height + 1).saturating_sub(*back);
            let chain_parent = height
                .checked_sub(1)
                .and_then(|h| source.roots.get(&h))
                .and_then(|r| fp_from_bytes(r.root.0))
                .unwrap_or(Fp::from(1));
            let (parent, root) = match race {
                Some(i) => {
                    let b = &bundles()[*i].instance;
                    (b.accounts_before, b.accounts_after)
                }
                None if *other_parent => (Fp::from(2000 + root), Fp::from(1000 + root)),
                None => (chain_parent, Fp::from(1000 + root)),
            };
            attestation(SEED, 1, height, parent, root, *signers)
        }
        Action::Import { amount, signers } => {
            import_above_tip(SEED, state, 2, 7000, 1, *amount, *signers)
        }
        Action::Govern {
            segment,
            kind,
            value,
            guardians,
        } => {
            let value = *value;
            let change = match kind {
                0 => BoundaryChange::LowerCap {
                    asset: 1,
                    cap: value,
                },
                1 => BoundaryChange::Withdraw {
                    asset: 1,
                    amount: value,
                },
                2 => BoundaryChange::RaiseCap {
                    asset: 1,
                    cap: value,
                },
                3 => BoundaryChange::Deposit {
                    asset: 1,
                    amount: value,
                },
                4 => BoundaryChange::Cancel { change: value % 4 },
                _ => BoundaryChange::Clear { asset: 1 },
            };
            let seq = state.sources[segment].governance.seq;
            let (by, signers) = if *guardians {
                (Signers::Guardians, 2)
            } else {
                (Signers::Validators, 3)
            };
            governance_on(STREAM_ID, SEED, *segment, seq, change, by, signers)
        }
    }
}

/// Segment 1 of the model after its first `bundles` batches (for the silo
/// openings a late registration declares).
fn segment_after(bundles: u64) -> SegmentState {
    let mut state = genesis().remove(&1).unwrap();
    for (epoch, asset) in [(EPOCH, 1), (EPOCH, 1), (EPOCH + 1, 1)]
        .iter()
        .take(bundles as usize)
    {
        state.apply_exits(&request(*epoch, *asset), &SHAPE).unwrap();
    }
    state
}

/// The configuration of a gate of segment 2 registered now: the stream's
/// clock where the first gate's is, every source as the first gate
/// follows it.
fn registered_now(first: &GateState) -> GateConfig {
    let mut config = config(2);
    config.clock.genesis_epoch = first.epoch;
    config.clock.genesis_time = first.epoch_time;
    for source in &mut config.sources {
        let followed = &first.sources[&source.segment];
        let mut model = if source.segment == 1 {
            segment_after(followed.next_seq() / 2)
        } else {
            genesis().remove(&source.segment).unwrap()
        };
        // The silos as bundles, imports and governance left them.
        for silo in followed.mirror.silos().values() {
            model.set_silo(*silo).unwrap();
        }
        *source = source_config(SEED, SHAPE, prover().vk_digest(), &model);
        assert_eq!(source.boundary_root, followed.boundary());
        source.accounts_root = followed.tip;
        source.genesis_height = followed.height;
        source.next_seq = followed.next_seq();
        source.follow = first.registration(source.segment).unwrap();
    }
    config
}

/// What the follow rules hold of a source (not the local accounting:
/// credits, open epochs, counters).
fn follow_state(s: &SourceState) -> impl PartialEq + std::fmt::Debug {
    (
        (s.tip, s.height, s.roots.clone(), s.bundle_height),
        (s.boundary(), s.next_seq()),
        (
            s.quarantined.clone(),
            s.round,
            s.votes.clone(),
            s.evidence.clone(),
        ),
        s.governance.clone(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn gates_registered_at_different_points_reach_the_same_verdicts(
        actions in prop::collection::vec(action(), 2..40),
        split in any::<prop::sample::Index>(),
    ) {
        let split = split.index(actions.len());
        let mut first = gate();
        for action in &actions[..split] {
            let _ = first.process(&item_for(first.state(), action));
        }
        let config = registered_now(first.state());
        let mut late = Gate::new(config, vec![verifier_keys()])
            .expect("a registration read off a gate is valid");
        for action in &actions[split..] {
            let item = item_for(first.state(), action);
            let verdict: Result<(), Refusal> = first.process(&item).map(|_| ());
            let late_verdict: Result<(), Refusal> = late.process(&item).map(|_| ());
            prop_assert_eq!(&verdict, &late_verdict, "{:?}", action);
            prop_assert_eq!(first.state().epoch, late.state().epoch);
            prop_assert_eq!(first.state().flow(2, 1), late.state().flow(2, 1));
            prop_assert_eq!(first.state().flow(1, 1), late.state().flow(1, 1));
            for (id, s) in &first.state().sources {
                prop_assert_eq!(
                    follow_state(s),
                    follow_state(&late.state().sources[id]),
                    "source {} after {:?}", id, action
                );
            }
        }
    }
}
