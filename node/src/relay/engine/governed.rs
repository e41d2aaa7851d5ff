//! Following the governance of the segment's boundary (rule G8): a cap
//! lowered, collateral withdrawn or deposited, a lane removed, a cap
//! raised or a lane added once its timelock is over, the automatic rule
//! halving a cap. Every gate applies
//! it to its mirror; the relayer reads the mirror's silos from its
//! watcher and, when they are all that moved (the accounts and the exit
//! sequence are its confirmed state's, or the tip is a live batch's
//! post-exit root its validators attested), takes them as its own once
//! the stream has judged its published batches. Its live batches are
//! planned again in place, on the new boundary, with the same exits in
//! the same order (so a batch whose post-exit root the validators already
//! attested still takes that step); a queued exit that no longer fits is
//! refused with its reason. Where a batch no longer plans (a cap cut below
//! it), every batch goes back to the queue and each exit is admitted
//! again. Nothing waits for a state feed.

use bulkhead_protocol::model::SegmentState;
use bulkhead_protocol::snapshot::Snapshot;

use super::requeue::readmit;
use super::{plan_admitted, BatchStatus, Engine, StreamView};
use crate::error::NodeError;

impl Engine {
    /// The confirmed state with the stream's silos, when governance of the
    /// boundary is all that moved: the stream's accounts tip and exit
    /// sequence are the relayer's confirmed ones, its boundary root is
    /// another, and the mirror's silos and governed lanes on the confirmed
    /// state make it.
    pub(super) fn governed_state(&self, view: &StreamView) -> Option<SegmentState> {
        if view.boundary_silos.is_empty() || view.boundary == self.base.boundary_root() {
            return None;
        }
        let (tip, attested) = view.tip?;
        let attested_step = attested
            && self
                .live
                .iter()
                .any(|b| b.planned.outcome.instance.accounts_after == tip);
        if (tip != self.base.accounts_root() && !attested_step)
            || view.next_seq != self.base.exit_seq()
        {
            return None;
        }
        let mut state = self.base.clone();
        for (silo, _) in view.boundary_silos.values() {
            state.set_silo(*silo).ok()?;
        }
        // Emptied positions first: a lane removed from one position and
        // added at another must be gone from the first before it lands.
        let (emptied, filled): (Vec<_>, Vec<_>) = view
            .governed_lanes
            .iter()
            .partition(|(_, lane)| lane.is_none());
        for (position, lane) in emptied.into_iter().chain(filled) {
            state.set_lane_at(*position, *lane).ok()?;
        }
        (state.boundary_root() == view.boundary).then_some(state)
    }

    /// Takes the stream's governed boundary as the confirmed state, once
    /// the stream has judged every published batch (they were proven on
    /// the old boundary). Whether governance moved the boundary (the
    /// caller reconciles nothing else then).
    pub(super) fn follow_governance(&mut self, view: &StreamView) -> Result<bool, NodeError> {
        let Some(state) = self.governed_state(view) else {
            return Ok(false);
        };
        let judged = self.import_judged(view)
            && self.live.iter().all(|b| {
                b.row.status != BatchStatus::Published
                    || b.row.position.is_some_and(|p| p <= view.position)
            });
        if judged && !self.replan_in_place(&state)? {
            let reason = "the segment's boundary changed (governance): planned again on it";
            tracing::warn!(reason, "relayer follows its segment's governance");
            self.requeue_on(
                reason,
                Some("the segment's boundary changed under it: sign it again on the new tip"),
                Some(state),
            )?;
        }
        Ok(true)
    }

    /// Plans every live batch again on `base`, same exits, same order, and
    /// admits the queue on the result, in one transaction. `false` (nothing
    /// changed) when a batch no longer plans or an import is open (it was
    /// signed on the old boundary).
    fn replan_in_place(&mut self, base: &SegmentState) -> Result<bool, NodeError> {
        if self.import.is_some() {
            return Ok(false);
        }
        let mut tip = base.clone();
        let mut planned = Vec::with_capacity(self.live.len());
        for batch in &self.live {
            match plan_admitted(
                &mut tip,
                self.stream_id,
                batch.row.lane(),
                batch.row.epoch,
                &batch.exits,
                &self.shape,
            ) {
                Ok(p) => planned.push(p),
                Err(_) => return Ok(false),
            }
        }
        let (pending, queue, refused) = readmit(&tip, self.queue.clone());
        let refused: Vec<(u64, String)> = refused
            .into_iter()
            .map(|(id, why)| {
                (
                    id,
                    format!("the segment's boundary changed (governance): {why}"),
                )
            })
            .collect();
        let ids: Vec<u64> = self.live.iter().map(|b| b.row.id).collect();
        self.store
            .replan(&ids, &refused, &Snapshot::from_state(base, self.shape))?;
        tracing::warn!(
            batches = ids.len(),
            refused = refused.len(),
            "the segment's boundary changed (governance): live batches planned again on it"
        );
        for (batch, planned) in self.live.iter_mut().zip(planned) {
            batch.planned = planned;
            batch.row.status = BatchStatus::Planned;
            batch.row.bundle = None;
            batch.row.position = None;
            batch.proving = false;
        }
        self.base = base.clone();
        self.tip = tip;
        self.queue = queue;
        self.pending = pending;
        self.waiting.clear();
        Ok(true)
    }

    /// The effective cap of `asset` on the stream (the automatic rule may
    /// have halved it), if the view follows the mirror.
    pub(super) fn effective_cap(&self, view: &StreamView, asset: u64) -> Option<u64> {
        view.boundary_silos.get(&asset).map(|(_, cap)| *cap)
    }
}
