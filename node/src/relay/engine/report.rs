//! Where an exit is, and the relayer's state, as JSON (integers as
//! decimal strings).

use bulkhead_protocol::model::Lane;
use serde_json::{json, Value};

use super::{BatchStatus, Engine, StreamView};
use crate::error::NodeError;

impl Engine {
    /// Where exit `id` is, as JSON (integers as decimal strings), or
    /// `None` if there is no such exit.
    pub fn exit_status(&self, id: u64) -> Result<Option<Value>, NodeError> {
        let Some(exit) = self.store.exit(id)? else {
            return Ok(None);
        };
        let mut answer = json!({
            "id": exit.id.to_string(),
            "account": exit.account.to_string(),
            "nonce": exit.nonce.to_string(),
            "dst": exit.dst.to_string(),
            "asset": exit.asset.to_string(),
            "amount": exit.amount.to_string(),
            "recipient": bulkhead_protocol::hex::fp_to_hex(&exit.recipient),
        });
        match exit.batch {
            None => {
                answer["status"] = json!("queued");
                let lane = Lane {
                    dst: exit.dst,
                    asset: exit.asset,
                };
                if let Some(why) = self.waiting.get(&lane) {
                    answer["waiting"] = json!(why);
                }
            }
            Some((batch, slot)) => {
                let row = self
                    .store
                    .batch(batch)?
                    .ok_or_else(|| NodeError::Corrupt(format!("exit {id}: no batch {batch}")))?;
                let status = match row.status {
                    BatchStatus::Planned => "in_batch",
                    other => other.as_str(),
                };
                answer["status"] = json!(status);
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
        Ok(Some(answer))
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
                json!({"dst": lane.dst.to_string(), "asset": lane.asset.to_string(), "why": why})
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
            "halted": self.halted,
        }))
    }
}
