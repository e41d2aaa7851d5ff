//! The blast-radius bound: the most this gate can lose to one source.

use std::collections::BTreeMap;

use super::state::GateState;

/// The blast-radius bound of one source at this gate, per asset:
/// `min(collateral, cap × epochs it could send)` where the epochs run from
/// the stream's first epoch to its quarantine (or to now), and never more
/// than this gate's inbound limit per epoch over the same epochs.
pub fn blast_radius(state: &GateState, src: u64) -> BTreeMap<u64, u64> {
    let (Some(config), Some(source)) = (state.config.source(src), state.sources.get(&src)) else {
        return BTreeMap::new();
    };
    let epochs = source
        .quarantined_at
        .unwrap_or(state.epoch)
        .saturating_add(1);
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
