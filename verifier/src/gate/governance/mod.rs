//! Rule G8, governance: a source's boundary changes at runtime by stream
//! items every gate applies alike to its mirror (DESIGN, "Adaptive
//! boundaries"). A **tighten** (lower a cap, withdraw collateral, remove a
//! lane, lower the source's inbound limit) is signed by a threshold of the
//! source's validators or of the stream guardians (the inbound limit by
//! the guardians only: it also holds exits already accepted) and takes
//! effect at once; a **loosen** (raise a cap, deposit collateral, add a lane, raise
//! the inbound limit, rotate the validators, which the current validators
//! cosign) is signed by the guardians and takes effect only
//! once the stream reaches `timelock` epochs later, until when the
//! guardians can cancel it; a tighten voids every pending loosen of the
//! same subject (an asset's silo, the lanes, the inbound limit), so
//! nothing queued before a threat undoes the response to it.
//! The **automatic rule** halves a silo's effective cap once its outflow
//! has reached its cap for `auto_epochs` consecutive epochs, until the
//! guardians clear it; it reads only the stream, so every gate agrees.
//!
//! Each item names its place in the source's governance sequence, so none
//! replays or reorders; its message names the stream and its own domain.

mod refusal;
mod registered;
mod rule;

pub use refusal::GovernanceRefusal;
pub(super) use registered::check_registered;
pub use rule::check_effective_cap;
pub(super) use rule::{admit_governance, apply_governance, on_tick};

use std::collections::BTreeMap;

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::messages::{governance_message, validator_set_digest, GovernanceStatement};
use bulkhead_protocol::model::Lane;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::config::Hex32;
use super::item::IndexedSignature;

/// A change to one source's boundary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Tighten: empty lanes-tree position `position`, which holds the
    /// lane `(dst, asset)` (its opening: `siblings`), at once.
    RemoveLane {
        /// The lane's destination segment.
        #[serde(with = "bulkhead_protocol::decimal")]
        dst: u64,
        /// The lane's asset.
        #[serde(with = "bulkhead_protocol::decimal")]
        asset: u64,
        /// Its position in the lanes tree.
        #[serde(with = "bulkhead_protocol::decimal")]
        position: u64,
        /// The position's siblings in the lanes tree now, leaf level first.
        #[serde(with = "bulkhead_protocol::hex::fp_list")]
        siblings: Vec<Fp>,
    },
    /// Loosen: put the lane `(dst, asset)` at the empty lanes-tree
    /// position `position` (its opening: `siblings`), after the timelock.
    AddLane {
        /// The lane's destination segment.
        #[serde(with = "bulkhead_protocol::decimal")]
        dst: u64,
        /// The lane's asset (a declared silo).
        #[serde(with = "bulkhead_protocol::decimal")]
        asset: u64,
        /// The empty position it takes.
        #[serde(with = "bulkhead_protocol::decimal")]
        position: u64,
        /// The position's siblings in the lanes tree now, leaf level first.
        #[serde(with = "bulkhead_protocol::hex::fp_list")]
        siblings: Vec<Fp>,
    },
    /// Tighten: every gate credits the source at most `limit` per epoch
    /// (with its own inbound limit, the lower one), at once; signed by the
    /// guardians only.
    LowerInbound {
        /// The new limit, below the stream's limit for the source now.
        #[serde(with = "bulkhead_protocol::decimal")]
        limit: u64,
    },
    /// Loosen: raise the stream's inbound limit for the source to
    /// `limit`, after the timelock.
    RaiseInbound {
        /// The new limit, above the one a tighten set.
        #[serde(with = "bulkhead_protocol::decimal")]
        limit: u64,
    },
    /// Loosen: declare a silo for `asset` with `cap` and no collateral
    /// (value enters it by imports and deposits), after the timelock. Its
    /// leaf at index `asset` of the silos tree must be empty; `siblings`
    /// open it (the ones a gate knows it reads from its own tree).
    AddSilo {
        /// The asset, also the leaf index.
        #[serde(with = "bulkhead_protocol::decimal")]
        asset: u64,
        /// Its cap per epoch.
        #[serde(with = "bulkhead_protocol::decimal")]
        cap: u64,
        /// The leaf's siblings in the silos tree, leaf level first.
        #[serde(with = "bulkhead_protocol::hex::fp_list")]
        siblings: Vec<Fp>,
    },
    /// Loosen: the source's validators become `validators` with
    /// `threshold`, after the timelock; signed by the guardians and
    /// cosigned by a threshold of the current validators.
    Rotate {
        /// The new keys (at most [`MAX_VALIDATORS`]).
        validators: Vec<Hex32>,
        /// The new threshold, in `1..=validators.len()`.
        #[serde(with = "bulkhead_protocol::decimal")]
        threshold: usize,
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

/// What a change acts on: a tighten voids the pending loosens of its
/// subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// An asset's silo (cap, collateral).
    Silo(u64),
    /// The lanes tree: a lane change's opening is of the tree as it is,
    /// so any lane change makes a pending one's stale.
    Lanes,
    /// The source's inbound limit at every gate.
    Inbound,
    /// The source's validator set: a rotation's cosigners are the set as
    /// it is, so one pending at a time.
    Validators,
}

/// The most keys a rotation may name: every gate sizes its request
/// bodies by the largest set it can be asked to check.
pub const MAX_VALIDATORS: usize = 64;

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
            BoundaryChange::RemoveLane { .. } => 7,
            BoundaryChange::AddLane { .. } => 8,
            BoundaryChange::LowerInbound { .. } => 9,
            BoundaryChange::RaiseInbound { .. } => 10,
            BoundaryChange::Rotate { .. } => 11,
            BoundaryChange::AddSilo { .. } => 12,
        }
    }

    /// The asset it changes, if it names one.
    pub fn asset(&self) -> Option<u64> {
        match *self {
            BoundaryChange::LowerCap { asset, .. }
            | BoundaryChange::Withdraw { asset, .. }
            | BoundaryChange::RaiseCap { asset, .. }
            | BoundaryChange::Deposit { asset, .. }
            | BoundaryChange::Clear { asset }
            | BoundaryChange::RemoveLane { asset, .. }
            | BoundaryChange::AddLane { asset, .. }
            | BoundaryChange::AddSilo { asset, .. } => Some(asset),
            BoundaryChange::Cancel { .. }
            | BoundaryChange::LowerInbound { .. }
            | BoundaryChange::RaiseInbound { .. }
            | BoundaryChange::Rotate { .. } => None,
        }
    }

    /// The cap, amount, limit, lane destination, threshold or change
    /// number it names (0 for a clear).
    pub fn value(&self) -> u64 {
        match *self {
            BoundaryChange::LowerCap { cap, .. }
            | BoundaryChange::RaiseCap { cap, .. }
            | BoundaryChange::AddSilo { cap, .. } => cap,
            BoundaryChange::Withdraw { amount, .. } | BoundaryChange::Deposit { amount, .. } => {
                amount
            }
            BoundaryChange::RemoveLane { dst, .. } | BoundaryChange::AddLane { dst, .. } => dst,
            BoundaryChange::LowerInbound { limit } | BoundaryChange::RaiseInbound { limit } => {
                limit
            }
            BoundaryChange::Rotate { threshold, .. } => threshold as u64,
            BoundaryChange::Cancel { change } => change,
            BoundaryChange::Clear { .. } => 0,
        }
    }

    /// The digest of the validator set a rotation names (zeros for the
    /// others).
    pub fn digest(&self) -> [u8; 32] {
        match self {
            BoundaryChange::Rotate {
                validators,
                threshold,
            } => {
                let keys: Vec<[u8; 32]> = validators.iter().map(|k| k.0).collect();
                validator_set_digest(*threshold as u64, &keys)
            }
            _ => [0; 32],
        }
    }

    /// The lanes-tree position a lane change names (0 for the others).
    pub fn position(&self) -> u64 {
        match *self {
            BoundaryChange::RemoveLane { position, .. }
            | BoundaryChange::AddLane { position, .. } => position,
            _ => 0,
        }
    }

    /// Its class.
    pub fn class(&self) -> ChangeClass {
        match self {
            BoundaryChange::LowerCap { .. }
            | BoundaryChange::Withdraw { .. }
            | BoundaryChange::RemoveLane { .. }
            | BoundaryChange::LowerInbound { .. } => ChangeClass::Tighten,
            BoundaryChange::RaiseCap { .. }
            | BoundaryChange::Deposit { .. }
            | BoundaryChange::AddLane { .. }
            | BoundaryChange::RaiseInbound { .. }
            | BoundaryChange::Rotate { .. }
            | BoundaryChange::AddSilo { .. } => ChangeClass::Loosen,
            BoundaryChange::Cancel { .. } | BoundaryChange::Clear { .. } => ChangeClass::Guardians,
        }
    }

    /// What it acts on (none for a cancel or a clear, which void nothing).
    pub fn subject(&self) -> Option<Subject> {
        match *self {
            BoundaryChange::LowerCap { asset, .. }
            | BoundaryChange::Withdraw { asset, .. }
            | BoundaryChange::RaiseCap { asset, .. }
            | BoundaryChange::Deposit { asset, .. }
            | BoundaryChange::AddSilo { asset, .. } => Some(Subject::Silo(asset)),
            BoundaryChange::RemoveLane { .. } | BoundaryChange::AddLane { .. } => {
                Some(Subject::Lanes)
            }
            BoundaryChange::LowerInbound { .. } | BoundaryChange::RaiseInbound { .. } => {
                Some(Subject::Inbound)
            }
            BoundaryChange::Rotate { .. } => Some(Subject::Validators),
            BoundaryChange::Cancel { .. } | BoundaryChange::Clear { .. } => None,
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
    /// A rotation's cosignatures: (index, signature) pairs of the
    /// source's current validators over the same message. Empty for
    /// every other change (refused otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cosigners: Vec<IndexedSignature>,
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
            position: self.change.position(),
            digest: self.change.digest(),
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The limit every gate credits the source per epoch at most (with
    /// its own inbound limit, the lower one), once a governance item set
    /// one (absent: only each gate's own).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "bulkhead_protocol::decimal::option"
    )]
    pub inbound_limit: Option<u64>,
    /// The lanes-tree positions governance changed, with the lane each
    /// holds now (none: emptied), so the segment's relayer can follow.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lanes: BTreeMap<u64, Option<Lane>>,
    /// The silos governance added since this gate registered the source,
    /// in the order they took effect, each with the opening its item
    /// carried: with the registration's openings, what rebuilds the
    /// silos tree.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added_silos: Vec<AddedSilo>,
    /// The validator set a rotation put in force (absent: the
    /// registered one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validators: Option<ValidatorSet>,
}

/// A silo governance added, and the opening its item carried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddedSilo {
    /// The asset.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub asset: u64,
    /// Its siblings as the item carried them.
    #[serde(with = "bulkhead_protocol::hex::fp_list")]
    pub siblings: Vec<Fp>,
}

/// A source's validator keys and threshold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorSet {
    /// The keys.
    pub keys: Vec<Hex32>,
    /// How many must sign.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub threshold: usize,
}

impl SourceGovernance {
    /// Whether `asset`'s effective cap is halved.
    pub fn halved(&self, asset: u64) -> bool {
        self.auto.get(&asset).is_some_and(|a| a.halved)
    }

    /// The source's inbound limit at a gate whose own is `local`.
    pub fn inbound_limit(&self, local: u64) -> u64 {
        self.inbound_limit.map_or(local, |limit| limit.min(local))
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
