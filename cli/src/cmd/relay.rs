//! `bulkhead relay serve`: the relayer as a service (see
//! `bulkhead_node::relay`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bulkhead_node::relay::engine::BatchPolicy;
use bulkhead_node::relay::{self, Relay, RelayOptions, DEFAULT_MAX_QUEUED};
use bulkhead_node::stream::StreamSpec;
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_prover::{ParamsCache, ProverKeys};
use bulkhead_verifier::gate::GateConfig;
use clap::{Args, Subcommand};

use crate::cmd::http_limits::HttpLimitArgs;
use crate::error::CliError;
use crate::json::read_json;

/// The relayer.
#[derive(Args)]
pub struct RelayArgs {
    #[command(subcommand)]
    action: RelayAction,
}

#[derive(Subcommand)]
enum RelayAction {
    /// Take signed exit requests over HTTP into a durable queue, prove
    /// them in batches and publish the bundles to the stream, until
    /// SIGTERM. Resumes where it stopped after any crash.
    Serve(ServeArgs),
}

/// Flags of `relay serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The segment's snapshot (JSON, e.g. examples/segment.json): the
    /// relayer's starting state on its first run. Later runs continue from
    /// the state directory and only check it names the same segment.
    #[arg(long)]
    segment: PathBuf,
    /// A gate configuration registering the segment (JSON, e.g.
    /// examples/gate-config.json): the stream's clock, guardians and the
    /// segment's registration, which the relayer follows like a gate.
    #[arg(long)]
    registry: PathBuf,
    /// The relayer's state directory (queue, batches, bundles).
    #[arg(long)]
    state: PathBuf,
    /// Address to listen on. Beyond loopback a write token is required.
    #[arg(long, default_value = "127.0.0.1:7430")]
    listen: SocketAddr,
    /// The stream to publish to and follow: a directory log, or
    /// nats://HOST:PORT for NATS JetStream (user and password from
    /// $BULKHEAD_NATS_USER and $BULKHEAD_NATS_PASSWORD; see the README).
    #[arg(long, value_name = "STREAM")]
    publish: String,
    /// A lane with fewer than a full batch waiting proves what it has once
    /// its oldest request has waited this long (ms) and the prover is idle
    /// (while it is busy, the batch keeps filling).
    #[arg(long, default_value_t = 2000)]
    deadline_ms: u64,
    /// Most exits queued at once; beyond, requests get 503.
    #[arg(long, default_value_t = DEFAULT_MAX_QUEUED)]
    max_queued: usize,
    /// Most exits one account may have queued at once; beyond, its
    /// requests get 429 while other accounts' still get in (default: a
    /// sixty-fourth of --max-queued, at least 1).
    #[arg(long)]
    max_queued_per_account: Option<usize>,
    /// Proofs made at once (1 to 64).
    #[arg(long, default_value_t = 2)]
    in_flight: usize,
    /// Proving threads (0 = one per core; at most 4 per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// File holding the bearer token write requests must carry (else
    /// $BULKHEAD_RELAY_TOKEN).
    #[arg(long)]
    token_file: Option<PathBuf>,
    #[command(flatten)]
    http: HttpLimitArgs,
}

/// Runs `relay`.
pub fn execute(args: RelayArgs, cache: &ParamsCache) -> Result<(), CliError> {
    match args.action {
        RelayAction::Serve(args) => serve(args, cache),
    }
}

fn serve(args: ServeArgs, cache: &ParamsCache) -> Result<(), CliError> {
    let token = crate::cmd::read_token(args.token_file.as_deref(), "BULKHEAD_RELAY_TOKEN")?;
    let options = RelayOptions {
        listen: args.listen,
        token,
        policy: BatchPolicy {
            deadline: Duration::from_millis(args.deadline_ms),
            max_queued: args.max_queued,
            max_queued_per_account: args
                .max_queued_per_account
                .unwrap_or_else(|| BatchPolicy::default_share(args.max_queued)),
        },
        in_flight: args.in_flight,
        threads: args.threads,
        http: args.http.limits(),
    };
    // Bad flags and files are refused before the seconds of key work.
    options.validate()?;
    let snapshot: Snapshot = read_json(&args.segment)?;
    let registry: GateConfig = read_json(&args.registry)?;
    let stream = StreamSpec::parse(&args.publish)?;
    let started = Instant::now();
    let keys = Arc::new(ProverKeys::load(snapshot.shape, cache)?);
    eprintln!(
        "proving keys derived in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    if relay::init(
        &args.state,
        &snapshot,
        &registry,
        relay::verifier_keys(&keys)?,
    )? {
        eprintln!(
            "relaying segment {} from {} into {}",
            snapshot.segment,
            args.segment.display(),
            args.state.display()
        );
    }
    let mut relay = Relay::open(&args.state, keys, options.policy)?;
    // Refused here, before a consumer is made or anything published, if
    // the state directory follows another stream.
    relay.bind_stream(&stream)?;
    Ok(relay::run(
        relay,
        &stream,
        options,
        bulkhead_node::http::shutdown_signal(),
    )?)
}
