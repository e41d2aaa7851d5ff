//! The chips the exit-batch circuit is built from. Each chip owns its
//! columns and gates (`configure` is the only place that creates them) and
//! offers a small set of instructions.

pub mod merkle;
pub mod poseidon;
pub mod range;

use halo2_proofs::circuit::AssignedCell;

use bulkhead_protocol::hash::Fp;

/// An assigned Pallas base field cell.
pub type Cell = AssignedCell<Fp, Fp>;
