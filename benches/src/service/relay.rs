//! The relayer service end to end against the proving engine alone, on
//! this machine.
//!
//! A `relay serve` child process (its own keys, its own threads) over a
//! directory log gets `exits` signed exits over HTTP, all at once
//! (`rate` 0: throughput) or at a steady rate (latency). When the last
//! bundle is published the relayer is stopped and its store gives, per
//! exit, the time from its request to the publication of its bundle
//! (p50, p99) and the end-to-end rate. The engine alone then proves the
//! same number of full batches with the same threads and proofs in
//! flight, in this process: the difference is the service's overhead
//! (HTTP, SQLite, batching, the watcher's verification, publication).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use bulkhead_node::relay::store::RelayStore;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{plan_signed_run, ParamsCache, ProverKeys};
use bulkhead_testkit::gate::{gate_config, tick};
use bulkhead_testkit::sample::{ASSET, EPOCH, OTHER_ASSET};
use bulkhead_testkit::signed::{exit_request_json, segment, sign_run};
use bulkhead_testkit::{http, sample};
use serde::Serialize;

use super::Service;
use crate::BenchError;

const SEED: u64 = 11;

/// What to run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RelayBench {
    /// The circuit shape the relayer proves.
    pub shape: CircuitShape,
    /// Exits to send.
    pub exits: u64,
    /// Exits per second; 0 sends them all at once.
    pub rate: f64,
    /// The relayer's batch deadline (ms).
    pub deadline_ms: u64,
    /// Proving threads (0 = one per core).
    pub threads: usize,
    /// Proofs in flight.
    pub in_flight: usize,
}

/// What one run measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RelayRecord {
    /// Exits sent.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub exits: u64,
    /// Their rate (0: all at once).
    pub rate: f64,
    /// Batches the relayer published (superseded ones included).
    #[serde(with = "bulkhead_protocol::decimal")]
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

/// The value at quantile `p` of `sorted` (nearest rank); 0 if empty.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Runs the benchmark with the `bulkhead` binary at `exe`, keys and
/// parameters from `cache`, in a scratch directory it removes afterwards.
pub fn run(args: &RelayBench, exe: &Path, cache: &ParamsCache) -> Result<RelayRecord, BenchError> {
    if !(args.rate >= 0.0 && args.rate.is_finite()) || args.exits == 0 {
        return Err(BenchError::Arguments("--rate must be >= 0 and --exits > 0"));
    }
    let keys = ProverKeys::load(args.shape, cache)?;
    let root = std::env::temp_dir().join(format!("bulkhead-bench-relay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).map_err(BenchError::io(&root))?;
    let result = measure(args, exe, &keys, &root, cache);
    let _ = std::fs::remove_dir_all(&root);
    result
}

fn measure(
    args: &RelayBench,
    exe: &Path,
    keys: &ProverKeys,
    root: &Path,
    cache: &ParamsCache,
) -> Result<RelayRecord, BenchError> {
    let shape = keys.shape();
    let state = segment(SEED, 1, &shape)?;
    let snapshot = root.join("segment.json");
    std::fs::write(
        &snapshot,
        serde_json::to_vec(&Snapshot::from_state(&state, shape))
            .map_err(BenchError::json("segment snapshot"))?,
    )
    .map_err(BenchError::io(&snapshot))?;
    let genesis = [(1, state.clone())].into_iter().collect();
    let registry = root.join("registry.json");
    std::fs::write(
        &registry,
        serde_json::to_vec(&gate_config(SEED, 2, shape, keys.vk_digest(), &genesis))
            .map_err(BenchError::json("registry"))?,
    )
    .map_err(BenchError::io(&registry))?;
    let stream = root.join("stream");
    bulkhead_node::stream::DirLog::new(&stream).append(&tick(SEED, EPOCH), 1)?;
    let state_dir = root.join("relay");

    let relayer = spawn_relay(args, exe, cache, &snapshot, &registry, &state_dir, &stream)?;
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
            &serde_json::to_vec(&body).map_err(BenchError::json("exit request"))?,
        );
        if answer.status != 202 {
            return Err(BenchError::Answered {
                request: format!("POST /v1/exits (exit {i})"),
                status: answer.status,
                body: answer.text(),
            });
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
        if status["halted"].is_string() {
            return Err(BenchError::RelayHalted(status["halted"].clone()));
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

    Ok(RelayRecord {
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
    args: &RelayBench,
    exe: &Path,
    cache: &ParamsCache,
    snapshot: &Path,
    registry: &Path,
    state: &Path,
    stream: &Path,
) -> Result<Service, BenchError> {
    let mut command = Command::new(exe);
    command
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
        .args(["--in-flight", &args.in_flight.to_string()]);
    Service::spawn(command, "relay serve")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&sorted, 0.5), 3.0);
        assert_eq!(percentile(&sorted, 0.99), 5.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn a_run_without_exits_or_with_a_negative_rate_is_refused_before_any_work() {
        let bench = RelayBench {
            shape: CircuitShape::TINY,
            exits: 0,
            rate: 0.0,
            deadline_ms: 1,
            threads: 1,
            in_flight: 1,
        };
        let cache = ParamsCache::new(std::env::temp_dir().join("bulkhead-no-params"));
        let exe = Path::new("/nonexistent/bulkhead");
        assert!(matches!(
            run(&bench, exe, &cache),
            Err(BenchError::Arguments(_))
        ));
        let negative = RelayBench {
            exits: 1,
            rate: -1.0,
            ..bench
        };
        assert!(matches!(
            run(&negative, exe, &cache),
            Err(BenchError::Arguments(_))
        ));
    }
}
