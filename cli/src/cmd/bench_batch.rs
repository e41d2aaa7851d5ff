//! `bulkhead bench batch BUNDLE...`: batch verification at any shape, on
//! bundles already proven (`bulkhead_benches::service::batch` measures;
//! this reads the files and prints).

use std::path::PathBuf;

use bulkhead_benches::service::batch::{self, BatchPoint};
use bulkhead_protocol::bundle::Bundle;
use bulkhead_prover::ParamsCache;
use clap::Args;

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
    let (shape, points) = batch::measure(&bundles, cache)?;
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
