//! Soundness of the batch-wide rules: exit leaves, the exits root and the
//! sequence (I8), padding of a partly filled batch (I9), the running totals
//! (I10), and the binding of every public input.

use ff::Field;

use super::*;
use bulkhead_protocol::instance;

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
    case.assert_only_equality_fails();
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
