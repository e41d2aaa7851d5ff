//! Ed25519 signatures: exit authorisations, validator attestations and
//! guardian actions, always verified strictly.
//!
//! Why Ed25519 (`ed25519-dalek`): it is the most widely deployed and audited
//! Schnorr-family scheme in Rust, verifies with strict (non-malleable)
//! checks and builds for wasm32. RedPallas would share Bulkhead's curve and
//! is the choice once exit authorisation moves into the circuit (DESIGN,
//! "Later"); until then the signatures are checked natively by every gate.
//! The signed messages themselves are `bulkhead_protocol::messages`.
//!
//! # Strict, one signature at a time (G4)
//!
//! Every signature goes through `VerifyingKey::verify_strict`: canonical
//! `s`, canonical `R` (the recomputed `R` is compared by its encoding), and
//! neither `R` nor the public key of small order; the equation is the
//! cofactorless `R = [s]B - [H(R, A, M)]A`.
//!
//! There is deliberately no batch path. `ed25519_dalek::verify_batch` checks
//! `sum z_i ([s_i]B - R_i - [h_i]A_i) = 0` with random 128-bit `z_i`, and so
//! accepts what the strict check refuses: an `R` of small order (the
//! identity, with `s = h·a`), and an `R` with an order-2 component whenever
//! its `z_i` is even, which the signer can grind for. Gates must agree on
//! every bundle (follow rules), so a signature one verifier refuses must be
//! refused by all. `verifier/tests/strict_signatures.rs` builds both
//! signatures; the cost of verifying one by one is measured by the
//! `signatures` bench (`cargo bench -p bulkhead-benches --bench signatures`).

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::messages::exit_message;

// The one strict check, the protocol's: the verifier adds no second one.
pub use bulkhead_protocol::authorise::{key_usable, verify_strict as verify};

/// Verifies every exit signature of `bundle` strictly, in slot order; on
/// failure returns the index of the first bad one.
pub fn verify_exit_signatures(bundle: &Bundle) -> Result<(), usize> {
    let lane_id = bundle.lane_id();
    bundle.exits.iter().enumerate().try_for_each(|(i, e)| {
        let message = exit_message(
            bundle.stream_id,
            &lane_id,
            e.account,
            e.nonce,
            &e.recipient,
            e.amount,
        );
        if verify(&e.public_key, &message, &e.signature) {
            Ok(())
        } else {
            Err(i)
        }
    })
}
