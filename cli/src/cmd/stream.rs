//! `bulkhead stream`: the directory log a gate service follows.

use std::path::PathBuf;

use bulkhead_node::stream::{read_item_file, DirLog, DirLogSink, StreamSink, StreamSource};
use clap::{Args, Subcommand};

use crate::error::CliError;

/// The stream on one machine: a directory log of items by position.
#[derive(Args)]
pub struct StreamArgs {
    /// The log's directory (what `gate serve --follow` reads).
    #[arg(long)]
    stream: PathBuf,
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
}

/// Runs one stream action.
pub fn execute(args: StreamArgs) -> Result<(), CliError> {
    let log = DirLog::new(&args.stream);
    match args.action {
        StreamAction::Append { items } => {
            // Every file is read and checked before anything is appended.
            let items = items
                .iter()
                .map(|path| read_item_file(path).map(|item| (path, item)))
                .collect::<Result<Vec<_>, _>>()?;
            let mut from = 1;
            for (path, item) in items {
                let position = log.append(&item, from)?;
                println!("{}: position {position}", path.display());
                from = position.saturating_add(1);
            }
            Ok(())
        }
    }
}

/// The stream `spec` names, to follow and to publish to: a directory log
/// (a path).
pub fn open_stream(spec: &str) -> Result<(Box<dyn StreamSource>, Box<dyn StreamSink>), CliError> {
    if spec.is_empty() {
        return Err(CliError::Usage("the stream is an empty path".into()));
    }
    let log = DirLog::new(spec);
    Ok((Box::new(log.clone()), Box::new(DirLogSink::new(log))))
}
