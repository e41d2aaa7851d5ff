//! The one error type of `bulkhead-circuits`.

use thiserror::Error as ThisError;

/// Why a circuit, a key or a size report could not be built.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// The shape or the witness breaks a protocol rule (an invalid shape,
    /// a witness sized for another shape).
    #[error(transparent)]
    Protocol(#[from] bulkhead_protocol::Error),
    /// halo2 refused to lay out the circuit or derive a key.
    #[error("halo2: {0}")]
    Halo2(#[from] halo2_proofs::plonk::Error),
    /// Verifying-key bytes that cannot be this shape's key.
    #[error("verifying key bytes: {0}")]
    VerifyingKeyBytes(&'static str),
    /// halo2's own size report disagrees with ours, or lacks a field:
    /// the pinned halo2 version changed underneath us.
    #[error("size report: {0}")]
    SizeReport(SizeReportError),
}

/// How halo2's `CircuitCost` disagrees with the circuit's own layout.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum SizeReportError {
    /// A field its debug text no longer has.
    #[error("CircuitCost has no {0}")]
    MissingField(&'static str),
    /// Its row count differs from the layout's.
    #[error("row count {layout} disagrees with CircuitCost's {halo2}")]
    Rows {
        /// Rows the layout uses.
        layout: usize,
        /// Rows `CircuitCost` reports.
        halo2: usize,
    },
}

impl Error {
    /// A Poseidon chip count the circuit is not built for (see
    /// [`crate::with_chips!`]).
    pub fn unsupported_chips(count: u32) -> Self {
        Error::Protocol(bulkhead_protocol::Error::InvalidShape {
            reason: format!(
                "{count} Poseidon chips not in 1..={}",
                bulkhead_protocol::CircuitShape::MAX_CHIPS
            ),
        })
    }
}
