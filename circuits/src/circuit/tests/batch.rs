//! Soundness of the batch-wide rules: exit leaves, the exits root and the
//! sequence (I8), padding of a partly filled batch (I9), the running totals
//! (I10), and the binding of every public input.

use ff::{Field, PrimeField};

use super::*;
use bulkhead_protocol::hash::{self, account_nonce, fp, tag};
use bulkhead_protocol::instance;
use bulkhead_protocol::merkle::MerklePath;

#[test]
fn i8_exit_leaf_altered() {
    let mut case = Case::honest(&full_batch());
    case.tamper(Site::ExitLeaf(1), Fp::from(12345));
    case.assert_fails_with("'I8 exit leaf'");
}

#[test]
fn i8_exit_leaf_names_another_account_than_the_debited_one() {
    // Slot 0 debits account 0 (its path opens index 0); the prover claims
    // an exit of account 2 at the same nonce, and publishes the matching
    // EXITS_ROOT: only the packing constraint stands in the way.
    let outcome = full_batch();
    let nonce = outcome.exits[0].nonce;
    let claimed = account_nonce(2, nonce);
    let mut case = Case::honest(&outcome);
    case.tamper(Site::AccountNonce(0), claimed);
    case.public[instance::EXITS_ROOT] = exits_root_with(&outcome, 0, claimed);
    case.assert_only_constraint_fails("I8 account-nonce packing");
}

#[test]
fn i8_packing_with_an_unshifted_account_is_refused() {
    // account + nonce instead of account·2^64 + nonce: collides across
    // accounts (account 2 at nonce 0 = account 0 at nonce 2).
    let outcome = partial_batch();
    let e = outcome.exits[0];
    assert_eq!(e.account, 2);
    let sum = fp(e.account) + fp(e.nonce);
    let mut case = Case::honest(&outcome);
    case.tamper(Site::AccountNonce(0), sum);
    case.public[instance::EXITS_ROOT] = exits_root_with(&outcome, 0, sum);
    case.assert_only_constraint_fails("I8 account-nonce packing");
}

#[test]
fn i8_nonce_below_zero_would_pack_as_the_previous_account() {
    // A sender leaf at nonce -1 (p - 1) in the accounts root: nonce' = 0
    // passes its range check, and account 2 at nonce -1 packs to account 1
    // at nonce 2^64 - 1. The nonce's own range check refuses it.
    let outcome = partial_batch();
    let e = outcome.exits[0];
    let mut case = Case::honest(&outcome);
    let slot = case.witness().slots[0].clone();
    let minus_one = -Fp::ONE;
    let path = MerklePath {
        index: e.account,
        siblings: slot.siblings.clone(),
    };
    let before = hash::account_leaf(slot.owner, slot.asset, slot.balance, minus_one);
    let after = hash::account_leaf(slot.owner, slot.asset, slot.balance - slot.amount, Fp::ZERO);
    case.witness().slots[0].nonce = minus_one;
    case.public[instance::ACCOUNTS_BEFORE] = path.root(tag::ACCOUNT_NODE, before);
    case.public[instance::ACCOUNTS_AFTER] = path.root(tag::ACCOUNT_NODE, after);
    let packed = account_nonce(e.account - 1, u64::MAX);
    assert_eq!(packed, fp(e.account) * Fp::from_u128(1 << 64) + minus_one);
    case.public[instance::EXITS_ROOT] = exits_root_with(&outcome, 0, packed);
    // Every gate holds (the packing included); only the nonce's running
    // sum fails to end at the fixed 0.
    case.assert_fails_with("'u64 range: slot 0 nonce (I8)'");
    let failures = case.verify().unwrap_err();
    assert!(
        failures
            .iter()
            .all(|f| matches!(f, VerifyFailure::Permutation { .. })),
        "{failures:#?}"
    );
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
