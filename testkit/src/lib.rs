//! Builders shared by Bulkhead's tests, benches and the demo; never part of
//! a library's public API (`publish = false`).
//!
//! - [`sample`]: a small, fully specified segment and batches on it;
//! - [`keys`]: every key derived from a seed and a role, and signing;
//! - [`signed`]: segments owned by those keys and batches signed by them;
//! - [`gate`]: gate configurations, attestations and guardian votes;
//! - [`attacks`]: what a cheating prover or a compromised segment builds;
//! - [`chain`]: a two-segment world with a chain of real TINY bundles;
//! - [`http`]: a raw HTTP/1.1 client for the services on loopback.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod attacks;
pub mod chain;
pub mod embedded;
pub mod gate;
pub mod http;
pub mod keys;
pub mod sample;
pub mod signed;
