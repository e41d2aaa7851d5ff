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
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I8_EXIT_LEAF, SLOT_1)
            .public(instance::EXITS_ROOT),
    );
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
    case.assert_fails_exactly(Expected::new().constraint(I8_PACKING, SLOT_0));
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
    case.assert_fails_exactly(Expected::new().constraint(I8_PACKING, SLOT_0));
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
    case.assert_fails_exactly(Expected::new().link(RANGE_SLOT_0_NONCE));
}

#[test]
fn i8_exits_root_altered() {
    let mut case = Case::honest(&full_batch());
    case.public[instance::EXITS_ROOT] += Fp::ONE;
    case.assert_fails_exactly(Expected::new().public(instance::EXITS_ROOT));
}

#[test]
fn i8_sequence_skips_a_number() {
    let mut case = Case::honest(&full_batch());
    let first = case.public[instance::FIRST_SEQ];
    case.tamper(Site::SeqNext(0), first + Fp::from(2));
    // Slot 1's leaf then carries the skipped-to number.
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I8_SEQUENCE, SLOT_0)
            .public(instance::EXITS_ROOT),
    );
}

#[test]
fn i8_exit_seq_not_advanced() {
    let mut case = Case::honest(&full_batch());
    let first = case.public[instance::FIRST_SEQ];
    case.tamper(Site::NewExitSeq, first);
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I8_EXIT_SEQ_ADVANCES, BOUNDARY_ROW)
            .public(instance::BOUNDARY_AFTER),
    );
}

#[test]
fn i9_disabled_slot_still_debits() {
    let mut case = Case::honest(&partial_batch());
    case.witness().slots[1].amount = Fp::from(5);
    // The padding rule; the 5 also flows into slot 1's new balance (whose
    // range check fails: the padding balance is 0), into TOTAL and into the
    // boundary after the batch.
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I9_DISABLED_MOVES_NOTHING, SLOT_1)
            .link(RANGE_SLOT_1_BALANCE_NEW)
            .public(instance::TOTAL)
            .public(instance::BOUNDARY_AFTER),
    );
}

#[test]
fn i9_enabled_slot_after_disabled_one() {
    let mut case = Case::honest(&partial_batch());
    case.witness().slots.swap(0, 1);
    // The prefix rule, slot 0's fixed 1, and the exit leaves (slot order
    // is exit order).
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I9_PREFIX, SLOT_1)
            .link(FIRST_SLOT_ENABLED)
            .public(instance::EXITS_ROOT),
    );
}

#[test]
fn i9_disabled_slot_changes_root() {
    let mut case = Case::honest(&partial_batch());
    case.tamper(Site::RootNext(1), Fp::from(99));
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I9_DISABLED_KEEPS_ROOT, SLOT_1)
            .public(instance::ACCOUNTS_AFTER),
    );
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
    // Every gate is satisfied; slot 0's fixed 1 breaks, and the three
    // outputs the test leaves at the one-exit batch's values
    // (ACCOUNTS_AFTER, BOUNDARY_AFTER, EXITS_ROOT) differ from what an
    // empty batch computes.
    case.assert_fails_exactly(
        Expected::new()
            .link(FIRST_SLOT_ENABLED)
            .public(instance::ACCOUNTS_AFTER)
            .public(instance::BOUNDARY_AFTER)
            .public(instance::EXITS_ROOT),
    );
}

#[test]
fn i9_enabled_flag_not_boolean() {
    let mut case = Case::honest(&partial_batch());
    case.witness().slots[1].enabled = Fp::from(2);
    // The boolean rule, then what an enabled padding slot does: it moves
    // a zero amount, opens no path, and counts twice in EXIT_COUNT.
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I9_ENABLED_IS_BOOLEAN, SLOT_1)
            .constraint(I3_NONZERO, SLOT_1)
            .constraint(I1_MEMBERSHIP, SLOT_1)
            .public(instance::ACCOUNTS_AFTER)
            .public(instance::BOUNDARY_AFTER)
            .public(instance::EXIT_COUNT)
            .public(instance::EXITS_ROOT),
    );
}

#[test]
fn i10_total_off_by_one() {
    let mut case = Case::honest(&full_batch());
    let total = case.public[instance::TOTAL];
    case.tamper(Site::RunningTotal(1), total + Fp::ONE);
    case.public[instance::TOTAL] = total + Fp::ONE;
    // The running total, and BOUNDARY_AFTER: the collateral and outflow
    // it hashes are moved by the inflated total, while the claimed
    // BOUNDARY_AFTER is still the honest one.
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I10_RUNNING_TOTAL, SLOT_1)
            .public(instance::BOUNDARY_AFTER),
    );
}

#[test]
fn i10_exit_count_off_by_one() {
    let mut case = Case::honest(&partial_batch());
    case.tamper(Site::RunningCount(1), Fp::from(2));
    case.public[instance::EXIT_COUNT] = Fp::from(2);
    // The running count, and BOUNDARY_AFTER: the exit sequence it hashes
    // advances by the inflated count, while the claimed BOUNDARY_AFTER is
    // still the honest one.
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I10_RUNNING_COUNT, SLOT_1)
            .public(instance::BOUNDARY_AFTER),
    );
}

#[test]
fn every_public_input_is_bound() {
    // Replacing any one public input by another value must fail; the
    // list says exactly what catches it. An input the circuit reads fails
    // where it is used: SRC in the lane id of every exit leaf; DST in the
    // lane id and the lanes path both boundaries open; ASSET in each
    // slot's asset rule, the silo position, the lane id and the silos path;
    // EPOCH in the window the boundary after records; ACCOUNTS_BEFORE in
    // slot 0's membership; FIRST_SEQ in both boundaries' exit sequence and
    // every exit leaf. A computed one fails at its own binding.
    use instance::*;
    let both_boundaries_and_exits = || {
        Expected::new()
            .public(BOUNDARY_BEFORE)
            .public(BOUNDARY_AFTER)
            .public(EXITS_ROOT)
    };
    let expected: [(usize, Expected); NUM_PUBLIC_INPUTS] = [
        (SRC, Expected::new().public(EXITS_ROOT)),
        (DST, both_boundaries_and_exits()),
        (
            ASSET,
            both_boundaries_and_exits()
                .constraint(I4_ASSET_SILO, SLOT_0)
                .constraint(I4_ASSET_SILO, SLOT_1)
                .constraint(I6_SILO_POSITION, BOUNDARY_ROW),
        ),
        (EPOCH, Expected::new().public(BOUNDARY_AFTER)),
        (
            ACCOUNTS_BEFORE,
            Expected::new().constraint(I1_MEMBERSHIP, SLOT_0),
        ),
        (ACCOUNTS_AFTER, Expected::new().public(ACCOUNTS_AFTER)),
        (BOUNDARY_BEFORE, Expected::new().public(BOUNDARY_BEFORE)),
        (BOUNDARY_AFTER, Expected::new().public(BOUNDARY_AFTER)),
        (FIRST_SEQ, both_boundaries_and_exits()),
        (EXIT_COUNT, Expected::new().public(EXIT_COUNT)),
        (TOTAL, Expected::new().public(TOTAL)),
        (EXITS_ROOT, Expected::new().public(EXITS_ROOT)),
    ];
    for (offset, expected) in expected {
        let mut case = Case::honest(&full_batch());
        case.public[offset] += Fp::ONE;
        let reported = case
            .verify()
            .expect_err(&format!("{} replaced was accepted", NAMES[offset]));
        eprintln!("public input {} replaced", NAMES[offset]);
        failures::assert_exactly(reported, expected);
    }
}
