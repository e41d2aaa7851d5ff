//! Credit rules: local to this gate. Exits to this gate's segment are
//! credited in order unless held: by this gate's breaker (tripped by its
//! guardians), by the stream's quarantine of their source, or by the
//! inbound limit per source and epoch. Held exits are queued, never
//! dropped, and released in order, never more per epoch than the limit.
//!
//! An exit larger than the whole limit could never be credited in one
//! epoch; it is credited in parts instead, each part filling what is left
//! of its source's limit in the epoch, so it reaches its recipient within
//! `ceil(amount / limit)` epochs and never stops the exits behind it for
//! longer than that.

use std::collections::BTreeSet;

use bulkhead_protocol::bundle::Bundle;

use super::effect::Effect;
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
                    part: 0,
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

/// What the limit lets through of one held exit now.
enum Release {
    /// The whole (remaining) amount.
    Whole,
    /// A part that fills the source's room in this epoch: the exit is
    /// larger than the whole limit, so waiting for an empty epoch would
    /// never be enough.
    Part(u64),
    /// Nothing: the exit fits in a later epoch's limit; it waits, and so
    /// do the source's exits behind it.
    Wait,
}

/// The release of `amount` when `used` of `limit` is spent this epoch.
fn release_of(amount: u64, used: u64, limit: u64) -> Release {
    let room = limit.saturating_sub(used);
    if amount <= room {
        Release::Whole
    } else if amount > limit && room > 0 {
        Release::Part(room)
    } else {
        Release::Wait
    }
}

/// Credits held exits in arrival order while the local breaker is closed,
/// their source is not quarantined and its inbound limit for the current
/// epoch has room; returns what was credited (parts included). An exit
/// that does not fit stops its source's queue (order is kept per source),
/// so a release, by the stream or by this gate's guardians, pays out at
/// most one epoch's limit per source and epoch; other sources' exits go
/// on. An exit larger than the limit is credited in parts (see the module
/// documentation).
pub(super) fn release_held(state: &mut GateState, changes: &mut Changes) -> Vec<Credit> {
    if state.local_tripped {
        return Vec::new();
    }
    let local = state.config.inbound_limit;
    let mut blocked: BTreeSet<u64> = BTreeSet::new();
    let mut released: Vec<(u64, u64)> = Vec::new();
    for (position, credit) in &state.held {
        if blocked.contains(&credit.src) {
            continue;
        }
        let source = state.sources.get(&credit.src);
        let quarantined = source.is_none_or(|s| s.quarantined.is_some());
        // The stream may have lowered the source's limit at every gate
        // (rule G8); this gate's own still holds where it is lower.
        let limit = source.map_or(local, |s| s.governance.inbound_limit(local));
        let key = SourceEpoch {
            src: credit.src,
            epoch: state.epoch,
        };
        let used = state.inbound.get(&key).copied().unwrap_or(0);
        let amount = match release_of(credit.amount, used, limit) {
            _ if quarantined => {
                blocked.insert(credit.src);
                continue;
            }
            Release::Whole => credit.amount,
            Release::Part(part) => {
                blocked.insert(credit.src);
                part
            }
            Release::Wait => {
                blocked.insert(credit.src);
                continue;
            }
        };
        // `amount <= limit - used`, so the sum stays within the limit.
        state.inbound.insert(key, used.saturating_add(amount));
        changes.inbound.insert(key);
        released.push((*position, amount));
    }
    let mut credited = Vec::with_capacity(released.len());
    for (position, amount) in released {
        let Some(held) = state.held.get_mut(&position) else {
            continue;
        };
        let record = Credit {
            amount,
            ..held.clone()
        };
        if amount < held.amount {
            held.amount -= amount;
            held.part = held.part.saturating_add(1);
            changes.held_changed.insert(position);
        } else {
            state.held.remove(&position);
            changes.held_removed.insert(position);
            state.credited_exits = state.credited_exits.saturating_add(1);
        }
        if let Some(source) = state.sources.get_mut(&record.src) {
            let total = source.credited.entry(record.asset).or_default();
            *total = total.saturating_add(record.amount);
            changes.sources.insert(record.src);
        }
        changes.credited.push(record.clone());
        credited.push(record);
    }
    credited
}

#[cfg(test)]
mod tests;
