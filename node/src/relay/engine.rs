//! The relayer's engine: the exit queue, batch formation, and what the
//! stream made of each published batch. It owns the [`RelayStore`] and
//! keeps in memory exactly what the store implies (the confirmed state,
//! the live batches replayed on it, the queue), so every decision is made
//! on committed facts and a restart rebuilds the same engine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::hash::{self, Fp};
use bulkhead_protocol::model::{BatchOutcome, ExitRequest, Lane, SegmentState};
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{
    authorise_exit, plan_signed_run, ExitAuthorisation, PlannedBatch, SignedBatch,
    SignedExitRequest,
};
use serde_json::{json, Value};
use thiserror::Error;

use super::store::{now_ms, BatchRow, BatchStatus, RelayStore, StoredExit};
use crate::error::NodeError;

/// A signed exit request as a client submits it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitSubmission {
    /// Destination segment.
    #[serde(with = "crate::json::lenient_uint")]
    pub dst: u128,
    /// Asset.
    #[serde(with = "crate::json::lenient_uint")]
    pub asset: u128,
    /// Sending account's index.
    #[serde(with = "crate::json::lenient_uint")]
    pub account: u128,
    /// Recipient, a hex field element.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub recipient: Fp,
    /// Amount, 1 to 2^64 - 1.
    #[serde(with = "crate::json::lenient_uint")]
    pub amount: u128,
    /// The owner's Ed25519 public key, hex.
    #[serde(with = "bulkhead_protocol::hex::bytes")]
    pub public_key: [u8; 32],
    /// The owner's signature over (lane, account, nonce, recipient,
    /// amount), hex.
    #[serde(with = "bulkhead_protocol::hex::bytes")]
    pub signature: [u8; 64],
}

/// Why an exit request was refused at the door. Nothing is queued.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum IntakeRefusal {
    /// A number outside the u64 range.
    #[error("{field} = {value} does not fit in 64 bits")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value given.
        value: u128,
    },
    /// Zero is not an exit.
    #[error("the amount must be at least 1")]
    ZeroAmount,
    /// The segment has no such lane.
    #[error("this segment has no lane to segment {dst} for asset {asset}")]
    LaneNotAllowed {
        /// Destination.
        dst: u64,
        /// Asset.
        asset: u64,
    },
    /// No account at that index.
    #[error("no account {account} in this segment")]
    UnknownAccount {
        /// The index.
        account: u64,
    },
    /// The account holds another asset.
    #[error("account {account} holds asset {holds}, not asset {asked}")]
    WrongAsset {
        /// The index.
        account: u64,
        /// Its asset.
        holds: u64,
        /// The lane's asset.
        asked: u64,
    },
    /// More than the account will hold once its queued exits are paid.
    #[error("account {account} has {available} left after its queued exits; {amount} asked")]
    InsufficientBalance {
        /// The index.
        account: u64,
        /// Its balance after its queued exits.
        available: u64,
        /// The amount asked.
        amount: u64,
    },
    /// More than the asset's cap lets out in one epoch: it could never go.
    #[error(
        "{amount} is more than asset {asset}'s cap of {cap} per epoch: it could never be sent"
    )]
    OverCap {
        /// The asset.
        asset: u64,
        /// Its cap.
        cap: u64,
        /// The amount asked.
        amount: u64,
    },
    /// More than the silo's collateral left once the queued exits of the
    /// asset are paid.
    #[error(
        "asset {asset} has {available} of collateral left after the queued exits; {amount} asked"
    )]
    OverCollateral {
        /// The asset.
        asset: u64,
        /// Collateral left after the queued exits.
        available: u64,
        /// The amount asked.
        amount: u64,
    },
    /// The key or signature does not authorise this exit at the
    /// account's next nonce (a reused or skipped nonce is named).
    #[error("account {account}: {reason}")]
    Unauthorised {
        /// The index.
        account: u64,
        /// Why.
        reason: String,
    },
    /// The queue is full: try again later.
    #[error("the queue holds {queued} exits, its limit; try again later")]
    QueueFull {
        /// Exits queued.
        queued: usize,
    },
    /// The relayer stopped forming batches and needs its operator.
    #[error("the relayer is halted: {0}")]
    Halted(String),
}

impl IntakeRefusal {
    /// A short machine-readable label.
    pub fn label(&self) -> &'static str {
        match self {
            IntakeRefusal::OutOfRange { .. } => "out_of_range",
            IntakeRefusal::ZeroAmount => "zero_amount",
            IntakeRefusal::LaneNotAllowed { .. } => "lane_not_allowed",
            IntakeRefusal::UnknownAccount { .. } => "unknown_account",
            IntakeRefusal::WrongAsset { .. } => "wrong_asset",
            IntakeRefusal::InsufficientBalance { .. } => "insufficient_balance",
            IntakeRefusal::OverCap { .. } => "over_cap",
            IntakeRefusal::OverCollateral { .. } => "over_collateral",
            IntakeRefusal::Unauthorised { .. } => "unauthorised",
            IntakeRefusal::QueueFull { .. } => "queue_full",
            IntakeRefusal::Halted(_) => "halted",
        }
    }
}

/// An accepted request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// Queue id, for `GET /v1/exits/{id}`.
    pub id: u64,
    /// The account nonce the exit spends.
    pub nonce: u64,
}

/// How batches are formed.
#[derive(Clone, Copy, Debug)]
pub struct BatchPolicy {
    /// A lane with fewer than a full batch waiting forms one once its
    /// oldest exit has waited this long and the prover is idle.
    pub deadline: Duration,
    /// Most exits queued at once; beyond, requests are refused (503).
    pub max_queued: usize,
}

/// What the relayer knows of the stream, from its watcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamView {
    /// The last stream position the watcher applied.
    pub position: u64,
    /// The stream's current epoch.
    pub epoch: u64,
    /// The next sequence number the stream expects from this segment.
    pub next_seq: u64,
    /// Whether the stream holds this segment in quarantine.
    pub quarantined: bool,
    /// The segment's boundary root on the stream's chain.
    pub boundary: Fp,
}

/// A batch between planning and confirmation.
#[derive(Clone, Debug)]
pub struct LiveBatch {
    /// Its row.
    pub row: BatchRow,
    /// Its public inputs, witness and plaintext exits.
    pub planned: PlannedBatch,
    /// Its exit requests, slot order.
    pub exits: Vec<StoredExit>,
    /// Whether a proof is being made for it now.
    pub proving: bool,
}

impl LiveBatch {
    /// The sequence number after its last exit.
    pub fn end_seq(&self) -> u64 {
        self.row.first_seq.saturating_add(self.row.count as u64)
    }
}

/// A proof to make: the batch, as planned.
#[derive(Clone, Debug)]
pub struct ProofJob {
    /// Batch id.
    pub id: u64,
    /// The planned batch.
    pub planned: PlannedBatch,
}

impl ProofJob {
    /// The model's outcome to prove.
    pub fn outcome(&self) -> &BatchOutcome {
        &self.planned.outcome
    }
}

/// What one call to [`Engine::reconcile`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Batches the stream confirmed, and their exits.
    pub confirmed: (usize, usize),
    /// Why live batches were superseded, if they were.
    pub superseded: Option<String>,
}

/// The engine.
pub struct Engine {
    store: RelayStore,
    bundles: PathBuf,
    shape: CircuitShape,
    base: SegmentState,
    tip: SegmentState,
    live: Vec<LiveBatch>,
    queue: Vec<StoredExit>,
    /// Balance and next nonce of every account with queued exits, after
    /// them (others are as at the tip).
    pending: BTreeMap<u64, (u64, u64)>,
    /// The queued amount per asset (collateral they will take).
    queued_outflow: BTreeMap<u64, u64>,
    /// Why the head of a lane's queue waits, when it cannot go now.
    waiting: BTreeMap<Lane, String>,
    halted: Option<String>,
    policy: BatchPolicy,
}

fn signed(exit: &StoredExit) -> SignedExitRequest {
    SignedExitRequest {
        request: ExitRequest {
            account: exit.account,
            recipient: exit.recipient,
            amount: u128::from(exit.amount),
        },
        public_key: exit.public_key,
        signature: exit.signature,
    }
}

fn signed_batch(dst: u64, asset: u64, epoch: u64, exits: &[StoredExit]) -> SignedBatch {
    SignedBatch {
        dst,
        asset,
        epoch,
        exits: exits.iter().map(signed).collect(),
    }
}

fn u64_field(field: &'static str, value: u128) -> Result<u64, IntakeRefusal> {
    u64::try_from(value).map_err(|_| IntakeRefusal::OutOfRange { field, value })
}

impl Engine {
    /// Opens the engine over the store in `dir`: reads the confirmed
    /// state, replays the live batches on it and loads the queue.
    pub fn open(dir: &Path, policy: BatchPolicy) -> Result<Self, NodeError> {
        let store = RelayStore::open(dir)?;
        let snapshot = store.base()?;
        let base = snapshot
            .to_state()
            .map_err(|e| NodeError::Corrupt(format!("base snapshot: {e}")))?;
        let shape = snapshot.shape;
        let mut tip = base.clone();
        let mut live = Vec::new();
        for row in store.live_batches()? {
            let exits = store.batch_exits(row.id)?;
            let batch = signed_batch(row.dst, row.asset, row.epoch, &exits);
            let planned = plan_signed_run(&mut tip, &[batch], &shape)
                .map_err(|e| NodeError::Corrupt(format!("batch {} no longer plans: {e}", row.id)))?
                .pop()
                .ok_or_else(|| NodeError::Corrupt(format!("batch {} planned empty", row.id)))?;
            if planned.outcome.instance.first_seq != row.first_seq {
                return Err(NodeError::Corrupt(format!(
                    "batch {} replays at sequence {}, recorded at {}",
                    row.id, planned.outcome.instance.first_seq, row.first_seq
                )));
            }
            live.push(LiveBatch {
                row,
                planned,
                exits,
                proving: false,
            });
        }
        let queue = store.queued()?;
        let mut engine = Self {
            store,
            bundles: dir.join("bundles"),
            shape,
            base,
            tip,
            live,
            queue,
            pending: BTreeMap::new(),
            queued_outflow: BTreeMap::new(),
            waiting: BTreeMap::new(),
            halted: None,
            policy,
        };
        engine.recompute_pending()?;
        std::fs::create_dir_all(&engine.bundles).map_err(NodeError::io(&engine.bundles))?;
        Ok(engine)
    }

    /// The segment id.
    pub fn segment(&self) -> u64 {
        self.base.id()
    }

    /// The circuit shape.
    pub fn shape(&self) -> CircuitShape {
        self.shape
    }

    /// Exits waiting for a batch.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Batches planned, proven or published, not yet confirmed.
    pub fn live(&self) -> &[LiveBatch] {
        &self.live
    }

    /// Why the relayer stopped, if it did.
    pub fn halted(&self) -> Option<&str> {
        self.halted.as_deref()
    }

    fn recompute_pending(&mut self) -> Result<(), NodeError> {
        self.pending.clear();
        self.queued_outflow.clear();
        for exit in &self.queue {
            let outflow = self.queued_outflow.entry(exit.asset).or_default();
            *outflow = outflow.saturating_add(exit.amount);
            let (balance, nonce) = match self.pending.get(&exit.account) {
                Some(p) => *p,
                None => {
                    let account = self.tip.account(exit.account).ok_or_else(|| {
                        NodeError::Corrupt(format!("queued exit {}: no account", exit.id))
                    })?;
                    (account.balance, account.nonce)
                }
            };
            if nonce != exit.nonce || balance < exit.amount {
                return Err(NodeError::Corrupt(format!(
                    "queued exit {} spends nonce {} of account {}, whose next is {nonce}",
                    exit.id, exit.nonce, exit.account
                )));
            }
            self.pending
                .insert(exit.account, (balance - exit.amount, nonce + 1));
        }
        Ok(())
    }

    /// Checks a request against the segment as it will be once every
    /// queued exit is paid, and queues it (durably) if it passes.
    pub fn submit(&mut self, request: &ExitSubmission) -> Result<Receipt, SubmitError> {
        if let Some(reason) = &self.halted {
            return Err(IntakeRefusal::Halted(reason.clone()).into());
        }
        if self.queue.len() >= self.policy.max_queued {
            return Err(IntakeRefusal::QueueFull {
                queued: self.queue.len(),
            }
            .into());
        }
        let dst = u64_field("dst", request.dst)?;
        let asset = u64_field("asset", request.asset)?;
        let account = u64_field("account", request.account)?;
        let amount = u64_field("amount", request.amount)?;
        if amount == 0 {
            return Err(IntakeRefusal::ZeroAmount.into());
        }
        if !self.tip.lanes().contains_key(&Lane { dst, asset }) {
            return Err(IntakeRefusal::LaneNotAllowed { dst, asset }.into());
        }
        let leaf = *self
            .tip
            .account(account)
            .ok_or(IntakeRefusal::UnknownAccount { account })?;
        if leaf.asset != asset {
            return Err(IntakeRefusal::WrongAsset {
                account,
                holds: leaf.asset,
                asked: asset,
            }
            .into());
        }
        // An exit the silo can never let out would block its lane (and its
        // account's other lanes) for good: refused at the door.
        let silo = self
            .tip
            .silo(asset)
            .copied()
            .ok_or(IntakeRefusal::LaneNotAllowed { dst, asset })?;
        if amount > silo.cap {
            return Err(IntakeRefusal::OverCap {
                asset,
                cap: silo.cap,
                amount,
            }
            .into());
        }
        let queued = self.queued_outflow.get(&asset).copied().unwrap_or(0);
        let collateral_left = silo.collateral.saturating_sub(queued);
        if amount > collateral_left {
            return Err(IntakeRefusal::OverCollateral {
                asset,
                available: collateral_left,
                amount,
            }
            .into());
        }
        let (available, nonce) = self
            .pending
            .get(&account)
            .copied()
            .unwrap_or((leaf.balance, leaf.nonce));
        if amount > available {
            return Err(IntakeRefusal::InsufficientBalance {
                account,
                available,
                amount,
            }
            .into());
        }
        let lane_id = hash::lane_id(Fp::from(self.segment()), Fp::from(dst), Fp::from(asset));
        authorise_exit(
            &ExitAuthorisation {
                lane_id,
                owner: leaf.owner,
                account,
                nonce,
                recipient: request.recipient,
                amount,
            },
            &request.public_key,
            &request.signature,
        )
        .map_err(|reason| IntakeRefusal::Unauthorised { account, reason })?;
        let mut exit = StoredExit {
            id: 0,
            received_ms: now_ms(),
            dst,
            asset,
            account,
            nonce,
            recipient: request.recipient,
            amount,
            public_key: request.public_key,
            signature: request.signature,
            batch: None,
        };
        exit.id = self.store.insert_exit(&exit)?.ok_or_else(|| {
            NodeError::Corrupt(format!(
                "account {account} nonce {nonce} is already queued, but not in memory"
            ))
        })?;
        self.pending
            .insert(account, (available - amount, nonce + 1));
        *self.queued_outflow.entry(asset).or_default() = queued.saturating_add(amount);
        let id = exit.id;
        self.queue.push(exit);
        Ok(Receipt { id, nonce })
    }

    /// Forms every batch that is due at `epoch`: per lane, the queued
    /// exits whose accounts have no earlier exit waiting on another lane
    /// (an account's nonces are spent in order, across lanes), a full
    /// batch or, past the deadline, what there is, cut to what the
    /// silo's collateral and epoch cap allow. Nothing is formed while the
    /// stream quarantines the segment or the relayer is halted. Returns
    /// the batches formed.
    pub fn form_batches(&mut self, view: &StreamView, now: u64) -> Result<usize, NodeError> {
        if self.halted.is_some() || view.quarantined {
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
                let lane = Lane {
                    dst: exit.dst,
                    asset: exit.asset,
                };
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
                let take = match self.room(lane.asset, view.epoch) {
                    Ok(room) => {
                        let mut total = 0u64;
                        eligible
                            .iter()
                            .take_while(|e| match total.checked_add(e.amount) {
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
                    self.waiting.insert(
                        lane,
                        format!(
                            "its next exit does not fit the asset's collateral and epoch cap \
                             in epoch {}; it waits for a later epoch",
                            view.epoch
                        ),
                    );
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
            let on_lane = exit.dst == lane.dst && exit.asset == lane.asset;
            if on_lane && !blocked.contains(&exit.account) {
                eligible.push(exit.clone());
            } else if !blocked.contains(&exit.account) {
                blocked.push(exit.account);
            }
        }
        eligible
    }

    /// What may still leave in `asset` at `epoch`: the collateral, and
    /// what the epoch's cap leaves.
    fn room(&self, asset: u64, epoch: u64) -> Result<u64, String> {
        let silo = self
            .tip
            .silo(asset)
            .ok_or_else(|| format!("the segment has no silo for asset {asset}"))?;
        if epoch < silo.window_epoch {
            return Err(format!(
                "the stream is at epoch {epoch}, before the silo's window (epoch {})",
                silo.window_epoch
            ));
        }
        let used = if epoch > silo.window_epoch {
            0
        } else {
            silo.window_outflow
        };
        Ok(silo.collateral.min(silo.cap.saturating_sub(used)))
    }

    /// Plans `exits` as one batch at `epoch` and records it: the batch
    /// row and its exits in one transaction, then memory.
    fn plan(&mut self, lane: Lane, epoch: u64, exits: Vec<StoredExit>) -> Result<(), NodeError> {
        let batch = signed_batch(lane.dst, lane.asset, epoch, &exits);
        let mut next = self.tip.clone();
        let planned = match plan_signed_run(&mut next, &[batch], &self.shape) {
            Ok(mut planned) => planned.pop().ok_or_else(|| {
                NodeError::Corrupt("a planned run of one batch came back empty".into())
            })?,
            Err(e) => {
                // The queue was checked against this state at the door;
                // a refusal now means the state is not what it was then.
                let reason = format!("a due batch no longer plans: {e}");
                tracing::error!(%reason, "relayer halted");
                self.halted = Some(reason);
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
        for exit in &exits {
            if let Some(outflow) = self.queued_outflow.get_mut(&exit.asset) {
                *outflow = outflow.saturating_sub(exit.amount);
            }
        }
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

    /// Takes up to `max` planned batches no proof is being made for.
    pub fn take_for_proving(&mut self, max: usize) -> Vec<ProofJob> {
        self.live
            .iter_mut()
            .filter(|b| b.row.status == BatchStatus::Planned && !b.proving)
            .take(max)
            .map(|b| {
                b.proving = true;
                ProofJob {
                    id: b.row.id,
                    planned: b.planned.clone(),
                }
            })
            .collect()
    }

    /// Gives batches back after their proofs failed.
    pub fn release(&mut self, ids: &[u64]) {
        for batch in &mut self.live {
            if ids.contains(&batch.row.id) {
                batch.proving = false;
            }
        }
    }

    /// Where the bundle of batch `id` is written.
    pub fn bundle_path(&self, id: u64, first_seq: u64) -> PathBuf {
        self.bundles.join(format!(
            "b{id:08}-s{}-seq{first_seq:06}.bundle",
            self.segment()
        ))
    }

    /// Records a finished proof whose bundle is on disk at `path`. A
    /// batch superseded meanwhile keeps its status and the file is
    /// removed. Whether it was recorded.
    pub fn finish_proof(&mut self, id: u64, path: &Path) -> Result<bool, NodeError> {
        let Some(batch) = self.live.iter_mut().find(|b| b.row.id == id) else {
            let _ = std::fs::remove_file(path);
            return Ok(false);
        };
        batch.proving = false;
        if !self.store.mark_proven(id, path)? {
            let _ = std::fs::remove_file(path);
            return Ok(false);
        }
        batch.row.status = BatchStatus::Proven;
        batch.row.bundle = Some(path.to_path_buf());
        Ok(true)
    }

    /// The next batch to publish: the first live batch not yet published,
    /// once it is proven (the stream takes a source's bundles in sequence
    /// order only), with its bundle's bytes. Nothing is published while
    /// the stream quarantines the segment or for an epoch the stream has
    /// left: it would only be refused. A bundle file that is missing or is
    /// not this batch's (damaged on disk) sends the batch back to be
    /// proven again.
    pub fn next_to_publish(
        &mut self,
        view: &StreamView,
    ) -> Result<Option<(u64, Vec<u8>)>, NodeError> {
        let Some(batch) = self
            .live
            .iter_mut()
            .find(|b| b.row.status != BatchStatus::Published)
        else {
            return Ok(None);
        };
        if batch.row.status != BatchStatus::Proven
            || view.quarantined
            || batch.row.epoch < view.epoch
        {
            return Ok(None);
        }
        let bytes = batch
            .row
            .bundle
            .as_ref()
            .and_then(|path| std::fs::read(path).ok());
        let sound = bytes.as_ref().is_some_and(|bytes| {
            Bundle::from_bytes(bytes)
                .is_ok_and(|bundle| bundle.instance == batch.planned.outcome.instance)
        });
        match bytes {
            Some(bytes) if sound => Ok(Some((batch.row.id, bytes))),
            _ => {
                tracing::warn!(
                    batch = batch.row.id,
                    "bundle file missing or damaged; proving again"
                );
                self.store.unprove(batch.row.id)?;
                batch.row.status = BatchStatus::Planned;
                batch.row.bundle = None;
                Ok(None)
            }
        }
    }

    /// Records that batch `id` was published at `position`.
    pub fn published(&mut self, id: u64, position: u64) -> Result<(), NodeError> {
        self.store.mark_published(id, position)?;
        if let Some(batch) = self.live.iter_mut().find(|b| b.row.id == id) {
            batch.row.status = BatchStatus::Published;
            batch.row.position = Some(position);
        }
        Ok(())
    }

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
                let reason = format!(
                    "the stream's chain for segment {} is at sequence {} with another boundary \
                     root than the relayer's batches: its state is not the relayer's",
                    self.segment(),
                    view.next_seq
                );
                tracing::error!(%reason, "relayer halted");
                self.halted = Some(reason);
                return Ok(done);
            }
            let mut base = self.base.clone();
            for batch in &self.live[..passed] {
                base.apply_exits(&batch.planned_request(), &self.shape)
                    .map_err(|e| NodeError::Corrupt(format!("confirmed batch replay: {e}")))?;
            }
            let ids: Vec<u64> = self.live[..passed].iter().map(|b| b.row.id).collect();
            self.store
                .confirm(&ids, &Snapshot::from_state(&base, self.shape))?;
            let exits = self.live[..passed].iter().map(|b| b.row.count).sum();
            self.base = base;
            self.live.drain(..passed);
            done.confirmed = (passed, exits);
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
            let reason = format!(
                "the stream refused batch {} (sequence {}, position {}) for a reason other \
                 than staleness or quarantine; see a gate's status for the rule",
                first.row.id,
                first.row.first_seq,
                first.row.position.unwrap_or(0)
            );
            tracing::error!(%reason, "relayer halted");
            self.halted = Some(reason);
            return Ok(done);
        }
        let reason = format!(
            "stale: batch {} was proven for epoch {}, the stream is at epoch {}",
            first.row.id, first.row.epoch, view.epoch
        );
        self.supersede(&reason)?;
        done.superseded = Some(reason);
        Ok(done)
    }

    /// Supersedes every live batch and requeues their exits.
    fn supersede(&mut self, reason: &str) -> Result<(), NodeError> {
        let ids: Vec<u64> = self.live.iter().map(|b| b.row.id).collect();
        self.store.supersede(&ids, reason)?;
        tracing::warn!(batches = ids.len(), %reason, "batches superseded; their exits are queued again");
        let mut exits: Vec<StoredExit> = self
            .live
            .drain(..)
            .flat_map(|b| b.exits)
            .map(|mut e| {
                e.batch = None;
                e
            })
            .collect();
        exits.append(&mut self.queue);
        exits.sort_by_key(|e| e.id);
        self.queue = exits;
        self.tip = self.base.clone();
        self.waiting.clear();
        self.recompute_pending()
    }

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

impl LiveBatch {
    /// The unsigned request the model applies.
    pub fn planned_request(&self) -> bulkhead_protocol::model::BatchRequest {
        signed_batch(self.row.dst, self.row.asset, self.row.epoch, &self.exits).request()
    }
}

/// Why a submission failed: refused (the client's problem, nothing
/// queued) or the store failed (ours).
#[derive(Debug, Error)]
pub enum SubmitError {
    /// Refused.
    #[error(transparent)]
    Refused(#[from] IntakeRefusal),
    /// The store failed; nothing was queued.
    #[error(transparent)]
    Store(#[from] NodeError),
}
