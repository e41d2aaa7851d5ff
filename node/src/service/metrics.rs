//! Prometheus metrics of the gate service, rendered as text exposition.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use bulkhead_verifier::gate::GateState;

use crate::metrics::{build_info, header, Histogram};

/// Upper bounds (seconds) of the verification latency histogram: a TINY
/// bundle verifies in milliseconds, a default one in a few hundred.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

struct Counts {
    /// (kind, verdict) -> items.
    items: BTreeMap<(&'static str, &'static str), u64>,
    /// refusal label -> items.
    refusals: BTreeMap<&'static str, u64>,
    latency: Histogram,
    queue_full: u64,
    batches: u64,
    batched_proofs: u64,
    batch_seconds: f64,
    /// Stream entries that did not decode (skipped, not judged).
    garbage: u64,
    /// The followed stream's last position, as last read (`None` when the
    /// gate follows none, or the read failed: no lag is exported then).
    stream_last: Option<u64>,
}

/// The service's counters (the ledger holds the credited values).
pub struct Metrics {
    counts: Mutex<Counts>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            counts: Mutex::new(Counts {
                items: BTreeMap::new(),
                refusals: BTreeMap::new(),
                latency: Histogram::new(BUCKETS),
                queue_full: 0,
                batches: 0,
                batched_proofs: 0,
                batch_seconds: 0.0,
                garbage: 0,
                stream_last: None,
            }),
        }
    }
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut Counts) -> R) -> R {
        // A panic while holding the lock cannot leave counts inconsistent
        // in a way that matters; keep counting.
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut counts)
    }

    /// Counts one item's verdict; `refusal` is its label when refused;
    /// `elapsed` is the time the writer took to judge and commit it.
    pub fn record(&self, kind: &'static str, refusal: Option<&'static str>, elapsed: Duration) {
        self.with(|c| {
            let verdict = if refusal.is_some() {
                "refused"
            } else {
                "accepted"
            };
            *c.items.entry((kind, verdict)).or_default() += 1;
            if let Some(label) = refusal {
                *c.refusals.entry(label).or_default() += 1;
            }
            c.latency.observe(elapsed.as_secs_f64());
        })
    }

    /// Counts one batch verification of `proofs` proofs.
    pub fn record_batch(&self, proofs: usize, elapsed: Duration) {
        self.with(|c| {
            c.batches += 1;
            c.batched_proofs += proofs as u64;
            c.batch_seconds += elapsed.as_secs_f64();
        })
    }

    /// Counts a stream entry that did not decode (skipped).
    pub fn record_garbage(&self) {
        self.with(|c| c.garbage += 1)
    }

    /// The followed stream's last position, as just read (`None`: unknown,
    /// so no lag is exported).
    pub fn set_stream_last(&self, last: Option<u64>) {
        self.with(|c| c.stream_last = last)
    }

    /// Counts a submission turned away because the queue was full.
    pub fn record_queue_full(&self) {
        self.with(|c| c.queue_full += 1)
    }

    /// The exposition text, with the credited value per source and asset
    /// from `state` and the stream `position` applied (read from the
    /// ledger).
    pub fn render(&self, state: &GateState, position: u64) -> String {
        let mut out = String::new();
        build_info(&mut out, "gate");
        self.with(|c| {
            header(
                &mut out,
                "bulkhead_gate_items_total",
                "Items judged, by kind and verdict.",
                "counter",
            );
            for ((kind, verdict), n) in &c.items {
                let _ = writeln!(
                    out,
                    "bulkhead_gate_items_total{{kind=\"{kind}\",verdict=\"{verdict}\"}} {n}"
                );
            }
            header(
                &mut out,
                "bulkhead_gate_refusals_total",
                "Refused items, by rule and reason.",
                "counter",
            );
            for (label, n) in &c.refusals {
                let rule = crate::report::metric_rule(label);
                let _ = writeln!(
                    out,
                    "bulkhead_gate_refusals_total{{rule=\"{rule}\",reason=\"{label}\"}} {n}"
                );
            }
            c.latency.render(
                &mut out,
                "bulkhead_gate_item_seconds",
                "Time to judge and commit one item.",
            );
            header(
                &mut out,
                "bulkhead_gate_queue_full_total",
                "Submissions turned away (503).",
                "counter",
            );
            let _ = writeln!(out, "bulkhead_gate_queue_full_total {}", c.queue_full);
            header(
                &mut out,
                "bulkhead_gate_batches_total",
                "Batch verifications of waiting bundles.",
                "counter",
            );
            let _ = writeln!(out, "bulkhead_gate_batches_total {}", c.batches);
            header(
                &mut out,
                "bulkhead_gate_batched_proofs_total",
                "Proofs verified in batches.",
                "counter",
            );
            let _ = writeln!(
                out,
                "bulkhead_gate_batched_proofs_total {}",
                c.batched_proofs
            );
            header(
                &mut out,
                "bulkhead_gate_batch_seconds_total",
                "Time spent in batch verification.",
                "counter",
            );
            let _ = writeln!(out, "bulkhead_gate_batch_seconds_total {}", c.batch_seconds);
            header(
                &mut out,
                "bulkhead_gate_stream_garbage_total",
                "Stream entries that are not items (skipped, not judged).",
                "counter",
            );
            let _ = writeln!(out, "bulkhead_gate_stream_garbage_total {}", c.garbage);
            header(
                &mut out,
                "bulkhead_gate_stream_position",
                "The last stream position applied.",
                "gauge",
            );
            let _ = writeln!(out, "bulkhead_gate_stream_position {position}");
            // Only when the stream's end is known: a made-up lag would
            // read as caught up.
            if let Some(last) = c.stream_last {
                header(
                    &mut out,
                    "bulkhead_gate_stream_lag",
                    "Positions the followed stream holds beyond the last applied.",
                    "gauge",
                );
                let _ = writeln!(
                    out,
                    "bulkhead_gate_stream_lag {}",
                    last.saturating_sub(position)
                );
            }
        });
        render_state(&mut out, state);
        out
    }
}

/// The gauges read off the ledger's state: value credited and held per
/// source and asset, held exits, quarantines, the local breaker, the
/// epoch.
fn render_state(out: &mut String, state: &GateState) {
    header(
        out,
        "bulkhead_gate_credited",
        "Value credited here, by source and asset.",
        "gauge",
    );
    for (id, source) in &state.sources {
        for (asset, amount) in &source.credited {
            let _ = writeln!(
                out,
                "bulkhead_gate_credited{{source=\"{id}\",asset=\"{asset}\"}} {amount}"
            );
        }
    }
    header(
        out,
        "bulkhead_gate_held_exits",
        "Exits held by the breaker or the inbound limit.",
        "gauge",
    );
    let _ = writeln!(out, "bulkhead_gate_held_exits {}", state.held.len());
    // Summed per source and asset: what the held queue owes, the number
    // an alert on a growing queue watches.
    let mut held: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    for credit in state.held.values() {
        let sum = held.entry((credit.src, credit.asset)).or_default();
        *sum = sum.saturating_add(credit.amount);
    }
    header(
        out,
        "bulkhead_gate_held_amount",
        "Value held (not yet credited), by source and asset.",
        "gauge",
    );
    for ((src, asset), amount) in &held {
        let _ = writeln!(
            out,
            "bulkhead_gate_held_amount{{source=\"{src}\",asset=\"{asset}\"}} {amount}"
        );
    }
    header(
        out,
        "bulkhead_gate_source_quarantined",
        "1 while the stream quarantines the source.",
        "gauge",
    );
    for (id, source) in &state.sources {
        let quarantined = u8::from(source.quarantined.is_some());
        let _ = writeln!(
            out,
            "bulkhead_gate_source_quarantined{{source=\"{id}\"}} {quarantined}"
        );
    }
    header(
        out,
        "bulkhead_gate_local_breaker_tripped",
        "1 while this gate's local breaker is tripped.",
        "gauge",
    );
    let _ = writeln!(
        out,
        "bulkhead_gate_local_breaker_tripped {}",
        u8::from(state.local_tripped)
    );
    header(
        out,
        "bulkhead_gate_epoch",
        "The stream's current epoch.",
        "gauge",
    );
    let _ = writeln!(out, "bulkhead_gate_epoch {}", state.epoch);
}
