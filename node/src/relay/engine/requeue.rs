//! Putting every live batch back in the queue, in one transaction: after
//! a stale epoch, a segment that moved under the relayer, an import the
//! stream refused, or a boundary its governance changed.

use bulkhead_protocol::model::{PendingExits, SegmentState};
use bulkhead_protocol::snapshot::Snapshot;

use super::Engine;
use crate::error::{CorruptError, NodeError};
use crate::relay::store::{Requeue, StoredExit};

/// Re-admits `exits` (queue order) on `state`: those that still fit, in
/// order, with their overlay, and each one that does not with its reason.
pub(super) fn readmit(
    state: &SegmentState,
    exits: Vec<StoredExit>,
) -> (PendingExits, Vec<StoredExit>, Vec<(u64, String)>) {
    let mut pending = PendingExits::new();
    let mut queue = Vec::new();
    let mut refused = Vec::new();
    for exit in exits {
        match pending.admit(state, exit.request.intent()) {
            Ok(admission) if admission.before.nonce == exit.nonce => {
                pending.push(&admission);
                queue.push(exit);
            }
            Ok(admission) => refused.push((
                exit.id,
                format!(
                    "signed at nonce {}, but the account's next nonce is now {}",
                    exit.nonce, admission.before.nonce
                ),
            )),
            Err(why) => refused.push((exit.id, why.to_string())),
        }
    }
    (pending, queue, refused)
}

impl Engine {
    /// Supersedes every live batch and queues their exits again, in
    /// order, on the confirmed state or, when the open import goes next
    /// and is not `dropping`, on the state it credits. An import whose
    /// parent can no longer be the tip is dropped (with `dropping`, or
    /// because the batches before it were superseded), and an exit that
    /// then no longer fits is refused with its reason. One transaction.
    pub(super) fn requeue_all(
        &mut self,
        reason: &str,
        dropping: Option<&str>,
    ) -> Result<(), NodeError> {
        self.requeue_on(reason, dropping, None)
    }

    /// [`Engine::requeue_all`] onto `new_base`, if given: the confirmed
    /// state the stream's governance left (its silos changed, rule G8).
    /// The open import, signed on the old boundary, is dropped, and every
    /// exit is admitted again on the new state, each one that no longer
    /// fits refused with its reason; the new base is stored in the same
    /// transaction.
    pub(super) fn requeue_on(
        &mut self,
        reason: &str,
        dropping: Option<&str>,
        new_base: Option<SegmentState>,
    ) -> Result<(), NodeError> {
        let ids: Vec<u64> = self.live.iter().map(|b| b.row.id).collect();
        let keeps = dropping.is_none()
            && new_base.is_none()
            && self.import.as_ref().is_some_and(|i| {
                i.after_seq == self.base.exit_seq() && i.item.parent == self.base.accounts_root()
            });
        let dropped = if keeps {
            None
        } else {
            self.import.as_ref().map(|i| i.id)
        };
        let tip = match (&self.import, keeps, &new_base) {
            (Some(import), true, _) => import.state.clone(),
            (_, _, Some(base)) => base.clone(),
            _ => self.base.clone(),
        };
        let mut exits: Vec<StoredExit> = self
            .live
            .iter()
            .flat_map(|b| b.exits.iter().cloned())
            .chain(self.queue.iter().cloned())
            .map(|mut e| {
                e.batch = None;
                e
            })
            .collect();
        exits.sort_by_key(|e| e.id);
        let why = match (&new_base, dropped) {
            (Some(_), _) => Some("the segment's boundary changed (governance)"),
            (None, Some(_)) => Some("the import it relied on was dropped"),
            (None, None) => None,
        };
        let (pending, queue, refused) = if let Some(cause) = why {
            let (pending, queue, refused) = readmit(&tip, exits);
            let refused: Vec<(u64, String)> = refused
                .into_iter()
                .map(|(id, why)| (id, format!("{cause}: {why}")))
                .collect();
            (pending, queue, refused)
        } else {
            let pending =
                PendingExits::rebuild(&tip, exits.iter().map(|e| (e.request.intent(), e.nonce)))
                    .map_err(CorruptError::QueueStale)?;
            (pending, exits, Vec::new())
        };
        let import_note = dropping.unwrap_or(
            "the batches before it were superseded or the segment moved: sign it again on the \
             relayer's new tip",
        );
        let snapshot = new_base
            .as_ref()
            .map(|base| Snapshot::from_state(base, self.shape));
        self.store.requeue(&Requeue {
            superseded: &ids,
            note: reason,
            refused: &refused,
            dropped_import: dropped.map(|id| (id, import_note)),
            base: snapshot.as_ref(),
        })?;
        if !ids.is_empty() {
            tracing::warn!(batches = ids.len(), %reason, "batches superseded; their exits are queued again");
        }
        if let Some(id) = dropped {
            tracing::warn!(
                import = id,
                reason = import_note,
                refused = refused.len(),
                "import dropped"
            );
            self.import = None;
        }
        if let Some(base) = new_base {
            self.base = base;
        }
        self.live.clear();
        self.queue = queue;
        self.tip = tip;
        self.pending = pending;
        self.waiting.clear();
        Ok(())
    }
}
