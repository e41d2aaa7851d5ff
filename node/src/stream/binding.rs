//! Which stream a state directory follows.
//!
//! A gate's ledger and a relayer's watcher record the stream they follow
//! the first time they follow one, and every later start compares: a
//! state that applied one stream's items and then reads another's would
//! apply a history no other follower shares (the relayer of issue 20
//! published sequence 21 into a fresh stream and halted for good).
//!
//! A stream is known by its kind (a directory log or NATS), for NATS the
//! JetStream stream's name, the protocol's stream id (the one every
//! signed message names), and the digest of its first entry, once there
//! is one. A directory's path is not part of it: a log may be moved or
//! mounted elsewhere, and two fresh directories are told apart by their
//! first entries, not their names. The record is one row of the state's
//! SQLite `meta` table ([`crate::ledger`]).

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::raw::RawEntry;

/// How a stream is carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    /// A directory log on one machine.
    DirLog,
    /// NATS JetStream.
    Nats,
}

impl fmt::Display for StreamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StreamKind::DirLog => "a directory log",
            StreamKind::Nats => "NATS JetStream",
        })
    }
}

/// The Blake2b-256 digest of an entry's bytes, as the stream holds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EntryDigest(pub [u8; 32]);

/// The personalisation of [`EntryDigest`]'s hash (16 bytes).
const PERSONAL: &[u8; 16] = b"bulkhead-entry-1";

impl EntryDigest {
    /// The digest of `entry`'s bytes (a NATS subject is not hashed: the
    /// kind a payload may be is checked when it is read).
    pub fn of(entry: &RawEntry) -> Self {
        Self::of_bytes(&entry.bytes)
    }

    /// The digest of `bytes`.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        let hash = blake2b_simd::Params::new()
            .hash_length(32)
            .personal(PERSONAL)
            .hash(bytes);
        let mut out = [0; 32];
        out.copy_from_slice(hash.as_bytes());
        Self(out)
    }

    /// Hex, in full.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The first 8 bytes in hex: enough to tell entries apart on a screen.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..8])
    }
}

impl Serialize for EntryDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for EntryDigest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = hex::decode(&text).map_err(serde::de::Error::custom)?;
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| serde::de::Error::custom("a digest is 32 bytes"))
    }
}

/// A stream as a follower knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamIdentity {
    /// How it is carried.
    pub kind: StreamKind,
    /// The JetStream stream's name (NATS only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nats_stream: Option<String>,
    /// The stream id every signed message names (the gate
    /// configuration's `stream_id`).
    #[serde(with = "bulkhead_protocol::decimal")]
    pub stream_id: u64,
    /// The digest of the entry at position 1 (`None` while the stream is
    /// empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<EntryDigest>,
}

impl fmt::Display for StreamIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(name) = &self.nats_stream {
            write!(f, " stream {name}")?;
        }
        write!(f, ", stream id {}, ", self.stream_id)?;
        match &self.first {
            Some(digest) => write!(f, "first entry {}", digest.short()),
            None => f.write_str("no entry yet"),
        }
    }
}

/// One way a found stream is not the recorded one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Difference {
    /// Another kind (a directory log for NATS, or the reverse).
    Kind,
    /// Another JetStream stream name.
    NatsStream,
    /// Another protocol stream id.
    StreamId,
    /// Another first entry.
    FirstEntry,
    /// The one found is empty, but the state has applied entries (a
    /// fresh stream, or the old one emptied).
    Empty,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Difference::Kind => "another kind of stream",
            Difference::NatsStream => "another JetStream stream",
            Difference::StreamId => "another stream id",
            Difference::FirstEntry => "another first entry",
            Difference::Empty => "an empty stream, where this state has applied entries",
        })
    }
}

/// A state directory given another stream than the one it follows: what
/// it recorded, what was found, how they differ, and what to do.
#[derive(Debug, Error)]
#[error(
    "{}: this state follows {recorded}; the stream given is {found} ({}). Point it at the \
     stream it follows, or give this stream a new state directory (a gate: `bulkhead gate \
     --state NEW init --config FILE`; a relayer: `relay serve --state NEW`)",
    dir.display(),
    differences.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
)]
pub struct StreamMismatch {
    /// The state directory.
    pub dir: PathBuf,
    /// The stream it recorded.
    pub recorded: StreamIdentity,
    /// The stream given.
    pub found: StreamIdentity,
    /// How they differ.
    pub differences: Vec<Difference>,
}

/// What following `found` does to a state that recorded `recorded`:
/// the record to keep (`Ok`, unchanged or completed with the first
/// entry's digest, or `found` itself when nothing was recorded), or every
/// way `found` is another stream (`Err`).
///
/// A record without a first entry (made while the stream was empty)
/// takes the first entry found: the follower records it before it
/// applies position 1, so such a record has applied nothing. A state made
/// by an earlier build has no record at all and takes `found` whole; it
/// may have followed a stream already, but which one it cannot tell, and
/// a gate could not have followed two (its positions would disagree).
pub fn reconcile(
    recorded: Option<&StreamIdentity>,
    found: &StreamIdentity,
) -> Result<StreamIdentity, Vec<Difference>> {
    let Some(recorded) = recorded else {
        return Ok(found.clone());
    };
    let mut differences = Vec::new();
    if recorded.kind != found.kind {
        differences.push(Difference::Kind);
    } else if recorded.nats_stream != found.nats_stream {
        differences.push(Difference::NatsStream);
    }
    if recorded.stream_id != found.stream_id {
        differences.push(Difference::StreamId);
    }
    match (&recorded.first, &found.first) {
        (Some(a), Some(b)) if a != b => differences.push(Difference::FirstEntry),
        (Some(_), None) => differences.push(Difference::Empty),
        _ => {}
    }
    if !differences.is_empty() {
        return Err(differences);
    }
    let mut kept = recorded.clone();
    kept.first = recorded.first.or(found.first);
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(first: Option<&[u8]>) -> StreamIdentity {
        StreamIdentity {
            kind: StreamKind::DirLog,
            nats_stream: None,
            stream_id: 7,
            first: first.map(EntryDigest::of_bytes),
        }
    }

    fn nats(name: &str, first: Option<&[u8]>) -> StreamIdentity {
        StreamIdentity {
            kind: StreamKind::Nats,
            nats_stream: Some(name.into()),
            ..dir(first)
        }
    }

    #[test]
    fn the_same_stream_is_kept_and_an_empty_record_takes_the_first_entry() {
        let a = dir(Some(b"a"));
        assert_eq!(reconcile(Some(&a), &a), Ok(a.clone()));
        assert_eq!(reconcile(None, &a), Ok(a.clone()), "no record: recorded");
        assert_eq!(reconcile(Some(&dir(None)), &a), Ok(a.clone()));
        assert_eq!(reconcile(Some(&dir(None)), &dir(None)), Ok(dir(None)));
    }

    #[test]
    fn each_difference_is_named() {
        let a = dir(Some(b"a"));
        assert_eq!(
            reconcile(Some(&a), &dir(Some(b"b"))),
            Err(vec![Difference::FirstEntry])
        );
        assert_eq!(
            reconcile(Some(&a), &dir(None)),
            Err(vec![Difference::Empty])
        );
        assert_eq!(
            reconcile(Some(&a), &nats("BULKHEAD", None)),
            Err(vec![Difference::Kind, Difference::Empty])
        );
        assert_eq!(
            reconcile(
                Some(&nats("OTHER", Some(b"a"))),
                &nats("BULKHEAD", Some(b"a"))
            ),
            Err(vec![Difference::NatsStream])
        );
        let other_id = StreamIdentity {
            stream_id: 8,
            ..a.clone()
        };
        assert_eq!(
            reconcile(Some(&a), &other_id),
            Err(vec![Difference::StreamId])
        );
    }

    #[test]
    fn the_record_reads_back_and_says_what_it_is() {
        let a = nats("BULKHEAD", Some(b"a"));
        let text = serde_json::to_string(&a).unwrap();
        assert!(text.contains("\"stream_id\":\"7\""), "{text}");
        assert_eq!(serde_json::from_str::<StreamIdentity>(&text).unwrap(), a);
        assert_eq!(
            dir(None).to_string(),
            "a directory log, stream id 7, no entry yet"
        );
        assert!(a
            .to_string()
            .starts_with("NATS JetStream stream BULKHEAD, stream id 7, first entry "));
        assert_ne!(EntryDigest::of_bytes(b"a"), EntryDigest::of_bytes(b"b"));
    }
}
