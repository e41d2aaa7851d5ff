//! Completeness: the circuit accepts every honest batch the native model
//! produces, including the edges of the cap, the collateral and the epoch
//! window.

use super::*;

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
