//! The receiving side of Bulkhead: verifying keys derived from a shape and
//! parameters the caller hands over ([`VerifierKeys`]), every stateless
//! check of a bundle in one function ([`check::check_bundle`]), strict
//! Ed25519 signatures ([`signatures`]), and the [`gate::Gate`] state
//! machine that follows the stream.
//!
//! Depends on `bulkhead-protocol` and `bulkhead-circuits` only, never on the
//! prover; no file system, so it builds for wasm32 with
//! `--no-default-features`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod check;
pub mod embedded;
mod error;
pub mod gate;
mod keys;
pub mod signatures;

#[cfg(feature = "batch")]
pub use check::check_bundles;
pub use check::{check_bundle, BundleRefusal, Verified};
pub use embedded::{BundleVerifier, ParamsError, SetupError};
pub use error::VerifyError;
pub use keys::VerifierKeys;
