//! `bulkhead`: prove exits, verify bundles, run gates, measure circuits.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use bulkhead_circuits::bundle::Bundle;
use bulkhead_circuits::cost::{self, CircuitReport};
use bulkhead_circuits::keys::ParamsCache;
use bulkhead_circuits::CircuitShape;
use bulkhead_verifier::gate::{blast_radius, Effect, GateConfig, StreamItem};
use bulkhead_verifier::{signatures, VerifierKeys};
use clap::{Args, Parser, Subcommand};

use std::time::Instant;

use bulkhead_circuits::keys::write_atomically;
use bulkhead_cli::demo;
use bulkhead_cli::snapshot::{read_json, ExitsFile, Snapshot};
use bulkhead_cli::store::{read_item, GateStore};
use bulkhead_prover::{plan_signed_run, ProverKeys};

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
        Command::Demo(args) => run_demo(args, cache),
        Command::Verify { bundle } => verify(&bundle, &cache),
        Command::Prove(args) => prove(args, &cache),
        Command::Gate(args) => gate(args, &cache),
        Command::Inspect(args) => inspect(args),
        Command::Bench(args) => bench(args, &cache),
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

fn run_demo(args: DemoArgs, cache: ParamsCache) -> Result<(), Failure> {
    let shape = args.shape.shape();
    shape
        .validate()
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let (report, ok) = demo::run(demo::DemoOptions {
        shape,
        seed: args.seed,
        out: args.out,
        cache,
        in_flight: args.in_flight,
        threads: args.threads,
    })
    .map_err(Failure::Usage)?;
    println!("{report}");
    if ok {
        Ok(())
    } else {
        Err(Failure::Refused(
            "an honest step failed or an attack got through".into(),
        ))
    }
}

fn verify(path: &PathBuf, cache: &ParamsCache) -> Result<(), Failure> {
    let bytes =
        std::fs::read(path).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    let bundle = Bundle::from_bytes(&bytes).map_err(|e| Failure::Refused(e.to_string()))?;
    // The shape was validated while parsing, before any key work.
    let keys =
        VerifierKeys::load(bundle.shape, cache).map_err(|e| Failure::Usage(e.to_string()))?;
    if keys.vk_digest() != bundle.vk_digest {
        return Err(Failure::Refused(
            "the bundle's verifying-key digest is not this shape's".into(),
        ));
    }
    if !bundle.exits_match_public_inputs() {
        return Err(Failure::Refused(
            "plaintext exits do not match the public inputs".into(),
        ));
    }
    signatures::verify_exit_signatures(&bundle)
        .map_err(|i| Failure::Refused(format!("signature of exit {i} does not verify")))?;
    keys.verify(&bundle.instance, &bundle.proof)
        .map_err(|e| Failure::Refused(e.to_string()))?;
    let i = bundle.instance;
    println!(
        "valid: segment {} -> {}, asset {}, epoch {}, exits {}..{}, total {}",
        i.src,
        i.dst,
        i.asset,
        i.epoch,
        i.first_seq,
        i.first_seq + i.exit_count,
        i.total
    );
    Ok(())
}

fn prove(args: ProveArgs, cache: &ParamsCache) -> Result<(), Failure> {
    let snapshot: Snapshot = read_json(&args.snapshot).map_err(Failure::Usage)?;
    let exits: ExitsFile = read_json(&args.exits).map_err(Failure::Usage)?;
    let mut state = snapshot
        .to_state()
        .map_err(|e| Failure::Usage(format!("{}: {e}", args.snapshot.display())))?;
    let shape = snapshot.shape;
    let started = Instant::now();
    let planned = plan_signed_run(&mut state, &exits.to_batches(), &shape)
        .map_err(|e| Failure::Refused(format!("{}: {e}", args.exits.display())))?;
    let keys = ProverKeys::load(shape, cache).map_err(|e| Failure::Usage(e.to_string()))?;
    let ready = started.elapsed();
    tracing::info!(?ready, batches = planned.len(), "keys ready, proving");
    let outcomes: Vec<_> = planned.iter().map(|p| p.outcome.clone()).collect();
    let proofs = keys
        .prove_run(&outcomes, args.in_flight, args.threads, |i| {
            tracing::info!(batch = i, "proved")
        })
        .map_err(|e| Failure::Usage(e.to_string()))?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Failure::Usage(format!("{}: {e}", args.out.display())))?;
    let mut written = Vec::new();
    for (plan, proof) in planned.iter().zip(proofs) {
        let bundle = keys.bundle(plan, proof);
        let i = bundle.instance;
        let path = args
            .out
            .join(format!("s{}-seq{:06}.bundle", i.src, i.first_seq));
        write_atomically(&path, &bundle.to_bytes())
            .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
        written.push(path.display().to_string());
    }
    let next = args.out.join("snapshot.json");
    let text = serde_json::to_vec_pretty(&Snapshot::from_state(&state, shape))
        .map_err(|e| Failure::Usage(e.to_string()))?;
    write_atomically(&next, &text)
        .map_err(|e| Failure::Usage(format!("{}: {e}", next.display())))?;
    let summary = serde_json::json!({
        "bundles": written,
        "next_snapshot": next.display().to_string(),
        "keys_ready_s": ready.as_secs_f64(),
        "total_s": started.elapsed().as_secs_f64(),
    });
    if args.json {
        println!("{summary}");
    } else {
        for path in &written {
            println!("wrote {path}");
        }
        println!("next snapshot: {}", next.display());
    }
    Ok(())
}

fn gate(args: GateArgs, cache: &ParamsCache) -> Result<(), Failure> {
    let store = GateStore::new(&args.state);
    let usage = Failure::Usage;
    match args.action {
        GateAction::Init { config } => {
            let text =
                std::fs::read(&config).map_err(|e| usage(format!("{}: {e}", config.display())))?;
            let config: GateConfig = serde_json::from_slice(&text)
                .map_err(|e| usage(format!("{}: {e}", config.display())))?;
            store.init(config).map_err(usage)?;
            println!("gate created in {}", args.state.display());
            Ok(())
        }
        GateAction::Accept { items } => {
            let items = items
                .iter()
                .map(|p| read_item(p).map(|item| (p.display().to_string(), item)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(usage)?;
            follow(&store, cache, items)
        }
        GateAction::Attest { file } | GateAction::Trip { file } | GateAction::Release { file } => {
            let item = read_item(&file).map_err(usage)?;
            follow(&store, cache, vec![(file.display().to_string(), item)])
        }
        GateAction::Tick { epoch } => follow(
            &store,
            cache,
            vec![(format!("tick {epoch}"), StreamItem::EpochTick(epoch))],
        ),
        GateAction::Status { json } => status(&store, json),
    }
}

/// Offers items to the gate in order, saving after each accepted one.
fn follow(
    store: &GateStore,
    cache: &ParamsCache,
    items: Vec<(String, StreamItem)>,
) -> Result<(), Failure> {
    let mut gate = store.open(cache).map_err(Failure::Usage)?;
    let mut refused = 0;
    for (name, item) in items {
        match gate.process(&item) {
            Ok(effect) => {
                store.save(gate.state()).map_err(Failure::Usage)?;
                tracing::debug!(?effect, "accepted");
                println!("accepted {name}: {}", describe(&effect));
            }
            Err(refusal) => {
                refused += 1;
                eprintln!("refused {name}: {refusal}");
            }
        }
    }
    if refused > 0 {
        return Err(Failure::Refused(format!("{refused} item(s) refused")));
    }
    Ok(())
}

/// One line for an accepted item's effect.
fn describe(effect: &Effect) -> String {
    let sum =
        |credits: &[bulkhead_verifier::gate::Credit]| credits.iter().map(|c| c.amount).sum::<u64>();
    match effect {
        Effect::BundleAccepted {
            src,
            credited,
            held,
        } => format!(
            "segment {src} advances; credited {} exits ({}), held {} ({})",
            credited.len(),
            sum(credited),
            held.len(),
            sum(held)
        ),
        Effect::Attested { segment } => format!("segment {segment}'s tip moves"),
        Effect::Quarantined { segment, cause } => {
            format!("segment {segment} quarantined ({cause:?})")
        }
        Effect::Released { segment } => format!("segment {segment} released"),
        Effect::VoteCounted => "guardian vote counted".into(),
        Effect::LocalTripped => "this gate's breaker tripped".into(),
        Effect::LocalReleased { credited } => {
            format!("breaker released; credited {} held exits", credited.len())
        }
        Effect::Tick { credited } => format!("new epoch; credited {} held exits", credited.len()),
        other => format!("{other:?}"),
    }
}

fn status(store: &GateStore, json: bool) -> Result<(), Failure> {
    let state = store.load_state().map_err(Failure::Usage)?;
    let sources: Vec<serde_json::Value> = state
        .sources
        .iter()
        .map(|(id, s)| {
            serde_json::json!({
                "segment": id,
                "tip": bulkhead_circuits::hash::to_hex(&s.tip),
                "boundary": bulkhead_circuits::hash::to_hex(&s.boundary),
                "next_seq": s.next_seq,
                "last_epoch": s.last_epoch,
                "epoch_inbound": state.inbound.get(&format!("{id}@{}", state.epoch)).copied().unwrap_or(0),
                "quarantined": s.quarantined,
                "bundles_accepted": s.accepted,
                "credited": s.credited,
                "held": state.held.iter().filter(|c| c.src == *id).map(|c| c.amount).sum::<u64>(),
                "blast_radius_bound": blast_radius(&state, *id),
            })
        })
        .collect();
    let report = serde_json::json!({
        "segment": state.config.segment,
        "epoch": state.epoch,
        "local_breaker_tripped": state.local_tripped,
        "credited_exits": state.credited.len(),
        "held_exits": state.held.len(),
        "sources": sources,
    });
    if json {
        println!("{report}");
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Failure::Usage(e.to_string()))?
        );
    }
    Ok(())
}

/// Runs `bulkhead <command> <args>` as a child process (one bench point per
/// process, so its peak memory is its own) and returns its stdout.
fn run_child(cache: &ParamsCache, command: &str, args: &[String]) -> Result<Vec<u8>, Failure> {
    let exe = std::env::current_exe().map_err(|e| Failure::Usage(e.to_string()))?;
    let out = std::process::Command::new(exe)
        .arg("--params-dir")
        .arg(cache.dir())
        .arg(command)
        .args(args)
        .output()
        .map_err(|e| Failure::Usage(e.to_string()))?;
    if !out.status.success() {
        return Err(Failure::Usage(format!(
            "{command} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(out.stdout)
}

fn bench(args: BenchArgs, cache: &ParamsCache) -> Result<(), Failure> {
    let (depths, batches, chips, threads, runs) = if args.quick {
        (vec![20], vec![16, 32], vec![2, 3], vec![1, 2], 2)
    } else {
        (
            args.depths,
            args.batches,
            args.chips,
            args.threads,
            args.runs,
        )
    };
    let mut records = Vec::new();
    for &depth in &depths {
        for &batch in &batches {
            for &chip_count in &chips {
                let shape = CircuitShape {
                    accounts_depth: depth,
                    batch_size: batch,
                    poseidon_chips: chip_count,
                    ..CircuitShape::DEFAULT
                };
                shape
                    .validate()
                    .map_err(|e| Failure::Usage(e.to_string()))?;
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
                    let record: bulkhead_cli::bench::Record = serde_json::from_slice(&stdout)
                        .map_err(|e| Failure::Usage(format!("bench point output: {e}")))?;
                    records.push(record);
                }
            }
        }
    }
    if args.memory_run.is_some() {
        return Ok(());
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&records).map_err(|e| Failure::Usage(e.to_string()))?
        );
    } else {
        print!("{}", bulkhead_cli::bench::to_table(&records));
    }
    if let Some(path) = &args.csv {
        std::fs::write(path, bulkhead_cli::bench::to_csv(&records))
            .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    }
    if let Some(path) = &args.plot {
        bulkhead_cli::bench::plot(&records, path).map_err(Failure::Usage)?;
    }
    Ok(())
}

fn inspect(args: InspectArgs) -> Result<(), Failure> {
    let report = cost::measure(args.shape.shape()).map_err(|e| Failure::Usage(e.to_string()))?;
    if let Some(path) = &args.layout {
        draw_layout(report.shape, report.k, path).map_err(Failure::Usage)?;
    }
    if args.json {
        println!("{}", report_json(&report));
    } else {
        print_report(&report);
    }
    Ok(())
}

/// Renders halo2's picture of the circuit layout into an SVG.
fn draw_layout(shape: CircuitShape, k: u32, path: &std::path::Path) -> Result<(), String> {
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (1200, 1600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = root
        .titled(
            &format!("Bulkhead exit batch, {shape}, k={k}"),
            ("sans-serif", 20),
        )
        .map_err(|e| e.to_string())?;
    let drawn: Result<(), bulkhead_circuits::Error> = bulkhead_circuits::with_chips!(shape.poseidon_chips, CHIPS => {
        bulkhead_circuits::circuit::ExitBatchCircuit::<CHIPS>::blank(shape).and_then(|circuit| {
            halo2_proofs::dev::CircuitLayout::default()
                .render(k, &circuit, &root)
                .map_err(|e| bulkhead_circuits::Error::Halo2(e.to_string()))
        })
    });
    drawn.map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

fn report_json(r: &CircuitReport) -> serde_json::Value {
    serde_json::json!({
        "depth": r.shape.accounts_depth,
        "silo_depth": r.shape.silo_depth,
        "lanes_depth": r.shape.lanes_depth,
        "batch": r.shape.batch_size,
        "chips": r.shape.poseidon_chips,
        "k": r.k,
        "rows": r.rows,
        "advice_rows": r.advice_rows,
        "advice_columns": r.advice_columns,
        "fixed_columns": r.fixed_columns,
        "instance_columns": r.instance_columns,
        "lookups": r.lookups,
        "max_degree": r.max_degree,
        "proof_bytes": r.proof_bytes,
        "rows_per_exit": r.rows as f64 / r.shape.batch_size as f64,
        "permutations": r.permutations,
        "rows_per_permutation": r.rows_per_permutation,
    })
}

fn print_report(r: &CircuitReport) {
    println!("shape            {}", r.shape);
    println!(
        "k                {} ({} rows available)",
        r.k,
        (1usize << r.k) - r.reserved_rows
    );
    println!(
        "rows used        {} ({} per exit)",
        r.rows,
        r.rows / r.shape.slots()
    );
    println!(
        "columns          {} advice, {} fixed, {} instance, {} lookup",
        r.advice_columns, r.fixed_columns, r.instance_columns, r.lookups
    );
    println!(
        "poseidon         {} permutations, {} rows each on its chip",
        r.permutations, r.rows_per_permutation
    );
    println!("max degree       {}", r.max_degree);
    println!("proof bytes      {}", r.proof_bytes);
}
