//! What every SQLite store of a node shares: the gate's ledger, the
//! relayer's store, and the synthetic ledgers measurements forge.
//!
//! One place opens connections with the settings both stores rely on
//! (WAL, a busy timeout, durable commits), one place versions schemas
//! ([`migrate`]), and one encodes integers: SQLite integers are
//! signed 64-bit, so a u64 is stored by bit-cast ([`int`], [`uint`]),
//! lossless both ways. No store sums or orders u64 columns in SQL (sums
//! are computed with checked arithmetic in Rust), so the cast changes no
//! answer. The encoding is the on-disk format: changing it would misread
//! every existing ledger.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub mod migrate;

pub use migrate::Schema;

/// How long a connection waits on another's lock before failing: a
/// reader may meet the writer mid-checkpoint, and a writer may meet a
/// reader's snapshot.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A u64 as SQLite stores it.
pub fn int(value: u64) -> i64 {
    value as i64
}

/// A u64 back from SQLite.
pub fn uint(value: i64) -> u64 {
    value as u64
}

/// Opens a connection with `flags` and the busy timeout every store's
/// connections use.
pub fn connect(path: &Path, flags: OpenFlags) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Opens a new database file for its tables to be created: WAL, so
/// readers run beside the one writer. WAL is recorded in the file, so
/// every later connection uses it too.
pub fn create(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = connect(path, OpenFlags::default())?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    Ok(conn)
}

/// Opens a store's one writing connection: WAL and `synchronous = FULL`,
/// so a commit is on disk (not only out of the process) when it returns;
/// an accepted exit or a credited one survives power loss.
pub fn open_writer(path: &Path, flags: OpenFlags) -> Result<Connection, rusqlite::Error> {
    let conn = connect(path, flags)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

/// Opens a reading connection beside a running writer. It is opened
/// read-write but set `query_only`: a WAL database needs its shared-memory
/// file, which a read-only connection cannot create after the writer has
/// closed cleanly and removed it.
pub fn open_reader(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = connect(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// Removes a database file and its WAL companions, after a failed
/// creation: nothing half-made stays behind.
pub fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        // A file that is not there is what we want.
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip_by_bit_cast() {
        for value in [0, 1, i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX] {
            assert_eq!(uint(int(value)), value);
        }
        // The on-disk encoding: existing ledgers hold these exact values.
        assert_eq!(int(u64::MAX), -1);
        assert_eq!(int(1 << 63), i64::MIN);
        assert_eq!(int(7), 7);
    }
}
