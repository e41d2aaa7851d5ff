//! Every refusal names the rule it is counted under.

use super::*;
use crate::check::BundleRefusal;
use bulkhead_protocol::CircuitShape;

/// One refusal of every kind, with the rule its label names.
fn every_refusal() -> Vec<Refusal> {
    vec![
        Refusal::Bundle(BundleRefusal::WrongKey {
            shape: CircuitShape::TINY,
            digest: [0; 32],
        }),
        Refusal::Bundle(BundleRefusal::ProofLength {
            expected: 1,
            got: 2,
        }),
        Refusal::Bundle(BundleRefusal::ExitsMismatch),
        Refusal::Bundle(BundleRefusal::BadSignature(0)),
        Refusal::Bundle(BundleRefusal::InvalidProof),
        Refusal::UnknownSource(1),
        Refusal::Unregistered(1),
        Refusal::Replay {
            first_seq: 0,
            next_seq: 1,
        },
        Refusal::Gap {
            first_seq: 2,
            next_seq: 1,
        },
        Refusal::SequenceExhausted {
            first_seq: u64::MAX,
            exit_count: 1,
        },
        Refusal::BoundaryMismatch,
        Refusal::NotAttestedTip,
        Refusal::StaleEpoch {
            epoch: 1,
            current: 2,
        },
        Refusal::EpochInFuture {
            epoch: 3,
            current: 2,
        },
        Refusal::UndeclaredAsset { src: 1, asset: 9 },
        Refusal::NoVerifyingKeys,
        Refusal::Quarantined(1),
        Refusal::WeakAttestation {
            valid: 1,
            threshold: 2,
        },
        Refusal::TooManySignatures {
            count: 9,
            signers: 3,
        },
        Refusal::OtherStream {
            stream_id: 1,
            expected: 2,
        },
        Refusal::UnknownSigner {
            index: 5,
            signers: 3,
        },
        Refusal::BelowFloor {
            segment: 1,
            height: 1,
            floor: 2,
        },
        Refusal::Superseded {
            segment: 1,
            height: 1,
        },
        Refusal::StaleAttestation,
        Refusal::AttestationGap { height: 5, tip: 2 },
        Refusal::KnownEvidence(1),
        Refusal::TickNotNext { tick: 3, next: 2 },
        Refusal::TickTooEarly {
            time: 1,
            earliest: 2,
        },
        Refusal::WeakTick {
            valid: 1,
            threshold: 2,
        },
        Refusal::BadGuardianAction(GuardianRefusal::WrongRound),
    ]
}

#[test]
fn the_rule_is_the_one_the_label_and_the_message_name() {
    for refusal in every_refusal() {
        let named = refusal
            .label()
            .split(' ')
            .next()
            .filter(|word| word.len() == 2 && word.starts_with('G'));
        assert_eq!(refusal.rule().map(GateRule::as_str), named, "{refusal:?}");
        if let Some(rule) = refusal.rule() {
            assert!(refusal.to_string().starts_with(rule.as_str()), "{refusal}");
            assert_eq!(refusal.counted_under(), rule.as_str());
        } else {
            assert!(!refusal.counted_under().starts_with('G'), "{refusal:?}");
        }
    }
    assert_eq!(
        Refusal::TooManySignatures {
            count: 9,
            signers: 3
        }
        .counted_under(),
        "signers"
    );
    // A repeated tick was once counted under rule "none" (issue 20):
    // every refusal is counted under something.
    for (refusal, counted) in [
        (
            Refusal::Bundle(BundleRefusal::Malformed(
                bulkhead_protocol::bundle::BundleError::BadMagic,
            )),
            "decode",
        ),
        (Refusal::TickNotNext { tick: 3, next: 2 }, "tick"),
        (Refusal::StaleAttestation, "attestation"),
        (Refusal::KnownEvidence(1), "attestation"),
        (
            Refusal::BadGuardianAction(GuardianRefusal::WrongRound),
            "guardian",
        ),
        (
            Refusal::UnknownSigner {
                index: 5,
                signers: 3,
            },
            "signers",
        ),
        (Refusal::NoVerifyingKeys, "keys"),
        (
            Refusal::Replay {
                first_seq: 0,
                next_seq: 1,
            },
            "G2",
        ),
    ] {
        assert_eq!(refusal.counted_under(), counted, "{refusal:?}");
    }
}
