//! Exact size of a circuit shape, read from halo2's own layout pass
//! (`halo2_proofs::dev::CircuitCost`): rows, columns, degree, `k` and the
//! proof length.

use halo2_proofs::{
    circuit::{SimpleFloorPlanner, Value},
    dev::CircuitCost,
    plonk::{Advice, Circuit, Column, ConstraintSystem, Error as PlonkError, Fixed},
};
use pasta_curves::vesta;

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::shape::CircuitShape;

use crate::chips::PoseidonInstructions;
use crate::circuit::ExitBatchCircuit;
use crate::error::{Error, SizeReportError};
use crate::layout::{count_rows, layout, Layout};
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
    /// Poseidon permutations in one proof.
    pub permutations: usize,
    /// Rows one permutation takes on its chip, sponge set-up included
    /// (measured on a probe circuit, so exact for this halo2 version).
    pub rows_per_permutation: usize,
}

/// Poseidon permutations the exit-batch circuit of `shape` computes: per
/// slot two 4-input leaves (2 each), two paths of D nodes and a 6-input exit
/// leaf (3); N-1 exit-tree nodes; the lane id (2), two silo leaves (3 each)
/// and two silo paths of S nodes, the lane leaf and path of L nodes, and two
/// boundary roots (2 each).
pub fn permutations(shape: &CircuitShape) -> usize {
    let (d, s, l, n) = (
        shape.accounts_depth as usize,
        shape.silo_depth as usize,
        shape.lanes_depth as usize,
        shape.slots(),
    );
    n * (2 * 2 + 2 * d + 3) + (n - 1) + 2 + 2 * 3 + 2 * s + 1 + l + 2 * 2
}

/// A circuit that hashes `count` pairs on one Poseidon chip, to measure
/// the rows one permutation takes.
#[derive(Clone, Debug)]
struct PermutationProbe {
    count: usize,
}

impl Circuit<Fp> for PermutationProbe {
    type Config = (
        crate::chips::poseidon::PoseidonChips,
        Column<Advice>,
        Column<Fixed>,
    );
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
        let input = meta.advice_column();
        meta.enable_equality(input);
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        (
            crate::chips::poseidon::PoseidonChips::configure(meta, 1),
            input,
            constants,
        )
    }

    fn synthesize(
        &self,
        (chips, input, _): Self::Config,
        mut layouter: impl halo2_proofs::circuit::Layouter<Fp>,
    ) -> Result<(), PlonkError> {
        for i in 0..self.count {
            let cells = layouter.assign_region(
                || "inputs",
                |mut region| {
                    let a = region.assign_advice(
                        || "a",
                        input,
                        0,
                        || Value::known(Fp::from(i as u64)),
                    )?;
                    let b = region.assign_advice(|| "b", input, 1, || Value::known(Fp::from(1)))?;
                    Ok([a, b])
                },
            )?;
            chips.hash::<{ bulkhead_protocol::hash::tag::ACCOUNT_NODE }, 2>(
                0,
                layouter.namespace(|| "node"),
                cells,
            )?;
        }
        Ok(())
    }
}

/// Rows per Poseidon permutation on one chip: the difference between
/// probes with 2 and 1 hashes.
pub fn rows_per_permutation() -> Result<usize, Error> {
    let one = count_rows(&PermutationProbe { count: 1 }, |c| c.2)?.rows;
    let two = count_rows(&PermutationProbe { count: 2 }, |c| c.2)?.rows;
    Ok(two - one)
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

fn measure_circuit<const CHIPS: usize>(
    shape: CircuitShape,
    circuit: &ExitBatchCircuit<CHIPS>,
) -> Result<CircuitReport, Error> {
    let Layout {
        rows: used,
        permutations,
        reserved_rows,
        k,
    } = layout(shape)?;
    let cost = CircuitCost::<vesta::Point, _>::measure(k, circuit);
    let text = format!("{cost:?}");
    let field = |name: &'static str| {
        debug_field(&text, name).ok_or(Error::SizeReport(SizeReportError::MissingField(name)))
    };
    let rows = field("max_rows")?;
    if rows != used {
        return Err(Error::SizeReport(SizeReportError::Rows {
            layout: used,
            halo2: rows,
        }));
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
        permutations,
        rows_per_permutation: rows_per_permutation()?,
    })
}

/// The exact length in bytes of every proof of `shape` at `k` (its
/// [`crate::keys::k_for`], which key holders already know): halo2's
/// `CircuitCost`, without the size report's probe circuits. Verifiers
/// refuse any other length, so a proof has one encoding (halo2 ignores
/// transcript bytes it never reads).
pub fn proof_bytes(shape: CircuitShape, k: u32) -> Result<usize, Error> {
    shape.validate()?;
    with_chips!(shape.poseidon_chips, CHIPS => {
        let circuit = ExitBatchCircuit::<CHIPS>::blank(shape)?;
        Ok(usize::from(CircuitCost::<vesta::Point, _>::measure(k, &circuit).proof_size(1)))
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
    fn permutation_count_matches_the_documented_formula() {
        for shape in [
            CircuitShape::TINY,
            CircuitShape::DEFAULT,
            CircuitShape {
                batch_size: 1,
                ..CircuitShape::TINY
            },
        ] {
            let report = measure(shape).unwrap();
            assert_eq!(report.permutations, permutations(&shape), "{shape}");
            // Hashing spread over the chips bounds the rows from below.
            let hashing = (report.permutations * report.rows_per_permutation)
                .div_ceil(shape.poseidon_chips as usize);
            assert!(
                hashing <= report.rows,
                "{shape}: {hashing} > {}",
                report.rows
            );
            if shape == CircuitShape::DEFAULT {
                // At a real size hashing is the circuit: the main columns'
                // regions fit beside the chips'.
                let share = hashing as f64 / report.rows as f64;
                assert!(share > 0.95, "{shape}: hashing share {share}");
            }
        }
        assert_eq!(
            rows_per_permutation().unwrap(),
            crate::chips::dense_poseidon::ROWS_PER_PERMUTATION
        );
    }

    #[test]
    fn proof_bytes_is_the_reports_proof_length() {
        for shape in [CircuitShape::TINY, CircuitShape::DEFAULT] {
            let report = measure(shape).unwrap();
            assert_eq!(proof_bytes(shape, report.k).unwrap(), report.proof_bytes);
        }
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
        assert_eq!(
            two.advice_columns,
            one.advice_columns + crate::chips::dense_poseidon::COLUMNS
        );
        assert_eq!(two.instance_columns, 1);
        assert_eq!(two.lookups, 1);
    }
}
