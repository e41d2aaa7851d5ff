//! Poseidon hashing in-circuit, on one or more dense Poseidon chips
//! ([`super::dense_poseidon`]) side by side.
//!
//! Each chip has its own 12 advice and 12 fixed columns, so the single-pass
//! floor planner lays regions of different chips on the same rows: two
//! chips halve the rows that hashing needs, at the price of 12 more
//! committed columns. Callers pick the chip per hash so that independent hashes
//! (the old and new Merkle paths of one slot) run side by side.
//!
//! [`PoseidonInstructions`] is what the rest of the circuit may ask of
//! Poseidon; [`PoseidonChips`] implements it.

use halo2_proofs::{
    circuit::Layouter,
    plonk::{ConstraintSystem, Error, Selector},
};

use super::dense_poseidon::{DensePoseidonConfig, Word};
use super::Cell;
use bulkhead_protocol::hash::Fp;

/// What a Poseidon chip offers the circuit: one domain-separated hash of a
/// fixed number of cells.
///
/// # Soundness
///
/// - The output is bound to exactly the input *cells* and the domain: each
///   input is copied into the sponge (a copy constraint), and the capacity
///   word (which encodes `TAG` and `L`) and the padding are fixed
///   constants. A prover can therefore not hash other values, nor the same
///   values in another domain.
/// - The hash adds no check of its own on its inputs: any field element is
///   hashed as is. An input that stands for an integer (a balance, an
///   amount) must be range-checked elsewhere, and an input that stands for a
///   value some gate reads must be that gate's cell or a copy of it.
/// - Distinct uses need distinct tags (`bulkhead_protocol::hash::tag`):
///   two uses that share `TAG` and `L` hash into the same domain, so their
///   outputs could be swapped for one another.
/// - The chip index only chooses the columns that lay the permutation out.
///   It changes the layout (and so the verifying key), never the value or
///   what is constrained.
pub trait PoseidonInstructions {
    /// Hashes `inputs` in domain `Tagged<TAG, L>`, laid out on chip `chip`
    /// (taken modulo the number of chips, so any index is valid).
    fn hash<const TAG: u64, const L: usize>(
        &self,
        chip: usize,
        layouter: impl Layouter<Fp>,
        inputs: [Cell; L],
    ) -> Result<Cell, Error>;
}

/// The configuration of all Poseidon chips of a circuit.
#[derive(Clone, Debug)]
pub struct PoseidonChips {
    chips: Vec<DensePoseidonConfig>,
}

impl PoseidonChips {
    /// Creates `count` chips, each in fresh columns.
    pub fn configure(meta: &mut ConstraintSystem<Fp>, count: usize) -> Self {
        let chips = (0..count)
            .map(|_| DensePoseidonConfig::configure(meta))
            .collect();
        Self { chips }
    }

    /// Number of chips.
    pub fn len(&self) -> usize {
        self.chips.len()
    }

    /// Always false: a circuit has at least one chip.
    pub fn is_empty(&self) -> bool {
        self.chips.is_empty()
    }

    /// Each chip's full-round selector, enabled on
    /// [`super::dense_poseidon::FULL_ROUND_ROWS`] rows of every
    /// permutation it lays out: what a layout pass counts permutations by.
    pub fn full_round_selectors(&self) -> Vec<Selector> {
        self.chips
            .iter()
            .map(DensePoseidonConfig::full_round_selector)
            .collect()
    }

    /// Chip `index % len()`: any index is valid.
    fn chip(&self, index: usize) -> &DensePoseidonConfig {
        &self.chips[index % self.chips.len()]
    }

    /// Hashes constant inputs (each bound by a constant constraint, no
    /// input cell): for circuits that must start a chain of hashes without
    /// an advice column of their own (the Poseidon-only floor circuit of
    /// `bulkhead-benches`). The exit-batch circuit never calls it.
    pub fn hash_constants<const TAG: u64, const L: usize>(
        &self,
        chip: usize,
        layouter: impl Layouter<Fp>,
        inputs: [Fp; L],
    ) -> Result<Cell, Error> {
        self.chip(chip)
            .hash::<TAG, L>(layouter, inputs.map(Word::Constant))
    }
}

impl PoseidonInstructions for PoseidonChips {
    /// Runs the sponge on chip `chip % len()`.
    fn hash<const TAG: u64, const L: usize>(
        &self,
        chip: usize,
        layouter: impl Layouter<Fp>,
        inputs: [Cell; L],
    ) -> Result<Cell, Error> {
        self.chip(chip)
            .hash::<TAG, L>(layouter, inputs.map(Word::Cell))
    }
}
