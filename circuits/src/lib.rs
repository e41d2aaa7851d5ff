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
pub mod keys;
pub mod merkle;
pub mod model;
pub mod shape;
pub mod witness;

pub use error::Error;
pub use hash::Fp;
pub use shape::CircuitShape;
pub mod bundle;
pub mod cost;
pub mod sample;
pub mod serde_hex;

/// Runs `$body` with the const `$chips` bound to the runtime chip count
/// `$count` (1 to 4), for code generic over `ExitBatchCircuit<CHIPS>`.
/// Evaluates to an `Err(Error::InvalidShape)` for any other count.
#[macro_export]
macro_rules! with_chips {
    ($count:expr, $chips:ident => $body:expr) => {
        match $count {
            1 => {
                const $chips: usize = 1;
                $body
            }
            2 => {
                const $chips: usize = 2;
                $body
            }
            3 => {
                const $chips: usize = 3;
                $body
            }
            4 => {
                const $chips: usize = 4;
                $body
            }
            other => Err($crate::Error::InvalidShape {
                reason: format!("{other} Poseidon chips not in 1..=4"),
            }
            .into()),
        }
    };
}
