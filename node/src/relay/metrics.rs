//! Prometheus metrics of the relayer service, on one `prometheus-client`
//! registry: counters the engine and the API bump, gauges read from the
//! engine when scraped.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::metrics::{encode, register_build_info, Level, Rate};

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

/// The gauges set from [`Gauges`] (and the rate window) at each scrape.
#[derive(Default)]
struct Levels {
    queued: Level,
    live: Level,
    rate: Rate,
    epoch: Level,
    position: Level,
    halted: Level,
    behind: Level,
}

/// The relayer's metrics; gauges come from the engine at render time.
pub struct RelayMetrics {
    registry: Registry,
    accepted: Counter,
    refused: Counter,
    batches_planned: Counter,
    batches_proven: Counter,
    exits_proven: Counter,
    batches_published: Counter,
    batches_confirmed: Counter,
    exits_confirmed: Counter,
    superseded: Counter,
    prove: Histogram,
    latency: Histogram,
    levels: Levels,
    /// When each recent batch was proven, and its exits.
    recent: Mutex<VecDeque<(Instant, usize)>>,
}

impl Default for RelayMetrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        register_build_info(&mut registry, "relay");
        let mut counter = |name: &str, help: &str| {
            let counter = Counter::default();
            registry.register(name, help, counter.clone());
            counter
        };
        let accepted = counter("bulkhead_relay_requests_accepted", "Exit requests queued.");
        let refused = counter(
            "bulkhead_relay_requests_refused",
            "Exit requests refused at the door.",
        );
        let batches_planned = counter("bulkhead_relay_batches_planned", "Batches planned.");
        let batches_proven = counter("bulkhead_relay_batches_proven", "Batches proven.");
        let exits_proven = counter("bulkhead_relay_exits_proven", "Exits proven.");
        let batches_published = counter(
            "bulkhead_relay_batches_published",
            "Batches published to the stream.",
        );
        let batches_confirmed = counter(
            "bulkhead_relay_batches_confirmed",
            "Batches the stream took.",
        );
        let exits_confirmed = counter("bulkhead_relay_exits_confirmed", "Exits the stream took.");
        let superseded = counter(
            "bulkhead_relay_supersessions",
            "Times live batches were proven again (stale epoch, quarantine).",
        );
        let levels = Levels::default();
        for (name, help, gauge) in [
            (
                "bulkhead_relay_queue_depth",
                "Exits waiting for a batch.",
                &levels.queued,
            ),
            (
                "bulkhead_relay_live_batches",
                "Batches planned, proven or published, not yet taken.",
                &levels.live,
            ),
        ] {
            registry.register(name, help, gauge.clone());
        }
        registry.register(
            "bulkhead_relay_exits_per_second",
            "Exits proven per second over the last minute.",
            levels.rate.clone(),
        );
        for (name, help, gauge) in [
            (
                "bulkhead_relay_stream_epoch",
                "The stream's epoch.",
                &levels.epoch,
            ),
            (
                "bulkhead_relay_stream_position",
                "The last stream position the relayer read.",
                &levels.position,
            ),
            (
                "bulkhead_relay_halted",
                "1 if the relayer stopped forming batches.",
                &levels.halted,
            ),
            (
                "bulkhead_relay_behind",
                "1 while the relayer waits for its segment's state (POST /v1/state).",
                &levels.behind,
            ),
        ] {
            registry.register(name, help, gauge.clone());
        }
        let prove = Histogram::new(PROVE_BUCKETS.iter().copied());
        registry.register(
            "bulkhead_relay_prove_seconds",
            "Time to prove one batch.",
            prove.clone(),
        );
        let latency = Histogram::new(LATENCY_BUCKETS.iter().copied());
        registry.register(
            "bulkhead_relay_request_to_publish_seconds",
            "From a batch's oldest request to its publication.",
            latency.clone(),
        );
        Self {
            registry,
            accepted,
            refused,
            batches_planned,
            batches_proven,
            exits_proven,
            batches_published,
            batches_confirmed,
            exits_confirmed,
            superseded,
            prove,
            latency,
            levels,
            recent: Mutex::new(VecDeque::new()),
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
    /// Whether it waits for its segment's state.
    pub behind: bool,
}

impl RelayMetrics {
    fn recent(&self) -> std::sync::MutexGuard<'_, VecDeque<(Instant, usize)>> {
        // A panic while holding the lock leaves at worst a stale entry,
        // which the window drops; keep counting.
        self.recent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a request: accepted or refused.
    pub fn request(&self, accepted: bool) {
        if accepted {
            self.accepted.inc();
        } else {
            self.refused.inc();
        }
    }

    /// Counts batches planned.
    pub fn planned(&self, batches: usize) {
        self.batches_planned.inc_by(batches as u64);
    }

    /// Counts a proven batch of `exits` that took `elapsed`.
    pub fn proven(&self, exits: usize, elapsed: Duration) {
        self.batches_proven.inc();
        self.exits_proven.inc_by(exits as u64);
        self.prove.observe(elapsed.as_secs_f64());
        let now = Instant::now();
        let mut recent = self.recent();
        recent.push_back((now, exits));
        while recent
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
        {
            recent.pop_front();
        }
    }

    /// Counts a published batch whose oldest request waited `waited`.
    pub fn published(&self, waited: Duration) {
        self.batches_published.inc();
        self.latency.observe(waited.as_secs_f64());
    }

    /// Counts confirmed batches and exits.
    pub fn confirmed(&self, batches: usize, exits: usize) {
        self.batches_confirmed.inc_by(batches as u64);
        self.exits_confirmed.inc_by(exits as u64);
    }

    /// Counts a supersession (every live batch proven again).
    pub fn superseded(&self) {
        self.superseded.inc();
    }

    /// The exposition text, with the engine's `gauges`.
    pub fn render(&self, gauges: &Gauges) -> Result<String, std::fmt::Error> {
        let rate = {
            let recent = self.recent();
            let window = recent
                .front()
                .map_or(0.0, |(t, _)| t.elapsed().as_secs_f64())
                .max(1.0);
            let exits: usize = recent.iter().map(|(_, n)| n).sum();
            exits as f64 / window
        };
        let levels = &self.levels;
        levels.queued.set(gauges.queued as u64);
        levels.live.set(gauges.live as u64);
        levels.rate.set(rate);
        levels.epoch.set(gauges.epoch);
        levels.position.set(gauges.position);
        levels.halted.set(u64::from(gauges.halted));
        levels.behind.set(u64::from(gauges.behind));
        encode(&self.registry)
    }
}
