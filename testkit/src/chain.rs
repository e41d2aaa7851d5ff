//! A two-segment world at the TINY shape, proven once per process: a
//! chain of real bundles from segment 1 to segment 2 and the gate
//! configurations that follow it. Shared by the gate's tests (verifier)
//! and the ledger's and service's tests (node).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::{BatchRequest, ExitRequest, SegmentState};
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{plan_signed_run, ParamsCache, ProverKeys};
use bulkhead_verifier::gate::{GateConfig, GuardianScope, StreamItem};
use bulkhead_verifier::VerifierKeys;

use crate::gate::{gate_config, guardian_vote};
use crate::sample;
use crate::signed::{segment, sign_run};

/// The seed of every key in this world.
pub const SEED: u64 = 7;
/// The shape of both segments.
pub const SHAPE: CircuitShape = CircuitShape::TINY;
/// [`SHAPE`] as the shape flags of `bulkhead` commands.
pub const SHAPE_FLAGS: [&str; 8] = [
    "--depth",
    "4",
    "--silo-depth",
    "4",
    "--lanes-depth",
    "2",
    "--batch",
    "2",
];
/// The first epoch of the chain.
pub const EPOCH: u64 = sample::EPOCH;

/// The TINY prover, its parameters cached in the system's temp directory.
pub fn prover() -> &'static ProverKeys {
    static KEYS: OnceLock<ProverKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let cache = ParamsCache::new(std::env::temp_dir().join("bulkhead-test-params"));
        ProverKeys::load(SHAPE, &cache).unwrap()
    })
}

/// Segments 1 and 2 at genesis.
pub fn genesis() -> BTreeMap<u64, SegmentState> {
    [1, 2]
        .into_iter()
        .map(|id| (id, segment(SEED, id, &SHAPE).unwrap()))
        .collect()
}

/// A batch from segment 1 to segment 2 in `epoch`, paying 10 then 20
/// (from accounts 0 and 2 for asset 1, 1 and 3 for asset 2).
pub fn request(epoch: u64, asset: u64) -> BatchRequest {
    let first = if asset == sample::ASSET { 0 } else { 1 };
    BatchRequest {
        dst: 2,
        asset,
        epoch,
        exits: [(first, 10), (first + 2, 20)]
            .iter()
            .map(|(account, amount)| ExitRequest {
                account: *account,
                recipient: Fp::from(500 + account),
                amount: *amount,
            })
            .collect(),
    }
}

/// Proves a chain of batches from segment 1 to segment 2, one
/// [`request`] per `(epoch, asset)` given.
pub fn chain(batches: &[(u64, u64)]) -> Vec<Bundle> {
    chain_from(genesis().remove(&1).unwrap(), batches)
}

/// [`chain`] from a given state of segment 1.
pub fn chain_from(mut state: SegmentState, batches: &[(u64, u64)]) -> Vec<Bundle> {
    let requests: Vec<_> = batches.iter().map(|(e, a)| request(*e, *a)).collect();
    let signed = sign_run(SEED, &SHAPE, 1, &state, &requests);
    let planned = plan_signed_run(&mut state, &signed, &SHAPE).unwrap();
    let outcomes: Vec<_> = planned.iter().map(|p| p.outcome.clone()).collect();
    let proofs = prover().prove_run(&outcomes, 2, 0, |_, _| {}).unwrap();
    planned
        .iter()
        .zip(proofs)
        .map(|(p, proof)| prover().bundle(p, proof))
        .collect()
}

/// Verifying keys of the TINY shape, from the test prover.
pub fn verifier_keys() -> VerifierKeys {
    VerifierKeys::from_key(
        SHAPE,
        prover().params().clone(),
        prover().verifying_key().clone(),
    )
    .unwrap()
}

/// b0, b1 in epoch 7, b2 in epoch 8.
pub fn bundles() -> &'static [Bundle] {
    static B: OnceLock<Vec<Bundle>> = OnceLock::new();
    B.get_or_init(|| chain(&[(EPOCH, 1), (EPOCH, 1), (EPOCH + 1, 1)]))
}

/// The configuration of the gate of segment `me`, following 1 and 2.
pub fn config(me: u64) -> GateConfig {
    gate_config(SEED, me, SHAPE, prover().vk_digest(), &genesis())
}

/// A stream item of a bundle.
pub fn item(bundle: &Bundle) -> StreamItem {
    StreamItem::Bundle(bundle.to_bytes())
}

/// The stream's signed tick into `epoch` (one epoch length after the
/// previous one).
pub fn tick(epoch: u64) -> StreamItem {
    crate::gate::tick(SEED, epoch)
}

/// A guardian's signed vote.
pub fn vote(
    scope: GuardianScope,
    target: u64,
    trip: bool,
    round: u64,
    guardian: usize,
) -> StreamItem {
    guardian_vote(SEED, scope, target, trip, round, guardian)
}
