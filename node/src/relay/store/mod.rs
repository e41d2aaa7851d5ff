//! The relayer's durable state in SQLite: the exit queue, the batches, and
//! the segment state at the last batch the stream confirmed.
//!
//! The segment state is not written out after every batch: it is the
//! confirmed state (`base`) plus the live batches, replayed in sequence
//! order through the native model, which is deterministic. Recording a
//! batch row and pointing its exits at it, in one transaction, is
//! therefore what advances the state, so a crash can never leave the
//! state and the queue disagreeing. Folding confirmed batches into `base`
//! keeps a restart's replay as short as the unconfirmed tail.

use std::path::{Path, PathBuf};

use bulkhead_protocol::hash::fp_from_bytes;
use bulkhead_protocol::snapshot::Snapshot;
use ff::PrimeField;
use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};

use crate::error::{CorruptError, NodeError};
use crate::relay::request::ExitSubmission;
use crate::sqlite::{self, int, uint};

mod imports;
mod rows;
mod schema;

pub use imports::{ImportRow, Requeue};
pub use rows::{BatchRow, BatchStatus, StoredExit};
use schema::{DB_FILE, SCHEMA};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The relayer's database.
pub struct RelayStore {
    conn: Connection,
}

fn corrupt(what: &'static str) -> impl Fn(rusqlite::Error) -> CorruptError {
    CorruptError::column(what)
}

fn fixed<const N: usize>(bytes: Vec<u8>, what: &'static str) -> Result<[u8; N], CorruptError> {
    bytes
        .try_into()
        .map_err(|_| CorruptError::Length { what, len: N })
}

impl RelayStore {
    /// The database file of a state directory.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(DB_FILE)
    }

    /// Creates the tables and the starting state in one transaction.
    pub fn create(dir: &Path, base: &Snapshot) -> Result<(), NodeError> {
        let path = Self::path(dir);
        let result = (|| {
            let mut conn = sqlite::create(&path)?;
            SCHEMA.migrate(&mut conn)?;
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('base', ?1)",
                [snapshot_json(base)?],
            )?;
            Ok(())
        })();
        if result.is_err() {
            sqlite::remove_database(&path);
        }
        result
    }

    /// Opens an existing store for writing.
    pub fn open(dir: &Path) -> Result<Self, NodeError> {
        // Durable at each commit: an accepted exit or a recorded batch
        // survives power loss, not only a killed process.
        let mut conn = sqlite::open_writer(&Self::path(dir), OpenFlags::default())?;
        SCHEMA.migrate(&mut conn)?;
        Ok(Self { conn })
    }

    /// Opens the store in `dir` for reading beside its running writer (the
    /// engine): what the HTTP reads use, so a read never waits for the
    /// engine. Writing through it fails (`query_only`).
    pub fn open_reader(dir: &Path) -> Result<Self, NodeError> {
        Ok(Self {
            conn: sqlite::open_reader(&Self::path(dir))?,
        })
    }

    /// Runs `read` in one read transaction: every query in it sees the
    /// store as of one commit (an exit and its batch row, say, never one
    /// from before a supersede and the other from after).
    pub fn snapshot_read<R>(
        &self,
        read: impl FnOnce(&Self) -> Result<R, NodeError>,
    ) -> Result<R, NodeError> {
        // Read only: dropping it rolls back, which changes nothing.
        let _snapshot = self.conn.unchecked_transaction()?;
        read(self)
    }

    /// The segment state at the last confirmed batch.
    pub fn base(&self) -> Result<Snapshot, NodeError> {
        let text: String = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'base'", [], |r| {
                r.get(0)
            })
            .map_err(corrupt("base snapshot"))?;
        Ok(serde_json::from_str(&text).map_err(CorruptError::json("base snapshot"))?)
    }

    /// Stores an accepted exit and returns its queue id. A second request
    /// for the same account and nonce is refused by the unique index
    /// (`Ok(None)`), whatever the caller believed.
    pub fn insert_exit(&mut self, exit: &StoredExit) -> Result<Option<u64>, NodeError> {
        let inserted = self.conn.execute(
            "INSERT INTO exits (received_ms, dst, asset, account, nonce, recipient, amount,
                                public_key, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (account, nonce) WHERE refused IS NULL DO NOTHING",
            params![
                int(exit.received_ms),
                int(exit.request.dst),
                int(exit.request.asset),
                int(exit.request.account),
                int(exit.nonce),
                exit.request.recipient.to_repr().as_ref(),
                int(exit.request.amount),
                &exit.request.public_key[..],
                &exit.request.signature[..],
            ],
        )?;
        Ok((inserted == 1).then(|| uint(self.conn.last_insert_rowid())))
    }

    /// Exits waiting for a batch, in queue order.
    pub fn queued(&self) -> Result<Vec<StoredExit>, NodeError> {
        self.exits_where("batch IS NULL AND refused IS NULL ORDER BY id", [])
    }

    /// The exits of batch `id`, in slot order.
    pub fn batch_exits(&self, id: u64) -> Result<Vec<StoredExit>, NodeError> {
        self.exits_where("batch = ?1 ORDER BY slot", [int(id)])
    }

    /// One exit.
    pub fn exit(&self, id: u64) -> Result<Option<StoredExit>, NodeError> {
        Ok(self.exits_where("id = ?1", [int(id)])?.pop())
    }

    /// The exit that spends `nonce` of `account`, if one was accepted.
    pub fn exit_at_nonce(&self, account: u64, nonce: u64) -> Result<Option<StoredExit>, NodeError> {
        Ok(self
            .exits_where(
                "account = ?1 AND nonce = ?2 ORDER BY id",
                [int(account), int(nonce)],
            )?
            .pop())
    }

    /// The first accepted exit of `account` carrying `signature`, if any.
    /// Every stored signature was verified for its own exit, so an equal
    /// signature over equal fields is that exit sent again.
    pub fn exit_signed(
        &self,
        account: u64,
        signature: &[u8; 64],
    ) -> Result<Option<StoredExit>, NodeError> {
        Ok(self
            .exits_where(
                "signature = ?1 AND account = ?2 ORDER BY id LIMIT 1",
                params![&signature[..], int(account)],
            )?
            .pop())
    }

    fn exits_where<P: rusqlite::Params>(
        &self,
        clause: &str,
        params: P,
    ) -> Result<Vec<StoredExit>, NodeError> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT id, received_ms, dst, asset, account, nonce, recipient, amount, public_key,
                    signature, batch, slot
             FROM exits WHERE {clause}"
        ))?;
        let rows = statement.query_map(params, |r| {
            Ok((
                (
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                ),
                (
                    r.get::<_, Vec<u8>>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, Vec<u8>>(8)?,
                    r.get::<_, Vec<u8>>(9)?,
                    r.get::<_, Option<i64>>(10)?,
                    r.get::<_, Option<i64>>(11)?,
                ),
            ))
        })?;
        rows.map(|row| {
            let ((id, received, dst, asset, account, nonce), (recipient, amount, key, sig, b, s)) =
                row?;
            let recipient = fp_from_bytes(fixed(recipient, "recipient")?)
                .ok_or(CorruptError::NotField { what: "recipient" })?;
            Ok(StoredExit {
                id: uint(id),
                received_ms: uint(received),
                nonce: uint(nonce),
                request: ExitSubmission {
                    dst: uint(dst),
                    asset: uint(asset),
                    account: uint(account),
                    recipient,
                    amount: uint(amount),
                    public_key: fixed(key, "public key")?,
                    signature: fixed(sig, "signature")?,
                },
                batch: b.zip(s).map(|(b, s)| (uint(b), uint(s) as usize)),
            })
        })
        .collect()
    }

    /// Batches not yet confirmed or superseded, in sequence order.
    pub fn live_batches(&self) -> Result<Vec<BatchRow>, NodeError> {
        self.batches_where(
            "status IN ('planned', 'proven', 'published') ORDER BY first_seq, id",
            [],
        )
    }

    /// One batch.
    pub fn batch(&self, id: u64) -> Result<Option<BatchRow>, NodeError> {
        Ok(self.batches_where("id = ?1", [int(id)])?.pop())
    }

    fn batches_where<P: rusqlite::Params>(
        &self,
        clause: &str,
        params: P,
    ) -> Result<Vec<BatchRow>, NodeError> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT id, dst, asset, epoch, first_seq, count, status, bundle, position, note
             FROM batches WHERE {clause}"
        ))?;
        let rows = statement.query_map(params, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<i64>>(8)?,
                r.get::<_, Option<String>>(9)?,
            ))
        })?;
        rows.map(|row| {
            let (id, dst, asset, epoch, first_seq, count, status, bundle, position, note) = row?;
            Ok(BatchRow {
                id: uint(id),
                dst: uint(dst),
                asset: uint(asset),
                epoch: uint(epoch),
                first_seq: uint(first_seq),
                count: uint(count) as usize,
                status: BatchStatus::parse(&status)?,
                bundle: bundle.map(PathBuf::from),
                position: position.map(uint),
                note,
            })
        })
        .collect()
    }

    /// Records a planned batch of `exits` (queue ids, slot order) in one
    /// transaction: the batch row, and every exit pointed at it. This is
    /// the step that advances the segment state (see the module).
    pub fn record_batch(
        &mut self,
        dst: u64,
        asset: u64,
        epoch: u64,
        first_seq: u64,
        exits: &[u64],
    ) -> Result<u64, NodeError> {
        let tx = self.write()?;
        tx.execute(
            "INSERT INTO batches (dst, asset, epoch, first_seq, count, status, planned_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, 'planned', ?6)",
            params![
                int(dst),
                int(asset),
                int(epoch),
                int(first_seq),
                exits.len() as i64,
                int(now_ms())
            ],
        )?;
        let id = uint(tx.last_insert_rowid());
        for (slot, exit) in exits.iter().enumerate() {
            let changed = tx.execute(
                "UPDATE exits SET batch = ?1, slot = ?2 WHERE id = ?3 AND batch IS NULL",
                params![int(id), slot as i64, int(*exit)],
            )?;
            if changed != 1 {
                return Err(CorruptError::NotQueued {
                    exit: *exit,
                    batch: id,
                }
                .into());
            }
        }
        tx.commit()?;
        Ok(id)
    }

    /// Records that batch `id` is proven, its bundle at `bundle`, if it is
    /// still planned (a batch superseded while its proof was being made
    /// keeps its status). Whether it was recorded.
    pub fn mark_proven(&mut self, id: u64, bundle: &Path) -> Result<bool, NodeError> {
        let changed = self.conn.execute(
            "UPDATE batches SET status = 'proven', bundle = ?2, proven_ms = ?3
             WHERE id = ?1 AND status = 'planned'",
            params![int(id), bundle.display().to_string(), int(now_ms())],
        )?;
        Ok(changed == 1)
    }

    /// Sends proven batch `id` back to be proven again (its bundle file
    /// was lost or damaged before publication).
    pub fn unprove(&mut self, id: u64) -> Result<(), NodeError> {
        self.conn.execute(
            "UPDATE batches SET status = 'planned', bundle = NULL, proven_ms = NULL
             WHERE id = ?1 AND status = 'proven'",
            [int(id)],
        )?;
        Ok(())
    }

    /// Records that batch `id` was published at stream `position`.
    pub fn mark_published(&mut self, id: u64, position: u64) -> Result<(), NodeError> {
        self.conn.execute(
            "UPDATE batches SET status = 'published', position = ?2, published_ms = ?3
             WHERE id = ?1 AND status IN ('proven', 'published')",
            params![int(id), int(position), int(now_ms())],
        )?;
        Ok(())
    }

    /// Sets published batches `ids` back to proven (refused under
    /// quarantine: their bundles are published again after the release).
    pub fn unpublish(&mut self, ids: &[u64]) -> Result<(), NodeError> {
        let tx = self.write()?;
        for id in ids {
            tx.execute(
                "UPDATE batches SET status = 'proven', position = NULL, published_ms = NULL
                 WHERE id = ?1 AND status = 'published'",
                [int(*id)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Confirms batches `ids` and stores `base`, the state after them, in
    /// one transaction.
    pub fn confirm(&mut self, ids: &[u64], base: &Snapshot) -> Result<(), NodeError> {
        let tx = self.write()?;
        for id in ids {
            tx.execute(
                "UPDATE batches SET status = 'confirmed', done_ms = ?2 WHERE id = ?1",
                params![int(*id), int(now_ms())],
            )?;
        }
        set_base_in(&tx, base)?;
        tx.commit()?;
        Ok(())
    }

    /// Rebases the relayer on `base`, the segment's state as its own
    /// execution moved it, in one transaction: batches `superseded` go
    /// (their exits back to the queue) with `note`, and each exit of
    /// `refused` is refused with its reason.
    pub fn rebase(
        &mut self,
        superseded: &[u64],
        note: &str,
        refused: &[(u64, String)],
        base: &Snapshot,
    ) -> Result<(), NodeError> {
        self.requeue(&Requeue {
            superseded,
            note,
            refused,
            dropped_import: None,
            base: Some(base),
        })
    }

    /// Why exit `id` was refused after it was accepted, if it was.
    pub fn refusal(&self, id: u64) -> Result<Option<String>, NodeError> {
        Ok(self
            .conn
            .query_row("SELECT refused FROM exits WHERE id = ?1", [int(id)], |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()?
            .flatten())
    }

    /// Supersedes batches `ids` and returns their exits to the queue, in
    /// one transaction.
    pub fn supersede(&mut self, ids: &[u64], note: &str) -> Result<(), NodeError> {
        self.requeue(&Requeue {
            superseded: ids,
            note,
            ..Requeue::default()
        })
    }

    /// For every exit in a published batch: when it was received and when
    /// its bundle was published (ms since the Unix epoch).
    pub fn publications(&self) -> Result<Vec<(u64, u64)>, NodeError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT e.received_ms, b.published_ms FROM exits e JOIN batches b ON e.batch = b.id
             WHERE b.published_ms IS NOT NULL",
        )?;
        let rows = statement.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        rows.map(|r| {
            let (received, published) = r?;
            Ok((uint(received), uint(published)))
        })
        .collect()
    }

    /// Counts of batches by status.
    pub fn batch_counts(&self) -> Result<Vec<(String, u64)>, NodeError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT status, COUNT(*) FROM batches GROUP BY status")?;
        let rows =
            statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        rows.map(|r| {
            let (status, n) = r?;
            Ok((status, uint(n)))
        })
        .collect()
    }

    fn write(&mut self) -> Result<Transaction<'_>, NodeError> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// The number of exits ever accepted.
    pub fn exit_count(&self) -> Result<u64, NodeError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM exits", [], |r| r.get(0))?;
        Ok(uint(n))
    }

    /// Whether batch `id` exists with status `status`.
    pub fn batch_status(&self, id: u64) -> Result<Option<BatchStatus>, NodeError> {
        let status: Option<String> = self
            .conn
            .query_row("SELECT status FROM batches WHERE id = ?1", [int(id)], |r| {
                r.get(0)
            })
            .optional()?;
        status.map(|s| BatchStatus::parse(&s)).transpose()
    }
}

fn snapshot_json(snapshot: &Snapshot) -> Result<String, NodeError> {
    Ok(serde_json::to_string(snapshot).map_err(CorruptError::json("snapshot"))?)
}

/// Supersedes batches `ids` with `note` and returns their exits to the
/// queue, in the caller's transaction.
fn supersede_in(tx: &Transaction<'_>, ids: &[u64], note: &str) -> Result<(), NodeError> {
    for id in ids {
        tx.execute(
            "UPDATE batches SET status = 'superseded', note = ?2, done_ms = ?3 WHERE id = ?1",
            params![int(*id), note, int(now_ms())],
        )?;
        tx.execute(
            "UPDATE exits SET batch = NULL, slot = NULL WHERE batch = ?1",
            [int(*id)],
        )?;
    }
    Ok(())
}

/// Stores `base` as the relayer's confirmed state, in the caller's
/// transaction.
fn set_base_in(tx: &Transaction<'_>, base: &Snapshot) -> Result<(), NodeError> {
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'base'",
        [snapshot_json(base)?],
    )?;
    Ok(())
}
