//! What the gate's ledger and service cost beside a large history, on
//! real TINY bundles.
//!
//! Part one applies the same stream (ticks and bundles) to ledgers that
//! already hold 10^3 and N synthetic credits, in process, and reports the
//! median time of one tick and one accepted bundle (judging and the
//! commit). Part two runs `gate serve` on the N-credit ledger and drives
//! it over loopback: items/s and the latency of `POST /v1/items` in stream
//! order, and of paged `GET /v1/credits` by recipient. Beside them: batch
//! verification per proof at B = 1, 4, 16, 64, and a gate catching up on
//! a stream already written (where the service verifies in batches).

use std::fmt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use bulkhead_node::ledger::{Depth, Ledger, LedgerReader, Verdict};
use bulkhead_node::stream::DirLog;
use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::hex::fp_to_hex;
use bulkhead_protocol::Fp;
use bulkhead_testkit::chain::{chain, config, tick, verifier_keys, EPOCH};
use bulkhead_testkit::http;
use bulkhead_verifier::gate::StreamItem;
use serde::Serialize;

use super::batch::{batch_points, BatchPoint};
use super::Service;
use crate::stats::ms;
use crate::synthetic::append_synthetic_credits;
use crate::BenchError;

/// Recipients the synthetic credits are spread over.
const RECIPIENTS: u64 = 1000;

/// Credits in the small ledger.
const SMALL_LEDGER: u64 = 1_000;

/// How long a gate may take to catch up on the bench's stream.
const CATCH_UP_PATIENCE: Duration = Duration::from_secs(600);

/// What to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateBench {
    /// Credits already in the ledger at the large point (the small one
    /// has 1,000).
    pub credits: u64,
    /// Real TINY bundles in the stream (two per epoch, a tick before each
    /// pair).
    pub bundles: u64,
    /// `GET /v1/credits` requests timed.
    pub reads: u64,
}

/// Where the bench is, for a progress line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateStep {
    /// Proving the stream's bundles.
    Proving(u64),
    /// Measuring a ledger of this many credits.
    Ledger(u64),
}

impl fmt::Display for GateStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GateStep::Proving(bundles) => write!(f, "proving {bundles} TINY bundles ..."),
            GateStep::Ledger(credits) => write!(f, "ledger with {credits} credits ..."),
        }
    }
}

/// Median per-item cost at one ledger size.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LedgerPoint {
    /// Credits in the ledger before the stream.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub credits: u64,
    /// Median time to apply one tick.
    pub tick_ms: f64,
    /// Median time to apply one bundle.
    pub bundle_ms: f64,
    /// Ticks applied.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub ticks: usize,
    /// Bundles applied.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub bundles: usize,
}

/// Latency percentiles, milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Latency {
    /// Requests timed.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub requests: usize,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
}

/// What one run of the gate bench measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GateReport {
    /// The in-process ledger at 1,000 and at N credits.
    pub ledger: Vec<LedgerPoint>,
    /// Batch verification of the stream's bundles.
    pub batch_verification: Vec<BatchPoint>,
    /// Items per second of a gate catching up on the stream.
    pub catch_up_items_per_s: f64,
    /// Credits in the served ledger.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub service_credits: u64,
    /// Items per second posted in stream order.
    pub post_items_per_s: f64,
    /// `POST /v1/items`, every item.
    pub post: Latency,
    /// `POST /v1/items`, bundles.
    pub post_bundles: Latency,
    /// `POST /v1/items`, ticks.
    pub post_ticks: Latency,
    /// `GET /v1/credits`, pages of 100 by recipient.
    pub get_credits: Latency,
}

/// The 50th and 99th percentiles of `samples`.
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
fn ledger_with(dir: &Path, credits: u64) -> Result<(), BenchError> {
    Ledger::create(dir, config(2), vec![verifier_keys()])?;
    append_synthetic_credits(dir, credits, RECIPIENTS)
}

fn ledger_point(dir: &Path, credits: u64, items: &[StreamItem]) -> Result<LedgerPoint, BenchError> {
    ledger_with(dir, credits)?;
    let mut ledger = Ledger::open(dir, |_| Ok(Some(vec![verifier_keys()])))?;
    let (mut ticks, mut bundles) = (Vec::new(), Vec::new());
    for item in items {
        let started = Instant::now();
        let verdict = ledger.apply(item, None)?;
        let elapsed = started.elapsed();
        if let Verdict::Refused(r) = verdict {
            return Err(BenchError::StreamRefused(r));
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

/// `check_bundles` over B of the stream's bundles, B in 1, 4, 16, 64.
fn stream_batch_points(items: &[StreamItem]) -> Result<Vec<BatchPoint>, BenchError> {
    let bundles: Vec<Bundle> = items
        .iter()
        .filter_map(|item| match item {
            StreamItem::Bundle(bytes) => Bundle::from_bytes(bytes).ok(),
            _ => None,
        })
        .collect();
    batch_points(&bundles, &verifier_keys())
}

/// `EXE gate serve` on `dir` (following `follow` if given).
fn spawn_service(
    exe: &Path,
    dir: &Path,
    params: &Path,
    follow: Option<&Path>,
) -> Result<Service, BenchError> {
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
    Service::spawn(command, "gate serve")
}

/// A gate started behind a stream already written (the directory log):
/// items/s until it has applied all of it.
fn catch_up(
    exe: &Path,
    dir: &Path,
    params: &Path,
    credits: u64,
    items: &[StreamItem],
) -> Result<f64, BenchError> {
    ledger_with(dir, credits)?;
    let log = DirLog::new(dir.join("stream"));
    for (i, item) in items.iter().enumerate() {
        log.append(item, i as u64 + 1)?;
    }
    let _service = spawn_service(exe, dir, params, Some(log.dir()))?;
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
        if started.elapsed() > CATCH_UP_PATIENCE {
            return Err(BenchError::CatchUp(CATCH_UP_PATIENCE.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// The served ledger driven over loopback: every item posted in stream
/// order, then `reads` pages of credits.
fn drive_service(
    service: &Service,
    items: &[StreamItem],
    reads: u64,
) -> Result<(f64, [Latency; 4]), BenchError> {
    let (mut all, mut bundles, mut ticks) = (Vec::new(), Vec::new(), Vec::new());
    let started = Instant::now();
    for item in items {
        let (content_type, body) = match item {
            StreamItem::Bundle(bytes) => ("application/octet-stream", bytes.clone()),
            other => (
                "application/json",
                serde_json::to_vec(&other.to_json()).map_err(BenchError::json("stream item"))?,
            ),
        };
        let sent = Instant::now();
        let answer = http::raw(
            service.addr,
            &format!("POST /v1/items HTTP/1.1\r\nContent-Type: {content_type}"),
            &body,
        )
        .map_err(BenchError::io("POST /v1/items"))?;
        let elapsed = sent.elapsed();
        if answer.status != 200 {
            return Err(BenchError::Answered {
                request: "POST /v1/items".into(),
                status: answer.status,
                body: answer.text(),
            });
        }
        all.push(elapsed);
        match item {
            StreamItem::Bundle(_) => bundles.push(elapsed),
            _ => ticks.push(elapsed),
        }
    }
    let items_per_s = items.len() as f64 / started.elapsed().as_secs_f64();
    let mut pages = Vec::new();
    for i in 0..reads {
        let recipient = fp_to_hex(&Fp::from(i * 7919 % RECIPIENTS));
        let request = format!("GET /v1/credits?recipient={recipient}&limit=100");
        let sent = Instant::now();
        let answer = http::raw(service.addr, &format!("{request} HTTP/1.1"), &[])
            .map_err(BenchError::io("GET /v1/credits"))?;
        pages.push(sent.elapsed());
        if answer.status != 200 {
            return Err(BenchError::Answered {
                request,
                status: answer.status,
                body: answer.text(),
            });
        }
    }
    Ok((
        items_per_s,
        [
            percentiles(all),
            percentiles(bundles),
            percentiles(ticks),
            percentiles(pages),
        ],
    ))
}

/// Runs the gate benchmark with the `bulkhead` binary at `exe`, in a
/// scratch directory it removes afterwards; `on_step` hears where it is.
pub fn run(
    bench: GateBench,
    exe: &Path,
    mut on_step: impl FnMut(GateStep),
) -> Result<GateReport, BenchError> {
    let tmp = std::env::temp_dir().join(format!("bulkhead-bench-gate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let report = measure(bench, exe, &tmp, &mut on_step);
    let _ = std::fs::remove_dir_all(&tmp);
    report
}

fn measure(
    bench: GateBench,
    exe: &Path,
    tmp: &Path,
    on_step: &mut impl FnMut(GateStep),
) -> Result<GateReport, BenchError> {
    on_step(GateStep::Proving(bench.bundles));
    let items = stream(bench.bundles);
    let mut ledger = Vec::new();
    for credits in [SMALL_LEDGER, bench.credits] {
        on_step(GateStep::Ledger(credits));
        ledger.push(ledger_point(
            &tmp.join(format!("ledger-{credits}")),
            credits,
            &items,
        )?);
    }

    let batch_verification = stream_batch_points(&items)?;
    // The services share the tests' parameter cache: TINY's parameters
    // are there already when the tests have run.
    let params = std::env::temp_dir().join("bulkhead-test-params");
    let catch_up_items_per_s =
        catch_up(exe, &tmp.join("catch-up"), &params, bench.credits, &items)?;

    let dir = tmp.join("service");
    ledger_with(&dir, bench.credits)?;
    let service = spawn_service(exe, &dir, &params, None)?;
    let (post_items_per_s, [post, post_bundles, post_ticks, get_credits]) =
        drive_service(&service, &items, bench.reads)?;
    drop(service);
    Ok(GateReport {
        ledger,
        batch_verification,
        catch_up_items_per_s,
        service_credits: bench.credits,
        post_items_per_s,
        post,
        post_bundles,
        post_ticks,
        get_credits,
    })
}
