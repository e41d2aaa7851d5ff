//! `bulkhead vote sign`: a guardian's vote to trip or release a breaker,
//! as the guardian item every gate follows.

use std::path::PathBuf;

use bulkhead_protocol::messages::guardian_message;
use bulkhead_verifier::gate::{GuardianAction, GuardianScope, ItemJson};
use clap::{Args, Subcommand, ValueEnum};

use crate::error::CliError;
use crate::signer;

/// Guardian votes.
#[derive(Args)]
pub struct VoteArgs {
    #[command(subcommand)]
    action: VoteAction,
}

#[derive(Subcommand)]
enum VoteAction {
    /// Sign one guardian's vote to trip or release a breaker and print
    /// the item (`gate trip`/`gate release`, `stream append`, POST
    /// /v1/items). Each guardian's vote is its own item; the breaker moves
    /// when a threshold of them has been followed.
    Sign(SignArgs),
}

/// Whose breaker: the flag's spelling of [`GuardianScope`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scope {
    /// Quarantine of source segment `--target` at every gate (a stream
    /// guardian, index into `stream_guardians`).
    Stream,
    /// The local breaker of gate segment `--target` (one of that gate's
    /// `local_guardians`).
    Local,
}

/// Flags of `vote sign`.
#[derive(Args)]
#[command(group = clap::ArgGroup::new("direction").required(true).args(["trip", "release"]))]
struct SignArgs {
    /// The guardian's secret key file (64 hex digits; `key new`).
    #[arg(long)]
    key: PathBuf,
    /// The guardian's index in `stream_guardians` (stream scope) or in the
    /// gate's `local_guardians` (local scope).
    #[arg(long)]
    index: usize,
    /// The stream the vote is for (the gates' `stream_id`).
    #[arg(long)]
    stream_id: u64,
    /// Whose breaker.
    #[arg(long, value_enum)]
    scope: Scope,
    /// The source segment (stream scope) or the gate's segment (local).
    #[arg(long)]
    target: u64,
    /// Vote to trip the breaker.
    #[arg(long)]
    trip: bool,
    /// Vote to release it.
    #[arg(long)]
    release: bool,
    /// The breaker round the vote is for (`gate status` shows it), so an
    /// old vote is never replayed into a later round.
    #[arg(long)]
    round: u64,
    /// Write the item here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Runs one vote action.
pub fn execute(args: VoteArgs) -> Result<(), CliError> {
    let VoteAction::Sign(args) = args.action;
    let key = signer::load(&args.key)?;
    let scope = match args.scope {
        Scope::Stream => GuardianScope::Stream,
        Scope::Local => GuardianScope::Local,
    };
    // The group makes exactly one of --trip and --release present.
    let trip = args.trip;
    let message = guardian_message(
        args.stream_id,
        scope.message_byte(),
        args.target,
        trip,
        args.round,
    );
    let item = ItemJson::Guardian(GuardianAction {
        scope,
        target: args.target,
        trip,
        round: args.round,
        vote: signer::sign(&key, args.index, &message),
    });
    signer::emit_json(&item, args.out.as_deref())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        vote: VoteArgs,
    }

    fn parse(extra: &[&str]) -> Result<SignArgs, clap::Error> {
        let mut argv = vec![
            "x",
            "sign",
            "--key",
            "k",
            "--index",
            "0",
            "--stream-id",
            "1",
            "--target",
            "1",
            "--round",
            "0",
        ];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).map(|cli| {
            let VoteAction::Sign(args) = cli.vote.action;
            args
        })
    }

    #[test]
    fn exactly_one_of_trip_and_release_and_a_known_scope() {
        let args = parse(&["--scope", "local", "--release"]).unwrap();
        assert_eq!((args.scope, args.trip), (Scope::Local, false));
        let args = parse(&["--scope", "stream", "--trip"]).unwrap();
        assert_eq!((args.scope, args.trip), (Scope::Stream, true));
        assert!(parse(&["--scope", "stream"]).is_err());
        assert!(parse(&["--scope", "stream", "--trip", "--release"]).is_err());
        assert!(parse(&["--scope", "gate", "--trip"]).is_err());
    }
}
