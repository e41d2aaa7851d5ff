//! `bulkhead bench`: the sweep over shapes and thread counts, each point in
//! its own process, and the hidden per-point commands it runs. What is
//! measured and how is `bulkhead_benches::sweep`; this is the flags and
//! the printing.

use std::path::PathBuf;

use bulkhead_benches::sweep::{self, output, Sweep};
use bulkhead_prover::ParamsCache;
use clap::Args;

use crate::error::CliError;
use crate::shape_args::ShapeArgs;

/// Sweep shapes and thread counts: keygen, prove, verify, batch verify,
/// throughput, the MSM floor, the Poseidon-only floor and peak memory,
/// each point in its own process.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    /// Another benchmark instead of the proving sweep.
    #[command(subcommand)]
    target: Option<BenchTarget>,
    /// A sweep that finishes within minutes: D=20 with (N, chips) in
    /// (16, 1), (32, 2) and (64, 4), the shapes that fill k = 13 with half,
    /// one and two times the default's exits; 1 and 2 threads, 2 runs
    /// each (`bulkhead_benches::sweep::QUICK_SHAPES`).
    #[arg(long)]
    quick: bool,
    /// Accounts depths (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [16u32, 20, 24])]
    depths: Vec<u32>,
    /// Batch sizes.
    #[arg(long, value_delimiter = ',', default_values_t = [8u32, 16, 32])]
    batches: Vec<u32>,
    /// Poseidon chip counts.
    #[arg(long, value_delimiter = ',', default_values_t = [1u32, 2, 3])]
    chips: Vec<u32>,
    /// Thread counts.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 2])]
    threads: Vec<usize>,
    /// Timed runs per point (medians).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Print the records as JSON.
    #[arg(long)]
    json: bool,
    /// Also write the records as CSV.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Also draw prove time per exit and throughput against batch size (SVG).
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Instead of the sweep: prove this many chained batches of each shape
    /// in one process and report resident memory after a tenth and at the
    /// end (is it flat?).
    #[arg(long)]
    memory_run: Option<usize>,
}

/// Benchmarks other than the proving sweep.
#[derive(clap::Subcommand)]
enum BenchTarget {
    /// The gate's ledger and service beside a large history (see
    /// docs/PERFORMANCE.md).
    Gate(super::bench_gate::GateBenchArgs),
    /// Batch verification per proof and per exit at B = 1, 4, 16, 64, on
    /// bundles already proven (any shape).
    Batch(super::bench_batch::BatchBenchArgs),
    /// The relayer service end to end (exits/s, request-to-publication
    /// latency) against the proving engine alone.
    Relay(super::bench_relay::RelayBenchArgs),
}

/// One point of the sweep, as JSON (what `bench` runs per point).
#[derive(Args)]
pub struct BenchPointArgs {
    #[command(flatten)]
    shape: ShapeArgs,
    /// Threads.
    #[arg(long)]
    threads: usize,
    /// Timed runs.
    #[arg(long)]
    runs: usize,
}

/// Resident memory over a run of proofs of one shape, as JSON.
#[derive(Args)]
pub struct BenchMemoryArgs {
    #[command(flatten)]
    shape: ShapeArgs,
    /// Batches in the run.
    #[arg(long)]
    batches: usize,
}

/// Measures one point in this process and prints it as JSON.
pub fn point(args: BenchPointArgs, cache: &ParamsCache) -> Result<(), CliError> {
    let record = sweep::measure_point(args.shape.shape(), args.threads, args.runs, cache)?;
    print_json(&record)
}

/// Measures memory over a run in this process and prints it as JSON.
pub fn memory(args: BenchMemoryArgs, cache: &ParamsCache) -> Result<(), CliError> {
    let record = sweep::measure_memory(args.shape.shape(), args.batches, cache)?;
    print_json(&record)
}

fn print_json(record: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string(record).map_err(|e| CliError::Usage(e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// This executable, which each point runs as a child process.
pub(crate) fn this_exe() -> Result<PathBuf, CliError> {
    std::env::current_exe().map_err(CliError::io("current executable"))
}

pub fn execute(args: BenchArgs, cache: &ParamsCache) -> Result<(), CliError> {
    match args.target {
        Some(BenchTarget::Gate(gate)) => return super::bench_gate::execute(gate),
        Some(BenchTarget::Batch(batch)) => return super::bench_batch::execute(batch, cache),
        Some(BenchTarget::Relay(relay)) => return super::bench_relay::execute(relay, cache),
        None => {}
    }
    let plan = if args.quick {
        Sweep::quick()
    } else {
        Sweep::grid(
            &args.depths,
            &args.batches,
            &args.chips,
            args.threads,
            args.runs,
        )
    };
    let exe = this_exe()?;
    if let Some(batches) = args.memory_run {
        return Ok(sweep::run_memory(&exe, cache, &plan, batches, |out| {
            print!("{}", String::from_utf8_lossy(out))
        })?);
    }
    let records = sweep::run_points(&exe, cache, &plan, |shape, threads| {
        eprintln!("bench: {shape}, {threads} threads")
    })?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&records).map_err(|e| CliError::Usage(e.to_string()))?
        );
    } else {
        print!("{}", output::to_table(&records));
    }
    if let Some(path) = &args.csv {
        std::fs::write(path, output::to_csv(&records)).map_err(CliError::io(path))?;
    }
    if let Some(path) = &args.plot {
        output::plot(&records, path)?;
    }
    Ok(())
}
