//! `bulkhead bench gate`: what the gate's ledger and service cost beside a
//! large history, on real TINY bundles (`bulkhead_benches::service::gate`
//! measures; this is the flags and the printing).

use bulkhead_benches::service::gate::{self, GateBench, GateReport, Latency};
use clap::Args;

use super::bench_batch::print_points;
use crate::error::CliError;

/// Flags of `bench gate`.
#[derive(Args)]
pub struct GateBenchArgs {
    /// Credits already in the ledger at the large point (the small one
    /// has 1,000).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1_000..=100_000_000))]
    credits: u64,
    /// Real TINY bundles in the stream (two per epoch, a tick before each
    /// pair).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(2..=64))]
    bundles: u64,
    /// `GET /v1/credits` requests timed.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(10..=1_000_000))]
    reads: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the gate benchmark.
pub fn execute(args: GateBenchArgs) -> Result<(), CliError> {
    let bench = GateBench {
        credits: args.credits,
        bundles: args.bundles,
        reads: args.reads,
    };
    let report = gate::run(bench, &super::bench::this_exe()?, |step| {
        eprintln!("{step}")
    })?;
    print(&report, args.json)
}

fn print(report: &GateReport, json: bool) -> Result<(), CliError> {
    if json {
        let text =
            serde_json::to_string_pretty(report).map_err(|e| CliError::Usage(e.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    println!("batch verification (check_bundles, TINY, median of 3):");
    print_points(&report.batch_verification);
    println!(
        "a gate catching up on its stream (--follow, batches of waiting bundles): {:.1} items/s",
        report.catch_up_items_per_s
    );
    println!("ledger: one item, judged and committed in one transaction (medians)");
    println!("  credits in ledger |  tick ms | bundle ms");
    for p in &report.ledger {
        println!(
            "  {:>17} | {:>8.3} | {:>9.3}",
            p.credits, p.tick_ms, p.bundle_ms
        );
    }
    println!(
        "service over loopback, ledger at {} credits:",
        report.service_credits
    );
    let line = |name: &str, l: &Latency| {
        println!(
            "  {name:<26} {:>6} requests  p50 {:>8.3} ms  p99 {:>8.3} ms",
            l.requests, l.p50_ms, l.p99_ms
        )
    };
    line("POST /v1/items (all)", &report.post);
    line("POST /v1/items (bundles)", &report.post_bundles);
    line("POST /v1/items (ticks)", &report.post_ticks);
    line("GET /v1/credits (page 100)", &report.get_credits);
    println!("  items/s in stream order: {:.1}", report.post_items_per_s);
    Ok(())
}
