//! G6 and the breakers (equivocation, stream guardians, this gate's own
//! guardians) and the credit rules (held in order, released by a later
//! epoch or by the guardians), on real proofs at the TINY shape.

mod common;

use bulkhead_protocol::hash::Fp;
use bulkhead_testkit::gate::attestation;
use bulkhead_verifier::gate::{Effect, GuardianRefusal, GuardianScope, Refusal, StreamItem};
use common::*;

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
    assert_eq!(
        refuse(&mut g, vote(GuardianScope::Stream, 1, false, 1, 0)),
        Refusal::BadGuardianAction(GuardianRefusal::AlreadyVoted)
    );
    assert_eq!(
        refuse(&mut g, vote(GuardianScope::Stream, 1, false, 0, 1)),
        Refusal::BadGuardianAction(GuardianRefusal::WrongRound)
    );
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
