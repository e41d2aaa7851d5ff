//! What a gate reports about itself, as JSON: the same documents for
//! `bulkhead gate status` and the service's `GET /v1/status`,
//! `/v1/sources/{id}` and `/v1/blast-radius`. Every integer is a decimal
//! string ([`crate::json`]).

use bulkhead_protocol::hex::fp_to_hex;
use bulkhead_verifier::gate::{blast_radius, import_alarms, GateRule, GateState};
use serde_json::{json, Value};

use crate::json::integers_as_strings;

/// One source as this gate follows it, or `None` if it is not registered:
/// its chain, its boundary as the mirror holds it (live collateral, cap
/// and window of every declared silo), the value flowing into it and what
/// it imported, breaker and credits here.
pub fn source_report(state: &GateState, id: u64) -> Option<Value> {
    let s = state.sources.get(&id)?;
    let flows: Vec<Value> = s
        .mirror
        .silos()
        .keys()
        .map(|asset| {
            let flow = state.flow(id, *asset);
            json!({
                "asset": asset,
                "inflow": flow.inflow.to_string(),
                "imported": flow.imported.to_string(),
                "deposited": flow.deposited.to_string(),
                "withdrawn": flow.withdrawn.to_string(),
            })
        })
        .collect();
    Some(integers_as_strings(json!({
        "segment": id,
        "tip": fp_to_hex(&s.tip),
        "height": s.height,
        "boundary": fp_to_hex(&s.boundary()),
        "next_seq": s.next_seq(),
        "silos": s.mirror.silos().values().collect::<Vec<_>>(),
        "flows": flows,
        // Rule G8: the next governance sequence number, each loosen
        // pending with the epoch it takes effect, the automatic rule per
        // asset and the effective caps it leaves, the inbound limits and
        // the lanes governance changed.
        "governance": {
            "seq": s.governance.seq,
            "pending": s.governance.pending.iter().map(|(seq, p)| json!({
                "seq": seq,
                "change": p.change,
                "effective_epoch": p.effective_epoch,
            })).collect::<Vec<_>>(),
            "auto": s.governance.auto,
            // The stream's inbound limit for the source (null: none set)
            // and the one this gate applies, the lower of it and its own.
            "inbound_limit": s.governance.inbound_limit,
            "effective_inbound_limit": s.governance.inbound_limit(state.config.inbound_limit),
            // The validator set a rotation put in force (null: the
            // registered one) and the silos governance added.
            "validators": s.governance.validators,
            "added_silos": s.governance.added_silos.iter().map(|a| a.asset).collect::<Vec<_>>(),
            "lanes": s.governance.lanes.iter().map(|(position, lane)| json!({
                "position": position,
                "lane": lane,
            })).collect::<Vec<_>>(),
            "effective_caps": s.mirror.silos().values().map(|silo| json!({
                "asset": silo.asset,
                "cap": s.governance.effective_cap(silo.asset, silo.cap),
            })).collect::<Vec<_>>(),
        },
        "last_epoch": s.last_epoch,
        "epoch_inbound": state.inbound_now(id),
        "quarantined": s.quarantined,
        "breaker_round": s.round,
        "bundles_accepted": s.accepted,
        "credited": s.credited,
        "held": state.held_from(id),
        "open_epochs": s.open_epochs,
        "blast_radius_bound": blast_radius(state, id),
    })))
}

/// The gate: its clock, breaker, counters, stream position and sources.
pub fn status_report(state: &GateState, position: u64) -> Value {
    let sources: Vec<Value> = state
        .sources
        .keys()
        .filter_map(|id| source_report(state, *id))
        .collect();
    integers_as_strings(json!({
        "segment": state.config.segment,
        "epoch": state.epoch,
        "epoch_time": state.epoch_time,
        "stream_position": position,
        "local_breaker_tripped": state.local_tripped,
        "items_accepted": state.accepted,
        "credited_exits": state.credited_exits,
        "held_exits": state.held.len(),
        "import_alarms": import_alarms(state),
        "sources": sources,
    }))
}

/// Per source and asset: the blast-radius bound, what was credited and
/// what is held, so an auditor sees the bound beside the exposure.
pub fn blast_report(state: &GateState) -> Value {
    let sources: Vec<Value> = state
        .sources
        .iter()
        .map(|(id, s)| {
            json!({
                "segment": id,
                "quarantined": s.quarantined.is_some(),
                "open_epochs": s.open_epochs,
                "bound": blast_radius(state, *id),
                "credited": s.credited,
                "held": state.held_from(*id),
            })
        })
        .collect();
    integers_as_strings(json!({
        "segment": state.config.segment,
        "inbound_limit": state.config.inbound_limit,
        "sources": sources,
    }))
}

/// A verdict as JSON: accepted with its effect, or refused with the rule,
/// a stable label and the reason.
pub fn verdict_report(verdict: &crate::Verdict) -> Value {
    match verdict {
        crate::Verdict::Accepted(effect) => integers_as_strings(json!({
            "verdict": "accepted",
            "effect": effect,
        })),
        crate::Verdict::Refused(refusal) => json!({
            "verdict": "refused",
            "rule": refusal.rule().map(GateRule::as_str),
            "label": refusal.label(),
            "reason": refusal.to_string(),
        }),
    }
}
