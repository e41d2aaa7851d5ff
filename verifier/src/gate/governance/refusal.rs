//! Why rule G8 refuses a governance item, or a bundle an effective cap:
//! each reason typed, with the stable label every gate reports.

use thiserror::Error;

use crate::gate::config::ConfigError;

/// Why a governance item is refused (rule G8), or a bundle passes an
/// effective cap. A refused item changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GovernanceRefusal {
    /// The source is not registered.
    #[error("segment {0} is not registered")]
    Unregistered(u64),
    /// Not the source's next governance sequence number: a replay, or
    /// out of order.
    #[error("governance sequence {seq}, but the source's next is {next}")]
    Sequence {
        /// The item's.
        seq: u64,
        /// The source's next.
        next: u64,
    },
    /// The source is quarantined: its validators' items wait for the
    /// release (the guardians may still act).
    #[error("segment {0} is quarantined: its validators' items wait for the release")]
    Quarantined(u64),
    /// Validators may only tighten their own boundary, and not its
    /// inbound limit.
    #[error("a source's validators may only tighten (lower a cap, withdraw, remove a lane)")]
    ValidatorsMayNot,
    /// Cosignatures on a change that is not a rotation: only a rotation
    /// reads them, so none may ride along unread.
    #[error("cosigners on a change that is not a rotation")]
    StrayCosigners,
    /// The asset is not one of the source's silos.
    #[error("asset {asset} is not a silo segment {segment} declared")]
    UndeclaredAsset {
        /// The source.
        segment: u64,
        /// The asset.
        asset: u64,
    },
    /// A lowered cap that is not lower, or a raised one that is not
    /// higher.
    #[error("cap {cap} does not {direction} the current cap {current}")]
    CapDirection {
        /// The item's cap.
        cap: u64,
        /// The silo's cap now.
        current: u64,
        /// "lower" or "raise".
        direction: &'static str,
    },
    /// A withdrawal or deposit of nothing.
    #[error("an amount of 0")]
    Zero,
    /// A withdrawal of more than the collateral.
    #[error("withdraws {amount}, but the collateral is {collateral}")]
    ExceedsCollateral {
        /// The amount.
        amount: u64,
        /// The collateral now.
        collateral: u64,
    },
    /// A deposit that, with the deposits pending, would pass 2^64 - 1.
    #[error("collateral {collateral} + deposits pending and this one pass 2^64 - 1")]
    Overflow {
        /// The collateral now.
        collateral: u64,
    },
    /// A cancel of a change that is not pending.
    #[error("change {change} is not a pending loosen of the source")]
    NotPending {
        /// The change named.
        change: u64,
    },
    /// A clear of a cap the automatic rule has not halved.
    #[error("the automatic rule has not halved asset {asset}'s cap")]
    NotHalved {
        /// The asset.
        asset: u64,
    },
    /// A lane change whose opening does not show, under the lanes root
    /// now, the lane at its position (a removal) or an empty position (an
    /// addition), or names a position beyond the lanes tree.
    #[error(
        "lane position {position}: the opening does not show {expected} under the lanes root now"
    )]
    LaneOpening {
        /// The position named.
        position: u64,
        /// "the lane" or "an empty position".
        expected: &'static str,
    },
    /// A lane addition while another is pending: each carries an opening
    /// of the lanes tree as it is, which the first to take effect would
    /// make stale.
    #[error("lane change {change} is pending: cancel it or wait for it before another")]
    LanePending {
        /// The pending lane change.
        change: u64,
    },
    /// A lowered inbound limit that is not lower, or a raised one that is
    /// not higher than the one a tighten set (or none was set).
    #[error(
        "inbound limit {limit} does not {direction} the source's limit now ({})",
        .current.map_or_else(|| "none set".to_owned(), |c| c.to_string())
    )]
    InboundDirection {
        /// The item's limit.
        limit: u64,
        /// The stream's limit for the source now, if a tighten set one.
        current: Option<u64>,
        /// "lower" or "raise".
        direction: &'static str,
    },
    /// A rotation to a key set a registration could not name (threshold,
    /// unusable or repeated keys).
    #[error("the rotated validator set: {0}")]
    ValidatorSet(ConfigError),
    /// A rotation to more than [`super::MAX_VALIDATORS`] keys.
    #[error("a rotation to {keys} keys, more than {}", super::MAX_VALIDATORS)]
    TooManyValidators {
        /// Keys named.
        keys: usize,
    },
    /// A silo added for an asset the source declared already.
    #[error("asset {asset} is a silo the source declared already")]
    SiloDeclared {
        /// The asset.
        asset: u64,
    },
    /// A silo addition whose opening does not show an empty leaf at the
    /// asset's index under the silos root (or the index is past the tree).
    #[error("asset {asset}: the opening does not show an empty leaf under the silos root")]
    SiloOpening {
        /// The asset.
        asset: u64,
    },
    /// A silo addition while one of the same asset is pending.
    #[error("silo addition {change} of the asset is pending")]
    SiloPending {
        /// The pending addition.
        change: u64,
    },
    /// A rotation while another is pending: its cosigners are the set as
    /// it is, which the first to take effect would replace.
    #[error("rotation {change} is pending: cancel it or wait for it before another")]
    RotationPending {
        /// The pending rotation.
        change: u64,
    },
    /// A rotation cosigned by fewer of the current validators than their
    /// threshold.
    #[error("{valid} valid cosignatures of the current validators, threshold {threshold}")]
    WeakCosigners {
        /// Valid cosignatures.
        valid: usize,
        /// The current validators' threshold.
        threshold: usize,
    },
    /// Fewer valid signatures than the signers' threshold (a signature
    /// made for another stream, kind or message is not valid here).
    #[error("{valid} valid signatures, threshold {threshold}")]
    WeakSignatures {
        /// Valid signatures.
        valid: usize,
        /// The threshold.
        threshold: usize,
    },
    /// A bundle whose window outflow would pass the silo's effective cap,
    /// halved by the automatic rule.
    #[error("asset {asset}: window outflow {outflow} passes the effective cap {cap} (halved)")]
    EffectiveCap {
        /// The asset.
        asset: u64,
        /// The window outflow the bundle would leave.
        outflow: u64,
        /// The effective cap.
        cap: u64,
    },
}

impl GovernanceRefusal {
    /// A short stable label, `G8 ...`.
    pub fn label(&self) -> &'static str {
        match self {
            GovernanceRefusal::Unregistered(_) => "G8 unregistered",
            GovernanceRefusal::Sequence { .. } => "G8 sequence",
            GovernanceRefusal::Quarantined(_) => "G8 quarantined",
            GovernanceRefusal::ValidatorsMayNot => "G8 signers",
            GovernanceRefusal::UndeclaredAsset { .. } => "G8 undeclared asset",
            GovernanceRefusal::CapDirection { .. } => "G8 cap direction",
            GovernanceRefusal::Zero => "G8 zero",
            GovernanceRefusal::ExceedsCollateral { .. } => "G8 collateral",
            GovernanceRefusal::Overflow { .. } => "G8 overflow",
            GovernanceRefusal::NotPending { .. } => "G8 not pending",
            GovernanceRefusal::NotHalved { .. } => "G8 not halved",
            GovernanceRefusal::LaneOpening { .. } => "G8 lane opening",
            GovernanceRefusal::LanePending { .. } => "G8 lane pending",
            GovernanceRefusal::InboundDirection { .. } => "G8 inbound direction",
            GovernanceRefusal::ValidatorSet(_) | GovernanceRefusal::TooManyValidators { .. } => {
                "G8 validator set"
            }
            GovernanceRefusal::RotationPending { .. } => "G8 rotation pending",
            GovernanceRefusal::SiloDeclared { .. } => "G8 silo declared",
            GovernanceRefusal::SiloOpening { .. } => "G8 silo opening",
            GovernanceRefusal::SiloPending { .. } => "G8 silo pending",
            GovernanceRefusal::WeakCosigners { .. } | GovernanceRefusal::StrayCosigners => {
                "G8 cosigners"
            }
            GovernanceRefusal::WeakSignatures { .. } => "G8 signatures",
            GovernanceRefusal::EffectiveCap { .. } => "G8 effective cap",
        }
    }
}
