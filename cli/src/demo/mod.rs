//! `bulkhead demo`: three segments, their gates, a stream of honest
//! bundles, and the attacks a malicious relayer or segment would try, each
//! played for real (forged witnesses proven, bundles altered, attestations
//! forged) so that what stops it is the proof system or a gate check.
//!
//! [`world`] holds the segments, gates and stream; [`attacks`] builds and
//! plays the attacks; this module plans, proves, plays and reports.

mod attacks;
mod governance;
mod round_trip;
mod world;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::{BatchRequest, ExitRequest, SegmentState, Silo};
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{plan_signed_run, ParamsCache, PlannedBatch, ProverKeys};
use bulkhead_testkit::attacks::single_exit;
use bulkhead_testkit::gate::gate_config;
use bulkhead_testkit::sample;
use bulkhead_testkit::signed::{segment, sign_run};
use bulkhead_verifier::gate::{blast_radius, Gate, StreamItem};
use bulkhead_verifier::VerifierKeys;

use crate::error::CliError;
use attacks::AttackPlan;
use world::World;

/// Demo settings.
pub struct DemoOptions {
    /// Circuit shape of every segment.
    pub shape: CircuitShape,
    /// Seed of every key.
    pub seed: u64,
    /// Where to leave the stream and the gates' state.
    pub out: Option<PathBuf>,
    /// Parameter cache.
    pub cache: ParamsCache,
    /// Proofs in flight.
    pub in_flight: usize,
    /// Proving threads (0 = one per core).
    pub threads: usize,
}

const SEGMENTS: [u64; 3] = [1, 2, 3];
/// Segment 3's collateral in asset 1: small, so "beyond collateral" is
/// reachable before the cap.
const SEGMENT3_COLLATERAL: u64 = 4_000;

/// Three segments with real owner keys; segment 3 holds little collateral.
fn genesis(seed: u64, shape: &CircuitShape) -> Result<BTreeMap<u64, SegmentState>, CliError> {
    let mut genesis = BTreeMap::new();
    for id in SEGMENTS {
        let mut state = segment(seed, id, shape)?;
        if id == 3 {
            if let Some(silo) = state.silo(sample::ASSET).copied() {
                state.set_silo(Silo {
                    collateral: SEGMENT3_COLLATERAL,
                    ..silo
                })?;
            }
        }
        genesis.insert(id, state);
    }
    Ok(genesis)
}

/// A full batch from `segment`'s `accounts` to `dst`, amounts from `base`.
fn honest_batch(
    shape: &CircuitShape,
    epoch: u64,
    dst: u64,
    accounts: &[u64],
    base: u128,
) -> BatchRequest {
    let n = u64::from(shape.batch_size);
    BatchRequest {
        dst,
        asset: sample::ASSET,
        epoch,
        exits: (0..n)
            .map(|i| ExitRequest {
                account: accounts[i as usize % accounts.len()],
                recipient: Fp::from(1000 + i),
                amount: base + u128::from(i),
            })
            .collect(),
    }
}

/// Runs the demo; returns the text report and whether every honest step
/// succeeded and every attack was stopped.
pub fn run(opts: DemoOptions) -> Result<(String, bool), CliError> {
    let shape = opts.shape;
    if let Some(dir) = &opts.out {
        world::check_out_dir(dir)?;
    }
    let started = Instant::now();
    let prover = ProverKeys::load(shape, &opts.cache)?;
    let keys_time = started.elapsed();

    let genesis = genesis(opts.seed, &shape)?;
    let mut gates = BTreeMap::new();
    for id in SEGMENTS {
        let config = gate_config(opts.seed, id, shape, prover.vk_digest(), &genesis);
        let keys = VerifierKeys::from_key(
            shape,
            prover.params().clone(),
            prover.verifying_key().clone(),
        )?;
        gates.insert(id, Gate::new(config, vec![keys])?);
    }
    let mut world = World {
        seed: opts.seed,
        states: genesis,
        gates,
        credits: BTreeMap::new(),
        stream: Vec::new(),
        refused: BTreeMap::new(),
        accepted_bundles: 0,
        report: Vec::new(),
    };
    let epoch = sample::EPOCH;

    // ---- Plan every batch natively (honest and forged), then prove all.
    let batch = |dst, accounts: &[u64], base| honest_batch(&shape, epoch, dst, accounts, base);
    let honest: [(u64, Vec<BatchRequest>); 3] = [
        (1, vec![batch(2, &[0, 2, 4, 6], 10), batch(3, &[0, 2], 5)]),
        (2, vec![batch(3, &[0, 2, 4, 6], 20), batch(1, &[4, 6], 7)]),
        (3, vec![batch(1, &[0, 2, 4, 6], 12)]),
    ];
    let mut plans: Vec<(u64, String, PlannedBatch)> = Vec::new();
    for (segment, requests) in &honest {
        let mut state = world.states[segment].clone();
        let signed = sign_run(opts.seed, &shape, *segment, &state, requests);
        let planned = plan_signed_run(&mut state, &signed, &shape)?;
        for (k, p) in planned.into_iter().enumerate() {
            plans.push((*segment, format!("s{segment}-batch{k}"), p));
        }
        world.states.insert(*segment, state);
    }
    let honest_jobs: Vec<_> = plans
        .iter()
        .map(|(_, _, p)| (&p.outcome.instance, &p.outcome.witness))
        .collect();
    let started = Instant::now();
    let proofs = prove_counted(&prover, &honest_jobs, &opts)?;
    let mut prove_time = started.elapsed();
    let mut proofs = proofs.into_iter();
    let mut bundles: Vec<(u64, String, Bundle)> = Vec::new();
    for ((segment, label, plan), proof) in plans.iter().zip(proofs.by_ref()) {
        bundles.push((*segment, label.clone(), prover.bundle(plan, proof)));
    }

    // ---- The stream.
    let tick = world.tick(epoch);
    world.expect_accepted("tick to epoch 7", tick);
    // Segment 2's second batch is held back for the tampering attack.
    let withheld = bundles
        .iter()
        .position(|(s, l, _)| *s == 2 && l.ends_with("batch1"))
        .ok_or_else(|| CliError::Usage("segment 2 has two batches".into()))?;
    let (_, withheld_label, withheld_bundle) = bundles.remove(withheld);
    let first_bytes = bundles[0].2.to_bytes();
    for (_, label, bundle) in &bundles {
        world.expect_accepted(label, StreamItem::Bundle(bundle.to_bytes()));
    }
    world.expect_stopped(
        "tampered amount (relayer re-hashes the exits)",
        "s2-tampered",
        StreamItem::Bundle(attacks::tampered_amount(&withheld_bundle).to_bytes()),
        "G4 signature",
    );
    world.expect_accepted(
        &withheld_label,
        StreamItem::Bundle(withheld_bundle.to_bytes()),
    );
    world.expect_stopped(
        "replayed bundle",
        "s1-replay",
        StreamItem::Bundle(first_bytes),
        "G2 replay",
    );
    // ---- The round trip: imports, value leaving again (1 → 2 → 3 → 1).
    let started = Instant::now();
    round_trip::play(&mut world, &shape, epoch, &prover, opts.threads)?;
    let round_trip_time = started.elapsed();

    // ---- The attacks, planned on the states the round trip left.
    let attack_plan = AttackPlan::new(&world, &shape, epoch)?;
    // A relayer late with segment 1's next batch: proven for epoch 7, and
    // again for epoch 8 once the first is refused as stale.
    let (late, late_states): (Vec<PlannedBatch>, Vec<SegmentState>) = [epoch, epoch + 1]
        .iter()
        .map(|e| {
            let request = single_exit(2, sample::ASSET, *e, 6, 100);
            let mut state = world.states[&1].clone();
            let signed = sign_run(opts.seed, &shape, 1, &state, &[request]);
            Ok((
                plan_signed_run(&mut state, &signed, &shape)?.remove(0),
                state,
            ))
        })
        .collect::<Result<Vec<_>, CliError>>()?
        .into_iter()
        .unzip();
    let mut jobs: Vec<_> = attack_plan.jobs();
    jobs.extend(
        late.iter()
            .map(|p| (&p.outcome.instance, &p.outcome.witness)),
    );
    let started = Instant::now();
    let proofs = prove_counted(&prover, &jobs, &opts)?;
    prove_time += started.elapsed();
    let total_jobs = honest_jobs.len() + jobs.len() + 3;
    let attack_counts = attack_plan.counts();
    let stale_proofs = late.len().saturating_sub(1);
    let honest_proofs = plans.len() + late.len() - stale_proofs;
    let mut proofs = proofs.into_iter();
    let attack_bundles = attack_plan.bundles(&prover, &mut proofs)?;
    let late_bundles: Vec<Bundle> = late
        .iter()
        .zip(proofs.by_ref())
        .map(|(plan, proof)| prover.bundle(plan, proof))
        .collect();
    attacks::play(&mut world, &attack_plan, attack_bundles, epoch);
    // The stream is in epoch 8 now. A batch for epoch 7 would spend a
    // window that has closed: this is how an idle source would save up
    // caps to drain at once, and G5 refuses it. Re-proven, it passes.
    if let [stale, current] = late_bundles.as_slice() {
        world.expect_stopped(
            "idle source spends a past epoch's cap (batch for epoch 7 sent in epoch 8)",
            "s1-late-epoch7",
            StreamItem::Bundle(stale.to_bytes()),
            "G5 stale",
        );
        world.expect_accepted(
            "s1 batch re-proven for epoch 8",
            StreamItem::Bundle(current.to_bytes()),
        );
        // Segment 1's relayer is where that batch left it.
        if let Some(state) = late_states.last() {
            world.states.insert(1, state.clone());
        }
    }
    round_trip::quarantined_import(&mut world);
    // ---- Adaptive boundaries: a raise cancelled, a cut, the automatic rule.
    let started = Instant::now();
    let governed = governance::play(&mut world, &shape, &prover, opts.threads)?;
    let governance_time = started.elapsed();

    // ---- Report.
    let mut out = String::new();
    let mut all_ok = world.report.iter().all(|o| o.ok);
    writeln!(out, "bulkhead demo: shape {shape}, seed {}", world.seed).ok();
    let (forged, drains) = attack_counts;
    writeln!(
        out,
        "keys derived in {keys_time:.1?}; {total_jobs} proofs in {prove_time:.1?}: \
         {honest_proofs} honest batches ({} planned, and segment 1's late batch \
         re-proven for epoch 8), {forged} forged witnesses (lane, collateral, cap), \
         {drains} valid drains by the compromised segment 3, {stale_proofs} honest \
         batch sent an epoch late\n",
        plans.len()
    )
    .ok();
    for o in &world.report {
        writeln!(
            out,
            "  [{}] {} — {}",
            if o.ok { "ok" } else { "FAILED" },
            o.what,
            o.detail
        )
        .ok();
    }
    writeln!(
        out,
        "  (the round trip, its 3 proofs included, took {round_trip_time:.1?}; adaptive \
         boundaries, {} proofs included, {governance_time:.1?})",
        governed.proofs
    )
    .ok();
    writeln!(out, "\nbundles accepted: {}", world.accepted_bundles).ok();
    let refused: Vec<String> = world
        .refused
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    writeln!(out, "items refused by reason: {}", refused.join(", ")).ok();
    writeln!(
        out,
        "\n  gate | from | credited | held | bound (asset 1) | within bound"
    )
    .ok();
    for (id, gate) in &world.gates {
        let state = gate.state();
        for src in SEGMENTS.iter().filter(|s| *s != id) {
            let credited = state
                .sources
                .get(src)
                .and_then(|s| s.credited.get(&sample::ASSET).copied())
                .unwrap_or(0);
            let held = state.held_from(*src);
            let bound = blast_radius(state, *src)
                .get(&sample::ASSET)
                .copied()
                .unwrap_or(0);
            let within = credited + held <= bound;
            all_ok &= within;
            writeln!(
                out,
                "  {id:>4} | {src:>4} | {credited:>8} | {held:>4} | {bound:>15} | {}",
                if within { "yes" } else { "NO" }
            )
            .ok();
        }
    }
    let (conserved, lines) = round_trip::conservation(&world);
    all_ok &= conserved;
    writeln!(
        out,
        "\nconservation of asset 1 at every gate (live collateral + in flight = genesis): {}",
        if conserved { "holds" } else { "BROKEN" }
    )
    .ok();
    for line in lines {
        writeln!(out, "{line}").ok();
    }
    if let Some(dir) = &opts.out {
        world.save(dir)?;
        let d = dir.display();
        writeln!(
            out,
            "\nthe stream, {} items (refused ones too), is a directory log in {d}/{}\n\
             (each position's label in {d}/{}); each gate's configuration and\n\
             ledger export are in {d}/gates/<segment>/. A fresh gate follows it\n\
             to the same ledger:\n\n  \
             bulkhead gate --state gate1 init --config {d}/gates/1/config.json\n  \
             bulkhead gate --state gate1 serve --follow {d}/{}",
            world.stream.len(),
            world::STREAM_DIR,
            world::LABELS_FILE,
            world::STREAM_DIR,
        )
        .ok();
    }
    Ok((out, all_ok))
}

/// Proves `jobs`, counting completions on stderr (they finish in any
/// order).
fn prove_counted(
    prover: &ProverKeys,
    jobs: &[(
        &bulkhead_protocol::instance::Instance,
        &bulkhead_protocol::witness::BatchWitness,
    )],
    opts: &DemoOptions,
) -> Result<Vec<Vec<u8>>, CliError> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = jobs.len();
    Ok(
        prover.prove_jobs(jobs, opts.in_flight, opts.threads, |i, _| {
            let done = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            eprintln!("  proved {done}/{total} (job {})", i + 1)
        })?,
    )
}
