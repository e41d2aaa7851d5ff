//! The items of the stream every gate follows, and their JSON file form.

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::messages::{GuardianScopeByte, ImportStatement};

pub use super::governance::Governance;
use serde::{Deserialize, Serialize};

use super::state::ItemKind;

/// A validator attestation of a new accounts root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// Segment attested.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub segment: u64,
    /// Height of `root`: steps of the chain since the source's genesis
    /// (attestations and accepted bundles); `parent` is the root at
    /// `height - 1`.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub height: u64,
    /// Previous root.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub parent: Fp,
    /// New root.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub root: Fp,
    /// (validator index, signature) pairs.
    pub signatures: Vec<IndexedSignature>,
}

/// An import (rule G7): `segment`'s execution credited `amount` of
/// `asset`, received from other segments, to its accounts, moving them
/// from `parent` to `root` at `height`; signed by a threshold of the
/// segment's validators. Every gate raises the segment's silo collateral
/// by `amount` and moves its accounts tip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Import {
    /// The importing segment.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub segment: u64,
    /// Height of `root` in the segment's chain: one above its tip.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub height: u64,
    /// The accounts root before the credit: the tip.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub parent: Fp,
    /// The accounts root after it.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub root: Fp,
    /// The asset: one of the segment's declared silos.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub asset: u64,
    /// The amount imported.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub amount: u64,
    /// (validator index, signature) pairs.
    pub signatures: Vec<IndexedSignature>,
}

impl Import {
    /// What the validators sign.
    pub fn statement(&self) -> ImportStatement<'_> {
        ImportStatement {
            segment: self.segment,
            height: self.height,
            parent: &self.parent,
            root: &self.root,
            asset: self.asset,
            amount: self.amount,
        }
    }
}

/// A signature by the signer at `index` of a known key list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexedSignature {
    /// Index into the validator or guardian list.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub index: usize,
    /// Ed25519 signature.
    #[serde(with = "bulkhead_protocol::hex::bytes")]
    pub signature: [u8; 64],
}

/// Whose breaker a guardian action moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GuardianScope {
    /// Quarantine of source `target`, at every gate (stream guardians).
    Stream,
    /// The local breaker of gate `target` (that gate's guardians).
    Local,
}

impl GuardianScope {
    /// The scope as the guardian's signed message encodes it.
    pub fn message_byte(self) -> GuardianScopeByte {
        match self {
            GuardianScope::Stream => GuardianScopeByte::Stream,
            GuardianScope::Local => GuardianScopeByte::Local,
        }
    }
}

/// The stream's clock moving to `epoch`, signed by a threshold of stream
/// guardians over the epoch and the time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tick {
    /// The epoch the stream enters: exactly one after the current one.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub epoch: u64,
    /// When (seconds): at least the epoch length after the previous tick.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub time: u64,
    /// (guardian index, signature) pairs.
    pub signatures: Vec<IndexedSignature>,
}

/// One guardian's vote to trip or release a breaker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardianAction {
    /// Which breaker.
    pub scope: GuardianScope,
    /// Source segment (stream scope) or gate segment (local scope).
    #[serde(with = "bulkhead_protocol::decimal")]
    pub target: u64,
    /// Trip (true) or release (false).
    pub trip: bool,
    /// Breaker round the vote is for.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub round: u64,
    /// The guardian and its signature.
    pub vote: IndexedSignature,
}

/// One item of the stream every gate follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamItem {
    /// An encoded bundle.
    Bundle(Vec<u8>),
    /// A validator attestation.
    Attestation(Attestation),
    /// The stream enters the next epoch.
    EpochTick(Tick),
    /// A guardian vote.
    Guardian(GuardianAction),
    /// A segment's import.
    Import(Import),
    /// A change to a source's boundary.
    Governance(Governance),
}

impl StreamItem {
    /// The item's kind.
    pub fn kind(&self) -> ItemKind {
        match self {
            StreamItem::Bundle(_) => ItemKind::Bundle,
            StreamItem::Attestation(_) => ItemKind::Attestation,
            StreamItem::EpochTick(_) => ItemKind::Tick,
            StreamItem::Guardian(_) => ItemKind::Guardian,
            StreamItem::Import(_) => ItemKind::Import,
            StreamItem::Governance(_) => ItemKind::Governance,
        }
    }

    /// The JSON form of a non-bundle item (`None` for a bundle).
    pub fn to_json(&self) -> Option<ItemJson> {
        match self {
            StreamItem::Bundle(_) => None,
            StreamItem::Attestation(a) => Some(ItemJson::Attestation(a.clone())),
            StreamItem::EpochTick(tick) => Some(ItemJson::Tick(tick.clone())),
            StreamItem::Guardian(g) => Some(ItemJson::Guardian(g.clone())),
            StreamItem::Import(import) => Some(ItemJson::Import(import.clone())),
            StreamItem::Governance(g) => Some(ItemJson::Governance(g.clone())),
        }
    }
}

/// A stream item other than a bundle, as a JSON file (`"type"` names it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ItemJson {
    /// A validator attestation.
    Attestation(Attestation),
    /// An epoch tick.
    Tick(Tick),
    /// A guardian vote.
    Guardian(GuardianAction),
    /// A segment's import.
    Import(Import),
    /// A change to a source's boundary.
    Governance(Governance),
}

impl From<ItemJson> for StreamItem {
    fn from(item: ItemJson) -> Self {
        match item {
            ItemJson::Attestation(a) => StreamItem::Attestation(a),
            ItemJson::Tick(tick) => StreamItem::EpochTick(tick),
            ItemJson::Guardian(g) => StreamItem::Guardian(g),
            ItemJson::Import(import) => StreamItem::Import(import),
            ItemJson::Governance(g) => StreamItem::Governance(g),
        }
    }
}
