//! The verifying key of a shape, the `k` it needs, and its stable digest.
//!
//! Keys are derived from the shape and named by [`vk_digest`]. halo2_proofs
//! 0.4 cannot serialize keys; the vendored patch (vendor/PATCHES.md) adds
//! a writer and reader of a verifying key's commitments, which
//! [`verifying_key_bytes`] and [`read_verifying_key`] wrap, so an embedded
//! verifier skips the multi-scalar multiplications of key derivation. The
//! IPA parameters come from whoever holds them (the prover's disk cache,
//! or bytes handed to an embedded verifier): nothing here touches a file
//! system.

use halo2_proofs::plonk::{keygen_vk, read_vk_commitments, VerifyingKey};
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

/// The first bytes of a verifying-key file.
pub const VK_MAGIC: [u8; 8] = *b"BHVKEY01";

/// A verifying key as bytes: [`VK_MAGIC`], then halo2's commitments (fixed
/// columns, then permutation columns; each list a u32 count and compressed
/// points). The constraint system is not written: the reader rebuilds it
/// from the shape.
pub fn verifying_key_bytes(vk: &VerifyingKeyOf) -> Vec<u8> {
    let mut out = VK_MAGIC.to_vec();
    vk.write_commitments(&mut out)
        .expect("writing to a Vec cannot fail, and a key has far fewer than 2^32 columns");
    out
}

/// Reads back a verifying key of `shape` written by
/// [`verifying_key_bytes`]: the circuit is laid out without witnesses to
/// rebuild the constraint system, and the commitments are read (each
/// checked to be on the curve), not recomputed. Refuses another magic, a
/// wrong number of commitments, a point off the curve and trailing bytes.
/// The key's content is not checked against anything here: the caller
/// compares [`vk_digest`] with the registered digest.
pub fn read_verifying_key(
    params: &IpaParams,
    shape: CircuitShape,
    bytes: &[u8],
) -> Result<VerifyingKeyOf, Error> {
    shape.validate()?;
    let body = bytes
        .strip_prefix(&VK_MAGIC[..])
        .ok_or(Error::VerifyingKeyBytes(
            "not a Bulkhead verifying key (wrong magic)",
        ))?;
    let mut reader = body;
    let vk = with_chips!(shape.poseidon_chips, CHIPS => {
        read_vk_commitments(params, &ExitBatchCircuit::<CHIPS>::blank(shape)?, &mut reader)
            .map_err(|e| match e {
                // The reader's only io errors: short input, a wrong
                // commitment count, a point off the curve.
                halo2_proofs::plonk::Error::Transcript(_) => Error::VerifyingKeyBytes(
                    "the commitments are truncated, not this shape's count, or not on the curve",
                ),
                other => Error::Halo2(other),
            })
    })?;
    if !reader.is_empty() {
        return Err(Error::VerifyingKeyBytes(
            "trailing bytes after the commitments",
        ));
    }
    Ok(vk)
}

/// Blake2b-256 (personal `Bulkhead_IPA_v1_`) of halo2's `Params::new(k)`
/// written with `Params::write`, for every `k` a verifier from bytes
/// accepts. The verifying-key digest binds the key, not the parameters,
/// and parameters whose generators' discrete logarithms someone knows let
/// that someone forge proofs: so bytes handed to an embedded verifier must
/// be exactly these. (`Params::new` is deterministic: hash-to-curve from a
/// fixed domain; `params_digests_are_those_of_halo2s_setup` regenerates the
/// small ones.)
const PINNED_PARAMS_DIGESTS: [(u32, &str); 9] = [
    (
        8,
        "66009b9b8bba159af163b9e8c54cb4f07f992129b7f3f763da15e3c823c95add",
    ),
    (
        9,
        "08153132d3af7c6df40ebe75c229a8d2291d9f1253a1e1f9cdb30260ccf0f65d",
    ),
    (
        10,
        "1ff89c80acc0c9054afee98cc13ad3b82882cfee4e1653dc8d50b3f42a33f963",
    ),
    (
        11,
        "a5c4c1211369a3f689d613fc87993c0d05315c011dd87f24b1fd32ff4bdd7973",
    ),
    (
        12,
        "98528d48b7e36d6050c93b084423f74f995c19eebf132382c33048c8029265a0",
    ),
    (
        13,
        "5a1e8217ef966e051c36f8a38b9db29bfb5c47e36dca2c96ccd8bd1bcd75d9d9",
    ),
    (
        14,
        "11d3e0c2aa9c2c9071917be21fd2abcc174cc509cc3b208bd190011a81d9057e",
    ),
    (
        15,
        "c193e69b9017db75832a60b4ccb65e1e5525a8cbe4014a491b7ef0881c0534ab",
    ),
    (
        16,
        "5b5b57f585918c10b64fd86bd0f270577e14f891ecb059b944d4844f3b63995e",
    ),
];

/// The pinned digest of the IPA parameters for `k` (`None` beyond the
/// pinned range: k = 8 to 16).
pub fn pinned_params_digest(k: u32) -> Option<[u8; 32]> {
    PINNED_PARAMS_DIGESTS
        .iter()
        .find(|(pinned, _)| *pinned == k)
        .and_then(|(_, hex)| bulkhead_protocol::hex::decode_array(hex))
}

/// The digest [`pinned_params_digest`] compares: Blake2b-256 of the
/// parameters as halo2 writes them.
pub fn params_digest(params_bytes: &[u8]) -> [u8; 32] {
    let hash = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"Bulkhead_IPA_v1_")
        .hash(params_bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(hash.as_bytes());
    out
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

    /// Regenerates halo2's setup for each `k` and compares its digest.
    fn assert_pinned(ks: impl IntoIterator<Item = u32>) {
        for k in ks {
            let mut bytes = Vec::new();
            IpaParams::new(k).write(&mut bytes).unwrap();
            assert_eq!(
                Some(params_digest(&bytes)),
                pinned_params_digest(k),
                "k = {k}"
            );
        }
    }

    #[test]
    fn params_digests_are_those_of_halo2s_setup() {
        assert_pinned(8..=11);
        assert_eq!(pinned_params_digest(7), None);
        assert_eq!(pinned_params_digest(17), None);
    }

    /// Every pinned digest, k = 8 to 16 (minutes: halo2's setup at k = 16).
    #[test]
    #[ignore]
    fn every_pinned_params_digest_is_halo2s_setup() {
        assert_pinned(8..=16);
    }

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
