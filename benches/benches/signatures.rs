//! Exit signatures of one full default-shape bundle (32 exits, four owner
//! keys): the strict check one signature at a time, which every gate runs
//! (G4), against ed25519-dalek's batch check, which Bulkhead refuses
//! because it accepts signatures the strict check refuses
//! (`verifier/src/signatures.rs`). The difference, per exit, is the price
//! of strictness.

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::messages::exit_message;
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::plan_signed_run;
use bulkhead_testkit::sample;
use bulkhead_testkit::signed::{segment, sign_batch};
use bulkhead_verifier::signatures::verify_exit_signatures;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ed25519_dalek::{Signature, VerifyingKey};

/// A bundle of `shape`'s full sample batch with real signatures and no
/// proof (the signature checks do not read it).
fn signed_bundle(shape: CircuitShape) -> Bundle {
    let mut state = segment(1, 1, &shape).expect("the sample fits the shape");
    let request = sample::full_batch(shape.batch_size);
    let signed = sign_batch(1, &shape, 1, &state, &request);
    let planned = plan_signed_run(&mut state, &[signed], &shape)
        .expect("the sample batch is valid")
        .remove(0);
    Bundle {
        shape,
        vk_digest: [0; 32],
        instance: planned.outcome.instance,
        proof: Vec::new(),
        stream_id: planned.stream_id,
        exits: planned.exits,
    }
}

fn verifying(c: &mut Criterion) {
    let shape = CircuitShape::DEFAULT;
    let bundle = signed_bundle(shape);
    let mut group = c.benchmark_group("verify exit signatures");
    group.throughput(Throughput::Elements(bundle.exits.len() as u64));
    group.bench_with_input(
        BenchmarkId::new("strict, one by one (G4)", shape),
        &bundle,
        |b, bundle| b.iter(|| verify_exit_signatures(bundle).expect("all verify")),
    );
    // What the gate ran before: messages and keys decoded, then one batch.
    group.bench_with_input(
        BenchmarkId::new("batch (refused: not strict)", shape),
        &bundle,
        |b, bundle| {
            b.iter(|| {
                let lane_id = bundle.lane_id();
                let messages: Vec<Vec<u8>> = bundle
                    .exits
                    .iter()
                    .map(|e| {
                        exit_message(
                            bundle.stream_id,
                            &lane_id,
                            e.account,
                            e.nonce,
                            &e.recipient,
                            e.amount,
                        )
                    })
                    .collect();
                let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
                let keys: Vec<VerifyingKey> = bundle
                    .exits
                    .iter()
                    .map(|e| VerifyingKey::from_bytes(&e.public_key).expect("valid key"))
                    .collect();
                let signatures: Vec<Signature> = bundle
                    .exits
                    .iter()
                    .map(|e| Signature::from_bytes(&e.signature))
                    .collect();
                ed25519_dalek::verify_batch(&refs, &signatures, &keys).expect("all verify")
            })
        },
    );
    group.finish();
}

criterion_group!(benches, verifying);
criterion_main!(benches);
