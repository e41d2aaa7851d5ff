//! The single writer: one OS thread owns the ledger and applies items
//! strictly in the order they reach its bounded queue. Verifying and
//! committing are blocking work, so they stay off the async runtime.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bulkhead_verifier::gate::StreamItem;
use tokio::sync::{mpsc, oneshot};

use super::metrics::{kind_label, Metrics};
use crate::error::NodeError;
use crate::ledger::{Ledger, Verdict};
use crate::stream::StreamEntry;

/// What the writer is asked to do.
pub enum Job {
    /// An item submitted over HTTP.
    Submit(StreamItem),
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

/// Applies one job.
fn judge(ledger: &mut Ledger, job: &Job) -> Judged {
    match job {
        Job::Submit(item) => (
            Some(kind_label(item.kind())),
            ledger.apply(item, None).map(Some),
        ),
        Job::Stream {
            position,
            entry: StreamEntry::Item(item),
        } => (
            Some(kind_label(item.kind())),
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
            while let Some(Request { job, reply }) = queue.blocking_recv() {
                let started = Instant::now();
                // A panic would leave the service answering 503 forever; a
                // poisoned ledger may be ahead of the disk. Either way the
                // process stops.
                let judged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    judge(&mut ledger, &job)
                }));
                let Ok((kind, result)) = judged else {
                    stop_process("the writer panicked")
                };
                if matches!(result, Err(NodeError::Poisoned)) {
                    stop_process("the ledger is poisoned");
                }
                let elapsed = started.elapsed();
                if let (Some(kind), Ok(verdict)) = (kind, &result) {
                    let refusal = match verdict {
                        Some(Verdict::Refused(r)) => Some(r.label()),
                        _ => None,
                    };
                    metrics.record(kind, refusal, elapsed);
                }
                if let Err(error) = &result {
                    tracing::error!(%error, "item not applied");
                }
                let _ = reply.send(result.map(|v| (v, elapsed)).map_err(Arc::new));
            }
            tracing::info!("writer finished its queue");
        })
}
