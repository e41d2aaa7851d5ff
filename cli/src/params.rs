//! Verifying keys for a shape, from the parameter cache on disk: the file
//! system lives here and in the prover, never in the verifier crate.

use bulkhead_circuits::keys::k_for;
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::ParamsCache;
use bulkhead_verifier::VerifierKeys;

use crate::error::CliError;

/// Validates `shape` (before any key work), loads its parameters from
/// `cache` (building them on first use) and derives its verifying key.
pub fn verifier_keys(shape: CircuitShape, cache: &ParamsCache) -> Result<VerifierKeys, CliError> {
    shape.validate()?;
    let (params, _) = cache.load_or_create(k_for(shape)?)?;
    Ok(VerifierKeys::from_params(shape, params)?)
}
