//! Completeness and soundness of the exit-batch circuit.
//!
//! Completeness: MockProver accepts what the native model produces.
//! Soundness: each test starts from an honest witness, changes one thing a
//! cheating prover would change, and states every failure MockProver must
//! report: which named constraint fails in which region, which range check
//! and which public-input binding break (`failures` holds the vocabulary
//! and the exact comparison). A test fails if a failure it names is missing
//! or if one it does not name appears.
//!
//! The tests are grouped by what they break:
//!
//! - `completeness`: honest batches, edge cases included;
//! - `slot`: membership, exact debit, range and asset (I1–I4);
//! - `boundary`: lane, silo collateral and position, epoch cap (I5–I7);
//! - `batch`: exits and sequence, padding, totals (I8–I10), and that every
//!   public input is bound;
//! - `real`: real proofs that verify or are rejected, and the pinned
//!   verifying-key digest and proof length.
//!
//! The helpers below build the honest cases they all start from.

mod batch;
mod boundary;
mod completeness;
mod failures;
mod real;
mod slot;

use ff::Field;
use halo2_proofs::dev::{MockProver, VerifyFailure};

use self::failures::*;
use super::{ExitBatchCircuit, Site};
use crate::cost;
use bulkhead_protocol::hash::{self, account_nonce, fp, tag, Fp};
use bulkhead_protocol::instance::NUM_PUBLIC_INPUTS;
use bulkhead_protocol::merkle::dense_root;
use bulkhead_protocol::model::{BatchOutcome, Silo};
use bulkhead_protocol::shape::CircuitShape;
use bulkhead_protocol::witness::{BatchWitness, SlotWitness};
use bulkhead_testkit::sample;

const SHAPE: CircuitShape = CircuitShape::TINY;

/// A cheating prover's circuit and claimed public inputs.
pub(crate) struct Case {
    pub(crate) circuit: ExitBatchCircuit<2>,
    pub(crate) public: [Fp; NUM_PUBLIC_INPUTS],
}

impl Case {
    pub(crate) fn honest(outcome: &BatchOutcome) -> Self {
        Case {
            circuit: ExitBatchCircuit::new(SHAPE, outcome.witness.clone()).unwrap(),
            public: outcome.instance.to_halo2_instance(),
        }
    }

    fn witness(&mut self) -> &mut BatchWitness {
        self.circuit.witness.as_mut().unwrap()
    }

    fn tamper(&mut self, site: Site, value: Fp) {
        self.circuit.tamper_mut().set(site, value);
    }

    pub(crate) fn verify(&self) -> Result<(), Vec<VerifyFailure>> {
        let k = cost::measure(SHAPE).unwrap().k;
        MockProver::run(k, &self.circuit, vec![self.public.to_vec()])
            .unwrap()
            .verify()
    }

    /// Asserts that verification fails with exactly the failures of
    /// `expected`: the witness broke those rules and no other.
    fn assert_fails_exactly(&self, expected: Expected) {
        let reported = self.verify().expect_err("a cheating witness was accepted");
        failures::assert_exactly(reported, expected);
    }
}

/// A full batch: account 0 twice and account 2 once would need N=4; with
/// N=2, account 0 exits twice (one account in several slots).
pub(crate) fn full_batch() -> BatchOutcome {
    let mut state = sample::segment(1, &SHAPE).unwrap();
    state
        .apply_exits(&sample::batch(sample::EPOCH, &[(0, 300), (0, 200)]), &SHAPE)
        .unwrap()
}

/// A batch that fills one of the two slots.
fn partial_batch() -> BatchOutcome {
    let mut state = sample::segment(1, &SHAPE).unwrap();
    state
        .apply_exits(&sample::batch(sample::EPOCH, &[(2, 700)]), &SHAPE)
        .unwrap()
}

/// A batch of `exits` in `epoch` against the sample segment with its main
/// silo replaced by `silo`.
fn with_silo(silo: Silo, epoch: u64, exits: &[(u64, u128)]) -> BatchOutcome {
    let mut state = sample::segment(1, &SHAPE).unwrap();
    state.set_silo(silo).unwrap();
    state
        .apply_exits(&sample::batch(epoch, exits), &SHAPE)
        .unwrap()
}

/// The sample segment's silo of the sample asset.
fn main_silo() -> Silo {
    *sample::segment(1, &SHAPE)
        .unwrap()
        .silo(sample::ASSET)
        .unwrap()
}

/// The exits root of `outcome` with slot `slot`'s exit leaf carrying
/// `packed` instead of its sender's honest account and nonce.
pub(crate) fn exits_root_with(outcome: &BatchOutcome, slot: usize, packed: Fp) -> Fp {
    let i = &outcome.instance;
    let lane_id = hash::lane_id(fp(i.src), fp(i.dst), fp(i.asset));
    let mut leaves = vec![Fp::ZERO; SHAPE.slots()];
    for (k, e) in outcome.exits.iter().enumerate() {
        let honest = account_nonce(e.account, e.nonce);
        leaves[k] = hash::exit_leaf(
            lane_id,
            fp(e.seq),
            if k == slot { packed } else { honest },
            e.owner,
            e.recipient,
            fp(e.amount),
        );
    }
    dense_root(tag::EXIT_NODE, &leaves)
}

/// The honest value of slot `slot`'s field `read`.
fn slot_value(case: &mut Case, slot: usize, read: fn(&SlotWitness) -> Fp) -> Fp {
    read(&case.witness().slots[slot])
}
