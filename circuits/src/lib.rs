//! Bulkhead's exit-batch statement.
//!
//! A segment proves that value leaving it over one lane keeps the boundary
//! invariants I1–I10 of `docs/PROTOCOL.md`. This crate holds the protocol
//! types, the native model that computes states, public inputs and
//! witnesses ([`model`]), and the Halo2 circuit that enforces the same rules
//! ([`circuit::ExitBatchCircuit`]), plus the parameter cache and the
//! verifying-key digest that prover and verifier share ([`keys`]).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chips;
pub mod circuit;
pub mod error;
pub mod hash;
pub mod instance;
pub mod merkle;
pub mod model;
pub mod shape;
pub mod witness;

pub use error::Error;
pub use hash::Fp;
pub use shape::CircuitShape;
