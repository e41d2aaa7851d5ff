//! Credit rules: local to this gate. Exits to this gate's segment are
//! credited in order unless held: by this gate's breaker (tripped by its
//! guardians), by the stream's quarantine of their source, or by the
//! inbound limit per source and epoch. Held exits are queued, never
//! dropped, and released in order, never more per epoch than the limit.

use std::collections::BTreeSet;

use bulkhead_protocol::bundle::Bundle;

use super::refusal::Effect;
use super::state::{Changes, Credit, GateState, SourceEpoch};

/// Queues the exits of an accepted bundle that are addressed to this gate
/// and credits whatever the breaker lets through now.
pub(super) fn receive(state: &mut GateState, bundle: &Bundle, changes: &mut Changes) -> Effect {
    let i = bundle.instance;
    if i.dst == state.config.segment {
        for (k, e) in bundle.exits.iter().enumerate() {
            let position = state.next_held;
            state.next_held = position.saturating_add(1);
            state.held.insert(
                position,
                Credit {
                    src: i.src,
                    seq: i.first_seq.saturating_add(k as u64),
                    asset: i.asset,
                    epoch: i.epoch,
                    recipient: e.recipient,
                    amount: e.amount,
                },
            );
            changes.held_added.insert(position);
        }
    }
    let credited = release_held(state, changes);
    let held = state
        .held
        .values()
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
pub(super) fn release_held(state: &mut GateState, changes: &mut Changes) -> Vec<Credit> {
    if state.local_tripped {
        return Vec::new();
    }
    let mut blocked: BTreeSet<u64> = BTreeSet::new();
    let mut released = Vec::new();
    for (position, credit) in &state.held {
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
            continue;
        }
        state
            .inbound
            .insert(key, used.saturating_add(credit.amount));
        changes.inbound.insert(key);
        released.push(*position);
    }
    let mut credited = Vec::with_capacity(released.len());
    for position in released {
        let Some(credit) = state.held.remove(&position) else {
            continue;
        };
        if let Some(source) = state.sources.get_mut(&credit.src) {
            let total = source.credited.entry(credit.asset).or_default();
            *total = total.saturating_add(credit.amount);
            changes.sources.insert(credit.src);
        }
        state.credited_exits = state.credited_exits.saturating_add(1);
        changes.held_removed.insert(position);
        changes.credited.push(credit.clone());
        credited.push(credit);
    }
    credited
}
