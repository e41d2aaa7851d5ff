//! Why bytes are not a bundle.

use thiserror::Error as ThisError;

/// Why bytes are not a bundle.
#[derive(Clone, Debug, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum BundleError {
    /// The first 8 bytes are not "BULKHEAD".
    #[error("not a bundle (bad magic)")]
    BadMagic,
    /// A format version this code does not read.
    #[error("unknown bundle format version {0}")]
    UnknownVersion(u16),
    /// The shape is outside what Bulkhead builds.
    // Reads "bundle names an invalid circuit shape: <the bound broken>".
    #[error("bundle names an {0}")]
    InvalidShape(crate::Error),
    /// The bytes end before `what`.
    #[error("bundle truncated in {what}")]
    Truncated {
        /// The field being read.
        what: &'static str,
    },
    /// Bytes remain after the last exit.
    #[error("{0} trailing bytes after the bundle")]
    TrailingBytes(usize),
    /// A field element that is not canonical.
    #[error("{what} is not a canonical field element")]
    NonCanonical {
        /// The field being read.
        what: String,
    },
    /// A public input that must be a u64 is not.
    #[error("public input {0} is not a 64-bit integer")]
    PublicInputRange(&'static str),
    /// A proof length beyond [`super::MAX_PROOF_BYTES`].
    #[error("proof of {0} bytes is longer than any Bulkhead proof")]
    OversizedProof(usize),
    /// The number of exits differs from EXIT_COUNT or exceeds the batch size.
    #[error("bundle carries {carried} exits, EXIT_COUNT is {claimed} (batch size {slots})")]
    ExitCount {
        /// Exits in the bundle.
        carried: usize,
        /// EXIT_COUNT.
        claimed: u64,
        /// Slots of the shape.
        slots: u32,
    },
    /// An exit's account index does not fit the shape's accounts tree.
    #[error("exit {exit} names account {account}, outside an accounts tree of depth {depth}")]
    AccountOutOfRange {
        /// Position of the exit in the bundle.
        exit: usize,
        /// The account index carried.
        account: u64,
        /// The shape's accounts depth D (indices are `< 2^D`).
        depth: u32,
    },
}
