//! The ledger against random adversarial streams: ticks on time, early or
//! out of order, bundles replayed, reordered and resubmitted, guardian
//! votes for both breakers in current and stale rounds, attestations that
//! step, fork or replay, imports by segment 2 of what segment 1 sent it
//! (within the inflow or beyond it), governance of both sources (every
//! kind, by validators or guardians, replayed or out of order, loosens
//! matured by the ticks). After every item, accepted or refused, the state
//! read back from SQLite is the state the gate holds, a refusal wrote
//! nothing, no exit is credited twice, and a reopened ledger resumes the
//! same state.

use std::collections::BTreeSet;

use bulkhead_node::ledger::{Depth, Ledger, LedgerReader, Verdict};
use bulkhead_node::NodeError;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::Lane;
use bulkhead_testkit::chain::*;
use bulkhead_testkit::gate::{
    attestation, governance_on, import_above_tip, lane_flip, rotation_on, signed_tick, tick_time,
    validator_keys, STREAM_ID,
};
use bulkhead_verifier::gate::{
    BoundaryChange, GateConfig, GateState, GuardianScope, Signers, StreamItem,
};
use proptest::prelude::*;

fn keys(_: &GateConfig) -> Result<Option<Vec<bulkhead_verifier::VerifierKeys>>, NodeError> {
    Ok(Some(vec![verifier_keys()]))
}

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
    /// A guardian vote, for the current round or a stale one.
    Vote {
        local: bool,
        trip: bool,
        stale: bool,
        guardian: usize,
    },
    /// An attestation of source 1 one height up (a step) or at the tip's
    /// height with another root (a fork), by `signers` validators.
    Attest {
        fork: bool,
        root: u64,
        signers: usize,
    },
    /// An import of `amount` of asset 1 by segment 2, one height above its
    /// tip, by `signers` validators.
    Import { amount: u64, signers: usize },
    /// Governance of `segment`: change `kind` (0 to 5) of asset 1 by
    /// `value`, at its next sequence number or the one before (a replay),
    /// by the guardians or the validators.
    Govern {
        segment: u64,
        kind: u8,
        value: u64,
        replay: bool,
        guardians: bool,
    },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (0..2u64, prop::bool::weighted(0.2), 1..4usize)
            .prop_map(|(skip, early, signers)| Action::Tick { skip, early, signers }),
        4 => (0..3usize).prop_map(Action::Bundle),
        3 => (any::<bool>(), any::<bool>(), prop::bool::weighted(0.2), 0..3usize).prop_map(
            |(local, trip, stale, guardian)| Action::Vote { local, trip, stale, guardian }
        ),
        1 => (any::<bool>(), 0..3u64, 2..5usize)
            .prop_map(|(fork, root, signers)| Action::Attest { fork, root, signers }),
        2 => (1..50u64, 2..5usize).prop_map(|(amount, signers)| Action::Import { amount, signers }),
        2 => (1..=2u64, 0..12u8, 0..8_000u64, prop::bool::weighted(0.1), prop::bool::weighted(0.7))
            .prop_map(|(segment, kind, value, replay, guardians)| Action::Govern {
                segment, kind, value, replay, guardians,
            }),
    ]
}

fn item_for(state: &GateState, action: &Action) -> StreamItem {
    match action {
        Action::Tick {
            skip,
            early,
            signers,
        } => {
            let epoch = state.epoch + 1 + skip;
            let time = tick_time(epoch) - u64::from(*early);
            signed_tick(SEED, epoch, time, *signers)
        }
        Action::Bundle(i) => item(&bundles()[*i]),
        Action::Vote {
            local,
            trip,
            stale,
            guardian,
        } => {
            let (scope, target, round) = if *local {
                (GuardianScope::Local, 2, state.local_round)
            } else {
                (GuardianScope::Stream, 1, state.sources[&1].round)
            };
            let round = if *stale { round.wrapping_sub(1) } else { round };
            vote(scope, target, *trip, round, *guardian)
        }
        Action::Attest {
            fork,
            root,
            signers,
        } => {
            let source = &state.sources[&1];
            let (height, parent) = if *fork {
                let below = source.height.saturating_sub(1);
                let parent = source.roots.get(&below).map_or(Fp::from(0), |r| {
                    bulkhead_protocol::hash::fp_from_bytes(r.root.0).unwrap_or(Fp::from(0))
                });
                (source.height, parent)
            } else {
                (source.height + 1, source.tip)
            };
            attestation(SEED, 1, height, parent, Fp::from(1000 + root), *signers)
        }
        Action::Import { amount, signers } => {
            import_above_tip(SEED, state, 2, 5000, 1, *amount, *signers)
        }
        Action::Govern {
            segment,
            kind,
            value,
            replay,
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
                5 => BoundaryChange::Clear { asset: 1 },
                6 => BoundaryChange::LowerInbound { limit: value },
                7 => BoundaryChange::RaiseInbound { limit: value },
                // A rotation to another seed's keys, cosigned by the
                // registered set (the ledger keeps the rotated set).
                10 => {
                    let change = BoundaryChange::Rotate {
                        validators: validator_keys(SEED + 1, *segment, 3),
                        threshold: 1 + (value % 3) as usize,
                    };
                    let seq = state.sources[segment].governance.seq;
                    return rotation_on(STREAM_ID, SEED, *segment, seq, change, SEED, 3);
                }
                // A silo added for asset 9 (the ledger rebuilds the tree
                // from the registration and the addition's opening).
                11 => BoundaryChange::AddSilo {
                    asset: 9,
                    cap: value,
                    siblings: genesis()[segment].silo_path(9).unwrap().siblings,
                },
                // A lane removed or added (the ledger keeps the lanes root
                // and the governed positions).
                _ => lane_flip(
                    &genesis()[segment],
                    &state.sources[segment].governance.lanes,
                    value % 4,
                    Lane { dst: 3, asset: 2 },
                ),
            };
            let next = state.sources[segment].governance.seq;
            let seq = if *replay {
                next.saturating_sub(1)
            } else {
                next
            };
            let (by, signers) = if *guardians {
                (Signers::Guardians, 2)
            } else {
                (Signers::Validators, 3)
            };
            governance_on(STREAM_ID, SEED, *segment, seq, change, by, signers)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn the_ledger_is_the_gate_after_every_item(actions in prop::collection::vec(action(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        // Below the chain's largest exits (20, 30): some are credited in
        // parts across epochs.
        let mut config = config(2);
        config.inbound_limit = 15;
        Ledger::create(dir.path(), config, vec![verifier_keys()]).unwrap();
        let mut ledger = Ledger::open(dir.path(), keys).unwrap();
        let reader = LedgerReader::open(dir.path()).unwrap();
        let mut credited = BTreeSet::new();
        for action in &actions {
            let item = item_for(ledger.state(), action);
            let before = reader.export().unwrap();
            let verdict = ledger.apply(&item, None).unwrap();
            if let Verdict::Refused(refusal) = &verdict {
                prop_assert_eq!(&reader.export().unwrap(), &before, "{} wrote", refusal);
            }
            let (read_back, _) = reader.state(Depth::Full).unwrap();
            prop_assert_eq!(&read_back, ledger.state(), "after {:?}", action);
        }
        let page = reader.credits(None, 0, 1000).unwrap();
        for (_, credit) in &page.credits {
            prop_assert!(
                credited.insert((credit.src, credit.seq, credit.part)),
                "credited twice"
            );
        }
        // Every record is a whole exit or a part; an exit counts as
        // credited once its last part is, and a part still held has a
        // part number past the records of its exit.
        let exits: BTreeSet<(u64, u64)> = credited.iter().map(|&(s, q, _)| (s, q)).collect();
        let in_part = ledger.state().held.values().filter(|c| c.part > 0).count() as u64;
        prop_assert_eq!(exits.len() as u64 - in_part, ledger.state().credited_exits);
        for held in ledger.state().held.values() {
            let parts = credited.iter().filter(|&&(s, q, _)| (s, q) == (held.src, held.seq)).count();
            prop_assert_eq!(parts as u64, held.part);
        }
        let state = ledger.state().clone();
        drop(ledger);
        let reopened = Ledger::open(dir.path(), keys).unwrap();
        prop_assert_eq!(reopened.state(), &state);
    }
}
