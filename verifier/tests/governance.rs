//! Rule G8, governance of boundaries: a tighten takes effect at once at
//! every gate (a bundle proven on the old boundary is refused), a loosen
//! only after the timelock and not at all once cancelled or voided by a
//! tighten of its asset; every wrong item is refused by name and changes
//! nothing; the automatic rule halves the effective cap of a source that
//! drains at full cap (real proofs), until the guardians clear it.

mod common;

use bulkhead_protocol::model::SegmentState;
use bulkhead_testkit::gate::{
    gate_config, governance_on, GUARDIAN_THRESHOLD, STREAM_ID, VALIDATOR_THRESHOLD,
};
use bulkhead_testkit::sample;
use bulkhead_verifier::gate::{
    blast_radius, BoundaryChange, Effect, Gate, GovernanceRefusal, Refusal, Signers, StreamItem,
    DEFAULT_AUTO_EPOCHS, DEFAULT_TIMELOCK,
};
use common::*;

/// The source governed: segment 1, which pays segment 2.
const SOURCE: u64 = 1;
const ASSET: u64 = sample::ASSET;

fn by_validators(seq: u64, change: BoundaryChange) -> StreamItem {
    governance_on(
        STREAM_ID,
        SEED,
        SOURCE,
        seq,
        change,
        Signers::Validators,
        VALIDATOR_THRESHOLD,
    )
}

fn by_guardians(seq: u64, change: BoundaryChange) -> StreamItem {
    governance_on(
        STREAM_ID,
        SEED,
        SOURCE,
        seq,
        change,
        Signers::Guardians,
        GUARDIAN_THRESHOLD,
    )
}

fn refused_governance(gate: &mut Gate, item: StreamItem) -> GovernanceRefusal {
    match refuse(gate, item) {
        Refusal::Governance(refusal) => refusal,
        other => panic!("not a G8 refusal: {other}"),
    }
}

fn silo(gate: &Gate) -> bulkhead_protocol::model::Silo {
    *gate.state().sources[&SOURCE].mirror.silo(ASSET).unwrap()
}

/// A gate of `me` at the sample epoch.
fn at_epoch(me: u64) -> Gate {
    let mut g = gate_with(config(me));
    accept(&mut g, tick(EPOCH));
    g
}

#[test]
fn a_tighten_takes_effect_at_once_at_every_gate() {
    let mut gates = [at_epoch(1), at_epoch(2)];
    for g in &mut gates {
        let before = g.state().sources[&SOURCE].boundary();
        let effect = accept(
            g,
            by_validators(
                0,
                BoundaryChange::LowerCap {
                    asset: ASSET,
                    cap: 100,
                },
            ),
        );
        assert_eq!(
            effect,
            Effect::Governed {
                segment: SOURCE,
                seq: 0,
                pending: false
            }
        );
        assert_eq!(silo(g).cap, 100);
        assert_ne!(g.state().sources[&SOURCE].boundary(), before);
        assert_eq!(g.state().sources[&SOURCE].governance.seq, 1);
        // Withdrawn collateral leaves the system, counted in the flows.
        accept(
            g,
            by_guardians(
                1,
                BoundaryChange::Withdraw {
                    asset: ASSET,
                    amount: 500,
                },
            ),
        );
        assert_eq!(silo(g).collateral, 20_000 - 500);
        assert_eq!(g.state().flow(SOURCE, ASSET).withdrawn, 500);
        // A bundle proven on the old boundary no longer fits it.
        let refusal = refuse(g, item(&bundles()[0]));
        assert_eq!(refusal.label(), "G2 boundary", "{refusal}");
    }
    assert_eq!(gates[0].state().sources, gates[1].state().sources);
}

#[test]
fn each_wrong_governance_item_is_refused_by_name() {
    let mut g = at_epoch(2);
    accept(
        &mut g,
        by_validators(
            0,
            BoundaryChange::LowerCap {
                asset: ASSET,
                cap: 5_000,
            },
        ),
    );
    let lower = |cap| BoundaryChange::LowerCap { asset: ASSET, cap };
    let cases: Vec<(StreamItem, &str)> = vec![
        (
            governance_on(STREAM_ID, SEED, 9, 0, lower(1), Signers::Guardians, 2),
            "G8 unregistered",
        ),
        // A replay of the accepted item, and one out of order.
        (by_validators(0, lower(4_000)), "G8 sequence"),
        (by_validators(2, lower(4_000)), "G8 sequence"),
        (
            by_validators(
                1,
                BoundaryChange::RaiseCap {
                    asset: ASSET,
                    cap: 9_000,
                },
            ),
            "G8 signers",
        ),
        (
            by_validators(1, BoundaryChange::Clear { asset: ASSET }),
            "G8 signers",
        ),
        (
            by_guardians(1, BoundaryChange::LowerCap { asset: 99, cap: 1 }),
            "G8 undeclared asset",
        ),
        (by_validators(1, lower(5_000)), "G8 cap direction"),
        (
            by_guardians(
                1,
                BoundaryChange::RaiseCap {
                    asset: ASSET,
                    cap: 5_000,
                },
            ),
            "G8 cap direction",
        ),
        (
            by_validators(
                1,
                BoundaryChange::Withdraw {
                    asset: ASSET,
                    amount: 0,
                },
            ),
            "G8 zero",
        ),
        (
            by_validators(
                1,
                BoundaryChange::Withdraw {
                    asset: ASSET,
                    amount: u64::MAX,
                },
            ),
            "G8 collateral",
        ),
        (
            by_guardians(
                1,
                BoundaryChange::Deposit {
                    asset: ASSET,
                    amount: u64::MAX,
                },
            ),
            "G8 overflow",
        ),
        (
            by_guardians(1, BoundaryChange::Cancel { change: 0 }),
            "G8 not pending",
        ),
        (
            by_guardians(1, BoundaryChange::Clear { asset: ASSET }),
            "G8 not halved",
        ),
        // Under the threshold, another stream's signatures, and one
        // signed by guardians but claimed as the validators'.
        (
            governance_on(
                STREAM_ID,
                SEED,
                SOURCE,
                1,
                lower(4_000),
                Signers::Validators,
                VALIDATOR_THRESHOLD - 1,
            ),
            "G8 signatures",
        ),
        (
            governance_on(
                STREAM_ID + 1,
                SEED,
                SOURCE,
                1,
                lower(4_000),
                Signers::Validators,
                VALIDATOR_THRESHOLD,
            ),
            "G8 signatures",
        ),
        (
            {
                let StreamItem::Governance(mut item) = by_guardians(1, lower(4_000)) else {
                    unreachable!()
                };
                item.by = Signers::Validators;
                StreamItem::Governance(item)
            },
            "G8 signatures",
        ),
    ];
    for (item, label) in cases {
        let refusal = refused_governance(&mut g, item);
        assert_eq!(refusal.label(), label, "{refusal}");
    }
    // A pending deposit counts against the room left below 2^64 - 1.
    let room = u64::MAX - silo(&g).collateral;
    accept(
        &mut g,
        by_guardians(
            1,
            BoundaryChange::Deposit {
                asset: ASSET,
                amount: room,
            },
        ),
    );
    let refusal = refused_governance(
        &mut g,
        by_guardians(
            2,
            BoundaryChange::Deposit {
                asset: ASSET,
                amount: 1,
            },
        ),
    );
    assert_eq!(refusal.label(), "G8 overflow");
}

#[test]
fn a_loosen_waits_for_its_timelock_and_a_cancelled_one_never_comes() {
    let mut g = at_epoch(2);
    let raise = by_guardians(
        0,
        BoundaryChange::RaiseCap {
            asset: ASSET,
            cap: 9_000,
        },
    );
    let effect = accept(&mut g, raise);
    assert!(matches!(effect, Effect::Governed { pending: true, .. }));
    let pending = &g.state().sources[&SOURCE].governance.pending;
    assert_eq!(pending[&0].effective_epoch, EPOCH + DEFAULT_TIMELOCK);
    accept(
        &mut g,
        by_guardians(
            1,
            BoundaryChange::Deposit {
                asset: ASSET,
                amount: 500,
            },
        ),
    );
    accept(
        &mut g,
        by_guardians(2, BoundaryChange::Cancel { change: 1 }),
    );
    let boundary = g.state().sources[&SOURCE].boundary();
    for epoch in EPOCH + 1..EPOCH + DEFAULT_TIMELOCK {
        accept(&mut g, tick(epoch));
        assert_eq!(silo(&g).cap, 6_000, "in effect before its epoch");
        assert_eq!(g.state().sources[&SOURCE].boundary(), boundary);
    }
    accept(&mut g, tick(EPOCH + DEFAULT_TIMELOCK));
    assert_eq!(silo(&g).cap, 9_000);
    assert_eq!(
        silo(&g).collateral,
        20_000,
        "the cancelled deposit never came"
    );
    assert!(g.state().sources[&SOURCE].governance.pending.is_empty());
    assert_eq!(g.state().flow(SOURCE, ASSET).deposited, 0);
    // The blast radius counts the raised cap from now on.
    let epochs = g.state().sources[&SOURCE].open_epochs;
    assert_eq!(
        blast_radius(g.state(), SOURCE)[&ASSET],
        (9_000 * epochs).min(20_000).min(2_000 * epochs)
    );
    // A deposit that is not cancelled comes, and is counted.
    accept(
        &mut g,
        by_guardians(
            3,
            BoundaryChange::Deposit {
                asset: ASSET,
                amount: 500,
            },
        ),
    );
    let now = g.state().epoch;
    for epoch in now + 1..=now + DEFAULT_TIMELOCK {
        accept(&mut g, tick(epoch));
    }
    assert_eq!(silo(&g).collateral, 20_500);
    assert_eq!(g.state().flow(SOURCE, ASSET).deposited, 500);
}

#[test]
fn a_tighten_voids_the_pending_loosens_of_its_asset() {
    let mut g = at_epoch(2);
    accept(
        &mut g,
        by_guardians(
            0,
            BoundaryChange::RaiseCap {
                asset: ASSET,
                cap: 9_000,
            },
        ),
    );
    accept(
        &mut g,
        by_guardians(
            1,
            BoundaryChange::RaiseCap {
                asset: 2,
                cap: 9_000,
            },
        ),
    );
    accept(
        &mut g,
        by_validators(
            2,
            BoundaryChange::LowerCap {
                asset: ASSET,
                cap: 10,
            },
        ),
    );
    let pending = &g.state().sources[&SOURCE].governance.pending;
    assert_eq!(pending.keys().copied().collect::<Vec<_>>(), vec![1]);
    for epoch in EPOCH + 1..=EPOCH + DEFAULT_TIMELOCK {
        accept(&mut g, tick(epoch));
    }
    assert_eq!(silo(&g).cap, 10, "the raise queued before it never comes");
    let other = g.state().sources[&SOURCE].mirror.silo(2).unwrap().cap;
    assert_eq!(other, 9_000, "another asset's raise does");
}

/// Segment 1 with asset 1's cap at 30: each sample batch (10 + 20)
/// drains it at full cap.
fn capped_genesis() -> std::collections::BTreeMap<u64, SegmentState> {
    let mut genesis = genesis();
    let state = genesis.get_mut(&SOURCE).unwrap();
    let mut silo = *state.silo(ASSET).unwrap();
    silo.cap = 30;
    silo.window_outflow = 0;
    state.set_silo(silo).unwrap();
    genesis
}

#[test]
fn the_automatic_rule_halves_a_source_draining_at_full_cap_until_cleared() {
    let genesis = capped_genesis();
    let epochs: Vec<(u64, u64)> = (0..=DEFAULT_AUTO_EPOCHS)
        .map(|i| (EPOCH + i, ASSET))
        .collect();
    let bundles = chain_from(genesis[&SOURCE].clone(), &epochs);
    let config = gate_config(SEED, 2, SHAPE, prover().vk_digest(), &genesis);
    let mut gates = [gate_with(config.clone()), gate_with(config)];
    for g in &mut gates {
        accept(g, tick(EPOCH));
        for (i, bundle) in bundles.iter().enumerate() {
            if i > 0 {
                accept(g, tick(EPOCH + i as u64));
            }
            let halved = g.state().sources[&SOURCE].governance.halved(ASSET);
            assert_eq!(halved, i as u64 >= DEFAULT_AUTO_EPOCHS, "epoch {i}");
            if !halved {
                accept(g, item(bundle));
                continue;
            }
            // 30 leaves, but the effective cap is 15.
            let refusal = refuse(g, item(bundle));
            assert_eq!(refusal.label(), "G8 effective cap", "{refusal}");
            let seq = g.state().sources[&SOURCE].governance.seq;
            accept(g, by_guardians(seq, BoundaryChange::Clear { asset: ASSET }));
            accept(g, item(bundle));
        }
    }
    assert_eq!(gates[0].state().sources, gates[1].state().sources);
}

#[test]
fn a_quarantined_sources_validators_wait_for_the_release_and_its_guardians_do_not() {
    let mut g = at_epoch(2);
    let round = g.state().sources[&SOURCE].round;
    for guardian in 0..GUARDIAN_THRESHOLD {
        accept(
            &mut g,
            vote(
                bulkhead_verifier::gate::GuardianScope::Stream,
                SOURCE,
                true,
                round,
                guardian,
            ),
        );
    }
    let withdraw = BoundaryChange::Withdraw {
        asset: ASSET,
        amount: 20_000,
    };
    let refusal = refused_governance(&mut g, by_validators(0, withdraw));
    assert_eq!(refusal.label(), "G8 quarantined");
    accept(
        &mut g,
        by_guardians(
            0,
            BoundaryChange::LowerCap {
                asset: ASSET,
                cap: 1,
            },
        ),
    );
    assert_eq!(silo(&g).cap, 1);
}
