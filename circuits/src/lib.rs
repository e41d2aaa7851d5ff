//! Bulkhead's exit-batch statement, and nothing else.
//!
//! A segment proves that value leaving it over one lane keeps the boundary
//! invariants I1–I10 of `docs/PROTOCOL.md`. This crate holds the chips
//! ([`chips`]), the Halo2 circuit that enforces those rules
//! ([`circuit::ExitBatchCircuit`]), the verifying key of a shape, its `k`
//! and its digest ([`keys`]), and the exact size report ([`cost`], from
//! one layout pass: [`layout`]). Nothing here measures time or memory:
//! that is `bulkhead-benches`. The
//! native model that computes states, public inputs and witnesses is
//! `bulkhead-protocol`; tests here check the circuit against it.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chips;
pub mod circuit;
pub mod cost;
pub mod error;
pub mod keys;
pub mod layout;

pub use error::Error;

/// Runs `$body` with the const `$chips` bound to the runtime chip count
/// `$count` (1 to 8, `CircuitShape::MAX_CHIPS`), for code generic over
/// `ExitBatchCircuit<CHIPS>`.
/// Evaluates to `Err(Error::unsupported_chips(count).into())` for any other count.
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
            5 => {
                const $chips: usize = 5;
                $body
            }
            6 => {
                const $chips: usize = 6;
                $body
            }
            7 => {
                const $chips: usize = 7;
                $body
            }
            8 => {
                const $chips: usize = 8;
                $body
            }
            other => Err($crate::Error::unsupported_chips(other).into()),
        }
    };
}
