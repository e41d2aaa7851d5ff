//! The verifying key of a shape, the `k` it needs, and its stable digest.
//!
//! halo2_proofs 0.4 cannot serialize proving or verifying keys; both are
//! derived from the shape at start-up and named by [`vk_digest`]. The IPA
//! parameters they need come from whoever holds them (the prover's disk
//! cache, or bytes handed to an embedded verifier): nothing here touches a
//! file system.

use halo2_proofs::plonk::{keygen_vk, VerifyingKey};
use halo2_proofs::poly::commitment::Params;
use pasta_curves::vesta;

use bulkhead_protocol::shape::CircuitShape;

use crate::circuit::ExitBatchCircuit;
use crate::error::Error;
use crate::layout::layout;
use crate::with_chips;

/// The commitment curve: Vesta, whose scalar field is the Pallas base field.
pub type Affine = vesta::Affine;
/// IPA commitment parameters.
pub type IpaParams = Params<Affine>;
/// A verifying key of the exit-batch circuit.
pub type VerifyingKeyOf = VerifyingKey<Affine>;

/// The `k` (log2 of the rows) the exit-batch circuit of `shape` needs:
/// one layout pass of the blank circuit, no probe circuits.
pub fn k_for(shape: CircuitShape) -> Result<u32, Error> {
    Ok(layout(shape)?.k)
}

/// Derives the verifying key of `shape` (seconds at the default shape).
/// `params` must be for [`k_for`]`(shape)`.
pub fn verifying_key(params: &IpaParams, shape: CircuitShape) -> Result<VerifyingKeyOf, Error> {
    shape.validate()?;
    with_chips!(shape.poseidon_chips, CHIPS => {
        Ok(keygen_vk(params, &ExitBatchCircuit::<CHIPS>::blank(shape)?)?)
    })
}

/// A verifying key's stable name: Blake2b-256 over halo2's pinned
/// description of the key (domain, constraint system, fixed commitments,
/// permutation), the same content halo2 hashes into every transcript.
pub fn vk_digest(vk: &VerifyingKeyOf) -> [u8; 32] {
    let pinned = format!("{:?}", vk.pinned());
    let hash = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"Bulkhead_VK_v1__")
        .hash(pinned.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(hash.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_agrees_with_the_size_report() {
        for shape in [CircuitShape::TINY, CircuitShape::DEFAULT] {
            assert_eq!(
                k_for(shape).unwrap(),
                crate::cost::measure(shape).unwrap().k
            );
        }
        let bad = CircuitShape {
            batch_size: 3,
            ..CircuitShape::TINY
        };
        assert!(matches!(k_for(bad), Err(Error::Protocol(_))));
    }
}
