//! What both services' metrics share, on `prometheus-client`: the
//! exposition format and its Content-Type, the build-info gauge, and the
//! gauge kinds the services read off their state at scrape time.
//!
//! The exposition is Prometheus text 0.0.4, not OpenMetrics: in it a
//! counter's `# TYPE` line names the series it heads
//! (`bulkhead_gate_items_total`), so the names the alert rules, the
//! dashboard and `promtool check metrics` (which reads this format) see
//! are the names served, and Prometheus scrapes it as it always has.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::{prometheus_text, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

/// The `Content-Type` of what [`encode`] writes.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// A gauge holding a count or an amount: the model's values are `u64`,
/// which an `i64` gauge could not hold whole.
pub type Level = Gauge<u64, AtomicU64>;

/// A gauge holding a rate.
pub type Rate = Gauge<f64, AtomicU64>;

/// The exposition text of `registry`.
pub fn encode(registry: &Registry) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    prometheus_text::encode(&mut out, registry)?;
    Ok(out)
}

/// Registers `bulkhead_build_info{service,version[,git]} 1`: which build
/// answers. `git` is the commit the builder named in
/// `BULKHEAD_GIT_COMMIT` at build time, omitted when none was (asking git
/// from a build script would rebuild the crate on every commit).
///
/// A gauge rather than prometheus-client's `Info`: an info metric is
/// OpenMetrics-only, and in text 0.0.4 this is the usual spelling.
pub fn register_build_info(registry: &mut Registry, service: &'static str) {
    // A list, not a label struct: an absent commit leaves the label out,
    // where an `Option` field would write `git=""`.
    let mut labels = vec![("service", service), ("version", env!("CARGO_PKG_VERSION"))];
    if let Some(git) = option_env!("BULKHEAD_GIT_COMMIT").filter(|c| !c.is_empty()) {
        labels.push(("git", git));
    }
    let info = Family::<Vec<(&'static str, &'static str)>, Level>::default();
    info.get_or_create(&labels).set(1);
    registry.register(
        "bulkhead_build_info",
        "The build answering: service, crate version and, if known, git commit.",
        info,
    );
}

/// A metric whose `# HELP` and `# TYPE` lines are written even while it
/// holds no series. prometheus-client leaves an empty label family out;
/// the services declare theirs (say, value held per source, while
/// nothing is held), so the alert rules and dashboards that name them
/// find them described from the first scrape.
#[derive(Clone, Debug)]
pub struct Declared<M>(pub M);

impl<M: EncodeMetric> EncodeMetric for Declared<M> {
    fn encode(&self, encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        self.0.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        self.0.metric_type()
    }
}

/// A gauge without labels that is exported only while its value is known:
/// a made-up value (say, a lag of 0 when the stream's end is unknown)
/// would read as a fact.
#[derive(Clone, Debug, Default)]
pub struct Maybe(Family<[(&'static str, &'static str); 0], Level>);

impl Maybe {
    /// Exports `value`, or nothing when it is `None`.
    pub fn set(&self, value: Option<u64>) {
        match value {
            Some(value) => {
                self.0.get_or_create(&[]).set(value);
            }
            None => {
                self.0.clear();
            }
        }
    }

    /// Registers the gauge as `name`.
    pub fn register(&self, registry: &mut Registry, name: &str, help: &str) {
        registry.register(name, help, self.0.clone());
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::histogram::Histogram;

    use super::*;

    #[test]
    fn text_keeps_the_classic_names_and_bounds() {
        let mut registry = Registry::default();
        register_build_info(&mut registry, "test");
        let counter = Counter::<u64>::default();
        registry.register("things", "Things.", counter.clone());
        counter.inc();
        let histogram = Histogram::new([0.5, 1.0]);
        registry.register("wait_seconds", "Waits.", histogram.clone());
        histogram.observe(0.7);
        let empty = Family::<[(&str, &str); 0], Level>::default();
        registry.register("declared", "Declared.", Declared(empty));
        let lag = Maybe::default();
        lag.register(&mut registry, "lag", "Lag.");
        let text = encode(&registry).unwrap();
        for line in [
            "# TYPE bulkhead_build_info gauge\n",
            "bulkhead_build_info{service=\"test\",version=\"",
            "# TYPE things_total counter\nthings_total 1\n",
            "wait_seconds_bucket{le=\"0.5\"} 0\n",
            "wait_seconds_bucket{le=\"1\"} 1\n",
            "wait_seconds_bucket{le=\"+Inf\"} 1\n",
            "wait_seconds_count 1\n",
            "# TYPE declared gauge\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
        assert!(!text.contains("\nlag "), "{text}");
        assert!(!text.contains("# EOF"), "{text}");
        lag.set(Some(4));
        assert!(encode(&registry).unwrap().contains("\nlag 4\n"));
        lag.set(None);
        assert!(!encode(&registry).unwrap().contains("\nlag "));
    }
}
