//! Prometheus metrics of the gate service, on one `prometheus-client`
//! registry: counters the writer and the API bump as items pass, and
//! gauges read off the ledger's state when scraped.

use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::Duration;

use bulkhead_verifier::gate::{import_alarms, GateState, Refusal};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::metrics::{encode, register_build_info, Declared, Level, Maybe};

/// Upper bounds (seconds) of the verification latency histogram: a TINY
/// bundle verifies in milliseconds, a default one in a few hundred.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// `bulkhead_gate_items_total`'s labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ItemLabels {
    kind: &'static str,
    verdict: &'static str,
}

/// `bulkhead_gate_refusals_total`'s labels: the rule, then the refusal's
/// own label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    rule: &'static str,
    reason: &'static str,
}

/// A source and an asset, the key of the per-asset gauges.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AssetLabels {
    source: u64,
    asset: u64,
}

/// A source, the key of the quarantine gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: u64,
}

/// The gauges read off the ledger at each scrape. Families are emptied
/// and refilled, so a source or asset that left the state leaves the
/// exposition too.
#[derive(Default)]
struct StateGauges {
    position: Level,
    lag: Maybe,
    credited: Family<AssetLabels, Level>,
    held_exits: Level,
    held_amount: Family<AssetLabels, Level>,
    quarantined: Family<SourceLabels, Level>,
    local_tripped: Level,
    epoch: Level,
    collateral: Family<AssetLabels, Level>,
    import_excess: Family<OwnAssetLabels, Level>,
}

/// An asset of this gate's own segment, the key of the import alarm.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OwnAssetLabels {
    asset: u64,
}

impl StateGauges {
    fn register(&self, r: &mut Registry) {
        r.register(
            "bulkhead_gate_stream_position",
            "The last stream position applied.",
            self.position.clone(),
        );
        self.lag.register(
            r,
            "bulkhead_gate_stream_lag",
            "Positions the followed stream holds beyond the last applied.",
        );
        r.register(
            "bulkhead_gate_credited",
            "Value credited here, by source and asset.",
            Declared(self.credited.clone()),
        );
        r.register(
            "bulkhead_gate_held_exits",
            "Exits held by the breaker or the inbound limit.",
            self.held_exits.clone(),
        );
        r.register(
            "bulkhead_gate_held_amount",
            "Value held (not yet credited), by source and asset.",
            Declared(self.held_amount.clone()),
        );
        r.register(
            "bulkhead_gate_source_quarantined",
            "1 while the stream quarantines the source.",
            Declared(self.quarantined.clone()),
        );
        r.register(
            "bulkhead_gate_local_breaker_tripped",
            "1 while this gate's local breaker is tripped.",
            self.local_tripped.clone(),
        );
        r.register(
            "bulkhead_gate_epoch",
            "The stream's current epoch.",
            self.epoch.clone(),
        );
        r.register(
            "bulkhead_gate_source_collateral",
            "Live collateral of each source's declared silo, from the boundary mirror.",
            Declared(self.collateral.clone()),
        );
        r.register(
            "bulkhead_gate_import_excess",
            "Alarm: by how much this gate's segment imported more than this gate credited, by asset (absent when it did not).",
            Declared(self.import_excess.clone()),
        );
    }

    /// Sets every gauge from `state` at stream `position`; `stream_last`
    /// is the followed stream's last position, if known.
    fn set(&self, state: &GateState, position: u64, stream_last: Option<u64>) {
        self.position.set(position);
        self.lag
            .set(stream_last.map(|last| last.saturating_sub(position)));
        self.credited.clear();
        for (id, source) in &state.sources {
            for (asset, amount) in &source.credited {
                let key = AssetLabels {
                    source: *id,
                    asset: *asset,
                };
                self.credited.get_or_create(&key).set(*amount);
            }
        }
        self.held_exits.set(state.held.len() as u64);
        // Summed per source and asset: what the held queue owes, the
        // number an alert on a growing queue watches.
        self.held_amount.clear();
        for credit in state.held.values() {
            let key = AssetLabels {
                source: credit.src,
                asset: credit.asset,
            };
            let sum = self.held_amount.get_or_create(&key);
            sum.set(sum.get().saturating_add(credit.amount));
        }
        self.quarantined.clear();
        for (id, source) in &state.sources {
            let quarantined = u64::from(source.quarantined.is_some());
            self.quarantined
                .get_or_create(&SourceLabels { source: *id })
                .set(quarantined);
        }
        self.local_tripped.set(u64::from(state.local_tripped));
        self.epoch.set(state.epoch);
        self.collateral.clear();
        for (id, source) in &state.sources {
            for silo in source.mirror.silos().values() {
                let key = AssetLabels {
                    source: *id,
                    asset: silo.asset,
                };
                self.collateral.get_or_create(&key).set(silo.collateral);
            }
        }
        self.import_excess.clear();
        for (asset, alarm) in import_alarms(state) {
            let excess = u64::try_from(alarm.imported - alarm.credited).unwrap_or(u64::MAX);
            self.import_excess
                .get_or_create(&OwnAssetLabels { asset })
                .set(excess);
        }
    }
}

/// The service's metrics (the ledger holds the credited values).
pub struct Metrics {
    registry: Registry,
    items: Family<ItemLabels, Counter>,
    refusals: Family<RefusalLabels, Counter>,
    latency: Histogram,
    queue_full: Counter,
    batches: Counter,
    batched_proofs: Counter,
    batch_seconds: Counter<f64, AtomicU64>,
    /// Stream entries that did not decode (skipped, not judged).
    garbage: Counter,
    /// The followed stream's last position, as last read (`None` when the
    /// gate follows none, or the read failed: no lag is exported then).
    stream_last: Mutex<Option<u64>>,
    /// Held while one scrape refills and encodes the state gauges, so two
    /// scrapes never interleave their refills.
    state: Mutex<StateGauges>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        register_build_info(&mut registry, "gate");
        let items = Family::<ItemLabels, Counter>::default();
        registry.register(
            "bulkhead_gate_items",
            "Items judged, by kind and verdict.",
            Declared(items.clone()),
        );
        let refusals = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "bulkhead_gate_refusals",
            "Refused items, by rule and reason.",
            Declared(refusals.clone()),
        );
        let latency = Histogram::new(BUCKETS.iter().copied());
        registry.register(
            "bulkhead_gate_item_seconds",
            "Time to judge and commit one item.",
            latency.clone(),
        );
        let counter = |registry: &mut Registry, name: &str, help: &str| {
            let counter = Counter::default();
            registry.register(name, help, counter.clone());
            counter
        };
        let queue_full = counter(
            &mut registry,
            "bulkhead_gate_queue_full",
            "Submissions turned away (503).",
        );
        let batches = counter(
            &mut registry,
            "bulkhead_gate_batches",
            "Batch verifications of waiting bundles.",
        );
        let batched_proofs = counter(
            &mut registry,
            "bulkhead_gate_batched_proofs",
            "Proofs verified in batches.",
        );
        let batch_seconds = Counter::<f64, AtomicU64>::default();
        registry.register(
            "bulkhead_gate_batch_seconds",
            "Time spent in batch verification.",
            batch_seconds.clone(),
        );
        let garbage = counter(
            &mut registry,
            "bulkhead_gate_stream_garbage",
            "Stream entries that are not items (skipped, not judged).",
        );
        let state = StateGauges::default();
        state.register(&mut registry);
        Self {
            registry,
            items,
            refusals,
            latency,
            queue_full,
            batches,
            batched_proofs,
            batch_seconds,
            garbage,
            stream_last: Mutex::new(None),
            state: Mutex::new(state),
        }
    }
}

impl Metrics {
    /// Counts one item's verdict (`refusal`: why it was refused, counted
    /// under its rule and label); `elapsed` is the time the writer took to
    /// judge and commit it.
    pub fn record(&self, kind: &'static str, refusal: Option<&Refusal>, elapsed: Duration) {
        let verdict = if refusal.is_some() {
            "refused"
        } else {
            "accepted"
        };
        self.items
            .get_or_create(&ItemLabels { kind, verdict })
            .inc();
        if let Some(refusal) = refusal {
            let (rule, reason) = (refusal.counted_under(), refusal.label());
            self.refusals
                .get_or_create(&RefusalLabels { rule, reason })
                .inc();
        }
        self.latency.observe(elapsed.as_secs_f64());
    }

    /// Counts one batch verification of `proofs` proofs.
    pub fn record_batch(&self, proofs: usize, elapsed: Duration) {
        self.batches.inc();
        self.batched_proofs.inc_by(proofs as u64);
        self.batch_seconds.inc_by(elapsed.as_secs_f64());
    }

    /// Counts a stream entry that did not decode (skipped).
    pub fn record_garbage(&self) {
        self.garbage.inc();
    }

    /// The followed stream's last position, as just read (`None`: unknown,
    /// so no lag is exported).
    pub fn set_stream_last(&self, last: Option<u64>) {
        // A panic while holding the lock cannot leave an Option half set.
        *self.stream_last.lock().unwrap_or_else(|e| e.into_inner()) = last;
    }

    /// Counts a submission turned away because the queue was full.
    pub fn record_queue_full(&self) {
        self.queue_full.inc();
    }

    /// The exposition text, with the credited value per source and asset
    /// from `state` and the stream `position` applied (read from the
    /// ledger).
    pub fn render(&self, state: &GateState, position: u64) -> Result<String, std::fmt::Error> {
        let stream_last = *self.stream_last.lock().unwrap_or_else(|e| e.into_inner());
        let gauges = self.state.lock().unwrap_or_else(|e| e.into_inner());
        gauges.set(state, position, stream_last);
        encode(&self.registry)
    }
}
