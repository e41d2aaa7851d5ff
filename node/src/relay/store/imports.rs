//! The segment's imports in the relayer's store: taken at
//! `POST /v1/imports`, published in order with the batches, then landed
//! (folded into the confirmed state) or dropped with the reason.

use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_verifier::gate::Import;
use rusqlite::params;

use super::{corrupt, int, now_ms, set_base_in, snapshot_json, supersede_in, uint, RelayStore};
use crate::error::{CorruptError, NodeError};

/// An import as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow {
    /// Its id.
    pub id: u64,
    /// It goes after every exit below this sequence number.
    pub after_seq: u64,
    /// The signed import.
    pub item: Import,
    /// The segment's state once credited.
    pub state: Snapshot,
    /// `queued`, `published`, `landed` or `dropped`.
    pub status: String,
    /// Its stream position, once published.
    pub position: Option<u64>,
    /// Why it was dropped.
    pub note: Option<String>,
}

/// What one requeue writes, in one transaction: batches superseded (their
/// exits back to the queue), exits refused with their reasons, the open
/// import dropped with its reason, and a new confirmed state.
#[derive(Clone, Copy, Debug, Default)]
pub struct Requeue<'a> {
    /// Batches superseded.
    pub superseded: &'a [u64],
    /// Why.
    pub note: &'a str,
    /// Exits refused, each with its reason.
    pub refused: &'a [(u64, String)],
    /// The open import dropped, and why.
    pub dropped_import: Option<(u64, &'a str)>,
    /// The new confirmed state, if it changes.
    pub base: Option<&'a Snapshot>,
}

impl RelayStore {
    /// Stores an import taken for publication and returns its id. Refused
    /// by the store's index if another is open.
    pub fn insert_import(
        &mut self,
        after_seq: u64,
        item: &Import,
        state: &Snapshot,
    ) -> Result<u64, NodeError> {
        let height = item.height;
        let item = serde_json::to_string(item).map_err(CorruptError::json("import"))?;
        self.conn.execute(
            "INSERT INTO imports (received_ms, after_seq, height, item, state, status)
             VALUES (?1, ?2, ?3, ?4, ?5, 'queued')",
            params![
                int(now_ms()),
                int(after_seq),
                int(height),
                item,
                snapshot_json(state)?,
            ],
        )?;
        Ok(uint(self.conn.last_insert_rowid()))
    }

    /// The import queued or published, if there is one.
    pub fn open_import(&self) -> Result<Option<ImportRow>, NodeError> {
        Ok(self
            .imports_where("status IN ('queued', 'published')", [])?
            .pop())
    }

    /// One import.
    pub fn import(&self, id: u64) -> Result<Option<ImportRow>, NodeError> {
        Ok(self.imports_where("id = ?1", [int(id)])?.pop())
    }

    /// The import already taken with this height and root and not
    /// dropped, if any (a retried submission; a dropped one may be taken
    /// again, and its signatures, being deterministic, are the same).
    pub fn import_at(&self, height: u64, item: &Import) -> Result<Option<ImportRow>, NodeError> {
        Ok(self
            .imports_where(
                "height = ?1 AND status != 'dropped' ORDER BY id",
                [int(height)],
            )?
            .into_iter()
            .find(|row| row.item == *item))
    }

    /// Records that import `id` was published at `position`.
    pub fn import_published(&mut self, id: u64, position: u64) -> Result<(), NodeError> {
        self.conn.execute(
            "UPDATE imports SET status = 'published', position = ?2
             WHERE id = ?1 AND status IN ('queued', 'published')",
            params![int(id), int(position)],
        )?;
        Ok(())
    }

    /// Sets import `id` back to queued (refused under quarantine: it is
    /// published again after the release).
    pub fn import_unpublished(&mut self, id: u64) -> Result<(), NodeError> {
        self.conn.execute(
            "UPDATE imports SET status = 'queued', position = NULL
             WHERE id = ?1 AND status = 'published'",
            [int(id)],
        )?;
        Ok(())
    }

    /// Records that import `id` is in the stream's chain, with `base`, the
    /// state it credited, as the confirmed state, in one transaction.
    pub fn import_landed(&mut self, id: u64, base: &Snapshot) -> Result<(), NodeError> {
        let tx = self.write()?;
        tx.execute(
            "UPDATE imports SET status = 'landed', done_ms = ?2 WHERE id = ?1",
            params![int(id), int(now_ms())],
        )?;
        set_base_in(&tx, base)?;
        tx.commit()?;
        Ok(())
    }

    /// Re-plans live batches `ids` on `base` (the boundary governance
    /// left) in one transaction: each goes back to planned (its bundle,
    /// proven on the old boundary, and its publication forgotten; its
    /// exits and order kept, so the replay at a restart plans it on the
    /// new base), each exit of `refused` is refused with its reason, and
    /// `base` becomes the confirmed state.
    pub fn replan(
        &mut self,
        ids: &[u64],
        refused: &[(u64, String)],
        base: &Snapshot,
    ) -> Result<(), NodeError> {
        let tx = self.write()?;
        for id in ids {
            tx.execute(
                "UPDATE batches SET status = 'planned', bundle = NULL, proven_ms = NULL,
                        position = NULL, published_ms = NULL
                 WHERE id = ?1 AND status IN ('planned', 'proven', 'published')",
                [int(*id)],
            )?;
        }
        for (id, reason) in refused {
            tx.execute(
                "UPDATE exits SET refused = ?2 WHERE id = ?1",
                params![int(*id), reason],
            )?;
        }
        set_base_in(&tx, base)?;
        tx.commit()?;
        Ok(())
    }

    /// Writes `requeue` in one transaction.
    pub fn requeue(&mut self, requeue: &Requeue<'_>) -> Result<(), NodeError> {
        let tx = self.write()?;
        supersede_in(&tx, requeue.superseded, requeue.note)?;
        for (id, reason) in requeue.refused {
            tx.execute(
                "UPDATE exits SET refused = ?2 WHERE id = ?1",
                params![int(*id), reason],
            )?;
        }
        if let Some((id, note)) = requeue.dropped_import {
            tx.execute(
                "UPDATE imports SET status = 'dropped', note = ?2, done_ms = ?3 WHERE id = ?1",
                params![int(id), note, int(now_ms())],
            )?;
        }
        if let Some(base) = requeue.base {
            set_base_in(&tx, base)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn imports_where<P: rusqlite::Params>(
        &self,
        clause: &str,
        params: P,
    ) -> Result<Vec<ImportRow>, NodeError> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT id, after_seq, item, state, status, position, note FROM imports WHERE {clause}"
        ))?;
        let rows = statement.query_map(params, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })?;
        rows.map(|row| {
            let (id, after_seq, item, state, status, position, note) =
                row.map_err(corrupt("import"))?;
            Ok(ImportRow {
                id: uint(id),
                after_seq: uint(after_seq),
                item: serde_json::from_str(&item).map_err(CorruptError::json("import"))?,
                state: serde_json::from_str(&state).map_err(CorruptError::json("import state"))?,
                status,
                position: position.map(uint),
                note,
            })
        })
        .collect()
    }
}
