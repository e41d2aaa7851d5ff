//! Verifying many bundles at once: `check_bundles` batches the proofs of
//! each key and still gives every bundle its own verdict (a bad proof in
//! the batch is named, the good ones pass), and a gate applying
//! `Verified` bundles runs every rule that reads its state, reaching the
//! same state as a gate that verified each bundle alone.

mod common;

use bulkhead_verifier::gate::Refusal;
use bulkhead_verifier::{check_bundles, BundleRefusal};
use common::*;

#[test]
fn a_batch_names_its_bad_proof_and_passes_the_rest() {
    let b = bundles();
    let mut bad_proof = b[1].clone();
    bad_proof.proof[40] ^= 1;
    let mut other_key = b[2].clone();
    other_key.vk_digest[0] ^= 1;
    let verdicts = check_bundles(
        vec![b[0].clone(), bad_proof, b[2].clone(), other_key],
        &[verifier_keys()],
    );
    assert_eq!(verdicts.len(), 4);
    assert_eq!(verdicts[0].as_ref().map(|v| v.bundle()), Ok(&b[0]));
    assert_eq!(
        verdicts[1].as_ref().err(),
        Some(&BundleRefusal::InvalidProof)
    );
    assert_eq!(verdicts[2].as_ref().map(|v| v.bundle()), Ok(&b[2]));
    assert!(matches!(
        verdicts[3].as_ref().err(),
        Some(BundleRefusal::WrongKey { .. })
    ));
    // Cheap checks still run per bundle: a bad exit is refused before any
    // proof work, and an empty batch is no verdict at all.
    let mut bad_exit = b[0].clone();
    bad_exit.exits[0].amount += 1;
    assert_eq!(
        check_bundles(vec![bad_exit], &[verifier_keys()])[0]
            .as_ref()
            .err(),
        Some(&BundleRefusal::ExitsMismatch)
    );
    assert!(check_bundles(Vec::new(), &[verifier_keys()]).is_empty());
}

#[test]
fn verified_bundles_still_meet_every_state_rule() {
    let b = bundles();
    let verified: Vec<_> = check_bundles(b.to_vec(), &[verifier_keys()])
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut batched = gate();
    let mut alone = gate();
    for g in [&mut batched, &mut alone] {
        accept(g, tick(EPOCH));
    }
    // G2: order and replays, verified or not.
    assert!(matches!(
        batched.process_verified(&verified[1]).unwrap_err(),
        Refusal::Gap { .. }
    ));
    let before = batched.state().clone();
    batched.process_verified(&verified[0]).unwrap();
    assert_ne!(batched.state(), &before);
    let replay = batched.state().clone();
    assert!(matches!(
        batched.process_verified(&verified[0]).unwrap_err(),
        Refusal::Replay { .. }
    ));
    assert_eq!(batched.state(), &replay, "a refusal changes nothing");
    assert!(
        !batched.worth_verifying(verified[0].bundle()),
        "a replay is not worth a proof check"
    );
    assert!(batched.worth_verifying(verified[1].bundle()));
    batched.process_verified(&verified[1]).unwrap();
    // G5: b2 is for the next epoch.
    assert_eq!(
        batched.process_verified(&verified[2]).unwrap_err(),
        Refusal::EpochInFuture {
            epoch: EPOCH + 1,
            current: EPOCH
        }
    );
    accept(&mut batched, tick(EPOCH + 1));
    batched.process_verified(&verified[2]).unwrap();
    for bundle in b {
        if bundle.instance.epoch == EPOCH + 1 {
            accept(&mut alone, tick(EPOCH + 1));
        }
        accept(&mut alone, item(bundle));
    }
    assert_eq!(batched.state(), alone.state(), "the same state either way");
}
