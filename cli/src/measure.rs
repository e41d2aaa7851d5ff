//! `bulkhead bench`: a sweep over circuit shapes and thread counts, each
//! point measured in its own process (so peak RSS is the point's own), on a
//! rayon pool of the point's thread count (halo2's parallel loops run on
//! the pool they are called from).

use std::time::{Duration, Instant};

use bulkhead_circuits::cost;
use bulkhead_circuits::keys::Affine;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::BatchRequest;
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{ParamsCache, PoseidonFloorKeys, ProverError, ProverKeys};
use bulkhead_testkit::sample::{self, full_batch};
use bulkhead_verifier::VerifierKeys;
use ff::Field;
use halo2_proofs::arithmetic::best_multiexp;
use serde::{Deserialize, Serialize};

use crate::error::CliError;

/// One measured point of the sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Accounts depth D.
    pub depth: u32,
    /// Exits per batch N.
    pub batch: u32,
    /// Poseidon chips.
    pub chips: u32,
    /// Threads.
    pub threads: usize,
    /// Circuit size parameter.
    pub k: u32,
    /// Rows used.
    pub rows: usize,
    /// Advice columns.
    pub advice_columns: usize,
    /// Proof length.
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
    pub committed_polys: usize,
    /// `prove_s / (committed_polys × msm_s)`.
    pub prove_over_msm_floor: f64,
    /// `k` of the Poseidon-only floor circuit (the same permutations on
    /// the same chips, nothing else; `bulkhead_circuits::floor`).
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
    pub runs: usize,
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// A memory figure of this process from `/proc/self/status` (Linux), MiB;
/// 0 where the file does not exist.
fn status_mb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Peak resident set of this process, MiB.
fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// Current resident set of this process, MiB.
fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}

/// Measures one point in this process.
pub fn measure_point(
    shape: CircuitShape,
    threads: usize,
    runs: usize,
    cache: &ParamsCache,
) -> Result<Record, CliError> {
    let runs = runs.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(ProverError::from)?;
    pool.install(|| {
        let report = cost::measure(shape)?;
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

/// Writes records as CSV.
pub fn to_csv(records: &[Record]) -> String {
    let mut out = String::from(
        "depth,batch,chips,threads,k,rows,advice_columns,proof_bytes,keygen_s,prove_s,prove_s_per_exit,exits_per_s,verify_ms,batch_verify_ms_per_proof,msm_s,committed_polys,prove_over_msm_floor,poseidon_floor_k,poseidon_floor_s,prove_over_poseidon_floor,peak_rss_mb,runs\n",
    );
    for r in records {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{:.3},{:.3},{:.4},{:.2},{:.2},{:.3},{:.4},{},{:.2},{},{:.3},{:.2},{:.1},{}\n",
            r.depth,
            r.batch,
            r.chips,
            r.threads,
            r.k,
            r.rows,
            r.advice_columns,
            r.proof_bytes,
            r.keygen_s,
            r.prove_s,
            r.prove_s_per_exit,
            r.exits_per_s,
            r.verify_ms,
            r.batch_verify_ms_per_proof,
            r.msm_s,
            r.committed_polys,
            r.prove_over_msm_floor,
            r.poseidon_floor_k,
            r.poseidon_floor_s,
            r.prove_over_poseidon_floor,
            r.peak_rss_mb,
            r.runs
        ));
    }
    out
}

/// A table for people.
pub fn to_table(records: &[Record]) -> String {
    let mut out = String::from(
        "  D   N chips thr  k   rows proofB keygen_s prove_s s/exit exits/s verify_ms bverify_ms msm_s xMSM pos_s xPOS rss_MB\n",
    );
    for r in records {
        out.push_str(&format!(
            "{:>3} {:>3} {:>5} {:>3} {:>2} {:>6} {:>6} {:>8.2} {:>7.2} {:>6.3} {:>7.2} {:>9.1} {:>10.2} {:>5.3} {:>4.1} {:>5.2} {:>4.2} {:>6.0}\n",
            r.depth, r.batch, r.chips, r.threads, r.k, r.rows, r.proof_bytes, r.keygen_s, r.prove_s,
            r.prove_s_per_exit, r.exits_per_s, r.verify_ms, r.batch_verify_ms_per_proof, r.msm_s,
            r.prove_over_msm_floor, r.poseidon_floor_s, r.prove_over_poseidon_floor, r.peak_rss_mb
        ));
    }
    out
}

/// A value plotted per record.
type Metric = fn(&Record) -> f64;

/// Draws prove time per exit and throughput against batch size, one line
/// per (depth, chips, threads), as an SVG file.
pub fn plot(records: &[Record], path: &std::path::Path) -> Result<(), CliError> {
    let drawing = |e: plotters::drawing::DrawingAreaErrorKind<std::io::Error>| {
        CliError::Usage(format!("{}: {e}", path.display()))
    };
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (1100, 450)).into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    let (left, right) = root.split_horizontally(550);
    let mut series: std::collections::BTreeMap<(u32, u32, usize), Vec<&Record>> =
        Default::default();
    for r in records {
        series
            .entry((r.depth, r.chips, r.threads))
            .or_default()
            .push(r);
    }
    let max_batch = records.iter().map(|r| r.batch).max().unwrap_or(1) as f64;
    let per_exit: Metric = |r| r.prove_s_per_exit;
    let throughput: Metric = |r| r.exits_per_s;
    for (area, title, value) in [
        (&left, "prove seconds per exit", per_exit),
        (&right, "exits per second (throughput mode)", throughput),
    ] {
        let top = records.iter().map(value).fold(0.0, f64::max) * 1.15 + 1e-9;
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(0.0..max_batch * 1.1, 0.0..top)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .x_desc("batch size N")
            .draw()
            .map_err(drawing)?;
        for (i, ((depth, chips, threads), points)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let mut line: Vec<(f64, f64)> =
                points.iter().map(|r| (r.batch as f64, value(r))).collect();
            line.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart
                .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
                .map_err(drawing)?
                .label(format!("D={depth} chips={chips} threads={threads}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            chart
                .draw_series(line.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                .map_err(drawing)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(drawing)?;
    }
    root.present().map_err(drawing)
}

/// Resident memory over a long run of proofs in one process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryRecord {
    /// Accounts depth D.
    pub depth: u32,
    /// Exits per batch N.
    pub batch: u32,
    /// Poseidon chips.
    pub chips: u32,
    /// Batches proven, one after another.
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
) -> Result<MemoryRecord, CliError> {
    let prover = ProverKeys::load(shape, cache)?;
    let mut state = sample::segment(1, &shape)?;
    let mut after_tenth = 0.0;
    for i in 0..batches {
        let mut request = full_batch(shape.batch_size);
        request.epoch = sample::EPOCH + (i / 10) as u64;
        let outcome = state
            .apply_exits(&request, &shape)
            .map_err(|e| CliError::Usage(format!("batch {i}: {e}")))?;
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
