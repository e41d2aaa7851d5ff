//! One verifier built from bytes, for embedders: segment contracts in a
//! wasm host, Node, a web page. Nothing here reads a file, starts a thread
//! or asks for randomness.
//!
//! **Randomness.** [`BundleVerifier::verify_bundle`] verifies one proof at
//! a time with halo2's single verifier, which is deterministic: every
//! challenge comes from the proof's own transcript. Batch verification
//! (`check_bundles`, the `batch` feature, native builds) is the only path
//! that draws a random combination, from the operating system; embedded
//! builds leave that feature off, so on wasm32 nothing ever asks the host
//! for randomness.
//!
//! **Keys.** The verifying key is either derived from the shape
//! ([`BundleVerifier::derive`]: multi-scalar multiplications over every
//! fixed and permutation column, seconds natively at the default shape and
//! far more in an interpreter) or read from bytes
//! ([`BundleVerifier::with_key`]: the circuit is laid out without
//! witnesses, the commitments are read). Either way the key's digest must
//! equal the registered one before the verifier exists, so bytes from an
//! untrusted source can at worst be refused.

use bulkhead_circuits::keys::{self, IpaParams};
use bulkhead_protocol::CircuitShape;
use thiserror::Error;

use crate::check::{check_bundle, BundleRefusal, Verified};
use crate::error::VerifyError;
use crate::keys::VerifierKeys;

/// Why an embedded verifier could not be set up. Nothing is half-built:
/// either a verifier for exactly the registered key exists, or this.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The parameter bytes are not halo2's own setup: a `k` outside the
    /// pinned range, another length, or another digest.
    #[error("parameters: {0}")]
    Params(#[from] ParamsError),
    /// The shape is invalid, the parameters are for another `k`, or the key
    /// bytes are not a key of this shape.
    #[error(transparent)]
    Keys(#[from] VerifyError),
    /// The key (derived or read) is not the registered one.
    #[error("verifying key digest {got} is not the registered {expected}", got = hex(got), expected = hex(expected))]
    DigestMismatch {
        /// The registered digest.
        expected: [u8; 32],
        /// The key's.
        got: [u8; 32],
    },
}

/// Verifies bundles of one registered `(shape, verifying-key digest)`.
pub struct BundleVerifier {
    keys: VerifierKeys,
}

impl BundleVerifier {
    /// A verifier from IPA parameter bytes (halo2's `Params::write`
    /// format, for the shape's `k`), deriving the verifying key, which must
    /// have `expected_digest`.
    pub fn derive(
        params: &[u8],
        shape: CircuitShape,
        expected_digest: [u8; 32],
    ) -> Result<Self, SetupError> {
        let params = read_params(params)?;
        Self::checked(VerifierKeys::from_params(shape, params)?, expected_digest)
    }

    /// A verifier from IPA parameter bytes and verifying-key bytes (as
    /// `bulkhead keys` writes them): no key derivation. The key read back
    /// must have `expected_digest`.
    pub fn with_key(
        params: &[u8],
        shape: CircuitShape,
        key: &[u8],
        expected_digest: [u8; 32],
    ) -> Result<Self, SetupError> {
        let params = read_params(params)?;
        Self::checked(
            VerifierKeys::from_key_bytes(shape, params, key)?,
            expected_digest,
        )
    }

    fn checked(keys: VerifierKeys, expected: [u8; 32]) -> Result<Self, SetupError> {
        if keys.vk_digest() != expected {
            return Err(SetupError::DigestMismatch {
                expected,
                got: keys.vk_digest(),
            });
        }
        Ok(Self { keys })
    }

    /// Every stateless check of one bundle (the same [`check_bundle`] the
    /// gate and `bulkhead verify` run): canonical decoding, the registered
    /// key, the proof length, the exits against the public inputs, every
    /// exit signature, and the proof.
    pub fn verify_bundle(&self, bytes: &[u8]) -> Result<Verified, BundleRefusal> {
        check_bundle(bytes, &self.keys)
    }

    /// The keys this verifier checks against.
    pub fn keys(&self) -> &VerifierKeys {
        &self.keys
    }
}

/// Why parameter bytes are not halo2's own setup for an embedded
/// verifier. Checked in this order, so a hostile header is refused before
/// anything is hashed or decoded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// Fewer than the four bytes that hold `k`.
    #[error("shorter than its header")]
    NoHeader,
    /// A `k` outside the pinned range.
    #[error("no pinned parameters for k = {k}; embedded verifiers take k = 8 to 16")]
    Unpinned {
        /// The `k` in the header.
        k: u32,
    },
    /// Another length than the setup for `k` has.
    #[error("{len} bytes, parameters for k = {k} have {expected}")]
    Length {
        /// The bytes given.
        len: usize,
        /// The `k` in the header.
        k: u32,
        /// The length of the setup for `k`.
        expected: usize,
    },
    /// The right length, but not the pinned digest: someone else's setup.
    #[error("not halo2's parameters for k = {k} (their digest is not the pinned one)")]
    Digest {
        /// The `k` in the header.
        k: u32,
    },
    /// halo2 could not decode them.
    #[error("{0}")]
    Read(#[source] std::io::Error),
}

/// Reads halo2 IPA parameters once [`check_params_bytes`] passes. Whether
/// they are for the shape's `k` is checked with the keys (one layout
/// pass, in `VerifierKeys`).
fn read_params(bytes: &[u8]) -> Result<IpaParams, SetupError> {
    check_params_bytes(bytes)?;
    Ok(IpaParams::read(&mut &bytes[..]).map_err(ParamsError::Read)?)
}

/// Checks that `bytes` are exactly halo2's setup for the `k` in their
/// first four bytes, without decoding a point: the `k` must be in the
/// pinned range and the length exact before anything is hashed, so a
/// hostile header cannot make halo2 reserve 2^k points; then the digest
/// must be the pinned one.
fn check_params_bytes(bytes: &[u8]) -> Result<(), SetupError> {
    let header: [u8; 4] = bytes
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or(ParamsError::NoHeader)?;
    let k = u32::from_le_bytes(header);
    let Some(pinned) = keys::pinned_params_digest(k) else {
        return Err(ParamsError::Unpinned { k }.into());
    };
    // k, then 2^k generators in monomial and in Lagrange form, then w and
    // u: compressed points of 32 bytes (k <= 16 here, so no overflow).
    let expected_len = 4 + ((2usize << k) + 2) * 32;
    if bytes.len() != expected_len {
        return Err(ParamsError::Length {
            len: bytes.len(),
            k,
            expected: expected_len,
        }
        .into());
    }
    // The verifying-key digest does not bind the parameters, and
    // generators with known discrete logarithms would let their author
    // forge proofs: only halo2's own setup for this k is accepted.
    if keys::params_digest(bytes) != pinned {
        return Err(ParamsError::Digest { k }.into());
    }
    Ok(())
}

fn hex(bytes: &[u8; 32]) -> String {
    bulkhead_protocol::hex::encode(bytes)
}

/// The verifying key of `keys` as bytes, for [`BundleVerifier::with_key`].
pub fn verifying_key_bytes(keys: &VerifierKeys) -> Vec<u8> {
    keys::verifying_key_bytes(keys.vk())
}

/// The files an embedder sets a verifier up from, by name: `params.bin`
/// (halo2's parameters), `key.bin` ([`verifying_key_bytes`]),
/// `shape.json` and `digest.txt` (the registered digest, hex). `bulkhead
/// keys` writes them; the wasm module and the web page read them. Refused
/// when the parameters are not ones [`BundleVerifier`] accepts (a `k`
/// beyond the pinned range), so nobody is handed files that cannot work.
pub fn key_files(keys: &VerifierKeys) -> Result<[(&'static str, Vec<u8>); 4], SetupError> {
    let mut params = Vec::new();
    keys.params()
        .write(&mut params)
        .expect("writing to a Vec cannot fail");
    check_params_bytes(&params)?;
    let shape = serde_json::to_vec(&keys.shape()).expect("a shape serializes");
    Ok([
        ("params.bin", params),
        ("key.bin", verifying_key_bytes(keys)),
        ("shape.json", shape),
        ("digest.txt", hex(&keys.vk_digest()).into_bytes()),
    ])
}
