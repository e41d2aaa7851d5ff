//! Soundness of the per-slot rules: membership (I1), exact debit (I2),
//! range (I3) and asset (I4).

use ff::{Field, PrimeField};

use super::*;
use bulkhead_protocol::instance;

#[test]
fn i1_sibling_swapped() {
    let mut case = Case::honest(&full_batch());
    let path = &mut case.witness().slots[0].siblings;
    path.swap(0, 1);
    // Slot 0 opens another root, and slot 1 (which starts from the root
    // slot 0 claims to leave) does too.
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I1_MEMBERSHIP, SLOT_0)
            .constraint(I1_MEMBERSHIP, SLOT_1),
    );
}

#[test]
fn i1_path_bit_not_boolean() {
    let mut case = Case::honest(&full_batch());
    case.witness().slots[0].path_bits[0] = Fp::from(2);
    // The bit itself, then what a non-bit does downstream: both slots'
    // membership, and the account index packed into slot 0's exit leaf.
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I1_PATH_BIT_IS_BOOLEAN, SLOT_0_PATH_BITS)
            .constraint(I1_MEMBERSHIP, SLOT_0)
            .constraint(I1_MEMBERSHIP, SLOT_1)
            .public(instance::EXITS_ROOT),
    );
}

#[test]
fn i1_account_not_in_tree() {
    let mut case = Case::honest(&full_batch());
    // A made-up account with a large balance, at the sender's position.
    case.witness().slots[0].balance = Fp::from(1_000_000);
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I1_MEMBERSHIP, SLOT_0)
            .constraint(I1_MEMBERSHIP, SLOT_1),
    );
}

#[test]
fn i2_debit_smaller_than_amount() {
    let mut case = Case::honest(&full_batch());
    let balance = slot_value(&mut case, 0, |s| s.balance);
    let amount = slot_value(&mut case, 0, |s| s.amount);
    case.tamper(Site::NewBalance(0), balance - amount + Fp::ONE);
    // The debit, and slot 1 opening the root the honest debit leaves
    // rather than the one this leaf hashes to.
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I2_EXACT_DEBIT, SLOT_0)
            .constraint(I1_MEMBERSHIP, SLOT_1),
    );
}

#[test]
fn i2_nonce_not_incremented() {
    let mut case = Case::honest(&full_batch());
    let nonce = slot_value(&mut case, 0, |s| s.nonce);
    case.tamper(Site::NewNonce(0), nonce);
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I2_NONCE_INCREMENTS, SLOT_0)
            .constraint(I1_MEMBERSHIP, SLOT_1),
    );
}

#[test]
fn i2_i3_balance_wraps_around_the_field() {
    // Spend one more than the balance: balance' = p - 1 in the field.
    let mut case = Case::honest(&partial_batch());
    let balance = slot_value(&mut case, 0, |s| s.balance);
    case.witness().slots[0].amount = balance + Fp::ONE;
    // Every gate holds (the witness is consistent); the new balance's
    // range check fails, and the outputs the amount feeds differ from the
    // claimed ones.
    case.assert_fails_exactly(
        Expected::new()
            .link(RANGE_SLOT_0_BALANCE_NEW)
            .public(instance::ACCOUNTS_AFTER)
            .public(instance::BOUNDARY_AFTER)
            .public(instance::TOTAL)
            .public(instance::EXITS_ROOT),
    );
}

#[test]
fn i3_amount_is_two_pow_64() {
    let mut case = Case::honest(&partial_batch());
    case.witness().slots[0].amount = Fp::from_u128(1 << 64);
    // The amount's own range check, and every range check and output
    // that 2^64 flows into: the new balance, TOTAL, the silo's collateral,
    // the window's outflow and the cap's slack.
    case.assert_fails_exactly(
        Expected::new()
            .link(RANGE_SLOT_0_AMOUNT)
            .link(RANGE_SLOT_0_BALANCE_NEW)
            .link(RANGE_TOTAL)
            .link(RANGE_COLLATERAL_NEW)
            .link(RANGE_OUTFLOW_NEW)
            .link(RANGE_CAP_SLACK)
            .public(instance::ACCOUNTS_AFTER)
            .public(instance::BOUNDARY_AFTER)
            .public(instance::TOTAL)
            .public(instance::EXITS_ROOT),
    );
}

#[test]
fn i3_amount_is_zero() {
    let mut case = Case::honest(&partial_batch());
    case.witness().slots[0].amount = Fp::ZERO;
    // The nonzero rule; the outputs a zero amount changes differ from the
    // claimed ones, which were made for the honest amount.
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I3_NONZERO, SLOT_0)
            .public(instance::ACCOUNTS_AFTER)
            .public(instance::BOUNDARY_AFTER)
            .public(instance::TOTAL)
            .public(instance::EXITS_ROOT),
    );
}

#[test]
fn i3_new_nonce_overflows_64_bits() {
    let mut case = Case::honest(&partial_batch());
    case.tamper(Site::NewNonce(0), Fp::from_u128(1 << 64));
    // Its range check; 2^64 is not nonce + 1 either, and the account leaf
    // it goes into changes ACCOUNTS_AFTER.
    case.assert_fails_exactly(
        Expected::new()
            .link(RANGE_SLOT_0_NONCE_NEW)
            .constraint(I2_NONCE_INCREMENTS, SLOT_0)
            .public(instance::ACCOUNTS_AFTER),
    );
}

#[test]
fn i4_asset_changed() {
    let mut case = Case::honest(&full_batch());
    case.witness().slots[0].asset = Fp::from(sample::OTHER_ASSET);
    // The asset rule; the account leaf holds the asset too, so both slots'
    // membership fails.
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I4_ASSET_SILO, SLOT_0)
            .constraint(I1_MEMBERSHIP, SLOT_0)
            .constraint(I1_MEMBERSHIP, SLOT_1),
    );
}
