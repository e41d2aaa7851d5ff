//! The gate's follow rules G1–G5 on real proofs at the TINY shape: the same
//! verdict at every gate, and every refusal leaves the gate's state
//! exactly as it was.

mod common;

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::Silo;
use bulkhead_testkit::gate::{attestation, gate_config, signed_tick, tick_time, EPOCH_LENGTH};
use bulkhead_testkit::sample;
use bulkhead_verifier::gate::{Refusal, StreamItem};
use bulkhead_verifier::BundleRefusal;
use common::*;
use proptest::prelude::*;

#[test]
fn follows_a_chain_and_credits_its_exits() {
    let mut g = gate();
    let b = bundles();
    accept(&mut g, tick(EPOCH));
    accept(&mut g, item(&b[0]));
    accept(&mut g, item(&b[1]));
    accept(&mut g, tick(EPOCH + 1));
    accept(&mut g, item(&b[2]));
    let s = g.state();
    assert_eq!(s.sources[&1].next_seq(), 6);
    assert_eq!(s.sources[&1].tip, b[2].instance.accounts_after);
    assert_eq!(s.credited_exits, 6);
    assert_eq!(s.sources[&1].credited[&sample::ASSET], 90);
    // Gate 3 follows the same chain but credits nothing: DST is 2.
    let mut other = gate_with(config(3));
    accept(&mut other, tick(EPOCH));
    accept(&mut other, item(&b[0]));
    assert_eq!(other.state().credited_exits, 0);
    assert_eq!(other.state().sources[&1].next_seq(), 2);
}

#[test]
fn g1_unregistered_key_invalid_proof_and_unknown_source() {
    let mut g = gate();
    accept(&mut g, tick(EPOCH));
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
    accept(&mut g, tick(EPOCH));
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
    accept(&mut g, tick(EPOCH + 1));
    assert_eq!(refuse(&mut g, item(&forked)), Refusal::BoundaryMismatch);
}

#[test]
fn g3_a_bundle_starts_at_the_attested_tip() {
    let mut g = gate();
    accept(&mut g, tick(EPOCH));
    let tip = g.state().sources[&1].tip;
    // The validators attest a new root (a deposit, say): b0 is now stale.
    accept(&mut g, attestation(SEED, 1, 1, tip, Fp::from(42), 3));
    assert_eq!(refuse(&mut g, item(&bundles()[0])), Refusal::NotAttestedTip);
    // Replaying the attestation is refused and changes nothing.
    assert_eq!(
        refuse(&mut g, attestation(SEED, 1, 1, tip, Fp::from(42), 3)),
        Refusal::StaleAttestation
    );
    // Too few signatures never move the tip.
    assert!(matches!(
        refuse(
            &mut g,
            attestation(SEED, 1, 2, Fp::from(42), Fp::from(43), 2)
        ),
        Refusal::WeakAttestation {
            valid: 2,
            threshold: 3
        }
    ));
}

#[test]
fn g4_plaintext_exits_match_and_are_signed() {
    let mut g = gate();
    accept(&mut g, tick(EPOCH));
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
fn g5_a_bundle_is_for_the_streams_current_epoch() {
    let mut g = gate();
    assert_eq!(
        refuse(&mut g, item(&bundles()[0])),
        Refusal::EpochInFuture {
            epoch: EPOCH,
            current: EPOCH - 1
        }
    );
    accept(&mut g, tick(EPOCH));
    accept(&mut g, tick(EPOCH + 1));
    // b0 was proven for epoch 7, which has ended: the relayer proves it
    // again for the current epoch.
    assert_eq!(
        refuse(&mut g, item(&bundles()[0])),
        Refusal::StaleEpoch {
            epoch: EPOCH,
            current: EPOCH + 1
        }
    );
    let reproven = chain(&[(EPOCH + 1, sample::ASSET)]);
    accept(&mut g, item(&reproven[0]));
}

#[test]
fn g5_an_idle_source_sends_at_most_its_cap_per_stream_epoch() {
    // Segment 1 with a cap of 30 per epoch: each batch below moves 30.
    let mut genesis = genesis();
    let source = genesis.get_mut(&1).unwrap();
    let silo = *source.silo(sample::ASSET).unwrap();
    source
        .set_silo(Silo {
            cap: 30,
            window_outflow: 0,
            ..silo
        })
        .unwrap();
    let state = source.clone();
    let config = gate_config(SEED, 2, SHAPE, prover().vk_digest(), &genesis);
    // Its relayer proved three batches ahead, one per epoch 7, 8, 9,
    // while the source sat idle; the stream is now in epoch 9.
    let ahead = chain_from(state, &[(EPOCH, 1), (EPOCH + 1, 1), (EPOCH + 2, 1)]);
    let mut g = gate_with(config.clone());
    for epoch in EPOCH..=EPOCH + 2 {
        accept(&mut g, tick(epoch));
    }
    assert_eq!(
        refuse(&mut g, item(&ahead[0])),
        Refusal::StaleEpoch {
            epoch: EPOCH,
            current: EPOCH + 2
        }
    );
    // The later batches chain on the stale one and cannot skip it.
    assert!(matches!(
        refuse(&mut g, item(&ahead[1])),
        Refusal::Gap { .. }
    ));
    assert_eq!(g.state().credited_exits, 0, "not 3 x cap in one epoch");
    // Followed epoch by epoch, the same batches pass, one cap per epoch.
    let mut g = gate_with(config);
    for (k, bundle) in ahead.iter().enumerate() {
        accept(&mut g, tick(EPOCH + k as u64));
        accept(&mut g, item(bundle));
        assert_eq!(g.state().inbound_now(1), 30);
    }
}

#[test]
fn ticks_advance_by_one_no_sooner_than_the_epoch_length_with_a_guardian_threshold() {
    let mut g = gate();
    // The clock cannot jump (u64::MAX would brick every later tick).
    assert_eq!(
        refuse(&mut g, signed_tick(SEED, u64::MAX, tick_time(EPOCH), 2)),
        Refusal::TickNotNext {
            tick: u64::MAX,
            next: EPOCH
        }
    );
    assert_eq!(
        refuse(&mut g, signed_tick(SEED, EPOCH + 1, tick_time(EPOCH), 2)),
        Refusal::TickNotNext {
            tick: EPOCH + 1,
            next: EPOCH
        }
    );
    // Nor run fast: a tick sooner than one epoch length is refused.
    let early = tick_time(EPOCH - 1) + EPOCH_LENGTH - 1;
    assert_eq!(
        refuse(&mut g, signed_tick(SEED, EPOCH, early, 2)),
        Refusal::TickTooEarly {
            time: early,
            earliest: early + 1
        }
    );
    // Nor be moved by anyone who can append to the stream.
    assert_eq!(
        refuse(&mut g, signed_tick(SEED, EPOCH, tick_time(EPOCH), 1)),
        Refusal::WeakTick {
            valid: 1,
            threshold: 2
        }
    );
    let StreamItem::EpochTick(mut forged) = tick(EPOCH) else {
        unreachable!("tick() builds a tick")
    };
    forged.time += 1; // signatures over another time
    assert!(matches!(
        refuse(&mut g, StreamItem::EpochTick(forged)),
        Refusal::WeakTick { valid: 0, .. }
    ));
    accept(&mut g, tick(EPOCH));
    assert_eq!(
        refuse(&mut g, tick(EPOCH)),
        Refusal::TickNotNext {
            tick: EPOCH,
            next: EPOCH + 1
        }
    );
}

#[test]
fn g1_one_bundle_one_encoding_junk_inside_the_proof_is_refused() {
    let mut g = gate();
    accept(&mut g, tick(EPOCH));
    let mut padded = bundles()[0].clone();
    let expected = padded.proof.len();
    padded.proof.extend_from_slice(&[0u8; 16]);
    assert_eq!(
        refuse(&mut g, item(&padded)),
        Refusal::Bundle(BundleRefusal::ProofLength {
            expected,
            got: expected + 16
        })
    );
    let mut short = bundles()[0].clone();
    short.proof.pop();
    assert!(matches!(
        refuse(&mut g, item(&short)),
        Refusal::Bundle(BundleRefusal::ProofLength { .. })
    ));
    accept(&mut g, item(&bundles()[0]));
}

#[test]
fn g1_an_exit_of_an_undeclared_asset_is_refused() {
    // Segment 1 declares only asset 1 (its asset-2 silo opening left out).
    let mut config = config(2);
    config.sources[0].silos.retain(|s| s.asset == sample::ASSET);
    let mut g = gate_with(config);
    accept(&mut g, tick(EPOCH));
    let asset2 = chain(&[(EPOCH, sample::OTHER_ASSET)]);
    assert_eq!(
        refuse(&mut g, item(&asset2[0])),
        Refusal::UndeclaredAsset {
            src: 1,
            asset: sample::OTHER_ASSET
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
        accept(&mut g, tick(EPOCH));
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

#[test]
fn g2_sequence_numbers_never_pass_the_end_of_u64() {
    // A source registered near the end of the sequence space: a batch
    // that would number an exit past 2^64 - 1 is refused before anything
    // else is looked at (its proof included).
    let near_end = u64::MAX - 1;
    let mut config = config(2);
    let source = &mut config.sources[0];
    assert_eq!(source.segment, 1);
    source.next_seq = near_end;
    source.boundary_root = bulkhead_protocol::hash::boundary_root(
        source.silos[0].silo_root(),
        source.lanes_root,
        bulkhead_protocol::hash::fp(near_end),
    );
    let mut g = gate_with(config);
    accept(&mut g, tick(EPOCH));
    let mut late = bundles()[0].clone();
    late.instance.first_seq = near_end;
    assert_eq!(
        refuse(&mut g, item(&late)),
        Refusal::SequenceExhausted {
            first_seq: near_end,
            exit_count: 2
        }
    );
}
