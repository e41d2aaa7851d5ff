//! Following the governance of the segment's boundary (rule G8): a cap
//! lowered, collateral withdrawn or deposited, a cap raised once its
//! timelock is over, the automatic rule halving a cap. Every gate applies
//! it to its mirror; the relayer reads the mirror's silos from its
//! watcher and, when they are all that moved (the accounts and the exit
//! sequence are its confirmed state's), takes them as its own: its
//! batches planned on the old boundary go back to the queue once the
//! stream has judged the published ones, every exit is admitted again on
//! the new boundary, and one that no longer fits is refused with its
//! reason, never silently dropped. Nothing waits for a state feed.

use bulkhead_protocol::model::SegmentState;

use super::{BatchStatus, Engine, StreamView};
use crate::error::NodeError;

impl Engine {
    /// The confirmed state with the stream's silos, when governance of the
    /// boundary is all that moved: the stream's accounts tip and exit
    /// sequence are the relayer's confirmed ones, its boundary root is
    /// another, and the mirror's silos on the confirmed state make it.
    pub(super) fn governed_state(&self, view: &StreamView) -> Option<SegmentState> {
        if view.boundary_silos.is_empty() || view.boundary == self.base.boundary_root() {
            return None;
        }
        let (tip, _) = view.tip?;
        if tip != self.base.accounts_root() || view.next_seq != self.base.exit_seq() {
            return None;
        }
        let mut state = self.base.clone();
        for (silo, _) in view.boundary_silos.values() {
            state.set_silo(*silo).ok()?;
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
        if judged {
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

    /// The effective cap of `asset` on the stream (the automatic rule may
    /// have halved it), if the view follows the mirror.
    pub(super) fn effective_cap(&self, view: &StreamView, asset: u64) -> Option<u64> {
        view.boundary_silos.get(&asset).map(|(_, cap)| *cap)
    }
}
