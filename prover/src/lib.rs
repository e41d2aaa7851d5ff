//! The relayer side of Bulkhead: proving keys for a circuit shape, proofs of
//! single batches, and runs of chained batches proven in parallel.
//!
//! A run is planned natively first (every intermediate state, public input
//! and witness, which is cheap), then its batches are proven side by side
//! on a rayon pool; each proof also uses halo2's own multicore paths.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use bulkhead_circuits::bundle::{exit_message, Bundle, SignedExit};
use bulkhead_circuits::circuit::ExitBatchCircuit;
use bulkhead_circuits::cost;
use bulkhead_circuits::hash::{owner_of_key, Fp};
use bulkhead_circuits::instance::Instance;
use bulkhead_circuits::keys::{self, Affine, IpaParams, ParamsCache, ParamsSource};
use bulkhead_circuits::model::{BatchOutcome, BatchRequest, ExitRequest, SegmentState};
use bulkhead_circuits::witness::BatchWitness;
use bulkhead_circuits::{with_chips, CircuitShape};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
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
    /// Exit `slot` of batch `batch` is signed by a key that does not own
    /// the account, or its signature does not verify.
    #[error("batch {batch}, exit {slot}: {reason}")]
    Unauthorised {
        /// Position of the batch in the run.
        batch: usize,
        /// Slot of the exit.
        slot: usize,
        /// Which check failed.
        reason: &'static str,
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
        self.prove_witness(&outcome.instance, &outcome.witness)
    }

    /// Proves a witness against a claimed instance, as given: no check that
    /// they agree (a cheating witness yields a proof that does not verify).
    /// Honest callers use [`ProverKeys::prove`]; this exists for tools that
    /// must show what a forged witness produces.
    pub fn prove_witness(
        &self,
        instance: &Instance,
        witness: &BatchWitness,
    ) -> Result<Vec<u8>, ProverError> {
        let public = instance.to_halo2_instance();
        let mut transcript = Blake2bWrite::<_, Affine, Challenge255<_>>::init(vec![]);
        with_chips!(self.shape.poseidon_chips, CHIPS => {
            let circuit = ExitBatchCircuit::<CHIPS>::new(self.shape, witness.clone())?;
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

    /// The bundle of a planned batch and its proof.
    pub fn bundle(&self, planned: &PlannedBatch, proof: Vec<u8>) -> Bundle {
        Bundle {
            shape: self.shape,
            vk_digest: self.digest,
            instance: planned.outcome.instance,
            proof,
            exits: planned.exits.clone(),
        }
    }

    /// Proves `outcomes`, `in_flight` at a time, on a pool of `threads`
    /// threads (0 = one per core). See [`ProverKeys::prove_jobs`].
    pub fn prove_run(
        &self,
        outcomes: &[BatchOutcome],
        in_flight: usize,
        threads: usize,
        on_done: impl Fn(usize) + Sync,
    ) -> Result<Vec<Vec<u8>>, ProverError> {
        let jobs: Vec<(&Instance, &BatchWitness)> =
            outcomes.iter().map(|o| (&o.instance, &o.witness)).collect();
        self.prove_jobs(&jobs, in_flight, threads, on_done)
    }

    /// Proves `(instance, witness)` jobs, `in_flight` at a time, on a pool
    /// of `threads` threads (0 = one per core) that halo2's own parallel
    /// loops share: rayon runs nested parallel work in the pool it was
    /// called from, so a pool smaller than the machine would also starve
    /// each proof. Proofs come back in input order.
    pub fn prove_jobs(
        &self,
        jobs: &[(&Instance, &BatchWitness)],
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
            let mut proofs = Vec::with_capacity(jobs.len());
            for (c, chunk) in jobs.chunks(in_flight).enumerate() {
                let done: Vec<Result<Vec<u8>, ProverError>> = chunk
                    .par_iter()
                    .enumerate()
                    .map(|(i, (instance, witness))| {
                        let proof = self.prove_witness(instance, witness);
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

/// An exit request signed by the account's owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedExitRequest {
    /// The request.
    pub request: ExitRequest,
    /// The owner's Ed25519 public key.
    pub public_key: [u8; 32],
    /// Signature over the exit message (lane, nonce, recipient, amount).
    pub signature: [u8; 64],
}

/// A batch of signed exits on one lane in one epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedBatch {
    /// Destination segment.
    pub dst: u64,
    /// Asset.
    pub asset: u64,
    /// Epoch.
    pub epoch: u64,
    /// Signed exits in slot order.
    pub exits: Vec<SignedExitRequest>,
}

impl SignedBatch {
    /// The unsigned request the native model applies.
    pub fn request(&self) -> BatchRequest {
        BatchRequest {
            dst: self.dst,
            asset: self.asset,
            epoch: self.epoch,
            exits: self.exits.iter().map(|e| e.request).collect(),
        }
    }
}

/// A batch applied by the model, with its authorised plaintext exits.
#[derive(Clone, Debug)]
pub struct PlannedBatch {
    /// Public inputs, witness and exit records.
    pub outcome: BatchOutcome,
    /// The exits as they go into the bundle.
    pub exits: Vec<SignedExit>,
}

/// Signs an exit as the account owner would: `secret` is the owner's
/// Ed25519 secret key; the nonce is the account's nonce at this exit.
pub fn sign_exit(
    secret: &[u8; 32],
    lane_id: &Fp,
    nonce: u64,
    recipient: &Fp,
    amount: u64,
) -> [u8; 64] {
    let key = SigningKey::from_bytes(secret);
    key.sign(&exit_message(lane_id, nonce, recipient, amount))
        .to_bytes()
}

/// The Ed25519 public key of `secret`.
pub fn public_key(secret: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(secret).verifying_key().to_bytes()
}

/// Plans a run of signed batches: applies each with the native model (on a
/// copy of `state`) and checks every exit's authorisation — the key must
/// hash to the account's owner and sign the exit's lane, nonce, recipient
/// and amount. All or nothing: on the first refusal nothing is changed,
/// nothing is proven.
pub fn plan_signed_run(
    state: &mut SegmentState,
    batches: &[SignedBatch],
    shape: &CircuitShape,
) -> Result<Vec<PlannedBatch>, ProverError> {
    let requests: Vec<BatchRequest> = batches.iter().map(SignedBatch::request).collect();
    let mut scratch = state.clone();
    let outcomes = plan_run(&mut scratch, &requests, shape)?;
    let planned = outcomes
        .into_iter()
        .zip(batches)
        .enumerate()
        .map(|(b, (outcome, batch))| {
            let lane_id = bulkhead_circuits::hash::lane_id(
                Fp::from(state.id()),
                Fp::from(batch.dst),
                Fp::from(batch.asset),
            );
            let exits = outcome
                .exits
                .iter()
                .zip(&batch.exits)
                .enumerate()
                .map(|(slot, (record, signed))| {
                    let refuse = |reason| ProverError::Unauthorised {
                        batch: b,
                        slot,
                        reason,
                    };
                    if owner_of_key(&signed.public_key) != record.owner {
                        return Err(refuse("the key does not own the account"));
                    }
                    let key = VerifyingKey::from_bytes(&signed.public_key)
                        .map_err(|_| refuse("not an Ed25519 public key"))?;
                    let message =
                        exit_message(&lane_id, record.nonce, &record.recipient, record.amount);
                    key.verify_strict(&message, &Signature::from_bytes(&signed.signature))
                        .map_err(|_| refuse("the signature does not verify"))?;
                    Ok(SignedExit {
                        public_key: signed.public_key,
                        nonce: record.nonce,
                        recipient: record.recipient,
                        amount: record.amount,
                        signature: signed.signature,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(PlannedBatch { outcome, exits })
        })
        .collect::<Result<Vec<_>, ProverError>>()?;
    *state = scratch;
    Ok(planned)
}
