//! Reading a stream's entries as the stream holds them: the bytes (and,
//! on NATS, the subject) at a position, without following it. The tools
//! that list a stream (`bulkhead stream ls | tail | show`) read through
//! this, and so does the check that binds a state directory to its
//! stream ([`super::binding`]), which hashes the first entry's bytes.

use bulkhead_protocol::bundle::MAGIC;

use super::{decode_item, ItemFormat, StreamEntry};
use crate::error::NodeError;

/// An entry's bytes, as the stream holds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawEntry {
    /// Its position (from 1).
    pub position: u64,
    /// The NATS subject it was published on (`None` in a directory log,
    /// whose entries name no kind: a bundle is told by its magic bytes).
    pub subject: Option<String>,
    /// The bytes: a bundle's encoding, or a JSON item's text.
    pub bytes: Vec<u8>,
}

impl RawEntry {
    /// The entry as a follower reads it: an item, or why it is not one.
    /// On NATS the payload must be the kind its subject names (see
    /// [`super::nats`]).
    pub fn entry(&self) -> StreamEntry {
        match &self.subject {
            Some(subject) => super::nats::entry_of(subject, self.bytes.clone()),
            None => {
                let format = if self.bytes.starts_with(&MAGIC) {
                    ItemFormat::Bundle
                } else {
                    ItemFormat::Json
                };
                decode_item(format, self.bytes.clone())
            }
        }
    }
}

/// A stream read by position, without following it (no consumer, no
/// acknowledgement).
pub trait StreamReader: Send + Sync {
    /// The entry at `position` as the stream holds it, or `None` if the
    /// stream has not reached it.
    fn raw(&self, position: u64) -> Result<Option<RawEntry>, NodeError>;

    /// The stream's last position (0 while it is empty).
    fn last(&self) -> Result<u64, NodeError>;
}
