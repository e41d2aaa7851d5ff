//! `bulkhead stream`: the stream a gate follows and a relayer publishes
//! to, a directory log or NATS JetStream: set it up, append to it, and
//! read it (`ls`, `tail`, `show`) without following it.

use std::io::Write;
use std::path::PathBuf;

use bulkhead_node::stream::listing::{describe, EntrySummary};
use bulkhead_node::stream::tail::{follow, Next};
use bulkhead_node::stream::{nats, read_item_file, RawEntry, StreamReader, StreamSpec};
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
    /// List entries, one line each: position, kind, size, the first 8
    /// bytes of its digest, and what it is (a bundle's segment, sequence
    /// range and epoch; a tick's epoch; why garbage is garbage).
    Ls {
        /// The first position listed.
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// List at most this many.
        #[arg(long)]
        limit: Option<u64>,
        #[command(flatten)]
        format: Format,
    },
    /// The last entries; with --follow, then each new one as it comes,
    /// until SIGINT or SIGTERM.
    Tail {
        /// How many of the last entries.
        #[arg(short = 'n', long, default_value_t = 10)]
        lines: u64,
        /// Keep printing new entries.
        #[arg(short, long)]
        follow: bool,
        #[command(flatten)]
        format: Format,
    },
    /// One entry decoded in full, as JSON (integers as decimal strings; a
    /// bundle as its header, exits and proof length).
    Show {
        /// Its position.
        position: u64,
    },
}

/// How entries are printed.
#[derive(Args, Clone, Copy)]
struct Format {
    /// One JSON object per line (integers as decimal strings, the digest
    /// in full) instead of text.
    #[arg(long)]
    json: bool,
}

impl Format {
    fn line(self, entry: &RawEntry) -> String {
        let summary = EntrySummary::of(entry);
        if self.json {
            summary.to_json().to_string()
        } else {
            summary.line()
        }
    }

    fn missing(self, position: u64) -> String {
        if self.json {
            serde_json::json!({"position": position.to_string(), "kind": "missing"}).to_string()
        } else {
            format!("{position:>8}  missing")
        }
    }
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
        StreamAction::Ls {
            from,
            limit,
            format,
        } => {
            let reader = spec.reader()?;
            let last = reader.last()?;
            let end = match limit {
                Some(limit) => last.min(from.saturating_add(limit).saturating_sub(1)),
                None => last,
            };
            print_range(&*reader, from.max(1), end, format)
        }
        StreamAction::Tail {
            lines,
            follow: keep,
            format,
        } => {
            let reader = spec.reader()?;
            let last = reader.last()?;
            let from = last.saturating_sub(lines).saturating_add(1);
            print_range(&*reader, from, last, format)?;
            if keep {
                follow(&*reader, last.saturating_add(1), |entry| {
                    match out(&format.line(&entry)) {
                        Ok(true) => Next::More,
                        _ => Next::Stop,
                    }
                })?;
            }
            Ok(())
        }
        StreamAction::Show { position } => {
            let reader = spec.reader()?;
            match reader.raw(position)? {
                Some(entry) => {
                    // A JSON value always serializes.
                    let text = serde_json::to_string_pretty(&describe(&entry)).unwrap_or_default();
                    out(&text)?;
                    Ok(())
                }
                None => Err(CliError::Usage(format!(
                    "position {position}: no entry (the stream's last position is {})",
                    reader.last()?
                ))),
            }
        }
    }
}

/// Prints positions `from..=to`, each present entry's line or `missing`
/// (a file removed from a directory log by hand).
fn print_range(
    reader: &dyn StreamReader,
    from: u64,
    to: u64,
    format: Format,
) -> Result<(), CliError> {
    for position in from..=to {
        let line = match reader.raw(position)? {
            Some(entry) => format.line(&entry),
            None => format.missing(position),
        };
        if !out(&line)? {
            break;
        }
    }
    Ok(())
}

/// Writes one line to stdout; `false` once the reader has gone (a closed
/// pipe, as `| head` does), which ends the listing quietly.
fn out(line: &str) -> Result<bool, CliError> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(CliError::io("stdout")(e)),
    }
}
