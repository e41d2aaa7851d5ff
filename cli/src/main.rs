//! `bulkhead`: prove and verify segment exits from the command line.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use bulkhead_circuits::cost::{self, CircuitReport};
use bulkhead_circuits::keys::ParamsCache;
use bulkhead_circuits::model::BatchRequest;
use bulkhead_circuits::{sample, CircuitShape};
use bulkhead_prover::{plan_run, ProverKeys};
use bulkhead_verifier::VerifierKeys;
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bulkhead",
    version,
    about = "Zero-knowledge boundary proofs between segments"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Prove a run of exit batches from a sample segment in parallel, verify
    /// them, and show that tampered proofs and over-cap batches are stopped.
    Demo(DemoArgs),
    /// Print the exact size of a circuit shape (rows, columns, k, proof bytes).
    Inspect(InspectArgs),
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
    /// Batches in the run.
    #[arg(long, default_value_t = 4)]
    batches: u32,
    /// Proofs in flight at once; they share the proving threads. Two in
    /// flight gave the best throughput on 2 cores (1.93x one thread).
    #[arg(long, default_value_t = 2)]
    in_flight: usize,
    /// Threads for proving, shared by all proofs in flight (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Parameter cache directory (default: $BULKHEAD_PARAMS_DIR or ~/.cache/bulkhead/params).
    #[arg(long)]
    params_dir: Option<PathBuf>,
}

#[derive(Args)]
struct InspectArgs {
    #[command(flatten)]
    shape: ShapeArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo(args),
        Command::Inspect(args) => inspect(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn inspect(args: InspectArgs) -> Result<ExitCode, String> {
    let report = cost::measure(args.shape.shape()).map_err(|e| e.to_string())?;
    if args.json {
        println!("{}", report_json(&report));
    } else {
        print_report(&report);
    }
    Ok(ExitCode::SUCCESS)
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
    println!("max degree       {}", r.max_degree);
    println!("proof bytes      {}", r.proof_bytes);
}

/// The demo's honest requests: batch `b` in epoch 7 + b, `n` exits cycling
/// through the sample's asset-1 accounts.
fn demo_requests(batches: u32, n: u32) -> Vec<BatchRequest> {
    (0..batches)
        .map(|b| {
            let exits: Vec<(u64, u128)> = (0..n)
                .map(|i| (2 * (i as u64 % 4), 10 + i as u128 + b as u128))
                .collect();
            sample::batch(sample::EPOCH + b as u64, &exits)
        })
        .collect()
}

fn demo(args: DemoArgs) -> Result<ExitCode, String> {
    let shape = args.shape.shape();
    shape.validate().map_err(|e| e.to_string())?;
    let cache = args
        .params_dir
        .map(ParamsCache::new)
        .unwrap_or_else(ParamsCache::from_env);
    println!("bulkhead demo: shape {shape}, {} batches", args.batches);
    println!("parameter cache: {}", cache.dir().display());

    let start = Instant::now();
    let prover = ProverKeys::load(shape, &cache).map_err(|e| e.to_string())?;
    // The verifier needs nothing the prover has not derived already.
    let verifier = VerifierKeys::from_key(
        shape,
        prover.params().clone(),
        prover.verifying_key().clone(),
    )
    .map_err(|e| e.to_string())?;
    println!(
        "keys ready in {:.1?} (params {:?}), vk digest {}",
        start.elapsed(),
        prover.params_source(),
        hex(&verifier.vk_digest())
    );

    let mut state = sample::segment(1, &shape).map_err(|e| e.to_string())?;
    let requests = demo_requests(args.batches, shape.batch_size);
    let outcomes = plan_run(&mut state, &requests, &shape).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let proofs = prover
        .prove_run(&outcomes, args.in_flight, args.threads, |i| {
            println!("  proved batch {i}")
        })
        .map_err(|e| e.to_string())?;
    let prove_time = start.elapsed();
    let exits: u64 = outcomes.iter().map(|o| o.instance.exit_count).sum();
    println!(
        "proved {} batches ({exits} exits) in {prove_time:.1?}: {:.2?} per exit",
        outcomes.len(),
        prove_time / exits.max(1) as u32
    );

    let mut checks: Vec<(&str, bool)> = Vec::new();
    let items: Vec<_> = outcomes.iter().map(|o| o.instance).zip(proofs).collect();
    let singles = items.iter().all(|(i, p)| verifier.verify(i, p).is_ok());
    checks.push(("every proof verifies alone", singles));
    checks.push((
        "the run verifies as one batch",
        verifier.verify_batch(&items).is_ok(),
    ));

    // Attacks a malicious relayer could try with a real proof in hand.
    let (instance, proof) = &items[0];
    let mut inflated = *instance;
    inflated.total += 1;
    checks.push((
        "attack stopped: TOTAL inflated by one",
        verifier.verify(&inflated, proof).is_err(),
    ));
    let mut redirected = *instance;
    redirected.dst = 3;
    checks.push((
        "attack stopped: proof replayed for another destination",
        verifier.verify(&redirected, proof).is_err(),
    ));
    let mut flipped = proof.clone();
    flipped[64] ^= 1;
    checks.push((
        "attack stopped: proof byte flipped",
        verifier.verify(instance, &flipped).is_err(),
    ));
    let drain = sample::batch(sample::EPOCH + args.batches as u64, &[(6, 6_001)]);
    checks.push((
        "refused before proving: batch over the epoch cap",
        state.apply_exits(&drain, &shape).is_err(),
    ));

    println!();
    let mut all = true;
    for (what, ok) in &checks {
        println!("  [{}] {what}", if *ok { "ok" } else { "FAILED" });
        all &= ok;
    }
    println!(
        "\nsegment 1 after the run: exit_seq {}, collateral left {}",
        state.exit_seq(),
        state.silo(sample::ASSET).map_or(0, |s| s.collateral)
    );
    Ok(if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
