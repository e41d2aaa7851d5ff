//! Synthetic history for load measurements: a gate's ledger that has
//! credited a million exits without proving a million exits.
//!
//! The rows are written straight into the ledger's SQLite file (under the
//! state directory's lock, as any writer), in the gate's own integer
//! encoding (`sqlite::int`): the credits table is history the rules
//! never read, so nothing but this crate needs a way to forge it.

use std::path::Path;

use bulkhead_node::ledger::db_path;
use bulkhead_node::lock::StateLock;
use bulkhead_node::sqlite::{self, int};
use bulkhead_protocol::hash::Fp;
use ff::PrimeField;
use rusqlite::{params, OpenFlags};

use crate::BenchError;

/// The source segment of synthetic credits: no gate registers it, so the
/// rules never meet it.
pub const SYNTHETIC_SOURCE: u64 = u64::MAX;

/// Appends `count` credits from [`SYNTHETIC_SOURCE`] to the gate in `dir`
/// (taking its lock), spread over `recipients` recipients (`Fp::from(i %
/// recipients)`), in one transaction. This changes what an item costs to
/// write beside a large history, and no verdict.
pub fn append_synthetic_credits(dir: &Path, count: u64, recipients: u64) -> Result<(), BenchError> {
    let _lock = StateLock::acquire(dir)?;
    // As every ledger connection: a reader mid-checkpoint is waited for.
    let mut conn = sqlite::connect(&db_path(dir), OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    let tx = conn.transaction()?;
    let first: i64 = tx.query_row(
        "SELECT COALESCE(MAX(seq) + 1, 0) FROM credits WHERE src = ?1",
        [int(SYNTHETIC_SOURCE)],
        |r| r.get(0),
    )?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO credits (src, seq, asset, epoch, recipient, amount, part)
             VALUES (?1, ?2, 1, 0, ?3, 1, 0)",
        )?;
        for i in 0..count {
            let recipient = Fp::from(i % recipients.max(1)).to_repr();
            insert.execute(params![
                int(SYNTHETIC_SOURCE),
                first.saturating_add(i as i64),
                &recipient[..]
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}
