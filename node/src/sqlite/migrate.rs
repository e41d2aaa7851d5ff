//! Schema versions of the node's stores, on `rusqlite_migration`: each
//! store lists its migrations oldest first, and SQLite's `user_version`
//! counts those a database has had. The one writer brings a database up
//! to this build's version when it opens it; a reader (which must not
//! write) only checks it. A database newer than the build is refused with
//! the store's own error rather than misread.
//!
//! Builds before migrations left `user_version` at 0 and recorded a
//! version string in the `meta` table instead (key `schema`). A database
//! that says what the last of those builds wrote is taken as being at the
//! matching migration; any other string is refused. New databases still
//! get the string (the first migrations write it), so those builds go on
//! reading what this one creates.

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use crate::error::{CorruptError, NodeError};

/// What a store's schema is.
pub struct Schema {
    /// Each migration's SQL, oldest first: version `n` is the database
    /// after the first `n`.
    pub steps: &'static [&'static str],
    /// The `meta` `schema` string the builds before migrations wrote, and
    /// the version whose tables it names.
    pub recorded: (&'static str, usize),
    /// The store's error for a database this build does not read, given
    /// what it found.
    pub refuse: fn(String) -> CorruptError,
}

impl Schema {
    /// The version this build reads and writes.
    pub fn latest(&self) -> usize {
        self.steps.len()
    }

    fn migrations(&self) -> Migrations<'static> {
        Migrations::new(self.steps.iter().map(|sql| M::up(sql)).collect())
    }

    /// Brings the database of the writing connection `conn` to
    /// [`Schema::latest`], each migration in its own transaction.
    pub fn migrate(&self, conn: &mut Connection) -> Result<(), NodeError> {
        let at = self.version(conn)?;
        if at > self.latest() {
            return Err((self.refuse)(at.to_string()).into());
        }
        if stamped(conn)? != at {
            // Made before migrations: stamp the version its string names.
            conn.pragma_update(None, "user_version", at)?;
        }
        self.migrations().to_latest(conn)?;
        Ok(())
    }

    /// Refuses a database not at [`Schema::latest`], for a connection that
    /// must not write (a writer migrates it first).
    pub fn check(&self, conn: &Connection) -> Result<(), NodeError> {
        let at = self.version(conn)?;
        if at != self.latest() {
            return Err((self.refuse)(at.to_string()).into());
        }
        Ok(())
    }

    /// The version the database is at: its `user_version`, or for one
    /// made before migrations, the version its `meta` string names (0:
    /// an empty database).
    fn version(&self, conn: &Connection) -> Result<usize, NodeError> {
        let stamped = stamped(conn)?;
        if stamped != 0 {
            return Ok(stamped);
        }
        let has_meta: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
            [],
            |r| r.get(0),
        )?;
        if !has_meta {
            return Ok(0);
        }
        let recorded: String =
            conn.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })?;
        let (known, version) = self.recorded;
        if recorded != known {
            return Err((self.refuse)(recorded).into());
        }
        Ok(version)
    }
}

/// The database's `user_version`.
fn stamped(conn: &Connection) -> Result<usize, NodeError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    // Negative only if something else wrote it: no version of ours.
    Ok(usize::try_from(version).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: Schema = Schema {
        steps: &[
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO meta VALUES ('schema', '1');",
            "CREATE TABLE later (id INTEGER PRIMARY KEY);",
        ],
        recorded: ("1", 1),
        refuse: |found| CorruptError::RelaySchema { found, reads: 2 },
    };

    fn refused_with(result: Result<(), NodeError>) -> String {
        match result {
            Err(NodeError::Corrupt(CorruptError::RelaySchema { found, reads: 2 })) => found,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn a_new_database_gets_every_migration() {
        let mut conn = Connection::open_in_memory().unwrap();
        SCHEMA.check(&conn).unwrap_err();
        SCHEMA.migrate(&mut conn).unwrap();
        SCHEMA.check(&conn).unwrap();
        assert_eq!(stamped(&conn).unwrap(), 2);
        conn.execute("INSERT INTO later VALUES (1)", []).unwrap();
    }

    #[test]
    fn a_database_made_before_migrations_is_taken_at_its_recorded_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA.steps[0]).unwrap();
        assert_eq!(refused_with(SCHEMA.check(&conn)), "1");
        SCHEMA.migrate(&mut conn).unwrap();
        SCHEMA.check(&conn).unwrap();
        assert_eq!(stamped(&conn).unwrap(), 2);
    }

    #[test]
    fn another_recorded_version_is_refused_with_the_stores_error() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO meta VALUES ('schema', '0');",
        )
        .unwrap();
        assert_eq!(refused_with(SCHEMA.migrate(&mut conn)), "0");
        assert_eq!(stamped(&conn).unwrap(), 0, "nothing was written");
    }

    #[test]
    fn a_database_newer_than_the_build_is_refused_with_the_stores_error() {
        let mut conn = Connection::open_in_memory().unwrap();
        SCHEMA.migrate(&mut conn).unwrap();
        conn.pragma_update(None, "user_version", 3).unwrap();
        assert_eq!(refused_with(SCHEMA.migrate(&mut conn)), "3");
        assert_eq!(refused_with(SCHEMA.check(&conn)), "3");
        assert_eq!(stamped(&conn).unwrap(), 3, "nothing was written");
    }
}
