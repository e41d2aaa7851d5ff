//! Reading a ledger beside its writer: a read-only connection of its own,
//! which SQLite's WAL mode gives a consistent snapshot per query without
//! ever blocking the writer.

use std::path::Path;

use bulkhead_protocol::hash::Fp;
use bulkhead_verifier::gate::{Credit, GateState};
use ff::PrimeField;
use rusqlite::{params, Connection};
use serde::Serialize;

use super::rows::{self, read_credit, Depth};
use super::{check_schema, db_path};
use crate::error::NodeError;
use crate::json::integers_as_strings;
use crate::sqlite::{self, int, uint};

/// One page of credits, in credit order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreditPage {
    /// (credit id, credit), ids increasing.
    pub credits: Vec<(u64, Credit)>,
    /// The `after` that gives the next page, if there may be one.
    pub next: Option<u64>,
}

/// A read-only view of a gate's ledger.
pub struct LedgerReader {
    conn: Connection,
}

impl LedgerReader {
    /// Opens the ledger of `dir` for reading (no lock: a writer may be
    /// running). The connection is opened read-write but set
    /// `query_only`: a WAL database needs its shared-memory file, which a
    /// read-only connection cannot create after the writer has closed
    /// cleanly and removed it.
    pub fn open(dir: &Path) -> Result<Self, NodeError> {
        let path = db_path(dir);
        if !path.exists() {
            return Err(NodeError::NoGate {
                dir: dir.to_path_buf(),
            });
        }
        let conn = sqlite::open_reader(&path)?;
        check_schema(&conn)?;
        Ok(Self { conn })
    }

    /// The state and stream position, at `depth`, from one snapshot.
    pub fn state(&self, depth: Depth) -> Result<(GateState, u64), NodeError> {
        let tx = self.conn.unchecked_transaction()?;
        let state = rows::read_state(&tx, depth)?;
        tx.finish()?;
        Ok(state)
    }

    /// Credits after credit id `after` (0: from the start), at most
    /// `limit`, to `recipient` if given.
    pub fn credits(
        &self,
        recipient: Option<&Fp>,
        after: u64,
        limit: usize,
    ) -> Result<CreditPage, NodeError> {
        let limit = limit.max(1);
        // Credit ids are positive i64s: nothing lies beyond i64::MAX.
        if after > i64::MAX as u64 {
            return Ok(CreditPage {
                credits: Vec::new(),
                next: None,
            });
        }
        let sql_limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut credits = Vec::new();
        let mut push = |r: &rusqlite::Row<'_>| -> Result<(), NodeError> {
            credits.push((uint(r.get(0)?), read_credit(r, 1)?));
            Ok(())
        };
        const COLUMNS: &str = "id, src, seq, asset, epoch, recipient, amount, part";
        match recipient {
            Some(recipient) => {
                let mut stmt = self.conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM credits WHERE recipient = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
                ))?;
                let mut rows =
                    stmt.query(params![&recipient.to_repr()[..], int(after), sql_limit])?;
                while let Some(r) = rows.next()? {
                    push(r)?;
                }
            }
            None => {
                let mut stmt = self.conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM credits WHERE id > ?1 ORDER BY id LIMIT ?2"
                ))?;
                let mut rows = stmt.query(params![int(after), sql_limit])?;
                while let Some(r) = rows.next()? {
                    push(r)?;
                }
            }
        }
        let next = (credits.len() == limit)
            .then(|| credits.last().map(|(id, _)| *id))
            .flatten();
        Ok(CreditPage { credits, next })
    }

    /// The whole ledger as JSON for audits and reproducibility: the state
    /// (every root, all evidence, every epoch's inbound total), the stream
    /// position and every credit in order; every integer as a decimal
    /// string, so no JSON reader rounds a u64.
    pub fn export(&self) -> Result<serde_json::Value, NodeError> {
        let tx = self.conn.unchecked_transaction()?;
        let (state, position) = rows::read_state(&tx, Depth::Full)?;
        let mut credits = Vec::new();
        {
            let mut stmt = tx.prepare(
                "SELECT src, seq, asset, epoch, recipient, amount, part FROM credits ORDER BY id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                credits.push(read_credit(r, 0)?);
            }
        }
        tx.finish()?;
        Ok(export_document(&state, position, &credits))
    }
}

/// The export of a gate: its whole state, the stream position and every
/// credit in order, every integer a decimal string. What
/// [`LedgerReader::export`] prints, and what an in-memory gate (the demo's)
/// writes to be compared with it.
pub fn export_document(state: &GateState, position: u64, credits: &[Credit]) -> serde_json::Value {
    integers_as_strings(serde_json::json!({
        "position": position,
        "state": state,
        "credits": credits,
    }))
}
