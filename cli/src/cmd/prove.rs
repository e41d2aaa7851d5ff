//! `bulkhead prove`: a segment snapshot and signed exit requests in, one
//! bundle per batch and the next snapshot out.

use std::path::PathBuf;
use std::time::Instant;

use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_prover::requests::ExitsFile;
use bulkhead_prover::{plan_signed_run, write_atomically, ParamsCache, ProverKeys};
use clap::Args;

use crate::error::CliError;
use crate::json::read_json;

/// Prove signed exit requests from a segment snapshot: writes one bundle
/// per batch and the next snapshot (see examples/). Exit 1 if the model
/// refuses an exit (nothing is written), 2 for usage or I/O errors.
#[derive(Args)]
pub struct ProveArgs {
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

/// Plans the whole run first (nothing is proven if any exit is refused),
/// then proves it in parallel and writes every file atomically.
pub fn execute(args: ProveArgs, cache: &ParamsCache) -> Result<(), CliError> {
    let snapshot: Snapshot = read_json(&args.snapshot)?;
    let exits: ExitsFile = read_json(&args.exits)?;
    let mut state = snapshot.to_state().map_err(|source| CliError::Snapshot {
        path: args.snapshot.clone(),
        source,
    })?;
    let shape = snapshot.shape;
    let started = Instant::now();
    let planned = plan_signed_run(&mut state, &exits.to_batches(), &shape).map_err(|source| {
        CliError::ExitsRefused {
            path: args.exits.clone(),
            source,
        }
    })?;
    let keys = ProverKeys::load(shape, cache)?;
    let ready = started.elapsed();
    tracing::info!(?ready, batches = planned.len(), "keys ready, proving");
    let outcomes: Vec<_> = planned.iter().map(|p| p.outcome.clone()).collect();
    let proofs = keys.prove_run(&outcomes, args.in_flight, args.threads, |i| {
        tracing::info!(batch = i, "proved")
    })?;
    std::fs::create_dir_all(&args.out).map_err(CliError::io(&args.out))?;
    let mut written = Vec::new();
    for (plan, proof) in planned.iter().zip(proofs) {
        let bundle = keys.bundle(plan, proof);
        let i = bundle.instance;
        let path = args
            .out
            .join(format!("s{}-seq{:06}.bundle", i.src, i.first_seq));
        write_atomically(&path, &bundle.to_bytes()).map_err(CliError::io(&path))?;
        written.push(path.display().to_string());
    }
    let next = args.out.join("snapshot.json");
    let text = serde_json::to_vec_pretty(&Snapshot::from_state(&state, shape))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    write_atomically(&next, &text).map_err(CliError::io(&next))?;
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
