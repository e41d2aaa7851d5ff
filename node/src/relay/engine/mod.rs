//! The relayer's engine: the exit queue, batch formation, and what the
//! stream made of each published batch. It owns the [`RelayStore`] and
//! keeps in memory exactly what the store implies (the confirmed state,
//! the live batches replayed on it, the queue), so every decision is made
//! on committed facts and a restart rebuilds the same engine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

mod batching;
mod governed;
mod imports;
mod intake;
mod rebase;
mod reconcile;
pub mod report;
mod requeue;

use bulkhead_protocol::authorise::SignedBatch;
use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::{BatchOutcome, Lane, PendingExits, SegmentState, Silo};
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{plan_admitted_batch, PlannedBatch, ProverError};
use thiserror::Error;

pub use super::request::{ExitSubmission, MalformedRequest};
pub use imports::{ImportError, ImportReceipt, ImportRefusal, ImportSubmission, PendingImport};
pub use intake::{IntakeRefusal, Receipt, SubmitError, UnverifiedSignature};
pub use rebase::{AccountLeaf, RebaseError, RebaseRefusal, Rebased, StateFeed};
pub use report::{EngineSnapshot, ExitStage};

use super::store::{now_ms, BatchRow, BatchStatus, RelayStore, StoredExit};
use crate::error::{CorruptError, NodeError};

/// How batches are formed.
#[derive(Clone, Copy, Debug)]
pub struct BatchPolicy {
    /// A lane with fewer than a full batch waiting forms one once its
    /// oldest exit has waited this long and the prover is idle.
    pub deadline: Duration,
    /// Most exits queued at once; beyond, requests are refused (503).
    pub max_queued: usize,
    /// Most exits one account may have queued at once (its share of
    /// `max_queued`); beyond, its requests are refused (429) while other
    /// accounts' still get in.
    pub max_queued_per_account: usize,
}

impl BatchPolicy {
    /// The share of the queue each account gets unless told otherwise: a
    /// sixty-fourth, so one account, or a few, cannot fill it for
    /// everyone.
    pub fn default_share(max_queued: usize) -> usize {
        (max_queued / 64).max(1)
    }
}

/// What the relayer knows of the stream, from its watcher. The default
/// is a stream not read yet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
    /// The height of the segment's accounts-root tip in the stream's
    /// chain.
    pub height: u64,
    /// The segment's accounts-root tip on the stream's chain, and whether
    /// its validators signed it (an attestation or an import) rather than
    /// only a bundle proving it. `None` for a view that does not follow
    /// the chain's roots (a test's): the engine then cannot tell that its
    /// segment moved under it, nor take a state feed.
    pub tip: Option<(Fp, bool)>,
    /// The segment's boundary as every gate's mirror holds it: its silos
    /// and the effective cap of each (the automatic rule halves it, rule
    /// G8). Empty for a view that does not follow the mirror (a test's):
    /// the engine then cannot follow governance of its boundary.
    pub boundary_silos: Arc<BTreeMap<u64, (Silo, u64)>>,
    /// The lanes-tree positions governance changed, with the lane each
    /// holds now (none: removed), as every gate follows them (rule G8).
    pub governed_lanes: Arc<BTreeMap<u64, Option<Lane>>>,
}

/// Why a lane's next exit cannot go at the stream's epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum LaneWait {
    /// The segment declares no silo for the asset.
    #[error("the segment has no silo for asset {asset}")]
    NoSilo {
        /// The asset.
        asset: u64,
    },
    /// The stream's epoch is before the silo's outflow window.
    #[error("the stream is at epoch {epoch}, before the silo's window (epoch {window})")]
    BeforeWindow {
        /// The stream's epoch.
        epoch: u64,
        /// The silo's window epoch.
        window: u64,
    },
    /// The lane's next exit is more than the collateral and the epoch's
    /// cap let out now.
    #[error(
        "its next exit does not fit the asset's collateral and epoch cap in epoch {epoch}; \
         it waits for a later epoch"
    )]
    DoesNotFit {
        /// The stream's epoch.
        epoch: u64,
    },
}

/// Why the relayer stopped forming batches: each needs its operator,
/// since planning again would only meet the same refusal.
#[derive(Clone, Debug, Error)]
pub enum HaltReason {
    /// A due batch, admitted against the planned state, no longer plans:
    /// the state is not what it was at the door.
    #[error("a due batch no longer plans: {0}")]
    NoLongerPlans(Arc<ProverError>),
    /// The stream's chain for the segment is not the relayer's.
    #[error(
        "the stream's chain for segment {segment} is at sequence {next_seq} with another \
         boundary root than the relayer's batches: its state is not the relayer's"
    )]
    OtherChain {
        /// The segment.
        segment: u64,
        /// Where the stream's chain is.
        next_seq: u64,
    },
    /// The stream refused a published batch for another reason than
    /// staleness or quarantine.
    #[error(
        "the stream refused batch {batch} (sequence {first_seq}, position {position}) for a \
         reason other than staleness or quarantine; see a gate's status for the rule"
    )]
    Refused {
        /// The batch.
        batch: u64,
        /// Its first sequence number.
        first_seq: u64,
        /// Where it was published.
        position: u64,
    },
}

// Two halts are the same halt when they say the same: the reason is for
// people, and a prover error has no equality of its own.
impl PartialEq for HaltReason {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for HaltReason {}

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

/// What the relayer publishes next.
#[derive(Clone, Debug)]
pub enum Outgoing {
    /// A batch's bundle.
    Bundle {
        /// The batch.
        id: u64,
        /// The bundle's bytes.
        bytes: Vec<u8>,
    },
    /// The segment's import.
    Import {
        /// The import's id in the store.
        id: u64,
        /// The signed import.
        item: bulkhead_verifier::gate::Import,
    },
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

/// The first wait before a halted relayer logs its reason again; each
/// reminder doubles it, up to [`HALT_REMINDER_MAX`].
pub const HALT_REMINDER_FIRST: Duration = Duration::from_secs(1);
/// The longest wait between two reminders of why the relayer is halted.
pub const HALT_REMINDER_MAX: Duration = Duration::from_secs(60);

/// Why the relayer stopped, and when it says so again.
#[derive(Clone, Debug)]
struct Halt {
    reason: HaltReason,
    /// When the reason is next logged, ms since the Unix epoch.
    next_log_ms: u64,
    /// The wait before the reminder after that one.
    backoff: Duration,
}

/// The engine.
pub struct Engine {
    store: RelayStore,
    /// The state directory.
    dir: PathBuf,
    bundles: PathBuf,
    shape: CircuitShape,
    base: SegmentState,
    tip: SegmentState,
    live: Vec<LiveBatch>,
    queue: Vec<StoredExit>,
    /// The queue's effect on the tip: what the door checks against.
    pending: PendingExits,
    /// Why the head of a lane's queue waits, when it cannot go now.
    waiting: BTreeMap<Lane, LaneWait>,
    halted: Option<Halt>,
    /// Why the relayer waits for its segment's state (a state feed):
    /// the stream's chain for the segment moved where none of its batches
    /// took it.
    behind: Option<String>,
    /// The import it publishes next, in order with its batches.
    import: Option<PendingImport>,
    /// How many times the halt's reason was logged.
    halt_logs: u64,
    policy: BatchPolicy,
    /// The stream the relayer publishes to: every exit signature names it.
    stream_id: u64,
}

/// The batch of `exits` on `lane` at `epoch`, as signed for `stream_id`.
fn signed_batch(stream_id: u64, lane: Lane, epoch: u64, exits: &[StoredExit]) -> SignedBatch {
    SignedBatch {
        stream_id,
        dst: lane.dst,
        asset: lane.asset,
        epoch,
        exits: exits.iter().map(|e| e.request.signed()).collect(),
    }
}

/// Plans `exits`, each admitted at its own nonce, as one batch on `lane`
/// at `epoch` on `state` (moved on only if it plans).
pub(super) fn plan_admitted(
    state: &mut SegmentState,
    stream_id: u64,
    lane: Lane,
    epoch: u64,
    exits: &[StoredExit],
    shape: &CircuitShape,
) -> Result<PlannedBatch, ProverError> {
    let batch = signed_batch(stream_id, lane, epoch, exits);
    let nonces: Vec<u64> = exits.iter().map(|e| e.nonce).collect();
    plan_admitted_batch(state, &batch, &nonces, shape)
}

impl Engine {
    /// Opens the engine over the store in `dir` for stream `stream_id`:
    /// reads the confirmed state, replays the live batches on it and loads
    /// the queue.
    pub fn open(dir: &Path, policy: BatchPolicy, stream_id: u64) -> Result<Self, NodeError> {
        let store = RelayStore::open(dir)?;
        let snapshot = store.base()?;
        let base = snapshot
            .to_state()
            .map_err(|source| CorruptError::Snapshot {
                what: "base snapshot",
                source,
            })?;
        let shape = snapshot.shape;
        let mut tip = base.clone();
        let mut live = Vec::new();
        let import = store
            .open_import()?
            .map(PendingImport::from_row)
            .transpose()?;
        // The open import sits between the batches planned before it and
        // those planned on the state it credits.
        let mut entered = false;
        for row in store.live_batches()? {
            if let Some(import) = import.as_ref().filter(|i| row.first_seq >= i.after_seq) {
                if !entered {
                    imports::enter_import(&mut tip, import)?;
                    entered = true;
                }
            }
            let exits = store.batch_exits(row.id)?;
            let planned = plan_admitted(&mut tip, stream_id, row.lane(), row.epoch, &exits, &shape)
                .map_err(|source| CorruptError::Replan {
                    batch: row.id,
                    source,
                })?;
            if planned.outcome.instance.first_seq != row.first_seq {
                return Err(CorruptError::Resequenced {
                    batch: row.id,
                    replayed: planned.outcome.instance.first_seq,
                    recorded: row.first_seq,
                }
                .into());
            }
            live.push(LiveBatch {
                row,
                planned,
                exits,
                proving: false,
            });
        }
        if let Some(import) = import.as_ref().filter(|_| !entered) {
            imports::enter_import(&mut tip, import)?;
        }
        let queue = store.queued()?;
        let mut engine = Self {
            store,
            dir: dir.to_path_buf(),
            bundles: dir.join("bundles"),
            shape,
            base,
            tip,
            live,
            queue,
            pending: PendingExits::new(),
            waiting: BTreeMap::new(),
            halted: None,
            behind: None,
            import,
            halt_logs: 0,
            policy,
            stream_id,
        };
        engine.recompute_pending()?;
        std::fs::create_dir_all(&engine.bundles).map_err(NodeError::io(&engine.bundles))?;
        Ok(engine)
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The segment id.
    pub fn segment(&self) -> u64 {
        self.base.id()
    }

    /// The stream the relayer publishes to.
    pub fn stream_id(&self) -> u64 {
        self.stream_id
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
    pub fn halted(&self) -> Option<&HaltReason> {
        self.halted.as_ref().map(|h| &h.reason)
    }

    /// How many times the reason of the halt has been logged: once when
    /// it halted, then once per reminder ([`Engine::remind_halt`]).
    pub fn halt_logs(&self) -> u64 {
        self.halt_logs
    }

    /// Stops batching for the operator, and logs why. The first reason
    /// stays: whatever the engine finds after it (the same refusal, read
    /// again on every pass) follows from it, so it is neither logged nor
    /// reported.
    fn halt(&mut self, reason: HaltReason) {
        if self.halted.is_some() {
            return;
        }
        tracing::error!(%reason, "relayer halted");
        self.halt_logs += 1;
        self.halted = Some(Halt {
            reason,
            next_log_ms: now_ms().saturating_add(HALT_REMINDER_FIRST.as_millis() as u64),
            backoff: HALT_REMINDER_FIRST,
        });
    }

    /// Logs again why the relayer is halted, if a reminder is due at `now`
    /// (ms since the Unix epoch): the waits between reminders double from
    /// [`HALT_REMINDER_FIRST`] to [`HALT_REMINDER_MAX`], so a service loop
    /// may call this on every pass. Whether it logged.
    pub fn remind_halt(&mut self, now: u64) -> bool {
        let Some(halt) = &mut self.halted else {
            return false;
        };
        if now < halt.next_log_ms {
            return false;
        }
        halt.backoff = (halt.backoff * 2).min(HALT_REMINDER_MAX);
        halt.next_log_ms = now.saturating_add(halt.backoff.as_millis() as u64);
        tracing::error!(reason = %halt.reason, "relayer still halted; it needs its operator");
        self.halt_logs += 1;
        true
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
    /// the stream quarantines the segment, while the relayer waits for its
    /// segment's state, for an epoch the stream has left, or, for a batch
    /// planned on the open import's state, before that import is in the
    /// chain: it would only be refused. A bundle file that is missing or is
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
            || self
                .import
                .as_ref()
                .is_some_and(|i| batch.row.first_seq >= i.after_seq)
            || view.quarantined
            || self.behind.is_some()
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

    /// What goes to the stream next: the open import when its turn has
    /// come, or else the next proven batch ([`Engine::next_to_publish`]).
    pub fn next_outgoing(&mut self, view: &StreamView) -> Result<Option<Outgoing>, NodeError> {
        // Proofs on a boundary governance replaced would only be refused.
        if self.governed_state(view).is_some() {
            return Ok(None);
        }
        if let Some((id, item)) = self.import_turn(view) {
            return Ok(Some(Outgoing::Import { id, item }));
        }
        Ok(self
            .next_to_publish(view)?
            .map(|(id, bytes)| Outgoing::Bundle { id, bytes }))
    }

    /// Records that batch `id` was published at `position`. A batch no
    /// longer live (the stream confirmed it, or it was superseded, before
    /// the publisher's answer came) is left as it is.
    pub fn published(&mut self, id: u64, position: u64) -> Result<(), NodeError> {
        let Some(batch) = self.live.iter_mut().find(|b| b.row.id == id) else {
            return Ok(());
        };
        self.store.mark_published(id, position)?;
        batch.row.status = BatchStatus::Published;
        batch.row.position = Some(position);
        Ok(())
    }
}

impl LiveBatch {
    /// The unsigned request the model applies.
    pub fn planned_request(&self) -> bulkhead_protocol::model::BatchRequest {
        signed_batch(
            self.planned.stream_id,
            self.row.lane(),
            self.row.epoch,
            &self.exits,
        )
        .request()
    }
}
