//! Proving and verifying one exit batch, per shape.

use bulkhead_benches::{full_batch_outcome, keys, SHAPES};
use bulkhead_verifier::VerifierKeys;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn proving(c: &mut Criterion) {
    let mut group = c.benchmark_group("prove");
    group.sample_size(10);
    for (name, shape) in SHAPES {
        let prover = keys(shape);
        let outcome = full_batch_outcome(shape);
        group.bench_with_input(BenchmarkId::new(name, shape), &outcome, |b, outcome| {
            b.iter(|| prover.prove(outcome).expect("proving works"))
        });
    }
    group.finish();
}

fn verifying(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    for (name, shape) in SHAPES {
        let prover = keys(shape);
        let outcome = full_batch_outcome(shape);
        let proof = prover.prove(&outcome).expect("proving works");
        let verifier = VerifierKeys::from_key(
            shape,
            prover.params().clone(),
            prover.verifying_key().clone(),
        )
        .expect("valid shape");
        group.bench_with_input(BenchmarkId::new(name, shape), &proof, |b, proof| {
            b.iter(|| verifier.verify(&outcome.instance, proof).expect("verifies"))
        });
    }
    group.finish();
}

criterion_group!(benches, proving, verifying);
criterion_main!(benches);
