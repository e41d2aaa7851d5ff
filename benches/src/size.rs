//! The size report of a circuit shape as `bulkhead inspect` prints it:
//! the circuit's own description (`bulkhead_circuits::cost`: rows, `k`,
//! degree, proof length, permutations) and the column and lookup counts
//! that only halo2 knows.
//!
//! halo2_proofs 0.4 computes those counts after selector compression in
//! `dev::CircuitCost`, whose fields are private; `ConstraintSystem` keeps
//! them `pub(crate)` and `Column::index` is `pub(crate)` too, so no public
//! accessor gives them. The one way to read them is the `Debug` text of
//! `CircuitCost`: [`debug_field`] reads `name: value` out of it, and a
//! test here fails if a field goes missing or if halo2's rows, advice
//! rows or degree ever disagree with the circuit's own.

use bulkhead_circuits::circuit::ExitBatchCircuit;
use bulkhead_circuits::cost::{self, CircuitReport as CircuitSize};
use bulkhead_circuits::with_chips;
use bulkhead_protocol::CircuitShape;
use halo2_proofs::dev::CircuitCost;
use pasta_curves::vesta;

use crate::BenchError;

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
    /// Poseidon permutations in one proof.
    pub permutations: usize,
    /// Rows one permutation takes on its chip, sponge set-up included.
    pub rows_per_permutation: usize,
}

/// What halo2's `CircuitCost` says of a circuit, as far as this crate
/// reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Halo2Cost {
    /// `max_rows`.
    pub rows: usize,
    /// `max_advice_rows`.
    pub advice_rows: usize,
    /// `num_advice_columns`.
    pub advice_columns: usize,
    /// `num_fixed_columns` (after selector compression).
    pub fixed_columns: usize,
    /// `num_instance_columns`.
    pub instance_columns: usize,
    /// `lookups`.
    pub lookups: usize,
    /// `max_deg`.
    pub max_degree: usize,
}

/// Reads `name: value` out of halo2's `Debug` rendering of `CircuitCost`:
/// the value's digits after the first ` name: `.
pub fn debug_field(text: &str, name: &str) -> Option<usize> {
    let key = format!(" {name}: ");
    let start = text.find(&key)? + key.len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// halo2's `CircuitCost` of the blank exit-batch circuit of `shape` at
/// `k`.
pub fn halo2_cost(shape: CircuitShape, k: u32) -> Result<Halo2Cost, BenchError> {
    shape.validate()?;
    let text = with_chips!(shape.poseidon_chips, CHIPS => {
        let circuit = ExitBatchCircuit::<CHIPS>::blank(shape)?;
        Ok::<_, BenchError>(format!("{:?}", CircuitCost::<vesta::Point, _>::measure(k, &circuit)))
    })?;
    let field = |name: &'static str| debug_field(&text, name).ok_or(BenchError::CostField(name));
    Ok(Halo2Cost {
        rows: field("max_rows")?,
        advice_rows: field("max_advice_rows")?,
        advice_columns: field("num_advice_columns")?,
        fixed_columns: field("num_fixed_columns")?,
        instance_columns: field("num_instance_columns")?,
        lookups: field("lookups")?,
        max_degree: field("max_deg")?,
    })
}

/// Measures the exit-batch circuit of `shape`: its own description, with
/// halo2's column and lookup counts. Fails if halo2's row count is not
/// the circuit's own.
pub fn measure(shape: CircuitShape) -> Result<CircuitReport, BenchError> {
    let own: CircuitSize = cost::measure(shape)?;
    let halo2 = halo2_cost(shape, own.k)?;
    if halo2.rows != own.rows {
        return Err(BenchError::Rows {
            layout: own.rows,
            halo2: halo2.rows,
        });
    }
    Ok(CircuitReport {
        shape,
        k: own.k,
        rows: own.rows,
        advice_rows: own.advice_rows,
        advice_columns: halo2.advice_columns,
        fixed_columns: halo2.fixed_columns,
        instance_columns: halo2.instance_columns,
        lookups: halo2.lookups,
        max_degree: own.max_degree,
        reserved_rows: own.reserved_rows,
        proof_bytes: own.proof_bytes,
        permutations: own.permutations,
        rows_per_permutation: own.rows_per_permutation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_circuits::chips::dense_poseidon::COLUMNS;

    #[test]
    fn debug_field_reads_exact_names() {
        let text = "CircuitCost { k: 9, max_advice_rows: 5, max_rows: 7, advice_columns: 3 }";
        assert_eq!(debug_field(text, "max_rows"), Some(7));
        assert_eq!(debug_field(text, "max_advice_rows"), Some(5));
        assert_eq!(debug_field(text, "advice_columns"), Some(3));
        assert_eq!(debug_field(text, "lookups"), None);
    }

    /// Fails loudly if halo2's `Debug` text loses a field this crate reads,
    /// or if halo2 and the circuit's own layout pass ever disagree.
    #[test]
    fn halo2_agrees_with_the_circuits_own_description() {
        for shape in [
            CircuitShape::TINY,
            CircuitShape::DEFAULT,
            CircuitShape {
                poseidon_chips: 1,
                ..CircuitShape::TINY
            },
        ] {
            let own = cost::measure(shape).unwrap();
            let halo2 = halo2_cost(shape, own.k).unwrap();
            assert_eq!(halo2.rows, own.rows, "{shape}");
            assert_eq!(halo2.advice_rows, own.advice_rows, "{shape}");
            assert_eq!(halo2.max_degree, own.max_degree, "{shape}");
            assert_eq!(measure(shape).unwrap().rows, own.rows);
        }
    }

    #[test]
    fn a_second_chip_is_its_columns_and_nothing_else() {
        let one = measure(CircuitShape {
            poseidon_chips: 1,
            ..CircuitShape::TINY
        })
        .unwrap();
        let two = measure(CircuitShape::TINY).unwrap();
        assert_eq!(two.advice_columns, one.advice_columns + COLUMNS);
        assert_eq!(two.instance_columns, 1);
        assert_eq!(two.lookups, 1);
    }
}
