//! Resident memory over a long run of proofs in one process: is it flat?

use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{ParamsCache, ProverKeys};
use bulkhead_testkit::sample::{self, full_batch};
use serde::{Deserialize, Serialize};

use crate::stats::{peak_rss_mb, rss_mb};
use crate::BenchError;

/// Resident memory over a long run of proofs in one process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryRecord {
    /// Accounts depth D.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub depth: u32,
    /// Exits per batch N.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub batch: u32,
    /// Poseidon chips.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub chips: u32,
    /// Batches proven, one after another.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub batches: usize,
    /// Resident memory after the first tenth of the run, MiB.
    pub rss_after_tenth_mb: f64,
    /// Resident memory at the end of the run, MiB.
    pub rss_end_mb: f64,
    /// Peak resident memory, MiB.
    pub peak_rss_mb: f64,
}

/// Proves `batches` chained batches one by one (a new epoch every ten, so
/// the cap never binds) and reports resident memory along the way.
pub fn measure_memory(
    shape: CircuitShape,
    batches: usize,
    cache: &ParamsCache,
) -> Result<MemoryRecord, BenchError> {
    let prover = ProverKeys::load(shape, cache)?;
    let mut state = sample::segment(1, &shape)?;
    let mut after_tenth = 0.0;
    for i in 0..batches {
        let mut request = full_batch(shape.batch_size);
        request.epoch = sample::EPOCH + (i / 10) as u64;
        let outcome = state.apply_exits(&request, &shape)?;
        prover.prove(&outcome)?;
        if i + 1 == batches.div_ceil(10) {
            after_tenth = rss_mb();
        }
    }
    Ok(MemoryRecord {
        depth: shape.accounts_depth,
        batch: shape.batch_size,
        chips: shape.poseidon_chips,
        batches,
        rss_after_tenth_mb: after_tenth,
        rss_end_mb: rss_mb(),
        peak_rss_mb: peak_rss_mb(),
    })
}
