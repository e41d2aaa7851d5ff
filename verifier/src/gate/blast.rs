//! The blast-radius bound: the most this gate can lose to one source.

use std::collections::BTreeMap;

use super::config::SiloOpening;
use super::state::GateState;

/// The blast-radius bound of one source at this gate, per declared asset
/// (a silo governance added counts as registered empty, its cap among the
/// peaks):
/// `min(collateral given, cap × e, inbound_limit × e)` where the collateral
/// given is the registered collateral plus what the source imported (G7)
/// and was deposited (G8) less what was withdrawn (G8), `cap` is the
/// highest cap ever in force (the registered one, the live one from the
/// boundary mirror, or one a raise put in force, G8: a cap lowered now
/// does not undo what left under the old one), and `e` counts the stream
/// epochs in which the source was open (not quarantined) at some point.
///
/// Why it holds: a bundle needs an open source and EPOCH = the stream's
/// epoch, and the circuit's window (I7) allows at most `cap` per EPOCH, so
/// the source sends at most `cap × e`; its collateral starts at the
/// registered amount, only imports raise it and every bundle lowers it by
/// its TOTAL without passing zero (I6, followed in the mirror), so it never
/// sends more than it was given; this gate credits a source only while it
/// is open, at most the inbound limit per epoch; exits of undeclared assets
/// are refused. It is recomputed at every tick, quarantine, release and
/// import, because `e` and the imports move it.
pub fn blast_radius(state: &GateState, src: u64) -> BTreeMap<u64, u64> {
    let (Some(config), Some(source)) = (state.config.source(src), state.sources.get(&src)) else {
        return BTreeMap::new();
    };
    let epochs = source.open_epochs;
    source
        .mirror
        .silos()
        .keys()
        .map(|asset| {
            // A silo governance added was registered empty.
            let opening = config.silo(*asset).cloned().unwrap_or(SiloOpening {
                asset: *asset,
                collateral: 0,
                cap: 0,
                window_epoch: 0,
                window_outflow: 0,
                siblings: Vec::new(),
            });
            // Flows since registration: the registered collateral already
            // holds what was imported, deposited or withdrawn before (a
            // gate registered late carries those sums in).
            let flow = state.flow(src, opening.asset);
            let before = config
                .follow
                .flows
                .iter()
                .find(|f| f.asset == opening.asset)
                .copied()
                .unwrap_or(super::config::RegisteredFlow {
                    asset: opening.asset,
                    inflow: 0,
                    imported: 0,
                    deposited: 0,
                    withdrawn: 0,
                });
            let given = (u128::from(opening.collateral)
                + (flow.imported - before.imported)
                + (flow.deposited - before.deposited))
                .saturating_sub(flow.withdrawn - before.withdrawn);
            let given = u64::try_from(given).unwrap_or(u64::MAX);
            let live = source.mirror.silo(opening.asset).map_or(0, |s| s.cap);
            let peak = source.governance.peak_cap.get(&opening.asset).copied();
            let cap = live.max(opening.cap).max(peak.unwrap_or(0));
            let by_source = given.min(cap.saturating_mul(epochs));
            let by_gate = state.config.inbound_limit.saturating_mul(epochs);
            (opening.asset, by_source.min(by_gate))
        })
        .collect()
}
