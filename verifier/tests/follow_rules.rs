//! The gate's follow rules G1–G5 on real proofs at the TINY shape: the same
//! verdict at every gate, and every refusal leaves the gate's state
//! exactly as it was.

mod common;

use bulkhead_protocol::hash::Fp;
use bulkhead_testkit::gate::attestation;
use bulkhead_testkit::sample;
use bulkhead_verifier::gate::{Refusal, StreamItem};
use bulkhead_verifier::BundleRefusal;
use common::*;
use proptest::prelude::*;

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
    assert_eq!(
        refuse(&mut g, item(&bad_proof)),
        Refusal::Bundle(BundleRefusal::InvalidProof)
    );
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
    assert_eq!(
        refuse(&mut g, item(&amount)),
        Refusal::Bundle(BundleRefusal::ExitsMismatch)
    );
    let mut signature = bundles()[0].clone();
    signature.exits[1].signature[3] ^= 1;
    assert_eq!(
        refuse(&mut g, item(&signature)),
        Refusal::Bundle(BundleRefusal::BadSignature(1))
    );
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
