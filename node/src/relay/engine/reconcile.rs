//! What the stream made of the relayer's batches: confirmation,
//! quarantine, staleness (see [`Engine::reconcile`]).

use bulkhead_protocol::snapshot::Snapshot;

use super::{BatchStatus, Engine, HaltReason, Reconciled, StreamView};
use crate::error::{CorruptError, NodeError};

impl Engine {
    /// Brings the engine in line with the stream, as the watcher sees it
    /// right after one entry (so the view is the stream's state at that
    /// entry; see [`super::watch`]).
    ///
    /// Live batches whose sequence range the stream's chain has passed are
    /// confirmed and folded into the base, once the chain's boundary root
    /// is checked to be the relayer's. If the watcher has read past the
    /// first unconfirmed batch's bundle without taking it:
    /// - under quarantine, the batch and every later published one are set
    ///   back to proven, to be published again after the release (a
    ///   refused bundle stays valid);
    /// - if its epoch is over (stale), every live batch is superseded
    ///   (later ones chain on it) and their exits queued again, in order,
    ///   to be planned for the current epoch; no copy can be taken any
    ///   more: one that went out before the tick was read before it, one
    ///   after it is stale too. The same for an unpublished batch whose
    ///   epoch is over;
    /// - any other refusal halts the relayer: planning again would only
    ///   be refused again.
    ///
    /// The open import is followed too ([`Engine::follow_import`]): folded
    /// into the confirmed state once the chain holds it, dropped when the
    /// stream refused it or the segment moved under it.
    pub fn reconcile(&mut self, view: &StreamView) -> Result<Reconciled, NodeError> {
        let mut done = Reconciled::default();
        let passed = self
            .live
            .iter()
            .take_while(|b| b.end_seq() <= view.next_seq)
            .count();
        if passed > 0 {
            let last = &self.live[passed - 1];
            // The chain stops exactly after one of ours, with its boundary
            // root, or this segment's chain is not the relayer's.
            let ours = view.next_seq == last.end_seq()
                && view.boundary == last.planned.outcome.instance.boundary_after;
            if !ours {
                self.halt(HaltReason::OtherChain {
                    segment: self.segment(),
                    next_seq: view.next_seq,
                });
                return Ok(done);
            }
            let mut base = self.base.clone();
            for batch in &self.live[..passed] {
                base.apply_exits(&batch.planned_request(), &self.shape)
                    .map_err(CorruptError::ConfirmedReplay)?;
            }
            let ids: Vec<u64> = self.live[..passed].iter().map(|b| b.row.id).collect();
            self.store
                .confirm(&ids, &Snapshot::from_state(&base, self.shape))?;
            let exits = self.live[..passed].iter().map(|b| b.row.count).sum();
            self.base = base;
            self.live.drain(..passed);
            done.confirmed = (passed, exits);
        }
        self.follow_import(view)?;
        if self.behind.is_none() && self.follow_governance(view)? {
            return Ok(done);
        }
        if self.behind.is_none() && self.segment_moved(view) {
            let reason = "the stream's chain for the segment moved where none of the relayer's \
                          batches took it (an import, or an attested root of its own \
                          execution): waiting for its state (POST /v1/state)"
                .to_owned();
            tracing::warn!(%reason, "relayer behind its segment");
            self.behind = Some(reason);
        }
        if self.behind.is_some() {
            // Batches planned on the old state would only be refused: they
            // go back to the queue; published ones once the stream has
            // judged them (a rebase waits for that).
            let judged = self.import_judged(view)
                && self.live.iter().all(|b| {
                    b.row.status != BatchStatus::Published
                        || b.row.position.is_some_and(|p| p <= view.position)
                });
            if judged && (!self.live.is_empty() || self.import.is_some()) {
                let reason = "the segment's state moved under the batch".to_owned();
                self.requeue_all(
                    &reason,
                    Some("the segment moved under it: sign it again on its new tip"),
                )?;
                done.superseded = Some(reason);
            }
            return Ok(done);
        }
        let Some(first) = self.live.first() else {
            return Ok(done);
        };
        let published = first.row.status == BatchStatus::Published;
        let refused = published && first.row.position.is_some_and(|p| p <= view.position);
        let stale = first.row.epoch < view.epoch;
        if refused && view.quarantined && !stale {
            let ids: Vec<u64> = self
                .live
                .iter()
                .filter(|b| b.row.status == BatchStatus::Published)
                .map(|b| b.row.id)
                .collect();
            self.store.unpublish(&ids)?;
            for batch in &mut self.live {
                if batch.row.status == BatchStatus::Published {
                    batch.row.status = BatchStatus::Proven;
                    batch.row.position = None;
                }
            }
            tracing::warn!(
                batches = ids.len(),
                "refused under quarantine; kept for the release"
            );
            return Ok(done);
        }
        if !(refused || (stale && !published)) {
            return Ok(done);
        }
        if !stale {
            self.halt(HaltReason::Refused {
                batch: first.row.id,
                first_seq: first.row.first_seq,
                position: first.row.position.unwrap_or(0),
            });
            return Ok(done);
        }
        let reason = format!(
            "stale: batch {} was proven for epoch {}, the stream is at epoch {}",
            first.row.id, first.row.epoch, view.epoch
        );
        self.requeue_all(&reason, None)?;
        done.superseded = Some(reason);
        Ok(done)
    }
}
