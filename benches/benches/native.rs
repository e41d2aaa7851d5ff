//! The native model: Poseidon, a depth-20 sparse tree update, and a full
//! batch's witness generation.

use bulkhead_benches::full_batch_outcome;
use bulkhead_protocol::hash::{self, tag, Fp};
use bulkhead_protocol::merkle::SparseMerkleTree;
use bulkhead_protocol::CircuitShape;
use criterion::{criterion_group, criterion_main, Criterion};
use halo2_poseidon::{ConstantLength, Hash, P128Pow5T3};

fn poseidon(c: &mut Criterion) {
    let mut group = c.benchmark_group("poseidon");
    let (a, b) = (Fp::from(7), Fp::from(11));
    // Constants generated once per process vs the library's per-call Hash.
    group.bench_function("bulkhead node hash", |bench| {
        bench.iter(|| hash::hash(tag::ACCOUNT_NODE, &[a, b]))
    });
    group.bench_function("halo2_poseidon Hash", |bench| {
        bench.iter(|| Hash::<Fp, P128Pow5T3, ConstantLength<2>, 3, 2>::init().hash([a, b]))
    });
    group.finish();
}

fn trees(c: &mut Criterion) {
    let mut tree = SparseMerkleTree::new(20, tag::ACCOUNT_NODE).expect("depth 20");
    for i in 0..10_000u64 {
        tree.set_leaf(i * 97, Fp::from(i + 1)).expect("in range");
    }
    let mut i = 0u64;
    c.bench_function("depth-20 leaf update (10k leaves)", |bench| {
        bench.iter(|| {
            i = (i + 1) % 10_000;
            tree.set_leaf(i * 97, Fp::from(i + 2)).expect("in range")
        })
    });
}

fn witnesses(c: &mut Criterion) {
    let shape = CircuitShape::DEFAULT;
    c.bench_function("apply_exits witness, default shape", |bench| {
        bench.iter(|| full_batch_outcome(shape))
    });
}

criterion_group!(benches, poseidon, trees, witnesses);
criterion_main!(benches);
