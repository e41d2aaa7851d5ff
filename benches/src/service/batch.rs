//! Batch verification at any shape, on bundles already proven (e.g.
//! `bulkhead demo --out DIR` at the default shape): the stateless checks
//! of B bundles with their proofs verified in one batch
//! (`check_bundles`), B in 1, 4, 16, 64, per proof and per exit, median of
//! three runs.
//!
//! When fewer than B bundles are given, they are repeated. The batch
//! verifier's work does not depend on that: every copy gets its own random
//! scalar, and the multi-scalar multiplication has the same size.

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::ParamsCache;
use bulkhead_verifier::{check_bundles, VerifierKeys};
use serde::Serialize;

use crate::stats::{median, ms, timed};
use crate::BenchError;

/// Stateless checks of B bundles with their proofs in one batch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchPoint {
    /// B.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub bundles: usize,
    /// Median time over B.
    pub per_proof_ms: f64,
    /// Median time over the exits of the B bundles.
    pub per_exit_ms: f64,
}

/// The batch points of `bundles`, which must all be of one shape and
/// key, with verifying keys from `cache`; returns their shape beside them.
pub fn measure(
    bundles: &[Bundle],
    cache: &ParamsCache,
) -> Result<(CircuitShape, Vec<BatchPoint>), BenchError> {
    let first = bundles.first().ok_or(BenchError::Arguments("no bundles"))?;
    if bundles
        .iter()
        .any(|b| b.shape != first.shape || b.vk_digest != first.vk_digest)
    {
        return Err(BenchError::MixedBundles);
    }
    let keys = bulkhead_node::keys::verifier_keys(first.shape, cache)?;
    Ok((first.shape, batch_points(bundles, &keys)?))
}

/// `check_bundles` over B of `bundles` (repeated if fewer), B in 1, 4,
/// 16, 64, median of three runs. Every bundle must pass.
pub fn batch_points(
    bundles: &[Bundle],
    keys: &VerifierKeys,
) -> Result<Vec<BatchPoint>, BenchError> {
    let keys = std::slice::from_ref(keys);
    let mut points = Vec::new();
    for b in [1usize, 4, 16, 64] {
        let batch: Vec<Bundle> = bundles.iter().cycle().take(b).cloned().collect();
        let exits: usize = batch.iter().map(|x| x.exits.len()).sum();
        let mut runs = Vec::new();
        for _ in 0..3 {
            let (verdicts, elapsed) = timed(|| check_bundles(batch.clone(), keys));
            runs.push(elapsed);
            if let Some(Err(refusal)) = verdicts.into_iter().find(Result::is_err) {
                return Err(BenchError::BundleRefused(refusal));
            }
        }
        let median = ms(median(runs));
        points.push(BatchPoint {
            bundles: b,
            per_proof_ms: median / b as f64,
            per_exit_ms: median / exits.max(1) as f64,
        });
    }
    Ok(points)
}
