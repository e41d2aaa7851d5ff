//! `bulkhead`: prove exits, verify bundles, run gates, measure circuits.

#![forbid(unsafe_code)]

mod gate_cmd;
mod relay;
mod research;

use std::path::PathBuf;
use std::process::ExitCode;

use bulkhead_circuits::keys::ParamsCache;
use bulkhead_circuits::CircuitShape;
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bulkhead",
    version,
    about = "Zero-knowledge boundary proofs between segments"
)]
struct Cli {
    /// Parameter cache directory (default: $BULKHEAD_PARAMS_DIR or ~/.cache/bulkhead/params).
    #[arg(long, global = true)]
    params_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Three segments and their gates: honest exits proven in parallel and
    /// credited, then every attack played for real and stopped.
    Demo(DemoArgs),
    /// Check one bundle without any gate state: proof, exits, signatures.
    /// Exit 0 valid, 1 invalid (reason on stderr), 2 usage or I/O error.
    Verify {
        /// The bundle file.
        bundle: PathBuf,
    },
    /// Prove signed exit requests from a segment snapshot: writes one bundle
    /// per batch and the next snapshot (see examples/). Exit 1 if the model
    /// refuses an exit (nothing is written), 2 for usage or I/O errors.
    Prove(ProveArgs),
    /// A persistent receiving gate.
    Gate(GateArgs),
    /// Print the exact size of a circuit shape (rows, columns, k, proof bytes).
    Inspect(InspectArgs),
    /// Sweep shapes and thread counts: keygen, prove, verify, batch verify,
    /// throughput, the MSM floor and peak memory, each point in its own
    /// process. `--quick` covers depth 20 at 1 and 2 threads in minutes.
    Bench(BenchArgs),
    /// Resident memory over a run of proofs of one shape, as JSON.
    #[command(hide = true)]
    BenchMemory {
        #[command(flatten)]
        shape: ShapeArgs,
        /// Batches in the run.
        #[arg(long)]
        batches: usize,
    },
    /// One point of the sweep, as JSON (what `bench` runs per point).
    #[command(hide = true)]
    BenchPoint {
        #[command(flatten)]
        shape: ShapeArgs,
        /// Threads.
        #[arg(long)]
        threads: usize,
        /// Timed runs.
        #[arg(long)]
        runs: usize,
    },
}

#[derive(Args)]
struct BenchArgs {
    /// A sweep that finishes within minutes: D=20, N in {16, 32}, 2 and 3
    /// chips, 1 and 2 threads, 2 runs each.
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

#[derive(Args)]
struct ShapeArgs {
    /// Accounts tree depth D.
    #[arg(long, default_value_t = CircuitShape::DEFAULT.accounts_depth)]
    depth: u32,
    /// Exits per batch N (a power of two).
    #[arg(long, default_value_t = CircuitShape::DEFAULT.batch_size)]
    batch: u32,
    /// Poseidon chips side by side (1-4).
    #[arg(long, default_value_t = CircuitShape::DEFAULT.poseidon_chips)]
    chips: u32,
    /// Silo tree depth S.
    #[arg(long, default_value_t = CircuitShape::DEFAULT.silo_depth)]
    silo_depth: u32,
    /// Lanes tree depth L.
    #[arg(long, default_value_t = CircuitShape::DEFAULT.lanes_depth)]
    lanes_depth: u32,
}

impl ShapeArgs {
    fn shape(&self) -> CircuitShape {
        CircuitShape {
            accounts_depth: self.depth,
            silo_depth: self.silo_depth,
            lanes_depth: self.lanes_depth,
            batch_size: self.batch,
            poseidon_chips: self.chips,
        }
    }
}

#[derive(Args)]
struct DemoArgs {
    #[command(flatten)]
    shape: ShapeArgs,
    /// Seed of every key in the demo.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Leave the stream in DIR/bundles and each gate's state in DIR/gates/<id>.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Proofs in flight at once; they share the proving threads. Two in
    /// flight gave the best throughput on 2 cores (1.93x one thread).
    #[arg(long, default_value_t = 2)]
    in_flight: usize,
    /// Threads for proving, shared by all proofs in flight (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Args)]
struct ProveArgs {
    /// Segment snapshot (JSON, e.g. examples/segment.json).
    #[arg(long)]
    snapshot: PathBuf,
    /// Signed exit requests (JSON, e.g. examples/exits.json).
    #[arg(long)]
    exits: PathBuf,
    /// Directory for the bundles and the next snapshot.
    #[arg(long)]
    out: PathBuf,
    /// Proofs in flight at once.
    #[arg(long, default_value_t = 2)]
    in_flight: usize,
    /// Proving threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print a JSON summary.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct GateArgs {
    /// The gate's directory.
    #[arg(long)]
    state: PathBuf,
    #[command(subcommand)]
    action: GateAction,
}

#[derive(Subcommand)]
enum GateAction {
    /// Create a gate from a configuration file (see examples/gate-config.json).
    Init {
        /// Gate configuration (JSON).
        #[arg(long)]
        config: PathBuf,
    },
    /// Follow stream items in order: bundles (*.bundle) and JSON items
    /// (attestations, ticks, guardian actions). Exit 1 if any is refused.
    Accept {
        /// Item files, in stream order.
        #[arg(required = true)]
        items: Vec<PathBuf>,
    },
    /// Follow one validator attestation (JSON).
    Attest {
        /// Attestation file.
        file: PathBuf,
    },
    /// Follow one guardian vote to trip a breaker (JSON).
    Trip {
        /// Guardian action file.
        file: PathBuf,
    },
    /// Follow one guardian vote to release a breaker (JSON).
    Release {
        /// Guardian action file.
        file: PathBuf,
    },
    /// Advance the stream to an epoch.
    Tick {
        /// The new epoch.
        epoch: u64,
    },
    /// Show per source: tips, next sequence, epoch, breaker, credits, bound.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct InspectArgs {
    #[command(flatten)]
    shape: ShapeArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also draw the circuit's layout (regions per column) as an SVG file.
    #[arg(long)]
    layout: Option<PathBuf>,
}

/// A command's failure: 1 for a refusal, 2 for usage or I/O.
enum Failure {
    Refused(String),
    Usage(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr; RUST_LOG=info (or debug) shows progress.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cache = cli
        .params_dir
        .clone()
        .map(ParamsCache::new)
        .unwrap_or_else(ParamsCache::from_env);
    let result = match cli.command {
        Command::Demo(args) => relay::run_demo(args, cache),
        Command::Verify { bundle } => relay::verify(&bundle, &cache),
        Command::Prove(args) => relay::prove(args, &cache),
        Command::Gate(args) => gate_cmd::gate(args, &cache),
        Command::Inspect(args) => research::inspect(args),
        Command::Bench(args) => research::bench(args, &cache),
        Command::BenchMemory { shape, batches } => {
            bulkhead_cli::bench::measure_memory(shape.shape(), batches, &cache)
                .map(|record| {
                    println!(
                        "{}",
                        serde_json::to_string(&record).expect("a record serializes")
                    )
                })
                .map_err(Failure::Usage)
        }
        Command::BenchPoint {
            shape,
            threads,
            runs,
        } => bulkhead_cli::bench::measure_point(shape.shape(), threads, runs, &cache)
            .map(|record| {
                println!(
                    "{}",
                    serde_json::to_string(&record).expect("a record serializes")
                )
            })
            .map_err(Failure::Usage),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Refused(message)) => {
            eprintln!("refused: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
