//! `bulkhead gate`: a receiving gate over its ledger in a state directory.
//!
//! Every writing command (`init`, `accept`, `attest`, `trip`, `release`,
//! `tick`, `serve`) takes the directory's lock, so one process writes at a
//! time; the reading commands (`status`, `credits`, `export`) open the
//! ledger read-only and work beside a running service.

mod serve;
mod tick;

use std::path::{Path, PathBuf};

use bulkhead_node::keys::gate_keys;
use bulkhead_node::ledger::{Depth, Ledger, LedgerReader, Verdict};
use bulkhead_node::report::{status_report, verdict_report};
use bulkhead_node::stream::read_item_file;
use bulkhead_node::NodeError;
use bulkhead_protocol::hex::fp_from_hex;
use bulkhead_prover::ParamsCache;
use bulkhead_verifier::gate::{Credit, Effect, GateConfig, GateError, Refusal, StreamItem};
use clap::{Args, Subcommand};

use crate::error::CliError;
use crate::json::read_json;

/// A persistent receiving gate.
#[derive(Args)]
pub struct GateArgs {
    /// The gate's state directory.
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
        /// One JSON verdict per item on stdout.
        #[arg(long)]
        json: bool,
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
    /// Sign a tick into the next epoch with stream-guardian keys, add it to
    /// this gate's stream (every gate must be offered the same tick file:
    /// `--out`). Below the guardian threshold with `--out` given, the
    /// partly signed tick is written for the next guardian (`--add`) and
    /// the command exits 0 with the gate unchanged; exit 1 if the gate
    /// refuses it for any other reason (not the next epoch, too early, a
    /// signature that does not verify, or too few without `--out`).
    Tick(tick::TickArgs),
    /// Show per source: tips, next sequence, epoch, breaker, credits, bound.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List credits in order, a page at a time (JSON).
    Credits {
        /// Only credits to this recipient (64 hex digits).
        #[arg(long)]
        recipient: Option<String>,
        /// Credits after this credit id (the previous page's `next`).
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// Credits per page (1..=1000).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1000))]
        limit: u64,
    },
    /// Dump the whole ledger as JSON (u64 values as decimal strings).
    Export {
        /// JSON (the only format; the flag says so in scripts).
        #[arg(long)]
        json: bool,
    },
    /// Run the gate as a service: keys derived once, an HTTP API, and
    /// optionally a directory log followed (see README).
    Serve(serve::ServeArgs),
}

/// Runs one gate action.
pub fn execute(args: GateArgs, cache: &ParamsCache) -> Result<(), CliError> {
    let dir = args.state.as_path();
    match args.action {
        GateAction::Init { config } => {
            // Errors name the file and the field path.
            let config: GateConfig = read_json(&config)?;
            // Every registration rule first: a bad file is refused before
            // seconds of key derivation, and before anything is created.
            config.validate().map_err(GateError::from)?;
            let keys = gate_keys(&config, cache)?;
            Ledger::create(dir, config, keys)?;
            println!("gate created in {}", dir.display());
            Ok(())
        }
        GateAction::Accept { items, json } => {
            let items = items
                .iter()
                .map(|p| read_item_file(p).map(|item| (p.display().to_string(), item)))
                .collect::<Result<Vec<_>, _>>()?;
            follow(dir, cache, items, json)
        }
        GateAction::Attest { file } | GateAction::Trip { file } | GateAction::Release { file } => {
            let item = read_item_file(&file)?;
            follow(dir, cache, vec![(file.display().to_string(), item)], false)
        }
        GateAction::Tick(args) => tick::execute(dir, cache, args),
        GateAction::Status { json } => {
            let (state, position) = LedgerReader::open(dir)?.state(Depth::Summary)?;
            print_json(&status_report(&state, position), !json)
        }
        GateAction::Credits {
            recipient,
            after,
            limit,
        } => {
            let recipient = recipient
                .map(|text| {
                    fp_from_hex(&text).ok_or_else(|| {
                        CliError::Usage(format!(
                            "--recipient {text:?}: not 64 hex digits of a field element"
                        ))
                    })
                })
                .transpose()?;
            // `limit` is 1..=1000 by its parser.
            let page =
                LedgerReader::open(dir)?.credits(recipient.as_ref(), after, limit as usize)?;
            let credits: Vec<_> = page
                .credits
                .iter()
                .map(|(id, c)| serde_json::json!({ "id": id, "credit": c }))
                .collect();
            let doc = serde_json::json!({ "credits": credits, "next": page.next });
            print_json(&bulkhead_node::json::integers_as_strings(doc), true)
        }
        GateAction::Export { json: _ } => {
            let doc = LedgerReader::open(dir)?.export()?;
            print_json(&doc, true)
        }
        GateAction::Serve(args) => serve::execute(dir, args, cache),
    }
}

fn print_json(value: &serde_json::Value, pretty: bool) -> Result<(), CliError> {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .map_err(|e| CliError::Usage(e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// Opens the ledger for writing; derives verifying keys only if a bundle
/// is among `items` (ticks, attestations and votes need none).
fn open_for(
    dir: &Path,
    cache: &ParamsCache,
    items: &[(String, StreamItem)],
) -> Result<Ledger, CliError> {
    let needs_keys = items
        .iter()
        .any(|(_, item)| matches!(item, StreamItem::Bundle(_)));
    Ok(Ledger::open(dir, |config| {
        if needs_keys {
            gate_keys(config, cache).map(Some)
        } else {
            Ok::<_, NodeError>(None)
        }
    })?)
}

/// Offers items to the gate in order, each committed (or refused, with
/// nothing written) before the next.
fn follow(
    dir: &Path,
    cache: &ParamsCache,
    items: Vec<(String, StreamItem)>,
    json: bool,
) -> Result<(), CliError> {
    let mut ledger = open_for(dir, cache, &items)?;
    let mut refused = 0;
    for (name, item) in items {
        if let Some(refusal) = offer(&mut ledger, &name, &item, json)? {
            refused += 1;
            eprintln!("refused {name}: {refusal}");
        }
    }
    if refused > 0 {
        return Err(CliError::ItemsRefused(refused));
    }
    Ok(())
}

/// Offers one item: prints its verdict (a line, or JSON with `json`) if
/// accepted, and returns the refusal, unprinted, for the caller to judge.
fn offer(
    ledger: &mut Ledger,
    name: &str,
    item: &StreamItem,
    json: bool,
) -> Result<Option<Refusal>, CliError> {
    let verdict = ledger.apply(item, None)?;
    if json {
        let mut doc = verdict_report(&verdict);
        doc["item"] = serde_json::Value::String(name.to_owned());
        println!("{doc}");
    }
    match verdict {
        Verdict::Accepted(effect) => {
            tracing::debug!(?effect, "accepted");
            if !json {
                println!("accepted {name}: {}", describe(&effect));
            }
            Ok(None)
        }
        Verdict::Refused(refusal) => Ok(Some(refusal)),
    }
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
        Effect::Released { segment, credited } => format!(
            "segment {segment} released; credited {} held exits",
            credited.len()
        ),
        Effect::EvidenceRecorded { segment } => {
            format!("equivocation evidence recorded against segment {segment}")
        }
        Effect::VoteCounted => "guardian vote counted".into(),
        Effect::LocalTripped => "this gate's breaker tripped".into(),
        Effect::LocalReleased { credited } => {
            format!("breaker released; credited {} held exits", credited.len())
        }
        Effect::Tick { credited } => format!("new epoch; credited {} held exits", credited.len()),
        Effect::Imported {
            segment,
            asset,
            amount,
        } => format!("segment {segment} imported {amount} of asset {asset}"),
        other => format!("{other:?}"),
    }
}
