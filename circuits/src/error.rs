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
