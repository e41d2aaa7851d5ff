//! `bulkhead exit sign`: an account owner's signed exit request, in the
//! JSON form `relay serve` takes (`examples/exit-request.json`).

use std::path::PathBuf;

use bulkhead_protocol::hash::{self, owner_of_key, Fp};
use bulkhead_protocol::hex::{encode, fp_from_hex, fp_to_hex};
use bulkhead_protocol::messages::exit_message;
use bulkhead_protocol::snapshot::Snapshot;
use clap::{Args, Subcommand};
use ed25519_dalek::Signer;
use thiserror::Error;

use crate::error::CliError;
use crate::json::read_json;
use crate::signer;

/// An account owner's exits.
#[derive(Args)]
pub struct ExitArgs {
    #[command(subcommand)]
    action: ExitAction,
}

#[derive(Subcommand)]
enum ExitAction {
    /// Sign one exit request with the account owner's key and print it as
    /// `relay serve` takes it (POST it to /v1/exits). With `--snapshot`,
    /// the account's nonce is taken from the segment's snapshot and the
    /// key is checked to own the account. Exit 1 if the snapshot shows the
    /// relayer would refuse it (not the owner, another asset, a used
    /// nonce); nothing is written.
    Sign(SignArgs),
}

/// Flags of `exit sign`.
#[derive(Args)]
struct SignArgs {
    /// The account owner's secret key file (64 hex digits; `key new`).
    #[arg(long)]
    key: PathBuf,
    /// The stream the exit is for (the relayer's and the gates'
    /// `stream_id`): the signature counts on no other stream.
    #[arg(long)]
    stream_id: u64,
    /// The source segment (the account's); default: the snapshot's.
    #[arg(long, required_unless_present = "snapshot")]
    src: Option<u64>,
    /// The destination segment.
    #[arg(long)]
    dst: u64,
    /// The asset.
    #[arg(long)]
    asset: u64,
    /// The account's index in the segment.
    #[arg(long)]
    account: u64,
    /// The account's nonce this exit uses: its nonce in the latest
    /// snapshot plus the exits it has queued since. Default: the
    /// snapshot's nonce.
    #[arg(long, required_unless_present = "snapshot")]
    nonce: Option<u64>,
    /// The recipient on the destination segment (64 hex digits of a field
    /// element).
    #[arg(long, value_parser = parse_recipient)]
    recipient: Fp,
    /// The amount (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    amount: u64,
    /// The source segment's snapshot (examples/segment.json): the nonce
    /// and the owner are read from the account's entry.
    #[arg(long)]
    snapshot: Option<PathBuf>,
    /// Write the request here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn parse_recipient(text: &str) -> Result<Fp, String> {
    fp_from_hex(text).ok_or_else(|| format!("{text:?} is not 64 hex digits of a field element"))
}

/// An exit the segment's snapshot shows the relayer would refuse; nothing
/// was signed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AccountRefusal {
    /// The snapshot has no such account.
    #[error("segment {segment} has no account {account}")]
    NoAccount {
        /// Segment.
        segment: u64,
        /// Account index.
        account: u64,
    },
    /// The key is not the account's owner (rule G4).
    #[error(
        "the key does not own account {account} of segment {segment}: the key's owner hash is \
         {key_owner}, the account's owner is {account_owner}"
    )]
    NotOwner {
        /// Segment.
        segment: u64,
        /// Account index.
        account: u64,
        /// `owner_of_key` of the key, hex.
        key_owner: String,
        /// The account's owner field, hex.
        account_owner: String,
    },
    /// The account holds another asset (I4).
    #[error("account {account} holds asset {holds}, not asset {asset}")]
    OtherAsset {
        /// Account index.
        account: u64,
        /// The account's asset.
        holds: u64,
        /// The asset asked for.
        asset: u64,
    },
    /// The nonce was used already: the signature could never be accepted.
    #[error("account {account}'s nonce {nonce} is used: its next nonce is {next}")]
    NonceUsed {
        /// Account index.
        account: u64,
        /// The nonce asked for.
        nonce: u64,
        /// The snapshot's nonce.
        next: u64,
    },
}

/// Runs one exit action.
pub fn execute(args: ExitArgs) -> Result<(), CliError> {
    let ExitAction::Sign(args) = args.action;
    let key = signer::load(&args.key)?;
    let public_key = key.verifying_key().to_bytes();
    let (src, nonce) = match &args.snapshot {
        Some(path) => {
            let snapshot: Snapshot = read_json(path)?;
            if args.src.is_some_and(|src| src != snapshot.segment) {
                return Err(CliError::Usage(format!(
                    "--src {} but {} is segment {}'s snapshot",
                    args.src.unwrap_or_default(),
                    path.display(),
                    snapshot.segment
                )));
            }
            let next = checked_nonce(&snapshot, &args, owner_of_key(&public_key))?;
            (snapshot.segment, args.nonce.unwrap_or(next))
        }
        // Both are required by clap without a snapshot.
        None => match (args.src, args.nonce) {
            (Some(src), Some(nonce)) => (src, nonce),
            _ => {
                return Err(CliError::Usage(
                    "--src and --nonce are needed without --snapshot".into(),
                ))
            }
        },
    };
    let lane_id = hash::lane_id(Fp::from(src), Fp::from(args.dst), Fp::from(args.asset));
    let message = exit_message(
        args.stream_id,
        &lane_id,
        args.account,
        nonce,
        &args.recipient,
        args.amount,
    );
    let signature = key.sign(&message).to_bytes();
    // The relayer's form: integers as decimal strings (JSON numbers lose
    // precision above 2^53 in most clients), keys sorted.
    let request = serde_json::json!({
        "dst": args.dst.to_string(),
        "asset": args.asset.to_string(),
        "account": args.account.to_string(),
        "recipient": fp_to_hex(&args.recipient),
        "amount": args.amount.to_string(),
        "public_key": encode(public_key),
        "signature": encode(signature),
    });
    eprintln!(
        "signed: account {} of segment {src}, nonce {nonce}, {} of asset {} to segment {}, \
         stream {}",
        args.account, args.amount, args.asset, args.dst, args.stream_id
    );
    signer::emit_json(&request, args.out.as_deref())
}

/// The account's next nonce in `snapshot`, after checking that the key
/// with owner hash `key_owner` may sign this exit there.
fn checked_nonce(snapshot: &Snapshot, args: &SignArgs, key_owner: Fp) -> Result<u64, CliError> {
    let (segment, account) = (snapshot.segment, args.account);
    let entry = snapshot
        .accounts
        .iter()
        .find(|a| a.index == account)
        .ok_or(AccountRefusal::NoAccount { segment, account })?;
    if entry.owner != key_owner {
        return Err(AccountRefusal::NotOwner {
            segment,
            account,
            key_owner: fp_to_hex(&key_owner),
            account_owner: fp_to_hex(&entry.owner),
        }
        .into());
    }
    if entry.asset != args.asset {
        return Err(AccountRefusal::OtherAsset {
            account,
            holds: entry.asset,
            asset: args.asset,
        }
        .into());
    }
    if let Some(nonce) = args.nonce.filter(|n| *n < entry.nonce) {
        return Err(AccountRefusal::NonceUsed {
            account,
            nonce,
            next: entry.nonce,
        }
        .into());
    }
    Ok(entry.nonce)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        exit: ExitArgs,
    }

    const BASE: [&str; 14] = [
        "x",
        "sign",
        "--key",
        "k",
        "--stream-id",
        "1",
        "--dst",
        "2",
        "--asset",
        "1",
        "--account",
        "0",
        "--amount",
        "5",
    ];

    fn parse(extra: &[&str]) -> Result<SignArgs, clap::Error> {
        let mut argv = BASE.to_vec();
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).map(|cli| {
            let ExitAction::Sign(args) = cli.exit.action;
            args
        })
    }

    #[test]
    fn src_and_nonce_are_needed_only_without_a_snapshot() {
        let recipient = "00".repeat(32);
        let r = ["--recipient", recipient.as_str()];
        assert!(parse(&r).is_err());
        assert!(parse(&[&r[..], &["--src", "1"]].concat()).is_err());
        let args = parse(&[&r[..], &["--src", "1", "--nonce", "3"]].concat()).unwrap();
        assert_eq!((args.src, args.nonce), (Some(1), Some(3)));
        let args = parse(&[&r[..], &["--snapshot", "s.json"]].concat()).unwrap();
        assert_eq!((args.src, args.nonce), (None, None));
    }

    #[test]
    fn a_bad_recipient_or_a_zero_amount_is_a_usage_error() {
        let ok = ["--src", "1", "--nonce", "0"];
        let e = parse(&[&ok[..], &["--recipient", "7001"]].concat())
            .err()
            .unwrap();
        assert!(e.to_string().contains("not 64 hex digits"), "{e}");
        let recipient = "00".repeat(32);
        let mut argv = BASE.to_vec();
        argv[13] = "0";
        argv.extend_from_slice(&ok);
        argv.extend_from_slice(&["--recipient", &recipient]);
        assert!(Cli::try_parse_from(argv).is_err());
    }
}
