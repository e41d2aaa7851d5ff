//! Rows a circuit uses, from one pass of halo2's floor planner over a
//! recording `Assignment`, and the `k` a shape needs. Key derivation needs
//! `k` before anything else, so this is the cheap path: no probe circuits,
//! no `CircuitCost` (which allocates `2^k`-row tables up front).

use halo2_proofs::{
    circuit::{SimpleFloorPlanner, Value},
    plonk::{
        Advice, Any, Assigned, Assignment, Circuit, Column, ConstraintSystem, Error as PlonkError,
        Fixed, FloorPlanner, Instance, Selector,
    },
};

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::shape::CircuitShape;

use crate::circuit::ExitBatchCircuit;
use crate::error::Error;
use crate::with_chips;

/// Rows used and permutations laid out by the exit-batch circuit of one
/// shape, with the `k` that holds them.
pub(crate) struct Layout {
    /// Rows used over all columns.
    pub rows: usize,
    /// Poseidon permutations laid out.
    pub permutations: usize,
    /// Rows halo2 reserves for blinding (plus one).
    pub reserved_rows: usize,
    /// Smallest `k` whose `2^k` rows hold the circuit and the reserved rows.
    pub k: u32,
}

/// Lays out the blank exit-batch circuit of `shape` once and reads off its
/// rows and `k`.
pub(crate) fn layout(shape: CircuitShape) -> Result<Layout, Error> {
    shape.validate()?;
    with_chips!(shape.poseidon_chips, CHIPS => {
        let circuit = ExitBatchCircuit::<CHIPS>::blank(shape)?;
        let counted = count_rows(&circuit, |c| c.constants())?;
        let mut cs = ConstraintSystem::<Fp>::default();
        ExitBatchCircuit::<CHIPS>::configure(&mut cs);
        let reserved_rows = cs.blinding_factors() + 1;
        let k = (counted.rows + reserved_rows)
            .max(cs.minimum_rows())
            .next_power_of_two()
            .trailing_zeros();
        Ok(Layout {
            rows: counted.rows,
            permutations: counted.permutations,
            reserved_rows,
            k,
        })
    })
}

/// Rows `circuit` uses, from one [`RowCounter`] pass; `constants` names
/// its constants column in its config.
pub(crate) fn count_rows<C: Circuit<Fp>>(
    circuit: &C,
    constants: impl Fn(&C::Config) -> Column<Fixed>,
) -> Result<RowCounter, Error> {
    let mut cs = ConstraintSystem::<Fp>::default();
    let config = C::configure(&mut cs);
    let constants = vec![constants(&config)];
    let mut counter = RowCounter::default();
    SimpleFloorPlanner::synthesize(&mut counter, circuit, config, constants)?;
    Ok(counter)
}

/// An `Assignment` that only records the highest row touched.
///
/// `CircuitCost::measure` needs a `k` up front and allocates selector
/// tables of `2^k` rows for it; this pass finds the rows first, so the real
/// measurement runs once, at the real `k`.
#[derive(Default)]
pub(crate) struct RowCounter {
    /// Highest row touched, plus one.
    pub rows: usize,
    /// Poseidon permutations, read from the names of the hash regions.
    pub permutations: usize,
}

impl RowCounter {
    fn touch(&mut self, row: usize) -> Result<(), PlonkError> {
        self.rows = self.rows.max(row + 1);
        Ok(())
    }
}

impl Assignment<Fp> for RowCounter {
    fn enter_region<NR: Into<String>, N: FnOnce() -> NR>(&mut self, name: N) {
        self.permutations += crate::chips::dense_poseidon::permutations_in_region(&name().into());
    }
    fn exit_region(&mut self) {}
    fn enable_selector<A: FnOnce() -> AR, AR: Into<String>>(
        &mut self,
        _: A,
        _: &Selector,
        row: usize,
    ) -> Result<(), PlonkError> {
        self.touch(row)
    }
    fn query_instance(&self, _: Column<Instance>, _: usize) -> Result<Value<Fp>, PlonkError> {
        Ok(Value::unknown())
    }
    fn assign_advice<V, VR, A, AR>(
        &mut self,
        _: A,
        _: Column<Advice>,
        row: usize,
        _: V,
    ) -> Result<(), PlonkError>
    where
        V: FnOnce() -> Value<VR>,
        VR: Into<Assigned<Fp>>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        self.touch(row)
    }
    fn assign_fixed<V, VR, A, AR>(
        &mut self,
        _: A,
        _: Column<Fixed>,
        row: usize,
        _: V,
    ) -> Result<(), PlonkError>
    where
        V: FnOnce() -> Value<VR>,
        VR: Into<Assigned<Fp>>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        self.touch(row)
    }
    fn copy(
        &mut self,
        _: Column<Any>,
        _: usize,
        _: Column<Any>,
        _: usize,
    ) -> Result<(), PlonkError> {
        Ok(())
    }
    fn fill_from_row(
        &mut self,
        _: Column<Fixed>,
        _: usize,
        _: Value<Assigned<Fp>>,
    ) -> Result<(), PlonkError> {
        // Lookup-table padding to the end of the domain is not a used row.
        Ok(())
    }
    fn push_namespace<NR: Into<String>, N: FnOnce() -> NR>(&mut self, _: N) {}
    fn pop_namespace(&mut self, _: Option<String>) {}
}
