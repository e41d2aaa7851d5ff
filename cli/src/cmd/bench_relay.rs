//! `bulkhead bench relay`: the relayer service end to end against the
//! proving engine alone, on this machine.
//!
//! A `relay serve` child process (its own keys, its own threads) over a
//! directory log gets `--exits` signed exits over HTTP, all at once
//! (`--rate 0`: throughput) or at a steady rate (latency). When the last
//! bundle is published the relayer is stopped and its store gives, per
//! exit, the time from its request to the publication of its bundle
//! (p50, p99) and the end-to-end rate. The engine alone then proves the
//! same number of full batches with the same threads and proofs in
//! flight, in this process: the difference is the service's overhead
//! (HTTP, SQLite, batching, the watcher's verification, publication).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bulkhead_node::relay::store::RelayStore;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_prover::{plan_signed_run, ParamsCache, ProverKeys};
use bulkhead_testkit::gate::{gate_config, tick};
use bulkhead_testkit::sample::{ASSET, EPOCH, OTHER_ASSET};
use bulkhead_testkit::signed::{exit_request_json, segment, sign_run};
use bulkhead_testkit::{http, sample};
use clap::Args;
use serde::Serialize;

use crate::error::CliError;
use crate::shape_args::ShapeArgs;

const SEED: u64 = 11;

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

/// What one run measured.
#[derive(Serialize)]
pub struct RelayBench {
    /// Exits sent.
    pub exits: u64,
    /// Their rate (0: all at once).
    pub rate: f64,
    /// Batches the relayer published (superseded ones included).
    pub batches: u64,
    /// Exits per second from the first request to the last publication.
    pub service_exits_per_s: f64,
    /// Request to publication of the exit's bundle, median (s).
    pub latency_p50_s: f64,
    /// The same, 99th percentile (s).
    pub latency_p99_s: f64,
    /// The same, worst (s).
    pub latency_max_s: f64,
    /// The engine alone on full batches of the same count (exits/s).
    pub engine_exits_per_s: f64,
}

struct Child_ {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Child_ {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn usage(e: impl std::fmt::Display) -> CliError {
    CliError::Usage(e.to_string())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Runs the benchmark.
pub fn execute(args: RelayBenchArgs, cache: &ParamsCache) -> Result<(), CliError> {
    if !(args.rate >= 0.0 && args.rate.is_finite()) || args.exits == 0 {
        return Err(usage("--rate must be >= 0 and --exits > 0"));
    }
    let shape = args.shape.shape();
    let keys = ProverKeys::load(shape, cache)?;
    let root = std::env::temp_dir().join(format!("bulkhead-bench-relay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).map_err(CliError::io(&root))?;
    let result = run(&args, &keys, &root, cache);
    let _ = std::fs::remove_dir_all(&root);
    let record = result?;
    if args.json {
        println!("{}", serde_json::to_string(&record).map_err(usage)?);
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

fn run(
    args: &RelayBenchArgs,
    keys: &ProverKeys,
    root: &Path,
    cache: &ParamsCache,
) -> Result<RelayBench, CliError> {
    let shape = keys.shape();
    let state = segment(SEED, 1, &shape)?;
    let snapshot = root.join("segment.json");
    std::fs::write(
        &snapshot,
        serde_json::to_vec(&Snapshot::from_state(&state, shape)).map_err(usage)?,
    )
    .map_err(CliError::io(&snapshot))?;
    let genesis = [(1, state.clone())].into_iter().collect();
    let registry = root.join("registry.json");
    std::fs::write(
        &registry,
        serde_json::to_vec(&gate_config(SEED, 2, shape, keys.vk_digest(), &genesis))
            .map_err(usage)?,
    )
    .map_err(CliError::io(&registry))?;
    let stream = root.join("stream");
    bulkhead_node::stream::DirLog::new(&stream).append(&tick(SEED, EPOCH), 1)?;
    let state_dir = root.join("relay");

    let relayer = spawn_relay(args, cache, &snapshot, &registry, &state_dir, &stream)?;
    // Accounts 0..8 in turn, one unit each, on lane (2, their asset).
    let mut nonces = [0u64; sample::ACCOUNTS as usize];
    let started = Instant::now();
    for i in 0..args.exits {
        if args.rate > 0.0 {
            let due = Duration::from_secs_f64(i as f64 / args.rate);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let account = i % sample::ACCOUNTS;
        let asset = if account.is_multiple_of(2) {
            ASSET
        } else {
            OTHER_ASSET
        };
        let body = exit_request_json(
            SEED,
            1,
            2,
            asset,
            account,
            nonces[account as usize],
            Fp::from(1_000_000 + i),
            1,
        );
        let answer = http::post(
            relayer.addr,
            "/v1/exits",
            "application/json",
            "",
            &serde_json::to_vec(&body).map_err(usage)?,
        );
        if answer.status != 202 {
            return Err(usage(format!("request {i} refused: {}", answer.text())));
        }
        nonces[account as usize] += 1;
    }
    // Until the last bundle is published.
    loop {
        let status = http::get(relayer.addr, "/v1/status").json();
        let busy = ["planned", "proven"]
            .iter()
            .any(|s| status["batches"].get(*s).is_some());
        if status["queued"] == "0" && !busy {
            break;
        }
        if let Some(halted) = status["halted"].as_str() {
            return Err(usage(format!("the relayer halted: {halted}")));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    drop(relayer);
    let store = RelayStore::open(&state_dir)?;
    let publications = store.publications()?;
    let mut latencies: Vec<f64> = publications
        .iter()
        .map(|(received, published)| published.saturating_sub(*received) as f64 / 1000.0)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let first = publications.iter().map(|p| p.0).min().unwrap_or(0);
    let last = publications.iter().map(|p| p.1).max().unwrap_or(0);
    let span = (last.saturating_sub(first) as f64 / 1000.0).max(f64::EPSILON);
    let batches = store
        .batch_counts()?
        .into_iter()
        .filter(|(s, _)| s != "planned" && s != "proven")
        .map(|(_, n)| n)
        .sum();

    // The engine alone: the same number of full batches, same flags.
    let full = args.exits.div_ceil(u64::from(shape.batch_size)) as usize;
    let requests: Vec<_> = (0..full)
        .map(|_| sample::full_batch(shape.batch_size))
        .collect();
    let mut scratch = state.clone();
    let signed = sign_run(SEED, &shape, 1, &scratch, &requests);
    let planned = plan_signed_run(&mut scratch, &signed, &shape)?;
    let outcomes: Vec<_> = planned.iter().map(|p| p.outcome.clone()).collect();
    let proving = Instant::now();
    keys.prove_run(&outcomes, args.in_flight, args.threads, |_, _| {})?;
    let engine = (full as f64 * f64::from(shape.batch_size)) / proving.elapsed().as_secs_f64();

    Ok(RelayBench {
        exits: args.exits,
        rate: args.rate,
        batches,
        service_exits_per_s: publications.len() as f64 / span,
        latency_p50_s: percentile(&latencies, 0.5),
        latency_p99_s: percentile(&latencies, 0.99),
        latency_max_s: latencies.last().copied().unwrap_or(0.0),
        engine_exits_per_s: engine,
    })
}

fn spawn_relay(
    args: &RelayBenchArgs,
    cache: &ParamsCache,
    snapshot: &Path,
    registry: &Path,
    state: &Path,
    stream: &Path,
) -> Result<Child_, CliError> {
    let exe: PathBuf = std::env::current_exe().map_err(usage)?;
    let mut child = Command::new(exe)
        .arg("--params-dir")
        .arg(cache.dir())
        .args(["relay", "serve", "--segment"])
        .arg(snapshot)
        .arg("--registry")
        .arg(registry)
        .arg("--state")
        .arg(state)
        .arg("--publish")
        .arg(stream)
        .args(["--listen", "127.0.0.1:0"])
        .args(["--deadline-ms", &args.deadline_ms.to_string()])
        .args(["--threads", &args.threads.to_string()])
        .args(["--in-flight", &args.in_flight.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(usage)?;
    let stdout = child.stdout.take().ok_or_else(|| usage("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| usage("relay serve exited before listening"))?;
    std::thread::spawn(move || lines.for_each(drop));
    let addr = line
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| usage(format!("relay serve said {line:?}")))?;
    Ok(Child_ { child, addr })
}
