//! Soundness of the per-slot rules: membership (I1), exact debit (I2),
//! range (I3) and asset (I4).

use ff::{Field, PrimeField};

use super::*;

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
