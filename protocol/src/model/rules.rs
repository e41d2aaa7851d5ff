//! The boundary rules of one exit and of one silo, each written once.
//!
//! The model's batch plan ([`SegmentState::apply_exits`]) and a relayer's
//! pending overlay ([`super::PendingExits`]) both ask these: an account is
//! debited by [`Account::debit`] (I2 exact debit, I3 no underflow, I4
//! asset silo, and the nonce step), a silo lets value out by
//! [`Silo::after`] (I6 collateral never negative, I7 per-epoch outflow
//! cap), and what a silo can still let out at an epoch is [`Silo::room`],
//! computed from the same window rule.
//!
//! [`SegmentState::apply_exits`]: super::SegmentState::apply_exits

use super::{Account, Silo};

/// Why one exit cannot debit its account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DebitRefusal {
    /// Zero is not an exit.
    #[error("the amount must be at least 1")]
    ZeroAmount,
    /// The account holds another asset than the lane moves.
    #[error("the account holds asset {holds}")]
    WrongAsset {
        /// The account's asset.
        holds: u64,
    },
    /// More than the account holds.
    #[error("the account holds {balance}")]
    Insufficient {
        /// Its balance.
        balance: u64,
    },
    /// The account's nonce is at its end: it can never exit again.
    #[error("the account's nonce is exhausted")]
    NonceExhausted,
}

impl Account {
    /// The account after one exit of `amount` in `asset`: the balance less
    /// exactly `amount`, the nonce one on. Refuses, in this order, a zero
    /// amount, another asset, more than the balance, and a nonce with no
    /// successor.
    pub fn debit(&self, asset: u64, amount: u64) -> Result<Account, DebitRefusal> {
        if amount == 0 {
            return Err(DebitRefusal::ZeroAmount);
        }
        if self.asset != asset {
            return Err(DebitRefusal::WrongAsset { holds: self.asset });
        }
        let balance = self
            .balance
            .checked_sub(amount)
            .ok_or(DebitRefusal::Insufficient {
                balance: self.balance,
            })?;
        let nonce = self
            .nonce
            .checked_add(1)
            .ok_or(DebitRefusal::NonceExhausted)?;
        Ok(Account {
            balance,
            nonce,
            ..*self
        })
    }
}

/// Why a silo cannot let a total out at an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SiloRefusal {
    /// The epoch is before the silo's outflow window: epochs never go
    /// back.
    #[error("the epoch is before the silo's window (epoch {window_epoch})")]
    EpochBackwards {
        /// The window's epoch.
        window_epoch: u64,
    },
    /// More than the collateral left.
    #[error("the collateral left is {collateral}")]
    CollateralExhausted {
        /// The collateral.
        collateral: u64,
    },
    /// More than the epoch's cap leaves.
    #[error("the epoch's window has already let {outflow} out")]
    CapExceeded {
        /// What the window has already let out at that epoch.
        outflow: u64,
    },
}

impl Silo {
    /// What the outflow window has counted by `epoch`: its outflow in its
    /// own epoch, nothing in a later one (a new window opens). An earlier
    /// epoch is refused.
    pub fn outflow_at(&self, epoch: u64) -> Result<u64, SiloRefusal> {
        if epoch < self.window_epoch {
            return Err(SiloRefusal::EpochBackwards {
                window_epoch: self.window_epoch,
            });
        }
        Ok(if epoch > self.window_epoch {
            0
        } else {
            self.window_outflow
        })
    }

    /// The most that may still leave at `epoch`: the collateral, and what
    /// the cap leaves of the epoch's window.
    pub fn room(&self, epoch: u64) -> Result<u64, SiloRefusal> {
        let outflow = self.outflow_at(epoch)?;
        Ok(self.collateral.min(self.cap.saturating_sub(outflow)))
    }

    /// The collateral left once `total` more leaves, if it covers
    /// `total` (I6: collateral never negative).
    pub fn collateral_after(&self, total: u64) -> Option<u64> {
        self.collateral.checked_sub(total)
    }

    /// The silo after `total` leaves at `epoch`: the collateral less
    /// `total`, the window moved to `epoch` with `total` counted in it.
    /// Refuses an epoch before the window, more than the collateral, and
    /// more than the cap leaves, in that order.
    pub fn after(&self, epoch: u64, total: u64) -> Result<Silo, SiloRefusal> {
        let outflow = self.outflow_at(epoch)?;
        let collateral = self
            .collateral_after(total)
            .ok_or(SiloRefusal::CollateralExhausted {
                collateral: self.collateral,
            })?;
        let window_outflow = outflow
            .checked_add(total)
            .filter(|o| *o <= self.cap)
            .ok_or(SiloRefusal::CapExceeded { outflow })?;
        Ok(Silo {
            collateral,
            window_epoch: epoch,
            window_outflow,
            ..*self
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Fp;
    use proptest::prelude::*;

    fn silo(collateral: u64, cap: u64, window_epoch: u64, window_outflow: u64) -> Silo {
        Silo {
            asset: 1,
            collateral,
            cap,
            window_epoch,
            window_outflow,
        }
    }

    #[test]
    fn a_debit_refuses_in_a_fixed_order() {
        let account = Account {
            owner: Fp::from(7),
            asset: 1,
            balance: 10,
            nonce: u64::MAX,
        };
        assert_eq!(account.debit(2, 0), Err(DebitRefusal::ZeroAmount));
        assert_eq!(
            account.debit(2, 11),
            Err(DebitRefusal::WrongAsset { holds: 1 })
        );
        assert_eq!(
            account.debit(1, 11),
            Err(DebitRefusal::Insufficient { balance: 10 })
        );
        assert_eq!(account.debit(1, 10), Err(DebitRefusal::NonceExhausted));
        let fresh = Account {
            nonce: 3,
            ..account
        };
        let after = fresh.debit(1, 4).unwrap();
        assert_eq!(
            (after.balance, after.nonce, after.owner),
            (6, 4, fresh.owner)
        );
    }

    #[test]
    fn the_window_counts_its_own_epoch_only() {
        let s = silo(100, 50, 5, 30);
        assert_eq!(
            s.outflow_at(4),
            Err(SiloRefusal::EpochBackwards { window_epoch: 5 })
        );
        assert_eq!(s.outflow_at(5), Ok(30));
        assert_eq!(s.outflow_at(6), Ok(0));
        assert_eq!(s.room(5), Ok(20));
        assert_eq!(s.room(6), Ok(50));
        assert_eq!(silo(10, 50, 5, 0).room(6), Ok(10));
        assert_eq!(
            s.after(5, 21),
            Err(SiloRefusal::CapExceeded { outflow: 30 })
        );
        assert_eq!(
            s.after(6, 101),
            Err(SiloRefusal::CollateralExhausted { collateral: 100 })
        );
        let after = s.after(6, 50).unwrap();
        assert_eq!(
            (after.collateral, after.window_epoch, after.window_outflow),
            (50, 6, 50)
        );
    }

    proptest! {
        /// `room` is exactly the largest total `after` accepts: the one
        /// window rule, asked two ways.
        #[test]
        fn room_is_the_most_after_accepts(
            collateral in any::<u64>(),
            cap in any::<u64>(),
            window_epoch in 0u64..4,
            window_outflow in any::<u64>(),
            epoch in 0u64..6,
        ) {
            let s = silo(collateral, cap, window_epoch, window_outflow.min(cap));
            match s.room(epoch) {
                Err(refusal) => prop_assert_eq!(s.after(epoch, 0), Err(refusal)),
                Ok(room) => {
                    prop_assert!(s.after(epoch, room).is_ok());
                    if let Some(more) = room.checked_add(1) {
                        prop_assert!(s.after(epoch, more).is_err());
                    }
                }
            }
        }
    }
}
