//! The demo's round trip: value that arrived leaves again. Segment 2
//! imports what segment 1 sent it (the demo plays segment 2's validators:
//! the value is credited to one of its accounts and its silo collateral
//! rises at every gate) and sends it on to segment 3 in a batch proven
//! from the mirror's new boundary; segment 3 does the same back to segment
//! 1, and segment 1 imports what its gate credited. The attacks on imports
//! are played and stopped, and the conservation of collateral is checked
//! at every gate.

use std::collections::BTreeMap;

use bulkhead_protocol::model::SegmentState;
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{plan_signed_run, PlannedBatch, ProverKeys};
use bulkhead_testkit::attacks::single_exit;
use bulkhead_testkit::gate::{import_on, STREAM_ID, VALIDATOR_THRESHOLD};
use bulkhead_testkit::sample;
use bulkhead_testkit::signed::sign_run;
use bulkhead_verifier::gate::{GateState, Import, StreamItem};

use super::world::{Outcome, World};
use crate::error::CliError;

/// The account of each segment that receives imports (it holds asset 1).
const RECEIVING_ACCOUNT: u64 = 0;

/// The most one hop imports and sends on: enough to show value leaving
/// again, small enough that segment 3's silo (little collateral, for the
/// attacks that follow) stays where the attacks expect it.
const HOP: u64 = 250;

/// Plays the round trip in `epoch` (the stream's current epoch): segment
/// 1 → 2 → 3 → 1, each hop an import of what arrived (at most [`HOP`])
/// and a batch sending it on, proven from the mirror's new boundary; then
/// segment 1 imports what its gate credited. The attacks on imports are
/// played at the first hop.
pub fn play(
    world: &mut World,
    shape: &CircuitShape,
    epoch: u64,
    prover: &ProverKeys,
    threads: usize,
) -> Result<(), CliError> {
    hop(world, shape, epoch, prover, threads, 2, 3, true)?;
    hop(world, shape, epoch, prover, threads, 3, 1, false)?;
    // Segment 1 imports what its own gate credited, so that gate raises no
    // alarm.
    let asset = sample::ASSET;
    let credited = credited_at(world.gates[&1].state(), asset);
    let imported = world.gates[&1].state().flow(1, asset).imported;
    let owed = u64::try_from(credited.saturating_sub(imported)).unwrap_or(u64::MAX);
    let owed = owed.min(in_flight(world, 1, asset));
    if owed > 0 {
        let import = import_into(world, 1, owed, VALIDATOR_THRESHOLD)?;
        world.expect_accepted(
            &format!("s1 imports the {owed} its gate credited"),
            StreamItem::Import(import),
        );
    }
    let alarms = bulkhead_verifier::gate::import_alarms(world.gates[&1].state());
    world.report.push(Outcome {
        what: "s1's gate: imports covered by its credits".into(),
        ok: alarms.is_empty(),
        detail: if alarms.is_empty() {
            "no import alarm".into()
        } else {
            format!("ALARM: {alarms:?}")
        },
    });
    Ok(())
}

/// One hop: `from` imports what arrived (at most [`HOP`]) into its
/// receiving account and sends it on to `to`. With `attacks`, the attacks
/// on imports and a batch proven from the boundary before the import are
/// played and stopped too.
#[allow(clippy::too_many_arguments)]
fn hop(
    world: &mut World,
    shape: &CircuitShape,
    epoch: u64,
    prover: &ProverKeys,
    threads: usize,
    from: u64,
    to: u64,
    attacks: bool,
) -> Result<(), CliError> {
    let asset = sample::ASSET;
    let owed = in_flight(world, from, asset).min(HOP);
    let stale_state = world.states[&from].clone();
    if attacks {
        // Signatures that do not make a threshold here, while the inflow
        // has room (G7 checks the inflow before the signatures).
        let weak = signed(
            world,
            from,
            &next_step(world, from, owed),
            owed,
            VALIDATOR_THRESHOLD - 1,
        );
        world.expect_stopped(
            "import signed by fewer validators than the threshold",
            &format!("s{from}-import-weak"),
            StreamItem::Import(weak),
            "G7 signatures",
        );
        let mut other_stream = next_step(world, from, owed);
        other_stream.signatures = import_on(
            STREAM_ID + 1,
            world.seed,
            from,
            other_stream.height,
            other_stream.parent,
            other_stream.root,
            asset,
            owed,
            VALIDATOR_THRESHOLD,
        )
        .signatures;
        world.expect_stopped(
            "import signed for another stream",
            &format!("s{from}-import-other-stream"),
            StreamItem::Import(other_stream),
            "G7 signatures",
        );
    }
    let import = import_into(world, from, owed, VALIDATOR_THRESHOLD)?;
    world.expect_accepted(
        &format!("s{from} imports {owed} of asset 1 (credited to its account 0)"),
        StreamItem::Import(import.clone()),
    );
    if attacks {
        world.expect_stopped(
            "replayed import",
            &format!("s{from}-import-replay"),
            StreamItem::Import(import),
            "G7 replay",
        );
        let beyond = signed(
            world,
            from,
            &next_step(world, from, 1),
            in_flight(world, from, asset) + 1,
            VALIDATOR_THRESHOLD,
        );
        world.expect_stopped(
            "import of value that never arrived (1 more than in flight)",
            &format!("s{from}-import-beyond"),
            StreamItem::Import(beyond),
            "G7 inflow",
        );
    }
    let request = single_exit(to, asset, epoch, RECEIVING_ACCOUNT, u128::from(owed));
    let seed = world.seed;
    let onward = plan(seed, shape, from, model(world, from)?, &request)?;
    // Before the import the account held less: the stale batch sends 1.
    let mut stale_state = stale_state;
    let stale_request = single_exit(to, asset, epoch, RECEIVING_ACCOUNT, 1);
    let stale = plan(seed, shape, from, &mut stale_state, &stale_request)?;
    let mut jobs = vec![(&onward.outcome.instance, &onward.outcome.witness)];
    if attacks {
        jobs.push((&stale.outcome.instance, &stale.outcome.witness));
    }
    let mut proofs = prover.prove_jobs(&jobs, 2, threads, |_, _| {})?.into_iter();
    let onward_proof = proofs
        .next()
        .ok_or_else(|| CliError::Usage("the prover returned too few proofs".into()))?;
    if let Some(stale_proof) = proofs.next() {
        world.expect_stopped(
            "batch proven from the boundary before its segment's import",
            &format!("s{from}-stale-boundary"),
            StreamItem::Bundle(prover.bundle(&stale, stale_proof).to_bytes()),
            "G2 boundary",
        );
    }
    world.expect_accepted(
        &format!("s{from} sends the {owed} it imported on to s{to}"),
        StreamItem::Bundle(prover.bundle(&onward, onward_proof).to_bytes()),
    );
    Ok(())
}

/// After the attacks: segment 3, quarantined, cannot import.
pub fn quarantined_import(world: &mut World) {
    let step = next_step(world, 3, 1);
    let import = signed(world, 3, &step, 1, VALIDATOR_THRESHOLD);
    world.expect_stopped(
        "import by the quarantined segment 3",
        "s3-import-quarantined",
        StreamItem::Import(import),
        "G7 quarantined",
    );
}

/// The demo's model of `segment`.
fn model(world: &mut World, segment: u64) -> Result<&mut SegmentState, CliError> {
    world
        .states
        .get_mut(&segment)
        .ok_or_else(|| CliError::Usage(format!("segment {segment} is not in the demo")))
}

/// Plans one batch of `segment` on `state` (moved by it).
fn plan(
    seed: u64,
    shape: &CircuitShape,
    segment: u64,
    state: &mut SegmentState,
    request: &bulkhead_protocol::model::BatchRequest,
) -> Result<PlannedBatch, CliError> {
    let signed = sign_run(seed, shape, segment, state, std::slice::from_ref(request));
    plan_signed_run(state, &signed, shape)?
        .pop()
        .ok_or_else(|| CliError::Usage("no batch planned".into()))
}

/// Accepted value to `segment` in `asset` not yet imported, as the gates
/// follow it.
fn in_flight(world: &World, segment: u64, asset: u64) -> u64 {
    let flow = world.gates[&1].state().flow(segment, asset);
    u64::try_from(flow.in_flight()).unwrap_or(u64::MAX)
}

/// What a gate credited in `asset`, from every source.
fn credited_at(state: &GateState, asset: u64) -> u128 {
    state
        .sources
        .values()
        .filter_map(|s| s.credited.get(&asset))
        .map(|a| u128::from(*a))
        .sum()
}

/// `segment`'s import of `amount` into its receiving account: applied to
/// its model (new accounts root and collateral) and signed by `signers`
/// of its validators.
fn import_into(
    world: &mut World,
    segment: u64,
    amount: u64,
    signers: usize,
) -> Result<Import, CliError> {
    let step = next_step(world, segment, amount);
    let state = model(world, segment)?;
    state.import(sample::ASSET, &[(RECEIVING_ACCOUNT, amount)])?;
    let step = Import {
        root: state.accounts_root(),
        ..step
    };
    Ok(signed(world, segment, &step, amount, signers))
}

/// The unsigned import of `amount` one height above `segment`'s tip, to
/// the tip's own root (callers that move the model set the root).
fn next_step(world: &World, segment: u64, amount: u64) -> Import {
    let source = &world.gates[&1].state().sources[&segment];
    Import {
        segment,
        height: source.height.saturating_add(1),
        parent: source.tip,
        root: bulkhead_protocol::hash::Fp::from(amount),
        asset: sample::ASSET,
        amount,
        signatures: Vec::new(),
    }
}

/// `step` for `amount`, signed by the first `signers` validators.
fn signed(world: &World, segment: u64, step: &Import, amount: u64, signers: usize) -> Import {
    import_on(
        STREAM_ID,
        world.seed,
        segment,
        step.height,
        step.parent,
        step.root,
        step.asset,
        amount,
        signers,
    )
}

/// The conservation check at every gate, and each segment's live
/// collateral in asset 1 (from gate 1's mirrors), for the report.
pub fn conservation(world: &World) -> (bool, Vec<String>) {
    let asset = sample::ASSET;
    let mut ok = true;
    let mut lines = Vec::new();
    for (id, gate) in &world.gates {
        let state = gate.state();
        let registered: u128 = state
            .config
            .sources
            .iter()
            .filter_map(|s| s.silo(asset))
            .map(|o| u128::from(o.collateral))
            .sum();
        let live: BTreeMap<u64, u64> = state
            .sources
            .iter()
            .filter_map(|(s, source)| source.mirror.silo(asset).map(|silo| (*s, silo.collateral)))
            .collect();
        let collateral: u128 = live.values().map(|c| u128::from(*c)).sum();
        let flight: u128 = state
            .flows
            .iter()
            .filter(|(k, _)| k.asset == asset)
            .map(|(_, f)| f.in_flight())
            .sum();
        let holds = collateral + flight == registered;
        ok &= holds;
        lines.push(format!(
            "  gate {id}: live collateral {live:?} = {collateral}, in flight {flight}, \
             sum {} {} genesis {registered}",
            collateral + flight,
            if holds { "=" } else { "!=" }
        ));
    }
    (ok, lines)
}
