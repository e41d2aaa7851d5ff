//! Proving keys of one shape, derived once per process, and the proving
//! engine: single proofs, and many proofs in flight on one rayon pool.

use bulkhead_circuits::circuit::ExitBatchCircuit;
use bulkhead_circuits::keys::{self, Affine, IpaParams};
use bulkhead_circuits::with_chips;
use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::instance::Instance;
use bulkhead_protocol::model::BatchOutcome;
use bulkhead_protocol::witness::BatchWitness;
use bulkhead_protocol::CircuitShape;
use halo2_proofs::plonk::{create_proof, keygen_pk, ProvingKey};
use halo2_proofs::transcript::{Blake2bWrite, Challenge255};
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;
use rayon::prelude::*;

use crate::params_cache::{ParamsCache, ParamsSource};
use crate::plan::PlannedBatch;
use crate::ProverError;

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
        let (params, params_source) = cache.load_for_shape(shape)?;
        let vk = keys::verifying_key(&params, shape)?;
        let digest = keys::vk_digest(&vk);
        let pk = with_chips!(shape.poseidon_chips, CHIPS => {
            let blank = ExitBatchCircuit::<CHIPS>::blank(shape)?;
            Ok::<_, ProverError>(keygen_pk(&params, vk, &blank)?)
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
            .map_err(ProverError::from)
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
            stream_id: planned.stream_id,
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
        on_done: impl Fn(usize, &[u8]) + Sync,
    ) -> Result<Vec<Vec<u8>>, ProverError> {
        let jobs: Vec<(&Instance, &BatchWitness)> =
            outcomes.iter().map(|o| (&o.instance, &o.witness)).collect();
        self.prove_jobs(&jobs, in_flight, threads, on_done)
    }

    /// Proves `(instance, witness)` jobs, `in_flight` at a time, on a pool
    /// of `threads` threads (0 = one per core) that halo2's own parallel
    /// loops share: rayon runs nested parallel work in the pool it was
    /// called from, so a pool smaller than the machine would also starve
    /// each proof. `on_done(index, proof)` runs as each proof is made (on
    /// a proving thread), so a caller can keep it before the run ends.
    /// Proofs come back in input order. `threads` and `in_flight` outside
    /// [`check_parallelism`]'s bounds are refused before any work.
    pub fn prove_jobs(
        &self,
        jobs: &[(&Instance, &BatchWitness)],
        in_flight: usize,
        threads: usize,
        on_done: impl Fn(usize, &[u8]) + Sync,
    ) -> Result<Vec<Vec<u8>>, ProverError> {
        check_parallelism(threads, in_flight)?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        pool.install(|| {
            let mut proofs = Vec::with_capacity(jobs.len());
            for (c, chunk) in jobs.chunks(in_flight).enumerate() {
                let done: Vec<Result<Vec<u8>, ProverError>> = chunk
                    .par_iter()
                    .enumerate()
                    .map(|(i, (instance, witness))| {
                        let proof = self.prove_witness(instance, witness)?;
                        on_done(c * in_flight + i, &proof);
                        Ok(proof)
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

/// Most proving threads per core: beyond a few per core, threads only
/// contend (proving is compute-bound), and a typo like `--threads 100000`
/// would otherwise start that many.
pub const MAX_THREADS_PER_CORE: usize = 4;
/// Most proofs in flight at once: each holds its own witness and
/// polynomials (hundreds of MB at the default shape).
pub const MAX_IN_FLIGHT: usize = 64;

/// Refuses a thread count (0 = one per core) above
/// [`MAX_THREADS_PER_CORE`] per core, or proofs in flight outside
/// `1..=`[`MAX_IN_FLIGHT`].
pub fn check_parallelism(threads: usize, in_flight: usize) -> Result<(), ProverError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max_threads = cores * MAX_THREADS_PER_CORE;
    if threads > max_threads {
        return Err(ProverError::Parallelism {
            what: "threads",
            value: threads,
            min: 0,
            max: max_threads,
            cores,
        });
    }
    if !(1..=MAX_IN_FLIGHT).contains(&in_flight) {
        return Err(ProverError::Parallelism {
            what: "in_flight",
            value: in_flight,
            min: 1,
            max: MAX_IN_FLIGHT,
            cores,
        });
    }
    Ok(())
}
