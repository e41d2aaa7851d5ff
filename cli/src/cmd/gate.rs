//! `bulkhead gate`: a persistent receiving gate on disk.

use std::path::PathBuf;

use bulkhead_protocol::hex::{decode_array, fp_to_hex};
use bulkhead_protocol::messages::tick_message;
use bulkhead_prover::{write_atomically, ParamsCache};
use bulkhead_verifier::gate::{
    blast_radius, Credit, Effect, GateConfig, IndexedSignature, ItemJson, StreamItem, Tick,
};
use clap::{Args, Subcommand};
use ed25519_dalek::{Signer, SigningKey};

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
    /// Sign a tick into the next epoch with stream-guardian keys, add it to
    /// this gate's stream (every gate must be offered the same tick file:
    /// `--out`), exit 1 if the gate refuses it (not the next epoch, too
    /// early, below the guardian threshold).
    Tick(TickArgs),
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
            store.init(config, cache)?;
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
        GateAction::Tick(args) => {
            let tick = args.sign()?;
            if let Some(out) = &args.out {
                let json = serde_json::to_vec_pretty(&ItemJson::Tick(tick.clone()))
                    .map_err(|e| CliError::Usage(e.to_string()))?;
                write_atomically(out, &json).map_err(CliError::io(out))?;
            }
            let label = format!("tick to epoch {}", tick.epoch);
            follow(&store, cache, vec![(label, StreamItem::EpochTick(tick))])
        }
        GateAction::Status { json } => status(&store, json),
    }
}

/// Flags of `gate tick`.
#[derive(Args)]
struct TickArgs {
    /// The epoch the stream enters (the current epoch + 1).
    #[arg(long)]
    epoch: u64,
    /// The tick's time, seconds (at least one epoch length after the
    /// previous tick's).
    #[arg(long)]
    time: u64,
    /// A stream guardian signing: `INDEX:FILE`, its index in the
    /// configuration's `stream_guardians` and a file holding its Ed25519
    /// secret key as 64 hex digits. Repeat for each guardian.
    #[arg(long = "guardian", value_parser = parse_guardian)]
    guardians: Vec<(usize, PathBuf)>,
    /// Tick files signed by other guardians for the same epoch and time:
    /// their signatures are added to this one's.
    #[arg(long)]
    add: Vec<PathBuf>,
    /// Also write the signed tick here, for the other gates and guardians.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn parse_guardian(text: &str) -> Result<(usize, PathBuf), String> {
    let (index, file) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not INDEX:FILE"))?;
    let index = index
        .parse()
        .map_err(|_| format!("{index:?} is not a guardian index"))?;
    Ok((index, PathBuf::from(file)))
}

impl TickArgs {
    /// The tick with this command's signatures and those of `--add`.
    fn sign(&self) -> Result<Tick, CliError> {
        let message = tick_message(self.epoch, self.time);
        let mut signatures = Vec::new();
        for path in &self.add {
            match read_json::<ItemJson>(path)? {
                ItemJson::Tick(other) if other.epoch == self.epoch && other.time == self.time => {
                    signatures.extend(other.signatures)
                }
                _ => {
                    return Err(CliError::Usage(format!(
                        "{}: not a tick for epoch {} at time {}",
                        path.display(),
                        self.epoch,
                        self.time
                    )))
                }
            }
        }
        for (index, path) in &self.guardians {
            let text = std::fs::read_to_string(path).map_err(CliError::io(path))?;
            let secret = decode_array::<32>(text.trim()).ok_or_else(|| {
                CliError::Usage(format!(
                    "{}: not an Ed25519 secret key (64 hex digits)",
                    path.display()
                ))
            })?;
            let signature = SigningKey::from_bytes(&secret).sign(&message).to_bytes();
            signatures.retain(|s: &IndexedSignature| s.index != *index);
            signatures.push(IndexedSignature {
                index: *index,
                signature,
            });
        }
        if signatures.is_empty() {
            return Err(CliError::Usage(
                "a tick needs --guardian INDEX:FILE or --add FILE".into(),
            ));
        }
        Ok(Tick {
            epoch: self.epoch,
            time: self.time,
            signatures,
        })
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
