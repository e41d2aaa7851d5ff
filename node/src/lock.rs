//! The state directory's write lock: one writer per gate, ever.
//!
//! An advisory exclusive lock (`flock`) on `DIR/gate.lock`, held for the
//! life of the process and released by the kernel when it exits, however
//! it exits (a SIGKILL included), so a crash never leaves a stale lock.
//! The holder writes its pid into the file so that a refused writer can
//! name it. Readers take no lock: SQLite's WAL gives them a consistent
//! snapshot beside the writer.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{NodeError, UsageError};

const LOCK_FILE: &str = "gate.lock";
/// Tries, 10 ms apart, before a held lock is reported (see `try_once`).
const LOCK_GRACE_ATTEMPTS: u32 = 20;

/// The held write lock of a state directory; dropping it releases it.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
    path: PathBuf,
}

impl StateLock {
    /// Takes the lock of `dir` without waiting: a held lock is refused with
    /// [`NodeError::Locked`] naming the holder's pid.
    pub fn acquire(dir: &Path) -> Result<Self, NodeError> {
        // A lock file deleted and created again between our open and our
        // lock would give two writers two different files: lock, then
        // check that the path still names the file locked.
        for _ in 0..8 {
            let lock = Self::try_once(dir)?;
            if lock.still_named()? {
                return Ok(lock);
            }
        }
        Err(UsageError::LockReplaced {
            path: dir.join(LOCK_FILE),
        }
        .into())
    }

    #[cfg(unix)]
    fn still_named(&self) -> Result<bool, NodeError> {
        use std::os::unix::fs::MetadataExt;
        let open = self._file.metadata().map_err(NodeError::io(&self.path))?;
        Ok(std::fs::metadata(&self.path)
            .is_ok_and(|named| named.dev() == open.dev() && named.ino() == open.ino()))
    }

    #[cfg(not(unix))]
    fn still_named(&self) -> Result<bool, NodeError> {
        Ok(true)
    }

    fn try_once(dir: &Path) -> Result<Self, NodeError> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(NodeError::io(&path))?;
        // A lock released a moment ago can still look held: a child forked
        // by another thread of the releasing process shares the locked
        // descriptor until it execs. A real writer holds it for much longer
        // than this grace.
        let mut attempts = 0;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if attempts < LOCK_GRACE_ATTEMPTS => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(NodeError::Locked {
                        dir: dir.to_path_buf(),
                        pid: holder_pid(&mut file),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(NodeError::io(&path)(e)),
            }
        }
        file.set_len(0).map_err(NodeError::io(&path))?;
        file.rewind().map_err(NodeError::io(&path))?;
        writeln!(file, "{}", std::process::id()).map_err(NodeError::io(&path))?;
        file.sync_all().map_err(NodeError::io(&path))?;
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The pid the holder wrote. It writes it just after taking the lock, so
/// a writer refused in that instant waits a moment for it.
fn holder_pid(file: &mut File) -> Option<u32> {
    for _ in 0..40 {
        let mut text = String::new();
        if file.rewind().is_ok() && file.read_to_string(&mut text).is_ok() {
            if let Ok(pid) = text.trim().parse() {
                return Some(pid);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let held = StateLock::acquire(dir.path()).unwrap();
        match StateLock::acquire(dir.path()) {
            Err(NodeError::Locked { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected Locked, got {other:?}"),
        }
        drop(held);
        StateLock::acquire(dir.path()).expect("released on drop");
    }
}
