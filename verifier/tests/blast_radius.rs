//! The blast-radius promise, by property: random streams (honest batches,
//! a compromised segment's mint and drains, forks, guardian votes, ticks,
//! local trips and releases) through a gate, asserting after every item
//! that what the gate credited from the source never exceeds the bound it
//! reports, and that no exit is credited twice.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::hash::{fp_from_bytes, Fp};
use bulkhead_protocol::model::{SegmentState, Silo};
use bulkhead_testkit::attacks::mint;
use bulkhead_testkit::gate::{attestation, gate_config, tick_time};
use bulkhead_testkit::sample;
use bulkhead_verifier::gate::{blast_radius, Gate, GateConfig, GuardianScope, StreamItem};
use common::*;
use proptest::prelude::*;

/// Collateral and cap of segment 1's asset-1 silo: small, so the bound
/// binds within a few epochs.
const COLLATERAL: u64 = 100;
const CAP: u64 = 60;
const INBOUND_LIMIT: u64 = 25;

/// Everything proven once for all cases.
struct World {
    config: GateConfig,
    /// Honest batches of 30: two in epoch 7, one in epoch 8.
    honest: Vec<Bundle>,
    /// The compromised validators' attestation of a minted account.
    mint_attestation: StreamItem,
    /// Drains of the minted account, valid proofs: 30 and 30 in epoch 7
    /// (the cap), 40 in epoch 8 (the collateral left).
    drains: Vec<Bundle>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut genesis = genesis();
        let source: &mut SegmentState = genesis.get_mut(&1).unwrap();
        let silo = *source.silo(sample::ASSET).unwrap();
        source
            .set_silo(Silo {
                collateral: COLLATERAL,
                cap: CAP,
                window_outflow: 0,
                ..silo
            })
            .unwrap();
        let state = source.clone();
        let mut config = gate_config(SEED, 2, SHAPE, prover().vk_digest(), &genesis);
        config.inbound_limit = INBOUND_LIMIT;
        // The stream starts in epoch 7, so every open epoch can be used.
        config.clock.genesis_epoch = EPOCH;
        config.clock.genesis_time = tick_time(EPOCH);
        let honest = chain_from(state.clone(), &[(EPOCH, 1), (EPOCH, 1), (EPOCH + 1, 1)]);

        let mut minted = mint(SEED, &state, sample::ASSET, 1_000_000).unwrap();
        let mint_attestation = attestation(SEED, 1, 1, minted.parent, minted.root, 3);
        let planned: Vec<_> = [(EPOCH, 30), (EPOCH, 30), (EPOCH + 1, 40)]
            .iter()
            .map(|(epoch, amount)| minted.drain(&SHAPE, 2, 1, *epoch, &[*amount]).unwrap())
            .collect();
        let outcomes: Vec<_> = planned.iter().map(|p| p.outcome.clone()).collect();
        let proofs = prover().prove_run(&outcomes, 2, 0, |_, _| {}).unwrap();
        let drains = planned
            .iter()
            .zip(proofs)
            .map(|(p, proof)| prover().bundle(p, proof))
            .collect();
        World {
            config,
            honest,
            mint_attestation,
            drains,
        }
    })
}

/// One step an adversarial stream may take.
#[derive(Clone, Debug)]
enum Action {
    Tick,
    /// The next honest batch, as its relayer would submit it.
    Honest,
    /// Any honest batch again (replays, stale epochs).
    Replay(usize),
    Mint,
    /// The next drain of the minted account.
    Drain,
    Fork {
        height: u64,
        root: u64,
    },
    Vote {
        stream: bool,
        trip: bool,
        guardian: usize,
        stale_round: bool,
    },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => Just(Action::Tick),
        4 => Just(Action::Honest),
        1 => (0usize..3).prop_map(Action::Replay),
        1 => Just(Action::Mint),
        3 => Just(Action::Drain),
        1 => (0u64..5, 0u64..3).prop_map(|(height, root)| Action::Fork { height, root }),
        4 => (any::<bool>(), any::<bool>(), 0usize..3, prop::bool::weighted(0.1)).prop_map(
            |(stream, trip, guardian, stale_round)| Action::Vote { stream, trip, guardian, stale_round }
        ),
    ]
}

/// The next bundle of `chain` after `accepted` (the last one past the end).
fn next_of(chain: &[Bundle], accepted: u64) -> &Bundle {
    &chain[(accepted as usize).min(chain.len() - 1)]
}

fn item_for(gate: &Gate, action: &Action) -> StreamItem {
    let w = world();
    let state = gate.state();
    match action {
        Action::Tick => tick(state.epoch + 1),
        Action::Honest => item(next_of(&w.honest, state.sources[&1].accepted)),
        Action::Replay(k) => item(&w.honest[*k]),
        Action::Mint => w.mint_attestation.clone(),
        Action::Drain => item(next_of(&w.drains, state.sources[&1].accepted)),
        Action::Fork { height, root } => {
            let parent = state.sources[&1]
                .roots
                .get(&height.saturating_sub(1))
                .and_then(|r| fp_from_bytes(r.root.0))
                .unwrap_or(Fp::from(7));
            attestation(SEED, 1, *height, parent, Fp::from(1000 + root), 3)
        }
        Action::Vote {
            stream,
            trip,
            guardian,
            stale_round,
        } => {
            let (scope, target, round) = if *stream {
                (GuardianScope::Stream, 1, state.sources[&1].round)
            } else {
                (GuardianScope::Local, 2, state.local_round)
            };
            let round = if *stale_round {
                round.wrapping_sub(1)
            } else {
                round
            };
            vote(scope, target, *trip, round, *guardian)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn credits_never_exceed_the_reported_bound(actions in prop::collection::vec(action(), 1..48)) {
        let mut gate = gate_with(world().config.clone());
        let mut seen = BTreeSet::new();
        for action in &actions {
            let item = item_for(&gate, action);
            let _ = gate.process(&item);
            let state = gate.state();
            let bound = blast_radius(state, 1);
            for (asset, credited) in &state.sources[&1].credited {
                let limit = bound.get(asset).copied().unwrap_or(0);
                prop_assert!(
                    *credited <= limit,
                    "credited {credited} of asset {asset} > bound {limit} after {action:?}"
                );
            }
            for credit in &gate.changes().credited {
                // An exit larger than the inbound limit is credited in
                // parts: each part once.
                prop_assert!(
                    seen.insert((credit.src, credit.seq, credit.part)),
                    "exit credited twice"
                );
            }
            let per_epoch: BTreeMap<_, _> = state.inbound.iter().collect();
            prop_assert!(per_epoch.values().all(|v| **v <= INBOUND_LIMIT));
        }
    }
}
