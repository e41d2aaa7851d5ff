//! Prometheus text exposition, the pieces both services' metrics use: a
//! metric's header lines, the build-info gauge, and a histogram.

use std::fmt::Write as _;

/// A Prometheus histogram: cumulative counts per upper bound, then +Inf.
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
}

impl Histogram {
    /// An empty histogram over `bounds` (ascending).
    pub fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
        }
    }

    /// Counts one observation.
    pub fn observe(&mut self, value: f64) {
        for (i, bound) in self.bounds.iter().enumerate() {
            if value <= *bound {
                self.counts[i] += 1;
            }
        }
        self.counts[self.bounds.len()] += 1;
        self.sum += value;
    }

    /// Writes the histogram as `name` with its header.
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        header(out, name, help, "histogram");
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
        }
        let total = self.counts[self.bounds.len()];
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {total}");
        let _ = writeln!(out, "{name}_sum {}", self.sum);
        let _ = writeln!(out, "{name}_count {total}");
    }
}

/// A metric's `# HELP` and `# TYPE` lines.
pub fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// `bulkhead_build_info{service,version[,git]} 1`: which build answers.
/// `git` is the commit the builder named in `BULKHEAD_GIT_COMMIT` at
/// build time, omitted when none was (asking git from a build script
/// would rebuild the crate on every commit).
pub fn build_info(out: &mut String, service: &str) {
    header(
        out,
        "bulkhead_build_info",
        "The build answering: service, crate version and, if known, git commit.",
        "gauge",
    );
    let version = env!("CARGO_PKG_VERSION");
    let git = option_env!("BULKHEAD_GIT_COMMIT")
        .filter(|c| !c.is_empty())
        .map(|c| format!(",git=\"{c}\""))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "bulkhead_build_info{{service=\"{service}\",version=\"{version}\"{git}}} 1"
    );
}
