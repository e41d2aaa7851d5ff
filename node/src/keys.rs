//! Verifying keys for a gate, from the parameter cache on disk (the file
//! system lives in the prover and here, never in the verifier crate).

use std::collections::BTreeSet;

use bulkhead_protocol::CircuitShape;
use bulkhead_prover::ParamsCache;
use bulkhead_verifier::gate::GateConfig;
use bulkhead_verifier::VerifierKeys;

use crate::error::NodeError;

/// Validates `shape` (before any key work), loads its parameters from
/// `cache` (building them on first use) and derives its verifying key.
pub fn verifier_keys(shape: CircuitShape, cache: &ParamsCache) -> Result<VerifierKeys, NodeError> {
    let (params, _) = cache.load_for_shape(shape)?;
    Ok(VerifierKeys::from_params(shape, params)?)
}

/// The verifying key of every shape `config` registers, each derived once.
pub fn gate_keys(config: &GateConfig, cache: &ParamsCache) -> Result<Vec<VerifierKeys>, NodeError> {
    let shapes: BTreeSet<CircuitShape> = config.sources.iter().map(|s| s.shape).collect();
    shapes
        .into_iter()
        .map(|shape| verifier_keys(shape, cache))
        .collect()
}
