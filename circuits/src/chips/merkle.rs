//! Merkle paths in-circuit: direction bits with their index, and one swap
//! row per level that orders `(cur, sibling)` into `(left, right)` before the
//! node hash.
//!
//! Direction bits, one region per path (`q_bits` on rows `0..d`):
//!
//! ```text
//! row | a0    | a1
//! ----+-------+-----------------------------
//!  h  | bit_h | acc_h = bit_h + 2·acc_{h+1}
//!  d  |       | acc_d = 0 (fixed constant)
//! ```
//!
//! so `acc_0` is the leaf index and every bit is boolean. Swap, one row per
//! leaf and level (`q_swap`):
//!
//! ```text
//! row | a0  | a1  | a2  | a3   | a4
//! ----+-----+-----+-----+------+------
//!  0  | bit | sib | cur | left | right
//! ```
//!
//! with `left = cur + bit·(sib - cur)` and `left + right = cur + sib`. When
//! several leaves share one path (the old and new leaf of a debit, I2), each
//! gets its own row and the bit and sibling cells are copies of the first
//! row's, so the paths cannot diverge.
//!
//! [`MerkleInstructions`] is what the rest of the circuit may ask of this
//! chip; [`MerkleConfig`] implements it. The swap is only a swap for
//! boolean bits, so the hashing step takes [`PathBits`], which only the
//! bits region can produce.

use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Expression, Selector},
    poly::Rotation,
};

use super::poseidon::PoseidonInstructions;
use super::Cell;
use bulkhead_protocol::hash::Fp;

/// What the Merkle chip offers: direction bits with their leaf index, and
/// leaves hashed up one path.
///
/// # Soundness
///
/// - The swap row orders `(cur, sibling)` only for a boolean bit; with any
///   other bit, `left` is an arbitrary mix of the two. [`Self::hash_up`]
///   therefore takes [`PathBits`], whose cells the "path bits" gate has
///   made boolean; nothing else can build one.
/// - [`PathBits::index`] is the leaf's integer position only while the
///   depth stays below the field's 254 bits (the running sum never wraps);
///   the shapes Bulkhead accepts keep depths at 32 or less.
/// - Siblings are free witnesses. The roots say something only once the
///   caller binds them (to a public input, a gate, or a hash that is), and
///   the leaves only once the caller makes them the hashes of the cells
///   that a gate reads.
/// - Leaves hashed together share one path: their rows copy the first
///   row's bit and sibling cells, so a debit's old and new leaf sit at the
///   same position in their trees (I2).
/// - Node hashes are domain-separated by `NODE_TAG`; each tree needs its
///   own tag, distinct from its leaves' tag.
pub trait MerkleInstructions {
    /// Assigns direction bits (leaf level first) and their index.
    fn assign_bits(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        bits: &[Value<Fp>],
    ) -> Result<PathBits, Error>;

    /// Hashes each of `leaves` up the path given by `bits` and `siblings`
    /// (one per level, leaf level first); leaf `j`'s node hashes run on
    /// Poseidon chip `first_chip + j`. Returns one root per leaf.
    #[allow(clippy::too_many_arguments)]
    fn hash_up<const NODE_TAG: u64>(
        &self,
        layouter: &mut impl Layouter<Fp>,
        poseidon: &impl PoseidonInstructions,
        first_chip: usize,
        name: &str,
        leaves: &[Cell],
        bits: &PathBits,
        siblings: &[Value<Fp>],
    ) -> Result<Vec<Cell>, Error>;

    /// [`Self::assign_bits`], then [`Self::hash_up`]: the roots and the
    /// leaf index.
    #[allow(clippy::too_many_arguments)]
    fn path<const NODE_TAG: u64>(
        &self,
        layouter: &mut impl Layouter<Fp>,
        poseidon: &impl PoseidonInstructions,
        first_chip: usize,
        name: &str,
        leaves: &[Cell],
        bits: &[Value<Fp>],
        siblings: &[Value<Fp>],
    ) -> Result<PathRoots, Error> {
        let bits = self.assign_bits(layouter, name, bits)?;
        let roots = self.hash_up::<NODE_TAG>(
            layouter, poseidon, first_chip, name, leaves, &bits, siblings,
        )?;
        Ok(PathRoots {
            roots,
            index: bits.index,
        })
    }
}

/// Configuration of the Merkle chip.
#[derive(Clone, Copy, Debug)]
pub struct MerkleConfig {
    advice: [Column<Advice>; 5],
    q_bits: Selector,
    q_swap: Selector,
}

/// Direction bits of one path, leaf level first, each constrained boolean
/// by the "path bits" gate, with the leaf index they encode.
///
/// Only [`MerkleInstructions::assign_bits`] builds one, so holding a
/// `PathBits` is holding bits that the gate checks.
#[derive(Clone, Debug)]
pub struct PathBits {
    bits: Vec<Cell>,
    index: Cell,
}

impl PathBits {
    /// The bit cells, leaf level first.
    pub fn bits(&self) -> &[Cell] {
        &self.bits
    }

    /// The leaf index: `sum_h bit_h 2^h`.
    pub fn index(&self) -> &Cell {
        &self.index
    }
}

/// The result of hashing leaves up one path.
#[derive(Debug)]
pub struct PathRoots {
    /// One root per leaf, in the order the leaves were given.
    pub roots: Vec<Cell>,
    /// The leaf index the direction bits encode.
    pub index: Cell,
}

impl MerkleConfig {
    /// Creates the bits and swap gates over `advice`.
    pub fn configure(meta: &mut ConstraintSystem<Fp>, advice: [Column<Advice>; 5]) -> Self {
        let q_bits = meta.selector();
        let q_swap = meta.selector();
        let one = Expression::Constant(Fp::from(1));
        let two = Expression::Constant(Fp::from(2));

        meta.create_gate("path bits", |meta| {
            let q = meta.query_selector(q_bits);
            let bit = meta.query_advice(advice[0], Rotation::cur());
            let acc = meta.query_advice(advice[1], Rotation::cur());
            let acc_next = meta.query_advice(advice[1], Rotation::next());
            Constraints::with_selector(
                q,
                [
                    (
                        "I1 path bit is boolean",
                        bit.clone() * (one.clone() - bit.clone()),
                    ),
                    (
                        "I1/I6 path index decomposition",
                        acc - bit - two.clone() * acc_next,
                    ),
                ],
            )
        });

        meta.create_gate("merkle swap", |meta| {
            let q = meta.query_selector(q_swap);
            let [bit, sib, cur, left, right] =
                advice.map(|column| meta.query_advice(column, Rotation::cur()));
            Constraints::with_selector(
                q,
                [
                    (
                        "I1 left child",
                        left.clone() - (cur.clone() + bit * (sib.clone() - cur.clone())),
                    ),
                    ("I1 right child", left + right - cur - sib),
                ],
            )
        });

        Self {
            advice,
            q_bits,
            q_swap,
        }
    }
}

impl MerkleInstructions for MerkleConfig {
    fn assign_bits(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        bits: &[Value<Fp>],
    ) -> Result<PathBits, Error> {
        layouter.assign_region(
            || format!("path bits: {name}"),
            |mut region| {
                let depth = bits.len();
                // acc_h = sum_{j >= h} bit_j 2^(j-h), computed from the top.
                let mut accs = vec![Value::known(Fp::from(0)); depth + 1];
                for h in (0..depth).rev() {
                    accs[h] = bits[h] + accs[h + 1] + accs[h + 1];
                }
                let top = region.assign_advice_from_constant(
                    || "acc_d",
                    self.advice[1],
                    depth,
                    Fp::from(0),
                )?;
                let mut cells = Vec::with_capacity(depth);
                let mut index = top;
                for h in (0..depth).rev() {
                    self.q_bits.enable(&mut region, h)?;
                    cells.push(region.assign_advice(
                        || format!("bit {h}"),
                        self.advice[0],
                        h,
                        || bits[h],
                    )?);
                    index = region.assign_advice(
                        || format!("acc {h}"),
                        self.advice[1],
                        h,
                        || accs[h],
                    )?;
                }
                cells.reverse();
                Ok(PathBits { bits: cells, index })
            },
        )
    }

    fn hash_up<const NODE_TAG: u64>(
        &self,
        layouter: &mut impl Layouter<Fp>,
        poseidon: &impl PoseidonInstructions,
        first_chip: usize,
        name: &str,
        leaves: &[Cell],
        bits: &PathBits,
        siblings: &[Value<Fp>],
    ) -> Result<Vec<Cell>, Error> {
        let bits = bits.bits();
        assert_eq!(bits.len(), siblings.len(), "one sibling per level");
        let mut current: Vec<Cell> = leaves.to_vec();
        for (h, (bit, sibling)) in bits.iter().zip(siblings).enumerate() {
            let children = layouter.assign_region(
                || format!("merkle level {h}: {name}"),
                |mut region| {
                    let mut children = Vec::with_capacity(current.len());
                    let mut shared: Option<(Cell, Cell)> = None;
                    for (row, cur) in current.iter().enumerate() {
                        self.q_swap.enable(&mut region, row)?;
                        let (bit_cell, sib_cell) = match &shared {
                            None => (
                                bit.copy_advice(|| "bit", &mut region, self.advice[0], row)?,
                                region.assign_advice(
                                    || "sibling",
                                    self.advice[1],
                                    row,
                                    || *sibling,
                                )?,
                            ),
                            Some((b, s)) => (
                                b.copy_advice(|| "bit", &mut region, self.advice[0], row)?,
                                s.copy_advice(|| "sibling", &mut region, self.advice[1], row)?,
                            ),
                        };
                        let cur = cur.copy_advice(|| "cur", &mut region, self.advice[2], row)?;
                        let left_value = cur.value().copied()
                            + bit_cell.value().copied()
                                * (sib_cell.value().copied() - cur.value().copied());
                        let right_value =
                            cur.value().copied() + sib_cell.value().copied() - left_value;
                        let left =
                            region.assign_advice(|| "left", self.advice[3], row, || left_value)?;
                        let right = region.assign_advice(
                            || "right",
                            self.advice[4],
                            row,
                            || right_value,
                        )?;
                        children.push((left, right));
                        shared.get_or_insert((bit_cell, sib_cell));
                    }
                    Ok(children)
                },
            )?;
            current = children
                .into_iter()
                .enumerate()
                .map(|(j, (left, right))| {
                    poseidon.hash::<NODE_TAG, 2>(
                        first_chip + j,
                        layouter.namespace(|| format!("node {h}.{j}: {name}")),
                        [left, right],
                    )
                })
                .collect::<Result<_, _>>()?;
        }
        Ok(current)
    }
}
