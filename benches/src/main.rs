//! `prove-times`: key generation, single-proof prove and verify medians for
//! one shape at the current thread count (set `RAYON_NUM_THREADS`; halo2's
//! multicore paths run on rayon's global pool). Prints one JSON record.

use std::time::Instant;

use bulkhead_benches::{full_batch, median_of};
use bulkhead_circuits::keys::ParamsCache;
use bulkhead_circuits::{cost, sample, CircuitShape};
use bulkhead_prover::ProverKeys;
use bulkhead_verifier::VerifierKeys;
use clap::Parser;

#[derive(Parser)]
#[command(about = "Median prove and verify times of one circuit shape")]
struct Args {
    /// Accounts tree depth D.
    #[arg(long, default_value_t = 20)]
    depth: u32,
    /// Exits per batch N.
    #[arg(long, default_value_t = 16)]
    batch: u32,
    /// Poseidon chips.
    #[arg(long, default_value_t = 2)]
    chips: u32,
    /// Silo tree depth S.
    #[arg(long, default_value_t = 8)]
    silo_depth: u32,
    /// Lanes tree depth L.
    #[arg(long, default_value_t = 8)]
    lanes_depth: u32,
    /// Proofs timed (median reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    let shape = CircuitShape {
        accounts_depth: args.depth,
        silo_depth: args.silo_depth,
        lanes_depth: args.lanes_depth,
        batch_size: args.batch,
        poseidon_chips: args.chips,
    };
    let report = cost::measure(shape).map_err(|e| e.to_string())?;
    let cache = ParamsCache::from_env();
    let start = Instant::now();
    let prover = ProverKeys::load(shape, &cache).map_err(|e| e.to_string())?;
    let keygen = start.elapsed();
    let verifier = VerifierKeys::load(shape, &cache).map_err(|e| e.to_string())?;

    let mut state = sample::segment(1, &shape).map_err(|e| e.to_string())?;
    let outcome = state
        .apply_exits(&full_batch(shape.batch_size), &shape)
        .map_err(|e| e.to_string())?;
    let proof = prover.prove(&outcome).map_err(|e| e.to_string())?;
    let prove = median_of(args.runs, || prover.prove(&outcome).expect("proving works"));
    let verify = median_of(args.runs * 5, || {
        verifier
            .verify(&outcome.instance, &proof)
            .expect("an honest proof verifies")
    });
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into());
    let record = serde_json::json!({
        "depth": shape.accounts_depth, "batch": shape.batch_size, "chips": shape.poseidon_chips,
        "threads": threads, "k": report.k, "rows": report.rows,
        "advice_columns": report.advice_columns, "fixed_columns": report.fixed_columns,
        "lookups": report.lookups, "proof_bytes": proof.len(),
        "keygen_s": keygen.as_secs_f64(), "prove_s": prove.as_secs_f64(),
        "prove_s_per_exit": prove.as_secs_f64() / shape.batch_size as f64,
        "verify_ms": verify.as_secs_f64() * 1e3,
    });
    println!("{record}");
    Ok(())
}
