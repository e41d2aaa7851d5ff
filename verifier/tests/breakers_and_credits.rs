//! G6 and the breakers (equivocation, stream guardians, this gate's own
//! guardians) and the credit rules (held in order, released by a later
//! epoch or by the guardians), on real proofs at the TINY shape.

mod common;

use bulkhead_protocol::hash::Fp;
use bulkhead_testkit::gate::{attestation, source_config};
use bulkhead_verifier::gate::{
    ConfigError, Effect, Gate, GateError, GuardianRefusal, GuardianScope, Refusal, StreamItem,
};
use common::*;

#[test]
fn g6_equivocation_quarantines_until_a_guardian_threshold_releases() {
    let mut g = gate();
    accept(&mut g, tick(EPOCH));
    // A root whose parent is not the tip: equivocation.
    let effect = accept(&mut g, attestation(SEED, 1, 1, Fp::from(5), Fp::from(6), 3));
    assert!(matches!(effect, Effect::Quarantined { segment: 1, .. }));
    assert_eq!(refuse(&mut g, item(&bundles()[0])), Refusal::Quarantined(1));
    // One vote is not enough; the same guardian twice is refused; a vote
    // for an old round is refused.
    assert_eq!(
        accept(&mut g, vote(GuardianScope::Stream, 1, false, 1, 0)),
        Effect::VoteCounted
    );
    assert_eq!(
        refuse(&mut g, vote(GuardianScope::Stream, 1, false, 1, 0)),
        Refusal::BadGuardianAction(GuardianRefusal::AlreadyVoted)
    );
    assert_eq!(
        refuse(&mut g, vote(GuardianScope::Stream, 1, false, 0, 1)),
        Refusal::BadGuardianAction(GuardianRefusal::WrongRound)
    );
    assert!(matches!(
        accept(&mut g, vote(GuardianScope::Stream, 1, false, 1, 1)),
        Effect::Released { segment: 1, .. }
    ));
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
    accept(&mut g, tick(EPOCH));
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
    assert_eq!(
        refuse(&mut g, vote(GuardianScope::Local, 3, true, 0, 0)),
        Refusal::BadGuardianAction(GuardianRefusal::OtherGate)
    );
}

#[test]
fn inbound_limit_holds_in_order_and_a_later_epoch_releases() {
    let mut config = config(2);
    config.inbound_limit = 25;
    let mut g = gate_with(config);
    accept(&mut g, tick(EPOCH));
    let effect = accept(&mut g, item(&bundles()[0]));
    // 10 fits, 10 + 20 does not.
    assert!(
        matches!(&effect, Effect::BundleAccepted { credited, held, .. }
        if credited.len() == 1 && credited[0].amount == 10 && held.len() == 1)
    );
    let mut seqs: Vec<u64> = g.changes().credited.iter().map(|c| c.seq).collect();
    accept(&mut g, item(&bundles()[1]));
    assert_eq!(
        g.state().held.len(),
        3,
        "later exits queue behind the held one"
    );
    let effect = accept(&mut g, tick(EPOCH + 1));
    assert!(
        matches!(&effect, Effect::Tick { credited } if credited.len() == 1 && credited[0].amount == 20)
    );
    seqs.extend(g.changes().credited.iter().map(|c| c.seq));
    assert_eq!(seqs, [0, 1], "credits keep stream order");
    assert_eq!(g.state().credited_exits, 2);
}

#[test]
fn breaker_evidence_counts_once_and_cannot_void_a_release() {
    let mut g = gate();
    accept(&mut g, tick(EPOCH));
    let tip = g.state().sources[&1].tip;
    accept(&mut g, attestation(SEED, 1, 1, tip, Fp::from(42), 3));
    // A second root at height 1: equivocation, recorded once.
    let fork = attestation(SEED, 1, 1, tip, Fp::from(43), 3);
    assert!(matches!(
        accept(&mut g, fork.clone()),
        Effect::Quarantined { segment: 1, .. }
    ));
    accept(&mut g, vote(GuardianScope::Stream, 1, false, 1, 0));
    // Replayed between the two release votes, it neither re-quarantines
    // nor moves the round (which would void the first vote).
    assert_eq!(refuse(&mut g, fork.clone()), Refusal::KnownEvidence(1));
    // New evidence while quarantined is recorded, the round stays.
    let other = attestation(SEED, 1, 1, tip, Fp::from(44), 3);
    assert_eq!(
        accept(&mut g, other.clone()),
        Effect::EvidenceRecorded { segment: 1 }
    );
    assert_eq!(g.state().sources[&1].round, 1);
    assert!(matches!(
        accept(&mut g, vote(GuardianScope::Stream, 1, false, 1, 1)),
        Effect::Released { segment: 1, .. }
    ));
    // After the release, the same evidence cannot quarantine again.
    assert_eq!(refuse(&mut g, fork), Refusal::KnownEvidence(1));
    assert_eq!(refuse(&mut g, other), Refusal::KnownEvidence(1));
    assert!(g.state().sources[&1].quarantined.is_none());
}

#[test]
fn an_honest_chain_that_returns_to_an_earlier_root_is_not_equivocation() {
    let mut g = gate();
    let t = g.state().sources[&1].tip;
    let (x, y) = (Fp::from(100), Fp::from(200));
    // T -> X -> T -> Y.
    accept(&mut g, attestation(SEED, 1, 1, t, x, 3));
    accept(&mut g, attestation(SEED, 1, 2, x, t, 3));
    assert_eq!(
        accept(&mut g, attestation(SEED, 1, 3, t, y, 3)),
        Effect::Attested { segment: 1 }
    );
    assert!(g.state().sources[&1].quarantined.is_none());
    // A height beyond the next cannot be judged yet.
    assert_eq!(
        refuse(&mut g, attestation(SEED, 1, 5, y, x, 3)),
        Refusal::AttestationGap { height: 5, tip: 3 }
    );
    // A parent that is not the root one height below is equivocation.
    assert!(matches!(
        accept(&mut g, attestation(SEED, 1, 3, x, y, 3)),
        Effect::Quarantined { segment: 1, .. }
    ));
}

#[test]
fn a_signature_list_longer_than_the_validator_set_is_refused_unread() {
    let mut g = gate();
    let tip = g.state().sources[&1].tip;
    let StreamItem::Attestation(mut padded) = attestation(SEED, 1, 1, tip, Fp::from(9), 4) else {
        unreachable!("attestation() builds an attestation")
    };
    let extra = padded.signatures[0].clone();
    padded.signatures.push(extra);
    assert_eq!(
        refuse(&mut g, StreamItem::Attestation(padded)),
        Refusal::TooManySignatures {
            count: 5,
            signers: 4
        }
    );
}

#[test]
fn held_credits_of_a_quarantined_source_stay_held() {
    let mut config = config(2);
    config.inbound_limit = 25;
    let mut g = gate_with(config);
    accept(&mut g, tick(EPOCH));
    accept(&mut g, item(&bundles()[0])); // 10 credited, 20 held
                                         // The validators sign a step on top of the proven tip, then another
                                         // root at the same height: equivocation. (A fork of the proven tip's
                                         // own height is not judged there: it is the evidence floor.)
    let tip = g.state().sources[&1].tip;
    let height = g.state().sources[&1].height + 1;
    accept(&mut g, attestation(SEED, 1, height, tip, Fp::from(8), 3));
    let fork = attestation(SEED, 1, height, tip, Fp::from(9), 3);
    assert!(matches!(
        accept(&mut g, fork),
        Effect::Quarantined { segment: 1, .. }
    ));
    // Neither a new epoch nor this gate's own release pays them.
    assert_eq!(
        accept(&mut g, tick(EPOCH + 1)),
        Effect::Tick { credited: vec![] }
    );
    accept(&mut g, vote(GuardianScope::Local, 2, true, 0, 0));
    accept(&mut g, vote(GuardianScope::Local, 2, true, 0, 1));
    accept(&mut g, vote(GuardianScope::Local, 2, false, 1, 0));
    assert_eq!(
        accept(&mut g, vote(GuardianScope::Local, 2, false, 1, 1)),
        Effect::LocalReleased { credited: vec![] }
    );
    assert_eq!(g.state().held_from(1), 20);
    // The stream's release pays them, within this epoch's limit.
    accept(&mut g, vote(GuardianScope::Stream, 1, false, 1, 0));
    let effect = accept(&mut g, vote(GuardianScope::Stream, 1, false, 1, 1));
    assert!(
        matches!(&effect, Effect::Released { credited, .. } if credited.len() == 1 && credited[0].amount == 20)
    );
}

#[test]
fn a_local_release_drains_held_credits_within_the_inbound_limit() {
    let mut config = config(2);
    config.inbound_limit = 25;
    let mut g = gate_with(config);
    accept(&mut g, tick(EPOCH));
    accept(&mut g, vote(GuardianScope::Local, 2, true, 0, 0));
    accept(&mut g, vote(GuardianScope::Local, 2, true, 0, 1));
    accept(&mut g, item(&bundles()[0]));
    accept(&mut g, item(&bundles()[1])); // 10, 20, 10, 20 held
    accept(&mut g, vote(GuardianScope::Local, 2, false, 1, 0));
    let effect = accept(&mut g, vote(GuardianScope::Local, 2, false, 1, 1));
    // Not 60 at once: 10 fits the limit of 25, the next 20 does not.
    assert!(
        matches!(&effect, Effect::LocalReleased { credited } if credited.len() == 1 && credited[0].amount == 10)
    );
    assert_eq!(g.state().inbound_now(1), 10);
    let effect = accept(&mut g, tick(EPOCH + 1));
    assert!(matches!(&effect, Effect::Tick { credited } if credited.len() == 1));
    assert!(g.state().inbound_now(1) <= 25);
}

#[test]
fn registration_is_checked_and_names_the_field() {
    let keys = || vec![verifier_keys()];
    let refused = |edit: &dyn Fn(&mut bulkhead_verifier::gate::GateConfig)| {
        let mut config = config(2);
        edit(&mut config);
        Gate::new(config, keys())
            .err()
            .expect("config was accepted")
    };
    assert_eq!(
        refused(&|c| c.sources[0].threshold = 0).to_string(),
        "sources[0].threshold: threshold 0 is outside 1..=4"
    );
    assert_eq!(
        refused(&|c| c.sources[0].threshold = 5).to_string(),
        "sources[0].threshold: threshold 5 is outside 1..=4"
    );
    assert!(matches!(
        refused(&|c| c.stream_threshold = 4),
        GateError::Config(ConfigError::Threshold { .. })
    ));
    assert_eq!(
        refused(&|c| c.sources[0].validators[2] = c.sources[0].validators[0]).to_string(),
        "sources[0].validators[2]: duplicate key"
    );
    assert!(refused(&|c| c.local_guardians[1] = c.local_guardians[0])
        .to_string()
        .starts_with("local_guardians[1]"));
    assert!(refused(&|c| c.sources[0].silos[0].collateral += 1)
        .to_string()
        .starts_with("sources[0].silos[0]: does not hash"));
    assert!(refused(&|c| c.sources[0].silos[1].cap = 0)
        .to_string()
        .starts_with("sources[0].silos[1]"));
    assert!(refused(&|c| c.sources[1].next_seq = 1)
        .to_string()
        .starts_with("sources[1].silos[0]"));
    assert_eq!(
        refused(&|c| c.sources[0].vk_digest[0] ^= 1),
        GateError::DigestMismatch {
            index: 0,
            shape: SHAPE
        }
    );
    assert!(matches!(
        refused(&|c| c.clock.epoch_length = 0),
        GateError::Config(ConfigError::EpochLength)
    ));
    let dup = |c: &mut bulkhead_verifier::gate::GateConfig| {
        let first = c.sources[0].clone();
        c.sources.push(first)
    };
    assert!(matches!(
        refused(&dup),
        GateError::Config(ConfigError::DuplicateSource { segment: 1, .. })
    ));
}

#[test]
fn a_source_registered_after_its_first_exits_is_followed_from_next_seq() {
    // Segment 1 after b0: its roots, height and sequence at registration.
    let mut genesis = genesis();
    let state = genesis.get_mut(&1).unwrap();
    state.apply_exits(&request(EPOCH, 1), &SHAPE).unwrap();
    let mut late = source_config(SEED, SHAPE, prover().vk_digest(), state);
    late.genesis_height = 1;
    assert_eq!(late.next_seq, 2);
    let mut config = config(2);
    config.sources[0] = late;
    let mut g = gate_with(config);
    accept(&mut g, tick(EPOCH));
    assert!(matches!(
        refuse(&mut g, item(&bundles()[0])),
        Refusal::Replay { .. }
    ));
    accept(&mut g, item(&bundles()[1]));
    assert_eq!(g.state().sources[&1].next_seq(), 4);
}

#[test]
fn an_honest_attestation_racing_a_bundle_is_not_equivocation() {
    let mut g = gate();
    accept(&mut g, tick(EPOCH));
    let tip = g.state().sources[&1].tip;
    // The validators attest a deposit on top of the tip, but a relayer's
    // bundle from the same tip lands first: the attestation contradicts
    // only a proven root, so it is refused, and nobody is quarantined.
    accept(&mut g, item(&bundles()[0]));
    let racing = attestation(SEED, 1, 1, tip, Fp::from(42), 3);
    assert_eq!(
        refuse(&mut g, racing),
        Refusal::Superseded {
            segment: 1,
            height: 1
        }
    );
    let on_stale_root = attestation(SEED, 1, 2, Fp::from(42), Fp::from(43), 3);
    assert!(matches!(
        refuse(&mut g, on_stale_root),
        Refusal::Superseded { .. }
    ));
    assert!(g.state().sources[&1].quarantined.is_none());
    // Attested on top of the proven root, it moves the tip.
    let proven = bundles()[0].instance.accounts_after;
    accept(&mut g, attestation(SEED, 1, 2, proven, Fp::from(42), 3));
    // And a second root at that attested height is equivocation.
    assert!(matches!(
        accept(&mut g, attestation(SEED, 1, 2, proven, Fp::from(43), 3)),
        Effect::Quarantined { segment: 1, .. }
    ));
}
