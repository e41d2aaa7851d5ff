//! The native model: Poseidon, a depth-20 sparse tree update, a full
//! batch's witness generation, what the boundary mirror adds to a gate's
//! check of one bundle (G2, the boundary after), and what a governance
//! item costs a gate (G8).

use bulkhead_benches::full_batch_outcome;
use bulkhead_protocol::hash::{self, tag, Fp};
use bulkhead_protocol::merkle::SparseMerkleTree;
use bulkhead_protocol::mirror::BoundaryMirror;
use bulkhead_protocol::CircuitShape;
use bulkhead_testkit::sample;
use std::collections::BTreeMap;

use bulkhead_testkit::chain::SEED;
use bulkhead_testkit::gate::{
    gate_config, governance_on, rotation_on, validator_keys, GUARDIAN_THRESHOLD, STREAM_ID,
    VALIDATOR_THRESHOLD,
};
use bulkhead_testkit::signed::segment;
use bulkhead_verifier::gate::{BoundaryChange, Gate, GateState, Signers};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
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

fn mirror(c: &mut Criterion) {
    let shape = CircuitShape::DEFAULT;
    let state = sample::segment(1, &shape).expect("the sample fits the default shape");
    let mirror = BoundaryMirror::new(
        shape.silo_depth,
        state.silos().values().map(|s| {
            let path = state.silo_path(s.asset).expect("a declared silo");
            (*s, path.siblings)
        }),
        state.lanes_root(),
        state.exit_seq(),
    )
    .expect("the sample's openings");
    let instance = full_batch_outcome(shape).instance;
    // What a gate does per bundle: clone the source's mirror, move it.
    c.bench_function(
        "boundary mirror: one bundle's move, default shape",
        |bench| {
            bench.iter(|| {
                mirror
                    .clone()
                    .apply_exits(&instance)
                    .expect("a valid batch")
            })
        },
    );
}

/// What a governance item (rule G8) costs a gate: the whole of
/// `Gate::process` on a fresh copy of the state (not timed): its checks,
/// the signatures (three validators' for a cut or a lane removal, two
/// guardians' for a raise or a silo addition, both for a rotation), the
/// openings and the mirror's new root.
fn governance(c: &mut Criterion) {
    let shape = CircuitShape::DEFAULT;
    let genesis: BTreeMap<u64, _> = [1, 2]
        .into_iter()
        .map(|id| (id, segment(SEED, id, &shape).expect("the sample fits")))
        .collect();
    let config = gate_config(SEED, 2, shape, [0; 32], &genesis);
    let state = GateState::fresh(config).expect("a valid configuration");
    let items = [
        (
            "governance item at the gate: cap cut by 3 validators",
            governance_on(
                STREAM_ID,
                SEED,
                1,
                0,
                BoundaryChange::LowerCap { asset: 1, cap: 100 },
                Signers::Validators,
                VALIDATOR_THRESHOLD,
            ),
        ),
        (
            "governance item at the gate: raise queued by 2 guardians",
            governance_on(
                STREAM_ID,
                SEED,
                1,
                0,
                BoundaryChange::RaiseCap {
                    asset: 1,
                    cap: 9_000,
                },
                Signers::Guardians,
                GUARDIAN_THRESHOLD,
            ),
        ),
        (
            "governance item at the gate: lane removed by 3 validators",
            governance_on(
                STREAM_ID,
                SEED,
                1,
                0,
                BoundaryChange::RemoveLane {
                    dst: 2,
                    asset: 1,
                    position: 0,
                    siblings: genesis[&1].lane_path(0).expect("a lane").siblings,
                },
                Signers::Validators,
                VALIDATOR_THRESHOLD,
            ),
        ),
        (
            "governance item at the gate: silo addition queued by 2 guardians",
            governance_on(
                STREAM_ID,
                SEED,
                1,
                0,
                BoundaryChange::AddSilo {
                    asset: 9,
                    cap: 100,
                    siblings: genesis[&1].silo_path(9).expect("a leaf").siblings,
                },
                Signers::Guardians,
                GUARDIAN_THRESHOLD,
            ),
        ),
        (
            "governance item at the gate: rotation queued by 2 guardians and 3 validators",
            rotation_on(
                STREAM_ID,
                SEED,
                1,
                0,
                BoundaryChange::Rotate {
                    validators: validator_keys(SEED + 1, 1, 4),
                    threshold: 3,
                },
                SEED,
                VALIDATOR_THRESHOLD,
            ),
        ),
    ];
    for (name, item) in &items {
        c.bench_function(name, |bench| {
            bench.iter_batched(
                || Gate::without_keys(state.clone()),
                |mut gate| gate.process(item).expect("an honest item"),
                BatchSize::SmallInput,
            )
        });
    }
}

criterion_group!(benches, poseidon, trees, witnesses, mirror, governance);
criterion_main!(benches);
