//! Progress of a proving run: on a terminal, indicatif's bar with the
//! batches done, the elapsed time and an ETA; otherwise (a pipe, a log
//! file, CI) one plain line per proven batch on stderr.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Reports each proven batch of a run of `total`.
pub struct RunProgress {
    total: usize,
    started: Instant,
    bar: Option<ProgressBar>,
}

impl RunProgress {
    /// Progress for `total` batches, a bar only if stderr is a terminal.
    pub fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} proving [{elapsed_precise}] {wide_bar} {pos}/{len} batches, ETA {eta}",
                )
                .expect("the template is valid"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self {
            total,
            started: Instant::now(),
            bar,
        }
    }

    /// One batch is proven and its bundle written to `what`; `done` batches
    /// are proven so far.
    pub fn proven(&self, done: usize, what: &str) {
        let elapsed = self.started.elapsed();
        let line = format!(
            "proved {done}/{} ({what}) at {:.1} s{}",
            self.total,
            elapsed.as_secs_f64(),
            eta(elapsed, done, self.total)
                .map(|eta| format!(", ETA {:.0} s", eta.as_secs_f64()))
                .unwrap_or_default()
        );
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                bar.inc(1);
            }
            None => eprintln!("{line}"),
        }
    }

    /// Clears the bar (a no-op for plain lines).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The remaining time if the rest goes at the pace so far.
fn eta(elapsed: Duration, done: usize, total: usize) -> Option<Duration> {
    if done == 0 || done >= total {
        return None;
    }
    Some(elapsed.mul_f64((total - done) as f64 / done as f64))
}
