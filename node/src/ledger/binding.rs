//! The stream a ledger follows, recorded in its `meta` table (key
//! `stream`, the [`StreamIdentity`] as JSON) the first time it follows
//! one, and compared on every later start ([`crate::stream::binding`]).
//! The key is new in the same schema version: an older build ignores it,
//! and a ledger made before it simply records on its next follow.

use rusqlite::{Connection, OptionalExtension};

use super::Ledger;
use crate::error::{CorruptError, NodeError};
use crate::stream::binding::{reconcile, StreamMismatch};
use crate::stream::StreamIdentity;

/// The `meta` key of the record.
const KEY: &str = "stream";

/// The recorded stream, if any.
pub(super) fn read(conn: &Connection) -> Result<Option<StreamIdentity>, NodeError> {
    let text: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [KEY], |r| r.get(0))
        .optional()?;
    text.map(|text| {
        serde_json::from_str(&text).map_err(|e| CorruptError::json("the recorded stream")(e).into())
    })
    .transpose()
}

impl Ledger {
    /// The stream this ledger follows, if it has followed one.
    pub fn stream(&self) -> Result<Option<StreamIdentity>, NodeError> {
        read(&self.conn)
    }

    /// Binds the ledger to `found` before it follows it: records it the
    /// first time (or completes the record with the first entry's
    /// digest), and refuses another stream, writing nothing. Call it
    /// before any of the stream's items is applied, and again, with the
    /// first entry's digest, before position 1 is applied if the stream
    /// was empty at start. Returns what is recorded.
    pub fn bind_stream(&mut self, found: &StreamIdentity) -> Result<StreamIdentity, NodeError> {
        if self.poisoned {
            return Err(NodeError::Poisoned);
        }
        let recorded = self.stream()?;
        // A ledger that applied entries but recorded no first one (made
        // by an earlier build) cannot be following an empty stream.
        let applied_unrecorded = self.position > 0
            && found.first.is_none()
            && recorded.as_ref().is_none_or(|r| r.first.is_none());
        let kept = if applied_unrecorded {
            Err(vec![crate::stream::binding::Difference::Empty])
        } else {
            reconcile(recorded.as_ref(), found)
        };
        let kept = kept.map_err(|differences| {
            NodeError::OtherStream(Box::new(StreamMismatch {
                dir: self.dir.clone(),
                recorded: recorded.clone().unwrap_or_else(|| found.clone()),
                found: found.clone(),
                differences,
            }))
        })?;
        if recorded.as_ref() != Some(&kept) {
            let text =
                serde_json::to_string(&kept).map_err(CorruptError::json("the stream record"))?;
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (KEY, text),
            )?;
            tracing::info!(stream = %kept, "state bound to its stream");
        }
        Ok(kept)
    }
}
