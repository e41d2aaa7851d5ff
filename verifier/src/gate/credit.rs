//! Credit rules: local to this gate. Exits to this gate's segment are
//! credited in order unless this gate's breaker holds them (tripped by its
//! guardians, or the inbound limit per source and epoch reached); held
//! exits are queued, never dropped, and released in order.

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
    let credited = release_held(state, false);
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

/// Credits held exits in order while the local breaker is closed and each
/// source's inbound limit for the current epoch has room; returns what was
/// credited. An exit that does not fit stops its source's queue (order is
/// kept per source). A release by the gate's guardians (`by_guardians`)
/// credits everything held: an exit larger than the whole per-epoch limit
/// would otherwise wait forever.
pub(super) fn release_held(state: &mut GateState, by_guardians: bool) -> Vec<Credit> {
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
        let fits = by_guardians
            || used
                .checked_add(credit.amount)
                .is_some_and(|total| total <= state.config.inbound_limit);
        if blocked.contains(&credit.src) || !fits {
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
