//! `bulkhead gate`: a persistent receiving gate on disk.

use std::path::PathBuf;

use bulkhead_protocol::hex::fp_to_hex;
use bulkhead_prover::ParamsCache;
use bulkhead_verifier::gate::{blast_radius, Credit, Effect, GateConfig, StreamItem};
use clap::{Args, Subcommand};

use crate::error::CliError;
use crate::json::read_json;
use crate::store::{read_item, GateStore};

/// A persistent receiving gate.
#[derive(Args)]
pub struct GateArgs {
    /// The gate's directory.
    #[arg(long)]
    state: PathBuf,
    #[command(subcommand)]
    action: GateAction,
}

#[derive(Subcommand)]
enum GateAction {
    /// Create a gate from a configuration file (see examples/gate-config.json).
    Init {
        /// Gate configuration (JSON).
        #[arg(long)]
        config: PathBuf,
    },
    /// Follow stream items in order: bundles (*.bundle) and JSON items
    /// (attestations, ticks, guardian actions). Exit 1 if any is refused.
    Accept {
        /// Item files, in stream order.
        #[arg(required = true)]
        items: Vec<PathBuf>,
    },
    /// Follow one validator attestation (JSON).
    Attest {
        /// Attestation file.
        file: PathBuf,
    },
    /// Follow one guardian vote to trip a breaker (JSON).
    Trip {
        /// Guardian action file.
        file: PathBuf,
    },
    /// Follow one guardian vote to release a breaker (JSON).
    Release {
        /// Guardian action file.
        file: PathBuf,
    },
    /// Advance the stream to an epoch.
    Tick {
        /// The new epoch.
        epoch: u64,
    },
    /// Show per source: tips, next sequence, epoch, breaker, credits, bound.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs one gate action.
pub fn execute(args: GateArgs, cache: &ParamsCache) -> Result<(), CliError> {
    let store = GateStore::new(&args.state);
    match args.action {
        GateAction::Init { config } => {
            // Errors name the file and the field path.
            let config: GateConfig = read_json(&config)?;
            store.init(config)?;
            println!("gate created in {}", args.state.display());
            Ok(())
        }
        GateAction::Accept { items } => {
            let items = items
                .iter()
                .map(|p| read_item(p).map(|item| (p.display().to_string(), item)))
                .collect::<Result<Vec<_>, _>>()?;
            follow(&store, cache, items)
        }
        GateAction::Attest { file } | GateAction::Trip { file } | GateAction::Release { file } => {
            let item = read_item(&file)?;
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
fn follow(
    store: &GateStore,
    cache: &ParamsCache,
    items: Vec<(String, StreamItem)>,
) -> Result<(), CliError> {
    let mut gate = store.open(cache)?;
    let mut refused = 0;
    for (name, item) in items {
        match gate.process(&item) {
            Ok(effect) => {
                store.save(gate.state())?;
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
        return Err(CliError::ItemsRefused(refused));
    }
    Ok(())
}

/// One line for an accepted item's effect.
fn describe(effect: &Effect) -> String {
    let sum = |credits: &[Credit]| credits.iter().map(|c| c.amount).sum::<u64>();
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

fn status(store: &GateStore, json: bool) -> Result<(), CliError> {
    let state = store.load_state()?;
    let sources: Vec<serde_json::Value> = state
        .sources
        .iter()
        .map(|(id, s)| {
            serde_json::json!({
                "segment": id,
                "tip": fp_to_hex(&s.tip),
                "boundary": fp_to_hex(&s.boundary),
                "next_seq": s.next_seq,
                "last_epoch": s.last_epoch,
                "epoch_inbound": state.inbound_now(*id),
                "quarantined": s.quarantined,
                "bundles_accepted": s.accepted,
                "credited": s.credited,
                "held": state.held_from(*id),
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
            serde_json::to_string_pretty(&report).map_err(|e| CliError::Usage(e.to_string()))?
        );
    }
    Ok(())
}
