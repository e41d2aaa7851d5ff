//! The engine's own thread and what feeds it.
//!
//! One thread owns the [`Engine`] (and with it the store's one writing
//! connection); everything else talks to it through one channel of
//! [`Command`]s, answered in the order they were sent:
//!
//! - the HTTP API sends requests to admit ([`EngineHandle::submit`]), and
//!   reads the store on its own connection ([`RelayReader`]);
//! - the watcher's thread verifies the stream's next entry, sends the view
//!   right after it, and waits until the engine has reconciled with it
//!   before it reads another, so a crash leaves the two at most one entry
//!   apart, as when they shared a thread;
//! - the prover's thread asks for proofs to make and reports each bundle
//!   written;
//! - the publisher's thread publishes the bundle it is given and reports
//!   where it landed.
//!
//! Between commands, and at least every [`IDLE`], the engine runs one
//! pass: reconcile with the last view, form due batches, hand the next
//! proven batch to the publisher, and publish its [`EngineSnapshot`] for
//! readers.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};

use bulkhead_verifier::gate::StreamItem;

use super::engine::{
    Engine, ExitSubmission, ImportError, ImportReceipt, ImportSubmission, Outgoing, ProofJob,
    RebaseError, RebaseRefusal, Rebased, Receipt, StateFeed, StreamView, SubmitError,
};
use super::metrics::RelayMetrics;
use super::reader::RelayReader;
use super::store;
use crate::error::NodeError;

mod feeders;

pub use feeders::start_relay;

/// How long a thread with nothing to do waits before it looks again.
pub const IDLE: Duration = Duration::from_millis(50);
/// How long a thread waits after its stream failed before it tries again.
const RETRY: Duration = Duration::from_secs(1);

/// What the engine's thread is asked to do.
enum Command {
    /// Admit an exit request.
    Submit {
        request: Box<ExitSubmission>,
        reply: oneshot::Sender<Result<Receipt, SubmitError>>,
    },
    /// The stream right after one more entry; answered once reconciled.
    View {
        view: StreamView,
        reconciled: oneshot::Sender<()>,
    },
    /// Up to `max` planned batches to prove, each with its bundle's path.
    TakeJobs {
        max: usize,
        reply: oneshot::Sender<Vec<(ProofJob, PathBuf)>>,
    },
    /// The bundle of batch `id` is written at `path`.
    Proven { id: u64, path: PathBuf },
    /// The prover is done with these batches, proven or not.
    Release(Vec<u64>),
    /// The publisher put batch `id` at `position`; its oldest exit was
    /// received at `oldest_ms`.
    Published {
        id: u64,
        position: u64,
        oldest_ms: u64,
    },
    /// The publisher put import `id` at `position`.
    ImportPublished { id: u64, position: u64 },
    /// The publisher could not publish batch or import `id`.
    NotPublished { id: u64 },
    /// Take an import to publish in order with the batches.
    TakeImport {
        submission: Box<ImportSubmission>,
        reply: oneshot::Sender<Result<ImportReceipt, ImportError>>,
    },
    /// Rebase on the segment's state.
    FeedState {
        feed: Box<StateFeed>,
        reply: oneshot::Sender<Result<Rebased, RebaseError>>,
    },
    /// Run this on the engine.
    Run(Box<dyn FnOnce(&mut Engine) + Send>),
    /// A feeding thread met an error the relayer cannot go on from.
    Failed(NodeError),
    /// Stop.
    Stop,
}

/// A batch's bundle or an import, for the publisher's thread.
struct Publication {
    id: u64,
    item: StreamItem,
    /// When the batch's oldest exit was received; `None` for an import.
    oldest_ms: Option<u64>,
}

/// Talks to the engine's thread; cheap to clone.
#[derive(Clone)]
pub struct EngineHandle {
    commands: Sender<Command>,
    reader: Arc<RelayReader>,
    metrics: Arc<RelayMetrics>,
}

/// The engine's running thread.
pub struct EngineThread {
    thread: JoinHandle<Result<(), NodeError>>,
    commands: Sender<Command>,
    ended: watch::Receiver<bool>,
}

/// Says the engine's thread has ended when dropped, however it ends.
struct EndSignal(watch::Sender<bool>);

impl Drop for EndSignal {
    fn drop(&mut self) {
        self.0.send_replace(true);
    }
}

impl EngineThread {
    /// Completes once the thread has ended, on its own (an error) or when
    /// stopped: what a service's shutdown waits on besides its signals.
    pub fn ended(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut ended = self.ended.clone();
        async move {
            // An error means the sender is gone: the thread has ended too.
            let _ = ended.wait_for(|ended| *ended).await;
        }
    }

    /// Asks the engine to stop after the command in hand, and waits for
    /// it; the error it stopped on, if any.
    pub fn stop(self) -> Result<(), NodeError> {
        // Already gone if it failed: its error is in the join.
        let _ = self.commands.send(Command::Stop);
        self.thread.join().unwrap_or(Err(NodeError::Poisoned))
    }

    /// Whether the thread has ended (on its own: an error).
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }
}

impl EngineHandle {
    /// Starts `engine` on its own thread, the stream as `view` until a
    /// watcher says otherwise, with a reader on its store. `publisher`
    /// is where proven bundles go, if anywhere.
    fn spawn(
        engine: Engine,
        view: StreamView,
        metrics: Arc<RelayMetrics>,
        publisher: Option<Sender<Publication>>,
        passes: bool,
    ) -> Result<(Self, EngineThread), NodeError> {
        let reader = Arc::new(RelayReader::open(engine.dir(), engine.snapshot(&view))?);
        let (commands, inbox) = mpsc::channel();
        let (end_signal, ended) = watch::channel(false);
        let thread = {
            let reader = reader.clone();
            let metrics = metrics.clone();
            std::thread::Builder::new()
                .name("relay-engine".into())
                .spawn(move || {
                    let _ended = EndSignal(end_signal);
                    let mut actor = Actor {
                        engine,
                        view,
                        reader,
                        metrics,
                        publisher,
                        publishing: None,
                        held_view: None,
                        passes,
                    };
                    let stopped = actor.run(&inbox);
                    if let Err(e) = &stopped {
                        tracing::error!(error = %e, "relay engine stopped");
                    }
                    stopped
                })
                .map_err(NodeError::io("engine thread"))?
        };
        let handle = Self {
            commands: commands.clone(),
            reader,
            metrics,
        };
        Ok((
            handle,
            EngineThread {
                thread,
                commands,
                ended,
            },
        ))
    }

    /// Starts `engine` on its own thread with the stream fixed at `view`,
    /// answering commands only: it admits requests and answers reads, and
    /// does nothing else unless told to ([`EngineHandle::with_engine`]).
    /// An API alone, as the HTTP tests drive it.
    pub fn start(engine: Engine, view: StreamView) -> Result<(Self, EngineThread), NodeError> {
        Self::spawn(engine, view, Arc::new(RelayMetrics::default()), None, false)
    }

    /// Runs `work` on the engine's thread, between two commands, and
    /// returns what it returns; then tells readers what changed. It waits
    /// for the answer, so call it from a thread, not from async code.
    pub fn with_engine<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Engine) -> R + Send + 'static,
    ) -> Result<R, NodeError> {
        let (reply, answer) = oneshot::channel();
        let work = Box::new(move |engine: &mut Engine| {
            let _ = reply.send(work(engine));
        });
        self.commands
            .send(Command::Run(work))
            .map_err(|_| NodeError::Stopped)?;
        answer.blocking_recv().map_err(|_| NodeError::Stopped)
    }

    /// Admits one exit request on the engine's thread (at most one strict
    /// signature verification long; see [`Engine::admit`]).
    pub async fn submit(&self, request: ExitSubmission) -> Result<Receipt, SubmitError> {
        let request = Box::new(request);
        self.ask(
            |reply| Command::Submit { request, reply },
            || SubmitError::Store(NodeError::Stopped),
        )
        .await
    }

    /// Takes a state feed on the engine's thread ([`Engine::rebase`],
    /// against the stream as the engine last reconciled with it).
    pub async fn feed_state(&self, feed: StateFeed) -> Result<Rebased, RebaseError> {
        let feed = Box::new(feed);
        self.ask(
            |reply| Command::FeedState { feed, reply },
            || NodeError::Stopped.into(),
        )
        .await
    }

    /// Takes an import to publish in order with the batches, on the
    /// engine's thread ([`Engine::take_import`]).
    pub async fn take_import(
        &self,
        submission: ImportSubmission,
    ) -> Result<ImportReceipt, ImportError> {
        let submission = Box::new(submission);
        self.ask(
            |reply| Command::TakeImport { submission, reply },
            || NodeError::Stopped.into(),
        )
        .await
    }

    /// Sends the command `make` builds around its reply channel and waits
    /// for the answer; `stopped` when the engine's thread is gone.
    async fn ask<T, E>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, E>>) -> Command,
        stopped: impl Fn() -> E,
    ) -> Result<T, E> {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(make(reply)).is_err() {
            return Err(stopped());
        }
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// The read side.
    pub fn reader(&self) -> &RelayReader {
        &self.reader
    }

    /// The relayer's counters.
    pub fn metrics(&self) -> &RelayMetrics {
        &self.metrics
    }
}

/// The engine's thread.
struct Actor {
    engine: Engine,
    view: StreamView,
    reader: Arc<RelayReader>,
    metrics: Arc<RelayMetrics>,
    publisher: Option<Sender<Publication>>,
    /// The batch with the publisher now: one at a time, in sequence order.
    publishing: Option<u64>,
    /// A view that came while a batch was with the publisher, with the
    /// watcher waiting on it: reconciled only once the publisher has
    /// answered, so the engine never reads the stream past a publication
    /// it has not recorded (it would take its own bundle, refused under a
    /// quarantine since released, for a refusal of another kind).
    held_view: Option<(StreamView, oneshot::Sender<()>)>,
    /// Whether passes run (a relayer), or only commands (an API alone).
    passes: bool,
}

impl Actor {
    fn run(&mut self, inbox: &Receiver<Command>) -> Result<(), NodeError> {
        let mut last_pass: Option<Instant> = None;
        loop {
            let since = last_pass.map_or(IDLE, |at| at.elapsed());
            match inbox.recv_timeout(IDLE.saturating_sub(since)) {
                Ok(command) => {
                    // A request admitted changes no batch: a pass (which
                    // reads the whole queue) waits for its turn, so a
                    // flood of requests costs one pass per IDLE.
                    let moves_batches = !matches!(command, Command::Submit { .. });
                    if !self.handle(command)? {
                        return Ok(());
                    }
                    let due = last_pass.is_none_or(|at| at.elapsed() >= IDLE);
                    if !moves_batches && !due {
                        continue;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                // Every handle is gone: nobody can ask anything any more.
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
            self.pass()?;
            last_pass = Some(Instant::now());
        }
    }

    /// Does one command; whether to go on.
    fn handle(&mut self, command: Command) -> Result<bool, NodeError> {
        match command {
            Command::Submit { request, reply } => {
                let outcome = self.engine.admit(&request);
                if let Ok(receipt) = &outcome {
                    if !receipt.repeat {
                        self.publish_snapshot();
                    }
                }
                // A client that hung up is no reason to stop.
                let _ = reply.send(outcome);
            }
            Command::View { view, reconciled } => {
                if self.publishing.is_some() {
                    self.held_view = Some((view, reconciled));
                } else {
                    self.take_view(view, reconciled)?;
                }
            }
            Command::TakeJobs { max, reply } => {
                let jobs = self
                    .engine
                    .take_for_proving(max)
                    .into_iter()
                    .map(|job| {
                        let path = self
                            .engine
                            .bundle_path(job.id, job.outcome().instance.first_seq);
                        (job, path)
                    })
                    .collect();
                let _ = reply.send(jobs);
            }
            Command::Proven { id, path } => match self.engine.finish_proof(id, &path)? {
                true => tracing::info!(batch = id, path = %path.display(), "batch proven"),
                false => tracing::info!(batch = id, "proof of a superseded batch dropped"),
            },
            Command::Release(ids) => self.engine.release(&ids),
            Command::Published {
                id,
                position,
                oldest_ms,
            } => {
                self.engine.published(id, position)?;
                self.metrics.published(Duration::from_millis(
                    store::now_ms().saturating_sub(oldest_ms),
                ));
                tracing::info!(batch = id, position, "bundle published");
                self.publisher_answered()?;
            }
            Command::ImportPublished { id, position } => {
                self.engine.import_published(id, position)?;
                tracing::info!(import = id, position, "import published");
                self.publisher_answered()?;
            }
            Command::TakeImport { submission, reply } => {
                let outcome = self.engine.take_import(&submission, &self.view);
                if outcome.as_ref().is_ok_and(|r| !r.repeat) {
                    self.publish_snapshot();
                }
                let _ = reply.send(outcome);
            }
            Command::NotPublished { id } => {
                tracing::debug!(batch = id, "not published; it is handed over again");
                self.publisher_answered()?;
            }
            Command::FeedState { feed, reply } => {
                let outcome = if self.publishing.is_some() {
                    // A batch is with the publisher: its fate decides
                    // the state a feed must be on.
                    Err(RebaseRefusal::InFlight { published: 1 }.into())
                } else {
                    self.engine.rebase(&feed, &self.view)
                };
                if outcome.is_ok() {
                    self.publish_snapshot();
                }
                let _ = reply.send(outcome);
            }
            Command::Run(work) => {
                work(&mut self.engine);
                self.publish_snapshot();
            }
            Command::Failed(e) => return Err(e),
            Command::Stop => return Ok(false),
        }
        Ok(true)
    }

    /// Reconciles with the view after one more stream entry and lets the
    /// watcher read the next.
    fn take_view(
        &mut self,
        view: StreamView,
        reconciled: oneshot::Sender<()>,
    ) -> Result<(), NodeError> {
        self.view = view;
        self.reconcile()?;
        let _ = reconciled.send(());
        Ok(())
    }

    /// The publisher is free again: the view held meanwhile is taken now
    /// that the publication is recorded.
    fn publisher_answered(&mut self) -> Result<(), NodeError> {
        self.publishing = None;
        match self.held_view.take() {
            Some((view, reconciled)) => self.take_view(view, reconciled),
            None => Ok(()),
        }
    }

    fn reconcile(&mut self) -> Result<(), NodeError> {
        let reconciled = self.engine.reconcile(&self.view)?;
        if reconciled.confirmed.0 > 0 {
            self.metrics
                .confirmed(reconciled.confirmed.0, reconciled.confirmed.1);
        }
        if reconciled.superseded.is_some() {
            self.metrics.superseded();
        }
        Ok(())
    }

    /// Reconciles, forms due batches, hands the next proven batch to the
    /// publisher, and tells readers.
    fn pass(&mut self) -> Result<(), NodeError> {
        if !self.passes {
            return Ok(());
        }
        self.reconcile()?;
        let now = store::now_ms();
        let formed = self.engine.form_batches(&self.view, now)?;
        self.metrics.planned(formed);
        // A halt persists until the operator acts; this pass repeats every
        // few ms, the reminder of why only with backoff.
        self.engine.remind_halt(now);
        if let (None, Some(publisher)) = (self.publishing, &self.publisher) {
            if let Some(outgoing) = self.engine.next_outgoing(&self.view)? {
                let publication = match outgoing {
                    Outgoing::Bundle { id, bytes } => Publication {
                        id,
                        item: StreamItem::Bundle(bytes),
                        oldest_ms: Some(
                            self.engine
                                .live()
                                .iter()
                                .find(|b| b.row.id == id)
                                .and_then(|b| b.exits.iter().map(|e| e.received_ms).min())
                                .unwrap_or(now),
                        ),
                    },
                    Outgoing::Import { id, item } => Publication {
                        id,
                        item: StreamItem::Import(item),
                        oldest_ms: None,
                    },
                };
                let id = publication.id;
                if publisher.send(publication).is_ok() {
                    self.publishing = Some(id);
                }
            }
        }
        self.publish_snapshot();
        Ok(())
    }

    fn publish_snapshot(&self) {
        self.reader.publish(self.engine.snapshot(&self.view));
    }
}

#[cfg(test)]
mod tests;
