//! Bulkhead's bundle verifier as a WebAssembly module, for segment
//! contracts, Node and web pages. Two interfaces over one
//! [`bulkhead_verifier::BundleVerifier`]:
//!
//! - [`contract`]: plain exported functions and status codes, no JS glue
//!   and no imports, for contract hosts (the host writes bytes into linear
//!   memory and calls `verify`);
//! - `web` (feature `web`): wasm-bindgen's `Verifier` class for browsers
//!   and Node, whose `verify` returns a JSON verdict.
//!
//! Both set up from the same inputs ([`setup`]) and judge with the same
//! checks the gate and `bulkhead verify` run.

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod contract;
pub mod verdict;
#[cfg(feature = "web")]
pub mod web;

use bulkhead_protocol::CircuitShape;
use bulkhead_verifier::{BundleVerifier, SetupError};

/// Why the module's verifier could not be set up: the inputs as text, or
/// the verifier's own refusal.
#[derive(Debug)]
pub enum Setup {
    /// The shape is not the JSON of a circuit shape.
    Shape(serde_json::Error),
    /// The digest is not 64 hex digits.
    Digest,
    /// The parameters, the key or the digest were refused.
    Verifier(SetupError),
}

impl std::fmt::Display for Setup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Setup::Shape(e) => write!(f, "shape: {e}"),
            Setup::Digest => write!(f, "the verifying-key digest is not 64 hex digits"),
            Setup::Verifier(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Setup {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Setup::Shape(e) => Some(e),
            Setup::Digest => None,
            Setup::Verifier(e) => Some(e),
        }
    }
}

/// A verifier for the shape in `shape_json` (`{"accounts_depth":4,...}`)
/// with the registered digest `digest` (raw 32 bytes), from parameter
/// bytes and, if `key` is not empty, verifying-key bytes (else the key is
/// derived: slow in an interpreter).
pub fn setup(
    params: &[u8],
    key: &[u8],
    shape_json: &[u8],
    digest: [u8; 32],
) -> Result<BundleVerifier, Setup> {
    let shape: CircuitShape = serde_json::from_slice(shape_json).map_err(Setup::Shape)?;
    let verifier = if key.is_empty() {
        BundleVerifier::derive(params, shape, digest)
    } else {
        BundleVerifier::with_key(params, shape, key, digest)
    };
    verifier.map_err(Setup::Verifier)
}

/// A digest from 64 hex digits.
pub fn parse_digest(hex: &str) -> Result<[u8; 32], Setup> {
    bulkhead_protocol::hex::decode_array(hex.trim()).ok_or(Setup::Digest)
}
