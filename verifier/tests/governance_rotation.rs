//! Rule G8, rotating a source's validators: a loosen signed by the stream
//! guardians and cosigned by a threshold of the current validators,
//! effective after the timelock, from when the new set signs the source's
//! attestations, imports and tightens and the old one no longer does;
//! every wrong rotation is refused by name and changes nothing.

mod common;

use bulkhead_protocol::hash::Fp;
use bulkhead_testkit::gate::{
    attestation, governance_on, rotation_on, GUARDIAN_THRESHOLD, STREAM_ID, VALIDATOR_THRESHOLD,
};
use bulkhead_testkit::keys::{public_key, secret};
use bulkhead_verifier::gate::{
    BoundaryChange, Gate, Hex32, Refusal, Signers, StreamItem, DEFAULT_TIMELOCK, MAX_VALIDATORS,
};
use common::*;

const SOURCE: u64 = 1;
/// The seed of the new set's keys (the testkit's validator keys of
/// segment 1 under another seed).
const NEW_SEED: u64 = SEED + 100;
const NEW_THRESHOLD: usize = 2;

fn new_keys(count: usize) -> Vec<Hex32> {
    (0..count as u64)
        .map(|i| Hex32(public_key(&secret(NEW_SEED, "validator", SOURCE, i))))
        .collect()
}

fn rotate_to(validators: Vec<Hex32>, threshold: usize) -> BoundaryChange {
    BoundaryChange::Rotate {
        validators,
        threshold,
    }
}

/// `change` at `seq`, signed by the guardians and cosigned by the first
/// `cosigners` validators of `cosign_seed`'s segment-1 keys.
fn rotation(seq: u64, change: BoundaryChange, cosign_seed: u64, cosigners: usize) -> StreamItem {
    rotation_on(STREAM_ID, SEED, SOURCE, seq, change, cosign_seed, cosigners)
}

fn at_epoch(me: u64) -> Gate {
    let mut g = gate_with(config(me));
    accept(&mut g, tick(EPOCH));
    g
}

/// An attestation of the next root of segment 1 by `seed`'s keys.
fn next_root(g: &Gate, seed: u64, signers: usize) -> StreamItem {
    let source = &g.state().sources[&SOURCE];
    attestation(
        seed,
        SOURCE,
        source.height + 1,
        source.tip,
        Fp::from(4242),
        signers,
    )
}

#[test]
fn a_rotation_hands_the_source_to_the_new_set_after_the_timelock() {
    let mut gates = [at_epoch(1), at_epoch(2)];
    for g in &mut gates {
        accept(
            g,
            rotation(
                0,
                rotate_to(new_keys(3), NEW_THRESHOLD),
                SEED,
                VALIDATOR_THRESHOLD,
            ),
        );
        // Pending: the old set still signs, the new one not yet.
        let refusal = {
            let item = next_root(g, NEW_SEED, 3);
            refuse(g, item)
        };
        assert!(
            matches!(refusal, Refusal::WeakAttestation { .. }),
            "{refusal}"
        );
        for epoch in EPOCH + 1..=EPOCH + DEFAULT_TIMELOCK {
            accept(g, tick(epoch));
        }
        let set = g.state().sources[&SOURCE].governance.validators.clone();
        assert_eq!(set.map(|s| (s.keys, s.threshold)), Some((new_keys(3), 2)));
        // In effect: the old set's attestation is refused, the new set's
        // threshold is enough.
        let refusal = {
            let item = next_root(g, SEED, VALIDATOR_THRESHOLD);
            refuse(g, item)
        };
        assert!(
            matches!(refusal, Refusal::WeakAttestation { .. }),
            "{refusal}"
        );
        {
            let item = next_root(g, NEW_SEED, NEW_THRESHOLD - 1);
            refuse(g, item)
        };
        {
            let item = next_root(g, NEW_SEED, NEW_THRESHOLD);
            accept(g, item)
        };
        // The new set tightens; the old one no longer can.
        let lower = BoundaryChange::LowerCap { asset: 1, cap: 5 };
        let by_old = governance_on(
            STREAM_ID,
            SEED,
            SOURCE,
            1,
            lower.clone(),
            Signers::Validators,
            VALIDATOR_THRESHOLD,
        );
        assert_eq!(refuse(g, by_old).label(), "G8 signatures");
        let by_new = governance_on(
            STREAM_ID,
            NEW_SEED,
            SOURCE,
            1,
            lower,
            Signers::Validators,
            NEW_THRESHOLD,
        );
        accept(g, by_new);
    }
    let [a, b] = &gates;
    assert_eq!(
        a.state().sources[&SOURCE].governance,
        b.state().sources[&SOURCE].governance
    );
}

#[test]
fn each_wrong_rotation_is_refused_by_name() {
    let mut g = at_epoch(2);
    let good = || rotate_to(new_keys(3), NEW_THRESHOLD);
    let mut repeated = new_keys(3);
    repeated[2] = repeated[0];
    let mut unusable = new_keys(3);
    unusable[1] = Hex32([0; 32]);
    let too_many: Vec<Hex32> = (0..MAX_VALIDATORS as u64 + 1)
        .map(|i| Hex32(public_key(&secret(NEW_SEED, "validator", SOURCE, i))))
        .collect();
    let cases: Vec<(StreamItem, &str)> = vec![
        (rotation(0, good(), SEED, 0), "G8 cosigners"),
        (
            rotation(0, good(), SEED, VALIDATOR_THRESHOLD - 1),
            "G8 cosigners",
        ),
        // Cosigned by the keys it hands the source to, not the current.
        (rotation(0, good(), NEW_SEED, 3), "G8 cosigners"),
        (
            rotation(0, rotate_to(new_keys(3), 0), SEED, 3),
            "G8 validator set",
        ),
        (
            rotation(0, rotate_to(new_keys(3), 4), SEED, 3),
            "G8 validator set",
        ),
        (
            rotation(0, rotate_to(Vec::new(), 1), SEED, 3),
            "G8 validator set",
        ),
        (
            rotation(0, rotate_to(repeated, 2), SEED, 3),
            "G8 validator set",
        ),
        (
            rotation(0, rotate_to(unusable, 2), SEED, 3),
            "G8 validator set",
        ),
        (
            rotation(0, rotate_to(too_many, 2), SEED, 3),
            "G8 validator set",
        ),
        // Validators may not rotate themselves.
        (
            governance_on(
                STREAM_ID,
                SEED,
                SOURCE,
                0,
                good(),
                Signers::Validators,
                VALIDATOR_THRESHOLD,
            ),
            "G8 signers",
        ),
        // The digest binds the set: a key swapped after signing.
        (
            {
                let StreamItem::Governance(mut item) = rotation(0, good(), SEED, 3) else {
                    unreachable!()
                };
                let mut keys = new_keys(4);
                keys.remove(0);
                item.change = rotate_to(keys, NEW_THRESHOLD);
                StreamItem::Governance(item)
            },
            "G8 signatures",
        ),
        // Another stream's rotation, every signature made for it.
        (
            rotation_on(STREAM_ID + 1, SEED, SOURCE, 0, good(), SEED, 3),
            "G8 signatures",
        ),
    ];
    for (item, label) in cases {
        let refusal = refuse(&mut g, item);
        assert_eq!(refusal.label(), label, "{refusal}");
    }
    // One rotation at a time; a cancelled one never comes.
    accept(&mut g, rotation(0, good(), SEED, 3));
    let refusal = refuse(&mut g, rotation(1, good(), SEED, 3));
    assert_eq!(refusal.label(), "G8 rotation pending", "{refusal}");
    accept(
        &mut g,
        governance_on(
            STREAM_ID,
            SEED,
            SOURCE,
            1,
            BoundaryChange::Cancel { change: 0 },
            Signers::Guardians,
            GUARDIAN_THRESHOLD,
        ),
    );
    for epoch in EPOCH + 1..=EPOCH + DEFAULT_TIMELOCK {
        accept(&mut g, tick(epoch));
    }
    assert_eq!(g.state().sources[&SOURCE].governance.validators, None);
    let item = next_root(&g, SEED, VALIDATOR_THRESHOLD);
    accept(&mut g, item);
}

#[test]
fn a_late_registration_carries_only_governance_a_gate_could_hold() {
    use bulkhead_verifier::gate::{PendingChange, SourceGovernance, ValidatorSet};
    let pending = |changes: Vec<BoundaryChange>| SourceGovernance {
        seq: changes.len() as u64,
        pending: changes
            .into_iter()
            .enumerate()
            .map(|(seq, change)| {
                let effective_epoch = EPOCH + 1;
                (
                    seq as u64,
                    PendingChange {
                        change,
                        effective_epoch,
                    },
                )
            })
            .collect(),
        ..Default::default()
    };
    let registered = genesis()[&SOURCE].clone();
    let empty = registered.lane_path(3).unwrap().siblings;
    let add = |siblings: Vec<Fp>| BoundaryChange::AddLane {
        dst: 3,
        asset: 2,
        position: 3,
        siblings,
    };
    let mut wrong = empty.clone();
    wrong[0] = Fp::from(9);
    let with = |governance: SourceGovernance| {
        let mut c = config(2);
        let source = c.sources.iter_mut().find(|s| s.segment == SOURCE).unwrap();
        source.follow.governance = governance;
        Gate::new(c, vec![verifier_keys()])
    };
    let refused = [
        pending(vec![rotate_to(new_keys(3), 2), rotate_to(new_keys(2), 1)]),
        pending(vec![rotate_to(new_keys(3), 0)]),
        pending(vec![add(empty.clone()), add(empty.clone())]),
        pending(vec![add(wrong)]),
        SourceGovernance {
            validators: Some(ValidatorSet {
                keys: vec![Hex32([0; 32])],
                threshold: 1,
            }),
            ..Default::default()
        },
    ];
    for (i, governance) in refused.into_iter().enumerate() {
        assert!(with(governance).is_err(), "case {i} was taken");
    }
    // One of each, admissible as it stands, is taken.
    let gate = with(pending(vec![rotate_to(new_keys(3), 2), add(empty)])).unwrap();
    assert_eq!(gate.state().sources[&SOURCE].governance.pending.len(), 2);
}
