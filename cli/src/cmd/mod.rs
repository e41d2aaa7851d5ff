//! One module per command: its clap arguments beside its handler.

pub mod attest;
pub mod bench;
pub mod bench_batch;
pub mod bench_gate;
pub mod bench_relay;
pub mod demo;
pub mod exit;
pub mod gate;
pub mod govern;
pub mod http_limits;
pub mod inspect;
pub mod key;
pub mod keys;
pub mod prove;
pub mod relay;
pub mod stream;
pub mod verify;
pub mod vote;

use std::path::Path;

use crate::error::CliError;

/// A service's bearer token: from `file` if given, else from the
/// environment variable `var`; empty means none.
pub fn read_token(file: Option<&Path>, var: &str) -> Result<Option<String>, CliError> {
    let token = match file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(CliError::io(path))?
                .trim()
                .to_owned(),
        ),
        None => std::env::var(var).ok(),
    };
    Ok(token.filter(|t| !t.is_empty()))
}

/// Checks `--threads` and `--in-flight` before any work, as a usage error
/// whose hint is about the flag that is wrong.
pub fn check_proving_flags(threads: usize, in_flight: usize) -> Result<(), CliError> {
    bulkhead_prover::check_parallelism(threads, in_flight).map_err(|e| {
        let hint = match e {
            bulkhead_prover::ProverError::Parallelism {
                what: "threads", ..
            } => " (--threads 0 means one per core)",
            _ => "",
        };
        CliError::Usage(format!("{e}{hint}"))
    })
}
