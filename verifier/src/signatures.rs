//! Ed25519 signatures: exit authorisations, validator attestations and
//! guardian actions, always verified strictly.
//!
//! Why Ed25519 (`ed25519-dalek`): it is the most widely deployed and audited
//! Schnorr-family scheme in Rust, verifies with strict (non-malleable)
//! checks, has batch verification for the many signatures of one bundle,
//! and builds for wasm32. RedPallas would share Bulkhead's curve and is the
//! choice once exit authorisation moves into the circuit (DESIGN, "Later");
//! until then the signatures are checked natively by every gate. The signed
//! messages themselves are `bulkhead_protocol::messages`.

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::messages::exit_message;
use ed25519_dalek::{Signature, VerifyingKey};

/// Verifies one signature strictly.
pub fn verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    VerifyingKey::from_bytes(public_key)
        .map(|key| {
            key.verify_strict(message, &Signature::from_bytes(signature))
                .is_ok()
        })
        .unwrap_or(false)
}

/// Verifies every exit signature of `bundle`; on failure returns the index
/// of the first bad one. All signatures are checked in one batch first.
pub fn verify_exit_signatures(bundle: &Bundle) -> Result<(), usize> {
    let lane_id = bundle.lane_id();
    let messages: Vec<Vec<u8>> = bundle
        .exits
        .iter()
        .map(|e| exit_message(&lane_id, e.nonce, &e.recipient, e.amount))
        .collect();
    let keys: Result<Vec<VerifyingKey>, usize> = bundle
        .exits
        .iter()
        .enumerate()
        .map(|(i, e)| VerifyingKey::from_bytes(&e.public_key).map_err(|_| i))
        .collect();
    let keys = keys?;
    let signatures: Vec<Signature> = bundle
        .exits
        .iter()
        .map(|e| Signature::from_bytes(&e.signature))
        .collect();
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    if ed25519_dalek::verify_batch(&refs, &signatures, &keys).is_ok() {
        // Batch verification is not strict about small-order components;
        // the strict check below runs only to name a failure, so also
        // refuse weak keys here.
        if keys.iter().all(|k| !k.is_weak()) {
            return Ok(());
        }
    }
    for (i, exit) in bundle.exits.iter().enumerate() {
        if !verify(&exit.public_key, &messages[i], &exit.signature) {
            return Err(i);
        }
    }
    Ok(())
}
