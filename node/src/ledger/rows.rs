//! The gate state row by row: writing what one item changed, and reading
//! the state back.
//!
//! Every u64 is stored by the node's bit-cast ([`crate::sqlite::int`]); the
//! ledger never sums or orders u64 columns in SQL (sums live in the source
//! rows, computed with checked arithmetic by the gate).

use std::collections::{BTreeMap, BTreeSet};

use bulkhead_protocol::hash::{fp_from_bytes, Fp};
use bulkhead_protocol::mirror::BoundaryMirror;
use bulkhead_protocol::model::Silo;
use bulkhead_verifier::gate::{
    ChainRoot, Changes, Credit, Evidence, Flow, GateConfig, GateState, ItemKind, QuarantineCause,
    Root, SegmentAsset, SourceEpoch, SourceGovernance, SourceState,
};
use ff::PrimeField;
use rusqlite::types::ToSql;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, Transaction};

use crate::error::{CorruptError, NodeError};
use crate::sqlite::{int, uint};

fn opt_int(value: Option<u64>) -> Option<i64> {
    value.map(int)
}

fn json<T: serde::Serialize>(value: &T) -> String {
    // Serializing sets and maps of plain integers and strings cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

fn from_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &'static str,
) -> Result<T, CorruptError> {
    serde_json::from_str(text).map_err(CorruptError::json(what))
}

fn fp_column(bytes: Vec<u8>, what: &'static str) -> Result<Fp, CorruptError> {
    let array: [u8; 32] = bytes
        .try_into()
        .map_err(|_| CorruptError::Length { what, len: 32 })?;
    fp_from_bytes(array).ok_or(CorruptError::NotField { what })
}

fn root_column(bytes: Vec<u8>, what: &'static str) -> Result<Root, CorruptError> {
    let array: [u8; 32] = bytes
        .try_into()
        .map_err(|_| CorruptError::Length { what, len: 32 })?;
    Ok(Root(array))
}

fn cause_text(cause: &Option<QuarantineCause>) -> Option<&'static str> {
    cause.as_ref().map(|c| match c {
        QuarantineCause::Equivocation => "equivocation",
        QuarantineCause::Guardians => "guardians",
    })
}

fn cause_from(text: Option<String>) -> Result<Option<QuarantineCause>, NodeError> {
    match text.as_deref() {
        None => Ok(None),
        Some("equivocation") => Ok(Some(QuarantineCause::Equivocation)),
        Some("guardians") => Ok(Some(QuarantineCause::Guardians)),
        Some(other) => Err(CorruptError::UnknownName {
            what: "quarantine cause",
            found: other.to_owned(),
        }
        .into()),
    }
}

/// Amounts per asset as JSON with decimal-string values (lossless in every
/// JSON reader).
fn credited_json(credited: &BTreeMap<u64, u64>) -> String {
    let map: BTreeMap<String, String> = credited
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    json(&map)
}

fn credited_from(text: &str) -> Result<BTreeMap<u64, u64>, NodeError> {
    let map: BTreeMap<String, String> = from_json(text, "source credited")?;
    map.into_iter()
        .map(|(k, v)| match (k.parse(), v.parse()) {
            (Ok(k), Ok(v)) => Ok((k, v)),
            _ => Err(CorruptError::CreditedEntry {
                asset: k.clone(),
                amount: v.clone(),
            }
            .into()),
        })
        .collect()
}

/// Writes the gate row, the rows `changes` names, and the stream
/// position, in the caller's transaction.
pub fn write_changes(
    tx: &Transaction<'_>,
    state: &GateState,
    changes: &Changes,
    position: u64,
) -> Result<(), NodeError> {
    write_gate_row(tx, state, position)?;
    for id in &changes.sources {
        if let Some(source) = state.sources.get(id) {
            write_source(tx, *id, source)?;
        }
    }
    for (segment, height) in &changes.roots {
        if let Some(root) = state.sources.get(segment).and_then(|s| s.roots.get(height)) {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO roots (segment, height, root, attested) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![int(*segment), int(*height), &root.root.0[..], root.attested])?;
        }
    }
    for (segment, e) in &changes.evidence {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO evidence (segment, height, parent, root) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![int(*segment), int(e.height), &e.parent.0[..], &e.root.0[..]])?;
    }
    for key in &changes.flows {
        let flow = state.flows.get(key).copied().unwrap_or_default();
        tx.prepare_cached(
            "INSERT OR REPLACE INTO flows (segment, asset, inflow, imported, deposited, withdrawn)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            int(key.segment),
            int(key.asset),
            flow.inflow.to_string(),
            flow.imported.to_string(),
            flow.deposited.to_string(),
            flow.withdrawn.to_string()
        ])?;
    }
    for key in &changes.inbound {
        let amount = state.inbound.get(key).copied().unwrap_or(0);
        tx.prepare_cached(
            "INSERT OR REPLACE INTO inbound (segment, epoch, amount) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![int(key.src), int(key.epoch), int(amount)])?;
    }
    // A position both added and removed by one item was credited at once:
    // it never reaches the table. A position credited in part is written
    // again with what is still held.
    let written = changes.held_added.union(&changes.held_changed);
    for position in written.filter(|p| !changes.held_removed.contains(p)) {
        if let Some(c) = state.held.get(position) {
            insert_credit(
                tx,
                "INSERT OR REPLACE INTO held (position, src, seq, asset, epoch, recipient, amount, part)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                Some(*position),
                c,
            )?;
        }
    }
    for position in changes.held_removed.difference(&changes.held_added) {
        tx.prepare_cached("DELETE FROM held WHERE position = ?1")?
            .execute(params![int(*position)])?;
    }
    for c in &changes.credited {
        insert_credit(
            tx,
            "INSERT INTO credits (src, seq, asset, epoch, recipient, amount, part)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            None,
            c,
        )?;
    }
    Ok(())
}

/// Inserts a credit's columns (src, seq, asset, epoch, recipient, amount,
/// part) with `sql`, after `position` when the table is keyed by one.
fn insert_credit(
    tx: &Connection,
    sql: &str,
    position: Option<u64>,
    c: &Credit,
) -> Result<(), NodeError> {
    let recipient = c.recipient.to_repr();
    let columns: [&dyn ToSql; 7] = [
        &int(c.src),
        &int(c.seq),
        &int(c.asset),
        &int(c.epoch),
        &recipient,
        &int(c.amount),
        &int(c.part),
    ];
    let position = position.map(int);
    let key: Option<&dyn ToSql> = position.as_ref().map(|p| p as &dyn ToSql);
    tx.prepare_cached(sql)?
        .execute(params_from_iter(key.into_iter().chain(columns)))?;
    Ok(())
}

fn write_gate_row(tx: &Connection, state: &GateState, position: u64) -> Result<(), NodeError> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO gate (id, epoch, epoch_time, local_tripped, local_round,
             local_votes, accepted, credited_exits, next_held, position)
         VALUES (0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        int(state.epoch),
        int(state.epoch_time),
        state.local_tripped,
        int(state.local_round),
        json(&state.local_votes),
        json(&state.accepted),
        int(state.credited_exits),
        int(state.next_held),
        int(position)
    ])?;
    Ok(())
}

fn write_source(tx: &Connection, id: u64, s: &SourceState) -> Result<(), NodeError> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO sources (segment, tip, height, boundary, next_seq, last_epoch,
             quarantined, round, votes, accepted, credited, open_epochs, counted_epoch,
             bundle_height, silos, governance, lanes_root)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        int(id),
        &s.tip.to_repr()[..],
        int(s.height),
        &s.boundary().to_repr()[..],
        int(s.next_seq()),
        opt_int(s.last_epoch),
        cause_text(&s.quarantined),
        int(s.round),
        json(&s.votes),
        int(s.accepted),
        credited_json(&s.credited),
        int(s.open_epochs),
        opt_int(s.counted_epoch),
        int(s.bundle_height),
        json(&s.mirror.silos().values().collect::<Vec<_>>()),
        json(&s.governance),
        &s.mirror.lanes_root().to_repr()[..]
    ])?;
    // Roots and evidence below the evidence floor are never read again.
    for sql in [
        "DELETE FROM roots WHERE segment = ?1 AND height < ?2",
        "DELETE FROM evidence WHERE segment = ?1 AND height < ?2",
    ] {
        tx.prepare_cached(sql)?
            .execute(params![int(id), int(s.bundle_height)])?;
    }
    Ok(())
}

/// Writes a whole fresh state (every source, its registered root), for
/// `init`.
pub fn write_fresh(tx: &Transaction<'_>, state: &GateState) -> Result<(), NodeError> {
    let mut changes = Changes::default();
    // A source registered late carries the flows into it so far.
    changes.flows.extend(state.flows.keys().copied());
    for (id, source) in &state.sources {
        changes.sources.insert(*id);
        for height in source.roots.keys() {
            changes.roots.insert((*id, *height));
        }
    }
    write_changes(tx, state, &changes, 0)
}

/// How much of the state to read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// Everything the rules read: the writer's state.
    Full,
    /// Without the chains of roots, the evidence and past epochs' inbound
    /// totals: what status and the blast radius need, at a cost that does
    /// not grow with history.
    Summary,
}

fn source_row(row: &Row<'_>) -> rusqlite::Result<SourceRow> {
    Ok(SourceRow {
        segment: uint(row.get(0)?),
        tip: row.get(1)?,
        height: uint(row.get(2)?),
        boundary: row.get(3)?,
        next_seq: uint(row.get(4)?),
        last_epoch: row.get::<_, Option<i64>>(5)?.map(uint),
        quarantined: row.get(6)?,
        round: uint(row.get(7)?),
        votes: row.get(8)?,
        accepted: uint(row.get(9)?),
        credited: row.get(10)?,
        open_epochs: uint(row.get(11)?),
        counted_epoch: row.get::<_, Option<i64>>(12)?.map(uint),
        bundle_height: uint(row.get(13)?),
        silos: row.get(14)?,
        governance: row.get(15)?,
        lanes_root: row.get(16)?,
    })
}

struct SourceRow {
    segment: u64,
    tip: Vec<u8>,
    height: u64,
    boundary: Vec<u8>,
    next_seq: u64,
    last_epoch: Option<u64>,
    quarantined: Option<String>,
    round: u64,
    votes: String,
    accepted: u64,
    credited: String,
    open_epochs: u64,
    counted_epoch: Option<u64>,
    bundle_height: u64,
    silos: Option<String>,
    governance: Option<String>,
    /// NULL in a ledger written before governance moved lanes: the
    /// registered one.
    lanes_root: Option<Vec<u8>>,
}

impl SourceRow {
    /// The source's boundary mirror: the registration's tree with the
    /// stored live silos, which must hash to the stored boundary root.
    fn mirror(
        &self,
        config: &GateConfig,
        governance: &SourceGovernance,
    ) -> Result<BoundaryMirror, NodeError> {
        let segment = self.segment;
        let registration = config
            .source(segment)
            .ok_or(CorruptError::MirrorRoot { segment })?;
        let live: BTreeMap<u64, Silo> = match &self.silos {
            Some(text) => from_json::<Vec<Silo>>(text, "source silos")?
                .into_iter()
                .map(|silo| (silo.asset, silo))
                .collect(),
            // Written before mirrors: the registered silos, while no
            // bundle has moved them.
            None if self.accepted == 0 => registration
                .silos
                .iter()
                .map(|o| (o.asset, o.silo()))
                .collect(),
            None => return Err(CorruptError::BeforeMirror { segment }.into()),
        };
        // Silos governance added since this gate registered the source (a
        // late registration's openings hold the earlier ones).
        let added: Vec<(u64, Vec<Fp>)> = governance
            .added_silos
            .iter()
            .filter(|a| registration.silo(a.asset).is_none())
            .map(|a| (a.asset, a.siblings.clone()))
            .collect();
        let mirror = BoundaryMirror::restore(
            registration.shape.silo_depth,
            registration
                .silos
                .iter()
                .map(|o| (o.silo(), o.siblings.clone())),
            &added,
            match &self.lanes_root {
                Some(bytes) => fp_column(bytes.clone(), "source lanes root")?,
                None => registration.lanes_root,
            },
            &live,
            self.next_seq,
        )
        .map_err(|_| CorruptError::MirrorRoot { segment })?;
        if mirror.root() != fp_column(self.boundary.clone(), "source boundary")? {
            return Err(CorruptError::MirrorRoot { segment }.into());
        }
        Ok(mirror)
    }

    fn into_state(self, config: &GateConfig) -> Result<(u64, SourceState), NodeError> {
        let governance: SourceGovernance = match &self.governance {
            Some(text) => from_json(text, "source governance")?,
            None => Default::default(),
        };
        let mirror = self.mirror(config, &governance)?;
        Ok((
            self.segment,
            SourceState {
                tip: fp_column(self.tip, "source tip")?,
                height: self.height,
                roots: BTreeMap::new(),
                bundle_height: self.bundle_height,
                mirror,
                last_epoch: self.last_epoch,
                quarantined: cause_from(self.quarantined)?,
                round: self.round,
                votes: from_json(&self.votes, "source votes")?,
                evidence: BTreeSet::new(),
                accepted: self.accepted,
                credited: credited_from(&self.credited)?,
                open_epochs: self.open_epochs,
                counted_epoch: self.counted_epoch,
                governance,
            },
        ))
    }
}

/// A credit from the columns (src, seq, asset, epoch, recipient, amount,
/// part) starting at `first`.
pub fn read_credit(row: &Row<'_>, first: usize) -> Result<Credit, NodeError> {
    let column = |i: usize| row.get::<_, i64>(first + i).map(uint);
    let recipient: Vec<u8> = row.get(first + 4)?;
    Ok(Credit {
        src: column(0)?,
        seq: column(1)?,
        asset: column(2)?,
        epoch: column(3)?,
        recipient: fp_column(recipient, "credit recipient")?,
        amount: column(5)?,
        part: column(6)?,
    })
}

/// The configuration stored at `init`.
pub fn read_config(conn: &Connection) -> Result<GateConfig, NodeError> {
    let text: String = conn
        .query_row("SELECT value FROM meta WHERE key = 'config'", [], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or(CorruptError::NoConfiguration)?;
    Ok(from_json(&text, "configuration")?)
}

/// Reads the state back (see [`Depth`]), and the stream position.
pub fn read_state(conn: &Connection, depth: Depth) -> Result<(GateState, u64), NodeError> {
    let config = read_config(conn)?;
    let (
        epoch,
        epoch_time,
        local_tripped,
        local_round,
        local_votes,
        accepted,
        credited,
        next_held,
        position,
    ) = conn.query_row(
        "SELECT epoch, epoch_time, local_tripped, local_round, local_votes, accepted,
                    credited_exits, next_held, position FROM gate WHERE id = 0",
        [],
        |r| {
            Ok((
                uint(r.get(0)?),
                uint(r.get(1)?),
                r.get::<_, bool>(2)?,
                uint(r.get(3)?),
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                uint(r.get(6)?),
                uint(r.get(7)?),
                uint(r.get(8)?),
            ))
        },
    )?;
    let mut sources = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT segment, tip, height, boundary, next_seq, last_epoch, quarantined, round, votes, accepted, credited, open_epochs, counted_epoch, bundle_height, silos, governance, lanes_root FROM sources")?;
    for row in stmt.query_map([], source_row)? {
        let (id, source) = row?.into_state(&config)?;
        sources.insert(id, source);
    }
    let flows = read_flows(conn)?;
    let mut inbound = BTreeMap::new();
    let inbound_sql = match depth {
        Depth::Full => "SELECT segment, epoch, amount FROM inbound",
        Depth::Summary => "SELECT segment, epoch, amount FROM inbound WHERE epoch = ?1",
    };
    let mut stmt = conn.prepare(inbound_sql)?;
    let mut rows = match depth {
        Depth::Full => stmt.query([])?,
        Depth::Summary => stmt.query(params![int(epoch)])?,
    };
    while let Some(r) = rows.next()? {
        let key = SourceEpoch {
            src: uint(r.get(0)?),
            epoch: uint(r.get(1)?),
        };
        inbound.insert(key, uint(r.get(2)?));
    }
    if depth == Depth::Full {
        let mut stmt = conn.prepare("SELECT segment, height, root, attested FROM roots")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let segment = uint(r.get(0)?);
            let height = uint(r.get(1)?);
            let root = root_column(r.get(2)?, "root")?;
            let attested: bool = r.get(3)?;
            if let Some(source) = sources.get_mut(&segment) {
                source.roots.insert(height, ChainRoot { root, attested });
            }
        }
        let mut stmt = conn.prepare("SELECT segment, height, parent, root FROM evidence")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let segment = uint(r.get(0)?);
            let evidence = Evidence {
                height: uint(r.get(1)?),
                parent: root_column(r.get(2)?, "evidence parent")?,
                root: root_column(r.get(3)?, "evidence root")?,
            };
            if let Some(source) = sources.get_mut(&segment) {
                source.evidence.insert(evidence);
            }
        }
    }
    let mut held = BTreeMap::new();
    let mut stmt = conn.prepare(
        "SELECT position, src, seq, asset, epoch, recipient, amount, part FROM held ORDER BY position",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        held.insert(uint(r.get(0)?), read_credit(r, 1)?);
    }
    let accepted: BTreeMap<ItemKind, u64> = from_json(&accepted, "accepted counts")?;
    let state = GateState {
        config,
        epoch,
        epoch_time,
        sources,
        credited_exits: credited,
        held,
        next_held,
        inbound,
        local_tripped,
        local_round,
        local_votes: from_json(&local_votes, "local votes")?,
        accepted,
        flows,
    };
    Ok((state, position))
}

/// Every flow (a few rows per segment and asset, whatever the history).
fn read_flows(conn: &Connection) -> Result<BTreeMap<SegmentAsset, Flow>, NodeError> {
    let mut flows = BTreeMap::new();
    let mut stmt =
        conn.prepare("SELECT segment, asset, inflow, imported, deposited, withdrawn FROM flows")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key = SegmentAsset {
            segment: uint(r.get(0)?),
            asset: uint(r.get(1)?),
        };
        let sum = |i: usize| -> Result<Option<u128>, NodeError> {
            Ok(r.get::<_, String>(i)?.parse().ok())
        };
        let flow = match (sum(2)?, sum(3)?, sum(4)?, sum(5)?) {
            (Some(inflow), Some(imported), Some(deposited), Some(withdrawn))
                if imported <= inflow =>
            {
                Flow {
                    inflow,
                    imported,
                    deposited,
                    withdrawn,
                }
            }
            _ => {
                return Err(CorruptError::Flow {
                    segment: key.segment,
                    asset: key.asset,
                }
                .into())
            }
        };
        flows.insert(key, flow);
    }
    Ok(flows)
}
