//! The exit-batch circuit: one proof that a batch of up to `N` exits on one
//! lane keeps invariants I1–I10 of `docs/PROTOCOL.md`.
//!
//! The circuit is split by region:
//!
//! - `config.rs`: the columns, selectors and the only gate definitions
//!   ("slot" and "boundary", beside the chips' own gates);
//! - `slot.rs`: the regions of one slot (membership, exact debit, range,
//!   asset, exit leaf: I1–I4, I8–I10);
//! - `boundary.rs`: the once-per-batch regions (silo, lane, cap window and
//!   boundary roots: I5–I8, and the range of TOTAL);
//! - this file: the circuit type and [`Circuit::synthesize`], which lays
//!   those regions out in a fixed order and binds the batch's results to
//!   the instance column.
//!
//! Layout order (the main columns are `a0..a4`; Poseidon chips have columns
//! of their own and run beside these regions). The order is part of the
//! verifying key: regions, copies and instance bindings must keep it.
//!
//! ```text
//! "8-bit words"        the range-check table
//! "public inputs"      see below
//! lane id              H_7(SRC, DST, ASSET)                     (I8)
//! slot 0 .. slot N-1   per slot, see slot.rs                    (I1-I4, I8-I10)
//! exits tree           N-1 node hashes; root = EXITS_ROOT       (I8)
//! bindings             ACCOUNTS_AFTER, TOTAL, EXIT_COUNT        (I1, I9, I10)
//! boundary             see boundary.rs                          (I5-I8, I10)
//! ```
//!
//! "public inputs" copies the public inputs that the circuit uses as
//! operands out of the instance column:
//!
//! ```text
//! row | a0        | a1  | a2    | a3    | a4
//! ----+-----------+-----+-------+-------+----------------
//!  0  | SRC       | DST | ASSET | EPOCH | ACCOUNTS_BEFORE
//!  1  | FIRST_SEQ |     |       |       |
//! ```
//!
//! The other public inputs (ACCOUNTS_AFTER, BOUNDARY_BEFORE/AFTER,
//! EXIT_COUNT, TOTAL, EXITS_ROOT) are results: cells computed in-circuit
//! are constrained equal to them.

mod boundary;
mod config;
mod slot;
mod tamper;
#[cfg(test)]
mod tests;

use ff::Field;
use halo2_proofs::{
    circuit::{Layouter, Region, SimpleFloorPlanner, Value},
    plonk::{Advice, Circuit, Column, ConstraintSystem, Error},
};

use crate::chips::{Cell, PoseidonInstructions, U64RangeInstructions};
use crate::error::Error as BulkheadError;
use bulkhead_protocol::hash::{tag, Fp};
use bulkhead_protocol::instance;
use bulkhead_protocol::shape::CircuitShape;
use bulkhead_protocol::witness::BatchWitness;
use bulkhead_protocol::Error as ProtocolError;
pub use config::ExitBatchConfig;
use slot::SlotCarry;
pub(crate) use tamper::{Site, Tamper};

/// The exit-batch circuit with `CHIPS` Poseidon chips side by side.
///
/// `CHIPS` is a type parameter because halo2 configures a circuit without
/// access to its values; it must equal `shape.poseidon_chips`.
#[derive(Clone, Debug)]
pub struct ExitBatchCircuit<const CHIPS: usize> {
    shape: CircuitShape,
    witness: Option<BatchWitness>,
    tamper: Tamper,
}

impl<const CHIPS: usize> ExitBatchCircuit<CHIPS> {
    /// A circuit without witness, for key generation.
    pub fn blank(shape: CircuitShape) -> Result<Self, BulkheadError> {
        Self::check_shape(&shape)?;
        Ok(Self {
            shape,
            witness: None,
            tamper: Tamper::default(),
        })
    }

    /// A circuit for proving `witness`; its dimensions must match `shape`.
    pub fn new(shape: CircuitShape, witness: BatchWitness) -> Result<Self, BulkheadError> {
        Self::check_shape(&shape)?;
        let d = shape.accounts_depth as usize;
        let slots_ok = witness.slots.len() == shape.slots()
            && witness
                .slots
                .iter()
                .all(|s| s.path_bits.len() == d && s.siblings.len() == d);
        let b = &witness.boundary;
        let boundary_ok = b.silo_bits.len() == shape.silo_depth as usize
            && b.silo_siblings.len() == shape.silo_depth as usize
            && b.lane_bits.len() == shape.lanes_depth as usize
            && b.lane_siblings.len() == shape.lanes_depth as usize;
        if !slots_ok || !boundary_ok {
            return Err(ProtocolError::InvalidShape {
                reason: format!("witness dimensions do not match shape {shape}"),
            }
            .into());
        }
        Ok(Self {
            shape,
            witness: Some(witness),
            tamper: Tamper::default(),
        })
    }

    fn check_shape(shape: &CircuitShape) -> Result<(), BulkheadError> {
        shape.validate()?;
        if shape.poseidon_chips as usize != CHIPS {
            return Err(ProtocolError::InvalidShape {
                reason: format!(
                    "shape asks for {} Poseidon chips, circuit type has {CHIPS}",
                    shape.poseidon_chips
                ),
            }
            .into());
        }
        Ok(())
    }

    /// The shape this circuit was built for.
    pub fn shape(&self) -> CircuitShape {
        self.shape
    }

    #[cfg(test)]
    pub(crate) fn tamper_mut(&mut self) -> &mut Tamper {
        &mut self.tamper
    }

    /// A witness value, or unknown during key generation.
    fn value(&self, read: impl FnOnce(&BatchWitness) -> Fp) -> Value<Fp> {
        self.witness
            .as_ref()
            .map_or(Value::unknown(), |w| Value::known(read(w)))
    }

    /// A vector of witness values of known length.
    fn values(&self, len: usize, read: impl Fn(&BatchWitness) -> &Vec<Fp>) -> Vec<Value<Fp>> {
        (0..len).map(|i| self.value(|w| read(w)[i])).collect()
    }
}

/// Inverse of a value, or 0 for 0 (the witness of "is zero" checks).
fn invert_or_zero(value: Value<Fp>) -> Value<Fp> {
    value.map(|v| v.invert().unwrap_or(Fp::ZERO))
}

/// Copies `cell` to `column` at `row` of `region` (a copy constraint).
fn copy(
    region: &mut Region<'_, Fp>,
    cell: &Cell,
    column: Column<Advice>,
    row: usize,
) -> Result<Cell, Error> {
    cell.copy_advice(|| "copy", region, column, row)
}

/// Public inputs used as operands, assigned from the instance column.
struct PublicCells {
    src: Cell,
    dst: Cell,
    asset: Cell,
    epoch: Cell,
    accounts_before: Cell,
    first_seq: Cell,
}

impl<const CHIPS: usize> Circuit<Fp> for ExitBatchCircuit<CHIPS> {
    type Config = ExitBatchConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self {
            shape: self.shape,
            witness: None,
            tamper: Tamper::default(),
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> ExitBatchConfig {
        ExitBatchConfig::configure(meta, CHIPS)
    }

    fn synthesize(
        &self,
        config: ExitBatchConfig,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        config.range.load_table(&mut layouter)?;
        let public = self.assign_public(&config, &mut layouter)?;
        let lane_id = config.poseidon.hash::<{ tag::LANE_ID }, 3>(
            0,
            layouter.namespace(|| "lane id"),
            [public.src.clone(), public.dst.clone(), public.asset.clone()],
        )?;

        let mut carry: Option<SlotCarry> = None;
        let mut exit_leaves = Vec::with_capacity(self.shape.slots());
        for slot in 0..self.shape.slots() {
            let (next, exit_leaf) = self.synthesize_slot(
                &config,
                &mut layouter,
                &public,
                &lane_id,
                slot,
                carry.as_ref(),
            )?;
            exit_leaves.push(exit_leaf);
            carry = Some(next);
        }
        let last = carry.expect("a shape has at least one slot");

        // I8: EXITS_ROOT is the root of the N slot leaves.
        let exits_root = exits_root(&config, &mut layouter, exit_leaves)?;
        layouter.constrain_instance(exits_root.cell(), config.instance, instance::EXITS_ROOT)?;
        // I1/I9: the chained root after the last slot; I10: the sums.
        layouter.constrain_instance(last.root.cell(), config.instance, instance::ACCOUNTS_AFTER)?;
        layouter.constrain_instance(last.total.cell(), config.instance, instance::TOTAL)?;
        layouter.constrain_instance(last.count.cell(), config.instance, instance::EXIT_COUNT)?;

        self.synthesize_boundary(&config, &mut layouter, &public, &last)
    }
}

impl<const CHIPS: usize> ExitBatchCircuit<CHIPS> {
    /// The "public inputs" region drawn in the module docs.
    fn assign_public(
        &self,
        config: &ExitBatchConfig,
        layouter: &mut impl Layouter<Fp>,
    ) -> Result<PublicCells, Error> {
        layouter.assign_region(
            || "public inputs",
            |mut region| {
                let mut load = |offset: usize, row: usize| {
                    region.assign_advice_from_instance(
                        || instance::NAMES[offset],
                        config.instance,
                        offset,
                        config.advice[row % 5],
                        row / 5,
                    )
                };
                Ok(PublicCells {
                    src: load(instance::SRC, 0)?,
                    dst: load(instance::DST, 1)?,
                    asset: load(instance::ASSET, 2)?,
                    epoch: load(instance::EPOCH, 3)?,
                    accounts_before: load(instance::ACCOUNTS_BEFORE, 4)?,
                    first_seq: load(instance::FIRST_SEQ, 5)?,
                })
            },
        )
    }
}

/// The root of the exits tree over the slots' exit leaves (a power of two
/// of them): node `j` of each level runs on Poseidon chip `j`.
fn exits_root(
    config: &ExitBatchConfig,
    layouter: &mut impl Layouter<Fp>,
    leaves: Vec<Cell>,
) -> Result<Cell, Error> {
    let mut level = leaves;
    let mut height = 0;
    while level.len() > 1 {
        level = level
            .chunks(2)
            .enumerate()
            .map(|(j, pair)| {
                config.poseidon.hash::<{ tag::EXIT_NODE }, 2>(
                    j,
                    layouter.namespace(|| format!("exits node {height}.{j}")),
                    [pair[0].clone(), pair[1].clone()],
                )
            })
            .collect::<Result<_, _>>()?;
        height += 1;
    }
    Ok(level.swap_remove(0))
}
