//! An import as the importing segment executes it: the value received
//! from other segments is credited to its accounts and raises its silo's
//! collateral by the same total. The new accounts root is what its
//! validators sign in the import item (rule G7), and the new boundary is
//! the one every gate's mirror computes.

use super::{Account, SegmentState, Silo};
use crate::error::Error;

impl SegmentState {
    /// Credits `amount` of `asset` to each `(account, amount)` of
    /// `credits` (each account must exist and hold the asset) and raises
    /// the asset's silo collateral by their total; all or nothing.
    /// Returns the total imported.
    pub fn import(&mut self, asset: u64, credits: &[(u64, u64)]) -> Result<u64, Error> {
        let silo = *self.silo(asset).ok_or(Error::NoSilo { asset })?;
        let mut credited: Vec<(u64, Account)> = Vec::with_capacity(credits.len());
        let mut total: u64 = 0;
        for (slot, (index, amount)) in credits.iter().enumerate() {
            // An account credited twice is credited on top of its first
            // credit.
            let current = credited
                .iter()
                .rev()
                .find(|(i, _)| i == index)
                .map(|(_, a)| *a)
                .or_else(|| self.account(*index).copied())
                .ok_or(Error::UnknownAccount {
                    slot,
                    index: *index,
                })?;
            if current.asset != asset {
                return Err(Error::WrongAsset {
                    slot,
                    index: *index,
                    account_asset: current.asset,
                    batch_asset: asset,
                });
            }
            let balance = current
                .balance
                .checked_add(*amount)
                .ok_or(Error::ImportOverflow { what: "an account" })?;
            total = total
                .checked_add(*amount)
                .ok_or(Error::ImportOverflow { what: "the total" })?;
            credited.push((*index, Account { balance, ..current }));
        }
        let collateral = silo
            .collateral
            .checked_add(total)
            .ok_or(Error::ImportOverflow {
                what: "the collateral",
            })?;
        for (index, account) in credited {
            self.account_tree.set_leaf(index, account.leaf())?;
            self.accounts.insert(index, account);
        }
        self.set_silo(Silo { collateral, ..silo })?;
        Ok(total)
    }
}
