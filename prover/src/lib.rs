//! The relayer side of Bulkhead: proving keys for a circuit shape, proofs of
//! single batches, and runs of chained batches proven in parallel.
//!
//! A run is planned natively first (every intermediate state, public input
//! and witness, which is cheap), then its batches are proven side by side
//! on a rayon pool; each proof also uses halo2's own multicore paths.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use bulkhead_circuits::circuit::ExitBatchCircuit;
use bulkhead_circuits::cost;
use bulkhead_circuits::keys::{self, Affine, IpaParams, ParamsCache, ParamsSource};
use bulkhead_circuits::model::{BatchOutcome, BatchRequest, SegmentState};
use bulkhead_circuits::{with_chips, CircuitShape};
use halo2_proofs::plonk::{create_proof, keygen_pk, ProvingKey};
use halo2_proofs::transcript::{Blake2bWrite, Challenge255};
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;
use rayon::prelude::*;

/// Everything that can stop proving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProverError {
    /// The model or the key material refused.
    #[error(transparent)]
    Circuit(#[from] bulkhead_circuits::Error),
    /// Batch `index` of a run was refused by the native model.
    #[error("batch {index}: {source}")]
    Batch {
        /// Position of the batch in the run.
        index: usize,
        /// The model's reason.
        source: bulkhead_circuits::Error,
    },
    /// halo2 failed to build a proof.
    #[error("halo2 proving failed: {0}")]
    Halo2(String),
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    Pool(String),
}

/// Proving material for one circuit shape, derived once per process.
pub struct ProverKeys {
    shape: CircuitShape,
    params: IpaParams,
    pk: ProvingKey<Affine>,
    digest: [u8; 32],
    params_source: ParamsSource,
}

impl ProverKeys {
    /// Loads parameters from `cache` (building them on first use) and derives
    /// the proving and verifying keys of `shape`.
    pub fn load(shape: CircuitShape, cache: &ParamsCache) -> Result<Self, ProverError> {
        let k = cost::measure(shape)?.k;
        let (params, params_source) = cache.load_or_create(k)?;
        let vk = keys::verifying_key(&params, shape)?;
        let digest = keys::vk_digest(&vk);
        let pk = with_chips!(shape.poseidon_chips, CHIPS => {
            let blank = ExitBatchCircuit::<CHIPS>::blank(shape)?;
            keygen_pk(&params, vk, &blank).map_err(|e| ProverError::Halo2(e.to_string()))
        })?;
        Ok(Self {
            shape,
            params,
            pk,
            digest,
            params_source,
        })
    }

    /// The shape these keys prove.
    pub fn shape(&self) -> CircuitShape {
        self.shape
    }

    /// The IPA parameters.
    pub fn params(&self) -> &IpaParams {
        &self.params
    }

    /// The verifying key the proving key was derived with.
    pub fn verifying_key(&self) -> &keys::VerifyingKeyOf {
        self.pk.get_vk()
    }

    /// The verifying-key digest ([`keys::vk_digest`]).
    pub fn vk_digest(&self) -> [u8; 32] {
        self.digest
    }

    /// Whether the parameters came from the cache or were built.
    pub fn params_source(&self) -> ParamsSource {
        self.params_source
    }

    /// Proves one applied batch; returns the proof bytes.
    pub fn prove(&self, outcome: &BatchOutcome) -> Result<Vec<u8>, ProverError> {
        let public = outcome.instance.to_halo2_instance();
        let mut transcript = Blake2bWrite::<_, Affine, Challenge255<_>>::init(vec![]);
        with_chips!(self.shape.poseidon_chips, CHIPS => {
            let circuit = ExitBatchCircuit::<CHIPS>::new(self.shape, outcome.witness.clone())?;
            create_proof(
                &self.params,
                &self.pk,
                &[circuit],
                &[&[&public[..]]],
                UnwrapErr(SysRng),
                &mut transcript,
            )
            .map_err(|e| ProverError::Halo2(e.to_string()))
        })?;
        Ok(transcript.finalize())
    }

    /// Proves `outcomes`, `in_flight` at a time, on a pool of
    /// `threads` threads (0 = one per core) that halo2's own parallel
    /// loops share: rayon runs nested parallel work in the pool it was
    /// called from, so a pool smaller than the machine would also starve
    /// each proof. Proofs come back in input order.
    pub fn prove_run(
        &self,
        outcomes: &[BatchOutcome],
        in_flight: usize,
        threads: usize,
        on_done: impl Fn(usize) + Sync,
    ) -> Result<Vec<Vec<u8>>, ProverError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| ProverError::Pool(e.to_string()))?;
        let in_flight = in_flight.max(1);
        pool.install(|| {
            let mut proofs = Vec::with_capacity(outcomes.len());
            for (c, chunk) in outcomes.chunks(in_flight).enumerate() {
                let done: Vec<Result<Vec<u8>, ProverError>> = chunk
                    .par_iter()
                    .enumerate()
                    .map(|(i, outcome)| {
                        let proof = self.prove(outcome);
                        on_done(c * in_flight + i);
                        proof
                    })
                    .collect();
                for proof in done {
                    proofs.push(proof?);
                }
            }
            Ok(proofs)
        })
    }
}

/// Applies `requests` one after another to `state` with the native model,
/// returning every batch's public inputs and witness. All-or-nothing: on the
/// first refused batch, `state` is left as it was before the run.
pub fn plan_run(
    state: &mut SegmentState,
    requests: &[BatchRequest],
    shape: &CircuitShape,
) -> Result<Vec<BatchOutcome>, ProverError> {
    let mut scratch = state.clone();
    let outcomes = requests
        .iter()
        .enumerate()
        .map(|(index, request)| {
            scratch
                .apply_exits(request, shape)
                .map_err(|source| ProverError::Batch { index, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    *state = scratch;
    Ok(outcomes)
}
