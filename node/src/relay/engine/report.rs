//! Where an exit is, and the relayer's state, as JSON (integers as
//! decimal strings).

use serde_json::{json, Value};

use super::{BatchStatus, Engine, StreamView};
use crate::error::{CorruptError, NodeError};
use crate::relay::store::StoredExit;

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

impl Engine {
    /// Where exit `id` is, as JSON (integers as decimal strings), or
    /// `None` if there is no such exit.
    pub fn exit_status(&self, id: u64) -> Result<Option<Value>, NodeError> {
        self.store
            .exit(id)?
            .map(|exit| self.exit_view(&exit))
            .transpose()
    }

    /// Where the exit spending `nonce` of `account` is, as
    /// [`Engine::exit_status`] says it, or `None` if the relayer accepted
    /// none: how a client that lost its receipt finds its exit.
    pub fn exit_at_nonce(&self, account: u64, nonce: u64) -> Result<Option<Value>, NodeError> {
        self.store
            .exit_at_nonce(account, nonce)?
            .map(|exit| self.exit_view(&exit))
            .transpose()
    }

    /// Where a stored exit is.
    pub(super) fn stage(&self, exit: &StoredExit) -> Result<ExitStage, NodeError> {
        let Some((batch, _)) = exit.batch else {
            return Ok(ExitStage::Queued);
        };
        self.store
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

    fn exit_view(&self, exit: &StoredExit) -> Result<Value, NodeError> {
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
        match exit.batch {
            None => {
                answer["status"] = json!(ExitStage::Queued.as_str());
                if let Some(why) = self.waiting.get(&request.lane()) {
                    answer["waiting"] = json!(why.to_string());
                }
            }
            Some((batch, slot)) => {
                let row = self
                    .store
                    .batch(batch)?
                    .ok_or_else(|| CorruptError::MissingBatch {
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
    pub fn status(&self, view: &StreamView) -> Result<Value, NodeError> {
        let counts: serde_json::Map<String, Value> = self
            .store
            .batch_counts()?
            .into_iter()
            .map(|(status, n)| (status, json!(n.to_string())))
            .collect();
        let waiting: Vec<Value> = self
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
        Ok(json!({
            "segment": self.segment().to_string(),
            "queued": self.queue.len().to_string(),
            "accepted_exits": self.store.exit_count()?.to_string(),
            "batches": counts,
            "confirmed_seq": self.base.exit_seq().to_string(),
            "planned_seq": self.tip.exit_seq().to_string(),
            "stream": {
                "position": view.position.to_string(),
                "epoch": view.epoch.to_string(),
                "next_seq": view.next_seq.to_string(),
                "quarantined": view.quarantined,
            },
            "waiting": waiting,
            // Why the relayer stopped, for its operator; null while it runs.
            "halted": self.halted().map(ToString::to_string),
        }))
    }
}
