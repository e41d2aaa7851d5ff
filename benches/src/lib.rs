//! Bulkhead's measurements, kept out of the libraries they measure: the
//! size report as halo2 describes it ([`size`]), the proving sweep over
//! shapes and thread counts and memory over a long run ([`sweep`]), the
//! Poseidon-only floor circuit proven beside each point ([`floor`]),
//! ledgers with a synthetic history ([`synthetic`]), and the benches of
//! the services: batch verification, the gate, the relayer
//! ([`service`]). `bulkhead bench` and `bulkhead inspect` call them and
//! print what they return; the criterion benches (`cargo bench -p
//! bulkhead-benches`) track the default and a small shape between commits
//! with the fixtures of [`fixtures`].
//!
//! Nothing in a library of the workspace depends on this crate; it
//! depends on them, on `bulkhead-testkit`, and never on the command.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
pub mod fixtures;
pub mod floor;
pub mod service;
pub mod size;
mod stats;
pub mod sweep;
pub mod synthetic;

pub use error::BenchError;
pub use fixtures::{full_batch_outcome, keys, SHAPES};
