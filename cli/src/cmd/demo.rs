//! `bulkhead demo`: three segments and their gates, honest exits proven in
//! parallel and credited, then every attack played for real and stopped.

use std::path::PathBuf;

use bulkhead_prover::ParamsCache;
use clap::Args;

use crate::demo::{self, DemoOptions};
use crate::error::CliError;
use crate::shape_args::ShapeArgs;

/// Demo settings on the command line.
#[derive(Args)]
pub struct DemoArgs {
    #[command(flatten)]
    shape: ShapeArgs,
    /// Seed of every key in the demo.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Leave the stream as a directory log in DIR/stream (what `gate serve
    /// --follow` reads) and each gate's configuration and ledger export in
    /// DIR/gates/<segment>.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Proofs in flight at once; they share the proving threads. Two in
    /// flight gave the best throughput on 2 cores (1.93x one thread).
    #[arg(long, default_value_t = 2)]
    in_flight: usize,
    /// Threads for proving, shared by all proofs in flight (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

/// Runs the demo and prints its report; exit 1 if any honest step failed
/// or any attack got through.
pub fn execute(args: DemoArgs, cache: ParamsCache) -> Result<(), CliError> {
    let shape = args.shape.shape();
    shape.validate()?;
    super::check_proving_flags(args.threads, args.in_flight)?;
    let (report, ok) = demo::run(DemoOptions {
        shape,
        seed: args.seed,
        out: args.out,
        cache,
        in_flight: args.in_flight,
        threads: args.threads,
    })?;
    println!("{report}");
    if ok {
        Ok(())
    } else {
        Err(CliError::DemoFailed)
    }
}
