//! Prover and verifier together: a planned run of chained batches proven in
//! parallel, verified singly and as a batch; a tampered proof is named.

use bulkhead_circuits::keys::k_for;
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{plan_run, ParamsCache, ParamsSource, ProverKeys};
use bulkhead_testkit::sample;
use bulkhead_verifier::{VerifierKeys, VerifyError};

#[test]
fn a_parallel_run_verifies_and_a_bad_proof_is_named() {
    let shape = CircuitShape::TINY;
    let dir = tempfile::tempdir().unwrap();
    let cache = ParamsCache::new(dir.path());
    let prover = ProverKeys::load(shape, &cache).unwrap();
    // The verifier derives its own key from parameters handed over (here
    // the same cache file, read back) and reaches the prover's digest.
    let (params, source) = cache.load_or_create(k_for(shape).unwrap()).unwrap();
    assert_eq!(source, ParamsSource::Cache);
    let verifier = VerifierKeys::from_params(shape, params).unwrap();
    assert_eq!(prover.vk_digest(), verifier.vk_digest());

    let mut state = sample::segment(1, &shape).unwrap();
    let requests = [
        sample::batch(sample::EPOCH, &[(0, 100), (2, 200)]),
        sample::batch(sample::EPOCH, &[(0, 50)]),
        sample::batch(sample::EPOCH + 1, &[(4, 300), (0, 1)]),
    ];
    let outcomes = plan_run(&mut state, &requests, &shape).unwrap();
    // The run chains: each batch starts where the previous one ended.
    for pair in outcomes.windows(2) {
        assert_eq!(
            pair[0].instance.accounts_after,
            pair[1].instance.accounts_before
        );
        assert_eq!(
            pair[0].instance.boundary_after,
            pair[1].instance.boundary_before
        );
    }
    let proofs = prover.prove_run(&outcomes, 2, 0, |_, _| {}).unwrap();
    let mut items: Vec<_> = outcomes.iter().map(|o| o.instance).zip(proofs).collect();
    for (instance, proof) in &items {
        verifier.verify(instance, proof).unwrap();
    }
    verifier.verify_batch(&items).unwrap();

    items[1].1[100] ^= 0x01;
    match verifier.verify_batch(&items) {
        Err(VerifyError::InvalidProof { index, .. }) => assert_eq!(index, 1),
        other => panic!("tampered batch gave {other:?}"),
    }
}

#[test]
fn a_refused_batch_leaves_the_run_and_state_untouched() {
    let shape = CircuitShape::TINY;
    let mut state = sample::segment(1, &shape).unwrap();
    let root = state.accounts_root();
    let requests = [
        sample::batch(sample::EPOCH, &[(0, 100)]),
        sample::batch(sample::EPOCH, &[(0, 1_000_000)]),
    ];
    let err = plan_run(&mut state, &requests, &shape).unwrap_err();
    assert!(err.to_string().starts_with("batch 1:"), "{err}");
    assert_eq!(state.accounts_root(), root);
}
