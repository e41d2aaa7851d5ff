//! `bulkhead stream`: the directory log a gate service follows.

use std::path::PathBuf;

use bulkhead_node::stream::{nats, read_item_file, StreamSpec};
use clap::{Args, Subcommand};

use crate::error::CliError;

/// The stream: a directory log of items by position, or NATS JetStream.
#[derive(Args)]
pub struct StreamArgs {
    /// A directory log (what `gate serve --follow` reads), or
    /// nats://HOST:PORT (user and password from $BULKHEAD_NATS_USER and
    /// $BULKHEAD_NATS_PASSWORD).
    #[arg(long, value_name = "STREAM")]
    stream: String,
    #[command(subcommand)]
    action: StreamAction,
}

#[derive(Subcommand)]
enum StreamAction {
    /// Append item files (*.bundle, *.json) in order, each atomically at
    /// the next free position (safe beside other appenders and a follower).
    Append {
        /// Item files.
        #[arg(required = true)]
        items: Vec<PathBuf>,
    },
    /// Create the NATS JetStream stream (once, as its administrator):
    /// file storage, every item kind's subject, nothing ever trimmed,
    /// deleted or purged. An existing stream is left as it is.
    Init,
}

/// Runs one stream action.
pub fn execute(args: StreamArgs) -> Result<(), CliError> {
    let spec = StreamSpec::parse(&args.stream)?;
    match args.action {
        StreamAction::Append { items } => {
            // Every file is read and checked before anything is appended.
            let items = items
                .iter()
                .map(|path| read_item_file(path).map(|item| (path, item)))
                .collect::<Result<Vec<_>, _>>()?;
            let sink = spec.sink()?;
            for (path, item) in items {
                let position = sink.publish(&item)?;
                println!("{}: position {position}", path.display());
            }
            Ok(())
        }
        StreamAction::Init => match spec {
            StreamSpec::Nats(address) => {
                let last = nats::create_stream(&address)?;
                println!(
                    "stream {} ready at {} (last position {last})",
                    nats::STREAM,
                    address.url
                );
                Ok(())
            }
            StreamSpec::Dir(_) => Err(CliError::Usage(
                "a directory log needs no set-up: its first append creates it".into(),
            )),
        },
    }
}
