//! Shared by the gate's tests: a TINY-shape prover, a chain of real
//! bundles from segment 1 to segment 2, gates following segments 1 and 2,
//! and helpers that check a refusal leaves the state exactly as it was.

#![allow(dead_code)] // each test binary uses its own subset

pub use bulkhead_testkit::chain::*;
use bulkhead_verifier::gate::{Effect, Gate, GateConfig, Refusal, StreamItem};

pub fn gate_with(config: GateConfig) -> Gate {
    Gate::new(config, vec![verifier_keys()]).unwrap()
}

pub fn gate() -> Gate {
    gate_with(config(2))
}

pub fn accept(gate: &mut Gate, item: StreamItem) -> Effect {
    gate.process(&item)
        .unwrap_or_else(|r| panic!("refused: {r}"))
}

/// Offers `item`, expects a refusal, and checks the state did not change.
pub fn refuse(gate: &mut Gate, item: StreamItem) -> Refusal {
    let before = gate.state().clone();
    let refusal = gate.process(&item).expect_err("item was accepted");
    assert_eq!(gate.state(), &before, "refusal changed state");
    refusal
}
