//! The stream a gate follows, and its items as files.
//!
//! A stream source yields items by position (1, 2, ...); the gate records
//! the last position it applied in the same transaction as the item's
//! effects, so after a crash it asks for the next one and each item takes
//! effect exactly once. [`DirLog`] is the source on one machine.

pub mod binding;
mod dirlog;
pub mod listing;
pub mod nats;
mod raw;
pub mod settle;
pub mod tail;

use std::path::Path;

use bulkhead_verifier::gate::{ItemJson, StreamItem};

pub use binding::{EntryDigest, StreamIdentity, StreamKind};
pub use dirlog::DirLog;
pub use raw::{RawEntry, StreamReader};

use crate::error::{NodeError, UsageError};

/// An item read from a stream: a stream item, or bytes that are not one
/// (still a position of the stream: refused, and the stream moves on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamEntry {
    /// A well-formed item.
    Item(StreamItem),
    /// Not an item: why.
    Malformed(String),
}

impl StreamEntry {
    /// Whether the entry decodes: a JSON item, or a bundle whose bytes
    /// parse. A follower waits for an entry that does not to stop changing
    /// before it takes it as final (a file still being copied in).
    pub fn is_well_formed(&self) -> bool {
        match self {
            StreamEntry::Item(StreamItem::Bundle(bytes)) => {
                bulkhead_protocol::bundle::Bundle::from_bytes(bytes).is_ok()
            }
            StreamEntry::Item(_) => true,
            StreamEntry::Malformed(_) => false,
        }
    }
}

/// A totally ordered log of stream items, read by position, as a
/// follower reads it (it may also read an entry's bytes, as
/// [`StreamReader`]: the follower hashes its first entry, see
/// [`binding`]).
pub trait StreamSource: StreamReader {
    /// The entry at `position` (from 1), or `None` if the log has not
    /// reached it yet.
    fn entry(&self, position: u64) -> Result<Option<StreamEntry>, NodeError>;

    /// Tells the source that the entry at `position`, and every one before
    /// it, is applied and committed, so a source that acknowledges (NATS)
    /// may do so. The default does nothing: a log read by position needs
    /// no acknowledgement.
    fn applied(&self, _position: u64) {}
}

/// Where a relayer (or a validator, or the clock) publishes: the stream
/// appends an item and says at which position it took it.
pub trait StreamSink: Send {
    /// Appends `item`; its position.
    fn publish(&self, item: &StreamItem) -> Result<u64, NodeError>;
}

/// A directory log as a sink: appends from the last position it took (a
/// hint; a taken position is skipped), so an append does not probe the
/// whole log.
#[derive(Debug)]
pub struct DirLogSink {
    log: DirLog,
    next: std::sync::atomic::AtomicU64,
}

impl DirLogSink {
    /// A sink appending to `log`.
    pub fn new(log: DirLog) -> Self {
        Self {
            log,
            next: std::sync::atomic::AtomicU64::new(1),
        }
    }
}

impl StreamSink for DirLogSink {
    fn publish(&self, item: &StreamItem) -> Result<u64, NodeError> {
        use std::sync::atomic::Ordering;
        let position = self.log.append(item, self.next.load(Ordering::SeqCst))?;
        self.next
            .store(position.saturating_add(1), Ordering::SeqCst);
        Ok(position)
    }
}

/// A stream named on a command line: a directory log (a path) or a NATS
/// JetStream server (`nats://HOST:PORT`).
#[derive(Clone, Debug)]
pub enum StreamSpec {
    /// A directory log on this machine.
    Dir(DirLog),
    /// NATS JetStream.
    Nats(nats::NatsAddress),
}

impl StreamSpec {
    /// Parses a stream's name (credentials for NATS from the environment).
    pub fn parse(spec: &str) -> Result<Self, NodeError> {
        if nats::NatsAddress::is_nats(spec) {
            return Ok(StreamSpec::Nats(nats::NatsAddress::parse(spec)?));
        }
        if spec.is_empty() || spec.contains("://") {
            return Err(UsageError::StreamSpec {
                spec: spec.to_owned(),
            }
            .into());
        }
        Ok(StreamSpec::Dir(DirLog::new(spec)))
    }

    /// A follower whose ledger applied up to `applied`; `consumer` names
    /// its durable NATS consumer (one per follower).
    pub fn source(&self, consumer: &str, applied: u64) -> Result<Box<dyn StreamSource>, NodeError> {
        Ok(match self {
            StreamSpec::Dir(log) => Box::new(log.clone()),
            StreamSpec::Nats(address) => {
                Box::new(nats::NatsSource::connect(address, consumer, applied)?)
            }
        })
    }

    /// A reader that follows nothing (no consumer): for listing the
    /// stream and for its identity.
    pub fn reader(&self) -> Result<Box<dyn StreamReader>, NodeError> {
        Ok(match self {
            StreamSpec::Dir(log) => Box::new(log.clone()),
            StreamSpec::Nats(address) => Box::new(nats::NatsReader::connect(address)?),
        })
    }

    /// The stream as a follower knows it ([`binding`]): its kind, name,
    /// the `stream_id` its follower's configuration names, and the digest
    /// of its first entry if it has one.
    pub fn identify(&self, stream_id: u64) -> Result<StreamIdentity, NodeError> {
        let first = self.reader()?.raw(1)?;
        Ok(self.identity(stream_id, first.as_ref()))
    }

    /// The identity of this stream with `first` as its first entry.
    pub fn identity(&self, stream_id: u64, first: Option<&RawEntry>) -> StreamIdentity {
        let (kind, nats_stream) = match self {
            StreamSpec::Dir(_) => (StreamKind::DirLog, None),
            StreamSpec::Nats(_) => (StreamKind::Nats, Some(nats::STREAM.to_owned())),
        };
        StreamIdentity {
            kind,
            nats_stream,
            stream_id,
            first: first.map(EntryDigest::of),
        }
    }

    /// A publisher.
    pub fn sink(&self) -> Result<Box<dyn StreamSink>, NodeError> {
        Ok(match self {
            StreamSpec::Dir(log) => Box::new(DirLogSink::new(log.clone())),
            StreamSpec::Nats(address) => Box::new(nats::NatsSink::connect(address)?),
        })
    }
}

/// The kind of item a file extension names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemFormat {
    /// `.bundle`: a bundle's bytes.
    Bundle,
    /// `.json`: an attestation, tick or guardian action.
    Json,
}

impl ItemFormat {
    /// The format of `path`, from its extension.
    pub fn of(path: &Path) -> Option<Self> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("bundle") => Some(ItemFormat::Bundle),
            Some("json") => Some(ItemFormat::Json),
            _ => None,
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ItemFormat::Bundle => "bundle",
            ItemFormat::Json => "json",
        }
    }
}

/// Decodes an item's bytes in `format`. A bundle's bytes are its own
/// check (the gate decodes and refuses a malformed bundle); JSON must
/// parse as one of the JSON items.
pub fn decode_item(format: ItemFormat, bytes: Vec<u8>) -> StreamEntry {
    match format {
        ItemFormat::Bundle => StreamEntry::Item(StreamItem::Bundle(bytes)),
        ItemFormat::Json => match serde_json::from_slice::<ItemJson>(&bytes) {
            Ok(item) => StreamEntry::Item(item.into()),
            Err(e) => StreamEntry::Malformed(format!("not a stream item: {e}")),
        },
    }
}

/// An item as file bytes, and the format they are in.
pub fn encode_item(item: &StreamItem) -> (ItemFormat, Vec<u8>) {
    match item {
        StreamItem::Bundle(bytes) => (ItemFormat::Bundle, bytes.clone()),
        // Serializing the JSON items (integers, hex strings) cannot fail.
        other => (
            ItemFormat::Json,
            serde_json::to_vec_pretty(&other.to_json()).unwrap_or_default(),
        ),
    }
}

/// Reads one item file (`*.bundle` or `*.json`).
pub fn read_item_file(path: &Path) -> Result<StreamItem, NodeError> {
    let format = ItemFormat::of(path).ok_or_else(|| NodeError::BadItem {
        path: path.to_path_buf(),
        message: "expected a .bundle or .json stream item".into(),
    })?;
    let bytes = std::fs::read(path).map_err(NodeError::io(path))?;
    match decode_item(format, bytes) {
        StreamEntry::Item(item) => Ok(item),
        StreamEntry::Malformed(message) => Err(NodeError::BadItem {
            path: path.to_path_buf(),
            message,
        }),
    }
}
