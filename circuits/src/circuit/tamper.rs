//! The witness-override hook for soundness tests.
//!
//! The circuit computes every derived cell (new balance, running totals,
//! next root, ...) from the witness, as an honest prover would. A soundness
//! test needs a prover that assigns something else to exactly one of those
//! cells; it names the cell by its [`Site`] and the value to put there.
//! Outside tests, [`Tamper::apply`] is the identity and the list is absent.

use halo2_proofs::circuit::Value;

use bulkhead_protocol::hash::Fp;

/// A derived cell of the circuit, by role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum Site {
    /// Inverse of slot i's amount (I3 nonzero witness).
    AmountInv(usize),
    /// Slot i's balance after the debit.
    NewBalance(usize),
    /// Slot i's nonce after the debit.
    NewNonce(usize),
    /// Slot i's sender account index and nonce, packed for the exit leaf.
    AccountNonce(usize),
    /// Running total after slot i.
    RunningTotal(usize),
    /// Running count after slot i.
    RunningCount(usize),
    /// Accounts root after slot i.
    RootNext(usize),
    /// Exit leaf of slot i.
    ExitLeaf(usize),
    /// Sequence number after slot i.
    SeqNext(usize),
    /// Silo collateral after the batch.
    NewCollateral,
    /// EPOCH - window_epoch.
    EpochDiff,
    /// Inverse of the epoch difference.
    EpochDiffInv,
    /// 1 iff EPOCH == window_epoch.
    SameEpoch,
    /// Outflow the window starts from.
    BaseOutflow,
    /// Outflow after the batch.
    NewOutflow,
    /// cap - new outflow.
    CapSlack,
    /// exit_seq after the batch.
    NewExitSeq,
}

/// Overrides for derived cells (test builds only).
#[derive(Clone, Debug, Default)]
pub(crate) struct Tamper {
    #[cfg(test)]
    overrides: Vec<(Site, Fp)>,
}

impl Tamper {
    /// Sets `site` to `value` whatever the honest computation says.
    #[cfg(test)]
    pub(crate) fn set(&mut self, site: Site, value: Fp) {
        self.overrides.push((site, value));
    }

    /// The value to assign at `site`: the override if one is set.
    #[cfg_attr(not(test), allow(unused_variables))]
    pub(crate) fn apply(&self, site: Site, honest: Value<Fp>) -> Value<Fp> {
        #[cfg(test)]
        if let Some((_, value)) = self.overrides.iter().rev().find(|(s, _)| *s == site) {
            return Value::known(*value);
        }
        honest
    }
}
