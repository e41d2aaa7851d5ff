//! A segment as it will be once a queue of exits is paid: the overlay a
//! relayer checks requests against before it queues them.
//!
//! A relayer accepts an exit long before the exit goes into a batch, and
//! must not accept one that the batch would refuse. [`PendingExits`] keeps
//! every account with queued exits as it will be after them, and every
//! silo's collateral as it will be, and admits an exit only through the
//! model's own rules ([`Account::debit`], [`Silo::collateral_after`]), so
//! an admitted queue, batched in order, is one the model applies. The
//! epoch-dependent cap is the one rule it cannot settle at the door (the
//! epoch a batch lands in is not known yet): it refuses only an exit no
//! epoch could ever let out, and batch formation asks [`Silo::room`].

use std::collections::BTreeMap;

use super::rules::DebitRefusal;
use super::{Account, Lane, SegmentState, Silo};

/// One exit as it is asked for: which lane, which account, how much.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitIntent {
    /// The lane it leaves by.
    pub lane: Lane,
    /// The account it debits.
    pub account: u64,
    /// The amount.
    pub amount: u64,
}

/// An exit [`PendingExits::admit`] accepted: its account before and after
/// it. The exit spends `before.nonce`, which is what its owner must have
/// signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Admission {
    /// The exit.
    pub intent: ExitIntent,
    /// The account once the exits queued before it are paid.
    pub before: Account,
    /// The account once this exit is paid too.
    pub after: Account,
    /// How many exits of the account are queued before this one (its
    /// share of the queue so far).
    pub queued_before: u64,
}

/// Why an exit cannot be queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PendingRefusal {
    /// The segment has no such lane, or no silo for its asset.
    #[error("this segment has no lane to segment {dst} for asset {asset}")]
    LaneNotAllowed {
        /// Destination.
        dst: u64,
        /// Asset.
        asset: u64,
    },
    /// No account at that index.
    #[error("no account {account} in this segment")]
    UnknownAccount {
        /// The index.
        account: u64,
    },
    /// The account, as it will be after its queued exits, refuses the
    /// debit.
    #[error("account {account}: {refusal}")]
    Debit {
        /// The index.
        account: u64,
        /// Why.
        refusal: DebitRefusal,
    },
    /// More than the silo lets out in any one epoch: it could never go.
    #[error("more than asset {asset}'s cap of {cap} per epoch")]
    OverCap {
        /// The asset.
        asset: u64,
        /// Its cap per epoch.
        cap: u64,
    },
    /// More than the silo's collateral left once the queued exits of the
    /// asset are paid.
    #[error("asset {asset} has {available} of collateral left after the queued exits")]
    OverCollateral {
        /// The asset.
        asset: u64,
        /// The collateral left after the queued exits.
        available: u64,
    },
}

/// A queued exit that the overlay cannot take back on: the queue is not
/// one admitted against this state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StaleQueue {
    /// The exit at `position` in the queue is refused.
    #[error("queued exit {position} is refused: {refusal}")]
    Refused {
        /// Its place in the queue.
        position: usize,
        /// Why.
        refusal: PendingRefusal,
    },
    /// The exit at `position` spends another nonce than its account's
    /// next.
    #[error("queued exit {position} spends nonce {queued}, its account's next is {next}")]
    Nonce {
        /// Its place in the queue.
        position: usize,
        /// The nonce it spends.
        queued: u64,
        /// The account's next nonce after the exits before it.
        next: u64,
    },
}

/// The queued exits' effect on a segment: accounts and collateral as they
/// will be once every queued exit is paid (others as at the tip).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingExits {
    /// Every account with queued exits, after them.
    accounts: BTreeMap<u64, Account>,
    /// Per asset, what its queued exits take of the collateral (never
    /// more than the collateral: each was admitted against what was left).
    outflow: BTreeMap<u64, u64>,
    /// Exits queued per account.
    queued: BTreeMap<u64, u64>,
}

impl PendingExits {
    /// No exit queued.
    pub fn new() -> Self {
        Self::default()
    }

    /// The overlay of `queue` (each exit with the nonce it spends) on
    /// `tip`: every exit admitted in order, at exactly its nonce.
    pub fn rebuild(
        tip: &SegmentState,
        queue: impl IntoIterator<Item = (ExitIntent, u64)>,
    ) -> Result<Self, StaleQueue> {
        let mut pending = Self::new();
        for (position, (intent, nonce)) in queue.into_iter().enumerate() {
            let admission = pending
                .admit(tip, intent)
                .map_err(|refusal| StaleQueue::Refused { position, refusal })?;
            if admission.before.nonce != nonce {
                return Err(StaleQueue::Nonce {
                    position,
                    queued: nonce,
                    next: admission.before.nonce,
                });
            }
            pending.push(&admission);
        }
        Ok(pending)
    }

    /// Checks `intent` against `tip` as it will be once every queued exit
    /// is paid, changing nothing: the lane and its silo exist, the account
    /// exists, the amount fits one epoch's cap and the collateral the
    /// queue leaves ([`Silo::collateral_after`]), and the account takes the
    /// debit ([`Account::debit`]). Refusals come in that order: what the
    /// silo can never pay is named before what the account lacks.
    pub fn admit(
        &self,
        tip: &SegmentState,
        intent: ExitIntent,
    ) -> Result<Admission, PendingRefusal> {
        let ExitIntent {
            lane,
            account,
            amount,
        } = intent;
        let no_lane = PendingRefusal::LaneNotAllowed {
            dst: lane.dst,
            asset: lane.asset,
        };
        if !tip.lanes().contains_key(&lane) {
            return Err(no_lane);
        }
        let silo = *tip.silo(lane.asset).ok_or(no_lane)?;
        let before = match self.accounts.get(&account) {
            Some(pending) => *pending,
            None => *tip
                .account(account)
                .ok_or(PendingRefusal::UnknownAccount { account })?,
        };
        // An exit no epoch can let out would hold its lane (and its
        // account's later exits) for good.
        if amount > silo.cap {
            return Err(PendingRefusal::OverCap {
                asset: lane.asset,
                cap: silo.cap,
            });
        }
        let available = self.collateral_left(tip, lane.asset);
        let pending_silo = Silo {
            collateral: available,
            ..silo
        };
        if pending_silo.collateral_after(amount).is_none() {
            return Err(PendingRefusal::OverCollateral {
                asset: lane.asset,
                available,
            });
        }
        let after = before
            .debit(lane.asset, amount)
            .map_err(|refusal| PendingRefusal::Debit { account, refusal })?;
        Ok(Admission {
            intent,
            before,
            after,
            queued_before: self.queued.get(&account).copied().unwrap_or(0),
        })
    }

    /// Queues an admitted exit: its account and silo as they will be
    /// after it. `admission` must come from [`PendingExits::admit`] on
    /// this overlay as it is now.
    pub fn push(&mut self, admission: &Admission) {
        let ExitIntent {
            lane,
            account,
            amount,
        } = admission.intent;
        self.accounts.insert(account, admission.after);
        let outflow = self.outflow.entry(lane.asset).or_default();
        // Cannot saturate: `admit` checked the collateral covers it.
        *outflow = outflow.saturating_add(amount);
        *self.queued.entry(account).or_default() += 1;
    }

    /// The collateral of `asset` left once its queued exits are paid.
    pub fn collateral_left(&self, tip: &SegmentState, asset: u64) -> u64 {
        let collateral = tip.silo(asset).map_or(0, |s| s.collateral);
        collateral.saturating_sub(self.outflow.get(&asset).copied().unwrap_or(0))
    }

    /// Exits of `account` queued.
    pub fn queued(&self, account: u64) -> u64 {
        self.queued.get(&account).copied().unwrap_or(0)
    }

    /// The account `index` as it will be once its queued exits are paid,
    /// if it has any.
    pub fn account(&self, index: u64) -> Option<&Account> {
        self.accounts.get(&index)
    }
}
