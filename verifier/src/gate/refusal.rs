//! Why a gate refuses an item, and what an accepted item did. Follow-rule
//! refusals name their rule (G1–G7); a refused item changes nothing.

use bulkhead_protocol::mirror::MirrorError;
use serde::Serialize;
use thiserror::Error;

use super::governance::GovernanceRefusal;
use super::import::ImportRefusal;
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
    /// G2: the batch's sequence numbers would run past 2^64 - 1.
    #[error("G2: sequence {first_seq} + {exit_count} exits passes 2^64 - 1")]
    SequenceExhausted {
        /// FIRST_SEQ of the bundle.
        first_seq: u64,
        /// Its exit count.
        exit_count: u64,
    },
    /// G2: BOUNDARY_BEFORE is not the tracked boundary root.
    #[error("G2: boundary root does not match")]
    BoundaryMismatch,
    /// G2: the boundary mirror refuses to move as the batch says (I6, I7
    /// or the sequence): the model and the circuit disagree.
    #[error("G2: boundary after: the mirror refuses the batch: {0}")]
    BoundaryModel(MirrorError),
    /// G2: the boundary mirror moved by the batch is not at
    /// BOUNDARY_AFTER: the model and the circuit disagree.
    #[error("G2: boundary after: BOUNDARY_AFTER is not the mirror's root after the batch")]
    BoundaryAfter,
    /// G3: ACCOUNTS_BEFORE is not the tip, and the bundle's transition is
    /// not an attested step above the last bundle's.
    #[error("G3: accounts root is not the attested tip, nor the parent of an attested step to the bundle's ACCOUNTS_AFTER")]
    NotAttestedTip,
    /// G5: EPOCH is an epoch the stream has left: the relayer proves the
    /// batch again for the current epoch.
    #[error("G5: stale: epoch {epoch} has ended, the stream is in epoch {current}")]
    StaleEpoch {
        /// Bundle epoch.
        epoch: u64,
        /// Stream epoch.
        current: u64,
    },
    /// G5: EPOCH after the stream's current epoch.
    #[error("G5: epoch {epoch} is after the stream's epoch {current}")]
    EpochInFuture {
        /// Bundle epoch.
        epoch: u64,
        /// Stream epoch.
        current: u64,
    },
    /// Blast radius: ASSET is not among the silos SRC declared.
    #[error("G1: segment {src} declared no silo for asset {asset}")]
    UndeclaredAsset {
        /// Source.
        src: u64,
        /// Asset.
        asset: u64,
    },
    /// This gate process was opened without verifying keys (it follows
    /// only attestations, ticks and guardian actions); the bundle itself
    /// was not judged.
    #[error("this gate process has no verifying keys: it cannot judge bundles")]
    NoVerifyingKeys,
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
    /// A signature list longer than the signer set: refused unread.
    #[error("{count} signatures for {signers} signers")]
    TooManySignatures {
        /// Signatures carried.
        count: usize,
        /// Keys in the signer set.
        signers: usize,
    },
    /// G1: the bundle's exits were signed for another stream.
    #[error("G1: the bundle's exits are signed for stream {stream_id}, this gate follows stream {expected}")]
    OtherStream {
        /// The stream the bundle names.
        stream_id: u64,
        /// The stream this gate follows.
        expected: u64,
    },
    /// A signature naming a signer index outside the signer set.
    #[error("signature by signer {index}, but there are {signers} signers")]
    UnknownSigner {
        /// The index named.
        index: usize,
        /// Keys in the signer set.
        signers: usize,
    },
    /// An attestation below the source's evidence floor (the last step a
    /// bundle took, or its registration): no gate judges it, since a gate
    /// registered later holds no roots there.
    #[error("attestation of segment {segment} at height {height} is below the evidence floor {floor} (the last bundle's step, or the registration)")]
    BelowFloor {
        /// Source.
        segment: u64,
        /// Claimed height.
        height: u64,
        /// The floor.
        floor: u64,
    },
    /// An attestation that contradicts only a root a bundle proved (an
    /// honest race with a relayer): refused, not evidence.
    #[error("attestation of segment {segment} at height {height} forks off a proven root: attest on top of it")]
    Superseded {
        /// Source.
        segment: u64,
        /// Claimed height.
        height: u64,
    },
    /// An attestation already applied.
    #[error("attestation already seen")]
    StaleAttestation,
    /// An attestation beyond the next height: its parent cannot be judged.
    #[error("attestation at height {height}, but the tip is at height {tip}")]
    AttestationGap {
        /// Claimed height.
        height: u64,
        /// Height of the tip.
        tip: u64,
    },
    /// Equivocation evidence already recorded: it changes nothing.
    #[error("equivocation evidence already recorded for segment {0}")]
    KnownEvidence(u64),
    /// A tick that is not for the next epoch.
    #[error("tick for epoch {tick}, but the next epoch is {next}")]
    TickNotNext {
        /// Tick.
        tick: u64,
        /// Current epoch + 1 (or none at the end of u64).
        next: u64,
    },
    /// A tick sooner than the epoch length after the previous one.
    #[error("tick at time {time} is before {earliest}, one epoch length after the previous tick")]
    TickTooEarly {
        /// The tick's time.
        time: u64,
        /// The earliest time allowed.
        earliest: u64,
    },
    /// A tick without a threshold of valid stream-guardian signatures.
    #[error("tick has {valid} valid guardian signatures, needs {threshold}")]
    WeakTick {
        /// Distinct valid signatures.
        valid: usize,
        /// Needed.
        threshold: usize,
    },
    /// A guardian action that is invalid, repeated or for another round.
    #[error("guardian action refused: {0}")]
    BadGuardianAction(GuardianRefusal),
    /// G7: an import refused.
    #[error("G7: {0}")]
    Import(ImportRefusal),
    /// G8: a governance item refused, or a bundle past an effective cap.
    #[error("G8: {0}")]
    Governance(GovernanceRefusal),
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

/// A follow rule of the protocol (`docs/PROTOCOL.md` section 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum GateRule {
    /// The source, its shape and key, the asset, the proof.
    G1,
    /// The sequence: no replay, no gap, the boundary chain.
    G2,
    /// The attested accounts tip.
    G3,
    /// The plaintext exits and their signatures.
    G4,
    /// The epoch.
    G5,
    /// Quarantine.
    G6,
    /// Imports.
    G7,
    /// Governance of boundaries.
    G8,
}

impl GateRule {
    /// `G1` to `G8`.
    pub fn as_str(self) -> &'static str {
        match self {
            GateRule::G1 => "G1",
            GateRule::G2 => "G2",
            GateRule::G3 => "G3",
            GateRule::G4 => "G4",
            GateRule::G5 => "G5",
            GateRule::G6 => "G6",
            GateRule::G7 => "G7",
            GateRule::G8 => "G8",
        }
    }
}

impl Refusal {
    /// The follow rule that refused the item (G1–G7), if a follow rule did (a
    /// tick, an attestation or a guardian action is refused by its own
    /// rules, a malformed bundle by decoding).
    pub fn rule(&self) -> Option<GateRule> {
        match self {
            Refusal::Bundle(refusal) => refusal.rule(),
            Refusal::UnknownSource(_)
            | Refusal::Unregistered(_)
            | Refusal::UndeclaredAsset { .. }
            | Refusal::OtherStream { .. } => Some(GateRule::G1),
            Refusal::Replay { .. }
            | Refusal::Gap { .. }
            | Refusal::SequenceExhausted { .. }
            | Refusal::BoundaryMismatch
            | Refusal::BoundaryModel(_)
            | Refusal::BoundaryAfter => Some(GateRule::G2),
            Refusal::Import(_) => Some(GateRule::G7),
            Refusal::Governance(_) => Some(GateRule::G8),
            Refusal::NotAttestedTip => Some(GateRule::G3),
            Refusal::StaleEpoch { .. } | Refusal::EpochInFuture { .. } => Some(GateRule::G5),
            Refusal::Quarantined(_) => Some(GateRule::G6),
            Refusal::WeakAttestation { .. }
            | Refusal::StaleAttestation
            | Refusal::AttestationGap { .. }
            | Refusal::Superseded { .. }
            | Refusal::BelowFloor { .. }
            | Refusal::TooManySignatures { .. }
            | Refusal::UnknownSigner { .. }
            | Refusal::KnownEvidence(_)
            | Refusal::TickNotNext { .. }
            | Refusal::TickTooEarly { .. }
            | Refusal::WeakTick { .. }
            | Refusal::BadGuardianAction(_)
            | Refusal::NoVerifyingKeys => None,
        }
    }

    /// What the refusal is counted under: its follow rule (`G1`..`G7`)
    /// when one refused it, otherwise the part of the protocol whose rule
    /// did (`docs/PROTOCOL.md` section 7.9): `decode` (not one canonical
    /// bundle, section 5), `tick` (7.3), `attestation` (7.4, known
    /// evidence included), `guardian` (7.6), `signers` (a signature list
    /// against its key set, 7.1), `keys` (this gate holds no verifying
    /// keys). Every refusal is counted under something.
    pub fn counted_under(&self) -> &'static str {
        match self {
            Refusal::Bundle(BundleRefusal::Malformed(_)) => "decode",
            Refusal::WeakAttestation { .. }
            | Refusal::StaleAttestation
            | Refusal::AttestationGap { .. }
            | Refusal::Superseded { .. }
            | Refusal::BelowFloor { .. }
            | Refusal::KnownEvidence(_) => "attestation",
            Refusal::TickNotNext { .. }
            | Refusal::TickTooEarly { .. }
            | Refusal::WeakTick { .. } => "tick",
            Refusal::TooManySignatures { .. } | Refusal::UnknownSigner { .. } => "signers",
            Refusal::BadGuardianAction(_) => "guardian",
            Refusal::NoVerifyingKeys => "keys",
            // Every other refusal is a follow rule's (`rule` is exhaustive).
            other => other.rule().map_or("decode", GateRule::as_str),
        }
    }

    /// A short stable label for counting refusals by reason.
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::Bundle(refusal) => refusal.label(),
            Refusal::UnknownSource(_) | Refusal::Unregistered(_) => "G1 unregistered",
            Refusal::Replay { .. } => "G2 replay",
            Refusal::Gap { .. } => "G2 gap",
            Refusal::SequenceExhausted { .. } => "G2 sequence exhausted",
            Refusal::BoundaryMismatch => "G2 boundary",
            Refusal::BoundaryModel(_) | Refusal::BoundaryAfter => "G2 boundary after",
            Refusal::Import(refusal) => refusal.label(),
            Refusal::Governance(refusal) => refusal.label(),
            Refusal::NotAttestedTip => "G3 not attested",
            Refusal::StaleEpoch { .. } => "G5 stale",
            Refusal::EpochInFuture { .. } => "G5 epoch",
            Refusal::UndeclaredAsset { .. } => "G1 undeclared asset",
            Refusal::OtherStream { .. } => "G1 other stream",
            Refusal::Quarantined(_) => "G6 quarantined",
            Refusal::WeakAttestation { .. }
            | Refusal::StaleAttestation
            | Refusal::AttestationGap { .. }
            | Refusal::Superseded { .. }
            | Refusal::BelowFloor { .. } => "attestation",
            Refusal::TooManySignatures { .. } => "too many signatures",
            Refusal::UnknownSigner { .. } => "unknown signer",
            Refusal::KnownEvidence(_) => "known evidence",
            Refusal::TickNotNext { .. }
            | Refusal::TickTooEarly { .. }
            | Refusal::WeakTick { .. } => "tick",
            Refusal::BadGuardianAction(_) => "guardian",
            Refusal::NoVerifyingKeys => "no verifying keys",
        }
    }
}

#[cfg(test)]
mod tests;
