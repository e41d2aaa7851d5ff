//! The single writer: one OS thread owns the ledger and applies items
//! strictly in the order they reach its bounded queue. Verifying and
//! committing are blocking work, so they stay off the async runtime.
//! Whatever is waiting when the writer turns to the queue is taken as one
//! window: its bundles' proofs are verified in one batch, then each item
//! is applied in order in its own transaction. A gate catching up on its
//! stream, or several bundles submitted at once, pays one multi-scalar
//! multiplication for many proofs.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bulkhead_protocol::bundle::Bundle;
use bulkhead_verifier::gate::{ItemKind, Refusal, StreamItem};
use bulkhead_verifier::{check_bundles, Verified};
use tokio::sync::{mpsc, oneshot};

use super::metrics::Metrics;
use crate::error::NodeError;
use crate::ledger::{Ledger, Verdict};
use crate::stream::StreamEntry;

/// What the writer is asked to do.
pub enum Job {
    /// An item submitted over HTTP.
    Submit(StreamItem),
    /// Bind the ledger to the followed stream, now with its first
    /// entry's digest, before position 1 is applied (see
    /// [`Ledger::bind_stream`]).
    Bind(crate::stream::StreamIdentity),
    /// The entry at a position of the followed stream.
    Stream {
        /// Its position.
        position: u64,
        /// The entry.
        entry: StreamEntry,
    },
}

/// The writer's answer: the verdict and how long judging and committing
/// took, or why the ledger could not apply it (nothing happened).
pub type Answer = Result<(Option<Verdict>, Duration), Arc<NodeError>>;

/// A job and where its answer goes.
pub struct Request {
    /// The job.
    pub job: Job,
    /// The answer's channel (the submitter may have gone).
    pub reply: oneshot::Sender<Answer>,
}

/// The kind of a job's item, for metrics (none for an entry that is not
/// an item).
type Judged = (Option<&'static str>, Result<Option<Verdict>, NodeError>);

/// Jobs taken from the queue at once: their bundles' proofs are verified
/// together before the jobs are applied one by one, in order.
const WINDOW: usize = 64;

/// The bundle of a job, if it carries one.
fn bundle_bytes(job: &Job) -> Option<&[u8]> {
    match job {
        Job::Submit(StreamItem::Bundle(bytes))
        | Job::Stream {
            entry: StreamEntry::Item(StreamItem::Bundle(bytes)),
            ..
        } => Some(bytes),
        _ => None,
    }
}

/// Verifies together the proofs of the window's bundles that are worth it
/// (they decode, their source is open, they are not replays), when there
/// are at least two; returns, per job, its checked bundle if it passed.
/// The rest take the usual path, which checks each alone.
fn verify_ahead(ledger: &Ledger, jobs: &[Request], metrics: &Metrics) -> Vec<Option<Verified>> {
    let mut ahead = vec![None; jobs.len()];
    let candidates: Vec<(usize, Bundle)> = jobs
        .iter()
        .enumerate()
        .filter_map(|(i, r)| bundle_bytes(&r.job).map(|b| (i, b)))
        .filter_map(|(i, bytes)| Bundle::from_bytes(bytes).ok().map(|b| (i, b)))
        .filter(|(_, b)| ledger.gate().worth_verifying(b))
        .collect();
    if candidates.len() < 2 || ledger.gate().keys().is_empty() {
        return ahead;
    }
    let started = Instant::now();
    let (indices, bundles): (Vec<usize>, Vec<Bundle>) = candidates.into_iter().unzip();
    let count = bundles.len();
    for (index, verdict) in indices
        .into_iter()
        .zip(check_bundles(bundles, ledger.gate().keys()))
    {
        ahead[index] = verdict.ok();
    }
    metrics.record_batch(count, started.elapsed());
    ahead
}

/// Applies one job, with its bundle's checks already done if `verified`.
fn judge(ledger: &mut Ledger, job: &Job, verified: Option<&Verified>) -> Judged {
    if let Some(verified) = verified {
        let position = match job {
            Job::Stream { position, .. } => Some(*position),
            Job::Submit(_) | Job::Bind(_) => None,
        };
        return (
            Some(ItemKind::Bundle.name()),
            ledger.apply_verified(verified, position).map(Some),
        );
    }
    match job {
        Job::Bind(found) => (None, ledger.bind_stream(found).map(|_| None)),
        Job::Submit(item) => (Some(item.kind().name()), ledger.apply(item, None).map(Some)),
        Job::Stream {
            position,
            entry: StreamEntry::Item(item),
        } => (
            Some(item.kind().name()),
            ledger.apply(item, Some(*position)).map(Some),
        ),
        Job::Stream {
            position,
            entry: StreamEntry::Malformed(reason),
        } => {
            tracing::warn!(position, %reason, "stream entry is not an item; skipped");
            (None, ledger.skip(*position).map(|()| None))
        }
    }
}

/// Says once, at WARN, that an item was refused: where it came from (its
/// stream position, or a submission), its kind, the rule and label it is
/// counted under, and the reason. A refused item is committed like any
/// other (its position passed), so it is never judged, nor logged, again.
fn log_refusal(job: &Job, kind: &'static str, refusal: &Refusal) {
    let (label, reason) = (refusal.label(), refusal.to_string());
    let rule = refusal.counted_under();
    match job {
        Job::Stream { position, .. } => {
            tracing::warn!(position, kind, rule, label, %reason, "stream item refused")
        }
        _ => tracing::warn!(kind, rule, label, %reason, "submitted item refused"),
    }
}

/// Whether the job is a stream entry that is not an item (garbage: its
/// position is passed, nothing judged).
fn is_garbage(job: &Job) -> bool {
    matches!(
        job,
        Job::Stream {
            entry: StreamEntry::Malformed(_),
            ..
        }
    )
}

/// Ends the process at once: what is committed is safe, and the lock goes
/// with the process; a restart reads the committed state.
fn stop_process(why: &str) -> ! {
    tracing::error!("{why}; stopping");
    eprintln!("error: {why}; stopping (restart to resume from the committed state)");
    std::process::exit(1)
}

/// Starts the writer over `ledger`; it ends, finishing every queued job,
/// when every sender of the queue is dropped.
pub fn spawn(
    mut ledger: Ledger,
    mut queue: mpsc::Receiver<Request>,
    metrics: Arc<Metrics>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("gate-writer".into())
        .spawn(move || {
            while let Some(first) = queue.blocking_recv() {
                let mut window = vec![first];
                while window.len() < WINDOW {
                    match queue.try_recv() {
                        Ok(next) => window.push(next),
                        Err(_) => break,
                    }
                }
                // A panic would leave the service answering 503 forever; a
                // poisoned ledger may be ahead of the disk. Either way the
                // process stops.
                let ahead = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    verify_ahead(&ledger, &window, &metrics)
                }))
                .unwrap_or_else(|_| stop_process("batch verification panicked"));
                for (Request { job, reply }, verified) in window.into_iter().zip(ahead) {
                    let started = Instant::now();
                    let judged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        judge(&mut ledger, &job, verified.as_ref())
                    }));
                    let Ok((kind, result)) = judged else {
                        stop_process("the writer panicked")
                    };
                    if matches!(result, Err(NodeError::Poisoned)) {
                        stop_process("the ledger is poisoned");
                    }
                    let elapsed = started.elapsed();
                    match (kind, &result) {
                        (Some(kind), Ok(verdict)) => {
                            let refusal = match verdict {
                                Some(Verdict::Refused(r)) => {
                                    log_refusal(&job, kind, r);
                                    Some(r)
                                }
                                _ => None,
                            };
                            metrics.record(kind, refusal, elapsed);
                        }
                        // An entry that is not an item, passed (and logged).
                        (None, Ok(_)) if is_garbage(&job) => metrics.record_garbage(),
                        _ => {}
                    }
                    if let Err(error) = &result {
                        tracing::error!(%error, "item not applied");
                    }
                    let _ = reply.send(result.map(|v| (v, elapsed)).map_err(Arc::new));
                }
            }
            tracing::info!("writer finished its queue");
        })
}
