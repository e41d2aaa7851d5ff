//! `bulkhead prove`: a segment snapshot and signed exit requests in, one
//! bundle per batch and the next snapshot out.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use bulkhead_node::relay::engine::{RebaseRefusal, StateFeed};
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::hex::fp_from_hex;
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_prover::requests::ExitsFile;
use bulkhead_prover::{plan_signed_run, write_atomically, ParamsCache, ProverKeys};
use clap::Args;

use crate::error::CliError;
use crate::json::read_json;
use crate::progress::RunProgress;

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
    /// Proofs in flight at once (1 to 64).
    #[arg(long, default_value_t = 2)]
    in_flight: usize,
    /// Proving threads (0 = one per core; at most 4 per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// A state update on top of the snapshot, before the exits: the
    /// segment's own execution (imports credited, trades), in the form
    /// `relay serve` takes at `POST /v1/state` (a whole snapshot, or
    /// changed leaves). Needs `--attested-root`.
    #[arg(long, requires = "attested_root")]
    state: Option<PathBuf>,
    /// The accounts root the segment's validators attested for the
    /// updated state (64 hex digits): the update is refused unless it
    /// reaches it.
    #[arg(long, value_parser = parse_root, requires = "state")]
    attested_root: Option<Fp>,
    /// Print a JSON summary.
    #[arg(long)]
    json: bool,
}

fn parse_root(text: &str) -> Result<Fp, String> {
    fp_from_hex(text).ok_or_else(|| format!("{text:?} is not 64 hex digits of a field element"))
}

/// Checks the flags, plans the whole run (nothing is written or proven if
/// any exit is refused), checks `--out` before anything slow, then proves it in
/// parallel, writing each bundle atomically the moment it is proven (an
/// interrupted run keeps what it finished), and the next snapshot last.
pub fn execute(args: ProveArgs, cache: &ParamsCache) -> Result<(), CliError> {
    super::check_proving_flags(args.threads, args.in_flight)?;
    let snapshot: Snapshot = read_json(&args.snapshot)?;
    let exits: ExitsFile = read_json(&args.exits)?;
    let mut state = snapshot.to_state().map_err(|source| CliError::Snapshot {
        path: args.snapshot.clone(),
        source,
    })?;
    let shape = snapshot.shape;
    if let (Some(path), Some(root)) = (&args.state, args.attested_root) {
        let feed: StateFeed = read_json(path)?;
        let refused = |source| CliError::StateUpdate {
            path: path.clone(),
            source,
        };
        state = feed.apply(&state, shape).map_err(refused)?;
        if state.accounts_root() != root {
            return Err(refused(RebaseRefusal::NotAttested));
        }
    }
    let started = Instant::now();
    let planned = plan_signed_run(&mut state, &exits.to_batches(), &shape).map_err(|source| {
        CliError::ExitsRefused {
            path: args.exits.clone(),
            source,
        }
    })?;
    // After planning (a refused run writes nothing, not even the
    // directory), before the keys and the proving.
    prepare_out(&args.out)?;
    let keys = ProverKeys::load(shape, cache)?;
    let ready = started.elapsed();
    tracing::info!(?ready, batches = planned.len(), "keys ready, proving");

    let outcomes: Vec<_> = planned.iter().map(|p| p.outcome.clone()).collect();
    let paths: Vec<PathBuf> = planned
        .iter()
        .map(|p| {
            let i = &p.outcome.instance;
            args.out
                .join(format!("s{}-seq{:06}.bundle", i.src, i.first_seq))
        })
        .collect();
    let progress = RunProgress::new(planned.len());
    let done = AtomicUsize::new(0);
    let failed: Mutex<Option<CliError>> = Mutex::new(None);
    keys.prove_run(&outcomes, args.in_flight, args.threads, |i, proof| {
        let path = &paths[i];
        let bundle = keys.bundle(&planned[i], proof.to_vec());
        match write_atomically(path, &bundle.to_bytes()) {
            Ok(()) => {
                let done = done.fetch_add(1, Ordering::SeqCst) + 1;
                progress.proven(done, &path.display().to_string());
            }
            Err(e) => {
                let mut failed = failed.lock().unwrap_or_else(|e| e.into_inner());
                failed.get_or_insert(CliError::io(path)(e));
            }
        }
    })?;
    progress.finish();
    if let Some(error) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(error);
    }
    // The next snapshot only once every bundle is on disk: a snapshot that
    // ran ahead of its bundles would make a rerun skip the missing ones.
    let next = args.out.join("snapshot.json");
    let text = serde_json::to_vec_pretty(&Snapshot::from_state(&state, shape))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    write_atomically(&next, &text).map_err(CliError::io(&next))?;
    let written: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
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

/// Makes sure bundles can be written to `out` before any proving: creates
/// the directory and writes and removes a probe file in it. A path that
/// is a file, or a directory that cannot be written, is an error now
/// rather than after minutes of proving.
fn prepare_out(out: &Path) -> Result<(), CliError> {
    if out.exists() && !out.is_dir() {
        return Err(CliError::Usage(format!(
            "--out {}: exists and is not a directory",
            out.display()
        )));
    }
    std::fs::create_dir_all(out).map_err(CliError::io(out))?;
    let probe = out.join(format!(".bulkhead-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(CliError::io(&probe))?;
    std::fs::remove_file(&probe).map_err(CliError::io(&probe))?;
    Ok(())
}
