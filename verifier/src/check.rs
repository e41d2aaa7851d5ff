//! Every stateless check of a bundle, in one place: canonical decoding, the
//! verifying-key digest, the plaintext exits against the public inputs, the
//! exit signatures, and the proof. `bulkhead verify`, the gate and embedded
//! verifiers all call this; the gate adds only its stateful follow rules.

use bulkhead_protocol::bundle::{Bundle, BundleError};
use bulkhead_protocol::CircuitShape;
use thiserror::Error;

use crate::keys::VerifierKeys;
use crate::signatures;

/// Why a bundle fails a stateless check. Labels name the rule (DESIGN,
/// G1 and G4) so that every verifier reports a refusal the same way.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BundleRefusal {
    /// The bytes are not one canonical bundle.
    #[error("malformed bundle: {0}")]
    Malformed(#[from] BundleError),
    /// G1: the bundle's shape or verifying-key digest is not the one these
    /// keys verify.
    #[error("G1: the bundle is for shape {shape} with another verifying key than this verifier's")]
    WrongKey {
        /// The bundle's shape.
        shape: CircuitShape,
        /// The bundle's digest.
        digest: [u8; 32],
    },
    /// G1: the proof is not exactly as long as every proof of its shape
    /// (junk appended inside the proof would otherwise give one bundle
    /// many encodings: halo2 ignores transcript bytes it never reads).
    #[error("G1: proof of {got} bytes, every proof of this shape has {expected}")]
    ProofLength {
        /// The shape's proof length.
        expected: usize,
        /// The bundle's.
        got: usize,
    },
    /// G4: the plaintext exits do not hash to EXITS_ROOT, TOTAL, EXIT_COUNT.
    #[error("G4: plaintext exits do not match the public inputs")]
    ExitsMismatch,
    /// G4: an exit signature does not verify.
    #[error("G4: signature of exit {0} does not verify")]
    BadSignature(usize),
    /// G1: the proof does not verify.
    #[error("G1: proof does not verify")]
    InvalidProof,
}

impl BundleRefusal {
    /// A short stable label for counting refusals by reason.
    pub fn label(&self) -> &'static str {
        match self {
            BundleRefusal::Malformed(_) => "malformed",
            BundleRefusal::WrongKey { .. } => "G1 unregistered",
            BundleRefusal::ProofLength { .. } => "G1 proof length",
            BundleRefusal::ExitsMismatch => "G4 exits",
            BundleRefusal::BadSignature(_) => "G4 signature",
            BundleRefusal::InvalidProof => "G1 invalid proof",
        }
    }
}

/// A bundle that passed every stateless check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The decoded bundle.
    pub bundle: Bundle,
}

/// Decodes `bytes` and runs every stateless check against `keys`.
pub fn check_bundle(bytes: &[u8], keys: &VerifierKeys) -> Result<Verified, BundleRefusal> {
    let bundle = Bundle::from_bytes(bytes)?;
    check_decoded(&bundle, keys)?;
    Ok(Verified { bundle })
}

/// The checks after decoding, cheapest first: digest, proof length, exits
/// against the public inputs, signatures, and last the proof (the
/// expensive one).
pub fn check_decoded(bundle: &Bundle, keys: &VerifierKeys) -> Result<(), BundleRefusal> {
    if !keys.is(bundle.shape, &bundle.vk_digest) {
        return Err(BundleRefusal::WrongKey {
            shape: bundle.shape,
            digest: bundle.vk_digest,
        });
    }
    if bundle.proof.len() != keys.proof_len() {
        return Err(BundleRefusal::ProofLength {
            expected: keys.proof_len(),
            got: bundle.proof.len(),
        });
    }
    if !bundle.exits_match_public_inputs() {
        return Err(BundleRefusal::ExitsMismatch);
    }
    signatures::verify_exit_signatures(bundle).map_err(BundleRefusal::BadSignature)?;
    keys.verify(&bundle.instance, &bundle.proof)
        .map_err(|_| BundleRefusal::InvalidProof)
}
