//! `bulkhead bench batch BUNDLE...`: batch verification at any shape, on
//! bundles already proven (e.g. `bulkhead demo --out DIR` at the default
//! shape): the stateless checks of B bundles with their proofs verified in
//! one batch (`check_bundles`), B in 1, 4, 16, 64, per proof and per exit,
//! median of three runs.
//!
//! When fewer than B bundles are given, they are repeated. The batch
//! verifier's work does not depend on that: every copy gets its own random
//! scalar, and the multi-scalar multiplication has the same size.

use std::path::PathBuf;
use std::time::Instant;

use bulkhead_protocol::bundle::Bundle;
use bulkhead_prover::ParamsCache;
use bulkhead_verifier::{check_bundles, VerifierKeys};
use clap::Args;
use serde::Serialize;

use crate::error::CliError;

/// Batch verification of bundles already proven.
#[derive(Args)]
pub struct BatchBenchArgs {
    /// Bundle files, all of one shape and key.
    #[arg(required = true)]
    bundles: Vec<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Stateless checks of B bundles with their proofs in one batch.
#[derive(Serialize)]
pub struct BatchPoint {
    /// B.
    pub bundles: usize,
    /// Median time over B.
    pub per_proof_ms: f64,
    /// Median time over the exits of the B bundles.
    pub per_exit_ms: f64,
}

/// Measures and prints the batch points.
pub fn execute(args: BatchBenchArgs, cache: &ParamsCache) -> Result<(), CliError> {
    let bundles = args
        .bundles
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).map_err(CliError::io(path))?;
            Bundle::from_bytes(&bytes)
                .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let shape = bundles[0].shape;
    if bundles
        .iter()
        .any(|b| b.shape != shape || b.vk_digest != bundles[0].vk_digest)
    {
        return Err(CliError::Usage(
            "the bundles are not all of one shape and key".into(),
        ));
    }
    let keys = bulkhead_node::keys::verifier_keys(shape, cache)?;
    let points = batch_points(&bundles, &keys)?;
    if args.json {
        let text =
            serde_json::to_string_pretty(&points).map_err(|e| CliError::Usage(e.to_string()))?;
        println!("{text}");
    } else {
        println!("batch verification (check_bundles, shape {shape}, median of 3):");
        print_points(&points);
    }
    Ok(())
}

/// `check_bundles` over B of `bundles` (repeated if fewer), B in 1, 4,
/// 16, 64, median of three runs. Every bundle must pass.
pub fn batch_points(bundles: &[Bundle], keys: &VerifierKeys) -> Result<Vec<BatchPoint>, CliError> {
    let keys = std::slice::from_ref(keys);
    let mut points = Vec::new();
    for b in [1usize, 4, 16, 64] {
        let batch: Vec<Bundle> = bundles.iter().cycle().take(b).cloned().collect();
        let exits: usize = batch.iter().map(|x| x.exits.len()).sum();
        let mut runs = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let verdicts = check_bundles(batch.clone(), keys);
            runs.push(started.elapsed());
            if let Some(Err(refusal)) = verdicts.iter().find(|v| v.is_err()) {
                return Err(CliError::Usage(format!(
                    "a bench bundle failed its checks: {refusal}"
                )));
            }
        }
        runs.sort();
        let median = runs[1].as_secs_f64() * 1e3;
        points.push(BatchPoint {
            bundles: b,
            per_proof_ms: median / b as f64,
            per_exit_ms: median / exits.max(1) as f64,
        });
    }
    Ok(points)
}

/// The points as a table.
pub fn print_points(points: &[BatchPoint]) {
    println!("  bundles | per proof ms | per exit ms");
    for p in points {
        println!(
            "  {:>7} | {:>12.3} | {:>11.3}",
            p.bundles, p.per_proof_ms, p.per_exit_ms
        );
    }
}
