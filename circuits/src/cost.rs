//! Exact size of a circuit shape, the circuit's own description of itself:
//! rows and advice rows from one layout pass (`crate::layout`), the
//! permutations its Poseidon chips lay out (counted by their full-round
//! selectors), the maximum degree and the reserved rows from halo2's
//! `ConstraintSystem`, `k`, and the proof length from halo2's
//! `dev::CircuitCost`. Column and lookup counts after selector compression
//! have no public accessor in halo2_proofs 0.4; `bulkhead-benches` reads
//! them where it measures.

use halo2_proofs::{
    dev::CircuitCost,
    plonk::{Circuit, ConstraintSystem},
};
use pasta_curves::vesta;

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::shape::CircuitShape;

use crate::chips::dense_poseidon::ROWS_PER_PERMUTATION;
use crate::circuit::ExitBatchCircuit;
use crate::error::Error;
use crate::layout::{layout, Layout};
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
    /// Maximum constraint degree.
    pub max_degree: usize,
    /// Rows halo2 reserves for blinding (plus one).
    pub reserved_rows: usize,
    /// Exact length in bytes of one proof of this shape.
    pub proof_bytes: usize,
    /// Poseidon permutations in one proof, as the chips lay them out.
    pub permutations: usize,
    /// Rows one permutation takes on its chip, sponge set-up included
    /// (the dense chip's `ROWS_PER_PERMUTATION`).
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

fn measure_circuit<const CHIPS: usize>(
    shape: CircuitShape,
    circuit: &ExitBatchCircuit<CHIPS>,
) -> Result<CircuitReport, Error> {
    let Layout {
        rows,
        advice_rows,
        permutations,
        reserved_rows,
        k,
    } = layout(shape)?;
    let mut cs = ConstraintSystem::<Fp>::default();
    ExitBatchCircuit::<CHIPS>::configure(&mut cs);
    let cost = CircuitCost::<vesta::Point, _>::measure(k, circuit);
    Ok(CircuitReport {
        shape,
        k,
        rows,
        advice_rows,
        max_degree: cs.degree(),
        reserved_rows,
        proof_bytes: usize::from(cost.proof_size(1)),
        permutations,
        rows_per_permutation: ROWS_PER_PERMUTATION,
    })
}

/// The exact length in bytes of every proof of `shape` at `k` (its
/// [`crate::keys::k_for`], which key holders already know): halo2's
/// `CircuitCost`, without the size report's layout pass. Verifiers
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
    fn permutation_count_matches_the_documented_formula() {
        for shape in [
            CircuitShape::TINY,
            CircuitShape::DEFAULT,
            CircuitShape {
                batch_size: 1,
                ..CircuitShape::TINY
            },
            CircuitShape {
                poseidon_chips: 3,
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
        assert_eq!(two.permutations, one.permutations);
        assert!(two.advice_rows <= two.rows);
    }
}
