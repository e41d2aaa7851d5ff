//! Timing helpers for Bulkhead's performance measurements.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::time::{Duration, Instant};

use bulkhead_circuits::model::BatchRequest;
use bulkhead_circuits::sample;

/// The median of `samples` (the upper one for an even count).
pub fn median(samples: &mut [Duration]) -> Duration {
    assert!(!samples.is_empty(), "a median needs samples");
    samples.sort();
    samples[samples.len() / 2]
}

/// Runs `f` `runs` times and returns the median wall time.
pub fn median_of<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut samples: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .collect();
    median(&mut samples)
}

/// A full batch of `n` exits on the sample segment's main lane, cycling
/// through its four asset-1 accounts with small amounts.
pub fn full_batch(n: u32) -> BatchRequest {
    let exits: Vec<(u64, u128)> = (0..n)
        .map(|i| (2 * (i as u64 % 4), 1 + i as u128 % 7))
        .collect();
    sample::batch(sample::EPOCH, &exits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_picks_the_middle_sample() {
        let ms = Duration::from_millis;
        assert_eq!(median(&mut [ms(5), ms(1), ms(3)]), ms(3));
        assert_eq!(median(&mut [ms(4), ms(1)]), ms(4));
    }

    #[test]
    fn full_batch_has_n_exits_within_the_sample_limits() {
        let batch = full_batch(16);
        assert_eq!(batch.exits.len(), 16);
        assert!(batch.exits.iter().map(|e| e.amount).sum::<u128>() < 5_000);
    }
}
