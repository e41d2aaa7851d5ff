//! `relay serve`: the relayer as a long-running service.
//!
//! Exit requests come in over HTTP ([`api`]) and are checked against the
//! segment as it will be once every queued exit is paid, then queued
//! durably ([`store`]) by the engine, which owns the store's writing
//! connection on a thread of its own fed by one channel ([`actor`]);
//! reads answer from a connection of their own ([`reader`]). The engine
//! ([`engine`]) forms batches per lane and
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

pub mod actor;
pub mod api;
pub mod engine;
pub mod metrics;
pub mod reader;
pub mod request;
pub mod store;
pub mod watch;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_prover::{check_parallelism, ProverKeys};
use bulkhead_verifier::gate::GateConfig;
use bulkhead_verifier::VerifierKeys;

use crate::error::{NodeError, UsageError};
use crate::http::HttpLimits;
use crate::lock::StateLock;
use crate::stream::StreamSpec;
use engine::{BatchPolicy, Engine};
use metrics::RelayMetrics;
use store::RelayStore;
use watch::Watcher;

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
        // A watcher that follows fewer sources than the registry (an older
        // build's, of its own segment alone) would refuse the segment's
        // imports that every gate accepts and confirm bundles they refuse.
        let followed = crate::ledger::LedgerReader::open(&watch::watch_dir(dir))?
            .state(crate::ledger::Depth::Summary)?
            .0
            .config
            .sources
            .len();
        if followed < registry.sources.len() {
            return Err(UsageError::WatcherOutdated {
                dir: dir.to_path_buf(),
                followed,
                registered: registry.sources.len(),
            }
            .into());
        }
        return Ok(false);
    }
    let config = watch::watch_config(registry, snapshot)?;
    let own = config
        .source(snapshot.segment)
        .ok_or(UsageError::Unregistered {
            segment: snapshot.segment,
        })?;
    if keys.vk_digest() != own.vk_digest {
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
    pub fn bind_stream(&mut self, spec: &StreamSpec) -> Result<(), NodeError> {
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
/// stops on an error: the HTTP API, the engine's thread and the threads
/// that feed it ([`actor`]).
pub fn run(
    relay: Relay,
    stream: &StreamSpec,
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
    // The service's one runtime: the HTTP API, and the stream's client
    // (its connections are opened inside it, below).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(NodeError::io("tokio runtime"))?;
    let (source, sink) = {
        let _inside = runtime.enter();
        let consumer = format!("relay-{}", engine.segment());
        (
            stream.source(&consumer, watcher.position())?,
            stream.sink()?,
        )
    };
    let metrics = Arc::new(RelayMetrics::default());
    let (handle, engine_thread) = actor::start_relay(
        engine,
        watcher,
        source,
        sink,
        (keys, options.in_flight, options.threads),
        metrics,
    )?;
    let api = api::RelayApi::new(handle, options.token.map(Arc::from));
    let ended = engine_thread.ended();
    let served = runtime.block_on(async {
        let (listener, local) = crate::http::bind(options.listen).await?;
        println!("listening on {local}");
        tracing::info!(%local, dir = %dir.display(), "relay service listening");
        // The engine ending on its own (a store failure) ends the service.
        let shutdown = async move {
            tokio::select! {
                () = shutdown => {}
                () = ended => {}
            }
        };
        serve_api(listener, api, options.http, shutdown).await;
        Ok::<(), NodeError>(())
    });
    // A proof in flight is abandoned: it is made again after a restart.
    engine_thread.stop()?;
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
