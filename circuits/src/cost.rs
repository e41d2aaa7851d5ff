//! Exact size of a circuit shape, read from halo2's own layout pass
//! (`halo2_proofs::dev::CircuitCost`): rows, columns, degree, `k` and the
//! proof length.

use halo2_proofs::{
    dev::CircuitCost,
    plonk::{Circuit, ConstraintSystem},
};
use pasta_curves::vesta;

use crate::circuit::ExitBatchCircuit;
use crate::error::Error;
use crate::hash::Fp;
use crate::shape::CircuitShape;
use crate::with_chips;

/// `k` used only to lay the circuit out when measuring; every valid shape
/// fits below it.
const PROBE_K: u32 = 22;

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

fn measure_circuit<C: Circuit<Fp> + std::fmt::Debug>(
    shape: CircuitShape,
    circuit: &C,
) -> Result<CircuitReport, Error> {
    let cost = CircuitCost::<vesta::Point, C>::measure(PROBE_K, circuit);
    let text = format!("{cost:?}");
    let field = |name: &str| {
        debug_field(&text, name).ok_or_else(|| Error::Halo2(format!("CircuitCost has no {name}")))
    };
    let mut cs = ConstraintSystem::<Fp>::default();
    C::configure(&mut cs);
    let reserved_rows = cs.blinding_factors() + 1;
    let rows = field("max_rows")?;
    let k = (rows + reserved_rows)
        .max(cs.minimum_rows())
        .next_power_of_two()
        .trailing_zeros();
    // The IPA opening proof has one round per bit of k: measure the proof
    // length at the real k.
    let cost_at_k = CircuitCost::<vesta::Point, C>::measure(k, circuit);
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
        proof_bytes: usize::from(cost_at_k.proof_size(1)),
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
