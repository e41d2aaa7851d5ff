//! A refused exit names its real cause: a signature for a nonce the
//! account already used (a replayed request) or for a later one (a request
//! before it is missing) is told apart from a signature that is simply
//! wrong.

use bulkhead_prover::{plan_signed_run, ProverError};
use bulkhead_testkit::chain::{request, EPOCH, SEED, SHAPE};
use bulkhead_testkit::sample;
use bulkhead_testkit::signed::{segment, sign_run};

fn reason(result: Result<Vec<bulkhead_prover::PlannedBatch>, ProverError>) -> String {
    match result {
        Err(ProverError::Unauthorised { reason, .. }) => reason.to_string(),
        other => panic!("expected an unauthorised exit, got {other:?}"),
    }
}

#[test]
fn a_replayed_a_premature_and_a_forged_exit_are_told_apart() {
    let genesis = segment(SEED, 1, &SHAPE).unwrap();
    let batch = [request(EPOCH, sample::ASSET)];
    let signed = sign_run(SEED, &SHAPE, 1, &genesis, &batch);

    // Replayed: the same signed exits on the state they already advanced.
    let mut advanced = genesis.clone();
    plan_signed_run(&mut advanced, &signed, &SHAPE).unwrap();
    let mut again = advanced.clone();
    let replayed = reason(plan_signed_run(&mut again, &signed, &SHAPE));
    assert!(
        replayed.contains("nonce 0, which this account has already used (its next nonce is 1)"),
        "{replayed}"
    );
    assert_eq!(
        (
            again.accounts_root(),
            again.boundary_root(),
            again.exit_seq()
        ),
        (
            advanced.accounts_root(),
            advanced.boundary_root(),
            advanced.exit_seq()
        ),
        "a refused run changes nothing"
    );

    // Premature: exits signed for the advanced nonces, offered at genesis.
    let ahead = sign_run(SEED, &SHAPE, 1, &advanced, &batch);
    let premature = reason(plan_signed_run(&mut genesis.clone(), &ahead, &SHAPE));
    assert!(
        premature.contains(
            "nonce 1, but this account's next nonce is 0: the request for nonce 0 is missing"
        ),
        "{premature}"
    );

    // Forged: a signature for nothing nearby.
    let mut forged = signed.clone();
    forged[0].exits[0].signature[0] ^= 1;
    let wrong = reason(plan_signed_run(&mut genesis.clone(), &forged, &SHAPE));
    assert!(
        wrong.starts_with("the signature does not verify"),
        "{wrong}"
    );
}
