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

use std::sync::OnceLock;

use ff::Field;
use halo2_poseidon::{Domain, Mds, P128Pow5T3, Spec};
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
/// permutations in it (read back by [`permutations_in_region`]).
const REGION_PREFIX: &str = "poseidon hash of ";

/// The permutations a region computes, from its name: the layout pass that
/// counts rows also counts permutations this way.
pub(crate) fn permutations_in_region(name: &str) -> usize {
    name.strip_prefix(REGION_PREFIX)
        .and_then(|rest| rest.strip_suffix(" permutations"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// `P128Pow5T3`'s constants, and what the partial-round gate derives from
/// them.
struct Tables {
    round_constants: Vec<[Fp; WIDTH]>,
    mds: Mds<Fp, WIDTH>,
    mds_inv: Mds<Fp, WIDTH>,
    /// Linear part of the state before each partial round of a row, over
    /// the row's cells `[s0, s1, s2, y0 .. y6]`.
    partial_linear: [[[Fp; WIDTH + PARTIAL_PER_ROW - 1]; WIDTH]; PARTIAL_PER_ROW],
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let (round_constants, mds, mds_inv) = <P128Pow5T3 as Spec<Fp, WIDTH, RATE>>::constants();
        assert_eq!(
            (
                <P128Pow5T3 as Spec<Fp, WIDTH, RATE>>::full_rounds(),
                <P128Pow5T3 as Spec<Fp, WIDTH, RATE>>::partial_rounds()
            ),
            (2 * FULL_PER_ROW, PARTIAL_ROWS * PARTIAL_PER_ROW),
            "the layout is for 8 full and 56 partial rounds"
        );
        // The state before partial round j is linear in the row's cells
        // (constants aside): start from the identity on s, then apply
        // "replace word 0 by the S-box output y_j, multiply by MDS".
        let mut partial_linear =
            [[[Fp::ZERO; WIDTH + PARTIAL_PER_ROW - 1]; WIDTH]; PARTIAL_PER_ROW];
        let mut linear = [[Fp::ZERO; WIDTH + PARTIAL_PER_ROW - 1]; WIDTH];
        for (i, row) in linear.iter_mut().enumerate() {
            row[i] = Fp::ONE;
        }
        for (j, slot) in partial_linear.iter_mut().enumerate() {
            *slot = linear;
            if j + 1 == PARTIAL_PER_ROW {
                break;
            }
            let mut replaced = linear;
            replaced[0] = [Fp::ZERO; WIDTH + PARTIAL_PER_ROW - 1];
            replaced[0][WIDTH + j] = Fp::ONE;
            linear = mds_times(&mds, &replaced);
        }
        Tables {
            round_constants,
            mds,
            mds_inv,
            partial_linear,
        }
    })
}

/// `m · v` for a 3×3 matrix and a 3-vector of linear forms.
fn mds_times<const V: usize>(m: &Mds<Fp, WIDTH>, v: &[[Fp; V]; WIDTH]) -> [[Fp; V]; WIDTH] {
    std::array::from_fn(|i| std::array::from_fn(|k| (0..WIDTH).map(|j| m[i][j] * v[j][k]).sum()))
}

fn mds_apply(m: &Mds<Fp, WIDTH>, v: [Fp; WIDTH]) -> [Fp; WIDTH] {
    std::array::from_fn(|i| (0..WIDTH).map(|j| m[i][j] * v[j]).sum())
}

fn pow5(x: Fp) -> Fp {
    x.square().square() * x
}

/// What kind of round gate a permutation row has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RowKind {
    /// Four full rounds starting at this round index.
    Full(usize),
    /// Eight partial rounds starting at this round index.
    Partial(usize),
}

/// The round rows of one permutation, in order.
fn row_kinds() -> [RowKind; ROUND_ROWS] {
    let partial_start = FULL_PER_ROW;
    std::array::from_fn(|row| match row {
        0 => RowKind::Full(0),
        r if r <= PARTIAL_ROWS => RowKind::Partial(partial_start + (r - 1) * PARTIAL_PER_ROW),
        _ => RowKind::Full(partial_start + PARTIAL_ROWS * PARTIAL_PER_ROW),
    })
}

/// The fixed constants of a row of `kind`.
fn row_constants(kind: RowKind) -> [Fp; CONSTANTS] {
    let t = tables();
    let mut out = [Fp::ZERO; CONSTANTS];
    match kind {
        RowKind::Full(first) => {
            for round in 0..FULL_PER_ROW {
                out[WIDTH * round..WIDTH * (round + 1)]
                    .copy_from_slice(&t.round_constants[first + round]);
            }
        }
        RowKind::Partial(first) => {
            // The constant part of the state, carried through the rounds
            // the way the linear part is (the row's cells contribute none).
            let mut carried = [Fp::ZERO; WIDTH];
            for j in 0..PARTIAL_PER_ROW {
                let rc = t.round_constants[first + j];
                let before: [Fp; WIDTH] = std::array::from_fn(|i| carried[i] + rc[i]);
                out[j] = before[0];
                if j + 1 == PARTIAL_PER_ROW {
                    // The implicit last round also needs words 1 and 2.
                    out[PARTIAL_PER_ROW] = before[1];
                    out[PARTIAL_PER_ROW + 1] = before[2];
                } else {
                    carried = mds_apply(&t.mds, [Fp::ZERO, before[1], before[2]]);
                }
            }
        }
    }
    out
}

/// The witness of one round row: its S-box output cells, and the state
/// the row hands to the next.
fn round_row(kind: RowKind, state: [Fp; WIDTH]) -> ([Fp; SBOX], [Fp; WIDTH]) {
    let t = tables();
    let mut sbox = [Fp::ZERO; SBOX];
    let mut state = state;
    match kind {
        RowKind::Full(first) => {
            for round in 0..FULL_PER_ROW {
                let rc = t.round_constants[first + round];
                let out: [Fp; WIDTH] = std::array::from_fn(|i| pow5(state[i] + rc[i]));
                if round + 1 < FULL_PER_ROW {
                    sbox[WIDTH * round..WIDTH * (round + 1)].copy_from_slice(&out);
                }
                state = mds_apply(&t.mds, out);
            }
        }
        RowKind::Partial(first) => {
            let rounds = &t.round_constants[first..first + PARTIAL_PER_ROW];
            for (j, rc) in rounds.iter().enumerate() {
                let y = pow5(state[0] + rc[0]);
                // The last round's output is the next row's state.
                if let Some(cell) = sbox.get_mut(j).filter(|_| j + 1 < PARTIAL_PER_ROW) {
                    *cell = y;
                }
                state = mds_apply(&t.mds, [y, state[1] + rc[1], state[2] + rc[2]]);
            }
        }
    }
    (sbox, state)
}

/// The Poseidon permutation computed row by row, as the chip lays it out.
pub fn permute(state: [Fp; WIDTH]) -> [Fp; WIDTH] {
    row_kinds()
        .into_iter()
        .fold(state, |state, kind| round_row(kind, state).1)
}

/// The witness of one hash: per block, the state entering each row and
/// the S-box cells of each round row, and the words absorbed.
#[derive(Clone, Debug, PartialEq)]
pub struct HashWitness {
    /// Per block: the state of each of its rows (the last is the output).
    pub states: Vec<[[Fp; WIDTH]; ROWS_PER_PERMUTATION]>,
    /// Per block: the S-box cells of each round row.
    pub sbox: Vec<[[Fp; SBOX]; ROUND_ROWS]>,
    /// The words absorbed, padding included (the cells that hold them are
    /// tied to the inputs and constants by copy constraints).
    pub words: Vec<Fp>,
}

impl HashWitness {
    /// The honest witness of hashing `words` (padding included, a multiple
    /// of the rate) from the capacity word `capacity`.
    pub fn compute(capacity: Fp, words: &[Fp]) -> Self {
        let mut states = Vec::new();
        let mut sbox = Vec::new();
        let mut state = [Fp::ZERO, Fp::ZERO, capacity];
        for block in words.chunks(RATE) {
            for (word, input) in state.iter_mut().zip(block) {
                *word += input;
            }
            let mut block_states = [[Fp::ZERO; WIDTH]; ROWS_PER_PERMUTATION];
            let mut block_sbox = [[Fp::ZERO; SBOX]; ROUND_ROWS];
            block_states[0] = state;
            for (row, kind) in row_kinds().into_iter().enumerate() {
                let (cells, next) = round_row(kind, state);
                block_sbox[row] = cells;
                block_states[row + 1] = next;
                state = next;
            }
            states.push(block_states);
            sbox.push(block_sbox);
        }
        Self {
            states,
            sbox,
            words: words.to_vec(),
        }
    }

    /// The hash: word 0 of the last block's output.
    pub fn output(&self) -> Fp {
        self.states
            .last()
            .map_or(Fp::ZERO, |s| s[ROWS_PER_PERMUTATION - 1][0])
    }
}

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
                        let constants = row_constants(kind);
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
mod tests {
    use super::*;
    use ff::PrimeField;
    use halo2_proofs::{
        circuit::SimpleFloorPlanner,
        dev::{MockProver, VerifyFailure},
        plonk::{Circuit, Instance},
    };

    use bulkhead_protocol::hash::{capacity, hash, tag};

    #[test]
    fn the_row_by_row_permutation_matches_halo2_poseidon_vectors() {
        let read = |bytes: &[[u8; 32]; 3]| bytes.map(|b| Fp::from_repr(b).unwrap());
        let vectors = halo2_poseidon::test_vectors::fp::permute();
        assert!(!vectors.is_empty());
        for vector in vectors {
            assert_eq!(
                permute(read(&vector.initial_state)),
                read(&vector.final_state)
            );
        }
    }

    /// Field elements that look random (full width), deterministically.
    fn random_inputs(len: usize) -> Vec<Fp> {
        (0..len as u64)
            .map(|i| hash(tag::OWNER, &[Fp::from(i + 1000 * len as u64)]))
            .collect()
    }

    /// Columns of the test circuits: the chip, an advice column for the
    /// inputs, and the output as the public input.
    type TestConfig = (DensePoseidonConfig, Column<Advice>, Column<Instance>);

    fn configure(meta: &mut ConstraintSystem<Fp>) -> TestConfig {
        let input = meta.advice_column();
        meta.enable_equality(input);
        let output = meta.instance_column();
        meta.enable_equality(output);
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        (DensePoseidonConfig::configure(meta), input, output)
    }

    fn assign_inputs(
        layouter: &mut impl Layouter<Fp>,
        input: Column<Advice>,
        values: &[Fp],
    ) -> Result<Vec<Cell>, Error> {
        layouter.assign_region(
            || "inputs",
            |mut region| {
                values
                    .iter()
                    .enumerate()
                    .map(|(row, v)| {
                        region.assign_advice(|| "input", input, row, || Value::known(*v))
                    })
                    .collect()
            },
        )
    }

    /// `L` inputs hashed through [`DensePoseidonConfig::hash`] (the path the
    /// circuit takes), output bound to the public input.
    #[derive(Clone, Debug)]
    struct ChipHash<const L: usize> {
        inputs: [Fp; L],
    }

    impl<const L: usize> Circuit<Fp> for ChipHash<L> {
        type Config = TestConfig;
        type FloorPlanner = SimpleFloorPlanner;

        fn without_witnesses(&self) -> Self {
            self.clone()
        }

        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            configure(meta)
        }

        fn synthesize(
            &self,
            (chip, input, output): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let cells = assign_inputs(&mut layouter, input, &self.inputs)?;
            let words: [Word; L] = std::array::from_fn(|i| Word::Cell(cells[i].clone()));
            let out = chip.hash::<{ tag::EXIT_LEAF }, L>(layouter.namespace(|| "hash"), words)?;
            layouter.constrain_instance(out.cell(), output, 0)
        }
    }

    fn assert_chip_hash_is_native<const L: usize>() {
        let inputs: [Fp; L] = random_inputs(L).try_into().unwrap();
        let expected = hash(tag::EXIT_LEAF, &inputs);
        let circuit = ChipHash { inputs };
        assert_eq!(
            MockProver::run(7, &circuit, vec![vec![expected]])
                .unwrap()
                .verify(),
            Ok(()),
            "{L} inputs"
        );
        // The same proof cannot claim another output.
        let other = expected + Fp::ONE;
        assert!(MockProver::run(7, &circuit, vec![vec![other]])
            .unwrap()
            .verify()
            .is_err());
    }

    #[test]
    fn hashes_equal_the_native_sponge_for_every_input_length_used() {
        // The circuit hashes 2 to 6 inputs; 1 and 7 cover the edges.
        assert_chip_hash_is_native::<1>();
        assert_chip_hash_is_native::<2>();
        assert_chip_hash_is_native::<3>();
        assert_chip_hash_is_native::<4>();
        assert_chip_hash_is_native::<5>();
        assert_chip_hash_is_native::<6>();
        assert_chip_hash_is_native::<7>();
    }

    /// Which witness cell a test changes.
    #[derive(Clone, Copy, Debug)]
    enum Site {
        /// S-box cell `column` of round row `row` of block `block`.
        Sbox {
            block: usize,
            row: usize,
            column: usize,
        },
        /// Word `word` of the state of row `row` of block `block`.
        State {
            block: usize,
            row: usize,
            word: usize,
        },
    }

    /// Five inputs (three blocks) in domain `SILO_LEAF`, output bound to
    /// the public input (the native hash of `inputs`). The witness may be
    /// computed from other words or another capacity, and one of its cells
    /// changed.
    #[derive(Clone, Debug, Default)]
    struct Tampered {
        witness_words: Option<Vec<Fp>>,
        witness_capacity: Option<Fp>,
        site: Option<Site>,
    }

    const INPUTS: usize = 5;

    impl Circuit<Fp> for Tampered {
        type Config = TestConfig;
        type FloorPlanner = SimpleFloorPlanner;

        fn without_witnesses(&self) -> Self {
            self.clone()
        }

        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            configure(meta)
        }

        fn synthesize(
            &self,
            (chip, input, output): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let inputs = random_inputs(INPUTS);
            let cells = assign_inputs(&mut layouter, input, &inputs)?;
            let capacity = capacity(tag::SILO_LEAF, INPUTS);
            let words: Vec<Word> = cells
                .into_iter()
                .map(Word::Cell)
                .chain([Word::Constant(Fp::ZERO)])
                .collect();
            let mut values = inputs;
            values.push(Fp::ZERO);
            let mut witness = HashWitness::compute(
                self.witness_capacity.unwrap_or(capacity),
                self.witness_words.as_deref().unwrap_or(&values),
            );
            match self.site {
                Some(Site::Sbox { block, row, column }) => {
                    witness.sbox[block][row][column] += Fp::ONE
                }
                Some(Site::State { block, row, word }) => {
                    witness.states[block][row][word] += Fp::ONE
                }
                None => {}
            }
            let out = chip.assign_hash(
                layouter.namespace(|| "hash"),
                capacity,
                &words,
                Value::known(witness),
            )?;
            layouter.constrain_instance(out.cell(), output, 0)
        }
    }

    fn verify(circuit: &Tampered) -> Result<(), Vec<VerifyFailure>> {
        let expected = hash(tag::SILO_LEAF, &random_inputs(INPUTS));
        MockProver::run(7, circuit, vec![vec![expected]])
            .unwrap()
            .verify()
    }

    /// Asserts that changing `site` fails the constraint `name`, and that
    /// every failure is a gate constraint (or, at the output, the
    /// binding to the public input).
    fn assert_breaks(site: Site, name: &str) {
        let circuit = Tampered {
            site: Some(site),
            ..Tampered::default()
        };
        let failures = verify(&circuit).expect_err("a changed cell was accepted");
        let reports: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
        let needle = format!("'{name}') in gate");
        assert!(
            reports.iter().any(|r| r.contains(&needle)),
            "{site:?}: expected {name:?} to fail, got:\n{}",
            reports.join("\n")
        );
        assert!(
            failures.iter().all(|f| matches!(
                f,
                VerifyFailure::ConstraintNotSatisfied { .. } | VerifyFailure::Permutation { .. }
            )),
            "{site:?}: {failures:?}"
        );
    }

    #[test]
    fn the_honest_witness_is_accepted() {
        assert_eq!(verify(&Tampered::default()), Ok(()));
    }

    #[test]
    fn every_sbox_cell_is_constrained_by_its_named_round() {
        for block in 0..INPUTS.div_ceil(RATE) {
            for (row, kind) in row_kinds().into_iter().enumerate() {
                match kind {
                    RowKind::Full(_) => {
                        for column in 0..SBOX {
                            let name = FULL_NAMES[column / WIDTH][column % WIDTH];
                            assert_breaks(Site::Sbox { block, row, column }, name);
                        }
                    }
                    RowKind::Partial(_) => {
                        // The last round's output is the next state.
                        for (column, name) in
                            PARTIAL_NAMES[..PARTIAL_PER_ROW - 1].iter().enumerate()
                        {
                            assert_breaks(Site::Sbox { block, row, column }, name);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_state_is_fixed_by_the_row_before_it() {
        let blocks = INPUTS.div_ceil(RATE);
        for block in 0..blocks {
            for row in 1..ROWS_PER_PERMUTATION {
                for word in 0..WIDTH {
                    let name = match row_kinds()[row - 1] {
                        RowKind::Full(_) => FULL_NAMES[FULL_PER_ROW - 1][word],
                        RowKind::Partial(_) if word == 0 => PARTIAL_NAMES[PARTIAL_PER_ROW - 1],
                        RowKind::Partial(_) => PASS_NAMES[word - 1],
                    };
                    assert_breaks(Site::State { block, row, word }, name);
                }
            }
            if block > 0 {
                for (word, name) in ["absorb word 0", "absorb word 1", "capacity passes"]
                    .into_iter()
                    .enumerate()
                {
                    assert_breaks(
                        Site::State {
                            block,
                            row: 0,
                            word,
                        },
                        name,
                    );
                }
            }
        }
    }

    /// A witness that is a correct run of the permutation, but on other
    /// words or another capacity, fails only the copy and constant
    /// constraints that bind the absorbed cells.
    fn assert_only_binding_fails(circuit: Tampered) {
        let failures = verify(&circuit).expect_err("another input was accepted");
        assert!(
            failures
                .iter()
                .all(|f| matches!(f, VerifyFailure::Permutation { .. })),
            "{failures:?}"
        );
    }

    #[test]
    fn absorbed_cells_are_bound_to_the_inputs_capacity_and_padding() {
        let mut words = random_inputs(INPUTS);
        words.push(Fp::ZERO);
        // Index 0: first block; 2: absorbed into the second block; 5: the
        // padding word.
        for index in [0, 1, 2, 4, 5] {
            let mut other = words.clone();
            other[index] += Fp::ONE;
            assert_only_binding_fails(Tampered {
                witness_words: Some(other),
                ..Tampered::default()
            });
        }
        let capacity = capacity(tag::SILO_LEAF, INPUTS);
        assert_only_binding_fails(Tampered {
            witness_capacity: Some(capacity + Fp::ONE),
            ..Tampered::default()
        });
    }

    #[test]
    fn the_region_name_counts_its_permutations() {
        assert_eq!(permutations_in_region("poseidon hash of 3 permutations"), 3);
        assert_eq!(permutations_in_region("permute state"), 0);
    }
}
