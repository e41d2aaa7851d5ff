//! The proving sweep: one point is a shape and a thread count, measured
//! in its own process (so peak memory is the point's own) on a rayon pool
//! of the point's thread count (halo2's parallel loops run on the pool
//! they are called from). [`measure_point`] measures a point in this
//! process; [`run_points`] runs each point of a [`Sweep`] as `bulkhead
//! bench-point` and collects the records; [`memory`] proves a long run
//! and watches resident memory; [`output`] writes the records as CSV, a
//! table or a plot.

use bulkhead_circuits::keys::Affine;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::BatchRequest;
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{ParamsCache, ProverError, ProverKeys};
use bulkhead_testkit::sample::{self, full_batch};
use bulkhead_verifier::VerifierKeys;
use ff::Field;
use halo2_proofs::arithmetic::best_multiexp;
use serde::{Deserialize, Serialize};

use crate::floor::PoseidonFloorKeys;
use crate::size;
use crate::stats::{median, peak_rss_mb, timed};
use crate::BenchError;

pub mod memory;
pub mod output;
mod run;

pub use memory::{measure_memory, MemoryRecord};
pub use run::{run_child, run_memory, run_points, Sweep, QUICK_SHAPES};

/// One measured point of the sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Accounts depth D.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub depth: u32,
    /// Exits per batch N.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub batch: u32,
    /// Poseidon chips.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub chips: u32,
    /// Threads.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub threads: usize,
    /// Circuit size parameter.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub k: u32,
    /// Rows used.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub rows: usize,
    /// Advice columns.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub advice_columns: usize,
    /// Proof length.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub proof_bytes: usize,
    /// Key generation (params from cache, vk and pk), seconds.
    pub keygen_s: f64,
    /// Median seconds for one proof of `batch` exits.
    pub prove_s: f64,
    /// `prove_s / batch`.
    pub prove_s_per_exit: f64,
    /// Exits per second in throughput mode: `threads` proofs in flight,
    /// sharing `threads` threads.
    pub exits_per_s: f64,
    /// Median single verification, milliseconds.
    pub verify_ms: f64,
    /// Batch verification of all proofs of the point, milliseconds per proof.
    pub batch_verify_ms_per_proof: f64,
    /// halo2's multiexp of size 2^k, seconds (median).
    pub msm_s: f64,
    /// Committed polynomials per proof (advice, lookup, permutation, quotient).
    #[serde(with = "bulkhead_protocol::decimal")]
    pub committed_polys: usize,
    /// `prove_s / (committed_polys × msm_s)`.
    pub prove_over_msm_floor: f64,
    /// `k` of the Poseidon-only floor circuit (the same permutations on
    /// the same chips, nothing else; [`crate::floor`]).
    #[serde(with = "bulkhead_protocol::decimal")]
    pub poseidon_floor_k: u32,
    /// Median seconds for one proof of the Poseidon-only floor circuit.
    pub poseidon_floor_s: f64,
    /// `prove_s / poseidon_floor_s`: how far the statement is from its
    /// hashing alone.
    pub prove_over_poseidon_floor: f64,
    /// Peak resident memory of the point's process (before the floor
    /// circuit is measured), MiB.
    pub peak_rss_mb: f64,
    /// Timed runs per median.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub runs: usize,
}

/// Measures one point in this process.
pub fn measure_point(
    shape: CircuitShape,
    threads: usize,
    runs: usize,
    cache: &ParamsCache,
) -> Result<Record, BenchError> {
    let runs = runs.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(ProverError::from)?;
    pool.install(|| {
        let report = size::measure(shape)?;
        // Warm the parameter cache outside the key-generation timing.
        cache.load_or_create(report.k)?;
        let (prover, keygen) = timed(|| ProverKeys::load(shape, cache));
        let prover = prover?;
        let verifier = VerifierKeys::from_key(
            shape,
            prover.params().clone(),
            prover.verifying_key().clone(),
        )?;

        // Runs of batches chained from the sample segment.
        let mut state = sample::segment(1, &shape)?;
        let requests: Vec<BatchRequest> = (0..runs.max(threads))
            .map(|_| full_batch(shape.batch_size))
            .collect();
        let outcomes = bulkhead_prover::plan_run(&mut state, &requests, &shape)?;

        let mut proofs = Vec::new();
        let mut times = Vec::new();
        for outcome in outcomes.iter().take(runs) {
            let (proof, t) = timed(|| prover.prove(outcome));
            proofs.push(proof?);
            times.push(t);
        }
        let prove = median(times);

        // Throughput mode: `threads` proofs in flight on the same threads.
        let (done, wall) =
            timed(|| prover.prove_run(&outcomes[..threads], threads, threads, |_, _| {}));
        done?;
        let exits_per_s = (threads as u32 * shape.batch_size) as f64 / wall.as_secs_f64();

        let items: Vec<_> = outcomes.iter().map(|o| o.instance).zip(proofs).collect();
        let verify = median(
            items
                .iter()
                .cycle()
                .take(3 * runs)
                .map(|(i, p)| timed(|| verifier.verify(i, p)).1)
                .collect(),
        );
        let (batch_ok, batch_time) = timed(|| verifier.verify_batch(&items));
        batch_ok?;

        // The MSM floor: one multiexp over all 2^k generators.
        let bases: Vec<Affine> = prover.params().get_g();
        let scalars: Vec<Fp> = (0..bases.len() as u64)
            .map(|i| Fp::from(i + 1).square().invert().unwrap_or(Fp::ONE))
            .collect();
        let msm = median(
            (0..3)
                .map(|_| timed(|| best_multiexp(&scalars, &bases)).1)
                .collect(),
        );
        // Memory is the exit-batch circuit's own, before the floor's keys.
        let peak_rss = peak_rss_mb();

        // The Poseidon-only floor, proven as many times on the same pool.
        let floor = PoseidonFloorKeys::load(shape, cache)?;
        let mut floor_times = Vec::new();
        for _ in 0..runs {
            let (proof, t) = timed(|| floor.prove());
            floor.verify(&proof?)?;
            floor_times.push(t);
        }
        let floor_prove = median(floor_times);

        let permutation_columns = report.advice_columns + 2; // advice + instance + constants
        let chunk = report.max_degree.saturating_sub(2).max(1);
        let committed = report.advice_columns
            + 3 * report.lookups
            + permutation_columns.div_ceil(chunk)
            + report.max_degree.saturating_sub(1);

        Ok(Record {
            depth: shape.accounts_depth,
            batch: shape.batch_size,
            chips: shape.poseidon_chips,
            threads,
            k: report.k,
            rows: report.rows,
            advice_columns: report.advice_columns,
            proof_bytes: report.proof_bytes,
            keygen_s: keygen.as_secs_f64(),
            prove_s: prove.as_secs_f64(),
            prove_s_per_exit: prove.as_secs_f64() / shape.batch_size as f64,
            exits_per_s,
            verify_ms: verify.as_secs_f64() * 1e3,
            batch_verify_ms_per_proof: batch_time.as_secs_f64() * 1e3 / items.len() as f64,
            msm_s: msm.as_secs_f64(),
            committed_polys: committed,
            prove_over_msm_floor: prove.as_secs_f64() / (committed as f64 * msm.as_secs_f64()),
            poseidon_floor_k: floor.k(),
            poseidon_floor_s: floor_prove.as_secs_f64(),
            prove_over_poseidon_floor: prove.as_secs_f64() / floor_prove.as_secs_f64(),
            peak_rss_mb: peak_rss,
            runs,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_write_integers_as_decimal_strings_and_read_them_back() {
        let record = Record {
            depth: 4,
            batch: 2,
            chips: 2,
            threads: 1,
            k: 9,
            rows: 400,
            advice_columns: 43,
            proof_bytes: 6368,
            keygen_s: 0.5,
            prove_s: 0.25,
            prove_s_per_exit: 0.125,
            exits_per_s: 8.0,
            verify_ms: 3.0,
            batch_verify_ms_per_proof: 2.0,
            msm_s: 0.01,
            committed_polys: 60,
            prove_over_msm_floor: 0.4,
            poseidon_floor_k: 8,
            poseidon_floor_s: 0.1,
            prove_over_poseidon_floor: 2.5,
            peak_rss_mb: 100.0,
            runs: 1,
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["proof_bytes"], "6368");
        assert_eq!(json["k"], "9");
        assert_eq!(json["prove_s"], 0.25);
        let back: Record = serde_json::from_value(json).unwrap();
        assert_eq!(back, record);
    }
}
