//! Why a gate refuses an item, and what an accepted item did. Follow-rule
//! refusals name their rule (G1–G6); a refused item changes nothing.

use bulkhead_protocol::CircuitShape;
use thiserror::Error;

use super::state::{Credit, QuarantineCause};
use crate::check::BundleRefusal;

/// Why an item was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A stateless check of the bundle failed (malformed, G1 proof, G4).
    #[error(transparent)]
    Bundle(#[from] BundleRefusal),
    /// G1: the source is not registered.
    #[error("G1: unknown source segment {0}")]
    UnknownSource(u64),
    /// G1: the shape or VK digest is not the one registered for SRC.
    #[error("G1: shape or verifying key not registered for segment {0}")]
    Unregistered(u64),
    /// G2: FIRST_SEQ already accepted (a replay).
    #[error("G2: replay: sequence {first_seq} already accepted (next is {next_seq})")]
    Replay {
        /// FIRST_SEQ of the bundle.
        first_seq: u64,
        /// Next expected.
        next_seq: u64,
    },
    /// G2: FIRST_SEQ beyond the next expected (a gap or reordering).
    #[error("G2: gap: sequence {first_seq} but next is {next_seq}")]
    Gap {
        /// FIRST_SEQ of the bundle.
        first_seq: u64,
        /// Next expected.
        next_seq: u64,
    },
    /// G2: BOUNDARY_BEFORE is not the tracked boundary root.
    #[error("G2: boundary root does not match")]
    BoundaryMismatch,
    /// G3: ACCOUNTS_BEFORE is not the attested tip.
    #[error("G3: accounts root is not the attested tip")]
    NotAttestedTip,
    /// G5: EPOCH before the last accepted epoch of SRC.
    #[error("G5: epoch {epoch} is before {last}, the last accepted")]
    EpochBackwards {
        /// Bundle epoch.
        epoch: u64,
        /// Last accepted.
        last: u64,
    },
    /// G5: EPOCH after the stream's current epoch.
    #[error("G5: epoch {epoch} is after the stream's epoch {current}")]
    EpochInFuture {
        /// Bundle epoch.
        epoch: u64,
        /// Stream epoch.
        current: u64,
    },
    /// G6: SRC is quarantined.
    #[error("G6: segment {0} is quarantined")]
    Quarantined(u64),
    /// An attestation without a threshold of valid validator signatures.
    #[error("attestation has {valid} valid signatures, needs {threshold}")]
    WeakAttestation {
        /// Distinct valid signatures.
        valid: usize,
        /// Needed.
        threshold: usize,
    },
    /// An attestation already applied.
    #[error("attestation already seen")]
    StaleAttestation,
    /// An epoch tick that does not move forward.
    #[error("epoch tick {tick} does not advance the stream's epoch {current}")]
    StaleTick {
        /// Tick.
        tick: u64,
        /// Current.
        current: u64,
    },
    /// A guardian action that is invalid, repeated or for another round.
    #[error("guardian action refused: {0}")]
    BadGuardianAction(GuardianRefusal),
}

/// Why a guardian vote was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GuardianRefusal {
    /// A vote to quarantine a source that already is.
    #[error("source already quarantined")]
    AlreadyQuarantined,
    /// A vote to release a source that is not quarantined.
    #[error("source not quarantined")]
    NotQuarantined,
    /// A local vote addressed to another gate.
    #[error("vote for another gate's breaker")]
    OtherGate,
    /// A vote to trip a breaker that is tripped.
    #[error("breaker already tripped")]
    AlreadyTripped,
    /// A vote to release a breaker that is not tripped.
    #[error("breaker not tripped")]
    NotTripped,
    /// A vote for an earlier or later breaker round (a replayed vote).
    #[error("vote for another breaker round")]
    WrongRound,
    /// The guardian voted already in this round.
    #[error("guardian already voted this round")]
    AlreadyVoted,
    /// No guardian at this index.
    #[error("unknown guardian")]
    UnknownGuardian,
    /// The vote's signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

impl Refusal {
    /// A short stable label for counting refusals by reason.
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::Bundle(refusal) => refusal.label(),
            Refusal::UnknownSource(_) | Refusal::Unregistered(_) => "G1 unregistered",
            Refusal::Replay { .. } => "G2 replay",
            Refusal::Gap { .. } => "G2 gap",
            Refusal::BoundaryMismatch => "G2 boundary",
            Refusal::NotAttestedTip => "G3 not attested",
            Refusal::EpochBackwards { .. } | Refusal::EpochInFuture { .. } => "G5 epoch",
            Refusal::Quarantined(_) => "G6 quarantined",
            Refusal::WeakAttestation { .. } | Refusal::StaleAttestation => "attestation",
            Refusal::StaleTick { .. } => "tick",
            Refusal::BadGuardianAction(_) => "guardian",
        }
    }
}

/// What an accepted item did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effect {
    /// A bundle advanced SRC's chain.
    BundleAccepted {
        /// Source.
        src: u64,
        /// Exits credited here now.
        credited: Vec<Credit>,
        /// Exits held by this gate's breaker.
        held: Vec<Credit>,
    },
    /// The tip of a source moved.
    Attested {
        /// Source.
        segment: u64,
    },
    /// A source was quarantined (equivocation or guardians).
    Quarantined {
        /// Source.
        segment: u64,
        /// Why.
        cause: QuarantineCause,
    },
    /// A source was released.
    Released {
        /// Source.
        segment: u64,
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
    /// No verifying key was handed over for a source's registered shape
    /// and digest.
    #[error("no verifying key with the registered digest for segment {segment} (shape {shape})")]
    MissingKey {
        /// The source.
        segment: u64,
        /// Its registered shape.
        shape: CircuitShape,
    },
}
