//! Prometheus metrics of the relayer service.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::metrics::{build_info, header, Histogram};

/// Upper bounds (seconds) of the proving-time histogram: a TINY batch
/// proves in a fraction of a second, a default one in 10 to 30 s on two
/// cores.
const PROVE_BUCKETS: &[f64] = &[
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0,
];
/// Upper bounds (seconds) of the request-to-publication histogram.
const LATENCY_BUCKETS: &[f64] = &[
    0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];
/// The window over which exits/s is measured.
const RATE_WINDOW: Duration = Duration::from_secs(60);

struct Counts {
    accepted: u64,
    refused: u64,
    batches_planned: u64,
    batches_proven: u64,
    exits_proven: u64,
    batches_published: u64,
    batches_confirmed: u64,
    exits_confirmed: u64,
    superseded: u64,
    prove: Histogram,
    latency: Histogram,
    /// When each recent batch was proven, and its exits.
    recent: VecDeque<(Instant, usize)>,
}

/// The relayer's counters; gauges come from the engine at render time.
pub struct RelayMetrics {
    counts: Mutex<Counts>,
}

impl Default for RelayMetrics {
    fn default() -> Self {
        Self {
            counts: Mutex::new(Counts {
                accepted: 0,
                refused: 0,
                batches_planned: 0,
                batches_proven: 0,
                exits_proven: 0,
                batches_published: 0,
                batches_confirmed: 0,
                exits_confirmed: 0,
                superseded: 0,
                prove: Histogram::new(PROVE_BUCKETS),
                latency: Histogram::new(LATENCY_BUCKETS),
                recent: VecDeque::new(),
            }),
        }
    }
}

/// Gauges read from the engine.
pub struct Gauges {
    /// Exits waiting for a batch.
    pub queued: usize,
    /// Batches planned, proven or published, not confirmed.
    pub live: usize,
    /// The stream's epoch.
    pub epoch: u64,
    /// The watcher's stream position.
    pub position: u64,
    /// Whether the relayer is halted.
    pub halted: bool,
}

impl RelayMetrics {
    fn with<R>(&self, f: impl FnOnce(&mut Counts) -> R) -> R {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut counts)
    }

    /// Counts a request: accepted or refused.
    pub fn request(&self, accepted: bool) {
        self.with(|c| {
            if accepted {
                c.accepted += 1
            } else {
                c.refused += 1
            }
        })
    }

    /// Counts batches planned.
    pub fn planned(&self, batches: usize) {
        self.with(|c| c.batches_planned += batches as u64)
    }

    /// Counts a proven batch of `exits` that took `elapsed`.
    pub fn proven(&self, exits: usize, elapsed: Duration) {
        self.with(|c| {
            c.batches_proven += 1;
            c.exits_proven += exits as u64;
            c.prove.observe(elapsed.as_secs_f64());
            let now = Instant::now();
            c.recent.push_back((now, exits));
            while c
                .recent
                .front()
                .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
            {
                c.recent.pop_front();
            }
        })
    }

    /// Counts a published batch whose oldest request waited `waited`.
    pub fn published(&self, waited: Duration) {
        self.with(|c| {
            c.batches_published += 1;
            c.latency.observe(waited.as_secs_f64());
        })
    }

    /// Counts confirmed batches and exits.
    pub fn confirmed(&self, batches: usize, exits: usize) {
        self.with(|c| {
            c.batches_confirmed += batches as u64;
            c.exits_confirmed += exits as u64;
        })
    }

    /// Counts a supersession (every live batch proven again).
    pub fn superseded(&self) {
        self.with(|c| c.superseded += 1)
    }

    /// The exposition text.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        build_info(&mut out, "relay");
        self.with(|c| {
            let counters: [(&str, &str, u64); 9] = [
                (
                    "bulkhead_relay_requests_accepted_total",
                    "Exit requests queued.",
                    c.accepted,
                ),
                (
                    "bulkhead_relay_requests_refused_total",
                    "Exit requests refused at the door.",
                    c.refused,
                ),
                (
                    "bulkhead_relay_batches_planned_total",
                    "Batches planned.",
                    c.batches_planned,
                ),
                (
                    "bulkhead_relay_batches_proven_total",
                    "Batches proven.",
                    c.batches_proven,
                ),
                (
                    "bulkhead_relay_exits_proven_total",
                    "Exits proven.",
                    c.exits_proven,
                ),
                (
                    "bulkhead_relay_batches_published_total",
                    "Batches published to the stream.",
                    c.batches_published,
                ),
                (
                    "bulkhead_relay_batches_confirmed_total",
                    "Batches the stream took.",
                    c.batches_confirmed,
                ),
                (
                    "bulkhead_relay_exits_confirmed_total",
                    "Exits the stream took.",
                    c.exits_confirmed,
                ),
                (
                    "bulkhead_relay_supersessions_total",
                    "Times live batches were proven again (stale epoch, quarantine).",
                    c.superseded,
                ),
            ];
            for (name, help, value) in counters {
                header(&mut out, name, help, "counter");
                let _ = writeln!(out, "{name} {value}");
            }
            let window = c
                .recent
                .front()
                .map_or(0.0, |(t, _)| t.elapsed().as_secs_f64())
                .max(1.0);
            let recent: usize = c.recent.iter().map(|(_, n)| n).sum();
            let gauges_list: [(&str, &str, f64); 6] = [
                (
                    "bulkhead_relay_queue_depth",
                    "Exits waiting for a batch.",
                    gauges.queued as f64,
                ),
                (
                    "bulkhead_relay_live_batches",
                    "Batches planned, proven or published, not yet taken.",
                    gauges.live as f64,
                ),
                (
                    "bulkhead_relay_exits_per_second",
                    "Exits proven per second over the last minute.",
                    recent as f64 / window,
                ),
                (
                    "bulkhead_relay_stream_epoch",
                    "The stream's epoch.",
                    gauges.epoch as f64,
                ),
                (
                    "bulkhead_relay_stream_position",
                    "The last stream position the relayer read.",
                    gauges.position as f64,
                ),
                (
                    "bulkhead_relay_halted",
                    "1 if the relayer stopped forming batches.",
                    f64::from(u8::from(gauges.halted)),
                ),
            ];
            for (name, help, value) in gauges_list {
                header(&mut out, name, help, "gauge");
                let _ = writeln!(out, "{name} {value}");
            }
            c.prove.render(
                &mut out,
                "bulkhead_relay_prove_seconds",
                "Time to prove one batch.",
            );
            c.latency.render(
                &mut out,
                "bulkhead_relay_request_to_publish_seconds",
                "From a batch's oldest request to its publication.",
            );
        });
        out
    }
}
