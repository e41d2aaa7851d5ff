//! The proving sweep: one point is a shape and a thread count, measured
//! in its own process (so peak memory is the point's own) on a rayon pool
//! of the point's thread count (halo2's parallel loops run on the pool
//! they are called from). [`measure_point`] measures a point in this
//! process; [`run_points`] runs each point of a [`Sweep`] as `bulkhead
//! bench-point` and collects the records; [`memory`] proves a long run
//! and watches resident memory; [`output`] writes the records as CSV, a
//! table or a plot.

use std::path::Path;
use std::process::Command;

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

pub use memory::{measure_memory, MemoryRecord};

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

/// The points of a sweep: every shape at every thread count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sweep {
    /// `(depth, batch, chips)` of each shape, the other depths the
    /// default's.
    pub shapes: Vec<(u32, u32, u32)>,
    /// Thread counts.
    pub threads: Vec<usize>,
    /// Timed runs per point (medians).
    pub runs: usize,
}

/// `(depth, batch, chips)` of `bench --quick`: the shapes that fill
/// `k = 13` (the default, and half and twice its exits on half and twice
/// its chips), so the sweep compares latency and cost per exit of narrower
/// and wider circuits at the same domain. Beyond four chips the main
/// columns, not hashing, set the rows (eight chips at N = 128 need
/// k = 14).
pub const QUICK_SHAPES: [(u32, u32, u32); 3] = [(20, 16, 1), (20, 32, 2), (20, 64, 4)];

impl Sweep {
    /// The sweep that finishes within minutes: [`QUICK_SHAPES`] at 1 and
    /// 2 threads, 2 runs each.
    pub fn quick() -> Self {
        Self {
            shapes: QUICK_SHAPES.to_vec(),
            threads: vec![1, 2],
            runs: 2,
        }
    }

    /// Every combination of `depths`, `batches` and `chips`, at each of
    /// `threads`.
    pub fn grid(
        depths: &[u32],
        batches: &[u32],
        chips: &[u32],
        threads: Vec<usize>,
        runs: usize,
    ) -> Self {
        let mut shapes = Vec::new();
        for &depth in depths {
            for &batch in batches {
                for &chip_count in chips {
                    shapes.push((depth, batch, chip_count));
                }
            }
        }
        Self {
            shapes,
            threads,
            runs,
        }
    }

    /// The shapes, each checked.
    pub fn circuit_shapes(&self) -> Result<Vec<CircuitShape>, BenchError> {
        self.shapes
            .iter()
            .map(|&(depth, batch, chips)| {
                let shape = CircuitShape {
                    accounts_depth: depth,
                    batch_size: batch,
                    poseidon_chips: chips,
                    ..CircuitShape::DEFAULT
                };
                shape.validate()?;
                Ok(shape)
            })
            .collect()
    }
}

/// The flags that name `shape` to a `bulkhead` child process.
fn shape_flags(shape: &CircuitShape) -> Vec<String> {
    vec![
        "--depth".into(),
        shape.accounts_depth.to_string(),
        "--batch".into(),
        shape.batch_size.to_string(),
        "--chips".into(),
        shape.poseidon_chips.to_string(),
    ]
}

/// Runs `EXE --params-dir DIR <command> <args>` (the `bulkhead` binary at
/// `exe`) and returns its stdout: one measurement per process, so its
/// peak memory is its own.
pub fn run_child(
    exe: &Path,
    cache: &ParamsCache,
    command: &str,
    args: &[String],
) -> Result<Vec<u8>, BenchError> {
    let out = Command::new(exe)
        .arg("--params-dir")
        .arg(cache.dir())
        .arg(command)
        .args(args)
        .output()
        .map_err(BenchError::io(exe))?;
    if !out.status.success() {
        return Err(BenchError::ChildFailed {
            command: format!("{command} {}", args.join(" ")),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(out.stdout)
}

/// Measures every point of `sweep`, each as `EXE bench-point` in its own
/// process; `on_point` hears of each before it starts.
pub fn run_points(
    exe: &Path,
    cache: &ParamsCache,
    sweep: &Sweep,
    mut on_point: impl FnMut(&CircuitShape, usize),
) -> Result<Vec<Record>, BenchError> {
    let mut records = Vec::new();
    for shape in sweep.circuit_shapes()? {
        for &threads in &sweep.threads {
            on_point(&shape, threads);
            let mut args = shape_flags(&shape);
            args.extend([
                "--threads".into(),
                threads.to_string(),
                "--runs".into(),
                sweep.runs.to_string(),
            ]);
            let stdout = run_child(exe, cache, "bench-point", &args)?;
            records.push(
                serde_json::from_slice(&stdout).map_err(BenchError::json("bench point output"))?,
            );
        }
    }
    Ok(records)
}

/// Runs `EXE bench-memory` for each shape of `sweep` with `batches`
/// batches, each in its own process, and hands `on_output` each child's
/// output (one JSON [`MemoryRecord`] line) as it printed it, as soon as
/// the child is done.
pub fn run_memory(
    exe: &Path,
    cache: &ParamsCache,
    sweep: &Sweep,
    batches: usize,
    mut on_output: impl FnMut(&[u8]),
) -> Result<(), BenchError> {
    for shape in sweep.circuit_shapes()? {
        let mut args = shape_flags(&shape);
        args.extend(["--batches".into(), batches.to_string()]);
        on_output(&run_child(exe, cache, "bench-memory", &args)?);
    }
    Ok(())
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
    fn a_grid_is_every_combination_and_quick_is_its_three_shapes() {
        let grid = Sweep::grid(&[16, 20], &[8, 16], &[1, 2, 3], vec![1, 2], 3);
        assert_eq!(grid.shapes.len(), 12);
        assert_eq!(grid.shapes[0], (16, 8, 1));
        assert_eq!(grid.shapes[11], (20, 16, 3));
        let quick = Sweep::quick();
        assert_eq!(quick.circuit_shapes().unwrap().len(), 3);
        assert_eq!((quick.threads.as_slice(), quick.runs), (&[1, 2][..], 2));
        let bad = Sweep::grid(&[20], &[3], &[1], vec![1], 1);
        assert!(matches!(bad.circuit_shapes(), Err(BenchError::Protocol(_))));
    }

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
