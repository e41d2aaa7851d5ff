//! The chips the exit-batch circuit is built from. Each chip owns its
//! columns and gates (`configure` is the only place that creates them) and
//! offers its operations through an `...Instructions` trait, whose docs
//! state what a caller must ensure for the operation to be sound:
//!
//! | chip                        | instructions                     |
//! |-----------------------------|----------------------------------|
//! | [`poseidon::PoseidonChips`] (on [`dense_poseidon`]) | [`PoseidonInstructions`]: `hash` |
//! | [`range::U64RangeConfig`]   | [`U64RangeInstructions`]: `load_table`, `check_u64` |
//! | [`merkle::MerkleConfig`]    | [`MerkleInstructions`]: `assign_bits`, `hash_up`, `path` |

pub mod dense_poseidon;
pub mod merkle;
pub mod poseidon;
pub mod range;

pub use merkle::MerkleInstructions;
pub use poseidon::PoseidonInstructions;
pub use range::U64RangeInstructions;

use halo2_proofs::circuit::AssignedCell;

use bulkhead_protocol::hash::Fp;

/// An assigned Pallas base field cell.
pub type Cell = AssignedCell<Fp, Fp>;
