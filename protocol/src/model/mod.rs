//! The native model of a segment: accounts, silos, lanes and exit sequence,
//! and [`SegmentState::apply_exits`], which applies one batch exactly as the
//! circuit constrains it and produces the public inputs and the witness.

mod apply;
mod import;
mod pending;
mod rules;
mod segment;

use serde::{Deserialize, Serialize};

use crate::hash::{self, fp, Fp};
use crate::instance::Instance;
use crate::witness::BatchWitness;

pub use pending::{Admission, ExitIntent, PendingExits, PendingRefusal, StaleQueue};
pub use rules::{DebitRefusal, SiloRefusal};
pub use segment::SegmentState;

/// An account leaf's contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// Hash of the holder's public key ([`hash::owner_of_key`]), hex.
    #[serde(with = "crate::hex::fp")]
    pub owner: Fp,
    /// The one asset this account holds.
    #[serde(with = "crate::decimal")]
    pub asset: u64,
    /// Balance.
    #[serde(with = "crate::decimal")]
    pub balance: u64,
    /// Number of exits this account has made.
    #[serde(with = "crate::decimal")]
    pub nonce: u64,
}

impl Account {
    /// The leaf `H(owner, asset, balance, nonce)`.
    pub fn leaf(&self) -> Fp {
        hash::account_leaf(self.owner, fp(self.asset), fp(self.balance), fp(self.nonce))
    }
}

/// A silo: the segment's collateral and outflow window for one asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Silo {
    /// Asset id, also the silo's position in the silo tree.
    #[serde(with = "crate::decimal")]
    pub asset: u64,
    /// Value the segment can still send out in this asset.
    #[serde(with = "crate::decimal")]
    pub collateral: u64,
    /// Most that may leave per epoch.
    #[serde(with = "crate::decimal")]
    pub cap: u64,
    /// Epoch of the current outflow window.
    #[serde(with = "crate::decimal")]
    pub window_epoch: u64,
    /// Outflow counted in that window.
    #[serde(with = "crate::decimal")]
    pub window_outflow: u64,
}

impl Silo {
    /// The leaf `H(asset, collateral, cap, window_epoch, window_outflow)`.
    pub fn leaf(&self) -> Fp {
        hash::silo_leaf(
            fp(self.asset),
            fp(self.collateral),
            fp(self.cap),
            fp(self.window_epoch),
            fp(self.window_outflow),
        )
    }
}

/// An outbound lane `(dst, asset)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lane {
    /// Destination segment.
    #[serde(with = "crate::decimal")]
    pub dst: u64,
    /// Asset.
    #[serde(with = "crate::decimal")]
    pub asset: u64,
}

impl Lane {
    /// The leaf `H(dst, asset)`.
    pub fn leaf(&self) -> Fp {
        hash::lane_leaf(fp(self.dst), fp(self.asset))
    }
}

/// One exit a relayer asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitRequest {
    /// Index of the sending account in the accounts tree.
    pub account: u64,
    /// Recipient in the destination segment.
    pub recipient: Fp,
    /// Amount; u128 so that an out-of-range request is a typed error
    /// rather than a parse failure.
    pub amount: u128,
}

/// One batch a relayer asks for: exits on one lane in one epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRequest {
    /// Destination segment.
    pub dst: u64,
    /// Asset.
    pub asset: u64,
    /// Epoch.
    pub epoch: u64,
    /// The exits, in slot order.
    pub exits: Vec<ExitRequest>,
}

/// The plaintext of one proven exit, as a receiving segment credits it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitRecord {
    /// Sequence number.
    pub seq: u64,
    /// Sender's index in the accounts tree.
    pub account: u64,
    /// Sender's owner field.
    pub owner: Fp,
    /// Sender's nonce at the exit.
    pub nonce: u64,
    /// Recipient.
    pub recipient: Fp,
    /// Amount.
    pub amount: u64,
}

/// Everything one applied batch yields.
#[derive(Clone, Debug)]
pub struct BatchOutcome {
    /// The 12 public inputs.
    pub instance: Instance,
    /// The circuit witness.
    pub witness: BatchWitness,
    /// The exits in slot order.
    pub exits: Vec<ExitRecord>,
}
