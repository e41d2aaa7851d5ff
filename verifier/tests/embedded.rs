//! The embedded verifier from bytes: a verifying key read back has the
//! derived key's digest and gives the same verdicts; corrupted key or
//! parameter bytes, and a key that is not the registered one, are refused
//! before any verifier exists.

mod common;

use bulkhead_protocol::CircuitShape;
use bulkhead_testkit::embedded::{cases, key_bytes, params_bytes};
use bulkhead_verifier::{BundleRefusal, BundleVerifier, SetupError, VerifyError};
use common::*;

fn digest() -> [u8; 32] {
    prover().vk_digest()
}

fn verdicts(verifier: &BundleVerifier) -> Vec<(&'static str, Result<(), BundleRefusal>)> {
    cases()
        .into_iter()
        .map(|(name, bytes)| (name, verifier.verify_bundle(&bytes).map(|_| ())))
        .collect()
}

#[test]
fn a_key_read_back_is_the_derived_key_and_judges_alike() {
    let params = params_bytes();
    let derived = BundleVerifier::derive(&params, SHAPE, digest()).unwrap();
    let read = BundleVerifier::with_key(&params, SHAPE, &key_bytes(), digest()).unwrap();
    assert_eq!(read.keys().vk_digest(), derived.keys().vk_digest());
    assert_eq!(
        format!("{:?}", read.keys().vk().pinned()),
        format!("{:?}", derived.keys().vk().pinned())
    );
    let from_read = verdicts(&read);
    assert_eq!(from_read, verdicts(&derived));
    // The real bundles pass; every tampered case is refused, each for its
    // own reason.
    for (name, verdict) in &from_read {
        assert_eq!(
            verdict.is_ok(),
            name.starts_with("accepted"),
            "{name}: {verdict:?}"
        );
    }
    let reason = |name: &str| {
        from_read
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.clone().err())
            .unwrap()
    };
    assert_eq!(reason("proof-byte-flipped"), BundleRefusal::InvalidProof);
    assert_eq!(
        reason("proof-of-another-batch"),
        BundleRefusal::InvalidProof
    );
    assert!(matches!(
        reason("another-key"),
        BundleRefusal::WrongKey { .. }
    ));
    assert!(matches!(
        reason("proof-too-long"),
        BundleRefusal::ProofLength { .. }
    ));
    assert_eq!(reason("exit-amount-raised"), BundleRefusal::ExitsMismatch);
    assert_eq!(reason("signature-flipped"), BundleRefusal::BadSignature(1));
    for malformed in ["truncated", "trailing-byte", "empty", "not-a-bundle"] {
        assert!(
            matches!(reason(malformed), BundleRefusal::Malformed(_)),
            "{malformed}"
        );
    }
}

#[test]
fn corrupted_key_bytes_are_refused() {
    let params = params_bytes();
    let key = key_bytes();
    let refuse = |bytes: &[u8]| {
        BundleVerifier::with_key(&params, SHAPE, bytes, digest())
            .err()
            .expect("corrupted key accepted")
    };
    // A flipped bit in a commitment: off the curve, or another point whose
    // key has another digest. Try every commitment's first byte.
    let mut refused_off_curve = 0;
    let mut refused_by_digest = 0;
    for at in (8 + 4..key.len()).step_by(32) {
        let mut bad = key.clone();
        bad[at] ^= 1;
        match refuse(&bad) {
            SetupError::DigestMismatch { .. } => refused_by_digest += 1,
            SetupError::Keys(VerifyError::Circuit(_)) => refused_off_curve += 1,
            other => panic!("unexpected refusal {other}"),
        }
    }
    assert!(refused_by_digest > 0 && refused_off_curve + refused_by_digest > 10);
    assert!(matches!(refuse(&key[..key.len() - 1]), SetupError::Keys(_)));
    let mut trailing = key.clone();
    trailing.push(0);
    assert!(refuse(&trailing).to_string().contains("trailing bytes"));
    let mut magic = key.clone();
    magic[0] ^= 1;
    assert!(refuse(&magic).to_string().contains("wrong magic"));
    // A count that is not this circuit's.
    let mut count = key.clone();
    count[8] ^= 1;
    assert!(matches!(refuse(&count), SetupError::Keys(_)));
    assert!(matches!(refuse(&[]), SetupError::Keys(_)));
}

#[test]
fn a_key_other_than_the_registered_one_is_refused() {
    let params = params_bytes();
    let mut other = digest();
    other[31] ^= 1;
    for result in [
        BundleVerifier::derive(&params, SHAPE, other),
        BundleVerifier::with_key(&params, SHAPE, &key_bytes(), other),
    ] {
        match result {
            Err(SetupError::DigestMismatch { expected, got }) => {
                assert_eq!(expected, other);
                assert_eq!(got, digest());
            }
            Err(e) => panic!("wrong refusal: {e}"),
            Ok(_) => panic!("another key accepted"),
        }
    }
    // The key of another shape read as this one's: the layout differs.
    let default = CircuitShape::DEFAULT;
    assert!(BundleVerifier::with_key(&params, default, &key_bytes(), digest()).is_err());
}

#[test]
fn parameter_bytes_are_checked_before_they_are_read() {
    let params = params_bytes();
    let refuse = |bytes: &[u8]| {
        BundleVerifier::with_key(bytes, SHAPE, &key_bytes(), digest())
            .err()
            .expect("bad parameters accepted")
            .to_string()
    };
    // A hostile k would make halo2 reserve 2^k points: refused on the
    // header alone.
    let mut huge_k = params.clone();
    huge_k[..4].copy_from_slice(&40u32.to_le_bytes());
    assert!(refuse(&huge_k).contains("k = 40"), "{}", refuse(&huge_k));
    assert!(refuse(&params[..params.len() - 1]).contains("bytes, parameters for k"));
    let mut trailing = params.clone();
    trailing.push(0);
    assert!(refuse(&trailing).contains("bytes, parameters for k"));
    assert!(refuse(&params[..2]).contains("header"));
    // Any changed generator, on the curve or not: not halo2's setup.
    let mut other_generator = params.clone();
    other_generator[4 + 32 * 3] ^= 1;
    assert!(refuse(&other_generator).contains("not halo2's parameters"));
}
