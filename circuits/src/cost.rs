//! Exact size of a circuit shape, read from halo2's own layout pass
//! (`halo2_proofs::dev::CircuitCost`): rows, columns, degree, `k` and the
//! proof length.

use halo2_proofs::{
    circuit::{SimpleFloorPlanner, Value},
    dev::CircuitCost,
    plonk::{
        Advice, Any, Assigned, Assignment, Circuit, Column, ConstraintSystem, Error as PlonkError,
        Fixed, FloorPlanner, Instance, Selector,
    },
};
use pasta_curves::vesta;

use crate::circuit::ExitBatchCircuit;
use crate::error::Error;
use crate::hash::Fp;
use crate::shape::CircuitShape;
use crate::with_chips;

/// The size of one circuit shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CircuitReport {
    /// The shape measured.
    pub shape: CircuitShape,
    /// Smallest `k` whose `2^k` rows hold the circuit and halo2's blinding rows.
    pub k: u32,
    /// Rows used, over all columns.
    pub rows: usize,
    /// Rows used in advice columns.
    pub advice_rows: usize,
    /// Advice columns.
    pub advice_columns: usize,
    /// Fixed columns, after selector compression.
    pub fixed_columns: usize,
    /// Instance columns.
    pub instance_columns: usize,
    /// Lookup arguments.
    pub lookups: usize,
    /// Maximum constraint degree.
    pub max_degree: usize,
    /// Rows halo2 reserves for blinding (plus one).
    pub reserved_rows: usize,
    /// Exact length in bytes of one proof of this shape.
    pub proof_bytes: usize,
}

/// Reads `name: value` out of halo2's `Debug` rendering of `CircuitCost`,
/// whose fields are private but whose `Debug` is the documented report.
fn debug_field(text: &str, name: &str) -> Option<usize> {
    let key = format!(" {name}: ");
    let start = text.find(&key)? + key.len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// An `Assignment` that only records the highest row touched.
///
/// `CircuitCost::measure` needs a `k` up front and allocates selector
/// tables of `2^k` rows for it; this pass finds the rows first, so the real
/// measurement runs once, at the real `k`.
#[derive(Default)]
struct RowCounter {
    rows: usize,
}

impl RowCounter {
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

fn measure_circuit<const CHIPS: usize>(
    shape: CircuitShape,
    circuit: &ExitBatchCircuit<CHIPS>,
) -> Result<CircuitReport, Error> {
    let mut cs = ConstraintSystem::<Fp>::default();
    let config = ExitBatchCircuit::<CHIPS>::configure(&mut cs);
    let constants = vec![config.constants()];
    let mut counter = RowCounter::default();
    SimpleFloorPlanner::synthesize(&mut counter, circuit, config, constants)
        .map_err(|e| Error::Halo2(e.to_string()))?;
    let reserved_rows = cs.blinding_factors() + 1;
    let k = (counter.rows + reserved_rows)
        .max(cs.minimum_rows())
        .next_power_of_two()
        .trailing_zeros();

    let cost = CircuitCost::<vesta::Point, _>::measure(k, circuit);
    let text = format!("{cost:?}");
    let field = |name: &str| {
        debug_field(&text, name).ok_or_else(|| Error::Halo2(format!("CircuitCost has no {name}")))
    };
    let rows = field("max_rows")?;
    if rows != counter.rows {
        return Err(Error::Halo2(format!(
            "row count {} disagrees with CircuitCost's {rows}",
            counter.rows
        )));
    }
    Ok(CircuitReport {
        shape,
        k,
        rows,
        advice_rows: field("max_advice_rows")?,
        advice_columns: field("num_advice_columns")?,
        fixed_columns: field("num_fixed_columns")?,
        instance_columns: field("num_instance_columns")?,
        lookups: field("lookups")?,
        max_degree: field("max_deg")?,
        reserved_rows,
        proof_bytes: usize::from(cost.proof_size(1)),
    })
}

/// Measures the exit-batch circuit of `shape`.
pub fn measure(shape: CircuitShape) -> Result<CircuitReport, Error> {
    shape.validate()?;
    with_chips!(shape.poseidon_chips, CHIPS => {
        measure_circuit(shape, &ExitBatchCircuit::<CHIPS>::blank(shape)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_field_reads_exact_names() {
        let text = "CircuitCost { k: 9, max_advice_rows: 5, max_rows: 7, advice_columns: 3 }";
        assert_eq!(debug_field(text, "max_rows"), Some(7));
        assert_eq!(debug_field(text, "max_advice_rows"), Some(5));
        assert_eq!(debug_field(text, "advice_columns"), Some(3));
        assert_eq!(debug_field(text, "lookups"), None);
    }

    #[test]
    fn two_chips_need_fewer_rows_than_one() {
        let one = measure(CircuitShape {
            poseidon_chips: 1,
            ..CircuitShape::TINY
        })
        .unwrap();
        let two = measure(CircuitShape::TINY).unwrap();
        assert!(two.rows < one.rows, "{two:?} vs {one:?}");
        assert_eq!(two.advice_columns, one.advice_columns + 4);
        assert_eq!(two.instance_columns, 1);
        assert_eq!(two.lookups, 1);
    }
}
