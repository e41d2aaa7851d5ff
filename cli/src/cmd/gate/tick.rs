//! `gate tick`: signing a tick into the next epoch with stream-guardian
//! keys, merging other guardians' signatures.

use std::path::PathBuf;

use bulkhead_protocol::hex::decode_array;
use bulkhead_protocol::messages::tick_message;
use bulkhead_verifier::gate::{IndexedSignature, ItemJson, Tick};
use clap::Args;
use ed25519_dalek::{Signer, SigningKey};

use crate::error::CliError;
use crate::json::read_json;

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
    /// Also write the signed tick here, for the other gates and guardians.
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
