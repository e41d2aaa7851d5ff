//! The pending overlay and the model agree: an exit the overlay admits is
//! one the model applies after the queue before it, and one it refuses
//! the model refuses too (property tests over random request streams,
//! hostile amounts included).

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::{
    BatchRequest, DebitRefusal, ExitIntent, ExitRequest, Lane, PendingExits, PendingRefusal,
    SegmentState, StaleQueue,
};
use bulkhead_protocol::CircuitShape;
use bulkhead_testkit::sample::{self, ASSET, DST, EPOCH, OTHER_ASSET};
use proptest::prelude::*;

const SHAPE: CircuitShape = CircuitShape::TINY;

fn tip() -> SegmentState {
    sample::segment(1, &SHAPE).unwrap()
}

/// Applies `queue` on a copy of `tip` as a relayer would at the latest,
/// each exit in its own batch in a fresh epoch (so the cap never binds
/// beyond one exit): whether the model takes every one.
fn model_takes(tip: &SegmentState, queue: &[ExitIntent]) -> bool {
    let mut state = tip.clone();
    queue.iter().enumerate().all(|(i, intent)| {
        let batch = BatchRequest {
            dst: intent.lane.dst,
            asset: intent.lane.asset,
            epoch: EPOCH + 1 + i as u64,
            exits: vec![ExitRequest {
                account: intent.account,
                recipient: Fp::from(5),
                amount: u128::from(intent.amount),
            }],
        };
        state.apply_exits(&batch, &SHAPE).is_ok()
    })
}

fn intent() -> impl Strategy<Value = ExitIntent> {
    let lane = prop_oneof![
        Just(Lane {
            dst: DST,
            asset: ASSET
        }),
        Just(Lane {
            dst: 3,
            asset: ASSET
        }),
        Just(Lane {
            dst: DST,
            asset: OTHER_ASSET
        }),
        // Not a lane of segment 1.
        Just(Lane {
            dst: 9,
            asset: ASSET
        }),
    ];
    let amount = prop_oneof![
        0u64..=8_000,
        Just(0),
        Just(6_000),
        Just(6_001),
        Just(u64::MAX),
        Just(u64::MAX - 1),
    ];
    (lane, 0u64..10, amount).prop_map(|(lane, account, amount)| ExitIntent {
        lane,
        account,
        amount,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every intent of a random stream is admitted exactly when the model
    /// applies it after the exits admitted before it; the admitted queue
    /// rebuilds to the same overlay.
    #[test]
    fn the_overlay_admits_exactly_what_the_model_applies(stream in prop::collection::vec(intent(), 1..40)) {
        let tip = tip();
        let mut pending = PendingExits::new();
        let mut queue: Vec<ExitIntent> = Vec::new();
        let mut nonces: Vec<u64> = Vec::new();
        for intent in stream {
            let admitted = pending.admit(&tip, intent);
            let mut with = queue.clone();
            with.push(intent);
            prop_assert_eq!(admitted.is_ok(), model_takes(&tip, &with), "{:?} -> {:?}", intent, admitted);
            if let Ok(admission) = admitted {
                let next = tip.account(intent.account).unwrap().nonce
                    + queue.iter().filter(|q| q.account == intent.account).count() as u64;
                prop_assert_eq!(admission.before.nonce, next);
                prop_assert_eq!(admission.after.balance, admission.before.balance - intent.amount);
                pending.push(&admission);
                queue.push(intent);
                nonces.push(admission.before.nonce);
            }
        }
        let rebuilt = PendingExits::rebuild(&tip, queue.iter().copied().zip(nonces)).unwrap();
        prop_assert_eq!(rebuilt, pending);
    }
}

#[test]
fn refusals_name_the_rule() {
    let tip = tip();
    let pending = PendingExits::new();
    let on = |account, amount| ExitIntent {
        lane: Lane {
            dst: DST,
            asset: ASSET,
        },
        account,
        amount,
    };
    let refused = |intent| pending.admit(&tip, intent).unwrap_err();
    assert_eq!(
        refused(ExitIntent {
            lane: Lane {
                dst: 9,
                asset: ASSET
            },
            ..on(0, 1)
        }),
        PendingRefusal::LaneNotAllowed { dst: 9, asset: 1 }
    );
    assert_eq!(
        refused(on(9, 1)),
        PendingRefusal::UnknownAccount { account: 9 }
    );
    assert_eq!(
        refused(on(0, 0)),
        PendingRefusal::Debit {
            account: 0,
            refusal: DebitRefusal::ZeroAmount
        }
    );
    assert_eq!(
        refused(on(1, 5)),
        PendingRefusal::Debit {
            account: 1,
            refusal: DebitRefusal::WrongAsset { holds: OTHER_ASSET }
        }
    );
    assert_eq!(
        refused(on(0, 1001)),
        PendingRefusal::Debit {
            account: 0,
            refusal: DebitRefusal::Insufficient { balance: 1000 }
        }
    );
    // Account 6 holds 7,000: more than one epoch's cap of 6,000.
    assert_eq!(
        refused(on(6, 6_500)),
        PendingRefusal::OverCap {
            asset: ASSET,
            cap: 6_000
        }
    );
}

#[test]
fn queued_exits_count_against_balance_and_collateral() {
    let tip = tip();
    let mut pending = PendingExits::new();
    let on = |account, amount| ExitIntent {
        lane: Lane {
            dst: DST,
            asset: ASSET,
        },
        account,
        amount,
    };
    // Asset 1's 20,000 of collateral: accounts 4, 6 and 2 queue 5,000 +
    // 6,000 + 1,000 + 1,000 + 1,000 = 14,000, leaving 6,000.
    for (account, amount) in [(4, 5_000), (6, 6_000), (6, 1_000), (2, 1_000), (2, 1_000)] {
        let admission = pending.admit(&tip, on(account, amount)).unwrap();
        pending.push(&admission);
    }
    assert_eq!(pending.queued(6), 2);
    assert_eq!(pending.account(6).unwrap().nonce, 2);
    assert_eq!(pending.collateral_left(&tip, ASSET), 6_000);
    assert_eq!(pending.admit(&tip, on(0, 1_000)).unwrap().queued_before, 0);
    assert_eq!(
        pending.admit(&tip, on(4, 1)).unwrap_err(),
        PendingRefusal::Debit {
            account: 4,
            refusal: DebitRefusal::Insufficient { balance: 0 }
        }
    );
    assert_eq!(
        pending.admit(&tip, on(0, 1_000)).map(|a| a.before.nonce),
        Ok(0)
    );
    let mut more = pending.clone();
    for _ in 0..4 {
        let admission = more.admit(&tip, on(0, 250)).unwrap();
        more.push(&admission);
    }
    // Account 0's 1,000 spent 250 at a time: 5,000 of collateral left.
    assert_eq!(more.collateral_left(&tip, ASSET), 5_000);
    assert_eq!(
        more.admit(&tip, on(6, 4_001)).unwrap_err(),
        PendingRefusal::Debit {
            account: 6,
            refusal: DebitRefusal::Insufficient { balance: 0 }
        }
    );
    let admission = more
        .admit(
            &tip,
            ExitIntent {
                lane: Lane {
                    dst: 3,
                    asset: ASSET,
                },
                account: 2,
                amount: 1,
            },
        )
        .unwrap();
    assert_eq!(admission.before.nonce, 2);
    assert_eq!(admission.queued_before, 2);
}

#[test]
fn a_queue_that_spends_other_nonces_does_not_rebuild() {
    let tip = tip();
    let exit = ExitIntent {
        lane: Lane {
            dst: DST,
            asset: ASSET,
        },
        account: 0,
        amount: 10,
    };
    assert_eq!(
        PendingExits::rebuild(&tip, [(exit, 0), (exit, 2)]),
        Err(StaleQueue::Nonce {
            position: 1,
            queued: 2,
            next: 1
        })
    );
    let too_much = ExitIntent {
        amount: 995,
        ..exit
    };
    assert_eq!(
        PendingExits::rebuild(&tip, [(exit, 0), (too_much, 1)]),
        Err(StaleQueue::Refused {
            position: 1,
            refusal: PendingRefusal::Debit {
                account: 0,
                refusal: DebitRefusal::Insufficient { balance: 990 }
            }
        })
    );
}
