//! `gate serve`: the gate as a service over its state directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use bulkhead_node::keys::gate_keys;
use bulkhead_node::ledger::Ledger;
use bulkhead_node::service::{self, max_item_bytes, ServeOptions, DEFAULT_QUEUE};
use bulkhead_node::stream::{nats, StreamSpec};
use bulkhead_node::NodeError;
use bulkhead_prover::ParamsCache;
use clap::Args;

use crate::cmd::http_limits::HttpLimitArgs;
use crate::error::CliError;

/// Flags of `gate serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on. Beyond loopback a write token is required.
    #[arg(long, default_value = "127.0.0.1:7420")]
    listen: SocketAddr,
    /// Follow the stream: a directory log of items named by position, or
    /// nats://HOST:PORT for NATS JetStream (user and password from
    /// $BULKHEAD_NATS_USER and $BULKHEAD_NATS_PASSWORD).
    #[arg(long, value_name = "STREAM")]
    follow: Option<String>,
    /// The durable NATS consumer's name; one per gate. Default:
    /// gate-SEGMENT-ID, drawn once per state directory and kept in its
    /// nats-consumer file. The server's permissions must let this gate's
    /// user use it (see examples/nats-server.conf).
    #[arg(long)]
    consumer: Option<String>,
    /// File holding the bearer token write requests must carry (else
    /// $BULKHEAD_GATE_TOKEN).
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Submissions that may wait for the writer; beyond, 503 + Retry-After.
    #[arg(long, default_value_t = DEFAULT_QUEUE)]
    queue: usize,
    #[command(flatten)]
    http: HttpLimitArgs,
}

/// Takes the lock, derives the keys once, and serves until SIGTERM.
pub fn execute(dir: &Path, args: ServeArgs, cache: &ParamsCache) -> Result<(), CliError> {
    let token = crate::cmd::read_token(args.token_file.as_deref(), "BULKHEAD_GATE_TOKEN")?;
    let mut options = ServeOptions {
        listen: args.listen,
        follow: args.follow.as_deref().map(StreamSpec::parse).transpose()?,
        consumer: args.consumer.clone().unwrap_or_default(),
        token,
        queue: args.queue,
        http: args.http.limits(),
    };
    // Refuse bad flags before the lock and the seconds of key work.
    options.validate()?;
    if let Some(name) = &args.consumer {
        nats::check_name(name).map_err(NodeError::from)?;
    }
    let mut max_body = 0;
    let ledger = Ledger::open(dir, |config| {
        let started = Instant::now();
        let keys = gate_keys(config, cache)?;
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            shapes = keys.len(),
            "verifying keys derived"
        );
        eprintln!(
            "verifying keys derived in {:.2} s",
            started.elapsed().as_secs_f64()
        );
        max_body = max_item_bytes(config, &keys);
        Ok(Some(keys))
    })?;
    if options.consumer.is_empty() && matches!(options.follow, Some(StreamSpec::Nats(_))) {
        options.consumer = nats::default_name(dir, "gate", ledger.state().config.segment)?;
    }
    Ok(service::run(
        ledger,
        max_body,
        options,
        bulkhead_node::http::shutdown_signal(),
    )?)
}
