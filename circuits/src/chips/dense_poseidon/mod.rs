//! A dense Poseidon chip: the permutation of halo2_poseidon's `P128Pow5T3`
//! (width 3, x^5, its round constants and MDS matrix), laid out in 10 rows
//! of 12 advice columns per permutation, where halo2_gadgets' `Pow5Chip`
//! (which the circuit used before) takes 41 rows of 4.
//!
//! # Layout (one permutation, rows `r .. r+9`)
//!
//! ```text
//!            s0 s1 s2 | y0 .. y8                       gate
//! r          state in | S-box outputs of rounds 1-3    "full rounds"    (rounds 1-4)
//! r+1..r+7   state    | S-box outputs y0 .. y6         "partial rounds" (8 rounds a row)
//! r+8        state    | S-box outputs of rounds 61-63  "full rounds"    (rounds 61-64)
//! r+9        state out| (absorb: next words in y0, y1) "absorb"         (between blocks)
//! ```
//!
//! A row's gate ties its state, its S-box outputs and the next row's state:
//!
//! - every S-box input is an affine function of the row's state and the
//!   S-box outputs before it (the MDS matrix and round constants are
//!   known), so each output cell is constrained to the fifth power of an
//!   expression of cells already constrained;
//! - the last round of a row has no output cells: its outputs are the
//!   next row's state times the inverse MDS matrix (the trick `Pow5Chip`
//!   uses for its second partial round), so the next row's state is
//!   determined by the row.
//!
//! The linear parts are the same on every row of a kind (the MDS matrix
//! does not change), so they are constants of the gate; what changes from
//! row to row (the round constants, carried through the linear layers) is
//! in 12 fixed columns. Every constraint is degree 6 (a selector times a
//! fifth power), as in `Pow5Chip`, so the circuit's extended domain does
//! not grow.
//!
//! # Soundness
//!
//! - Given a row's state, its S-box cells and the next row's state are
//!   unique: each S-box cell equals a fixed function of earlier cells, and
//!   the inverse MDS matrix is invertible. So the output state is the
//!   permutation of the input state, and nothing else satisfies the gates.
//! - The hash's inputs are copied into the first row (or into the absorb
//!   row's `y0, y1`), and the capacity word and the padding are fixed
//!   constants, exactly as for the `Pow5Chip` sponge
//!   ([`super::PoseidonInstructions`] states the contract).
//! - Tests check the permutation against `halo2_poseidon`'s test vectors
//!   and the hash against the native `bulkhead_protocol::hash` for every
//!   input length the circuit uses; that changing any S-box or state cell
//!   of a three-block hash fails the constraint that names it; and that a
//!   correct run on another input word, padding word or capacity fails
//!   the copy or constant constraint that binds it.
//! - On partial-round rows `y7` and `y8` are assigned zero and read by no
//!   gate.
//!
//! This file holds the columns, gates and region layout; `rounds` the
//! constants, the linear forms the gates use and the native witness;
//! `tests` the vectors and the negative tests.

use ff::Field;
use halo2_poseidon::Domain;
use halo2_proofs::{
    circuit::{Layouter, Region, Value},
    plonk::{
        Advice, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Selector,
        VirtualCells,
    },
    poly::Rotation,
};

use super::Cell;
use bulkhead_protocol::hash::{Fp, Tagged, RATE, WIDTH};

mod rounds;

use rounds::{constants_by_row, row_kinds, tables, RowKind};
pub use rounds::{permute, HashWitness};

/// S-box output columns.
const SBOX: usize = 9;
/// Advice columns of one chip.
pub const COLUMNS: usize = WIDTH + SBOX;
/// Fixed columns of one chip (the per-row constants).
const CONSTANTS: usize = 12;
/// Full rounds a "full rounds" row computes.
const FULL_PER_ROW: usize = 4;
/// Partial rounds a "partial rounds" row computes.
const PARTIAL_PER_ROW: usize = 8;
/// Rows with a round gate per permutation.
const ROUND_ROWS: usize = 2 + PARTIAL_ROWS;
/// "partial rounds" rows per permutation.
const PARTIAL_ROWS: usize = 7;
/// Rows one permutation takes, its output row included.
pub const ROWS_PER_PERMUTATION: usize = ROUND_ROWS + 1;

/// Constraint names of the full-round gate, by round and word (halo2 takes
/// only static names).
const FULL_NAMES: [[&str; WIDTH]; FULL_PER_ROW] = [
    [
        "full round 1 word 0 S-box",
        "full round 1 word 1 S-box",
        "full round 1 word 2 S-box",
    ],
    [
        "full round 2 word 0 S-box",
        "full round 2 word 1 S-box",
        "full round 2 word 2 S-box",
    ],
    [
        "full round 3 word 0 S-box",
        "full round 3 word 1 S-box",
        "full round 3 word 2 S-box",
    ],
    [
        "full round 4 word 0 S-box",
        "full round 4 word 1 S-box",
        "full round 4 word 2 S-box",
    ],
];

/// Constraint names of the partial-round gate's S-boxes, by round.
const PARTIAL_NAMES: [&str; PARTIAL_PER_ROW] = [
    "partial round 1 S-box",
    "partial round 2 S-box",
    "partial round 3 S-box",
    "partial round 4 S-box",
    "partial round 5 S-box",
    "partial round 6 S-box",
    "partial round 7 S-box",
    "partial round 8 S-box",
];

/// Constraint names of the words the last partial round of a row passes.
const PASS_NAMES: [&str; WIDTH - 1] = [
    "partial round 8 word 1 passes",
    "partial round 8 word 2 passes",
];

/// The start of the name of every hash region; the rest is the number of
/// permutations in it, for people reading a failure (a layout pass counts
/// permutations by [`DensePoseidonConfig::full_round_selector`], never by
/// this name).
const REGION_PREFIX: &str = "poseidon hash of ";

/// Rows of one permutation that enable the full-round selector: its first
/// and its last round row. A layout pass that counts enables of
/// [`DensePoseidonConfig::full_round_selector`] divides by this.
pub const FULL_ROUND_ROWS: usize = ROUND_ROWS - PARTIAL_ROWS;

/// A word the sponge absorbs: a cell of the circuit (copied in) or a
/// constant (the padding, or a benchmark's seed).
#[derive(Clone, Debug)]
pub enum Word {
    /// Copied from this cell.
    Cell(Cell),
    /// Fixed to this constant.
    Constant(Fp),
}

impl Word {
    fn value(&self) -> Value<Fp> {
        match self {
            Word::Cell(cell) => cell.value().copied(),
            Word::Constant(c) => Value::known(*c),
        }
    }

    /// Assigns `value` (the witness's copy of this word) at `column, row`
    /// and ties the cell to the word: a copy constraint to the input cell,
    /// or a constant constraint. Taking the value from the witness rather
    /// than from the input lets a test break exactly this binding.
    fn bind(
        &self,
        region: &mut Region<'_, Fp>,
        column: Column<Advice>,
        row: usize,
        value: Value<Fp>,
    ) -> Result<Cell, Error> {
        let cell = region.assign_advice(|| "absorbed word", column, row, || value)?;
        match self {
            Word::Cell(input) => region.constrain_equal(cell.cell(), input.cell())?,
            Word::Constant(c) => region.constrain_constant(cell.cell(), *c)?,
        }
        Ok(cell)
    }
}

/// What a round gate reads (see [`DensePoseidonConfig::query`]).
struct RoundCells {
    state: [Expression<Fp>; WIDTH],
    sbox: [Expression<Fp>; SBOX],
    next: [Expression<Fp>; WIDTH],
    constants: [Expression<Fp>; CONSTANTS],
}

/// Columns and gates of one dense Poseidon chip.
#[derive(Clone, Debug)]
pub struct DensePoseidonConfig {
    state: [Column<Advice>; WIDTH],
    sbox: [Column<Advice>; SBOX],
    constants: [Column<Fixed>; CONSTANTS],
    q_full: Selector,
    q_partial: Selector,
    q_absorb: Selector,
}

fn sum(terms: impl IntoIterator<Item = Expression<Fp>>) -> Expression<Fp> {
    terms
        .into_iter()
        .reduce(|a, b| a + b)
        .unwrap_or(Expression::Constant(Fp::ZERO))
}

fn pow5_expr(x: Expression<Fp>) -> Expression<Fp> {
    let sq = x.clone() * x.clone();
    sq.clone() * sq * x
}

/// `Σ coefficient · cell`, skipping zero coefficients.
fn linear(coefficients: &[Fp], cells: &[Expression<Fp>]) -> Expression<Fp> {
    sum(coefficients
        .iter()
        .zip(cells)
        .filter(|(c, _)| !bool::from(c.is_zero()))
        .map(|(c, cell)| Expression::Constant(*c) * cell.clone()))
}

impl DensePoseidonConfig {
    /// The selector of the full-round gate: enabled on exactly
    /// [`FULL_ROUND_ROWS`] rows of every permutation this chip lays out,
    /// and nowhere else, so the chip's permutations are counted by it.
    pub fn full_round_selector(&self) -> Selector {
        self.q_full
    }

    /// Creates one chip in fresh columns, with its three gates.
    pub fn configure(meta: &mut ConstraintSystem<Fp>) -> Self {
        let state = [(); WIDTH].map(|_| meta.advice_column());
        let sbox = [(); SBOX].map(|_| meta.advice_column());
        let constants = [(); CONSTANTS].map(|_| meta.fixed_column());
        // Inputs are copied into the state (first block) or into y0, y1
        // (later blocks); the output is copied out of s0.
        for column in state.iter().chain(&sbox[..RATE]) {
            meta.enable_equality(*column);
        }
        let config = Self {
            state,
            sbox,
            constants,
            q_full: meta.selector(),
            q_partial: meta.selector(),
            q_absorb: meta.selector(),
        };
        config.full_gate(meta);
        config.partial_gate(meta);
        config.absorb_gate(meta);
        config
    }

    /// The cells a round gate reads: the row's state, S-box cells and
    /// constants, and the next row's state.
    fn query(&self, meta: &mut VirtualCells<'_, Fp>) -> RoundCells {
        RoundCells {
            state: self.state.map(|c| meta.query_advice(c, Rotation::cur())),
            sbox: self.sbox.map(|c| meta.query_advice(c, Rotation::cur())),
            next: self.state.map(|c| meta.query_advice(c, Rotation::next())),
            constants: self.constants.map(|c| meta.query_fixed(c)),
        }
    }

    /// Four full rounds: S-box inputs are the state (round 1) or the
    /// previous round's outputs times MDS, plus the round constants; the
    /// fourth round's outputs are `MDS^-1 · next state`.
    fn full_gate(&self, meta: &mut ConstraintSystem<Fp>) {
        meta.create_gate("dense poseidon full rounds", |meta| {
            let q = meta.query_selector(self.q_full);
            let RoundCells {
                state: s,
                sbox: y,
                next,
                constants: c,
            } = self.query(meta);
            let t = tables();
            let pre_next: [Expression<Fp>; WIDTH] =
                std::array::from_fn(|i| linear(&t.mds_inv[i], &next));
            let mut constraints = Vec::with_capacity(FULL_PER_ROW * WIDTH);
            let mut input: [Expression<Fp>; WIDTH] = s.clone();
            for round in 0..FULL_PER_ROW {
                for i in 0..WIDTH {
                    let sbox_in = input[i].clone() + c[WIDTH * round + i].clone();
                    let out = if round + 1 < FULL_PER_ROW {
                        y[WIDTH * round + i].clone()
                    } else {
                        pre_next[i].clone()
                    };
                    constraints.push((FULL_NAMES[round][i], out - pow5_expr(sbox_in)));
                }
                if round + 1 < FULL_PER_ROW {
                    let outs = &y[WIDTH * round..WIDTH * (round + 1)];
                    input = std::array::from_fn(|i| linear(&t.mds[i], outs));
                }
            }
            Constraints::with_selector(q, constraints)
        });
    }

    /// Eight partial rounds: the S-box input of round j is a fixed linear
    /// form of the row's state and y0 .. y(j-1) plus a per-row constant;
    /// the eighth round's output and untouched words are `MDS^-1 · next
    /// state`.
    fn partial_gate(&self, meta: &mut ConstraintSystem<Fp>) {
        meta.create_gate("dense poseidon partial rounds", |meta| {
            let q = meta.query_selector(self.q_partial);
            let RoundCells {
                state: s,
                sbox: y,
                next,
                constants: c,
            } = self.query(meta);
            let t = tables();
            let cells: Vec<Expression<Fp>> =
                s.iter().chain(&y[..PARTIAL_PER_ROW - 1]).cloned().collect();
            let pre_next: [Expression<Fp>; WIDTH] =
                std::array::from_fn(|i| linear(&t.mds_inv[i], &next));
            let mut constraints = Vec::with_capacity(PARTIAL_PER_ROW + 2);
            for j in 0..PARTIAL_PER_ROW {
                let form = &t.partial_linear[j];
                let sbox_in = linear(&form[0], &cells) + c[j].clone();
                let out = if j + 1 < PARTIAL_PER_ROW {
                    y[j].clone()
                } else {
                    pre_next[0].clone()
                };
                constraints.push((PARTIAL_NAMES[j], out - pow5_expr(sbox_in)));
            }
            let last = &t.partial_linear[PARTIAL_PER_ROW - 1];
            for i in 1..WIDTH {
                constraints.push((
                    PASS_NAMES[i - 1],
                    pre_next[i].clone()
                        - (linear(&last[i], &cells) + c[PARTIAL_PER_ROW + i - 1].clone()),
                ));
            }
            Constraints::with_selector(q, constraints)
        });
    }

    /// Between blocks: the next block's state is this output state plus the
    /// words in y0, y1 (the capacity word passes unchanged).
    fn absorb_gate(&self, meta: &mut ConstraintSystem<Fp>) {
        meta.create_gate("dense poseidon absorb", |meta| {
            let q = meta.query_selector(self.q_absorb);
            // Only the cells this row holds: the rest of an output row is
            // empty.
            let s = self.state.map(|c| meta.query_advice(c, Rotation::cur()));
            let next = self.state.map(|c| meta.query_advice(c, Rotation::next()));
            let y = [self.sbox[0], self.sbox[1]].map(|c| meta.query_advice(c, Rotation::cur()));
            Constraints::with_selector(
                q,
                [
                    (
                        "absorb word 0",
                        next[0].clone() - (s[0].clone() + y[0].clone()),
                    ),
                    (
                        "absorb word 1",
                        next[1].clone() - (s[1].clone() + y[1].clone()),
                    ),
                    ("capacity passes", next[2].clone() - s[2].clone()),
                ],
            )
        });
    }

    /// Hashes `words` in domain `Tagged<TAG, L>` in one region; returns
    /// the output cell.
    pub fn hash<const TAG: u64, const L: usize>(
        &self,
        layouter: impl Layouter<Fp>,
        words: [Word; L],
    ) -> Result<Cell, Error> {
        let capacity = <Tagged<TAG, L> as Domain<Fp, RATE>>::initial_capacity_element();
        let padding = <Tagged<TAG, L> as Domain<Fp, RATE>>::padding(L).map(Word::Constant);
        let words: Vec<Word> = words.into_iter().chain(padding).collect();
        let values: Value<Vec<Fp>> = words.iter().map(Word::value).collect();
        let witness = values.map(|v| HashWitness::compute(capacity, &v));
        self.assign_hash(layouter, capacity, &words, witness)
    }

    /// Lays out one hash from a witness (the honest one from
    /// [`Self::hash`]; tests pass altered ones).
    pub(crate) fn assign_hash(
        &self,
        mut layouter: impl Layouter<Fp>,
        capacity: Fp,
        words: &[Word],
        witness: Value<HashWitness>,
    ) -> Result<Cell, Error> {
        assert!(
            !words.is_empty() && words.len().is_multiple_of(RATE),
            "the sponge absorbs whole blocks"
        );
        let blocks = words.len() / RATE;
        layouter.assign_region(
            || format!("{REGION_PREFIX}{blocks} permutations"),
            |mut region| {
                let mut output = None;
                for (block, block_words) in words.chunks(RATE).enumerate() {
                    let base = block * ROWS_PER_PERMUTATION;
                    if block == 0 {
                        // The first state is the words and the capacity.
                        for (i, word) in block_words.iter().enumerate() {
                            let value = witness.as_ref().map(|w| w.states[0][0][i]);
                            word.bind(&mut region, self.state[i], 0, value)?;
                        }
                        let value = witness.as_ref().map(|w| w.states[0][0][RATE]);
                        Word::Constant(capacity).bind(&mut region, self.state[RATE], 0, value)?;
                    } else {
                        // The previous block's output row absorbs.
                        self.q_absorb.enable(&mut region, base - 1)?;
                        for (i, word) in block_words.iter().enumerate() {
                            let value = witness.as_ref().map(|w| w.words[RATE * block + i]);
                            word.bind(&mut region, self.sbox[i], base - 1, value)?;
                        }
                        self.assign_state(&mut region, &witness, block, 0, base)?;
                    }
                    for (row, kind) in row_kinds().into_iter().enumerate() {
                        let offset = base + row;
                        match kind {
                            RowKind::Full(_) => self.q_full.enable(&mut region, offset)?,
                            RowKind::Partial(_) => self.q_partial.enable(&mut region, offset)?,
                        }
                        let constants = constants_by_row()[row];
                        for (i, column) in self.constants.iter().enumerate() {
                            let value = constants[i];
                            region.assign_fixed(
                                || "round constant",
                                *column,
                                offset,
                                || Value::known(value),
                            )?;
                        }
                        for (i, column) in self.sbox.iter().enumerate() {
                            let value = witness.as_ref().map(|w| w.sbox[block][row][i]);
                            region.assign_advice(|| "S-box", *column, offset, || value)?;
                        }
                        let out =
                            self.assign_state(&mut region, &witness, block, row + 1, offset + 1)?;
                        output = Some(out);
                    }
                }
                output.ok_or(Error::Synthesis)
            },
        )
    }

    /// Assigns the state of row `row` of block `block` at `offset`;
    /// returns the cell of word 0.
    fn assign_state(
        &self,
        region: &mut Region<'_, Fp>,
        witness: &Value<HashWitness>,
        block: usize,
        row: usize,
        offset: usize,
    ) -> Result<Cell, Error> {
        let mut first = None;
        for (i, column) in self.state.iter().enumerate() {
            let value = witness.as_ref().map(|w| w.states[block][row][i]);
            let cell = region.assign_advice(|| "state", *column, offset, || value)?;
            first.get_or_insert(cell);
        }
        Ok(first.expect("the state has three words"))
    }
}
#[cfg(test)]
mod tests;
