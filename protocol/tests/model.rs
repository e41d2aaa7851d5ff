//! The native model: every rule has its typed error and leaves the state
//! untouched when it refuses; applied batches keep roots, sequence and
//! silo consistent.

use bulkhead_protocol::hash::{self, tag};
use bulkhead_protocol::merkle::MerklePath;
use bulkhead_protocol::model::*;
use bulkhead_protocol::{CircuitShape, Error, Fp};
use bulkhead_testkit::sample;
use ff::Field;
use proptest::prelude::*;

const SHAPE: CircuitShape = CircuitShape {
    accounts_depth: 6,
    silo_depth: 3,
    lanes_depth: 2,
    batch_size: 4,
    poseidon_chips: 2,
};

fn segment() -> SegmentState {
    sample::segment(1, &SHAPE).unwrap()
}

/// Applies `exits` on the main lane and checks that a refusal leaves the
/// state exactly as it was.
fn refused(state: &mut SegmentState, batch: &BatchRequest) -> Error {
    let (accounts, boundary) = (state.accounts_root(), state.boundary_root());
    let err = state.apply_exits(batch, &SHAPE).unwrap_err();
    assert_eq!(
        (state.accounts_root(), state.boundary_root()),
        (accounts, boundary)
    );
    err
}

#[test]
fn each_rule_has_its_typed_error() {
    let mut s = segment();
    let main = |exits: &[(u64, u128)]| sample::batch(sample::EPOCH, exits);
    assert_eq!(refused(&mut s, &main(&[])), Error::EmptyBatch);
    assert_eq!(
        refused(&mut s, &main(&[(0, 1); 5])),
        Error::BatchTooLarge { len: 5, max: 4 }
    );
    assert_eq!(
        refused(&mut s, &main(&[(0, 0)])),
        Error::AmountOutOfRange { slot: 0, amount: 0 }
    );
    assert_eq!(
        refused(&mut s, &main(&[(0, 1), (0, 1 << 64)])),
        Error::AmountOutOfRange {
            slot: 1,
            amount: 1 << 64
        }
    );
    assert_eq!(
        refused(&mut s, &main(&[(9, 1)])),
        Error::UnknownAccount { slot: 0, index: 9 }
    );
    assert_eq!(
        refused(&mut s, &main(&[(1, 1)])),
        Error::WrongAsset {
            slot: 0,
            index: 1,
            account_asset: 2,
            batch_asset: 1
        }
    );
    // Account 0 holds 1,000: the second exit finds 400 left.
    assert_eq!(
        refused(&mut s, &main(&[(0, 600), (0, 401)])),
        Error::InsufficientBalance {
            slot: 1,
            index: 0,
            balance: 400,
            amount: 401
        }
    );
    let other_lane = BatchRequest {
        dst: 3,
        asset: sample::OTHER_ASSET,
        ..main(&[(1, 1)])
    };
    assert_eq!(
        refused(&mut s, &other_lane),
        Error::LaneNotAllowed {
            dst: 3,
            asset: sample::OTHER_ASSET
        }
    );
    assert_eq!(
        refused(&mut s, &sample::batch(sample::EPOCH - 1, &[(0, 1)])),
        Error::EpochBackwards {
            window_epoch: sample::EPOCH,
            epoch: sample::EPOCH - 1
        }
    );
    // Window holds 1,000 of a 6,000 cap.
    assert_eq!(
        refused(&mut s, &main(&[(4, 4000), (6, 1001)])),
        Error::CapExceeded {
            asset: 1,
            cap: 6000,
            outflow: 1000,
            total: 5001
        }
    );
    s.set_silo(Silo {
        collateral: 300,
        ..*s.silo(sample::ASSET).unwrap()
    })
    .unwrap();
    assert_eq!(
        refused(&mut s, &main(&[(0, 200), (2, 101)])),
        Error::CollateralExhausted {
            asset: 1,
            collateral: 300,
            total: 301
        }
    );
    s.open_account(
        10,
        Account {
            owner: Fp::ONE,
            asset: 1,
            balance: u64::MAX,
            nonce: u64::MAX,
        },
    )
    .unwrap();
    assert_eq!(
        refused(&mut s, &main(&[(10, 1)])),
        Error::NonceOverflow { slot: 0, index: 10 }
    );
    s.open_account(
        11,
        Account {
            owner: Fp::ONE,
            asset: 1,
            balance: u64::MAX,
            nonce: 0,
        },
    )
    .unwrap();
    s.set_silo(Silo {
        collateral: u64::MAX,
        cap: u64::MAX,
        ..*s.silo(sample::ASSET).unwrap()
    })
    .unwrap();
    assert_eq!(
        refused(&mut s, &main(&[(11, u64::MAX as u128), (11, 1)])),
        Error::InsufficientBalance {
            slot: 1,
            index: 11,
            balance: 0,
            amount: 1
        }
    );
    assert_eq!(
        refused(&mut s, &main(&[(11, u64::MAX as u128), (4, 1)])),
        Error::TotalOverflow
    );
    let mut no_silo = SegmentState::new(1, &SHAPE).unwrap();
    no_silo
        .allow_lane(Lane {
            dst: sample::DST,
            asset: sample::ASSET,
        })
        .unwrap();
    assert_eq!(
        no_silo.apply_exits(&main(&[(0, 1)]), &SHAPE).unwrap_err(),
        Error::NoSilo { asset: 1 }
    );
    assert_eq!(
        s.set_silo(Silo {
            asset: 8,
            ..*s.silo(sample::ASSET).unwrap()
        }),
        Err(Error::AssetOutOfRange { asset: 8, depth: 3 })
    );
    let other_shape = CircuitShape {
        accounts_depth: 7,
        ..SHAPE
    };
    assert!(matches!(
        s.apply_exits(&main(&[(0, 1)]), &other_shape),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn a_batch_updates_roots_sequence_and_silo_consistently() {
    let mut s = segment();
    let before = s.clone();
    let outcome = s
        .apply_exits(
            &sample::batch(sample::EPOCH + 2, &[(0, 300), (2, 50), (0, 100)]),
            &SHAPE,
        )
        .unwrap();
    let i = outcome.instance;
    assert_eq!((i.first_seq, i.exit_count, i.total), (0, 3, 450));
    assert_eq!(i.accounts_before, before.accounts_root());
    assert_eq!(i.accounts_after, s.accounts_root());
    assert_eq!(i.boundary_after, s.boundary_root());
    assert_eq!(s.exit_seq(), 3);
    assert_eq!(s.account(0).unwrap().balance, 600);
    assert_eq!(s.account(0).unwrap().nonce, 2);
    // A new epoch restarts the window: 450 out, not 1,450.
    let silo = s.silo(sample::ASSET).unwrap();
    assert_eq!(
        (silo.window_epoch, silo.window_outflow, silo.collateral),
        (9, 450, 19_550)
    );
    // Exit records carry the account and the nonce each exit used.
    let used: Vec<(u64, u64)> = outcome.exits.iter().map(|e| (e.account, e.nonce)).collect();
    assert_eq!(used, [(0, 0), (2, 0), (0, 1)]);
    // The witness path of the first slot opens the old root.
    let slot = &outcome.witness.slots[0];
    let path = MerklePath {
        index: 0,
        siblings: slot.siblings.clone(),
    };
    let leaf = hash::account_leaf(slot.owner, slot.asset, slot.balance, slot.nonce);
    assert_eq!(path.root(tag::ACCOUNT_NODE, leaf), i.accounts_before);
    assert_eq!(outcome.witness.slots[3].enabled, Fp::ZERO);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random batches of exits from asset-1 accounts either apply, with
    /// totals that match the model's own bookkeeping, or are refused
    /// without any change.
    #[test]
    fn random_batches_apply_or_are_refused_cleanly(
        exits in prop::collection::vec((0u64..4, 1u128..3000), 1..=4),
        epoch_step in 0u64..2,
    ) {
        let mut s = segment();
        let exits: Vec<(u64, u128)> = exits.into_iter().map(|(a, v)| (2 * a, v)).collect();
        let batch = sample::batch(sample::EPOCH + epoch_step, &exits);
        let before = s.clone();
        match s.apply_exits(&batch, &SHAPE) {
            Ok(outcome) => {
                let sum: u128 = exits.iter().map(|e| e.1).sum();
                prop_assert_eq!(outcome.instance.total as u128, sum);
                let spent: u64 = before.accounts().iter().map(|(i, a)| a.balance - s.account(*i).unwrap().balance).sum();
                prop_assert_eq!(spent as u128, sum);
                prop_assert_eq!(s.exit_seq(), exits.len() as u64);
                prop_assert_eq!(
                    before.silo(1).unwrap().collateral - s.silo(1).unwrap().collateral,
                    outcome.instance.total
                );
            }
            Err(_) => {
                prop_assert_eq!(s.accounts_root(), before.accounts_root());
                prop_assert_eq!(s.boundary_root(), before.boundary_root());
            }
        }
    }

    /// Small batches within every limit always apply.
    #[test]
    fn valid_batches_always_apply(exits in prop::collection::vec((0u64..4, 1u128..200), 1..=4)) {
        let mut s = segment();
        let exits: Vec<(u64, u128)> = exits.into_iter().map(|(a, v)| (2 * a, v)).collect();
        prop_assert!(s.apply_exits(&sample::batch(sample::EPOCH, &exits), &SHAPE).is_ok());
    }
}
