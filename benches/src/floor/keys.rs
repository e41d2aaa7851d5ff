//! Keys and proofs of a shape's Poseidon-only floor
//! ([`super::PoseidonFloorCircuit`]): what `bulkhead bench` proves beside
//! each point to say how far the statement is from its hashing alone.

use bulkhead_circuits::keys::{Affine, IpaParams};
use bulkhead_circuits::with_chips;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::CircuitShape;
use halo2_proofs::plonk::SingleVerifier;
use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk, verify_proof, ProvingKey};
use halo2_proofs::transcript::{Blake2bRead, Blake2bWrite, Challenge255};
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;

use bulkhead_prover::{ParamsCache, ProverError};

use super::PoseidonFloorCircuit;

/// The floor circuit has no instance column.
const NO_INSTANCE: &[&[Fp]] = &[];

/// Proving key of the Poseidon floor of one shape.
pub struct PoseidonFloorKeys {
    shape: CircuitShape,
    params: IpaParams,
    pk: ProvingKey<Affine>,
    k: u32,
}

impl PoseidonFloorKeys {
    /// Lays out the floor of `shape`, loads parameters for its `k` from
    /// `cache` and derives its keys.
    pub fn load(shape: CircuitShape, cache: &ParamsCache) -> Result<Self, ProverError> {
        with_chips!(shape.poseidon_chips, CHIPS => {
            let circuit = PoseidonFloorCircuit::<CHIPS>::for_shape(shape)?;
            let k = circuit.k()?;
            let (params, _) = cache.load_or_create(k)?;
            let vk = keygen_vk(&params, &circuit)?;
            let pk = keygen_pk(&params, vk, &circuit)?;
            Ok(Self { shape, params, pk, k })
        })
    }

    /// The floor circuit's `k` (at most the exit-batch circuit's).
    pub fn k(&self) -> u32 {
        self.k
    }

    /// One proof of the floor circuit.
    pub fn prove(&self) -> Result<Vec<u8>, ProverError> {
        let mut transcript = Blake2bWrite::<_, Affine, Challenge255<_>>::init(vec![]);
        with_chips!(self.shape.poseidon_chips, CHIPS => {
            let circuit = PoseidonFloorCircuit::<CHIPS>::for_shape(self.shape)?;
            create_proof(
                &self.params,
                &self.pk,
                &[circuit],
                &[NO_INSTANCE],
                UnwrapErr(SysRng),
                &mut transcript,
            )
            .map_err(ProverError::from)
        })?;
        Ok(transcript.finalize())
    }

    /// Verifies a floor proof, so a benchmark never times a proof that
    /// would not verify.
    pub fn verify(&self, proof: &[u8]) -> Result<(), ProverError> {
        let strategy = SingleVerifier::new(&self.params);
        let mut transcript = Blake2bRead::<_, Affine, Challenge255<_>>::init(proof);
        verify_proof(
            &self.params,
            self.pk.get_vk(),
            strategy,
            &[NO_INSTANCE],
            &mut transcript,
        )?;
        Ok(())
    }
}
