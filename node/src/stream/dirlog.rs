//! The stream on one machine: a directory of item files named by position
//! (`0000000001.item`, `0000000002.item`, ...), one name per position
//! whatever the item, so that two appenders can never both take one
//! position; a bundle is told from a JSON item by its magic bytes.
//!
//! Appends ([`DirLog::append`], `bulkhead stream append`) are atomic and
//! race-free between processes: the item is written and fsynced under a
//! temporary name, then hard-linked to its position's name, which fails if
//! another writer took that position first (then the next is tried). A
//! reader therefore never sees a partial item from an append; files put in
//! the directory by other means must be renamed into place.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use bulkhead_verifier::gate::StreamItem;

use super::raw::{RawEntry, StreamReader};
use super::{encode_item, StreamEntry, StreamSource};
use crate::error::NodeError;

/// A directory log.
#[derive(Clone, Debug)]
pub struct DirLog {
    dir: PathBuf,
}

impl DirLog {
    /// The log in `dir` (created by the first append).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of `position`.
    pub fn path(&self, position: u64) -> PathBuf {
        self.dir.join(format!("{position:010}.item"))
    }

    /// Appends `item` at the first free position at or after `from`, and
    /// returns that position.
    pub fn append(&self, item: &StreamItem, from: u64) -> Result<u64, NodeError> {
        fs::create_dir_all(&self.dir).map_err(NodeError::io(&self.dir))?;
        let (_, bytes) = encode_item(item);
        let temp = self.dir.join(format!(
            ".append-{}-{:?}.tmp",
            std::process::id(),
            std::thread::current().id()
        ));
        {
            let mut file = fs::File::create(&temp).map_err(NodeError::io(&temp))?;
            file.write_all(&bytes).map_err(NodeError::io(&temp))?;
            file.sync_all().map_err(NodeError::io(&temp))?;
        }
        let mut position = from.max(1);
        let result = loop {
            let path = self.path(position);
            match fs::hard_link(&temp, &path) {
                Ok(()) => break Ok(position),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    position = position.saturating_add(1)
                }
                Err(e) => break Err(NodeError::io(&path)(e)),
            }
        };
        let _ = fs::remove_file(&temp);
        // The new name is durable once the directory is.
        if let Ok(dir) = fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        result
    }
}

/// Whether `name` is a position's entry (`0000000001.item`) or an
/// append's temporary file (hidden): the names a directory log holds.
fn is_log_name(name: &str) -> bool {
    position_of(name).is_some() || name.starts_with('.')
}

impl DirLog {
    /// A file in the log's directory that is not an entry (`*.bundle`
    /// copied in, say), if any: the follower reads entries by position
    /// only, so such a file is never applied. The first in name order, so
    /// the answer is stable; `None` also when the directory is unreadable
    /// (the follower reports that itself).
    pub fn stray_file(&self) -> Option<PathBuf> {
        let mut stray: Vec<PathBuf> = fs::read_dir(&self.dir)
            .ok()?
            .filter_map(Result::ok)
            .filter(|e| !is_log_name(&e.file_name().to_string_lossy()))
            .map(|e| e.path())
            .collect();
        stray.sort();
        stray.into_iter().next()
    }

    /// Logs one warning if the directory holds a file that is not an
    /// entry, naming it and how to append it: without it, a follower
    /// pointed at a directory of item files would apply nothing and say
    /// nothing (issue 20). Returns the file it named.
    pub fn warn_stray_files(&self) -> Option<PathBuf> {
        let stray = self.stray_file()?;
        tracing::warn!(
            file = %stray.display(),
            "the followed directory holds files that are not stream entries (named 0000000001.item, ...); \
             they are never applied: append each, in order, with `bulkhead stream --stream {} append FILE`",
            self.dir.display()
        );
        Some(stray)
    }
}

impl StreamReader for DirLog {
    fn raw(&self, position: u64) -> Result<Option<RawEntry>, NodeError> {
        let path = self.path(position);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(RawEntry {
                position,
                subject: None,
                bytes,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(NodeError::io(&path)(e)),
        }
    }

    /// The highest position named in the directory (0 for a missing or
    /// empty one). Appends take positions in order, so every position
    /// below it is taken too, but for a file removed by hand.
    fn last(&self) -> Result<u64, NodeError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(NodeError::io(&self.dir)(e)),
        };
        Ok(entries
            .filter_map(Result::ok)
            .filter_map(|e| position_of(&e.file_name().to_string_lossy()))
            .max()
            .unwrap_or(0))
    }
}

/// The position an entry's file name gives (`0000000001.item`: 1).
fn position_of(name: &str) -> Option<u64> {
    name.strip_suffix(".item")
        .filter(|digits| digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse().ok())
}

impl StreamSource for DirLog {
    fn entry(&self, position: u64) -> Result<Option<StreamEntry>, NodeError> {
        Ok(self.raw(position)?.map(|raw| raw.entry()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_protocol::bundle::MAGIC;

    #[test]
    fn appends_take_consecutive_positions_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let log = DirLog::new(dir.path().join("stream"));
        let a = StreamItem::Bundle([&MAGIC[..], &[1, 2, 3]].concat());
        let b = StreamItem::Bundle([&MAGIC[..], &[4]].concat());
        assert_eq!(log.append(&a, 1).unwrap(), 1);
        assert_eq!(log.append(&b, 1).unwrap(), 2, "position 1 is taken");
        assert_eq!(log.entry(1).unwrap(), Some(StreamEntry::Item(a)));
        assert_eq!(log.entry(2).unwrap(), Some(StreamEntry::Item(b)));
        assert_eq!(log.entry(3).unwrap(), None);
        assert_eq!(log.last().unwrap(), 2);
        assert_eq!(DirLog::new(dir.path().join("none")).last().unwrap(), 0);
    }

    #[test]
    fn racing_appenders_of_both_formats_never_share_a_position() {
        let dir = tempfile::tempdir().unwrap();
        let log = DirLog::new(dir.path());
        let json = StreamItem::EpochTick(bulkhead_verifier::gate::Tick {
            epoch: 1,
            time: 2,
            signatures: Vec::new(),
        });
        let bundle = StreamItem::Bundle([&MAGIC[..], &[1, 2, 3]].concat());
        let positions: Vec<(u64, StreamItem)> = std::thread::scope(|s| {
            let handles: Vec<_> = [json, bundle]
                .into_iter()
                .map(|item| {
                    let log = log.clone();
                    s.spawn(move || {
                        (0..100)
                            .map(|_| (log.append(&item, 1).unwrap(), item.clone()))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        let mut taken: Vec<u64> = positions.iter().map(|(p, _)| *p).collect();
        taken.sort_unstable();
        assert_eq!(
            taken,
            (1..=200).collect::<Vec<_>>(),
            "one item per position"
        );
        for (position, item) in positions {
            assert_eq!(log.entry(position).unwrap(), Some(StreamEntry::Item(item)));
        }
    }

    #[test]
    fn files_that_are_not_entries_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let log = DirLog::new(dir.path());
        assert_eq!(log.stray_file(), None, "an empty log");
        log.append(&StreamItem::Bundle(MAGIC.to_vec()), 1).unwrap();
        fs::write(dir.path().join(".append-1-x.tmp"), b"").unwrap();
        assert_eq!(log.stray_file(), None, "entries and temporary files");
        fs::write(dir.path().join("s1-batch0.bundle"), b"").unwrap();
        fs::write(dir.path().join("0001.item"), b"").unwrap();
        assert_eq!(log.stray_file(), Some(dir.path().join("0001.item")));
        assert_eq!(log.warn_stray_files(), Some(dir.path().join("0001.item")));
        assert_eq!(DirLog::new(dir.path().join("none")).stray_file(), None);
    }

    #[test]
    fn malformed_json_is_an_entry_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let log = DirLog::new(dir.path());
        fs::write(log.path(1), b"{\"type\": \"nonsense\"}").unwrap();
        assert!(
            matches!(log.entry(1).unwrap(), Some(StreamEntry::Malformed(m)) if m.contains("not a stream item"))
        );
    }
}
