//! `bulkhead`: prove exits, verify bundles, run gates, measure circuits.
//!
//! Thin by design: each command parses its arguments and calls the
//! libraries (`bulkhead-prover`, `bulkhead-verifier`, ...); this crate adds
//! terminal output, files and exit codes (0 success, 1 refused, 2 usage or
//! I/O; see [`error::CliError`]).

#![forbid(unsafe_code)]

mod cmd;
mod demo;
mod error;
mod json;
mod logging;
mod progress;
mod shape_args;
mod signer;

use std::path::PathBuf;
use std::process::ExitCode;

use bulkhead_prover::ParamsCache;
use clap::{Parser, Subcommand};

use crate::error::CliError;

#[derive(Parser)]
#[command(
    name = "bulkhead",
    version,
    about = "Zero-knowledge boundary proofs between segments"
)]
struct Cli {
    /// Parameter cache directory (default: $BULKHEAD_PARAMS_DIR or ~/.cache/bulkhead/params).
    #[arg(long, global = true)]
    params_dir: Option<PathBuf>,
    /// How logs are written to stderr: `text` (coloured only on a
    /// terminal) or `json` (one object a line). RUST_LOG picks what is
    /// logged (default warn).
    #[arg(long, global = true, value_enum, default_value_t)]
    log_format: logging::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Three segments and their gates: honest exits proven in parallel and
    /// credited, then every attack played for real and stopped.
    Demo(cmd::demo::DemoArgs),
    /// Check one bundle without any gate state: proof, exits, signatures.
    /// Exit 0 valid, 1 invalid (reason on stderr), 2 usage or I/O error.
    Verify(cmd::verify::VerifyArgs),
    /// Prove signed exit requests from a segment snapshot: writes one bundle
    /// per batch and the next snapshot (see examples/). Exit 1 if the model
    /// refuses an exit (nothing is written), 2 for usage or I/O errors.
    Prove(cmd::prove::ProveArgs),
    /// A persistent receiving gate.
    Gate(cmd::gate::GateArgs),
    /// The relayer as a service: signed exit requests in over HTTP, bundles
    /// out to the stream.
    Relay(cmd::relay::RelayArgs),
    /// The directory log of stream items a gate service follows.
    Stream(cmd::stream::StreamArgs),
    /// Write a shape's verification material for embedded verifiers
    /// (contracts, the wasm module, the web page): params.bin, key.bin,
    /// shape.json, digest.txt.
    Keys(cmd::keys::KeysArgs),
    /// A signer's Ed25519 secret key file: `key new --out FILE` makes one,
    /// `key show FILE` prints its public key and owner hash. (Not `keys`,
    /// which writes verification material.)
    Key(cmd::key::KeyArgs),
    /// Account owners: sign an exit request for `relay serve`.
    Exit(cmd::exit::ExitArgs),
    /// Validators: sign an attestation of a segment's new root.
    Attest(cmd::attest::AttestArgs),
    /// Validators or stream guardians: sign a change to a source's
    /// boundary (rule G8: tighten at once, loosen after the timelock,
    /// cancel a pending loosen, clear the automatic halving).
    Govern(cmd::govern::GovernArgs),
    /// Guardians: sign a vote to trip or release a breaker.
    Vote(cmd::vote::VoteArgs),
    /// Print the exact size of a circuit shape (rows, columns, k, proof bytes).
    Inspect(cmd::inspect::InspectArgs),
    /// Sweep shapes and thread counts: keygen, prove, verify, batch verify,
    /// throughput, the MSM floor and peak memory, each point in its own
    /// process. `--quick` covers depth 20 at 1 and 2 threads in minutes.
    Bench(cmd::bench::BenchArgs),
    /// Resident memory over a run of proofs of one shape, as JSON.
    #[command(hide = true)]
    BenchMemory(cmd::bench::BenchMemoryArgs),
    /// One point of the sweep, as JSON (what `bench` runs per point).
    #[command(hide = true)]
    BenchPoint(cmd::bench::BenchPointArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr; RUST_LOG=info (or debug) shows progress.
    logging::init(cli.log_format);
    let cache = cli
        .params_dir
        .clone()
        .map(ParamsCache::new)
        .unwrap_or_else(ParamsCache::from_env);
    let result: Result<(), CliError> = match cli.command {
        Command::Demo(args) => cmd::demo::execute(args, cache),
        Command::Verify(args) => cmd::verify::execute(args, &cache),
        Command::Prove(args) => cmd::prove::execute(args, &cache),
        Command::Gate(args) => cmd::gate::execute(args, &cache),
        Command::Relay(args) => cmd::relay::execute(args, &cache),
        Command::Stream(args) => cmd::stream::execute(args),
        Command::Keys(args) => cmd::keys::execute(args, &cache),
        Command::Key(args) => cmd::key::execute(args),
        Command::Exit(args) => cmd::exit::execute(args),
        Command::Attest(args) => cmd::attest::execute(args),
        Command::Govern(args) => cmd::govern::execute(args),
        Command::Vote(args) => cmd::vote::execute(args),
        Command::Inspect(args) => cmd::inspect::execute(args),
        Command::Bench(args) => cmd::bench::execute(args, &cache),
        Command::BenchMemory(args) => cmd::bench::memory(args, &cache),
        Command::BenchPoint(args) => cmd::bench::point(args, &cache),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let code = error.exit_code();
            if code == 1 {
                eprintln!("refused: {error}");
            } else {
                eprintln!("error: {error}");
            }
            ExitCode::from(code)
        }
    }
}
