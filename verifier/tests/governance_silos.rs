//! Rule G8, adding a silo: a loosen signed by the guardians that declares
//! an empty silo (no collateral: value enters by imports and deposits)
//! after the timelock, opened by siblings a gate reads from its own tree
//! where it knows them, so bundles moving other silos meanwhile do not
//! make it stale; every gate agrees, a store rebuilds it, and every wrong
//! addition is refused by name.

mod common;

use bulkhead_protocol::mirror::BoundaryMirror;
use bulkhead_protocol::model::Silo;
use bulkhead_testkit::gate::{governance_on, GUARDIAN_THRESHOLD, STREAM_ID, VALIDATOR_THRESHOLD};
use bulkhead_verifier::gate::{
    blast_radius, BoundaryChange, Gate, Signers, StreamItem, DEFAULT_TIMELOCK,
};
use common::*;

const SOURCE: u64 = 1;
/// An asset segment 1 has no silo for (TINY: 16 leaves, silos 1 and 2),
/// whose path below the top is not on theirs: the gate reads those
/// siblings from the item.
const NEW: u64 = 9;

fn governed(seq: u64, change: BoundaryChange, by: Signers) -> StreamItem {
    let signers = match by {
        Signers::Validators => VALIDATOR_THRESHOLD,
        Signers::Guardians => GUARDIAN_THRESHOLD,
    };
    governance_on(STREAM_ID, SEED, SOURCE, seq, change, by, signers)
}

fn add(asset: u64, cap: u64) -> BoundaryChange {
    let path = genesis()[&SOURCE].silo_path(asset.min(15)).unwrap();
    BoundaryChange::AddSilo {
        asset,
        cap,
        siblings: path.siblings,
    }
}

fn at_epoch(me: u64) -> Gate {
    let mut g = gate_with(config(me));
    accept(&mut g, tick(EPOCH));
    g
}

#[test]
fn an_added_silo_takes_deposits_after_the_timelock_and_every_gate_agrees() {
    let mut gates = [at_epoch(1), at_epoch(2)];
    for g in &mut gates {
        accept(g, governed(0, add(NEW, 500), Signers::Guardians));
        assert!(g.state().sources[&SOURCE].mirror.silo(NEW).is_none());
        // A bundle moves silo 1, whose path shares nodes with the new
        // leaf's: the gate reads those siblings from its own tree.
        accept(g, item(&bundles()[0]));
        for epoch in EPOCH + 1..=EPOCH + DEFAULT_TIMELOCK {
            accept(g, tick(epoch));
        }
        let source = &g.state().sources[&SOURCE];
        let empty = Silo {
            asset: NEW,
            collateral: 0,
            cap: 500,
            window_epoch: 0,
            window_outflow: 0,
        };
        assert_eq!(source.mirror.silo(NEW), Some(&empty));
        // The relayer's model with the mirror's silos has its root.
        let mut model = genesis()[&SOURCE].clone();
        for silo in source.mirror.silos().values() {
            model.set_silo(*silo).unwrap();
        }
        model.restore_exit_seq(source.mirror.exit_seq());
        assert_eq!(model.boundary_root(), source.boundary());
        // A store rebuilds it from the registration and the addition.
        let registration = g.state().config.source(SOURCE).unwrap();
        let added: Vec<_> = source
            .governance
            .added_silos
            .iter()
            .map(|a| (a.asset, a.siblings.clone()))
            .collect();
        let restored = BoundaryMirror::restore(
            registration.shape.silo_depth,
            registration
                .silos
                .iter()
                .map(|o| (o.silo(), o.siblings.clone())),
            &added,
            source.mirror.lanes_root(),
            source.mirror.silos(),
            source.mirror.exit_seq(),
        )
        .unwrap();
        assert_eq!(restored.root(), source.boundary());

        // Value enters it by a deposit; the bound counts it.
        accept(
            g,
            governed(
                1,
                BoundaryChange::Deposit {
                    asset: NEW,
                    amount: 70,
                },
                Signers::Guardians,
            ),
        );
        let now = g.state().epoch;
        for epoch in now + 1..=now + DEFAULT_TIMELOCK {
            accept(g, tick(epoch));
        }
        assert_eq!(
            g.state().sources[&SOURCE]
                .mirror
                .silo(NEW)
                .unwrap()
                .collateral,
            70
        );
        assert_eq!(blast_radius(g.state(), SOURCE)[&NEW], 70);
        // Lowering its cap does not lower the cap the bound reads.
        accept(
            g,
            governed(
                2,
                BoundaryChange::LowerCap { asset: NEW, cap: 1 },
                Signers::Validators,
            ),
        );
        assert_eq!(g.state().sources[&SOURCE].governance.peak_cap[&NEW], 500);
    }
    let [a, b] = &gates;
    for (x, y) in a.state().sources.values().zip(b.state().sources.values()) {
        assert_eq!((&x.mirror, &x.governance), (&y.mirror, &y.governance));
    }
}

#[test]
fn each_wrong_silo_addition_is_refused_by_name() {
    let mut g = at_epoch(2);
    let mut wrong = add(NEW, 10);
    if let BoundaryChange::AddSilo { siblings, .. } = &mut wrong {
        siblings[0] = siblings[1];
    }
    let mut short = add(NEW, 10);
    if let BoundaryChange::AddSilo { siblings, .. } = &mut short {
        siblings.pop();
    }
    let cases: Vec<(StreamItem, &str)> = vec![
        (
            governed(0, add(1, 10), Signers::Guardians),
            "G8 silo declared",
        ),
        (governed(0, wrong, Signers::Guardians), "G8 silo opening"),
        (governed(0, short, Signers::Guardians), "G8 silo opening"),
        // Past the tree (TINY: 16 leaves), and 2^64 - 1.
        (
            governed(0, add(16, 10), Signers::Guardians),
            "G8 silo opening",
        ),
        (
            governed(0, add(u64::MAX, 10), Signers::Guardians),
            "G8 silo opening",
        ),
        (governed(0, add(NEW, 10), Signers::Validators), "G8 signers"),
    ];
    for (item, label) in cases {
        let refusal = refuse(&mut g, item);
        assert_eq!(refusal.label(), label, "{refusal}");
    }
    accept(&mut g, governed(0, add(NEW, 10), Signers::Guardians));
    let refusal = refuse(&mut g, governed(1, add(NEW, 20), Signers::Guardians));
    assert_eq!(refusal.label(), "G8 silo pending", "{refusal}");
    // Not declared until it takes effect.
    let refusal = refuse(
        &mut g,
        governed(
            1,
            BoundaryChange::LowerCap { asset: NEW, cap: 1 },
            Signers::Validators,
        ),
    );
    assert_eq!(refusal.label(), "G8 undeclared asset", "{refusal}");
}
