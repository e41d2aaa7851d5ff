//! The error type of key derivation and proof verification.

use bulkhead_protocol::CircuitShape;

/// Why keys could not be derived, or a proof or a set of proofs was not
/// accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The shape is invalid.
    #[error(transparent)]
    Protocol(#[from] bulkhead_protocol::Error),
    /// The verifying key could not be derived.
    #[error(transparent)]
    Circuit(#[from] bulkhead_circuits::Error),
    /// The parameters handed over are for another `k` than the shape needs.
    #[error("shape {shape} needs parameters for k = {expected}, got k = {got}")]
    ParamsForOtherK {
        /// The shape.
        shape: CircuitShape,
        /// The k the shape needs.
        expected: u32,
        /// The k of the parameters.
        got: u32,
    },
    /// The proof does not verify against these public inputs and this key.
    #[error("proof {index} does not verify{}", match source {
        Some(e) => format!(": {e}"),
        None => ": the batch check failed although each proof verified alone".into(),
    })]
    InvalidProof {
        /// Position of the proof in the batch (0 for a single proof).
        index: usize,
        /// halo2's reason (`None` when only the batch check failed).
        source: Option<halo2_proofs::plonk::Error>,
    },
}
