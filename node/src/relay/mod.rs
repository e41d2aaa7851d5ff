//! `relay serve`: the relayer as a long-running service.
//!
//! Exit requests come in over HTTP ([`api`]) and are checked against the
//! segment as it will be once every queued exit is paid, then queued
//! durably ([`store`]). The engine ([`engine`]) forms batches per lane and
//! epoch (a full batch, or what there is once the oldest request has
//! waited out the deadline), a proving thread proves them in parallel and
//! writes each bundle atomically the moment it is proven, and the engine
//! publishes them to the stream in sequence order. A watcher ([`watch`])
//! follows the same stream with the gates' own follow rules for this
//! segment, so the relayer learns the epoch and which bundles the stream
//! took; a batch the stream refused as stale (or while it quarantined
//! the segment) is superseded and its exits planned again.
//!
//! Everything the relayer decides is committed before it acts on it, so
//! after a SIGKILL at any moment a restart rebuilds the same engine from
//! the store: no accepted exit is lost, none lands in two taken bundles,
//! and sequence numbers stay contiguous. Work in hand (a proof being made,
//! a bundle written but not yet recorded or published) is simply done
//! again; a bundle published twice is refused the second time as a replay.

pub mod api;
pub mod engine;
pub mod metrics;
pub mod store;
pub mod watch;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_prover::{check_parallelism, write_atomically, ProverKeys};
use bulkhead_verifier::gate::{GateConfig, StreamItem};
use bulkhead_verifier::VerifierKeys;
use tokio::sync::Notify;

use crate::error::{NodeError, UsageError};
use crate::http::HttpLimits;
use crate::lock::StateLock;
use crate::stream::{StreamSink, StreamSource};
use engine::{BatchPolicy, Engine, StreamView};
use metrics::RelayMetrics;
use store::RelayStore;
use watch::Watcher;

/// How long the engine and the prover wait when there is nothing to do.
const IDLE: Duration = Duration::from_millis(50);

/// How the relayer runs.
#[derive(Clone, Debug)]
pub struct RelayOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The bearer token write requests must carry; required beyond
    /// loopback.
    pub token: Option<String>,
    /// Batch formation.
    pub policy: BatchPolicy,
    /// Proofs made at once.
    pub in_flight: usize,
    /// Proving threads (0: one per core).
    pub threads: usize,
    /// Connections, and how long a client may take to send a request.
    pub http: HttpLimits,
}

/// Most exits queued at once, by default.
pub const DEFAULT_MAX_QUEUED: usize = 100_000;
/// The largest queue accepted.
pub const MAX_QUEUED: usize = 10_000_000;

impl RelayOptions {
    /// Refuses options that would expose or exhaust the service.
    pub fn validate(&self) -> Result<(), NodeError> {
        if !self.listen.ip().is_loopback() && self.token.as_deref().is_none_or(str::is_empty) {
            return Err(NodeError::Insecure {
                listen: self.listen,
                token_env: "BULKHEAD_RELAY_TOKEN",
            });
        }
        check_parallelism(self.threads, self.in_flight)?;
        if !(1..=MAX_QUEUED).contains(&self.policy.max_queued) {
            return Err(UsageError::count_out_of_range(
                "--max-queued",
                self.policy.max_queued,
                1..=MAX_QUEUED,
            )
            .into());
        }
        if !(1..=self.policy.max_queued).contains(&self.policy.max_queued_per_account) {
            let wide = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
            return Err(UsageError::PerAccountCap {
                value: wide(self.policy.max_queued_per_account),
                max_queued: wide(self.policy.max_queued),
            }
            .into());
        }
        if self.policy.deadline > Duration::from_secs(24 * 3600) {
            return Err(UsageError::DeadlineTooLong.into());
        }
        self.http.validate()
    }
}

/// The verifying keys matching a prover's (no second derivation).
pub fn verifier_keys(keys: &ProverKeys) -> Result<VerifierKeys, NodeError> {
    Ok(VerifierKeys::from_key(
        keys.shape(),
        keys.params().clone(),
        keys.verifying_key().clone(),
    )?)
}

/// Sets up a relayer in `dir` for `snapshot`'s segment, if `dir` holds
/// none yet: checks that `registry` (a gate configuration) registers the
/// segment exactly at the snapshot's state, creates the watcher, then the
/// store (whose presence marks the relayer as set up). A `dir` already
/// set up must relay the same segment; its stored state wins over the
/// snapshot (which was only its start). Returns whether it was created.
pub fn init(
    dir: &Path,
    snapshot: &Snapshot,
    registry: &GateConfig,
    keys: VerifierKeys,
) -> Result<bool, NodeError> {
    std::fs::create_dir_all(dir).map_err(NodeError::io(dir))?;
    if RelayStore::path(dir).exists() {
        let base = RelayStore::open(dir)?.base()?;
        if base.segment != snapshot.segment || base.shape != snapshot.shape {
            return Err(UsageError::OtherSegment {
                dir: dir.to_path_buf(),
                relayed: base.segment,
                given: snapshot.segment,
            }
            .into());
        }
        return Ok(false);
    }
    let config = watch::watch_config(registry, snapshot)?;
    if keys.vk_digest() != config.sources[0].vk_digest {
        return Err(UsageError::OtherVerifyingKey {
            segment: snapshot.segment,
        }
        .into());
    }
    // A watcher left by a set-up that did not finish is derived state:
    // made again.
    let watch = watch::watch_dir(dir);
    if watch.exists() {
        std::fs::remove_dir_all(&watch).map_err(NodeError::io(&watch))?;
    }
    watch::create(dir, config, keys)?;
    RelayStore::create(dir, snapshot)?;
    Ok(true)
}

/// What the HTTP handlers and the worker threads share.
pub struct Shared {
    /// The engine.
    pub engine: Mutex<Engine>,
    view: Mutex<StreamView>,
}

impl Shared {
    /// The engine, and the stream as last seen.
    pub fn new(engine: Engine, view: StreamView) -> Self {
        Self {
            engine: Mutex::new(engine),
            view: Mutex::new(view),
        }
    }

    /// The stream as the watcher last saw it.
    pub fn view(&self) -> StreamView {
        *self.view.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A relayer ready to run: its lock, engine, watcher and keys.
pub struct Relay {
    _lock: StateLock,
    dir: PathBuf,
    engine: Engine,
    watcher: Watcher,
    keys: Arc<ProverKeys>,
}

impl Relay {
    /// The segment relayed.
    pub fn segment(&self) -> u64 {
        self.engine.segment()
    }

    /// The last stream position the watcher applied (where a NATS
    /// consumer resumes).
    pub fn stream_position(&self) -> u64 {
        self.watcher.position()
    }

    /// Binds the relayer's state directory to `spec`'s stream before it
    /// follows or publishes anything: the first time it is recorded,
    /// later another stream is refused ([`NodeError::OtherStream`]).
    pub fn bind_stream(&mut self, spec: &crate::stream::StreamSpec) -> Result<(), NodeError> {
        let found = spec.identify(self.engine.stream_id())?;
        self.watcher.bind_stream(&found)
    }

    /// Opens the relayer set up in `dir`: takes the lock (a second
    /// relayer on the same directory is refused, naming the holder), then
    /// the engine and the watcher.
    pub fn open(dir: &Path, keys: Arc<ProverKeys>, policy: BatchPolicy) -> Result<Self, NodeError> {
        let lock = StateLock::acquire(dir)?;
        let engine = Engine::open(dir, policy, watch::stream_id(dir)?)?;
        if engine.shape() != keys.shape() {
            return Err(UsageError::OtherShape {
                dir: dir.to_path_buf(),
                relayed: engine.shape(),
                given: keys.shape(),
            }
            .into());
        }
        let watcher = Watcher::open(dir, engine.segment(), verifier_keys(&keys)?)?;
        Ok(Self {
            _lock: lock,
            dir: dir.to_path_buf(),
            engine,
            watcher,
            keys,
        })
    }
}

/// Runs the relayer until `shutdown` completes (the CLI passes
/// [`crate::http::shutdown_signal`]: SIGTERM or Ctrl-C) or the engine
/// fails: the HTTP API, the engine thread (watch, reconcile, batch,
/// publish) and the proving thread.
pub fn run(
    relay: Relay,
    source: Box<dyn StreamSource>,
    sink: Box<dyn StreamSink>,
    options: RelayOptions,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), NodeError> {
    options.validate()?;
    let Relay {
        _lock,
        dir,
        engine,
        watcher,
        keys,
    } = relay;
    let shared = Arc::new(Shared::new(engine, watcher.view()));
    let metrics = Arc::new(RelayMetrics::default());
    let stop = Arc::new(AtomicBool::new(false));
    let failure: Arc<Mutex<Option<NodeError>>> = Arc::new(Mutex::new(None));
    // Wakes the server when the engine fails; a permit is kept if the
    // server is not waiting yet, so the failure is never missed.
    let failed = Arc::new(Notify::new());

    let engine_thread = {
        let (shared, metrics, stop, failure, failed) = (
            shared.clone(),
            metrics.clone(),
            stop.clone(),
            failure.clone(),
            failed.clone(),
        );
        std::thread::Builder::new()
            .name("relay-engine".into())
            .spawn(move || {
                if let Err(e) = engine_loop(&shared, watcher, &*source, &*sink, &metrics, &stop) {
                    tracing::error!(error = %e, "relay engine stopped");
                    *failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                    stop.store(true, Ordering::SeqCst);
                    failed.notify_one();
                }
            })
            .map_err(NodeError::io("engine thread"))?
    };
    {
        let (shared, metrics, stop) = (shared.clone(), metrics.clone(), stop.clone());
        let (in_flight, threads) = (options.in_flight, options.threads);
        std::thread::Builder::new()
            .name("relay-prover".into())
            .spawn(move || prover_loop(&shared, &keys, in_flight, threads, &metrics, &stop))
            .map_err(NodeError::io("prover thread"))?;
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(NodeError::io("tokio runtime"))?;
    let api = api::RelayApi::new(shared, metrics, options.token.map(Arc::from));
    let served = runtime.block_on(async {
        let (listener, local) = crate::http::bind(options.listen).await?;
        println!("listening on {local}");
        tracing::info!(%local, dir = %dir.display(), "relay service listening");
        let shutdown = async move {
            tokio::select! {
                () = shutdown => {}
                () = failed.notified() => {}
            }
        };
        serve_api(listener, api, options.http, shutdown).await;
        Ok::<(), NodeError>(())
    });
    stop.store(true, Ordering::SeqCst);
    let _ = engine_thread.join();
    // A proof in flight is abandoned: it is made again after a restart.
    if let Some(e) = failure.lock().unwrap_or_else(|e| e.into_inner()).take() {
        return Err(e);
    }
    served
}

/// Serves the relayer's HTTP API on `listener` under `limits` until
/// `shutdown` completes.
pub async fn serve_api(
    listener: tokio::net::TcpListener,
    api: api::RelayApi,
    limits: HttpLimits,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    crate::http::serve(listener, api::router(api), limits, shutdown).await;
}

/// Watches the stream, reconciles, forms batches and publishes, until
/// told to stop. A store failure ends it (and the service).
fn engine_loop(
    shared: &Shared,
    mut watcher: Watcher,
    source: &dyn StreamSource,
    sink: &dyn StreamSink,
    metrics: &RelayMetrics,
    stop: &AtomicBool,
) -> Result<(), NodeError> {
    // Recovering a poisoned lock is sound: the engine's memory only
    // changes after its store commits.
    let lock = || shared.engine.lock().unwrap_or_else(|p| p.into_inner());
    while !stop.load(Ordering::SeqCst) {
        let read = match watcher.step(source) {
            Ok(read) => read,
            Err(
                e @ (NodeError::Sql(_)
                | NodeError::Poisoned
                | NodeError::Corrupt(_)
                | NodeError::OtherStream(_)),
            ) => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the stream; retrying");
                std::thread::sleep(IDLE * 20);
                false
            }
        };
        let view = watcher.view();
        *shared.view.lock().unwrap_or_else(|e| e.into_inner()) = view;
        let (formed, next) = {
            let mut engine = lock();
            let reconciled = engine.reconcile(&view)?;
            if reconciled.confirmed.0 > 0 {
                metrics.confirmed(reconciled.confirmed.0, reconciled.confirmed.1);
            }
            if reconciled.superseded.is_some() {
                metrics.superseded();
            }
            let now = store::now_ms();
            let formed = engine.form_batches(&view, now)?;
            metrics.planned(formed);
            // A halt persists until the operator acts; this pass repeats
            // every few ms, the reminder of why only with backoff.
            engine.remind_halt(now);
            let next = engine.next_to_publish(&view)?.map(|(id, bytes)| {
                let oldest = engine
                    .live()
                    .iter()
                    .find(|b| b.row.id == id)
                    .and_then(|b| b.exits.iter().map(|e| e.received_ms).min())
                    .unwrap_or_else(store::now_ms);
                (id, bytes, oldest)
            });
            (formed, next)
        };
        // Published without the lock: a slow or unreachable stream must
        // not stall requests. Only this thread publishes or supersedes, so
        // the batch is still the next one when the answer comes.
        let mut published = false;
        if let Some((id, bytes, oldest)) = next {
            match sink.publish(&StreamItem::Bundle(bytes)) {
                Ok(position) => {
                    lock().published(id, position)?;
                    metrics.published(Duration::from_millis(
                        store::now_ms().saturating_sub(oldest),
                    ));
                    tracing::info!(batch = id, position, "bundle published");
                    published = true;
                }
                Err(e) => {
                    tracing::warn!(batch = id, error = %e, "cannot publish; retrying");
                    std::thread::sleep(IDLE * 20);
                }
            }
        }
        if !read && formed == 0 && !published {
            std::thread::sleep(IDLE);
        }
    }
    Ok(())
}

/// Proves planned batches, `in_flight` at a time, writing each bundle
/// atomically as soon as its proof is made and recording it.
fn prover_loop(
    shared: &Shared,
    keys: &ProverKeys,
    in_flight: usize,
    threads: usize,
    metrics: &RelayMetrics,
    stop: &AtomicBool,
) {
    let lock = || shared.engine.lock().unwrap_or_else(|p| p.into_inner());
    while !stop.load(Ordering::SeqCst) {
        let jobs = lock().take_for_proving(in_flight);
        if jobs.is_empty() {
            std::thread::sleep(IDLE);
            continue;
        }
        let outcomes: Vec<_> = jobs.iter().map(|j| j.outcome().clone()).collect();
        let paths: Vec<PathBuf> = {
            let engine = lock();
            jobs.iter()
                .map(|j| engine.bundle_path(j.id, j.outcome().instance.first_seq))
                .collect()
        };
        let started = Instant::now();
        let proven = keys.prove_run(&outcomes, in_flight, threads, |i, proof| {
            let bundle = keys.bundle(&jobs[i].planned, proof.to_vec());
            let path = &paths[i];
            if let Err(e) = write_atomically(path, &bundle.to_bytes()) {
                tracing::error!(path = %path.display(), error = %e, "cannot write the bundle");
                return;
            }
            metrics.proven(jobs[i].planned.exits.len(), started.elapsed());
            match lock().finish_proof(jobs[i].id, path) {
                Ok(true) => {
                    tracing::info!(batch = jobs[i].id, path = %path.display(), "batch proven")
                }
                Ok(false) => {
                    tracing::info!(batch = jobs[i].id, "proof of a superseded batch dropped")
                }
                Err(e) => {
                    tracing::error!(batch = jobs[i].id, error = %e, "cannot record the proof")
                }
            }
        });
        if let Err(e) = proven {
            tracing::error!(error = %e, "proving failed; retrying");
            std::thread::sleep(IDLE * 20);
        }
        // Any batch whose bundle was not recorded is proven again.
        let ids: Vec<u64> = jobs.iter().map(|j| j.id).collect();
        lock().release(&ids);
    }
}
