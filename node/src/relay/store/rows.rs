//! The rows the relayer stores: exit requests and batches.

use std::path::PathBuf;

use bulkhead_protocol::model::Lane;

use crate::error::{CorruptError, NodeError};
use crate::relay::request::ExitSubmission;

/// Where a batch is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchStatus {
    /// Planned: its exits and epoch are fixed, its proof is not made yet.
    Planned,
    /// Proven: its bundle is on disk.
    Proven,
    /// Published to the stream.
    Published,
    /// The stream took it: every gate advanced the source's chain by it.
    Confirmed,
    /// The stream refused it (stale epoch, quarantine): its exits went
    /// back to the queue.
    Superseded,
}

impl BatchStatus {
    /// The word stored and reported.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Planned => "planned",
            BatchStatus::Proven => "proven",
            BatchStatus::Published => "published",
            BatchStatus::Confirmed => "confirmed",
            BatchStatus::Superseded => "superseded",
        }
    }

    pub(super) fn parse(text: &str) -> Result<Self, NodeError> {
        Ok(match text {
            "planned" => BatchStatus::Planned,
            "proven" => BatchStatus::Proven,
            "published" => BatchStatus::Published,
            "confirmed" => BatchStatus::Confirmed,
            "superseded" => BatchStatus::Superseded,
            other => {
                return Err(CorruptError::UnknownName {
                    what: "batch status",
                    found: other.to_owned(),
                }
                .into())
            }
        })
    }
}

/// An admitted exit as stored: the signed request exactly as its owner
/// sent it, and the nonce its signature was verified at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredExit {
    /// Queue id (acceptance order).
    pub id: u64,
    /// When it was accepted, ms since the Unix epoch.
    pub received_ms: u64,
    /// The account nonce it spends, the one its signature was verified at.
    pub nonce: u64,
    /// The signed request.
    pub request: ExitSubmission,
    /// Its batch and slot, once batched.
    pub batch: Option<(u64, usize)>,
}

/// A batch row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRow {
    /// Batch id.
    pub id: u64,
    /// Destination segment.
    pub dst: u64,
    /// Asset.
    pub asset: u64,
    /// Epoch it is proven for.
    pub epoch: u64,
    /// Sequence number of its first exit.
    pub first_seq: u64,
    /// Exits.
    pub count: usize,
    /// Where it is.
    pub status: BatchStatus,
    /// The bundle file, once proven.
    pub bundle: Option<PathBuf>,
    /// Stream position, once published.
    pub position: Option<u64>,
    /// Why it was superseded.
    pub note: Option<String>,
}

impl BatchRow {
    /// The lane it leaves by.
    pub fn lane(&self) -> Lane {
        Lane {
            dst: self.dst,
            asset: self.asset,
        }
    }
}
