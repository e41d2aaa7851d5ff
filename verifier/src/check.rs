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
    /// The follow rule that refused the bundle; `None` for one that does
    /// not decode.
    pub fn rule(&self) -> Option<crate::gate::GateRule> {
        use crate::gate::GateRule;
        match self {
            BundleRefusal::Malformed(_) => None,
            BundleRefusal::WrongKey { .. }
            | BundleRefusal::ProofLength { .. }
            | BundleRefusal::InvalidProof => Some(GateRule::G1),
            BundleRefusal::ExitsMismatch | BundleRefusal::BadSignature(_) => Some(GateRule::G4),
        }
    }

    /// A stable numeric code for hosts that see only a number (the wasm
    /// contract interface): 1 malformed, 2 unregistered key, 3 proof
    /// length, 4 exits, 5 signature, 6 invalid proof. 0 is "accepted".
    pub fn code(&self) -> i32 {
        match self {
            BundleRefusal::Malformed(_) => 1,
            BundleRefusal::WrongKey { .. } => 2,
            BundleRefusal::ProofLength { .. } => 3,
            BundleRefusal::ExitsMismatch => 4,
            BundleRefusal::BadSignature(_) => 5,
            BundleRefusal::InvalidProof => 6,
        }
    }

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

/// A bundle that passed every stateless check. Only this module makes
/// one, so holding a `Verified` is proof that the checks ran: the gate
/// relies on it to skip re-verifying a proof that was checked in a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    bundle: Bundle,
}

impl Verified {
    /// The checked bundle.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The checked bundle, by value.
    pub fn into_bundle(self) -> Bundle {
        self.bundle
    }
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
    check_all_but_proof(bundle, keys)?;
    keys.verify(&bundle.instance, &bundle.proof)
        .map_err(|_| BundleRefusal::InvalidProof)
}

/// Every check but the proof's.
fn check_all_but_proof(bundle: &Bundle, keys: &VerifierKeys) -> Result<(), BundleRefusal> {
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
    signatures::verify_exit_signatures(bundle).map_err(BundleRefusal::BadSignature)
}

#[cfg(feature = "batch")]
/// Runs every stateless check on many decoded bundles, verifying the
/// proofs of each key's bundles together in one batch (one multi-scalar
/// multiplication instead of one per proof). If a batch fails, its proofs
/// are verified one by one, so each bundle gets its own verdict and the
/// bad one is named; a bundle is `Verified` only if its proof passed a
/// batch it belongs to or passed alone. `keys` holds one key per
/// registered shape; a bundle for none of them is refused as `WrongKey`.
/// Verdicts come back in the order of `bundles`.
pub fn check_bundles(
    bundles: Vec<Bundle>,
    keys: &[VerifierKeys],
) -> Vec<Result<Verified, BundleRefusal>> {
    let stateless = stateless_checks(&bundles, keys);
    let mut verdicts: Vec<Option<Result<Verified, BundleRefusal>>> = Vec::new();
    // Per key: (index in `bundles`, bundle) awaiting the proof check.
    let mut pending: Vec<Vec<(usize, Bundle)>> = keys.iter().map(|_| Vec::new()).collect();
    for (index, (bundle, checked)) in bundles.into_iter().zip(stateless).enumerate() {
        let verdict = match checked {
            Err(refusal) => Some(Err(refusal)),
            Ok(k) => {
                pending[k].push((index, bundle));
                None
            }
        };
        verdicts.push(verdict);
    }
    for (key, group) in keys.iter().zip(pending) {
        let all_valid = !group.is_empty()
            && key.verify_batch_only(group.iter().map(|(_, b)| (&b.instance, b.proof.as_slice())));
        for (index, bundle) in group {
            let verdict = if all_valid || key.verify(&bundle.instance, &bundle.proof).is_ok() {
                Ok(Verified { bundle })
            } else {
                Err(BundleRefusal::InvalidProof)
            };
            verdicts[index] = Some(verdict);
        }
    }
    verdicts
        .into_iter()
        .map(|v| v.unwrap_or(Err(BundleRefusal::InvalidProof)))
        .collect()
}

#[cfg(feature = "batch")]
/// Every check but the proof's, for each bundle: the index of its key in
/// `keys`, or why it is refused. The checks of different bundles are
/// independent (native hashing of the exits, strict signature checks: most
/// of a bundle's own cost once proofs are batched), so with `multicore`
/// they run side by side; verdicts keep the order of `bundles`.
fn stateless_checks(
    bundles: &[Bundle],
    keys: &[VerifierKeys],
) -> Vec<Result<usize, BundleRefusal>> {
    let check = |bundle: &Bundle| {
        let k = keys
            .iter()
            .position(|k| k.is(bundle.shape, &bundle.vk_digest))
            .ok_or(BundleRefusal::WrongKey {
                shape: bundle.shape,
                digest: bundle.vk_digest,
            })?;
        check_all_but_proof(bundle, &keys[k]).map(|()| k)
    };
    #[cfg(feature = "multicore")]
    {
        use rayon::prelude::*;
        bundles.par_iter().map(check).collect()
    }
    #[cfg(not(feature = "multicore"))]
    {
        bundles.iter().map(check).collect()
    }
}
