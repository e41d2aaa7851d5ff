//! Poseidon hashing in-circuit, on one or more `Pow5Chip`s side by side.
//!
//! Each chip has its own 4 advice and 6 fixed columns, so the single-pass
//! floor planner lays regions of different chips on the same rows: two
//! chips halve the rows that hashing needs, at the price of 4 more committed
//! columns. Callers pick the chip per hash so that independent hashes
//! (the old and new Merkle paths of one slot) run side by side.
//!
//! [`PoseidonInstructions`] is what the rest of the circuit may ask of
//! Poseidon; [`PoseidonChips`] implements it.

use halo2_gadgets::poseidon::{
    primitives::{Absorbing, Domain, P128Pow5T3},
    PaddedWord, Pow5Chip, Pow5Config, Sponge,
};
use halo2_proofs::{
    circuit::Layouter,
    plonk::{ConstraintSystem, Error},
};

use super::Cell;
use bulkhead_protocol::hash::{Fp, Tagged, RATE, WIDTH};

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
    chips: Vec<Pow5Config<Fp, WIDTH, RATE>>,
}

impl PoseidonChips {
    /// Creates `count` chips, each in fresh columns.
    pub fn configure(meta: &mut ConstraintSystem<Fp>, count: usize) -> Self {
        let chips = (0..count)
            .map(|_| {
                let state = [(); WIDTH].map(|_| meta.advice_column());
                let partial_sbox = meta.advice_column();
                let rc_a = [(); WIDTH].map(|_| meta.fixed_column());
                let rc_b = [(); WIDTH].map(|_| meta.fixed_column());
                Pow5Chip::configure::<P128Pow5T3>(meta, state, partial_sbox, rc_a, rc_b)
            })
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
}

impl PoseidonChips {
    /// Hashes constant inputs (laid out as constants, no copies): for
    /// circuits that must start a chain of hashes without an advice column
    /// of their own (`crate::floor`).
    pub(crate) fn hash_constants<const TAG: u64, const L: usize>(
        &self,
        chip: usize,
        layouter: impl Layouter<Fp>,
        inputs: [Fp; L],
    ) -> Result<Cell, Error> {
        self.hash_words::<TAG, L>(chip, layouter, inputs.map(PaddedWord::Padding))
    }

    /// Runs the sponge of domain `Tagged<TAG, L>` over `words` on chip
    /// `chip % len()`.
    fn hash_words<const TAG: u64, const L: usize>(
        &self,
        chip: usize,
        mut layouter: impl Layouter<Fp>,
        words: [PaddedWord<Fp>; L],
    ) -> Result<Cell, Error> {
        let config = self.chips[chip % self.chips.len()].clone();
        let mut sponge = Sponge::<
            Fp,
            Pow5Chip<Fp, WIDTH, RATE>,
            P128Pow5T3,
            Absorbing<PaddedWord<Fp>, RATE>,
            Tagged<TAG, L>,
            WIDTH,
            RATE,
        >::new(Pow5Chip::construct(config), layouter.namespace(|| "init"))?;
        let padding = <Tagged<TAG, L> as Domain<Fp, RATE>>::padding(L).map(PaddedWord::Padding);
        for (i, word) in words.into_iter().chain(padding).enumerate() {
            sponge.absorb(layouter.namespace(|| format!("absorb {i}")), word)?;
        }
        sponge
            .finish_absorbing(layouter.namespace(|| "finish"))?
            .squeeze(layouter.namespace(|| "squeeze"))
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
        self.hash_words::<TAG, L>(chip, layouter, inputs.map(PaddedWord::Message))
    }
}
