//! `gate serve`: the gate as a long-running service.
//!
//! One writer thread owns the [`Ledger`] and applies items strictly in
//! order ([`writer`]); HTTP handlers put submissions on its bounded queue
//! and read from their own connections ([`api`]); with a followed
//! directory log, a follower feeds it the stream in position order. On
//! SIGTERM or Ctrl-C the server stops taking requests, the follower stops
//! between items, and the writer finishes what it holds before the
//! process exits.

pub mod api;
pub mod metrics;
pub mod writer;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bulkhead_protocol::bundle::Bundle;
use bulkhead_verifier::gate::{GateConfig, MAX_VALIDATORS};
use bulkhead_verifier::VerifierKeys;
use tokio::sync::{mpsc, oneshot, watch};

use crate::error::{NodeError, StreamError, UsageError};
use crate::http::{bind, HttpLimits};
use crate::ledger::Ledger;
use crate::stream::settle::Settling;
use crate::stream::{StreamSource, StreamSpec};

/// How long the follower waits before looking for the next entry again.
const FOLLOW_POLL: Duration = Duration::from_millis(50);

/// How often the follower reads the stream's last position (for the lag
/// gauge): a directory listing or one NATS stream-info request, so not
/// for every entry.
const LAST_REFRESH: Duration = Duration::from_secs(1);

/// Most submissions waiting for the writer, by default.
pub const DEFAULT_QUEUE: usize = 64;
/// The largest queue accepted.
pub const MAX_QUEUE: usize = 65_536;

/// How the service runs.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// A stream to follow: a directory log or NATS JetStream.
    pub follow: Option<StreamSpec>,
    /// The durable consumer's name when following NATS (one per gate).
    pub consumer: String,
    /// The bearer token write requests must carry; required when `listen`
    /// is not a loopback address.
    pub token: Option<String>,
    /// Submissions that may wait for the writer (1..=[`MAX_QUEUE`]);
    /// beyond it, 503.
    pub queue: usize,
    /// Connections, and how long a client may take to send a request.
    pub http: HttpLimits,
}

impl ServeOptions {
    /// Refuses options that would expose or exhaust the service.
    pub fn validate(&self) -> Result<(), NodeError> {
        if !self.listen.ip().is_loopback() && self.token.as_deref().is_none_or(str::is_empty) {
            return Err(NodeError::Insecure {
                listen: self.listen,
                token_env: "BULKHEAD_GATE_TOKEN",
            });
        }
        if !(1..=MAX_QUEUE).contains(&self.queue) {
            return Err(
                UsageError::count_out_of_range("--queue", self.queue, 1..=MAX_QUEUE).into(),
            );
        }
        self.http.validate()
    }
}

/// The largest valid item for `config`: a full bundle of its largest
/// shape, or a JSON item with every signer's signature (with room for
/// whitespace). Bodies beyond it are refused unread.
pub fn max_item_bytes(config: &GateConfig, keys: &[VerifierKeys]) -> usize {
    let bundle = config
        .sources
        .iter()
        .filter_map(|s| {
            keys.iter()
                .find(|k| k.shape() == s.shape)
                .map(|k| Bundle::max_encoded_len(&s.shape, k.proof_len()))
        })
        .max()
        .unwrap_or(0);
    let signers = config
        .sources
        .iter()
        .map(|s| s.validators.len())
        .chain([config.stream_guardians.len(), config.local_guardians.len()])
        .max()
        .unwrap_or(0);
    // A rotation (rule G8) may name up to MAX_VALIDATORS keys and carry as
    // many cosignatures, and the source's items then carry that many
    // signatures. A signature entry is under 200 bytes pretty-printed, a
    // key under 128; the rest of an item (roots, numbers, a lane's
    // siblings) under 4 KiB.
    let signers = signers.max(MAX_VALIDATORS);
    let json = 4096 + 256 * 2 * signers + 128 * MAX_VALIDATORS;
    bundle.max(json)
}

/// Runs the service on its own runtime until `shutdown` completes (the
/// CLI passes [`crate::http::shutdown_signal`]: SIGTERM or Ctrl-C).
/// `max_body` from [`max_item_bytes`].
pub fn run(
    ledger: Ledger,
    max_body: usize,
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), NodeError> {
    options.validate()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(NodeError::io("tokio runtime"))?;
    runtime.block_on(async {
        let (listener, _) = bind(options.listen).await?;
        serve(listener, ledger, max_body, options, shutdown).await
    })
}

/// Serves on `listener` until `shutdown` completes (`options.listen` is
/// where it was bound): the HTTP API, the writer, and the follower if
/// any. Then the follower stops between items and the writer finishes
/// what it holds.
pub async fn serve(
    listener: tokio::net::TcpListener,
    mut ledger: Ledger,
    max_body: usize,
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), NodeError> {
    options.validate()?;
    let local = listener
        .local_addr()
        .map_err(NodeError::io(options.listen.to_string()))?;
    // Items taken outside the stream would make this gate's chain differ
    // from every other gate's that follows the same stream.
    if options.follow.is_some()
        && ledger.position() == 0
        && ledger.state().accepted.values().any(|n| *n > 0)
    {
        return Err(UsageError::AcceptedOutsideStream.into());
    }
    // Bound to its stream before anything of it is read for applying.
    let first_unknown = match &options.follow {
        Some(spec) => bind_stream(&mut ledger, spec).await?,
        None => None,
    };
    let dir = ledger.dir().to_path_buf();
    let start_position = ledger.position();
    let metrics = Arc::new(metrics::Metrics::default());
    let (queue, receiver) = mpsc::channel(options.queue);
    let writer =
        writer::spawn(ledger, receiver, metrics.clone()).map_err(NodeError::io("writer thread"))?;
    let (stop, stopped) = watch::channel(false);
    let source: Option<Arc<dyn StreamSource>> = match &options.follow {
        Some(spec) => {
            let (spec, consumer) = (spec.clone(), options.consumer.clone());
            let source =
                tokio::task::spawn_blocking(move || spec.source(&consumer, start_position))
                    .await
                    .map_err(StreamError::task("stream"))??;
            Some(Arc::from(source))
        }
        None => None,
    };
    if let Some(StreamSpec::Dir(log)) = &options.follow {
        warn_stray_files(log.clone()).await;
    }
    let follower = source.map(|log| {
        tokio::spawn(follow(
            log,
            start_position,
            first_unknown,
            queue.clone(),
            stopped.clone(),
            metrics.clone(),
        ))
    });
    let state = api::AppState {
        queue,
        dir: Arc::new(dir),
        readers: Arc::new(Mutex::new(Vec::new())),
        metrics,
        token: options.token.map(Arc::from),
        max_body,
        following: options.follow.is_some(),
        // What the writer's queue holds, and a few more being read or
        // judged beyond it.
        in_flight: options.queue.saturating_add(8),
    };
    let app = api::router(state);
    // The one line a supervisor or a test waits for.
    println!("listening on {local}");
    tracing::info!(%local, "gate service listening");
    crate::http::serve(listener, app, options.http, shutdown).await;
    let _ = stop.send(true);
    if let Some(follower) = follower {
        let _ = follower.await;
    }
    // Every sender is gone now: the writer drains its queue and ends.
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    tracing::info!("gate service stopped");
    Ok(())
}

/// Binds `ledger` to the stream `spec` names (refused if it follows
/// another). If the stream has no entry yet, returns the identity the
/// follower completes with the first entry's digest before it applies
/// it.
async fn bind_stream(
    ledger: &mut Ledger,
    spec: &StreamSpec,
) -> Result<Option<crate::stream::StreamIdentity>, NodeError> {
    let stream_id = ledger.state().config.stream_id;
    let spec = spec.clone();
    let found = tokio::task::spawn_blocking(move || spec.identify(stream_id))
        .await
        .map_err(StreamError::task("stream"))??;
    let kept = ledger.bind_stream(&found)?;
    Ok(kept.first.is_none().then_some(kept))
}

/// Says once, at start, if the followed directory holds files that are
/// not entries (they would be skipped without a word).
async fn warn_stray_files(log: crate::stream::DirLog) {
    let _ = tokio::task::spawn_blocking(move || log.warn_stray_files()).await;
}

/// Entries the follower hands the writer before waiting for their
/// verdicts: a gate catching up gives the writer a window to verify in one
/// batch.
const FOLLOW_WINDOW: usize = 64;

/// Feeds the writer the log's entries from `after + 1` on, in order, up
/// to [`FOLLOW_WINDOW`] at a time (the writer applies them in queue order
/// and the ledger checks each position), until told to stop. With
/// `first_unknown` (the stream was empty at start), the ledger is first
/// bound to the first entry's digest.
async fn follow(
    log: Arc<dyn StreamSource>,
    after: u64,
    mut first_unknown: Option<crate::stream::StreamIdentity>,
    queue: mpsc::Sender<writer::Request>,
    mut stop: watch::Receiver<bool>,
    metrics: Arc<metrics::Metrics>,
) {
    let mut position = after.saturating_add(1);
    let mut last_read: Option<tokio::time::Instant> = None;
    let mut settling = Settling::default();
    loop {
        if *stop.borrow() {
            return;
        }
        if last_read.is_none_or(|at| at.elapsed() >= LAST_REFRESH) {
            last_read = Some(tokio::time::Instant::now());
            metrics.set_stream_last(stream_last(&log).await);
        }
        let entries = match ready_entries(&log, position, &mut settling).await {
            Ok(entries) => entries,
            Err(error) => {
                tracing::error!(%error, position, "cannot read the stream; retrying");
                tokio::time::sleep(FOLLOW_POLL * 20).await;
                continue;
            }
        };
        if entries.is_empty() {
            tokio::select! {
                () = tokio::time::sleep(FOLLOW_POLL) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        if let Some(identity) = first_unknown.take() {
            match bind_first(&log, identity.clone(), &queue).await {
                Some(Ok(())) => {}
                Some(Err(error)) => {
                    tracing::error!(%error, "not following the stream");
                    return;
                }
                None => {
                    first_unknown = Some(identity);
                    tokio::time::sleep(FOLLOW_POLL * 20).await;
                    continue;
                }
            }
        }
        let mut answers = Vec::with_capacity(entries.len());
        for (offset, entry) in entries.into_iter().enumerate() {
            let (reply, answer) = oneshot::channel();
            let job = writer::Job::Stream {
                position: position.saturating_add(offset as u64),
                entry,
            };
            if queue.send(writer::Request { job, reply }).await.is_err() {
                return;
            }
            answers.push(answer);
        }
        for answer in answers {
            match answer.await {
                Ok(Ok(_)) => {
                    // Committed: the source may acknowledge it now.
                    let source = log.clone();
                    let applied = position;
                    let _ = tokio::task::spawn_blocking(move || source.applied(applied)).await;
                    position = position.saturating_add(1);
                }
                // The ledger knows better (a commit that landed although it
                // reported an error): resume where it says.
                Ok(Err(error)) => {
                    match &*error {
                        NodeError::OutOfOrder { expected, .. } => position = *expected,
                        _ => {
                            tracing::error!(%error, position, "stream item not applied; retrying");
                            tokio::time::sleep(FOLLOW_POLL * 20).await;
                        }
                    }
                    // Later answers of this window are out of order now.
                    break;
                }
                Err(_) => return,
            }
        }
    }
}

/// Has the writer record the digest of the stream's first entry in the
/// ledger's binding (`identity` completed), before the entry is applied.
/// `None` if it could not be read or the writer did not answer (tried
/// again); `Some(Err)` if the ledger refuses it.
async fn bind_first(
    log: &Arc<dyn StreamSource>,
    mut identity: crate::stream::StreamIdentity,
    queue: &mpsc::Sender<writer::Request>,
) -> Option<Result<(), Arc<NodeError>>> {
    let source = log.clone();
    let first = match tokio::task::spawn_blocking(move || source.raw(1)).await {
        Ok(Ok(Some(first))) => first,
        Ok(Ok(None)) => return None,
        Ok(Err(error)) => {
            tracing::error!(%error, "cannot read the stream's first entry; retrying");
            return None;
        }
        Err(_) => return None,
    };
    identity.first = Some(crate::stream::EntryDigest::of(&first));
    let (reply, answer) = oneshot::channel();
    let job = writer::Job::Bind(identity);
    queue.send(writer::Request { job, reply }).await.ok()?;
    Some(answer.await.ok()?.map(|_| ()))
}

/// The followed stream's last position, for the lag gauge; `None` if it
/// cannot be read now (the gauge is then left out rather than guessed).
async fn stream_last(log: &Arc<dyn StreamSource>) -> Option<u64> {
    let log = log.clone();
    match tokio::task::spawn_blocking(move || log.last()).await {
        Ok(Ok(last)) => Some(last),
        Ok(Err(error)) => {
            tracing::debug!(%error, "cannot read the stream's last position");
            None
        }
        Err(_) => None,
    }
}

/// The entries from `position` on that are ready to apply, up to
/// [`FOLLOW_WINDOW`]. An entry that does not decode may be a file still
/// being copied in: it ends the window, and is taken alone, as final, only
/// once `settling` says it has stopped changing
/// ([`crate::stream::settle`]).
async fn ready_entries(
    log: &Arc<dyn StreamSource>,
    position: u64,
    settling: &mut Settling,
) -> Result<Vec<crate::stream::StreamEntry>, NodeError> {
    let mut entries = Vec::new();
    while entries.len() < FOLLOW_WINDOW {
        let at = position.saturating_add(entries.len() as u64);
        let Some(entry) = read_entry(log, at).await? else {
            break;
        };
        if entry.is_well_formed() {
            entries.push(entry);
            continue;
        }
        if entries.is_empty() && settling.is_final(at, &entry, Instant::now()) {
            settling.clear();
            entries.push(entry);
        }
        break;
    }
    Ok(entries)
}

/// The entry at `position`, read off the async runtime.
async fn read_entry(
    log: &Arc<dyn StreamSource>,
    position: u64,
) -> Result<Option<crate::stream::StreamEntry>, NodeError> {
    let log = log.clone();
    tokio::task::spawn_blocking(move || log.entry(position))
        .await
        .map_err(StreamError::task("stream reader"))?
}
