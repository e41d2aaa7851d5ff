//! The receiving side of Bulkhead: verifying keys derived from a circuit
//! shape, and verification of exit-batch proofs, one at a time or many at
//! once with halo2's batch verifier.
//!
//! Depends on `bulkhead-circuits` only, never on the prover.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod gate;
pub use bulkhead_circuits::serde_hex as serde_fp;
pub mod signatures;

use bulkhead_circuits::cost;
use bulkhead_circuits::instance::Instance;
use bulkhead_circuits::keys::{self, Affine, IpaParams, ParamsCache, VerifyingKeyOf};
use bulkhead_circuits::CircuitShape;
use halo2_proofs::plonk::{verify_proof, BatchVerifier, SingleVerifier};
use halo2_proofs::transcript::{Blake2bRead, Challenge255};

/// Why a proof or a set of proofs was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The shape is invalid or its keys could not be derived.
    #[error(transparent)]
    Circuit(#[from] bulkhead_circuits::Error),
    /// The proof does not verify against these public inputs and this key.
    #[error("proof {index} does not verify: {reason}")]
    InvalidProof {
        /// Position of the proof in the batch (0 for a single proof).
        index: usize,
        /// halo2's reason.
        reason: String,
    },
}

/// Verification material for one circuit shape.
pub struct VerifierKeys {
    shape: CircuitShape,
    params: IpaParams,
    vk: VerifyingKeyOf,
    digest: [u8; 32],
}

impl VerifierKeys {
    /// Validates `shape` (before any key work), loads its parameters from
    /// `cache` and derives the verifying key.
    pub fn load(shape: CircuitShape, cache: &ParamsCache) -> Result<Self, VerifyError> {
        shape.validate()?;
        let k = cost::measure(shape)?.k;
        let (params, _) = cache.load_or_create(k)?;
        Self::from_params(shape, params)
    }

    /// Derives the verifying key of `shape` from parameters already at hand.
    pub fn from_params(shape: CircuitShape, params: IpaParams) -> Result<Self, VerifyError> {
        let vk = keys::verifying_key(&params, shape)?;
        Self::from_key(shape, params, vk)
    }

    /// Wraps a verifying key already derived for `shape` (e.g. by a prover
    /// in the same process), so it is not derived twice.
    pub fn from_key(
        shape: CircuitShape,
        params: IpaParams,
        vk: VerifyingKeyOf,
    ) -> Result<Self, VerifyError> {
        shape.validate()?;
        let digest = keys::vk_digest(&vk);
        Ok(Self {
            shape,
            params,
            vk,
            digest,
        })
    }

    /// The shape.
    pub fn shape(&self) -> CircuitShape {
        self.shape
    }

    /// The verifying-key digest.
    pub fn vk_digest(&self) -> [u8; 32] {
        self.digest
    }

    /// Verifies one proof against its public inputs.
    pub fn verify(&self, instance: &Instance, proof: &[u8]) -> Result<(), VerifyError> {
        self.verify_indexed(0, instance, proof)
    }

    fn verify_indexed(
        &self,
        index: usize,
        instance: &Instance,
        proof: &[u8],
    ) -> Result<(), VerifyError> {
        let public = instance.to_halo2_instance();
        let mut transcript = Blake2bRead::<_, Affine, Challenge255<_>>::init(proof);
        verify_proof(
            &self.params,
            &self.vk,
            SingleVerifier::new(&self.params),
            &[&[&public[..]]],
            &mut transcript,
        )
        .map_err(|e| VerifyError::InvalidProof {
            index,
            reason: format!("{e:?}"),
        })
    }

    /// Verifies many proofs with one multi-scalar multiplication; if the
    /// batch fails, verifies them one by one to name the first bad one.
    pub fn verify_batch(&self, items: &[(Instance, Vec<u8>)]) -> Result<(), VerifyError> {
        let mut batch = BatchVerifier::<Affine>::new();
        for (instance, proof) in items {
            batch.add_proof(
                vec![vec![instance.to_halo2_instance().to_vec()]],
                proof.clone(),
            );
        }
        if batch.finalize(&self.params, &self.vk) {
            return Ok(());
        }
        for (index, (instance, proof)) in items.iter().enumerate() {
            self.verify_indexed(index, instance, proof)?;
        }
        // The batch check failed but each proof passed alone: report the
        // batch rather than accept it.
        Err(VerifyError::InvalidProof {
            index: 0,
            reason: "batch check failed although each proof verified alone".into(),
        })
    }
}
