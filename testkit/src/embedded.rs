//! What an embedded verifier is tested with: the TINY parameters and
//! verifying key as bytes, and real bundles beside tampered copies, each
//! named. The wasm hosts (wasmi, Node, Chromium) and the native verifier
//! all judge these same cases.

use bulkhead_verifier::embedded::verifying_key_bytes;

use crate::chain::{bundles, prover, verifier_keys};

/// The TINY IPA parameters in halo2's format.
pub fn params_bytes() -> Vec<u8> {
    let mut out = Vec::new();
    prover()
        .params()
        .write(&mut out)
        .expect("writing to a Vec cannot fail");
    out
}

/// The TINY verifying key as `bulkhead keys` writes it.
pub fn key_bytes() -> Vec<u8> {
    verifying_key_bytes(&verifier_keys())
}

/// Named bundles: two real ones, then one tampered copy per check an
/// embedded verifier runs (decoding, key, proof length, exits, signature,
/// proof), and bytes that are no bundle at all.
pub fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let b = bundles();
    let real = b[0].to_bytes();
    let mut cases = vec![
        ("accepted-0", real.clone()),
        ("accepted-2", b[2].to_bytes()),
    ];

    let mut flipped_proof = b[0].clone();
    flipped_proof.proof[100] ^= 1;
    cases.push(("proof-byte-flipped", flipped_proof.to_bytes()));

    let mut other_key = b[0].clone();
    other_key.vk_digest[0] ^= 1;
    cases.push(("another-key", other_key.to_bytes()));

    let mut long_proof = b[0].clone();
    long_proof.proof.push(0);
    cases.push(("proof-too-long", long_proof.to_bytes()));

    let mut more_paid = b[0].clone();
    more_paid.exits[0].amount += 1;
    cases.push(("exit-amount-raised", more_paid.to_bytes()));

    let mut forged = b[0].clone();
    forged.exits[1].signature[5] ^= 1;
    cases.push(("signature-flipped", forged.to_bytes()));

    // Another batch's proof under this batch's public inputs.
    let mut swapped = b[0].clone();
    swapped.proof = b[1].proof.clone();
    cases.push(("proof-of-another-batch", swapped.to_bytes()));

    cases.push(("truncated", real[..real.len() / 2].to_vec()));
    let mut trailing = real.clone();
    trailing.push(0);
    cases.push(("trailing-byte", trailing));
    cases.push(("empty", Vec::new()));
    cases.push(("not-a-bundle", b"hello, contract".to_vec()));
    cases
}
