//! `bulkhead bench relay`: the relayer service end to end against the
//! proving engine alone, on this machine (`bulkhead_benches::service::relay`
//! measures; this is the flags and the printing).

use bulkhead_benches::service::relay::{self, RelayBench};
use bulkhead_prover::ParamsCache;
use clap::Args;

use crate::error::CliError;
use crate::shape_args::ShapeArgs;

/// The relayer end to end.
#[derive(Args)]
pub struct RelayBenchArgs {
    #[command(flatten)]
    shape: ShapeArgs,
    /// Exits to send.
    #[arg(long, default_value_t = 256)]
    exits: u64,
    /// Exits per second; 0 sends them all at once.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// The relayer's batch deadline (ms).
    #[arg(long, default_value_t = 2000)]
    deadline_ms: u64,
    /// Proving threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Proofs in flight.
    #[arg(long, default_value_t = 2)]
    in_flight: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs the benchmark.
pub fn execute(args: RelayBenchArgs, cache: &ParamsCache) -> Result<(), CliError> {
    let bench = RelayBench {
        shape: args.shape.shape(),
        exits: args.exits,
        rate: args.rate,
        deadline_ms: args.deadline_ms,
        threads: args.threads,
        in_flight: args.in_flight,
    };
    let record = relay::run(&bench, &super::bench::this_exe()?, cache)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&record).map_err(|e| CliError::Usage(e.to_string()))?
        );
    } else {
        println!(
            "{} exits ({}), {} batches: service {:.3} exits/s, engine alone {:.3} exits/s ({:.1}% overhead); request to publication p50 {:.1} s, p99 {:.1} s, max {:.1} s",
            record.exits,
            if record.rate == 0.0 { "all at once".to_string() } else { format!("{} /s", record.rate) },
            record.batches,
            record.service_exits_per_s,
            record.engine_exits_per_s,
            100.0 * (1.0 - record.service_exits_per_s / record.engine_exits_per_s),
            record.latency_p50_s,
            record.latency_p99_s,
            record.latency_max_s,
        );
    }
    Ok(())
}
