//! The rows the relayer stores: exit requests and batches.

use std::path::PathBuf;

use bulkhead_protocol::hash::Fp;

use crate::error::{CorruptError, NodeError};

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

/// An exit request as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredExit {
    /// Queue id (acceptance order).
    pub id: u64,
    /// When it was accepted, ms since the Unix epoch.
    pub received_ms: u64,
    /// Destination segment.
    pub dst: u64,
    /// Asset.
    pub asset: u64,
    /// Sending account.
    pub account: u64,
    /// The account nonce it spends.
    pub nonce: u64,
    /// Recipient.
    pub recipient: Fp,
    /// Amount.
    pub amount: u64,
    /// Owner's public key.
    pub public_key: [u8; 32],
    /// Owner's signature.
    pub signature: [u8; 64],
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
