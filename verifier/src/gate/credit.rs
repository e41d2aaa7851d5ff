//! Credit rules: local to this gate. Exits to this gate's segment are
//! credited in order unless held: by this gate's breaker (tripped by its
//! guardians), by the stream's quarantine of their source, or by the
//! inbound limit per source and epoch. Held exits are queued, never
//! dropped, and released in order, never more per epoch than the limit.

use std::collections::{BTreeSet, VecDeque};

use bulkhead_protocol::bundle::Bundle;

use super::refusal::Effect;
use super::state::{Credit, GateState, SourceEpoch};

/// Queues the exits of an accepted bundle that are addressed to this gate
/// and credits whatever the breaker lets through now.
pub(super) fn receive(state: &mut GateState, bundle: &Bundle) -> Effect {
    let i = bundle.instance;
    if i.dst == state.config.segment {
        state
            .held
            .extend(bundle.exits.iter().enumerate().map(|(k, e)| Credit {
                src: i.src,
                seq: i.first_seq.saturating_add(k as u64),
                asset: i.asset,
                epoch: i.epoch,
                recipient: e.recipient,
                amount: e.amount,
            }));
    }
    let credited = release_held(state);
    let held = state
        .held
        .iter()
        .filter(|c| c.src == i.src && c.seq >= i.first_seq)
        .cloned()
        .collect();
    Effect::BundleAccepted {
        src: i.src,
        credited,
        held,
    }
}

/// Credits held exits in order while the local breaker is closed, their
/// source is not quarantined and its inbound limit for the current epoch
/// has room; returns what was credited. An exit that does not fit stops
/// its source's queue (order is kept per source), so a release, by the
/// stream or by this gate's guardians, pays out at most one epoch's limit
/// per source and epoch. An exit larger than the whole limit stays held
/// (queued, never dropped) until the operators raise the limit.
pub(super) fn release_held(state: &mut GateState) -> Vec<Credit> {
    if state.local_tripped {
        return Vec::new();
    }
    let mut credited = Vec::new();
    let mut blocked: BTreeSet<u64> = BTreeSet::new();
    let mut still_held = VecDeque::new();
    while let Some(credit) = state.held.pop_front() {
        let key = SourceEpoch {
            src: credit.src,
            epoch: state.epoch,
        };
        let used = state.inbound.get(&key).copied().unwrap_or(0);
        let fits = used
            .checked_add(credit.amount)
            .is_some_and(|total| total <= state.config.inbound_limit);
        let quarantined = state
            .sources
            .get(&credit.src)
            .is_none_or(|s| s.quarantined.is_some());
        if blocked.contains(&credit.src) || quarantined || !fits {
            blocked.insert(credit.src);
            still_held.push_back(credit);
            continue;
        }
        state
            .inbound
            .insert(key, used.saturating_add(credit.amount));
        if let Some(source) = state.sources.get_mut(&credit.src) {
            let credited = source.credited.entry(credit.asset).or_default();
            *credited = credited.saturating_add(credit.amount);
        }
        state.credited.push(credit.clone());
        credited.push(credit);
    }
    state.held = still_held;
    credited
}
