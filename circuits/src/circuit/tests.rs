//! Completeness and soundness of the exit-batch circuit.
//!
//! Completeness: MockProver accepts what the native model produces.
//! Soundness: each test starts from an honest witness, changes one thing a
//! cheating prover would change, and asserts which named constraint (or
//! which named range-check region, or which public-input binding) fails.

use ff::{Field, PrimeField};
use halo2_proofs::dev::{MockProver, VerifyFailure};

use super::{ExitBatchCircuit, Site};
use crate::cost;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::instance::{self, NUM_PUBLIC_INPUTS};
use bulkhead_protocol::model::{BatchOutcome, Silo};
use bulkhead_protocol::shape::CircuitShape;
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

    fn witness(&mut self) -> &mut bulkhead_protocol::witness::BatchWitness {
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
    *sample::segment(1, &SHAPE)
        .unwrap()
        .silo(sample::ASSET)
        .unwrap()
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
        Silo {
            window_outflow: 5_500,
            ..main_silo()
        },
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
        Silo {
            collateral: 1300,
            ..main_silo()
        },
        sample::EPOCH,
        &[(0, 1000), (2, 300)],
    );
    assert_eq!(Case::honest(&outcome).verify(), Ok(()));
}

// ------------------------------------------------------------------- soundness

/// The honest value of slot `slot`'s field `read`.
fn slot_value(
    case: &mut Case,
    slot: usize,
    read: fn(&bulkhead_protocol::witness::SlotWitness) -> Fp,
) -> Fp {
    read(&case.witness().slots[slot])
}

#[test]
fn i1_sibling_swapped() {
    let mut case = Case::honest(&full_batch());
    let path = &mut case.witness().slots[0].siblings;
    path.swap(0, 1);
    case.assert_fails_with("'I1 membership'");
}

#[test]
fn i1_path_bit_not_boolean() {
    let mut case = Case::honest(&full_batch());
    case.witness().slots[0].path_bits[0] = Fp::from(2);
    case.assert_fails_with("'I1 path bit is boolean'");
}

#[test]
fn i1_account_not_in_tree() {
    let mut case = Case::honest(&full_batch());
    // A made-up account with a large balance, at the sender's position.
    case.witness().slots[0].balance = Fp::from(1_000_000);
    case.assert_fails_with("'I1 membership'");
}

#[test]
fn i2_debit_smaller_than_amount() {
    let mut case = Case::honest(&full_batch());
    let balance = slot_value(&mut case, 0, |s| s.balance);
    let amount = slot_value(&mut case, 0, |s| s.amount);
    case.tamper(Site::NewBalance(0), balance - amount + Fp::ONE);
    case.assert_fails_with("'I2 exact debit'");
}

#[test]
fn i2_nonce_not_incremented() {
    let mut case = Case::honest(&full_batch());
    let nonce = slot_value(&mut case, 0, |s| s.nonce);
    case.tamper(Site::NewNonce(0), nonce);
    case.assert_fails_with("'I2 nonce increments'");
}

#[test]
fn i2_i3_balance_wraps_around_the_field() {
    // Spend one more than the balance: balance' = p - 1 in the field.
    let mut case = Case::honest(&partial_batch());
    let balance = slot_value(&mut case, 0, |s| s.balance);
    case.witness().slots[0].amount = balance + Fp::ONE;
    case.assert_fails_with("'u64 range: slot 0 balance' (I3)'");
}

#[test]
fn i3_amount_is_two_pow_64() {
    let mut case = Case::honest(&partial_batch());
    case.witness().slots[0].amount = Fp::from_u128(1 << 64);
    case.assert_fails_with("'u64 range: slot 0 amount (I3)'");
}

#[test]
fn i3_amount_is_zero() {
    let mut case = Case::honest(&partial_batch());
    case.witness().slots[0].amount = Fp::ZERO;
    case.assert_fails_with("'I3 enabled amount is nonzero'");
}

#[test]
fn i3_new_nonce_overflows_64_bits() {
    let mut case = Case::honest(&partial_batch());
    case.tamper(Site::NewNonce(0), Fp::from_u128(1 << 64));
    case.assert_fails_with("'u64 range: slot 0 nonce' (I2)'");
}

#[test]
fn i4_asset_changed() {
    let mut case = Case::honest(&full_batch());
    case.witness().slots[0].asset = Fp::from(sample::OTHER_ASSET);
    case.assert_fails_with("'I4 asset silo'");
}

#[test]
fn i5_lane_not_in_tree() {
    // Claim the lane (DST=3, asset 2), which the segment does not allow,
    // with the honest lanes path: the lanes root, and so BOUNDARY_BEFORE,
    // cannot match.
    let mut case = Case::honest(&full_batch());
    case.public[instance::DST] = Fp::from(3);
    case.witness().boundary.lane_bits[0] = Fp::ONE;
    case.assert_fails_with("Equality constraint not satisfied");
    let failures = case.verify().unwrap_err();
    assert!(failures
        .iter()
        .all(|f| matches!(f, VerifyFailure::Permutation { .. })));
}

#[test]
fn i6_collateral_short_by_one() {
    let mut outcome = full_batch();
    outcome.witness.boundary.collateral = Fp::from(outcome.instance.total - 1);
    Case::honest(&outcome).assert_fails_with("'u64 range: collateral' (I6)'");
}

#[test]
fn i6_collateral_not_debited() {
    let mut case = Case::honest(&full_batch());
    let collateral = case.witness().boundary.collateral;
    case.tamper(Site::NewCollateral, collateral);
    case.assert_fails_with("'I6 collateral debit'");
}

#[test]
fn i6_silo_at_wrong_position() {
    // The silo of asset 2 would sit at position 2; use its bits for asset 1.
    let mut case = Case::honest(&full_batch());
    let bits = &mut case.witness().boundary.silo_bits;
    bits[0] = Fp::ZERO;
    bits[1] = Fp::ONE;
    case.assert_fails_with("'I6 silo position'");
}

#[test]
fn i7_cap_exceeded_by_one() {
    // Outflow after the batch is 1,500 of the window; a cap one below that.
    let mut outcome = full_batch();
    outcome.witness.boundary.cap = Fp::from(1000 + outcome.instance.total - 1);
    Case::honest(&outcome).assert_fails_with("'u64 range: cap - outflow' (I7)'");
}

#[test]
fn i7_epoch_moved_back() {
    let mut outcome = full_batch();
    outcome.witness.boundary.window_epoch = Fp::from(sample::EPOCH + 1);
    Case::honest(&outcome).assert_fails_with("'u64 range: epoch - window_epoch (I7)'");
}

#[test]
fn i7_window_kept_on_new_epoch_is_caught() {
    // In a new epoch the window must restart: claiming "same epoch" when the
    // epochs differ breaks the exactness of the flag.
    let outcome = with_silo(main_silo(), sample::EPOCH + 1, &[(0, 100)]);
    let mut case = Case::honest(&outcome);
    case.tamper(Site::SameEpoch, Fp::ONE);
    case.assert_fails_with("'I7 same-epoch flag is exact'");
}

#[test]
fn i7_window_dropped_in_same_epoch() {
    // Within one epoch, starting the window from 0 would reset the cap.
    let mut case = Case::honest(&full_batch());
    case.tamper(Site::BaseOutflow, Fp::ZERO);
    case.assert_fails_with("'I7 window restarts on a new epoch'");
}

#[test]
fn i7_outflow_not_accumulated() {
    let mut case = Case::honest(&full_batch());
    case.tamper(Site::NewOutflow, Fp::from(1000));
    case.assert_fails_with("'I7 outflow accumulates'");
}

#[test]
fn i8_exit_leaf_altered() {
    let mut case = Case::honest(&full_batch());
    case.tamper(Site::ExitLeaf(1), Fp::from(12345));
    case.assert_fails_with("'I8 exit leaf'");
}

#[test]
fn i8_exits_root_altered() {
    let mut case = Case::honest(&full_batch());
    case.public[instance::EXITS_ROOT] += Fp::ONE;
    case.assert_fails_with("Equality constraint not satisfied");
}

#[test]
fn i8_sequence_skips_a_number() {
    let mut case = Case::honest(&full_batch());
    let first = case.public[instance::FIRST_SEQ];
    case.tamper(Site::SeqNext(0), first + Fp::from(2));
    case.assert_fails_with("'I8 sequence'");
}

#[test]
fn i8_exit_seq_not_advanced() {
    let mut case = Case::honest(&full_batch());
    let first = case.public[instance::FIRST_SEQ];
    case.tamper(Site::NewExitSeq, first);
    case.assert_fails_with("'I8 exit sequence advances'");
}

#[test]
fn i9_disabled_slot_still_debits() {
    let mut case = Case::honest(&partial_batch());
    case.witness().slots[1].amount = Fp::from(5);
    case.assert_fails_with("'I9 disabled slot moves nothing'");
}

#[test]
fn i9_enabled_slot_after_disabled_one() {
    let mut case = Case::honest(&partial_batch());
    case.witness().slots.swap(0, 1);
    case.assert_fails_with("'I9 enabled slots form a prefix'");
}

#[test]
fn i9_disabled_slot_changes_root() {
    let mut case = Case::honest(&partial_batch());
    case.tamper(Site::RootNext(1), Fp::from(99));
    case.assert_fails_with("'I9 disabled slot changes no root'");
}

#[test]
fn i9_empty_batch_is_not_provable() {
    // A batch with no exit at all: slot 0 disabled, nothing moved.
    let mut case = Case::honest(&partial_batch());
    let slot = &mut case.witness().slots[0];
    slot.enabled = Fp::ZERO;
    slot.amount = Fp::ZERO;
    case.public[instance::EXIT_COUNT] = Fp::ZERO;
    case.public[instance::TOTAL] = Fp::ZERO;
    // Every gate is satisfied; only the fixed 1 on slot 0's flag breaks
    // (halo2 names one cell of the broken equality class).
    case.assert_fails_with("Equality constraint not satisfied");
    let failures = case.verify().unwrap_err();
    assert!(failures
        .iter()
        .all(|f| matches!(f, VerifyFailure::Permutation { .. })));
}

#[test]
fn i9_enabled_flag_not_boolean() {
    let mut case = Case::honest(&partial_batch());
    case.witness().slots[1].enabled = Fp::from(2);
    case.assert_fails_with("'I9 enabled is boolean'");
}

#[test]
fn i10_total_off_by_one() {
    let mut case = Case::honest(&full_batch());
    let total = case.public[instance::TOTAL];
    case.tamper(Site::RunningTotal(1), total + Fp::ONE);
    case.public[instance::TOTAL] = total + Fp::ONE;
    case.assert_fails_with("'I10 running total'");
}

#[test]
fn i10_exit_count_off_by_one() {
    let mut case = Case::honest(&partial_batch());
    case.tamper(Site::RunningCount(1), Fp::from(2));
    case.public[instance::EXIT_COUNT] = Fp::from(2);
    case.assert_fails_with("'I10 running count'");
}

#[test]
fn every_public_input_is_bound() {
    // Replacing any one public input by another value must fail; the
    // needle says which binding catches it.
    let expected: [(usize, &str); NUM_PUBLIC_INPUTS] = [
        (instance::SRC, "Equality constraint"),
        (instance::DST, "Equality constraint"),
        (instance::ASSET, "'I4 asset silo'"),
        (instance::EPOCH, "Equality constraint"),
        (instance::ACCOUNTS_BEFORE, "'I1 membership'"),
        (instance::ACCOUNTS_AFTER, "Equality constraint"),
        (instance::BOUNDARY_BEFORE, "Equality constraint"),
        (instance::BOUNDARY_AFTER, "Equality constraint"),
        (instance::FIRST_SEQ, "Equality constraint"),
        (instance::EXIT_COUNT, "Equality constraint"),
        (instance::TOTAL, "Equality constraint"),
        (instance::EXITS_ROOT, "Equality constraint"),
    ];
    let honest = Case::honest(&full_batch());
    for (offset, needle) in expected {
        let mut case = Case::honest(&full_batch());
        case.public = honest.public;
        case.public[offset] += Fp::ONE;
        let failures = case.verify().expect_err(&format!(
            "{} replaced was accepted",
            instance::NAMES[offset]
        ));
        assert!(
            failures.iter().any(|f| f.to_string().contains(needle)),
            "{}: expected {needle:?} in {failures:?}",
            instance::NAMES[offset]
        );
    }
}

// ------------------------------------------------------------ real proofs

mod real {
    use std::sync::OnceLock;

    use halo2_proofs::plonk::{create_proof, keygen_pk, verify_proof, ProvingKey, SingleVerifier};
    use halo2_proofs::transcript::{Blake2bRead, Blake2bWrite, Challenge255};
    use rand::rand_core::UnwrapErr;
    use rand::rngs::SysRng;

    use super::*;
    use crate::keys::{self, Affine, IpaParams};

    /// The verifying-key digest of the TINY shape. It changes only when the
    /// circuit changes; update it deliberately (the test prints the new one).
    const PINNED_TINY_VK_DIGEST: &str =
        "ea6a2be94a0f0acfd410062925bc2610e94e07af0213659cdd769ac9c2b78c94";
    /// The exact proof length of the TINY shape.
    const PINNED_TINY_PROOF_BYTES: usize = 5344;

    struct Keys {
        params: IpaParams,
        pk: ProvingKey<Affine>,
    }

    fn keys() -> &'static Keys {
        static KEYS: OnceLock<Keys> = OnceLock::new();
        KEYS.get_or_init(|| {
            let params = IpaParams::new(cost::measure(SHAPE).unwrap().k);
            let vk = keys::verifying_key(&params, SHAPE).unwrap();
            let blank = ExitBatchCircuit::<2>::blank(SHAPE).unwrap();
            let pk = keygen_pk(&params, vk, &blank).unwrap();
            Keys { params, pk }
        })
    }

    fn prove(case: &Case) -> Vec<u8> {
        let k = keys();
        let mut transcript = Blake2bWrite::<_, Affine, Challenge255<_>>::init(vec![]);
        create_proof(
            &k.params,
            &k.pk,
            std::slice::from_ref(&case.circuit),
            &[&[&case.public[..]]],
            UnwrapErr(SysRng),
            &mut transcript,
        )
        .expect("halo2 builds a proof even for a bad witness here");
        transcript.finalize()
    }

    fn verify(public: &[Fp], proof: &[u8]) -> bool {
        let k = keys();
        let mut transcript = Blake2bRead::<_, Affine, Challenge255<_>>::init(proof);
        verify_proof(
            &k.params,
            k.pk.get_vk(),
            SingleVerifier::new(&k.params),
            &[&[public]],
            &mut transcript,
        )
        .is_ok()
    }

    #[test]
    fn honest_proof_round_trips_and_binds_its_public_inputs() {
        let case = Case::honest(&full_batch());
        let proof = prove(&case);
        assert!(verify(&case.public, &proof));
        let mut other = case.public;
        other[instance::TOTAL] += Fp::ONE;
        assert!(!verify(&other, &proof), "proof verified for another TOTAL");
        let mut flipped = proof.clone();
        flipped[40] ^= 1;
        assert!(
            !verify(&case.public, &flipped),
            "a flipped proof byte verified"
        );
    }

    #[test]
    fn pinned_verifying_key_digest_and_proof_length() {
        let case = Case::honest(&partial_batch());
        let proof = prove(&case);
        let report = cost::measure(SHAPE).unwrap();
        assert_eq!(
            proof.len(),
            report.proof_bytes,
            "CircuitCost predicts the length"
        );
        let digest: String = keys::vk_digest(keys().pk.get_vk())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            (digest.as_str(), proof.len()),
            (PINNED_TINY_VK_DIGEST, PINNED_TINY_PROOF_BYTES),
            "the TINY circuit changed: pin the new digest and length if intended"
        );
    }

    fn assert_rejected(case: Case) {
        let proof = prove(&case);
        assert!(!verify(&case.public, &proof), "a cheating proof verified");
    }

    #[test]
    fn real_i2_debit_smaller_than_amount_is_rejected() {
        let mut case = Case::honest(&full_batch());
        let balance = slot_value(&mut case, 0, |s| s.balance);
        let amount = slot_value(&mut case, 0, |s| s.amount);
        case.tamper(Site::NewBalance(0), balance - amount + Fp::ONE);
        assert_rejected(case);
    }

    #[test]
    fn real_i3_balance_wrap_is_rejected() {
        let mut case = Case::honest(&partial_batch());
        let balance = slot_value(&mut case, 0, |s| s.balance);
        case.witness().slots[0].amount = balance + Fp::ONE;
        assert_rejected(case);
    }

    #[test]
    fn real_i7_cap_exceeded_by_one_is_rejected() {
        let mut outcome = full_batch();
        outcome.witness.boundary.cap = Fp::from(1000 + outcome.instance.total - 1);
        assert_rejected(Case::honest(&outcome));
    }

    #[test]
    fn real_i8_exit_leaf_altered_is_rejected() {
        let mut case = Case::honest(&full_batch());
        case.tamper(Site::ExitLeaf(1), Fp::from(12345));
        assert_rejected(case);
    }
}
