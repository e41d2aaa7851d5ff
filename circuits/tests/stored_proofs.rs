//! Stored proofs that must keep verifying.
//!
//! `tests/pinned/<shape>.proof` is a proof of the sample batch (account 0
//! exits twice, 300 then 200) made by the prover of the day it was stored;
//! `tests/pinned/<shape>.public.txt` holds the public inputs it was made
//! for, one `NAME <hex>` line each in instance order (the field element's
//! 32-byte little-endian encoding). The test derives the verifying key
//! afresh from the shape and verifies the stored proof against the stored
//! inputs, so a change to the circuit, the
//! transcript or the proof format that would strand proofs already
//! published fails here, not in the field. It also checks that the same
//! proof is refused for a TOTAL one higher: the stored inputs are what the
//! proof binds.
//!
//! The files are regenerated on purpose, never by the test on its own:
//!
//! ```text
//! BULKHEAD_WRITE_PINNED=1 cargo test --release -p bulkhead-circuits --test stored_proofs
//! ```

use std::path::PathBuf;

use ff::Field;
use halo2_proofs::plonk::{create_proof, keygen_pk, verify_proof, SingleVerifier};
use halo2_proofs::transcript::{Blake2bRead, Blake2bWrite, Challenge255};
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;

use bulkhead_circuits::circuit::ExitBatchCircuit;
use bulkhead_circuits::keys::{self, Affine, IpaParams, VerifyingKeyOf};
use bulkhead_circuits::with_chips;
use bulkhead_protocol::hex::{fp_from_hex, fp_to_hex};
use bulkhead_protocol::instance::{self, NAMES, NUM_PUBLIC_INPUTS};
use bulkhead_protocol::shape::CircuitShape;
use bulkhead_protocol::witness::BatchWitness;
use bulkhead_protocol::Fp;
use bulkhead_testkit::sample;

/// Set to regenerate the stored proofs instead of verifying them.
const WRITE_VAR: &str = "BULKHEAD_WRITE_PINNED";

/// Public inputs of one proof, in instance order.
type Public = [Fp; NUM_PUBLIC_INPUTS];

fn pinned(file: String) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/pinned")
        .join(file)
}

/// The public inputs as stored: one `NAME <hex>` line per input.
fn public_to_text(public: &Public) -> String {
    NAMES
        .iter()
        .zip(public)
        .map(|(name, value)| format!("{name} {}\n", fp_to_hex(value)))
        .collect()
}

/// Reads back [`public_to_text`]; every name must be in its place.
fn public_from_text(text: &str) -> Public {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), NUM_PUBLIC_INPUTS, "one line per public input");
    std::array::from_fn(|i| {
        let (name, value) = lines[i].split_once(' ').expect("NAME VALUE");
        assert_eq!(name, NAMES[i], "line {} names another input", i + 1);
        fp_from_hex(value).unwrap_or_else(|| panic!("{name}: not a field element"))
    })
}

/// Proves `witness` for `public` with a fresh proving key, as the prover
/// does.
fn prove(
    shape: CircuitShape,
    params: &IpaParams,
    vk: VerifyingKeyOf,
    witness: BatchWitness,
    public: &Public,
) -> Result<Vec<u8>, bulkhead_circuits::Error> {
    let mut transcript = Blake2bWrite::<_, Affine, Challenge255<_>>::init(vec![]);
    with_chips!(shape.poseidon_chips, CHIPS => {
        let pk = keygen_pk(params, vk, &ExitBatchCircuit::<CHIPS>::blank(shape)?)?;
        let circuit = ExitBatchCircuit::<CHIPS>::new(shape, witness)?;
        create_proof(
            params,
            &pk,
            &[circuit],
            &[&[&public[..]]],
            UnwrapErr(SysRng),
            &mut transcript,
        )?;
        Ok::<(), bulkhead_circuits::Error>(())
    })?;
    Ok(transcript.finalize())
}

/// Proves the sample batch at `shape` and stores the proof and its public
/// inputs.
fn write(shape: CircuitShape, params: &IpaParams, vk: VerifyingKeyOf, name: &str) {
    let mut state = sample::segment(1, &shape).unwrap();
    let outcome = state
        .apply_exits(&sample::batch(sample::EPOCH, &[(0, 300), (0, 200)]), &shape)
        .unwrap();
    let public = outcome.instance.to_halo2_instance();
    let proof = prove(shape, params, vk, outcome.witness, &public).unwrap();
    std::fs::write(pinned(format!("{name}.proof")), proof).unwrap();
    std::fs::write(
        pinned(format!("{name}.public.txt")),
        public_to_text(&public),
    )
    .unwrap();
}

fn verifies(params: &IpaParams, vk: &VerifyingKeyOf, public: &Public, proof: &[u8]) -> bool {
    let mut transcript = Blake2bRead::<_, Affine, Challenge255<_>>::init(proof);
    verify_proof(
        params,
        vk,
        SingleVerifier::new(params),
        &[&[&public[..]]],
        &mut transcript,
    )
    .is_ok()
}

/// Verifies the stored proof of `shape` with a key derived now, or
/// regenerates it when [`WRITE_VAR`] is set.
fn check_stored_proof(shape: CircuitShape, name: &str) {
    let params = IpaParams::new(keys::k_for(shape).unwrap());
    let vk = keys::verifying_key(&params, shape).unwrap();
    if std::env::var_os(WRITE_VAR).is_some() {
        write(shape, &params, vk, name);
        return;
    }
    let read = |file: String| {
        let path = pinned(file);
        std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (set {WRITE_VAR}=1 to write it)", path.display()))
    };
    let proof = read(format!("{name}.proof"));
    let public = public_from_text(&String::from_utf8(read(format!("{name}.public.txt"))).unwrap());
    assert!(
        verifies(&params, &vk, &public, &proof),
        "the stored {name} proof no longer verifies: the circuit, the transcript or the \
         proof format changed; proofs already published would be refused"
    );
    let mut other = public;
    other[instance::TOTAL] += Fp::ONE;
    assert!(
        !verifies(&params, &vk, &other, &proof),
        "the stored {name} proof verified for another TOTAL"
    );
}

#[test]
fn stored_tiny_proof_still_verifies() {
    check_stored_proof(CircuitShape::TINY, "tiny");
}

#[test]
fn stored_default_proof_still_verifies() {
    check_stored_proof(CircuitShape::DEFAULT, "default");
}
