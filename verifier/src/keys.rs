//! Verification material for one circuit shape: parameters, verifying key
//! and its digest, and single or batch verification of proofs.

use bulkhead_circuits::keys::{self, Affine, IpaParams, VerifyingKeyOf};
use bulkhead_protocol::instance::Instance;
use bulkhead_protocol::CircuitShape;
#[cfg(feature = "batch")]
use halo2_proofs::plonk::BatchVerifier;
use halo2_proofs::plonk::{verify_proof, SingleVerifier};
use halo2_proofs::transcript::{Blake2bRead, Challenge255};

use crate::error::VerifyError;

/// Verification material for one circuit shape.
pub struct VerifierKeys {
    shape: CircuitShape,
    params: IpaParams,
    vk: VerifyingKeyOf,
    digest: [u8; 32],
    proof_len: usize,
}

impl VerifierKeys {
    /// Derives the verifying key of `shape` from parameters the caller
    /// holds (read from the prover's cache, or handed over as bytes): no
    /// file system here. The shape is validated before any key work, and
    /// `params` must be for [`keys::k_for`]`(shape)`.
    pub fn from_params(shape: CircuitShape, params: IpaParams) -> Result<Self, VerifyError> {
        params_fit(shape, &params)?;
        let vk = keys::verifying_key(&params, shape)?;
        Self::from_key(shape, params, vk)
    }

    /// Reads the verifying key of `shape` from bytes (as
    /// [`keys::verifying_key_bytes`] writes them) instead of deriving it.
    /// The caller checks [`Self::vk_digest`] against the registered digest:
    /// bytes that lay out as a key of this shape but hold other commitments
    /// give another digest.
    pub fn from_key_bytes(
        shape: CircuitShape,
        params: IpaParams,
        key: &[u8],
    ) -> Result<Self, VerifyError> {
        params_fit(shape, &params)?;
        let vk = keys::read_verifying_key(&params, shape, key)?;
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
        // The key's own k (the params must be those it was derived with):
        // no second layout pass to find it.
        let proof_len = bulkhead_circuits::cost::proof_bytes(shape, params.k())?;
        Ok(Self {
            shape,
            params,
            vk,
            digest,
            proof_len,
        })
    }

    /// The shape.
    pub fn shape(&self) -> CircuitShape {
        self.shape
    }

    /// The IPA parameters.
    pub fn params(&self) -> &IpaParams {
        &self.params
    }

    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKeyOf {
        &self.vk
    }

    /// The verifying-key digest.
    pub fn vk_digest(&self) -> [u8; 32] {
        self.digest
    }

    /// The exact length of every proof of this shape.
    pub fn proof_len(&self) -> usize {
        self.proof_len
    }

    /// Whether these keys are the ones registered as `(shape, digest)`.
    pub fn is(&self, shape: CircuitShape, digest: &[u8; 32]) -> bool {
        self.shape == shape && &self.digest == digest
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
        .map_err(|source| VerifyError::InvalidProof {
            index,
            source: Some(source),
        })
    }

    #[cfg(feature = "batch")]
    /// Whether every proof of `items` verifies, checked together with one
    /// multi-scalar multiplication (halo2's batch verifier, which draws
    /// its random combination from the operating system). `false` says
    /// only that at least one does not.
    pub fn verify_batch_only<'a>(
        &self,
        items: impl IntoIterator<Item = (&'a Instance, &'a [u8])>,
    ) -> bool {
        let mut batch = BatchVerifier::<Affine>::new();
        for (instance, proof) in items {
            // halo2's batch verifier owns its proofs: one copy each.
            batch.add_proof(
                vec![vec![instance.to_halo2_instance().to_vec()]],
                proof.to_vec(),
            );
        }
        batch.finalize(&self.params, &self.vk)
    }

    #[cfg(feature = "batch")]
    /// Verifies many proofs with one multi-scalar multiplication; if the
    /// batch fails, verifies them one by one to name the first bad one.
    pub fn verify_batch(&self, items: &[(Instance, Vec<u8>)]) -> Result<(), VerifyError> {
        if self.verify_batch_only(items.iter().map(|(i, p)| (i, p.as_slice()))) {
            return Ok(());
        }
        for (index, (instance, proof)) in items.iter().enumerate() {
            self.verify_indexed(index, instance, proof)?;
        }
        // The batch check failed but each proof passed alone: report the
        // batch rather than accept it.
        Err(VerifyError::InvalidProof {
            index: 0,
            source: None,
        })
    }
}

/// Checks that `shape` is valid and `params` are for its `k`, before any
/// key work.
fn params_fit(shape: CircuitShape, params: &IpaParams) -> Result<(), VerifyError> {
    shape.validate()?;
    let k = keys::k_for(shape)?;
    if params.k() != k {
        return Err(VerifyError::ParamsForOtherK {
            shape,
            expected: k,
            got: params.k(),
        });
    }
    Ok(())
}
