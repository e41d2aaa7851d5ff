//! The stream on one machine: a directory of item files named by position
//! (`0000000001.bundle`, `0000000002.json`, ...).
//!
//! Appends are atomic and race-free between processes: the item is written
//! and fsynced under a temporary name, then hard-linked to its position's
//! name, which fails if another writer took that position first (then the
//! next is tried). A reader therefore never sees a partial item, and two
//! writers never share a position.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use bulkhead_verifier::gate::StreamItem;

use super::{decode_item, encode_item, ItemFormat, StreamEntry, StreamSource};
use crate::error::NodeError;

/// A directory log.
#[derive(Clone, Debug)]
pub struct DirLog {
    dir: PathBuf,
}

const FORMATS: [ItemFormat; 2] = [ItemFormat::Bundle, ItemFormat::Json];

impl DirLog {
    /// The log in `dir` (created by the first append).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, position: u64, format: ItemFormat) -> PathBuf {
        self.dir
            .join(format!("{position:010}.{}", format.extension()))
    }

    fn taken(&self, position: u64) -> bool {
        FORMATS.iter().any(|f| self.path(position, *f).exists())
    }

    /// Appends `item` at the first free position at or after `from`, and
    /// returns that position.
    pub fn append(&self, item: &StreamItem, from: u64) -> Result<u64, NodeError> {
        fs::create_dir_all(&self.dir).map_err(NodeError::io(&self.dir))?;
        let (format, bytes) = encode_item(item);
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
            if self.taken(position) {
                position = position.saturating_add(1);
                continue;
            }
            let path = self.path(position, format);
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

impl StreamSource for DirLog {
    fn entry(&self, position: u64) -> Result<Option<StreamEntry>, NodeError> {
        for format in FORMATS {
            let path = self.path(position, format);
            match fs::read(&path) {
                Ok(bytes) => return Ok(Some(decode_item(format, bytes))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(NodeError::io(&path)(e)),
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_take_consecutive_positions_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let log = DirLog::new(dir.path().join("stream"));
        let a = StreamItem::Bundle(vec![1, 2, 3]);
        let b = StreamItem::Bundle(vec![4]);
        assert_eq!(log.append(&a, 1).unwrap(), 1);
        assert_eq!(log.append(&b, 1).unwrap(), 2, "position 1 is taken");
        assert_eq!(log.entry(1).unwrap(), Some(StreamEntry::Item(a)));
        assert_eq!(log.entry(2).unwrap(), Some(StreamEntry::Item(b)));
        assert_eq!(log.entry(3).unwrap(), None);
    }

    #[test]
    fn malformed_json_is_an_entry_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let log = DirLog::new(dir.path());
        fs::write(log.path(1, ItemFormat::Json), b"{\"type\": \"nonsense\"}").unwrap();
        assert!(
            matches!(log.entry(1).unwrap(), Some(StreamEntry::Malformed(m)) if m.contains("not a stream item"))
        );
    }
}
