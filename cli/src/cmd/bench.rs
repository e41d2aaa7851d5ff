//! `bulkhead bench`: the sweep over shapes and thread counts, each point in
//! its own process, and the hidden per-point commands it runs.

use std::path::PathBuf;

use bulkhead_protocol::CircuitShape;
use bulkhead_prover::ParamsCache;
use clap::Args;

use crate::error::CliError;
use crate::measure;
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
    /// each.
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

/// `(depth, batch, chips)` of `bench --quick`: the shapes that fill
/// `k = 13` (the default, and half and twice its exits on half and twice
/// its chips), so the sweep compares latency and cost per exit of narrower
/// and wider circuits at the same domain. Beyond four chips the main
/// columns, not hashing, set the rows (eight chips at N = 128 need
/// k = 14).
const QUICK_SHAPES: [(u32, u32, u32); 3] = [(20, 16, 1), (20, 32, 2), (20, 64, 4)];

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
    let record = measure::measure_point(args.shape.shape(), args.threads, args.runs, cache)?;
    print_json(&record)
}

/// Measures memory over a run in this process and prints it as JSON.
pub fn memory(args: BenchMemoryArgs, cache: &ParamsCache) -> Result<(), CliError> {
    let record = measure::measure_memory(args.shape.shape(), args.batches, cache)?;
    print_json(&record)
}

fn print_json(record: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string(record).map_err(|e| CliError::Usage(e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// Runs `bulkhead <command> <args>` as a child process (one bench point per
/// process, so its peak memory is its own) and returns its stdout.
fn run_child(cache: &ParamsCache, command: &str, args: &[String]) -> Result<Vec<u8>, CliError> {
    let exe = std::env::current_exe().map_err(|e| CliError::Usage(e.to_string()))?;
    let out = std::process::Command::new(exe)
        .arg("--params-dir")
        .arg(cache.dir())
        .arg(command)
        .args(args)
        .output()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if !out.status.success() {
        return Err(CliError::Usage(format!(
            "{command} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(out.stdout)
}

pub fn execute(args: BenchArgs, cache: &ParamsCache) -> Result<(), CliError> {
    match args.target {
        Some(BenchTarget::Gate(gate)) => return super::bench_gate::execute(gate),
        Some(BenchTarget::Batch(batch)) => return super::bench_batch::execute(batch, cache),
        Some(BenchTarget::Relay(relay)) => return super::bench_relay::execute(relay, cache),
        None => {}
    }
    let (shapes, threads, runs) = if args.quick {
        (QUICK_SHAPES.to_vec(), vec![1, 2], 2)
    } else {
        let mut shapes = Vec::new();
        for &depth in &args.depths {
            for &batch in &args.batches {
                for &chips in &args.chips {
                    shapes.push((depth, batch, chips));
                }
            }
        }
        (shapes, args.threads, args.runs)
    };
    let mut records = Vec::new();
    for (depth, batch, chip_count) in shapes {
        let shape = CircuitShape {
            accounts_depth: depth,
            batch_size: batch,
            poseidon_chips: chip_count,
            ..CircuitShape::DEFAULT
        };
        shape.validate()?;
        let shape_args = [
            "--depth".to_string(),
            depth.to_string(),
            "--batch".into(),
            batch.to_string(),
            "--chips".into(),
            chip_count.to_string(),
        ];
        if let Some(run) = args.memory_run {
            let mut child = shape_args.to_vec();
            child.extend(["--batches".into(), run.to_string()]);
            print!(
                "{}",
                String::from_utf8_lossy(&run_child(cache, "bench-memory", &child)?)
            );
            continue;
        }
        for &thread_count in &threads {
            eprintln!("bench: {shape}, {thread_count} threads");
            let mut child = shape_args.to_vec();
            child.extend([
                "--threads".into(),
                thread_count.to_string(),
                "--runs".into(),
                runs.to_string(),
            ]);
            let stdout = run_child(cache, "bench-point", &child)?;
            let record: measure::Record = serde_json::from_slice(&stdout)
                .map_err(|e| CliError::Usage(format!("bench point output: {e}")))?;
            records.push(record);
        }
    }
    if args.memory_run.is_some() {
        return Ok(());
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&records).map_err(|e| CliError::Usage(e.to_string()))?
        );
    } else {
        print!("{}", measure::to_table(&records));
    }
    if let Some(path) = &args.csv {
        std::fs::write(path, measure::to_csv(&records))
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    }
    if let Some(path) = &args.plot {
        measure::plot(&records, path)?;
    }
    Ok(())
}
