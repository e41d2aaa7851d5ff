//! Batch formation: which queued exits form a batch on a lane now (full,
//! or past the deadline), cut to what the silo's collateral and epoch cap
//! allow, and planning it through the native model.

use bulkhead_protocol::model::{Lane, SiloRefusal};

use super::*;

impl Engine {
    /// Forms every batch that is due at `epoch`: per lane, the queued
    /// exits whose accounts have no earlier exit waiting on another lane
    /// (an account's nonces are spent in order, across lanes), a full
    /// batch or, past the deadline, what there is, cut to what the
    /// silo's collateral and epoch cap allow (and the effective cap, when
    /// the automatic rule halved it). Nothing is formed while the stream
    /// quarantines the segment, the relayer is halted, it waits for its
    /// segment's state ([`Engine::behind`]), or governance changed the
    /// boundary and the relayer has not taken it yet. Returns the batches
    /// formed.
    pub fn form_batches(&mut self, view: &StreamView, now: u64) -> Result<usize, NodeError> {
        if self.halted.is_some()
            || self.behind.is_some()
            || view.quarantined
            || self.governed_state(view).is_some()
        {
            return Ok(0);
        }
        let slots = self.shape.slots();
        let deadline = self.policy.deadline.as_millis() as u64;
        let mut formed = 0;
        // A partial batch costs a whole proof: it is formed only when the
        // prover would otherwise have nothing to do. While batches wait for
        // their proofs, a lane past its deadline keeps filling: it could
        // not be proven sooner, and a fuller batch costs the same proof.
        let mut prover_idle = !self
            .live
            .iter()
            .any(|b| b.row.status == BatchStatus::Planned);
        self.waiting.clear();
        'again: loop {
            let mut lanes: Vec<Lane> = Vec::new();
            for exit in &self.queue {
                let lane = exit.request.lane();
                if !lanes.contains(&lane) {
                    lanes.push(lane);
                }
            }
            for lane in lanes {
                if self.waiting.contains_key(&lane) {
                    continue;
                }
                let eligible = self.eligible(lane, slots);
                let waited = eligible
                    .first()
                    .is_some_and(|e| now.saturating_sub(e.received_ms) >= deadline);
                let due = eligible.len() >= slots || (waited && prover_idle);
                if !due {
                    continue;
                }
                let room = self.room(lane.asset, view.epoch).map(|room| {
                    // The automatic rule's halving (rule G8), which the
                    // circuit does not know of but every gate enforces.
                    match self.effective_cap(view, lane.asset) {
                        Some(cap) => room.min(self.effective_room(lane.asset, view.epoch, cap)),
                        None => room,
                    }
                });
                let take = match room {
                    Ok(room) => {
                        let mut total = 0u64;
                        eligible
                            .iter()
                            .take_while(|e| match total.checked_add(e.request.amount) {
                                Some(t) if t <= room => {
                                    total = t;
                                    true
                                }
                                _ => false,
                            })
                            .count()
                    }
                    Err(why) => {
                        self.waiting.insert(lane, why);
                        continue;
                    }
                };
                if take == 0 {
                    self.waiting
                        .insert(lane, LaneWait::DoesNotFit { epoch: view.epoch });
                    continue;
                }
                let exits: Vec<StoredExit> = eligible[..take].to_vec();
                self.plan(lane, view.epoch, exits)?;
                if self.halted.is_some() {
                    return Ok(formed);
                }
                formed += 1;
                prover_idle = false;
                continue 'again;
            }
            return Ok(formed);
        }
    }

    /// The queued exits of `lane` that may go next, in order, at most
    /// `slots`.
    fn eligible(&self, lane: Lane, slots: usize) -> Vec<StoredExit> {
        let mut blocked: Vec<u64> = Vec::new();
        let mut eligible = Vec::new();
        for exit in &self.queue {
            if eligible.len() == slots {
                break;
            }
            let account = exit.request.account;
            let on_lane = exit.request.lane() == lane;
            if on_lane && !blocked.contains(&account) {
                eligible.push(exit.clone());
            } else if !blocked.contains(&account) {
                blocked.push(account);
            }
        }
        eligible
    }

    /// What may still leave in `asset` at `epoch`: the model's own
    /// window rule ([`bulkhead_protocol::model::Silo::room`]).
    fn room(&self, asset: u64, epoch: u64) -> Result<u64, LaneWait> {
        let silo = self.tip.silo(asset).ok_or(LaneWait::NoSilo { asset })?;
        silo.room(epoch).map_err(|refusal| match refusal {
            SiloRefusal::EpochBackwards { window_epoch } => LaneWait::BeforeWindow {
                epoch,
                window: window_epoch,
            },
            // `room` refuses only an epoch before the window.
            SiloRefusal::CollateralExhausted { .. } | SiloRefusal::CapExceeded { .. } => {
                LaneWait::DoesNotFit { epoch }
            }
        })
    }

    /// What may still leave in `asset` at `epoch` under an effective cap
    /// of `cap`: the cap less the window's outflow at that epoch.
    fn effective_room(&self, asset: u64, epoch: u64, cap: u64) -> u64 {
        let outflow = self
            .tip
            .silo(asset)
            .filter(|silo| silo.window_epoch == epoch)
            .map_or(0, |silo| silo.window_outflow);
        cap.saturating_sub(outflow)
    }

    /// Plans `exits` as one batch at `epoch` and records it: the batch
    /// row and its exits in one transaction, then memory.
    fn plan(&mut self, lane: Lane, epoch: u64, exits: Vec<StoredExit>) -> Result<(), NodeError> {
        let mut next = self.tip.clone();
        let planned =
            match plan_admitted(&mut next, self.stream_id, lane, epoch, &exits, &self.shape) {
                Ok(planned) => planned,
                Err(e) => {
                    // The queue was checked against this state at the door;
                    // a refusal now means the state is not what it was then.
                    self.halt(HaltReason::NoLongerPlans(Arc::new(e)));
                    return Ok(());
                }
            };
        let ids: Vec<u64> = exits.iter().map(|e| e.id).collect();
        let first_seq = planned.outcome.instance.first_seq;
        let id = self
            .store
            .record_batch(lane.dst, lane.asset, epoch, first_seq, &ids)?;
        self.tip = next;
        self.queue.retain(|e| !ids.contains(&e.id));
        // The batched exits moved from the queue into the tip: the overlay
        // of what is left, on the new tip.
        self.recompute_pending()?;
        let row = BatchRow {
            id,
            dst: lane.dst,
            asset: lane.asset,
            epoch,
            first_seq,
            count: exits.len(),
            status: BatchStatus::Planned,
            bundle: None,
            position: None,
            note: None,
        };
        tracing::info!(
            batch = id,
            first_seq,
            exits = exits.len(),
            epoch,
            "batch planned"
        );
        self.live.push(LiveBatch {
            row,
            planned,
            exits: exits
                .into_iter()
                .enumerate()
                .map(|(slot, mut e)| {
                    e.batch = Some((id, slot));
                    e
                })
                .collect(),
            proving: false,
        });
        Ok(())
    }
}
