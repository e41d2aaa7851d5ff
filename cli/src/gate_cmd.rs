//! `gate`: a persistent receiving gate on disk.

use bulkhead_circuits::keys::ParamsCache;
use bulkhead_cli::snapshot::read_json;
use bulkhead_cli::store::{read_item, GateStore};
use bulkhead_verifier::gate::{blast_radius, Effect, GateConfig, StreamItem};

use crate::{Failure, GateAction, GateArgs};

pub(crate) fn gate(args: GateArgs, cache: &ParamsCache) -> Result<(), Failure> {
    let store = GateStore::new(&args.state);
    let usage = Failure::Usage;
    match args.action {
        GateAction::Init { config } => {
            // Errors name the file and the field path.
            let config: GateConfig = read_json(&config).map_err(usage)?;
            store.init(config).map_err(usage)?;
            println!("gate created in {}", args.state.display());
            Ok(())
        }
        GateAction::Accept { items } => {
            let items = items
                .iter()
                .map(|p| read_item(p).map(|item| (p.display().to_string(), item)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(usage)?;
            follow(&store, cache, items)
        }
        GateAction::Attest { file } | GateAction::Trip { file } | GateAction::Release { file } => {
            let item = read_item(&file).map_err(usage)?;
            follow(&store, cache, vec![(file.display().to_string(), item)])
        }
        GateAction::Tick { epoch } => follow(
            &store,
            cache,
            vec![(format!("tick {epoch}"), StreamItem::EpochTick(epoch))],
        ),
        GateAction::Status { json } => status(&store, json),
    }
}

/// Offers items to the gate in order, saving after each accepted one.
pub(crate) fn follow(
    store: &GateStore,
    cache: &ParamsCache,
    items: Vec<(String, StreamItem)>,
) -> Result<(), Failure> {
    let mut gate = store.open(cache).map_err(Failure::Usage)?;
    let mut refused = 0;
    for (name, item) in items {
        match gate.process(&item) {
            Ok(effect) => {
                store.save(gate.state()).map_err(Failure::Usage)?;
                tracing::debug!(?effect, "accepted");
                println!("accepted {name}: {}", describe(&effect));
            }
            Err(refusal) => {
                refused += 1;
                eprintln!("refused {name}: {refusal}");
            }
        }
    }
    if refused > 0 {
        return Err(Failure::Refused(format!("{refused} item(s) refused")));
    }
    Ok(())
}

/// One line for an accepted item's effect.
pub(crate) fn describe(effect: &Effect) -> String {
    let sum =
        |credits: &[bulkhead_verifier::gate::Credit]| credits.iter().map(|c| c.amount).sum::<u64>();
    match effect {
        Effect::BundleAccepted {
            src,
            credited,
            held,
        } => format!(
            "segment {src} advances; credited {} exits ({}), held {} ({})",
            credited.len(),
            sum(credited),
            held.len(),
            sum(held)
        ),
        Effect::Attested { segment } => format!("segment {segment}'s tip moves"),
        Effect::Quarantined { segment, cause } => {
            format!("segment {segment} quarantined ({cause:?})")
        }
        Effect::Released { segment } => format!("segment {segment} released"),
        Effect::VoteCounted => "guardian vote counted".into(),
        Effect::LocalTripped => "this gate's breaker tripped".into(),
        Effect::LocalReleased { credited } => {
            format!("breaker released; credited {} held exits", credited.len())
        }
        Effect::Tick { credited } => format!("new epoch; credited {} held exits", credited.len()),
        other => format!("{other:?}"),
    }
}

pub(crate) fn status(store: &GateStore, json: bool) -> Result<(), Failure> {
    let state = store.load_state().map_err(Failure::Usage)?;
    let sources: Vec<serde_json::Value> = state
        .sources
        .iter()
        .map(|(id, s)| {
            serde_json::json!({
                "segment": id,
                "tip": bulkhead_circuits::hash::to_hex(&s.tip),
                "boundary": bulkhead_circuits::hash::to_hex(&s.boundary),
                "next_seq": s.next_seq,
                "last_epoch": s.last_epoch,
                "epoch_inbound": state.inbound.get(&format!("{id}@{}", state.epoch)).copied().unwrap_or(0),
                "quarantined": s.quarantined,
                "bundles_accepted": s.accepted,
                "credited": s.credited,
                "held": state.held.iter().filter(|c| c.src == *id).map(|c| c.amount).sum::<u64>(),
                "blast_radius_bound": blast_radius(&state, *id),
            })
        })
        .collect();
    let report = serde_json::json!({
        "segment": state.config.segment,
        "epoch": state.epoch,
        "local_breaker_tripped": state.local_tripped,
        "credited_exits": state.credited.len(),
        "held_exits": state.held.len(),
        "sources": sources,
    });
    if json {
        println!("{report}");
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Failure::Usage(e.to_string()))?
        );
    }
    Ok(())
}
