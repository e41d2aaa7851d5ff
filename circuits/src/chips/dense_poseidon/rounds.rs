//! The native side of the dense Poseidon chip: `P128Pow5T3`'s constants,
//! the linear forms and per-row constants its gates use, and the witness
//! of a hash computed row by row as the chip lays it out.

use std::sync::OnceLock;

use ff::Field;
use halo2_poseidon::{Mds, P128Pow5T3, Spec};

use super::{
    CONSTANTS, FULL_PER_ROW, PARTIAL_PER_ROW, PARTIAL_ROWS, ROUND_ROWS, ROWS_PER_PERMUTATION, SBOX,
};
use bulkhead_protocol::hash::{Fp, RATE, WIDTH};

/// `P128Pow5T3`'s constants, and what the partial-round gate derives from
/// them.
pub(super) struct Tables {
    pub(super) round_constants: Vec<[Fp; WIDTH]>,
    pub(super) mds: Mds<Fp, WIDTH>,
    pub(super) mds_inv: Mds<Fp, WIDTH>,
    /// Linear part of the state before each partial round of a row, over
    /// the row's cells `[s0, s1, s2, y0 .. y6]`.
    pub(super) partial_linear: [[[Fp; WIDTH + PARTIAL_PER_ROW - 1]; WIDTH]; PARTIAL_PER_ROW],
}

pub(super) fn tables() -> &'static Tables {
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
pub(super) enum RowKind {
    /// Four full rounds starting at this round index.
    Full(usize),
    /// Eight partial rounds starting at this round index.
    Partial(usize),
}

/// The round rows of one permutation, in order.
pub(super) fn row_kinds() -> [RowKind; ROUND_ROWS] {
    let partial_start = FULL_PER_ROW;
    std::array::from_fn(|row| match row {
        0 => RowKind::Full(0),
        r if r <= PARTIAL_ROWS => RowKind::Partial(partial_start + (r - 1) * PARTIAL_PER_ROW),
        _ => RowKind::Full(partial_start + PARTIAL_ROWS * PARTIAL_PER_ROW),
    })
}

/// The fixed constants of each round row of a permutation, computed once:
/// every permutation lays out the same ones.
pub(super) fn constants_by_row() -> &'static [[Fp; CONSTANTS]; ROUND_ROWS] {
    static ROWS: OnceLock<[[Fp; CONSTANTS]; ROUND_ROWS]> = OnceLock::new();
    ROWS.get_or_init(|| row_kinds().map(row_constants))
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
