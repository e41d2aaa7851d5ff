//! Fixtures of the criterion benches: the shapes they track, keys from
//! the usual parameter cache, and a full batch of the sample segment.

use bulkhead_protocol::model::BatchOutcome;
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{ParamsCache, ProverKeys};
use bulkhead_testkit::sample;

/// The shapes the benches measure, by name.
pub const SHAPES: [(&str, CircuitShape); 2] = [
    ("tiny", CircuitShape::TINY),
    ("default", CircuitShape::DEFAULT),
];

/// Proving keys for `shape`, parameters from the usual cache.
pub fn keys(shape: CircuitShape) -> ProverKeys {
    ProverKeys::load(shape, &ParamsCache::from_env()).expect("keys for a valid shape")
}

/// A full batch of `shape`'s size applied to the sample segment.
pub fn full_batch_outcome(shape: CircuitShape) -> BatchOutcome {
    let mut state = sample::segment(1, &shape).expect("the sample fits every bench shape");
    state
        .apply_exits(&sample::full_batch(shape.batch_size), &shape)
        .expect("the sample batch is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_fill_every_slot() {
        let outcome = full_batch_outcome(CircuitShape::TINY);
        assert_eq!(outcome.instance.exit_count, 2);
        assert!(SHAPES.iter().all(|(_, shape)| shape.validate().is_ok()));
    }
}
