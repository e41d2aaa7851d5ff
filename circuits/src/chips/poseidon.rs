//! Poseidon hashing in-circuit, on one or more `Pow5Chip`s side by side.
//!
//! Each chip has its own 4 advice and 6 fixed columns, so the single-pass
//! floor planner lays regions of different chips on the same rows: two
//! chips halve the rows that hashing needs, at the price of 4 more committed
//! columns. Callers pick the chip per hash so that independent hashes
//! (the old and new Merkle paths of one slot) run side by side.

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

    /// Hashes `inputs` in domain `Tagged<TAG, L>` on chip `chip % len()`.
    ///
    /// The inputs are copied into the sponge (copy constraints), and the
    /// capacity and padding are fixed constants, so the output is bound to
    /// exactly these cells and this domain.
    pub fn hash<const TAG: u64, const L: usize>(
        &self,
        chip: usize,
        mut layouter: impl Layouter<Fp>,
        inputs: [Cell; L],
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
        for (i, word) in inputs
            .into_iter()
            .map(PaddedWord::Message)
            .chain(padding)
            .enumerate()
        {
            sponge.absorb(layouter.namespace(|| format!("absorb {i}")), word)?;
        }
        sponge
            .finish_absorbing(layouter.namespace(|| "finish"))?
            .squeeze(layouter.namespace(|| "squeeze"))
    }
}
