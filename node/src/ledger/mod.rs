//! The gate's ledger: its state in SQLite, one writer.
//!
//! [`Ledger`] is the writer: it holds the state directory's lock, keeps the
//! gate (the rules and the state they read) in memory, and applies each
//! item in one transaction that writes exactly the rows the item changed
//! ([`bulkhead_verifier::gate::Changes`]), so the cost of an item follows
//! the item, not the history. A refused item writes nothing, except that a
//! stream item's position is recorded (the stream moves past it, or a
//! restart would offer it again forever). [`reader::LedgerReader`] opens
//! its own read-only connection, beside a running writer.

mod binding;
mod reader;
pub mod rows;
mod schema;

use std::fs;
use std::path::{Path, PathBuf};

use bulkhead_verifier::gate::{Effect, Gate, GateConfig, GateState, Refusal, StreamItem};
use bulkhead_verifier::{Verified, VerifierKeys};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

pub use reader::{export_document, CreditPage, LedgerReader};
pub use rows::Depth;

use crate::error::{CorruptError, NodeError};
use crate::lock::StateLock;
use crate::sqlite;

const DB_FILE: &str = "ledger.sqlite";

/// The ledger file of a state directory.
pub fn db_path(dir: &Path) -> PathBuf {
    dir.join(DB_FILE)
}

/// The verdict on one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted: what it did, committed.
    Accepted(Effect),
    /// Refused by a rule: nothing changed.
    Refused(Refusal),
}

/// The gate's ledger, open for writing.
pub struct Ledger {
    conn: Connection,
    gate: Gate,
    position: u64,
    /// Set when a failed commit could not be undone in memory.
    poisoned: bool,
    dir: PathBuf,
    _lock: StateLock,
}

impl Ledger {
    /// Creates a gate in `dir` (made if missing) for `config`, which must
    /// pass every registration rule and match `keys` (digests) before
    /// anything is written. The tables and the fresh state are written in
    /// one transaction.
    pub fn create(
        dir: &Path,
        config: GateConfig,
        keys: Vec<VerifierKeys>,
    ) -> Result<(), NodeError> {
        let gate = Gate::new(config, keys)?;
        fs::create_dir_all(dir).map_err(NodeError::io(dir))?;
        let _lock = StateLock::acquire(dir)?;
        let path = db_path(dir);
        if path.exists() {
            return Err(NodeError::GateExists {
                dir: dir.to_path_buf(),
            });
        }
        let result = (|| {
            let mut conn = sqlite::create(&path)?;
            schema::SCHEMA.migrate(&mut conn)?;
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('config', ?1)",
                [serde_json::to_string(&gate.state().config)
                    .map_err(CorruptError::json("configuration"))?],
            )?;
            rows::write_fresh(&tx, gate.state())?;
            tx.commit()?;
            Ok(())
        })();
        if result.is_err() {
            sqlite::remove_database(&path);
        }
        result
    }

    /// Opens the gate in `dir` for writing: takes the lock (refusing a
    /// second writer, naming it, before any slow work), reads the state,
    /// then asks `keys` for the verifying keys of its configuration and
    /// checks them against every registered source. Without keys (`None`)
    /// the gate follows only attestations, ticks and guardian actions (see
    /// [`Gate::without_keys`]).
    pub fn open(
        dir: &Path,
        keys: impl FnOnce(&GateConfig) -> Result<Option<Vec<VerifierKeys>>, NodeError>,
    ) -> Result<Self, NodeError> {
        let path = db_path(dir);
        if !path.exists() {
            return Err(NodeError::NoGate {
                dir: dir.to_path_buf(),
            });
        }
        let lock = StateLock::acquire(dir)?;
        // Durable: a commit is on disk when `apply` returns; the gate is money.
        let mut conn = sqlite::open_writer(&path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        schema::SCHEMA.migrate(&mut conn)?;
        let (state, position) = rows::read_state(&conn, Depth::Full)?;
        let gate = match keys(&state.config)? {
            Some(keys) => Gate::restore(state, keys)?,
            None => Gate::without_keys(state),
        };
        Ok(Self {
            conn,
            gate,
            position,
            poisoned: false,
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    /// The state (as committed).
    pub fn state(&self) -> &GateState {
        self.gate.state()
    }

    /// The last stream position applied (0: none).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Applies one item in one transaction. `position` is the item's place
    /// in the followed stream, which must be the next one; `None` for an
    /// item submitted directly, refused once the gate follows a stream. If
    /// the commit fails, the in-memory state is read back from the ledger
    /// (so it never runs ahead of the disk) and the error returned: the
    /// item did not happen. If even that fails, the ledger refuses all
    /// further work ([`NodeError::Poisoned`]).
    pub fn apply(
        &mut self,
        item: &StreamItem,
        position: Option<u64>,
    ) -> Result<Verdict, NodeError> {
        self.apply_with(position, |gate| gate.process(item))
    }

    /// [`Ledger::apply`] for a bundle whose stateless checks passed in a
    /// batch ([`bulkhead_verifier::check_bundles`]): the same transaction,
    /// the state rules only ([`Gate::process_verified`]).
    pub fn apply_verified(
        &mut self,
        verified: &Verified,
        position: Option<u64>,
    ) -> Result<Verdict, NodeError> {
        self.apply_with(position, |gate| gate.process_verified(verified))
    }

    /// The gate (its keys, its cheap filters).
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    fn apply_with(
        &mut self,
        position: Option<u64>,
        process: impl FnOnce(&mut Gate) -> Result<Effect, Refusal>,
    ) -> Result<Verdict, NodeError> {
        if self.poisoned {
            return Err(NodeError::Poisoned);
        }
        if position.is_none() && self.position > 0 {
            return Err(NodeError::Following {
                position: self.position,
            });
        }
        let next_position = match position {
            Some(p) => {
                let expected = self.position.saturating_add(1);
                if p != expected {
                    return Err(NodeError::OutOfOrder {
                        offered: p,
                        expected,
                    });
                }
                p
            }
            None => self.position,
        };
        let verdict = match process(&mut self.gate) {
            Ok(effect) => Verdict::Accepted(effect),
            // A refused submission writes nothing at all.
            Err(refusal) if position.is_none() => return Ok(Verdict::Refused(refusal)),
            Err(refusal) => Verdict::Refused(refusal),
        };
        let committed = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            match &verdict {
                Verdict::Accepted(_) => {
                    rows::write_changes(&tx, self.gate.state(), self.gate.changes(), next_position)?
                }
                Verdict::Refused(_) => {
                    tx.execute(
                        "UPDATE gate SET position = ?1 WHERE id = 0",
                        [sqlite::int(next_position)],
                    )?;
                }
            }
            tx.commit()?;
            Ok::<(), NodeError>(())
        })();
        match committed {
            Ok(()) => {
                self.position = next_position;
                Ok(verdict)
            }
            Err(error) => {
                tracing::error!(%error, "commit failed; reading the state back");
                if let Err(reload) = self.reload() {
                    tracing::error!(%reload, "the state could not be read back");
                    self.poisoned = true;
                    return Err(NodeError::Poisoned);
                }
                Err(error)
            }
        }
    }

    /// Records that the stream entry at `position` is not an item (it
    /// could not be decoded): the stream moves past it, nothing else
    /// changes.
    pub fn skip(&mut self, position: u64) -> Result<(), NodeError> {
        if self.poisoned {
            return Err(NodeError::Poisoned);
        }
        let expected = self.position.saturating_add(1);
        if position != expected {
            return Err(NodeError::OutOfOrder {
                offered: position,
                expected,
            });
        }
        self.conn.execute(
            "UPDATE gate SET position = ?1 WHERE id = 0",
            [sqlite::int(position)],
        )?;
        self.position = position;
        Ok(())
    }

    /// Reads the state back from the ledger, dropping whatever the last
    /// failed commit left in memory.
    fn reload(&mut self) -> Result<(), NodeError> {
        let (state, position) = rows::read_state(&self.conn, Depth::Full)?;
        self.gate.replace_state(state);
        self.position = position;
        Ok(())
    }
}

/// Refuses a ledger this build does not read, on a connection that must
/// not write (the writer migrates when it opens).
fn check_schema(conn: &Connection) -> Result<(), NodeError> {
    schema::SCHEMA.check(conn)
}
