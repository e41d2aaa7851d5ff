//! Soundness of the boundary rules: the lane exists (I5), the silo's
//! collateral and position (I6), and the epoch window and cap (I7).

use ff::Field;

use super::*;
use bulkhead_protocol::instance;

#[test]
fn i5_lane_not_in_tree() {
    // Claim the lane (DST=3, asset 2), which the segment does not allow,
    // with the honest lanes path: the lanes root, and so BOUNDARY_BEFORE,
    // cannot match.
    let mut case = Case::honest(&full_batch());
    case.public[instance::DST] = Fp::from(3);
    case.witness().boundary.lane_bits[0] = Fp::ONE;
    case.assert_only_equality_fails();
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
