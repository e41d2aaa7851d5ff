//! The native protocol of Bulkhead, with no proof system in it: the
//! domain-separated Poseidon hashing ([`hash`]), sparse Merkle trees
//! ([`merkle`]), the circuit shape ([`shape`]), the public-input layout
//! ([`instance`]), the segment model and `apply_exits` ([`model`]), the
//! boundary as a gate follows it ([`mirror`]), the
//! circuit's private witness ([`witness`]), the bundle wire format
//! ([`bundle`]), the signed messages ([`messages`]) and who may sign
//! them ([`authorise`]), segment snapshots
//! ([`snapshot`]), the one hex codec ([`hex`]) and the one integer
//! convention of its JSON ([`decimal`]).
//!
//! Everything here is what `docs/PROTOCOL.md` specifies; the circuit
//! (`bulkhead-circuits`) enforces the same rules in-circuit and is tested
//! against this model.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod authorise;
pub mod bundle;
pub mod decimal;
pub mod error;
pub mod hash;
pub mod hex;
pub mod instance;
pub mod merkle;
pub mod messages;
pub mod mirror;
pub mod model;
pub mod shape;
pub mod snapshot;
pub mod witness;

pub use error::Error;
pub use hash::Fp;
pub use shape::CircuitShape;
