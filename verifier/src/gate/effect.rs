//! What an accepted item did, and why a gate cannot be created.

use bulkhead_protocol::CircuitShape;
use serde::Serialize;
use thiserror::Error;

use super::config::ConfigError;
use super::state::{Credit, QuarantineCause};

/// What an accepted item did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Effect {
    /// A bundle advanced SRC's chain.
    BundleAccepted {
        /// Source.
        #[serde(with = "bulkhead_protocol::decimal")]
        src: u64,
        /// Exits credited here now.
        credited: Vec<Credit>,
        /// Exits held by this gate's breaker.
        held: Vec<Credit>,
    },
    /// The tip of a source moved.
    Attested {
        /// Source.
        #[serde(with = "bulkhead_protocol::decimal")]
        segment: u64,
    },
    /// A source was quarantined (equivocation or guardians).
    Quarantined {
        /// Source.
        #[serde(with = "bulkhead_protocol::decimal")]
        segment: u64,
        /// Why.
        cause: QuarantineCause,
    },
    /// Equivocation evidence against an already quarantined source was
    /// recorded (the quarantine and its round are unchanged).
    EvidenceRecorded {
        /// Source.
        #[serde(with = "bulkhead_protocol::decimal")]
        segment: u64,
    },
    /// A source was released; held credits drain within the inbound limit.
    Released {
        /// Source.
        #[serde(with = "bulkhead_protocol::decimal")]
        segment: u64,
        /// Held exits credited on release.
        credited: Vec<Credit>,
    },
    /// A guardian vote was counted without reaching the threshold.
    VoteCounted,
    /// This gate's breaker tripped.
    LocalTripped,
    /// This gate's breaker was released.
    LocalReleased {
        /// Held exits credited on release.
        credited: Vec<Credit>,
    },
    /// A source's boundary changed, or a loosen was queued (G8).
    Governed {
        /// The source.
        #[serde(with = "bulkhead_protocol::decimal")]
        segment: u64,
        /// The item's governance sequence number.
        #[serde(with = "bulkhead_protocol::decimal")]
        seq: u64,
        /// Whether it waits for the timelock.
        pending: bool,
    },
    /// A segment imported value into its silo (G7).
    Imported {
        /// The importing segment.
        #[serde(with = "bulkhead_protocol::decimal")]
        segment: u64,
        /// The asset.
        #[serde(with = "bulkhead_protocol::decimal")]
        asset: u64,
        /// The amount.
        #[serde(with = "bulkhead_protocol::decimal")]
        amount: u64,
    },
    /// The epoch advanced.
    Tick {
        /// Held exits credited because the new epoch had room.
        credited: Vec<Credit>,
    },
}

/// Why a gate cannot be created or restored.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GateError {
    /// The configuration breaks a registration rule.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No verifying key was handed over for a source's registered shape.
    #[error("sources[{index}].shape: no verifying key for shape {shape}")]
    MissingKey {
        /// Position of the source in the configuration.
        index: usize,
        /// Its registered shape.
        shape: CircuitShape,
    },
    /// The registered digest is not the digest of the key derived for the
    /// registered shape.
    #[error("sources[{index}].vk_digest: not the digest of the verifying key of shape {shape}")]
    DigestMismatch {
        /// Position of the source in the configuration.
        index: usize,
        /// Its registered shape.
        shape: CircuitShape,
    },
}
