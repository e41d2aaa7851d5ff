//! `gate tick`: signing a tick into the next epoch with stream-guardian
//! keys, merging other guardians' signatures, and offering it to the gate.

use std::path::{Path, PathBuf};

use bulkhead_node::ledger::{Depth, LedgerReader};
use bulkhead_protocol::messages::tick_message;
use bulkhead_prover::ParamsCache;
use bulkhead_verifier::gate::{ItemJson, Refusal, StreamItem, Tick};
use clap::Args;

use crate::error::CliError;
use crate::signer;

/// Flags of `gate tick`.
#[derive(Args)]
pub struct TickArgs {
    /// The epoch the stream enters (the current epoch + 1).
    #[arg(long)]
    pub epoch: u64,
    /// The tick's time, seconds (at least one epoch length after the
    /// previous tick's).
    #[arg(long)]
    pub time: u64,
    /// A stream guardian signing: `INDEX:FILE`, its index in the
    /// configuration's `stream_guardians` and a file holding its Ed25519
    /// secret key as 64 hex digits. Repeat for each guardian.
    #[arg(long = "guardian", value_parser = parse_guardian)]
    guardians: Vec<(usize, PathBuf)>,
    /// Tick files signed by other guardians for the same epoch and time:
    /// their signatures are added to this one's.
    #[arg(long)]
    add: Vec<PathBuf>,
    /// Also write the signed tick here, for the other gates and guardians
    /// (below the threshold: for the next guardian's `--add`).
    #[arg(long)]
    pub out: Option<PathBuf>,
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
    /// The tick into stream `stream_id`'s next epoch with this command's
    /// signatures and those of `--add`.
    pub fn sign(&self, stream_id: u64) -> Result<Tick, CliError> {
        let message = tick_message(stream_id, self.epoch, self.time);
        let what = format!("a tick for epoch {} at time {}", self.epoch, self.time);
        let mut signatures = signer::added_signatures(&self.add, &what, |item| match item {
            ItemJson::Tick(other) if other.epoch == self.epoch && other.time == self.time => {
                Some(other.signatures)
            }
            _ => None,
        })?;
        for (index, path) in &self.guardians {
            let key = signer::load(path)?;
            signer::merge(&mut signatures, signer::sign(&key, *index, &message));
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

/// Signs the tick over the stream the gate follows, writes `--out`, and
/// offers the tick to the gate. A tick refused only because it carries
/// fewer valid signatures than the threshold, every one of them valid, is
/// the first step of partial signing when `--out` was written: exit 0, the
/// gate unchanged. Any other refusal exits 1.
pub fn execute(dir: &Path, cache: &ParamsCache, args: TickArgs) -> Result<(), CliError> {
    let (state, _) = LedgerReader::open(dir)?.state(Depth::Summary)?;
    let tick = args.sign(state.config.stream_id)?;
    if let Some(out) = &args.out {
        signer::emit_json(&ItemJson::Tick(tick.clone()), Some(out))?;
    }
    let carried = tick.signatures.len();
    let entry = (
        format!("tick to epoch {}", tick.epoch),
        StreamItem::EpochTick(tick),
    );
    let label = &entry.0;
    let mut ledger = super::open_for(dir, cache, std::slice::from_ref(&entry))?;
    match (
        super::offer(&mut ledger, label, &entry.1, false)?,
        &args.out,
    ) {
        (None, _) => Ok(()),
        // A signature that does not verify (a wrong key or index) is not
        // "too few": it would never count, so that stays a refusal.
        (Some(Refusal::WeakTick { valid, threshold }), Some(out)) if valid == carried => {
            println!(
                "{label} written to {} with {valid} of the {threshold} guardian signatures it \
                 needs; the next guardian adds theirs with `gate tick --epoch {} --time {} \
                 --guardian INDEX:FILE --add {}`. This gate is unchanged until then.",
                out.display(),
                args.epoch,
                args.time,
                out.display()
            );
            Ok(())
        }
        (Some(refusal), _) => {
            eprintln!("refused {label}: {refusal}");
            Err(CliError::ItemsRefused(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        tick: TickArgs,
    }

    #[test]
    fn guardians_are_index_colon_file() {
        let cli = Cli::try_parse_from([
            "x",
            "--epoch",
            "7",
            "--time",
            "25200",
            "--guardian",
            "1:/k/g1.key",
        ])
        .unwrap();
        assert_eq!(cli.tick.guardians, vec![(1, PathBuf::from("/k/g1.key"))]);
        for bad in ["g1.key", "x:g1.key"] {
            let e = Cli::try_parse_from(["x", "--epoch", "7", "--time", "1", "--guardian", bad])
                .err()
                .unwrap();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }
}
