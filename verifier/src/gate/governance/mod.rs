//! Rule G8, governance: a source's boundary changes at runtime by stream
//! items every gate applies alike to its mirror (DESIGN, "Adaptive
//! boundaries"). A **tighten** (lower a cap, withdraw collateral) is
//! signed by a threshold of the source's validators or of the stream
//! guardians and takes effect at once; a **loosen** (raise a cap, deposit
//! collateral) is signed by the guardians and takes effect only once the
//! stream reaches `timelock` epochs later, until when the guardians can
//! cancel it; a tighten of an asset voids every pending loosen of that
//! asset, so nothing queued before a threat undoes the response to it.
//! The **automatic rule** halves a silo's effective cap once its outflow
//! has reached its cap for `auto_epochs` consecutive epochs, until the
//! guardians clear it; it reads only the stream, so every gate agrees.
//!
//! Each item names its place in the source's governance sequence, so none
//! replays or reorders; its message names the stream and its own domain.

mod rule;

pub(super) use rule::{admit_governance, apply_governance, on_tick};
pub use rule::{check_effective_cap, GovernanceRefusal};

use std::collections::BTreeMap;

use bulkhead_protocol::messages::{governance_message, GovernanceStatement};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::item::IndexedSignature;

/// A change to one source's boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BoundaryChange {
    /// Tighten: lower the asset's cap to `cap`, at once.
    LowerCap {
        /// The asset.
        #[serde(with = "bulkhead_protocol::decimal")]
        asset: u64,
        /// The new cap, below the current one.
        #[serde(with = "bulkhead_protocol::decimal")]
        cap: u64,
    },
    /// Tighten: `amount` of the asset's collateral leaves the system
    /// outside the stream (back to the segment's home chain), at once.
    Withdraw {
        /// The asset.
        #[serde(with = "bulkhead_protocol::decimal")]
        asset: u64,
        /// The amount, at most the collateral.
        #[serde(with = "bulkhead_protocol::decimal")]
        amount: u64,
    },
    /// Loosen: raise the asset's cap to `cap`, after the timelock.
    RaiseCap {
        /// The asset.
        #[serde(with = "bulkhead_protocol::decimal")]
        asset: u64,
        /// The new cap, above the current one.
        #[serde(with = "bulkhead_protocol::decimal")]
        cap: u64,
    },
    /// Loosen: `amount` of the asset enters the system from outside as
    /// collateral, after the timelock.
    Deposit {
        /// The asset.
        #[serde(with = "bulkhead_protocol::decimal")]
        asset: u64,
        /// The amount.
        #[serde(with = "bulkhead_protocol::decimal")]
        amount: u64,
    },
    /// Cancel the pending loosen with sequence number `change`.
    Cancel {
        /// The pending change's sequence number.
        #[serde(with = "bulkhead_protocol::decimal")]
        change: u64,
    },
    /// Clear the automatic halving of the asset's cap.
    Clear {
        /// The asset.
        #[serde(with = "bulkhead_protocol::decimal")]
        asset: u64,
    },
}

/// What a change is, for who may sign it and when it takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeClass {
    /// At once; validators or guardians.
    Tighten,
    /// After the timelock; guardians.
    Loosen,
    /// On a pending change or the automatic rule, at once; guardians.
    Guardians,
}

impl BoundaryChange {
    /// The kind byte its message carries.
    pub fn kind_byte(&self) -> u8 {
        match self {
            BoundaryChange::LowerCap { .. } => 1,
            BoundaryChange::Withdraw { .. } => 2,
            BoundaryChange::RaiseCap { .. } => 3,
            BoundaryChange::Deposit { .. } => 4,
            BoundaryChange::Cancel { .. } => 5,
            BoundaryChange::Clear { .. } => 6,
        }
    }

    /// The asset it changes, if it names one.
    pub fn asset(&self) -> Option<u64> {
        match *self {
            BoundaryChange::LowerCap { asset, .. }
            | BoundaryChange::Withdraw { asset, .. }
            | BoundaryChange::RaiseCap { asset, .. }
            | BoundaryChange::Deposit { asset, .. }
            | BoundaryChange::Clear { asset } => Some(asset),
            BoundaryChange::Cancel { .. } => None,
        }
    }

    /// The cap, amount or change number it names (0 for a clear).
    pub fn value(&self) -> u64 {
        match *self {
            BoundaryChange::LowerCap { cap, .. } | BoundaryChange::RaiseCap { cap, .. } => cap,
            BoundaryChange::Withdraw { amount, .. } | BoundaryChange::Deposit { amount, .. } => {
                amount
            }
            BoundaryChange::Cancel { change } => change,
            BoundaryChange::Clear { .. } => 0,
        }
    }

    /// Its class.
    pub fn class(&self) -> ChangeClass {
        match self {
            BoundaryChange::LowerCap { .. } | BoundaryChange::Withdraw { .. } => {
                ChangeClass::Tighten
            }
            BoundaryChange::RaiseCap { .. } | BoundaryChange::Deposit { .. } => ChangeClass::Loosen,
            BoundaryChange::Cancel { .. } | BoundaryChange::Clear { .. } => ChangeClass::Guardians,
        }
    }
}

/// Who signs a governance item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signers {
    /// A threshold of the source's validators (tightens only).
    Validators,
    /// A threshold of the stream guardians.
    Guardians,
}

impl Signers {
    /// The byte its message carries.
    pub fn byte(self) -> u8 {
        match self {
            Signers::Validators => 0,
            Signers::Guardians => 1,
        }
    }
}

/// A governance item: change `seq` of `segment`'s boundary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Governance {
    /// The source whose boundary changes.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub segment: u64,
    /// Its place in the source's governance sequence: the next one.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub seq: u64,
    /// The change.
    pub change: BoundaryChange,
    /// Who signs it.
    pub by: Signers,
    /// (signer index, signature) pairs, in the list `by` names.
    pub signatures: Vec<IndexedSignature>,
}

impl Governance {
    /// What its signers sign.
    pub fn statement(&self) -> GovernanceStatement {
        GovernanceStatement {
            segment: self.segment,
            seq: self.seq,
            kind: self.change.kind_byte(),
            asset: self.change.asset().unwrap_or(0),
            value: self.change.value(),
            by: self.by.byte(),
        }
    }

    /// The signed bytes on stream `stream_id`.
    pub fn message(&self, stream_id: u64) -> Vec<u8> {
        governance_message(stream_id, &self.statement())
    }
}

/// The stream's governance parameters, part of its genesis: the same at
/// every gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceParams {
    /// Epochs a loosen waits before it takes effect (at least 1).
    #[serde(with = "bulkhead_protocol::decimal")]
    pub timelock: u64,
    /// Consecutive epochs at the cap after which a silo's effective cap
    /// is halved (0: never).
    #[serde(with = "bulkhead_protocol::decimal")]
    pub auto_epochs: u64,
}

/// The timelock a stream's genesis gets unless it says otherwise.
pub const DEFAULT_TIMELOCK: u64 = 2;
/// The automatic rule's window a stream's genesis gets unless it says
/// otherwise.
pub const DEFAULT_AUTO_EPOCHS: u64 = 3;

impl Default for GovernanceParams {
    fn default() -> Self {
        Self {
            timelock: DEFAULT_TIMELOCK,
            auto_epochs: DEFAULT_AUTO_EPOCHS,
        }
    }
}

/// Why governance parameters are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ParamsError {
    /// A loosen would take effect at once.
    #[error("governance.timelock is 0: a loosen would take effect at once")]
    NoTimelock,
}

impl GovernanceParams {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), ParamsError> {
        if self.timelock == 0 {
            return Err(ParamsError::NoTimelock);
        }
        Ok(())
    }
}

/// A loosen waiting for its timelock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingChange {
    /// The change.
    pub change: BoundaryChange,
    /// The first epoch in which it is in effect.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub effective_epoch: u64,
}

/// The automatic rule's state for one silo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoCap {
    /// Consecutive epochs, up to the last one closed, in which the silo's
    /// outflow reached its cap.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub streak: u64,
    /// Whether the silo's effective cap is halved.
    pub halved: bool,
}

/// A source's governance as every gate follows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceGovernance {
    /// The sequence number the next governance item must carry.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub seq: u64,
    /// Loosens waiting for their timelock, by sequence number.
    #[serde(default)]
    pub pending: BTreeMap<u64, PendingChange>,
    /// The automatic rule, per asset (absent: no streak, not halved).
    #[serde(default)]
    pub auto: BTreeMap<u64, AutoCap>,
    /// The highest cap ever in force per asset, once a governance item
    /// raised one: the blast radius multiplies it by the open epochs.
    #[serde(default, with = "bulkhead_protocol::decimal::values")]
    pub peak_cap: BTreeMap<u64, u64>,
}

impl SourceGovernance {
    /// Whether `asset`'s effective cap is halved.
    pub fn halved(&self, asset: u64) -> bool {
        self.auto.get(&asset).is_some_and(|a| a.halved)
    }

    /// The effective cap of a silo whose leaf cap is `cap`.
    pub fn effective_cap(&self, asset: u64, cap: u64) -> u64 {
        if self.halved(asset) {
            cap / 2
        } else {
            cap
        }
    }
}
