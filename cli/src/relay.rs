//! `demo`, `verify` and `prove`: the relayer's side of the command.

use std::path::PathBuf;
use std::time::Instant;

use bulkhead_circuits::bundle::Bundle;
use bulkhead_circuits::keys::{write_atomically, ParamsCache};
use bulkhead_cli::demo;
use bulkhead_cli::snapshot::{read_json, ExitsFile, Snapshot};
use bulkhead_prover::{plan_signed_run, ProverKeys};
use bulkhead_verifier::{signatures, VerifierKeys};

use crate::{DemoArgs, Failure, ProveArgs};

pub(crate) fn run_demo(args: DemoArgs, cache: ParamsCache) -> Result<(), Failure> {
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

pub(crate) fn verify(path: &PathBuf, cache: &ParamsCache) -> Result<(), Failure> {
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

pub(crate) fn prove(args: ProveArgs, cache: &ParamsCache) -> Result<(), Failure> {
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
