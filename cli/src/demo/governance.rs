//! The demo's adaptive boundaries (rule G8): the guardians raise segment
//! 2's cap and cancel the raise inside its timelock (the cap never moves);
//! segment 1's validators cut its cap at once; segment 1 then drains at
//! its cut cap epoch after epoch until the automatic rule halves its
//! effective cap at every gate, which stops its next batch until the
//! guardians clear it.

use bulkhead_protocol::model::Silo;
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{plan_signed_run, ProverKeys};
use bulkhead_testkit::attacks::single_exit;
use bulkhead_testkit::gate::{governance_on, GUARDIAN_THRESHOLD, STREAM_ID, VALIDATOR_THRESHOLD};
use bulkhead_testkit::sample;
use bulkhead_testkit::signed::sign_run;
use bulkhead_verifier::gate::{BoundaryChange, Signers, StreamItem};

use super::world::{Outcome, World};
use crate::error::CliError;

/// Segment 1's cap once its validators cut it, and what each of its
/// batches then sends: every batch drains the cap.
const CUT_CAP: u64 = 50;
/// Batches planned for the drain: enough epochs for the automatic rule
/// to fire whatever the cut epoch's own outflow was.
const DRAIN_EPOCHS: u64 = 4;
/// The account segment 1 drains from.
const DRAINING_ACCOUNT: u64 = 6;

/// What the governance part proved.
pub struct Played {
    /// Proofs made.
    pub proofs: usize,
}

/// Plays the governance part at the stream's current epoch.
pub fn play(
    world: &mut World,
    shape: &CircuitShape,
    prover: &ProverKeys,
    threads: usize,
) -> Result<Played, CliError> {
    let asset = sample::ASSET;
    let epoch = world.gates[&1].state().epoch;
    let timelock = world.gates[&1].state().config.governance.timelock;

    // A raise of segment 2's cap, cancelled inside its timelock.
    let cap_of = |world: &World, segment: u64| {
        world.gates[&1].state().sources[&segment]
            .mirror
            .silo(asset)
            .map_or(0, |s| s.cap)
    };
    let s2_cap = cap_of(world, 2);
    let raise = govern(
        world,
        2,
        BoundaryChange::RaiseCap {
            asset,
            cap: s2_cap + 1_000,
        },
        Signers::Guardians,
    );
    world.expect_accepted(
        &format!(
            "guardians raise s2's cap to {} (in effect from epoch {} after the timelock)",
            s2_cap + 1_000,
            epoch + timelock
        ),
        raise,
    );
    let raised = world.gates[&1].state().sources[&2].governance.seq - 1;
    let cancel = govern(
        world,
        2,
        BoundaryChange::Cancel { change: raised },
        Signers::Guardians,
    );
    world.expect_accepted("guardians cancel the raise inside its timelock", cancel);

    // Segment 1's validators cut its cap: at once, a new boundary root.
    let s1_cap = cap_of(world, 1);
    let boundary = world.gates[&1].state().sources[&1].boundary();
    let cut = govern(
        world,
        1,
        BoundaryChange::LowerCap {
            asset,
            cap: CUT_CAP,
        },
        Signers::Validators,
    );
    world.expect_accepted(
        &format!("s1's validators cut its cap from {s1_cap} to {CUT_CAP}, in effect at once"),
        cut,
    );
    let moved = world.gates[&1].state().sources[&1].boundary() != boundary;
    world.report.push(Outcome {
        what: "s1's boundary after the cut".into(),
        ok: moved && cap_of(world, 1) == CUT_CAP,
        detail: format!(
            "cap {} at every gate, a new boundary root (a bundle proven on the old one is refused)",
            cap_of(world, 1)
        ),
    });
    let mut state = world.states[&1].clone();
    if let Some(silo) = state.silo(asset).copied() {
        state.set_silo(Silo {
            cap: CUT_CAP,
            ..silo
        })?;
    }

    // Segment 1 drains at its cut cap, one batch an epoch.
    let mut plans = Vec::new();
    let mut states = Vec::new();
    for k in 1..=DRAIN_EPOCHS {
        let request = single_exit(2, asset, epoch + k, DRAINING_ACCOUNT, u128::from(CUT_CAP));
        let signed = sign_run(world.seed, shape, 1, &state, &[request]);
        plans.push(plan_signed_run(&mut state, &signed, shape)?.remove(0));
        states.push(state.clone());
    }
    let jobs: Vec<_> = plans
        .iter()
        .map(|p| (&p.outcome.instance, &p.outcome.witness))
        .collect();
    let proofs = prover.prove_jobs(&jobs, 2, threads, |_, _| {})?;
    let mut fired = None;
    for (k, ((plan, proof), after)) in plans.iter().zip(proofs).zip(states).enumerate() {
        let at = epoch + 1 + k as u64;
        let tick = world.tick(at);
        world.expect_accepted(&format!("tick to epoch {at}"), tick);
        let bundle = StreamItem::Bundle(prover.bundle(plan, proof).to_bytes());
        let label = format!("s1 drains {CUT_CAP}, its whole cap, in epoch {at}");
        let halved = world.gates[&1].state().sources[&1].governance.halved(asset);
        if halved {
            world.expect_stopped(
                &format!("s1 drains at full cap again in epoch {at}, after the automatic rule halved its effective cap"),
                &format!("s1-drain-epoch{at}"),
                bundle.clone(),
                "G8 effective cap",
            );
            let clear = govern(
                world,
                1,
                BoundaryChange::Clear { asset },
                Signers::Guardians,
            );
            world.expect_accepted("guardians clear the automatic halving", clear);
            world.expect_accepted(&label, bundle);
            world.states.insert(1, after);
            fired = Some(at);
            break;
        }
        world.expect_accepted(&label, bundle);
        world.states.insert(1, after);
    }
    let s2_after = cap_of(world, 2);
    world.report.push(Outcome {
        what: "the automatic rule".into(),
        ok: fired.is_some(),
        detail: match fired {
            Some(at) => format!(
                "fired in epoch {at}, after s1's outflow reached its cap in {} consecutive epochs",
                world.gates[&1].state().config.governance.auto_epochs
            ),
            None => "DID NOT FIRE".into(),
        },
    });
    world.report.push(Outcome {
        what: "s2's cancelled raise".into(),
        ok: s2_after == s2_cap && world.gates[&1].state().epoch >= epoch + timelock,
        detail: format!(
            "its cap is still {s2_after} in epoch {}, past the raise's epoch",
            world.gates[&1].state().epoch
        ),
    });
    Ok(Played {
        proofs: plans.len(),
    })
}

/// `change` of `segment`'s boundary at its next governance number,
/// signed by a threshold of `by`.
fn govern(world: &World, segment: u64, change: BoundaryChange, by: Signers) -> StreamItem {
    let seq = world.gates[&1].state().sources[&segment].governance.seq;
    let signers = match by {
        Signers::Validators => VALIDATOR_THRESHOLD,
        Signers::Guardians => GUARDIAN_THRESHOLD,
    };
    governance_on(STREAM_ID, world.seed, segment, seq, change, by, signers)
}
