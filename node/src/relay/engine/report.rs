//! Where an exit is, and the relayer's state, as JSON (integers as
//! decimal strings).

use std::collections::BTreeMap;

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::hex::fp_to_hex;
use bulkhead_protocol::model::Lane;
use serde_json::{json, Value};

use super::{BatchStatus, Engine, HaltReason, LaneWait, StreamView};
use crate::error::{CorruptError, NodeError};
use crate::relay::store::{RelayStore, StoredExit};

/// Where an accepted exit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStage {
    /// Waiting for a batch.
    Queued,
    /// In a batch, which is where its status says.
    Batched(BatchStatus),
}

impl ExitStage {
    /// The word reported as an exit's `status`: `queued`, `in_batch`
    /// (planned, its proof not made yet), `proven`, `published` or
    /// `confirmed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExitStage::Queued => "queued",
            ExitStage::Batched(BatchStatus::Planned) => "in_batch",
            ExitStage::Batched(status) => status.as_str(),
        }
    }
}

/// What the engine last said of itself: what a read needs besides the
/// store. The engine's thread publishes one after every change
/// ([`crate::relay::reader::RelayReader`]), so reads never wait for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineSnapshot {
    /// The segment relayed.
    pub segment: u64,
    /// Exits waiting for a batch.
    pub queued: usize,
    /// Batches planned, proven or published, not yet confirmed.
    pub live: usize,
    /// The sequence number after the last confirmed exit.
    pub confirmed_seq: u64,
    /// The sequence number after the last planned exit.
    pub planned_seq: u64,
    /// Why the head of a lane's queue waits, where it does.
    pub waiting: BTreeMap<Lane, LaneWait>,
    /// Why the relayer stopped, if it did.
    pub halted: Option<HaltReason>,
    /// Why the relayer waits for its segment's state, if it does.
    pub behind: Option<String>,
    /// The stream as the engine last reconciled with it.
    pub view: StreamView,
    /// The open import: its id, and the sequence number it goes after.
    pub import: Option<(u64, u64)>,
    /// Where the segment's validators sign their next import: the
    /// relayer's tip and, when known, its height ([`Engine::import_point`]).
    pub import_point: (Fp, Option<u64>),
}

impl Engine {
    /// What the engine says of itself, with the stream as `view`.
    pub fn snapshot(&self, view: &StreamView) -> EngineSnapshot {
        EngineSnapshot {
            segment: self.segment(),
            queued: self.queue.len(),
            live: self.live.len(),
            confirmed_seq: self.base.exit_seq(),
            planned_seq: self.tip.exit_seq(),
            waiting: self.waiting.clone(),
            halted: self.halted().cloned(),
            behind: self.behind.clone(),
            view: view.clone(),
            import: self.import.as_ref().map(|i| (i.id, i.after_seq)),
            import_point: self.import_point(view),
        }
    }

    /// Where exit `id` is, as JSON (integers as decimal strings), or
    /// `None` if there is no such exit ([`exit_status`] on the engine's
    /// own connection).
    pub fn exit_status(&self, id: u64) -> Result<Option<Value>, NodeError> {
        exit_status(&self.store, &self.snapshot(&StreamView::default()), id)
    }

    /// The relayer's state as JSON, with the stream as `view` ([`status`]
    /// on the engine's own connection).
    pub fn status(&self, view: &StreamView) -> Result<Value, NodeError> {
        status(&self.store, &self.snapshot(view))
    }

    /// Where a stored exit is.
    pub(super) fn stage(&self, exit: &StoredExit) -> Result<ExitStage, NodeError> {
        stage(&self.store, exit)
    }
}

/// Where exit `id` is, as JSON (integers as decimal strings), or `None`
/// if there is no such exit.
pub fn exit_status(
    store: &RelayStore,
    engine: &EngineSnapshot,
    id: u64,
) -> Result<Option<Value>, NodeError> {
    store
        .exit(id)?
        .map(|exit| exit_view(store, engine, &exit))
        .transpose()
}

/// Where the exit spending `nonce` of `account` is, as [`exit_status`]
/// says it, or `None` if the relayer accepted none: how a client that lost
/// its receipt finds its exit.
pub fn exit_at_nonce(
    store: &RelayStore,
    engine: &EngineSnapshot,
    account: u64,
    nonce: u64,
) -> Result<Option<Value>, NodeError> {
    store
        .exit_at_nonce(account, nonce)?
        .map(|exit| exit_view(store, engine, &exit))
        .transpose()
}

/// Where a stored exit is.
fn stage(store: &RelayStore, exit: &StoredExit) -> Result<ExitStage, NodeError> {
    let Some((batch, _)) = exit.batch else {
        return Ok(ExitStage::Queued);
    };
    store
        .batch_status(batch)?
        .map(ExitStage::Batched)
        .ok_or_else(|| {
            CorruptError::MissingBatch {
                exit: exit.id,
                batch,
            }
            .into()
        })
}

fn exit_view(
    store: &RelayStore,
    engine: &EngineSnapshot,
    exit: &StoredExit,
) -> Result<Value, NodeError> {
    let request = &exit.request;
    let mut answer = json!({
        "id": exit.id.to_string(),
        "account": request.account.to_string(),
        "nonce": exit.nonce.to_string(),
        "dst": request.dst.to_string(),
        "asset": request.asset.to_string(),
        "amount": request.amount.to_string(),
        "recipient": bulkhead_protocol::hex::fp_to_hex(&request.recipient),
    });
    if let Some(reason) = store.refusal(exit.id)? {
        // Refused after acceptance, when the relayer rebased on its
        // segment's new state: the exit will never go.
        answer["status"] = json!("refused");
        answer["reason"] = json!(reason);
        return Ok(answer);
    }
    match exit.batch {
        None => {
            answer["status"] = json!(ExitStage::Queued.as_str());
            if let Some(why) = engine.waiting.get(&request.lane()) {
                answer["waiting"] = json!(why.to_string());
            }
        }
        Some((batch, slot)) => {
            let row = store.batch(batch)?.ok_or(CorruptError::MissingBatch {
                exit: exit.id,
                batch,
            })?;
            answer["status"] = json!(ExitStage::Batched(row.status).as_str());
            answer["batch"] = json!({
                "id": row.id.to_string(),
                "epoch": row.epoch.to_string(),
                "first_seq": row.first_seq.to_string(),
                "exits": row.count.to_string(),
                "status": row.status.as_str(),
            });
            answer["seq"] = json!((row.first_seq + slot as u64).to_string());
            if let Some(bundle) = &row.bundle {
                answer["bundle"] = json!(bundle.display().to_string());
            }
            if let Some(position) = row.position {
                answer["position"] = json!(position.to_string());
            }
        }
    }
    Ok(answer)
}

/// The relayer's state as JSON.
pub fn status(store: &RelayStore, engine: &EngineSnapshot) -> Result<Value, NodeError> {
    let counts: serde_json::Map<String, Value> = store
        .batch_counts()?
        .into_iter()
        .map(|(status, n)| (status, json!(n.to_string())))
        .collect();
    let waiting: Vec<Value> = engine
        .waiting
        .iter()
        .map(|(lane, why)| {
            json!({
                "dst": lane.dst.to_string(),
                "asset": lane.asset.to_string(),
                "why": why.to_string(),
            })
        })
        .collect();
    let view = &engine.view;
    Ok(json!({
        "segment": engine.segment.to_string(),
        "queued": engine.queued.to_string(),
        "accepted_exits": store.exit_count()?.to_string(),
        "batches": counts,
        "confirmed_seq": engine.confirmed_seq.to_string(),
        "planned_seq": engine.planned_seq.to_string(),
        "stream": {
            "position": view.position.to_string(),
            "epoch": view.epoch.to_string(),
            "next_seq": view.next_seq.to_string(),
            "quarantined": view.quarantined,
        },
        "waiting": waiting,
        // Why the relayer stopped, for its operator; null while it runs.
        "halted": engine.halted.as_ref().map(ToString::to_string),
        // Why it waits for its segment's state (POST /v1/state); null
        // while it follows.
        "behind": engine.behind,
        // The import waiting to be published or to land, if any.
        "import": engine.import.map(|(id, after_seq)| json!({
            "id": id.to_string(),
            "after_seq": after_seq.to_string(),
        })),
        // Where the segment's validators sign their next import
        // (POST /v1/imports): the relayer's tip, and its height when known.
        "sign_imports_on": {
            "parent": fp_to_hex(&engine.import_point.0),
            "height": engine.import_point.1.map(|h| h.to_string()),
        },
    }))
}

/// Where import `id` is, as JSON (integers as decimal strings), or `None`
/// if there is no such import.
pub fn import_status(store: &RelayStore, id: u64) -> Result<Option<Value>, NodeError> {
    Ok(store.import(id)?.map(|row| {
        json!({
            "id": row.id.to_string(),
            "status": row.status,
            "after_seq": row.after_seq.to_string(),
            "height": row.item.height.to_string(),
            "asset": row.item.asset.to_string(),
            "amount": row.item.amount.to_string(),
            "root": fp_to_hex(&row.item.root),
            "position": row.position.map(|p| p.to_string()),
            "reason": row.note,
        })
    }))
}
