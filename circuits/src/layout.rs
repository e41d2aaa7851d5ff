//! Rows a circuit uses and the Poseidon permutations it lays out, from one
//! pass of halo2's floor planner over a recording `Assignment`, and the
//! `k` a shape needs. Key derivation needs `k` before anything else, so
//! this is the cheap path: no `CircuitCost` (which allocates `2^k`-row
//! tables up front). Public so that other circuits on the same chips (the
//! Poseidon-only floor of `bulkhead-benches`) are laid out the same way.

use halo2_proofs::{
    circuit::{SimpleFloorPlanner, Value},
    plonk::{
        Advice, Any, Assigned, Assignment, Circuit, Column, ConstraintSystem, Error as PlonkError,
        Fixed, FloorPlanner, Instance, Selector,
    },
};

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::shape::CircuitShape;

use crate::chips::dense_poseidon::FULL_ROUND_ROWS;
use crate::chips::poseidon::PoseidonChips;
use crate::circuit::ExitBatchCircuit;
use crate::error::Error;
use crate::with_chips;

/// Rows used and permutations laid out by the exit-batch circuit of one
/// shape, with the `k` that holds them.
pub(crate) struct Layout {
    /// Rows used over all columns.
    pub rows: usize,
    /// Rows used in advice columns.
    pub advice_rows: usize,
    /// Poseidon permutations laid out.
    pub permutations: usize,
    /// Rows halo2 reserves for blinding (plus one).
    pub reserved_rows: usize,
    /// Smallest `k` whose `2^k` rows hold the circuit and the reserved rows.
    pub k: u32,
}

/// Lays out the blank exit-batch circuit of `shape` once and reads off its
/// rows, its permutations and `k`.
pub(crate) fn layout(shape: CircuitShape) -> Result<Layout, Error> {
    shape.validate()?;
    with_chips!(shape.poseidon_chips, CHIPS => {
        let circuit = ExitBatchCircuit::<CHIPS>::blank(shape)?;
        let counted = count_rows(&circuit, |c| c.constants(), |c| c.poseidon())?;
        Ok(Layout {
            rows: counted.rows,
            advice_rows: counted.advice_rows,
            permutations: counted.permutations(),
            reserved_rows: reserved_rows::<ExitBatchCircuit<CHIPS>>(),
            k: k_for_rows::<ExitBatchCircuit<CHIPS>>(counted.rows),
        })
    })
}

/// Rows halo2 reserves at the end of the domain of circuit `C` (its
/// blinding rows, plus one).
pub fn reserved_rows<C: Circuit<Fp>>() -> usize {
    let mut cs = ConstraintSystem::<Fp>::default();
    C::configure(&mut cs);
    cs.blinding_factors() + 1
}

/// The smallest `k` whose `2^k` rows hold `rows` used rows of circuit `C`
/// and the rows halo2 reserves.
pub fn k_for_rows<C: Circuit<Fp>>(rows: usize) -> u32 {
    let mut cs = ConstraintSystem::<Fp>::default();
    C::configure(&mut cs);
    (rows + cs.blinding_factors() + 1)
        .max(cs.minimum_rows())
        .next_power_of_two()
        .trailing_zeros()
}

/// Lays `circuit` out once on a [`RowCounter`]. `constants` names its
/// constants column in its config, `chips` its Poseidon chips (whose
/// permutations the pass counts).
pub fn count_rows<C: Circuit<Fp>>(
    circuit: &C,
    constants: impl Fn(&C::Config) -> Column<Fixed>,
    chips: impl Fn(&C::Config) -> &PoseidonChips,
) -> Result<RowCounter, Error> {
    let mut cs = ConstraintSystem::<Fp>::default();
    let config = C::configure(&mut cs);
    let constants = vec![constants(&config)];
    let mut counter = RowCounter {
        markers: chips(&config).full_round_selectors(),
        ..RowCounter::default()
    };
    SimpleFloorPlanner::synthesize(&mut counter, circuit, config, constants)?;
    Ok(counter)
}

/// An `Assignment` that records the highest row touched and the rows on
/// which the Poseidon chips enable their full-round selector.
///
/// `CircuitCost::measure` needs a `k` up front and allocates selector
/// tables of `2^k` rows for it; this pass finds the rows first, so the real
/// measurement runs once, at the real `k`.
#[derive(Debug, Default)]
pub struct RowCounter {
    /// Highest row touched in any column, plus one.
    pub rows: usize,
    /// Highest row touched in an advice column, plus one.
    pub advice_rows: usize,
    /// The chips' full-round selectors.
    markers: Vec<Selector>,
    /// Rows on which one of `markers` was enabled.
    marked: usize,
}

impl RowCounter {
    /// Poseidon permutations laid out, as the chips' full-round selectors
    /// count them ([`FULL_ROUND_ROWS`] per permutation).
    pub fn permutations(&self) -> usize {
        self.marked / FULL_ROUND_ROWS
    }

    fn touch(&mut self, row: usize) -> Result<(), PlonkError> {
        self.rows = self.rows.max(row + 1);
        Ok(())
    }
}

impl Assignment<Fp> for RowCounter {
    fn enter_region<NR: Into<String>, N: FnOnce() -> NR>(&mut self, _: N) {}
    fn exit_region(&mut self) {}
    fn enable_selector<A: FnOnce() -> AR, AR: Into<String>>(
        &mut self,
        _: A,
        selector: &Selector,
        row: usize,
    ) -> Result<(), PlonkError> {
        if self.markers.contains(selector) {
            self.marked += 1;
        }
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
        self.advice_rows = self.advice_rows.max(row + 1);
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
