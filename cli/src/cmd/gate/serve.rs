//! `gate serve`: the gate as a service over its state directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use bulkhead_node::keys::gate_keys;
use bulkhead_node::ledger::Ledger;
use bulkhead_node::service::{self, max_item_bytes, ServeOptions, DEFAULT_QUEUE};
use bulkhead_prover::ParamsCache;
use clap::Args;

use crate::error::CliError;

/// Flags of `gate serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on. Beyond loopback a write token is required.
    #[arg(long, default_value = "127.0.0.1:7420")]
    listen: SocketAddr,
    /// Follow a directory log of stream items (files named by position).
    #[arg(long)]
    follow: Option<PathBuf>,
    /// File holding the bearer token write requests must carry (else
    /// $BULKHEAD_GATE_TOKEN).
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Submissions that may wait for the writer; beyond, 503 + Retry-After.
    #[arg(long, default_value_t = DEFAULT_QUEUE)]
    queue: usize,
}

/// Takes the lock, derives the keys once, and serves until SIGTERM.
pub fn execute(dir: &Path, args: ServeArgs, cache: &ParamsCache) -> Result<(), CliError> {
    let token = match &args.token_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(CliError::io(path))?
                .trim()
                .to_owned(),
        ),
        None => std::env::var("BULKHEAD_GATE_TOKEN").ok(),
    }
    .filter(|t| !t.is_empty());
    let options = ServeOptions {
        listen: args.listen,
        follow: args.follow,
        token,
        queue: args.queue,
    };
    // Refuse bad flags before the lock and the seconds of key work.
    options.validate()?;
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
    Ok(service::run(ledger, max_body, options)?)
}
