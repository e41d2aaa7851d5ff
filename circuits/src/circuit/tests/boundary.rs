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
    // No gate fails: the lanes root the path opens enters both boundary
    // hashes, and the lane id enters every exit leaf, so the three
    // computed commitments differ from the claimed ones.
    case.assert_fails_exactly(
        Expected::new()
            .public(instance::BOUNDARY_BEFORE)
            .public(instance::BOUNDARY_AFTER)
            .public(instance::EXITS_ROOT),
    );
}

#[test]
fn i6_collateral_short_by_one() {
    let mut outcome = full_batch();
    outcome.witness.boundary.collateral = Fp::from(outcome.instance.total - 1);
    // The collateral left would be -1: its range check fails, and both
    // boundaries hash the altered collateral.
    Case::honest(&outcome).assert_fails_exactly(
        Expected::new()
            .link(RANGE_COLLATERAL_NEW)
            .public(instance::BOUNDARY_BEFORE)
            .public(instance::BOUNDARY_AFTER),
    );
}

#[test]
fn i6_collateral_not_debited() {
    let mut case = Case::honest(&full_batch());
    let collateral = case.witness().boundary.collateral;
    case.tamper(Site::NewCollateral, collateral);
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I6_COLLATERAL_DEBIT, BOUNDARY_ROW)
            .public(instance::BOUNDARY_AFTER),
    );
}

#[test]
fn i6_silo_at_wrong_position() {
    // The silo of asset 2 would sit at position 2; use its bits for asset 1.
    let mut case = Case::honest(&full_batch());
    let bits = &mut case.witness().boundary.silo_bits;
    bits[0] = Fp::ZERO;
    bits[1] = Fp::ONE;
    // The position rule; the path then opens another silos root, which
    // both boundary hashes commit to.
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I6_SILO_POSITION, BOUNDARY_ROW)
            .public(instance::BOUNDARY_BEFORE)
            .public(instance::BOUNDARY_AFTER),
    );
}

#[test]
fn i7_cap_exceeded_by_one() {
    // Outflow after the batch is 1,500 of the window; a cap one below that.
    let mut outcome = full_batch();
    outcome.witness.boundary.cap = Fp::from(1000 + outcome.instance.total - 1);
    // cap - outflow would be -1: its range check fails, and both
    // boundaries hash the altered cap.
    Case::honest(&outcome).assert_fails_exactly(
        Expected::new()
            .link(RANGE_CAP_SLACK)
            .public(instance::BOUNDARY_BEFORE)
            .public(instance::BOUNDARY_AFTER),
    );
}

#[test]
fn i7_epoch_moved_back() {
    let mut outcome = full_batch();
    outcome.witness.boundary.window_epoch = Fp::from(sample::EPOCH + 1);
    // EPOCH - window_epoch would be -1: its range check fails, and both
    // boundaries hash the altered window epoch.
    Case::honest(&outcome).assert_fails_exactly(
        Expected::new()
            .link(RANGE_EPOCH_DIFF)
            .public(instance::BOUNDARY_BEFORE)
            .public(instance::BOUNDARY_AFTER),
    );
}

#[test]
fn i7_window_kept_on_new_epoch_is_caught() {
    // In a new epoch the window must restart: claiming "same epoch" when the
    // epochs differ breaks the exactness of the flag.
    let outcome = with_silo(main_silo(), sample::EPOCH + 1, &[(0, 100)]);
    let mut case = Case::honest(&outcome);
    case.tamper(Site::SameEpoch, Fp::ONE);
    // Both halves of the flag's definition: flag = 1 - diff·inv fails
    // (the honest inverse makes it 0), and diff·flag = 0 fails (the epochs
    // differ).
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I7_SAME_EPOCH_FLAG, BOUNDARY_ROW)
            .constraint(I7_SAME_EPOCH_EXACT, BOUNDARY_ROW)
            .public(instance::BOUNDARY_AFTER),
    );
}

#[test]
fn i7_window_dropped_in_same_epoch() {
    // Within one epoch, starting the window from 0 would reset the cap.
    let mut case = Case::honest(&full_batch());
    case.tamper(Site::BaseOutflow, Fp::ZERO);
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I7_WINDOW_RESTARTS, BOUNDARY_ROW)
            .public(instance::BOUNDARY_AFTER),
    );
}

#[test]
fn i7_outflow_not_accumulated() {
    let mut case = Case::honest(&full_batch());
    case.tamper(Site::NewOutflow, Fp::from(1000));
    case.assert_fails_exactly(
        Expected::new()
            .constraint(I7_OUTFLOW_ACCUMULATES, BOUNDARY_ROW)
            .public(instance::BOUNDARY_AFTER),
    );
}
