//! The attacks the demo plays, built on testkit's attack builders: forged
//! witnesses for a lane not allowed, beyond collateral and beyond the cap;
//! a compromised segment that mints itself a fortune and drains it with
//! valid proofs, then forks its attestations.

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::hash::{self, Fp};
use bulkhead_protocol::instance::Instance;
use bulkhead_protocol::merkle::dense_root;
use bulkhead_protocol::witness::BatchWitness;
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{PlannedBatch, ProverKeys};
use bulkhead_testkit::attacks::{
    cap_forgery, collateral_forgery, lane_forgery, mint, single_exit, Forgery,
};
use bulkhead_testkit::gate::VALIDATOR_THRESHOLD;
use bulkhead_testkit::sample;
use bulkhead_verifier::gate::{blast_radius, Effect, StreamItem};

use super::world::{Outcome, World};
use crate::error::CliError;

/// Every attack's proof job, planned before anything is proven.
pub struct AttackPlan {
    lane: Forgery,
    collateral: Forgery,
    cap: Forgery,
    minted_parent: Fp,
    minted_root: Fp,
    drain: PlannedBatch,
    drain_next_epoch: PlannedBatch,
}

/// The proofs of an [`AttackPlan`], as bundles.
pub struct AttackBundles {
    lane: Bundle,
    collateral: Bundle,
    cap: Bundle,
    drain: Bundle,
    drain_next_epoch: Bundle,
}

fn too_small(shape: &CircuitShape) -> CliError {
    CliError::Usage(format!(
        "the demo's batches do not fit shape {shape}: use N <= 32"
    ))
}

impl AttackPlan {
    /// Plans every attack against the honest states of `world` in `epoch`.
    pub fn new(world: &World, shape: &CircuitShape, epoch: u64) -> Result<Self, CliError> {
        let seed = world.seed;
        let state = |id: u64| &world.states[&id];
        // Lane (3, asset 2) is not among segment 2's lanes.
        let lane = lane_forgery(seed, shape, state(2), &single_exit(3, 2, epoch, 1, 100))?;
        // Just beyond segment 3's collateral left, within its cap.
        let silo = *state(3)
            .silo(sample::ASSET)
            .ok_or_else(|| too_small(shape))?;
        if silo.collateral + 100 > silo.cap - silo.window_outflow {
            return Err(too_small(shape));
        }
        let beyond_collateral = single_exit(1, 1, epoch, 6, u128::from(silo.collateral) + 100);
        let collateral = collateral_forgery(seed, shape, state(3), &beyond_collateral)?;
        // Just beyond what segment 2 may still send this epoch.
        let silo = *state(2)
            .silo(sample::ASSET)
            .ok_or_else(|| too_small(shape))?;
        let beyond_cap = single_exit(
            3,
            1,
            epoch,
            6,
            u128::from(silo.cap - silo.window_outflow) + 100,
        );
        let cap = cap_forgery(seed, shape, state(2), &beyond_cap)?;

        // The compromised segment 3: its validators mint an account holding
        // a fortune, attest the new root, and drain it with *valid* proofs;
        // the silo's collateral and cap bound what the proofs allow.
        let mut minted = mint(seed, state(3), sample::ASSET, 1_000_000)?;
        let silo = *minted
            .state
            .silo(sample::ASSET)
            .ok_or_else(|| too_small(shape))?;
        // Two exits that together pass the receiving gate's inbound limit,
        // well within the silo's collateral and cap.
        let drain_amount = 1_250u64;
        if 2 * drain_amount + 500 > silo.collateral.min(silo.cap - silo.window_outflow) {
            return Err(too_small(shape));
        }
        let drain = minted.drain(shape, 1, 1, epoch, &[drain_amount, drain_amount])?;
        // A second drain in the next epoch, which quarantine must stop.
        let drain_next_epoch = minted.drain(shape, 1, 1, epoch + 1, &[500])?;
        Ok(AttackPlan {
            lane,
            collateral,
            cap,
            minted_parent: minted.parent,
            minted_root: minted.root,
            drain,
            drain_next_epoch,
        })
    }

    fn forgeries(&self) -> [&Forgery; 3] {
        [&self.lane, &self.collateral, &self.cap]
    }

    fn drains(&self) -> [&PlannedBatch; 2] {
        [&self.drain, &self.drain_next_epoch]
    }

    /// How many of [`AttackPlan::jobs`] are forged witnesses, and how many
    /// the compromised segment's drains (valid proofs), for the report.
    pub fn counts(&self) -> (usize, usize) {
        (self.forgeries().len(), self.drains().len())
    }

    /// The proof jobs, in the order [`AttackPlan::bundles`] takes proofs:
    /// the forgeries, then the drains.
    pub fn jobs(&self) -> Vec<(&Instance, &BatchWitness)> {
        let mut jobs: Vec<_> = self
            .forgeries()
            .iter()
            .map(|f| (&f.instance, &f.witness))
            .collect();
        for planned in self.drains() {
            jobs.push((&planned.outcome.instance, &planned.outcome.witness));
        }
        jobs
    }

    /// Bundles the proofs of [`AttackPlan::jobs`], in that order.
    pub fn bundles(
        &self,
        prover: &ProverKeys,
        proofs: &mut impl Iterator<Item = Vec<u8>>,
    ) -> Result<AttackBundles, CliError> {
        let mut next = || {
            proofs
                .next()
                .ok_or_else(|| CliError::Usage("fewer proofs than attack jobs".into()))
        };
        // A forged bundle claims the real roots the forgery names.
        let forged = |f: &Forgery, proof| Bundle {
            instance: f.instance,
            ..prover.bundle(&f.exits, proof)
        };
        Ok(AttackBundles {
            lane: forged(&self.lane, next()?),
            collateral: forged(&self.collateral, next()?),
            cap: forged(&self.cap, next()?),
            drain: prover.bundle(&self.drain, next()?),
            drain_next_epoch: prover.bundle(&self.drain_next_epoch, next()?),
        })
    }
}

/// A relayer raises an amount in a real bundle and makes TOTAL and
/// EXITS_ROOT agree: the owner's signature no longer does.
pub fn tampered_amount(bundle: &Bundle) -> Bundle {
    let mut tampered = bundle.clone();
    tampered.exits[0].amount += 1_000;
    tampered.instance.total += 1_000;
    tampered.instance.exits_root = dense_root(hash::tag::EXIT_NODE, &tampered.exit_leaves());
    tampered
}

/// Plays the forged bundles and the compromised segment 3, in stream order.
pub fn play(world: &mut World, plan: &AttackPlan, bundles: AttackBundles, epoch: u64) {
    for (what, label, bundle) in [
        (
            "exit on a lane not allowed (forged witness)",
            "s2-forged-lane",
            bundles.lane,
        ),
        (
            "withdrawal beyond collateral (forged witness)",
            "s3-forged-collateral",
            bundles.collateral,
        ),
        (
            "cap exceeded in one epoch (forged witness)",
            "s2-forged-cap",
            bundles.cap,
        ),
    ] {
        world.expect_stopped(
            what,
            label,
            StreamItem::Bundle(bundle.to_bytes()),
            "G1 invalid proof",
        );
    }

    // Compromised segment 3. Two validators alone cannot move the tip.
    let (parent, root) = (plan.minted_parent, plan.minted_root);
    let weak = world.next_attestation(3, parent, root, VALIDATOR_THRESHOLD - 1);
    world.expect_stopped(
        "attestation below the validator threshold",
        "s3-weak-attest",
        weak,
        "attestation",
    );
    // A threshold of compromised validators attests the minted root: the
    // gates cannot tell, and the drain that follows carries a valid proof.
    let minted_attest = world.next_attestation(3, parent, root, VALIDATOR_THRESHOLD);
    world.expect_compromise_accepted("s3 validators attest a minted root", minted_attest, |_| {
        format!(
            "{VALIDATOR_THRESHOLD} of segment 3's validators signed it, the threshold, \
                 and no gate can tell a minted root from an honest one"
        )
    });
    world.expect_compromise_accepted(
        "s3 drains the minted account with valid proofs",
        StreamItem::Bundle(bundles.drain.to_bytes()),
        |world| {
            let state = world.gates[&1].state();
            let credited = state
                .sources
                .get(&3)
                .and_then(|s| s.credited.get(&sample::ASSET).copied())
                .unwrap_or(0);
            let bound = blast_radius(state, 3)
                .get(&sample::ASSET)
                .copied()
                .unwrap_or(0);
            let held = state.held_from(3);
            format!(
                "the proofs are valid against the attested root; what bounds the loss \
                 is the silo: gate 1 credited {credited} from segment 3 and holds {held} \
                 beyond its inbound limit, {} in all, within segment 3's bound of {bound} \
                 in asset {}",
                credited + held,
                sample::ASSET
            )
        },
    );
    let tick = world.tick(epoch + 1);
    world.expect_accepted("tick to epoch 8", tick);
    // Then they fork: two roots at one height on top of the drained tip
    // (below the drain's step nothing is judged any more: it is the
    // evidence floor).
    let drained = bundles.drain.instance.accounts_after;
    let step_root = hash::hash(hash::tag::ACCOUNT_NODE, &[root, Fp::from(1)]);
    let step = world.next_attestation(3, drained, step_root, VALIDATOR_THRESHOLD);
    world.expect_compromise_accepted(
        "s3 validators attest a root on top of the drain",
        step,
        |_| {
            "a threshold-signed step one height up; one root per height is no \
             evidence of anything (the fork below is)"
                .into()
        },
    );
    let fork_root = hash::hash(hash::tag::ACCOUNT_NODE, &[root, Fp::from(2)]);
    let fork = bulkhead_testkit::gate::attestation(
        world.seed,
        3,
        world.height(3),
        drained,
        fork_root,
        VALIDATOR_THRESHOLD,
    );
    let verdict = world.submit("s3-fork-attest", fork);
    let quarantined = matches!(
        verdict.as_deref(),
        Ok([(_, Effect::Quarantined { segment: 3, .. }), ..])
    );
    world.report.push(Outcome {
        what: "attack: segment 3 validators attest a forked root".into(),
        ok: quarantined,
        detail: if quarantined {
            "equivocation: segment 3 quarantined at every gate".into()
        } else {
            format!("NOT quarantined: {verdict:?}")
        },
    });
    world.expect_stopped(
        "compromised segment keeps draining after quarantine",
        "s3-drain-2",
        StreamItem::Bundle(bundles.drain_next_epoch.to_bytes()),
        "G6 quarantined",
    );
}
