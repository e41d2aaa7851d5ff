//! `bulkhead bench gate`: what the gate's ledger and service cost beside a
//! large history, on real TINY bundles.
//!
//! Part one applies the same stream (ticks and bundles) to ledgers that
//! already hold 10^3 and N synthetic credits, in process, and reports the
//! median time of one tick and one accepted bundle (judging and the
//! commit). Part two runs `gate serve` on the N-credit ledger and drives
//! it over loopback: items/s and the latency of `POST /v1/items` in stream
//! order, and of paged `GET /v1/credits` by recipient. Beside them: batch
//! verification per proof at B = 1, 4, 16, 64, and a gate catching up on
//! a stream already written (where the service verifies in batches).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bulkhead_node::ledger::synthetic::append_synthetic_credits;
use bulkhead_node::ledger::{Depth, Ledger, LedgerReader, Verdict};
use bulkhead_node::stream::DirLog;
use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::hex::fp_to_hex;
use bulkhead_protocol::Fp;
use bulkhead_testkit::chain::{chain, config, tick, verifier_keys, EPOCH};
use bulkhead_testkit::http;
use bulkhead_verifier::gate::StreamItem;
use clap::Args;
use serde::Serialize;

use super::bench_batch::{print_points, BatchPoint};
use crate::error::CliError;

/// Recipients the synthetic credits are spread over.
const RECIPIENTS: u64 = 1000;

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

/// Median per-item cost at one ledger size.
#[derive(Serialize)]
struct LedgerPoint {
    credits: u64,
    tick_ms: f64,
    bundle_ms: f64,
    ticks: usize,
    bundles: usize,
}

/// Latency percentiles, milliseconds.
#[derive(Serialize)]
struct Latency {
    requests: usize,
    p50_ms: f64,
    p99_ms: f64,
}

#[derive(Serialize)]
struct Report {
    ledger: Vec<LedgerPoint>,
    batch_verification: Vec<BatchPoint>,
    catch_up_items_per_s: f64,
    service_credits: u64,
    post_items_per_s: f64,
    post: Latency,
    post_bundles: Latency,
    post_ticks: Latency,
    get_credits: Latency,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentiles(mut samples: Vec<Duration>) -> Latency {
    samples.sort();
    let at = |q: usize| {
        samples
            .get((samples.len() * q / 100).min(samples.len().saturating_sub(1)))
            .copied()
            .map_or(0.0, ms)
    };
    Latency {
        requests: samples.len(),
        p50_ms: at(50),
        p99_ms: at(99),
    }
}

/// The stream: a tick, then two bundles, per epoch.
fn stream(bundles: u64) -> Vec<StreamItem> {
    let batches: Vec<(u64, u64)> = (0..bundles).map(|i| (EPOCH + i / 2, 1)).collect();
    let proven = chain(&batches);
    let mut items = Vec::new();
    for (i, bundle) in proven.iter().enumerate() {
        if i % 2 == 0 {
            items.push(tick(EPOCH + i as u64 / 2));
        }
        items.push(StreamItem::Bundle(bundle.to_bytes()));
    }
    items
}

/// A gate of segment 2 in `dir` with `credits` synthetic credits.
fn ledger_with(dir: &Path, credits: u64) -> Result<(), CliError> {
    Ledger::create(dir, config(2), vec![verifier_keys()])?;
    append_synthetic_credits(dir, credits, RECIPIENTS)?;
    Ok(())
}

fn ledger_point(dir: &Path, credits: u64, items: &[StreamItem]) -> Result<LedgerPoint, CliError> {
    ledger_with(dir, credits)?;
    let mut ledger = Ledger::open(dir, |_| Ok(Some(vec![verifier_keys()])))?;
    let (mut ticks, mut bundles) = (Vec::new(), Vec::new());
    for item in items {
        let started = Instant::now();
        let verdict = ledger.apply(item, None)?;
        let elapsed = started.elapsed();
        if let Verdict::Refused(r) = verdict {
            return Err(CliError::Usage(format!("bench stream refused: {r}")));
        }
        match item {
            StreamItem::Bundle(_) => bundles.push(elapsed),
            _ => ticks.push(elapsed),
        }
    }
    Ok(LedgerPoint {
        credits,
        tick_ms: percentiles(ticks.clone()).p50_ms,
        bundle_ms: percentiles(bundles.clone()).p50_ms,
        ticks: ticks.len(),
        bundles: bundles.len(),
    })
}

/// `check_bundles` over B of the stream's bundles, B in 1, 4, 16, 64
/// (bench_batch's measurement, on the TINY chain).
fn batch_points(items: &[StreamItem]) -> Result<Vec<BatchPoint>, CliError> {
    let bundles: Vec<Bundle> = items
        .iter()
        .filter_map(|item| match item {
            StreamItem::Bundle(bytes) => Bundle::from_bytes(bytes).ok(),
            _ => None,
        })
        .collect();
    super::bench_batch::batch_points(&bundles, &verifier_keys())
}

/// A gate started behind a stream already written (the directory log):
/// items/s until it has applied all of it.
fn catch_up(
    dir: &Path,
    params: &Path,
    credits: u64,
    items: &[StreamItem],
) -> Result<f64, CliError> {
    ledger_with(dir, credits)?;
    let log = DirLog::new(dir.join("stream"));
    for (i, item) in items.iter().enumerate() {
        log.append(item, i as u64 + 1)?;
    }
    let (mut child, _) = spawn_service(dir, params, Some(log.dir()))?;
    // Timed from the moment the service listens (keys derived).
    let started = Instant::now();
    let total = items.len() as u64;
    loop {
        let position = LedgerReader::open(dir)
            .and_then(|r| r.state(Depth::Summary))
            .map_or(0, |(_, p)| p);
        if position >= total {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            let _ = child.kill();
            return Err(CliError::Usage(
                "the gate did not catch up in 10 minutes".into(),
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    Ok(rate)
}

/// `gate serve` on `dir` (following `follow` if given), and the address
/// it listens on.
fn spawn_service(
    dir: &Path,
    params: &Path,
    follow: Option<&Path>,
) -> Result<(Child, SocketAddr), CliError> {
    let exe = std::env::current_exe().map_err(CliError::io("current executable"))?;
    let mut command = Command::new(exe);
    command
        .arg("--params-dir")
        .arg(params)
        .args(["gate", "--state"])
        .arg(dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--queue", "1024"]);
    if let Some(log) = follow {
        command.arg("--follow").arg(log);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(CliError::io("gate serve"))?;
    let line = child
        .stdout
        .take()
        .and_then(|out| BufReader::new(out).lines().next())
        .and_then(Result::ok)
        .unwrap_or_default();
    let addr = line
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| CliError::Usage(format!("gate serve did not start: {line:?}")))?;
    Ok((child, addr))
}

/// Runs the gate benchmark.
pub fn execute(args: GateBenchArgs) -> Result<(), CliError> {
    let tmp = std::env::temp_dir().join(format!("bulkhead-bench-gate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    eprintln!("proving {} TINY bundles ...", args.bundles);
    let items = stream(args.bundles);
    let mut ledger = Vec::new();
    for credits in [1_000, args.credits] {
        eprintln!("ledger with {credits} credits ...");
        ledger.push(ledger_point(
            &tmp.join(format!("ledger-{credits}")),
            credits,
            &items,
        )?);
    }

    let batch_verification = batch_points(&items)?;
    let params = std::env::temp_dir().join("bulkhead-test-params");
    let catch_up_items_per_s = catch_up(&tmp.join("catch-up"), &params, args.credits, &items)?;

    let dir = tmp.join("service");
    ledger_with(&dir, args.credits)?;
    let (mut child, addr) = spawn_service(&dir, &params, None)?;
    let (mut all, mut bundles, mut ticks) = (Vec::new(), Vec::new(), Vec::new());
    let started = Instant::now();
    for item in &items {
        let (content_type, body) = match item {
            StreamItem::Bundle(bytes) => ("application/octet-stream", bytes.clone()),
            other => (
                "application/json",
                serde_json::to_vec(&other.to_json()).map_err(|e| CliError::Usage(e.to_string()))?,
            ),
        };
        let sent = Instant::now();
        let answer = http::raw(
            addr,
            &format!("POST /v1/items HTTP/1.1\r\nContent-Type: {content_type}"),
            &body,
        )
        .map_err(CliError::io("POST /v1/items"))?;
        let elapsed = sent.elapsed();
        if answer.status != 200 {
            let _ = child.kill();
            return Err(CliError::Usage(format!(
                "service refused: {}",
                answer.text()
            )));
        }
        all.push(elapsed);
        match item {
            StreamItem::Bundle(_) => bundles.push(elapsed),
            _ => ticks.push(elapsed),
        }
    }
    let items_per_s = items.len() as f64 / started.elapsed().as_secs_f64();
    let mut reads = Vec::new();
    for i in 0..args.reads {
        let recipient = fp_to_hex(&Fp::from(i * 7919 % RECIPIENTS));
        let sent = Instant::now();
        let answer = http::raw(
            addr,
            &format!("GET /v1/credits?recipient={recipient}&limit=100 HTTP/1.1"),
            &[],
        )
        .map_err(CliError::io("GET /v1/credits"))?;
        reads.push(sent.elapsed());
        if answer.status != 200 {
            let _ = child.kill();
            return Err(CliError::Usage(format!("credits: {}", answer.text())));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&tmp);
    let report = Report {
        ledger,
        batch_verification,
        catch_up_items_per_s,
        service_credits: args.credits,
        post_items_per_s: items_per_s,
        post: percentiles(all),
        post_bundles: percentiles(bundles),
        post_ticks: percentiles(ticks),
        get_credits: percentiles(reads),
    };
    print(&report, args.json)
}

fn print(report: &Report, json: bool) -> Result<(), CliError> {
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
