//! G4, exit authorisation, on real proofs at the TINY shape: one owner
//! signature authorises one debit of one account (a key owning two accounts
//! cannot have one signed exit debit both), and every exit signature
//! verifies strictly (a signature the batch check would accept but the
//! strict check refuses is refused).

mod common;

use std::collections::BTreeMap;

use bulkhead_protocol::bundle::{Bundle, SignedExit};
use bulkhead_protocol::hash::{self, Fp};
use bulkhead_protocol::messages::exit_message;
use bulkhead_protocol::model::{ExitRequest, SegmentState};
use bulkhead_prover::{plan_signed_run, PlannedBatch, ProverError, SignedBatch, SignedExitRequest};
use bulkhead_testkit::gate::gate_config;
use bulkhead_testkit::keys::{public_key, secret, sign_exit};
use bulkhead_testkit::sample;
use bulkhead_verifier::gate::{Effect, Refusal};
use bulkhead_verifier::BundleRefusal;
use common::*;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use ed25519_dalek::{Digest, Sha512, Signature, SigningKey, VerifyingKey};

/// Genesis with segment 1's account 2 owned by account 0's key: one key,
/// two accounts of asset 1, both at nonce 0.
fn shared_owner_genesis() -> BTreeMap<u64, SegmentState> {
    let owners: Vec<[u8; 32]> = (0..sample::ACCOUNTS)
        .map(|i| public_key(&secret(SEED, "account", 1, if i == 2 { 0 } else { i })))
        .collect();
    let mut genesis = genesis();
    genesis.insert(1, sample::segment_with_owners(1, &SHAPE, &owners).unwrap());
    genesis
}

/// The owner of accounts 0 and 2 signs one exit of 100 from account 0; a
/// relayer puts that signed exit in one slot per account in `accounts`.
fn one_signature_in_slots(accounts: &[u64]) -> SignedBatch {
    let owner = secret(SEED, "account", 1, 0);
    let lane_id = hash::lane_id(Fp::from(1), Fp::from(2), Fp::from(sample::ASSET));
    let recipient = Fp::from(4242);
    let signature = sign_exit(&owner, &lane_id, 0, 0, &recipient, 100);
    SignedBatch {
        stream_id: bulkhead_testkit::gate::STREAM_ID,
        dst: 2,
        asset: sample::ASSET,
        epoch: EPOCH,
        exits: accounts
            .iter()
            .map(|account| SignedExitRequest {
                request: ExitRequest {
                    account: *account,
                    recipient,
                    amount: 100,
                },
                public_key: public_key(&owner),
                signature,
            })
            .collect(),
    }
}

/// Proves `batch` on `state` without the relayer's authorisation check (as
/// a relayer that skips it would) and bundles its exits as signed.
fn prove_unchecked(state: &SegmentState, batch: &SignedBatch) -> Bundle {
    let outcome = state
        .clone()
        .apply_exits(&batch.request(), &SHAPE)
        .expect("the model does not read signatures");
    let exits = outcome
        .exits
        .iter()
        .zip(&batch.exits)
        .map(|(record, signed)| SignedExit::for_record(record, signed.public_key, signed.signature))
        .collect();
    let proof = prover().prove(&outcome).unwrap();
    prover().bundle(
        &PlannedBatch {
            outcome,
            stream_id: batch.stream_id,
            exits,
        },
        proof,
    )
}

#[test]
fn g4_one_signed_exit_cannot_debit_two_accounts_of_its_owner() {
    let genesis = shared_owner_genesis();
    let state = &genesis[&1];
    let twice = one_signature_in_slots(&[0, 2]);
    // A gate refuses the proven bundle: its exits hash to the public inputs,
    // but the signature names account 0, not account 2.
    let mut g = gate_with(gate_config(SEED, 2, SHAPE, prover().vk_digest(), &genesis));
    accept(&mut g, tick(EPOCH));
    let bundle = prove_unchecked(state, &twice);
    assert!(bundle.exits_match_public_inputs());
    assert_eq!(
        refuse(&mut g, item(&bundle)),
        Refusal::Bundle(BundleRefusal::BadSignature(1))
    );
    // An honest relayer's planning refuses the second slot before proving.
    assert!(matches!(
        plan_signed_run(&mut state.clone(), std::slice::from_ref(&twice), &SHAPE),
        Err(ProverError::Unauthorised {
            batch: 0,
            slot: 1,
            ..
        })
    ));
    // The signature itself is good for the one debit it authorises.
    let once = prove_unchecked(state, &one_signature_in_slots(&[0]));
    let effect = accept(&mut g, item(&once));
    assert!(
        matches!(&effect, Effect::BundleAccepted { credited, .. } if credited.len() == 1),
        "{effect:?}"
    );
    assert_eq!(g.state().sources[&1].credited[&sample::ASSET], 100);
}

/// The point (0, -1), of order 2.
fn order_two_point() -> EdwardsPoint {
    let mut y = [0xff; 32];
    y[0] = 0xec;
    y[31] = 0x7f;
    let t = CompressedEdwardsY(y)
        .decompress()
        .expect("(0, -1) is on the curve");
    assert!(t.is_small_order() && t != EdwardsPoint::identity());
    assert_eq!(t + t, EdwardsPoint::identity());
    t
}

/// An Ed25519 signature by `secret` whose nonce point is `R = [r]B + torsion`
/// and whose `s = r + H(R, A, M)·a` satisfies the cofactorless equation up
/// to `torsion`: what only the key's owner can build.
fn sign_with_nonce_point(
    secret: &[u8; 32],
    message: &[u8],
    r: Scalar,
    torsion: EdwardsPoint,
) -> [u8; 64] {
    let key = SigningKey::from_bytes(secret);
    let big_r = (EdwardsPoint::mul_base(&r) + torsion).compress();
    let mut wide = [0u8; 64];
    wide.copy_from_slice(
        &Sha512::new()
            .chain_update(big_r.as_bytes())
            .chain_update(key.verifying_key().as_bytes())
            .chain_update(message)
            .finalize(),
    );
    let h = Scalar::from_bytes_mod_order_wide(&wide);
    let s = r + h * key.to_scalar();
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(big_r.as_bytes());
    signature[32..].copy_from_slice(s.as_bytes());
    signature
}

/// Exit 0 of `bundle` (account 0 of segment 1), its message and its
/// owner's secret key.
fn first_exit(bundle: &Bundle) -> (Vec<u8>, [u8; 32]) {
    let e = &bundle.exits[0];
    let message = exit_message(
        bundle.stream_id,
        &bundle.lane_id(),
        e.account,
        e.nonce,
        &e.recipient,
        e.amount,
    );
    (message, secret(SEED, "account", 1, 0))
}

/// Whether `ed25519_dalek::verify_batch` (the check the gate used before
/// it went strict-only) accepts exit 0's signature.
fn batch_accepts(bundle: &Bundle) -> bool {
    let (message, _) = first_exit(bundle);
    let e = &bundle.exits[0];
    let key = VerifyingKey::from_bytes(&e.public_key).unwrap();
    let signature = Signature::from_bytes(&e.signature);
    ed25519_dalek::verify_batch(&[&message[..]], &[signature], &[key]).is_ok()
        && key.verify_strict(&message, &signature).is_err()
}

#[test]
fn g4_exit_signature_with_identity_r_is_refused() {
    // R = identity (small order) and s = H(R, A, M)·a: the batch equation
    // holds for every coefficient, the strict check refuses R.
    let mut bundle = bundles()[0].clone();
    let (message, owner) = first_exit(&bundle);
    bundle.exits[0].signature =
        sign_with_nonce_point(&owner, &message, Scalar::ZERO, EdwardsPoint::identity());
    assert_eq!(bundle.exits[0].signature[0], 1, "R encodes the identity");
    assert!(batch_accepts(&bundle), "the batch check accepts it");

    let mut g = gate();
    g.process(&tick(EPOCH)).unwrap();
    assert_eq!(
        refuse(&mut g, item(&bundle)),
        Refusal::Bundle(BundleRefusal::BadSignature(0))
    );
    accept(&mut g, item(&bundles()[0]));
}

#[test]
fn g4_exit_signature_with_order_two_component_in_r_is_refused() {
    // R = [r]B + T with T of order 2: the batch equation is z·T, zero for
    // an even coefficient z, which the transcript fixes and the signer can
    // grind for by trying nonces.
    let mut bundle = bundles()[0].clone();
    let (message, owner) = first_exit(&bundle);
    let ground = (1u64..256)
        .map(|r| sign_with_nonce_point(&owner, &message, Scalar::from(r), order_two_point()))
        .find(|signature| {
            bundle.exits[0].signature = *signature;
            batch_accepts(&bundle)
        });
    assert!(ground.is_some(), "no nonce gave an even coefficient");

    let mut g = gate();
    g.process(&tick(EPOCH)).unwrap();
    assert_eq!(
        refuse(&mut g, item(&bundle)),
        Refusal::Bundle(BundleRefusal::BadSignature(0))
    );
}
