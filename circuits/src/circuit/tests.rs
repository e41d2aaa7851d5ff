//! Completeness and soundness of the exit-batch circuit.
//!
//! Completeness: MockProver accepts what the native model produces.
//! Soundness: each test starts from an honest witness, changes one thing a
//! cheating prover would change, and asserts which named constraint (or
//! which named range-check region, or which public-input binding) fails.

use ff::Field;
use halo2_proofs::dev::{MockProver, VerifyFailure};

use super::{ExitBatchCircuit, Site};
use crate::cost;
use crate::hash::Fp;
use crate::instance::{self, NUM_PUBLIC_INPUTS};
use crate::model::{BatchOutcome, Silo};
use crate::sample;
use crate::shape::CircuitShape;

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

    fn witness(&mut self) -> &mut crate::witness::BatchWitness {
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

    /// Asserts that verification fails and that one failure's report
    /// contains `needle` (a constraint name, a region name, or a location).
    fn assert_fails_with(&self, needle: &str) {
        let failures = self.verify().expect_err("a cheating witness was accepted");
        let reports: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
        assert!(
            reports.iter().any(|r| r.contains(needle)),
            "expected a failure mentioning {needle:?}, got:\n{}",
            reports.join("\n")
        );
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

fn with_silo(silo: Silo, epoch: u64, exits: &[(u64, u128)]) -> BatchOutcome {
    let mut state = sample::segment(1, &SHAPE).unwrap();
    state.set_silo(silo).unwrap();
    state
        .apply_exits(&sample::batch(epoch, exits), &SHAPE)
        .unwrap()
}

fn main_silo() -> Silo {
    *sample::segment(1, &SHAPE).unwrap().silo(sample::ASSET).unwrap()
}

// ---------------------------------------------------------------- completeness

#[test]
fn completeness_repeated_account_in_one_batch() {
    assert_eq!(Case::honest(&full_batch()).verify(), Ok(()));
}

#[test]
fn completeness_partly_filled_batch() {
    assert_eq!(Case::honest(&partial_batch()).verify(), Ok(()));
}

#[test]
fn completeness_epoch_rollover_restarts_the_window() {
    // The window at epoch 7 holds 1,000 of a 6,000 cap; in epoch 8 the
    // whole cap is available again.
    let outcome = with_silo(
        Silo { window_outflow: 5_500, ..main_silo() },
        sample::EPOCH + 1,
        &[(0, 1000), (4, 5000)],
    );
    assert_eq!(Case::honest(&outcome).verify(), Ok(()));
}

#[test]
fn completeness_batch_spends_the_cap_exactly() {
    let outcome = with_silo(main_silo(), sample::EPOCH, &[(4, 5000)]);
    assert_eq!(Case::honest(&outcome).verify(), Ok(()));
}

#[test]
fn completeness_batch_spends_the_last_unit_of_collateral() {
    let outcome = with_silo(
        Silo { collateral: 1300, ..main_silo() },
        sample::EPOCH,
        &[(0, 1000), (2, 300)],
    );
    assert_eq!(Case::honest(&outcome).verify(), Ok(()));
}

#[test]
fn debug_print_failures() {
    let mut case = Case::honest(&full_batch());
    case.public[instance::BOUNDARY_BEFORE] += Fp::ONE;
    case.witness().slots[0].siblings[0] += Fp::ONE;
    for f in case.verify().unwrap_err() {
        println!("{f}");
    }
}
