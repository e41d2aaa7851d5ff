//! The Poseidon-only floor of a shape: a circuit that computes as many
//! Poseidon permutations as the exit-batch circuit of the shape, on as many
//! chips side by side, and nothing else.
//!
//! Hashing is most of the exit-batch circuit (`cost::permutations` times
//! the rows one permutation takes, over the chips, is within a few percent
//! of its rows), so the time to prove this circuit is what the statement
//! would cost if every rule other than hashing were free. `bulkhead bench`
//! proves it beside each point and reports how far the real circuit is
//! from it: a gap near 1 says only a cheaper permutation can make the
//! shape faster. It is a benchmark circuit and nothing verifies it in
//! production, which is why it lives here and not in `bulkhead-circuits`:
//! it is laid out on the statement's own chips and layout pass.
//!
//! Every hash is a two-input hash (one permutation each); the chip of hash
//! `i` is `i % CHIPS`, which lays the permutations out side by side as the
//! exit-batch circuit does. Each chip hashes a chain: its first hash takes
//! constants, every later one its previous output, so the circuit has no
//! advice column beyond the chips' own.

use ff::Field;
use halo2_proofs::{
    circuit::{Layouter, SimpleFloorPlanner},
    plonk::{Circuit, Column, ConstraintSystem, Error as PlonkError, Fixed},
};

use bulkhead_protocol::hash::{tag, Fp};
use bulkhead_protocol::shape::CircuitShape;

use bulkhead_circuits::chips::poseidon::PoseidonChips;
use bulkhead_circuits::chips::{Cell, PoseidonInstructions};
use bulkhead_circuits::cost::permutations;
use bulkhead_circuits::layout::{count_rows, k_for_rows, RowCounter};
use bulkhead_circuits::Error;

mod keys;

pub use keys::PoseidonFloorKeys;

/// `permutations` two-input hashes on `CHIPS` Poseidon chips.
#[derive(Clone, Debug)]
pub struct PoseidonFloorCircuit<const CHIPS: usize> {
    permutations: usize,
}

/// Columns of [`PoseidonFloorCircuit`]: the chips and the constants column.
#[derive(Clone, Debug)]
pub struct PoseidonFloorConfig {
    chips: PoseidonChips,
    constants: Column<Fixed>,
}

impl<const CHIPS: usize> PoseidonFloorCircuit<CHIPS> {
    /// The floor of `shape`: its permutation count on its chips. Fails if
    /// the shape is invalid or `CHIPS` is not its chip count.
    pub fn for_shape(shape: CircuitShape) -> Result<Self, Error> {
        shape.validate()?;
        if shape.poseidon_chips as usize != CHIPS {
            return Err(Error::unsupported_chips(shape.poseidon_chips));
        }
        Ok(Self {
            permutations: permutations(&shape),
        })
    }

    /// Permutations the circuit computes.
    pub fn permutations(&self) -> usize {
        self.permutations
    }

    /// The smallest `k` that holds the circuit and halo2's blinding rows.
    pub fn k(&self) -> Result<u32, Error> {
        Ok(k_for_rows::<Self>(self.layout()?.rows))
    }

    /// One layout pass: rows used and permutations laid out.
    pub fn layout(&self) -> Result<RowCounter, Error> {
        count_rows(self, |c| c.constants, |c| &c.chips)
    }
}

impl<const CHIPS: usize> Circuit<Fp> for PoseidonFloorCircuit<CHIPS> {
    type Config = PoseidonFloorConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        // Nothing is private: every value follows from constants.
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        PoseidonFloorConfig {
            chips: PoseidonChips::configure(meta, CHIPS),
            constants,
        }
    }

    fn synthesize(
        &self,
        config: Self::Config,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), PlonkError> {
        // Each chip starts a chain from constants; every later hash of the
        // chip takes the chip's previous output twice (two copies, as the
        // exit-batch circuit's hashes copy their inputs).
        let mut last: Vec<Option<Cell>> = vec![None; CHIPS];
        for i in 0..self.permutations {
            let chip = i % CHIPS;
            let name = || format!("hash {i}");
            let out = match last[chip].take() {
                None => config.chips.hash_constants::<{ tag::ACCOUNT_NODE }, 2>(
                    chip,
                    layouter.namespace(name),
                    [Fp::ONE, Fp::ONE],
                )?,
                Some(prev) => config.chips.hash::<{ tag::ACCOUNT_NODE }, 2>(
                    chip,
                    layouter.namespace(name),
                    [prev.clone(), prev],
                )?,
            };
            last[chip] = Some(out);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_circuits::chips::dense_poseidon::ROWS_PER_PERMUTATION;
    use bulkhead_circuits::cost::measure;
    use halo2_proofs::dev::MockProver;

    #[test]
    fn the_floor_of_tiny_is_satisfied_and_hashes_as_many_times() {
        let shape = CircuitShape::TINY;
        let circuit = PoseidonFloorCircuit::<2>::for_shape(shape).unwrap();
        assert_eq!(circuit.permutations(), permutations(&shape));
        let k = circuit.k().unwrap();
        MockProver::run(k, &circuit, vec![])
            .unwrap()
            .assert_satisfied();
        // Every permutation is laid out: as many as the exit-batch
        // circuit's chips lay out.
        let counted = circuit.layout().unwrap();
        assert_eq!(counted.permutations(), measure(shape).unwrap().permutations);
        // Side by side on two chips: half the rows of one chip, within one
        // permutation.
        let per = ROWS_PER_PERMUTATION;
        let expected = circuit.permutations().div_ceil(2) * per;
        assert!(
            counted.rows.abs_diff(expected) <= per,
            "{} rows, expected about {expected}",
            counted.rows
        );
    }

    #[test]
    fn the_floor_refuses_a_chip_count_other_than_its_own() {
        assert!(PoseidonFloorCircuit::<3>::for_shape(CircuitShape::TINY).is_err());
    }

    #[test]
    fn the_default_floor_fits_the_default_circuits_k() {
        let shape = CircuitShape::DEFAULT;
        let floor = PoseidonFloorCircuit::<2>::for_shape(shape).unwrap();
        assert!(floor.k().unwrap() <= bulkhead_circuits::keys::k_for(shape).unwrap());
    }
}
