//! Keys derived from a seed, a role and two indices, so every key of a test
//! or of the demo is reproducible, and signing with them.

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::messages::exit_message;
use ed25519_dalek::{Signer, SigningKey};

/// A secret key derived from the seed, a role (`"account"`, `"validator"`,
/// `"stream-guardian"`, `"local-guardian"`, `"attacker"`) and two indices
/// (segment, then account, validator or guardian).
pub fn secret(seed: u64, role: &str, a: u64, b: u64) -> [u8; 32] {
    let hash = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"Bulkhead_DemoKey")
        .to_state()
        .update(&seed.to_le_bytes())
        .update(role.as_bytes())
        .update(&a.to_le_bytes())
        .update(&b.to_le_bytes())
        .finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(hash.as_bytes());
    out
}

/// The Ed25519 public key of `secret`.
pub fn public_key(secret: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(secret).verifying_key().to_bytes()
}

/// Signs `message` with `secret`.
pub fn sign(secret: &[u8; 32], message: &[u8]) -> [u8; 64] {
    SigningKey::from_bytes(secret).sign(message).to_bytes()
}

/// Signs an exit on the sample stream ([`crate::gate::STREAM_ID`]) as the
/// account owner would: `secret` is the owner's Ed25519 secret key,
/// `account` the index of the account to debit and `nonce` that account's
/// nonce at this exit.
pub fn sign_exit(
    secret: &[u8; 32],
    lane_id: &Fp,
    account: u64,
    nonce: u64,
    recipient: &Fp,
    amount: u64,
) -> [u8; 64] {
    sign(
        secret,
        &exit_message(
            crate::gate::STREAM_ID,
            lane_id,
            account,
            nonce,
            recipient,
            amount,
        ),
    )
}
