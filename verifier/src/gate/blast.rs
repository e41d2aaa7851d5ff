//! The blast-radius bound: the most this gate can lose to one source.

use std::collections::BTreeMap;

use super::state::GateState;

/// The blast-radius bound of one source at this gate, per declared asset:
/// `min(collateral, cap × e, inbound_limit × e)` where `e` counts the stream
/// epochs in which the source was open (not quarantined) at some point,
/// collateral and cap from the declared silo openings.
///
/// Why it holds: a bundle needs an open source and EPOCH = the stream's
/// epoch, and the circuit's window (I7) allows at most `cap` per EPOCH, so
/// the source sends at most `cap × e` and never beyond its collateral (I6);
/// this gate credits a source only while it is open, at most the inbound
/// limit per epoch; exits of undeclared assets are refused. It is
/// recomputed at every tick, quarantine and release, because `e` is.
pub fn blast_radius(state: &GateState, src: u64) -> BTreeMap<u64, u64> {
    let (Some(config), Some(source)) = (state.config.source(src), state.sources.get(&src)) else {
        return BTreeMap::new();
    };
    let epochs = source.open_epochs;
    config
        .silos
        .iter()
        .map(|silo| {
            let by_source = silo.collateral.min(silo.cap.saturating_mul(epochs));
            let by_gate = state.config.inbound_limit.saturating_mul(epochs);
            (silo.asset, by_source.min(by_gate))
        })
        .collect()
}
