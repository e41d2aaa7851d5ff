//! The gate's follow rules G1–G6, its breakers and its credit rules, on
//! real proofs at the TINY shape. Every refusal also checks that the gate's
//! state is byte-for-byte what it was.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use bulkhead_circuits::bundle::Bundle;
use bulkhead_circuits::hash::Fp;
use bulkhead_circuits::keys::ParamsCache;
use bulkhead_circuits::model::{BatchRequest, ExitRequest, SegmentState};
use bulkhead_circuits::{sample, CircuitShape};
use bulkhead_cli::demo::{attestation, gate_config, secret, segment, sign_batch};
use bulkhead_prover::{plan_signed_run, ProverKeys};
use bulkhead_verifier::gate::{
    Effect, Gate, GateConfig, GuardianAction, GuardianScope, IndexedSignature, Refusal, StreamItem,
};
use bulkhead_verifier::signatures::guardian_message;
use bulkhead_verifier::VerifierKeys;
use ed25519_dalek::{Signer, SigningKey};
use proptest::prelude::*;

const SEED: u64 = 7;
const SHAPE: CircuitShape = CircuitShape::TINY;
const EPOCH: u64 = sample::EPOCH;

fn prover() -> &'static ProverKeys {
    static KEYS: OnceLock<ProverKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let cache = ParamsCache::new(std::env::temp_dir().join("bulkhead-test-params"));
        ProverKeys::load(SHAPE, &cache).unwrap()
    })
}

fn genesis() -> BTreeMap<u64, SegmentState> {
    [1, 2]
        .into_iter()
        .map(|id| (id, segment(SEED, id, &SHAPE).unwrap()))
        .collect()
}

/// Proves a chain of batches from segment 1 to segment 2, one per
/// `(epoch, asset)` given, each paying 10 then 20 (from accounts 0 and 2
/// for asset 1, 1 and 3 for asset 2).
fn chain(batches: &[(u64, u64)]) -> Vec<Bundle> {
    let mut state = genesis().remove(&1).unwrap();
    let mut scratch = state.clone();
    let signed: Vec<_> = batches
        .iter()
        .map(|(epoch, asset)| {
            let first = if *asset == sample::ASSET { 0 } else { 1 };
            let request = BatchRequest {
                dst: 2,
                asset: *asset,
                epoch: *epoch,
                exits: [(first, 10), (first + 2, 20)]
                    .iter()
                    .map(|(account, amount)| ExitRequest {
                        account: *account,
                        recipient: Fp::from(500 + account),
                        amount: *amount,
                    })
                    .collect(),
            };
            let batch = sign_batch(SEED, &SHAPE, 1, &scratch, &request);
            scratch.apply_exits(&request, &SHAPE).unwrap();
            batch
        })
        .collect();
    let planned = plan_signed_run(&mut state, &signed, &SHAPE).unwrap();
    let outcomes: Vec<_> = planned.iter().map(|p| p.outcome.clone()).collect();
    let proofs = prover().prove_run(&outcomes, 2, 0, |_| {}).unwrap();
    planned
        .iter()
        .zip(proofs)
        .map(|(p, proof)| prover().bundle(p, proof))
        .collect()
}

/// b0, b1 in epoch 7, b2 in epoch 8.
fn bundles() -> &'static [Bundle] {
    static B: OnceLock<Vec<Bundle>> = OnceLock::new();
    B.get_or_init(|| chain(&[(EPOCH, 1), (EPOCH, 1), (EPOCH + 1, 1)]))
}

fn config(me: u64) -> GateConfig {
    gate_config(SEED, me, SHAPE, prover().vk_digest(), &genesis())
}

fn gate_with(config: GateConfig) -> Gate {
    let keys = VerifierKeys::from_key(
        SHAPE,
        prover().params().clone(),
        prover().verifying_key().clone(),
    )
    .unwrap();
    Gate::new(config, vec![keys]).unwrap()
}

fn gate() -> Gate {
    gate_with(config(2))
}

fn item(bundle: &Bundle) -> StreamItem {
    StreamItem::Bundle(bundle.to_bytes())
}

fn accept(gate: &mut Gate, item: StreamItem) -> Effect {
    gate.process(&item)
        .unwrap_or_else(|r| panic!("refused: {r}"))
}

/// Offers `item`, expects a refusal, and checks the state did not change.
fn refuse(gate: &mut Gate, item: StreamItem) -> Refusal {
    let before = serde_json::to_vec(gate.state()).unwrap();
    let refusal = gate.process(&item).expect_err("item was accepted");
    assert_eq!(
        serde_json::to_vec(gate.state()).unwrap(),
        before,
        "refusal changed state"
    );
    refusal
}

fn vote(scope: GuardianScope, target: u64, trip: bool, round: u64, guardian: usize) -> StreamItem {
    let role = match scope {
        GuardianScope::Stream => ("stream-guardian", 0),
        GuardianScope::Local => ("local-guardian", target),
    };
    let key = SigningKey::from_bytes(&secret(SEED, role.0, role.1, guardian as u64));
    let code = matches!(scope, GuardianScope::Local) as u8;
    let signature = key
        .sign(&guardian_message(code, target, trip, round))
        .to_bytes();
    StreamItem::Guardian(GuardianAction {
        scope,
        target,
        trip,
        round,
        vote: IndexedSignature {
            index: guardian,
            signature,
        },
    })
}

#[test]
fn follows_a_chain_and_credits_its_exits() {
    let mut g = gate();
    let b = bundles();
    accept(&mut g, StreamItem::EpochTick(EPOCH));
    accept(&mut g, item(&b[0]));
    accept(&mut g, item(&b[1]));
    accept(&mut g, StreamItem::EpochTick(EPOCH + 1));
    accept(&mut g, item(&b[2]));
    let s = g.state();
    assert_eq!(s.sources[&1].next_seq, 6);
    assert_eq!(s.sources[&1].tip, b[2].instance.accounts_after);
    assert_eq!(s.credited.len(), 6);
    assert_eq!(s.sources[&1].credited[&sample::ASSET], 90);
    // Gate 3 follows the same chain but credits nothing: DST is 2.
    let mut other = gate_with(config(3));
    accept(&mut other, StreamItem::EpochTick(EPOCH));
    accept(&mut other, item(&b[0]));
    assert!(other.state().credited.is_empty());
    assert_eq!(other.state().sources[&1].next_seq, 2);
}

#[test]
fn g1_unregistered_key_invalid_proof_and_unknown_source() {
    let mut g = gate();
    accept(&mut g, StreamItem::EpochTick(EPOCH));
    let mut wrong_key = bundles()[0].clone();
    wrong_key.vk_digest[0] ^= 1;
    assert_eq!(refuse(&mut g, item(&wrong_key)), Refusal::Unregistered(1));
    let mut bad_proof = bundles()[0].clone();
    bad_proof.proof[200] ^= 1;
    assert_eq!(refuse(&mut g, item(&bad_proof)), Refusal::InvalidProof);
    let mut unknown = bundles()[0].clone();
    unknown.instance.src = 9;
    assert_eq!(refuse(&mut g, item(&unknown)), Refusal::UnknownSource(9));
    accept(&mut g, item(&bundles()[0]));
}

#[test]
fn g2_replayed_gapped_and_reordered_streams() {
    let mut g = gate();
    let b = bundles();
    accept(&mut g, StreamItem::EpochTick(EPOCH));
    assert_eq!(
        refuse(&mut g, item(&b[1])),
        Refusal::Gap {
            first_seq: 2,
            next_seq: 0
        }
    );
    accept(&mut g, item(&b[0]));
    assert_eq!(
        refuse(&mut g, item(&b[0])),
        Refusal::Replay {
            first_seq: 0,
            next_seq: 2
        }
    );
    // The reordered bundle is still valid in its place.
    accept(&mut g, item(&b[1]));
    let mut forked = b[2].clone();
    forked.instance.boundary_before = Fp::from(1);
    accept(&mut g, StreamItem::EpochTick(EPOCH + 1));
    assert_eq!(refuse(&mut g, item(&forked)), Refusal::BoundaryMismatch);
}

#[test]
fn g3_a_bundle_starts_at_the_attested_tip() {
    let mut g = gate();
    accept(&mut g, StreamItem::EpochTick(EPOCH));
    let tip = g.state().sources[&1].tip;
    // The validators attest a new root (a deposit, say): b0 is now stale.
    accept(&mut g, attestation(SEED, 1, tip, Fp::from(42), 3));
    assert_eq!(refuse(&mut g, item(&bundles()[0])), Refusal::NotAttestedTip);
    // Replaying the attestation is refused and changes nothing.
    assert_eq!(
        refuse(&mut g, attestation(SEED, 1, tip, Fp::from(42), 3)),
        Refusal::StaleAttestation
    );
    // Too few signatures never move the tip.
    assert!(matches!(
        refuse(&mut g, attestation(SEED, 1, Fp::from(42), Fp::from(43), 2)),
        Refusal::WeakAttestation {
            valid: 2,
            threshold: 3
        }
    ));
}

#[test]
fn g4_plaintext_exits_match_and_are_signed() {
    let mut g = gate();
    accept(&mut g, StreamItem::EpochTick(EPOCH));
    let mut amount = bundles()[0].clone();
    amount.exits[0].amount += 1;
    assert_eq!(refuse(&mut g, item(&amount)), Refusal::ExitsMismatch);
    let mut signature = bundles()[0].clone();
    signature.exits[1].signature[3] ^= 1;
    assert_eq!(refuse(&mut g, item(&signature)), Refusal::BadSignature(1));
}

#[test]
fn g5_epoch_neither_backwards_nor_ahead_of_the_stream() {
    let mut g = gate();
    assert_eq!(
        refuse(&mut g, item(&bundles()[0])),
        Refusal::EpochInFuture {
            epoch: EPOCH,
            current: 0
        }
    );
    // Asset 2's silo window is still at epoch 7, so the model and the
    // circuit allow its batch; G5 orders epochs per source across assets.
    let backwards = chain(&[(EPOCH + 1, sample::ASSET), (EPOCH, sample::OTHER_ASSET)]);
    accept(&mut g, StreamItem::EpochTick(EPOCH + 1));
    accept(&mut g, item(&backwards[0]));
    assert_eq!(
        refuse(&mut g, item(&backwards[1])),
        Refusal::EpochBackwards {
            epoch: EPOCH,
            last: EPOCH + 1
        }
    );
    assert_eq!(
        refuse(&mut g, StreamItem::EpochTick(EPOCH)),
        Refusal::StaleTick {
            tick: EPOCH,
            current: EPOCH + 1
        }
    );
}

#[test]
fn g6_equivocation_quarantines_until_a_guardian_threshold_releases() {
    let mut g = gate();
    accept(&mut g, StreamItem::EpochTick(EPOCH));
    // A root whose parent is not the tip: equivocation.
    let effect = accept(&mut g, attestation(SEED, 1, Fp::from(5), Fp::from(6), 3));
    assert!(matches!(effect, Effect::Quarantined { segment: 1, .. }));
    assert_eq!(refuse(&mut g, item(&bundles()[0])), Refusal::Quarantined(1));
    // One vote is not enough; the same guardian twice is refused; a vote
    // for an old round is refused.
    assert_eq!(
        accept(&mut g, vote(GuardianScope::Stream, 1, false, 1, 0)),
        Effect::VoteCounted
    );
    assert!(matches!(
        refuse(&mut g, vote(GuardianScope::Stream, 1, false, 1, 0)),
        Refusal::BadGuardianAction(_)
    ));
    assert!(matches!(
        refuse(&mut g, vote(GuardianScope::Stream, 1, false, 0, 1)),
        Refusal::BadGuardianAction(_)
    ));
    assert_eq!(
        accept(&mut g, vote(GuardianScope::Stream, 1, false, 1, 1)),
        Effect::Released { segment: 1 }
    );
    // The refused bundle is valid to submit after release.
    accept(&mut g, item(&bundles()[0]));
    // Guardians can also quarantine by themselves.
    accept(&mut g, vote(GuardianScope::Stream, 1, true, 2, 2));
    let effect = accept(&mut g, vote(GuardianScope::Stream, 1, true, 2, 0));
    assert!(matches!(effect, Effect::Quarantined { segment: 1, .. }));
}

#[test]
fn local_breaker_holds_credits_until_its_guardians_release() {
    let mut g = gate();
    accept(&mut g, StreamItem::EpochTick(EPOCH));
    accept(&mut g, vote(GuardianScope::Local, 2, true, 0, 0));
    assert_eq!(
        accept(&mut g, vote(GuardianScope::Local, 2, true, 0, 2)),
        Effect::LocalTripped
    );
    // Following continues; crediting waits.
    let effect = accept(&mut g, item(&bundles()[0]));
    assert!(
        matches!(&effect, Effect::BundleAccepted { credited, held, .. } if credited.is_empty() && held.len() == 2)
    );
    accept(&mut g, vote(GuardianScope::Local, 2, false, 1, 1));
    let effect = accept(&mut g, vote(GuardianScope::Local, 2, false, 1, 2));
    assert!(matches!(&effect, Effect::LocalReleased { credited } if credited.len() == 2));
    assert!(g.state().held.is_empty());
    // Another gate's guardians cannot move this breaker.
    assert!(matches!(
        refuse(&mut g, vote(GuardianScope::Local, 3, true, 0, 0)),
        Refusal::BadGuardianAction(_)
    ));
}

#[test]
fn inbound_limit_holds_in_order_and_a_later_epoch_releases() {
    let mut config = config(2);
    config.inbound_limit = 25;
    let mut g = gate_with(config);
    accept(&mut g, StreamItem::EpochTick(EPOCH));
    let effect = accept(&mut g, item(&bundles()[0]));
    // 10 fits, 10 + 20 does not.
    assert!(
        matches!(&effect, Effect::BundleAccepted { credited, held, .. }
        if credited.len() == 1 && credited[0].amount == 10 && held.len() == 1)
    );
    accept(&mut g, item(&bundles()[1]));
    assert_eq!(
        g.state().held.len(),
        3,
        "later exits queue behind the held one"
    );
    let effect = accept(&mut g, StreamItem::EpochTick(EPOCH + 1));
    assert!(
        matches!(&effect, Effect::Tick { credited } if credited.len() == 1 && credited[0].amount == 20)
    );
    let seqs: Vec<u64> = g.state().credited.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, [0, 1], "credits keep stream order");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Corrupted, truncated or extended bundles are refused without a
    /// panic and without a state change.
    #[test]
    fn mutated_bundles_are_refused(
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        cut in any::<prop::sample::Index>(),
        mode in 0u8..3,
    ) {
        let mut g = gate();
        accept(&mut g, StreamItem::EpochTick(EPOCH));
        let honest = bundles()[0].to_bytes();
        let mut bytes = honest.clone();
        match mode {
            0 => { let i = at.index(bytes.len()); bytes[i] ^= flip; }
            1 => bytes.truncate(cut.index(bytes.len())),
            _ => bytes.push(flip),
        }
        prop_assert!(bytes != honest);
        refuse(&mut g, StreamItem::Bundle(bytes));
    }
}
