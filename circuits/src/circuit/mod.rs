//! The exit-batch circuit: one proof that a batch of up to `N` exits on one
//! lane keeps invariants I1–I10 of `docs/PROTOCOL.md`.
//!
//! Layout, per slot `i` (the main columns are `a0..a4`; Poseidon chips have
//! columns of their own and run beside these regions):
//!
//! ```text
//! "slot i witness"   row0: e | owner | asset | balance | nonce
//!                    row1: amount | recipient | amount_inv | balance' | nonce'
//! "u64 range: ..."   amount, balance', nonce'            (I3)
//! "path bits", "merkle level h" x D                      (I1, I2)
//! "slot i" (q_slot)  row0: e_prev | e | amount | amount_inv | ASSET
//!                    row1: balance | balance' | nonce | nonce' | asset
//!                    row2: total_prev | total | count_prev | count | exit_hash
//!                    row3: root_prev | root_old | root_new | root_next | exit_leaf
//!                    row4: seq | seq_next
//! ```
//!
//! and once per batch:
//!
//! ```text
//! "boundary" (q_boundary) row0: collateral | collateral' | TOTAL | cap | cap_slack
//!                         row1: window_epoch | EPOCH | diff | diff_inv | same_epoch
//!                         row2: window_outflow | base | outflow' | exit_seq | exit_seq'
//!                         row3: EXIT_COUNT | silo_index | ASSET
//! ```
//!
//! Every named constraint below cites the invariant it enforces.

mod tamper;
#[cfg(test)]
mod tests;

use ff::Field;
use halo2_proofs::{
    circuit::{Layouter, SimpleFloorPlanner, Value},
    plonk::{
        Advice, Circuit, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Instance,
        Selector, VirtualCells,
    },
    poly::Rotation,
};

use crate::chips::{merkle::MerkleConfig, poseidon::PoseidonChips, range::U64RangeConfig, Cell};
use crate::error::Error as BulkheadError;
use bulkhead_protocol::hash::{tag, Fp};
use bulkhead_protocol::instance;
use bulkhead_protocol::shape::CircuitShape;
use bulkhead_protocol::witness::BatchWitness;
use bulkhead_protocol::Error as ProtocolError;
pub(crate) use tamper::{Site, Tamper};

/// Columns, chips and selectors of the exit-batch circuit.
#[derive(Clone, Debug)]
pub struct ExitBatchConfig {
    advice: [Column<Advice>; 5],
    instance: Column<Instance>,
    constants: Column<Fixed>,
    poseidon: PoseidonChips,
    range: U64RangeConfig,
    merkle: MerkleConfig,
    q_slot: Selector,
    q_boundary: Selector,
}

impl ExitBatchConfig {
    /// The fixed column that holds the circuit's constants (the floor
    /// planner needs it to lay the circuit out).
    pub fn constants(&self) -> Column<Fixed> {
        self.constants
    }
}

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

fn copy(
    region: &mut halo2_proofs::circuit::Region<'_, Fp>,
    cell: &Cell,
    column: Column<Advice>,
    row: usize,
) -> Result<Cell, Error> {
    cell.copy_advice(|| "copy", region, column, row)
}

/// The first `W` main advice cells of the row at `rotation` from the
/// selector. Only cells a gate reads are queried: every query is one more
/// evaluation in the proof.
fn query_row<const W: usize>(
    meta: &mut VirtualCells<'_, Fp>,
    advice: [Column<Advice>; 5],
    rotation: i32,
) -> [Expression<Fp>; W] {
    std::array::from_fn(|i| meta.query_advice(advice[i], Rotation(rotation)))
}

/// Per-slot cells that the next slot and the batch checks read.
struct SlotCarry {
    enabled: Cell,
    total: Cell,
    count: Cell,
    root: Cell,
    seq: Cell,
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
        let advice = [(); 5].map(|_| meta.advice_column());
        for column in advice {
            meta.enable_equality(column);
        }
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        let constants = meta.fixed_column();
        meta.enable_constant(constants);

        let poseidon = PoseidonChips::configure(meta, CHIPS);
        let range = U64RangeConfig::configure(meta, advice[0]);
        let merkle = MerkleConfig::configure(meta, advice);
        let q_slot = meta.selector();
        let q_boundary = meta.selector();
        let one = || Expression::Constant(Fp::ONE);

        meta.create_gate("slot", |meta| {
            let q = meta.query_selector(q_slot);
            let [e_prev, e, amount, amount_inv, asset_pub] = query_row(meta, advice, 0);
            let [balance, balance_new, nonce, nonce_new, asset] = query_row(meta, advice, 1);
            let [total_prev, total, count_prev, count, exit_hash] = query_row(meta, advice, 2);
            let [root_prev, root_old, root_new, root_next, exit_leaf] = query_row(meta, advice, 3);
            let [seq, seq_next] = query_row(meta, advice, 4);
            Constraints::with_selector(
                q,
                [
                    ("I9 enabled is boolean", e.clone() * (one() - e.clone())),
                    (
                        "I9 enabled slots form a prefix",
                        e.clone() * (one() - e_prev),
                    ),
                    (
                        "I3 enabled amount is nonzero",
                        e.clone() * (amount.clone() * amount_inv - one()),
                    ),
                    (
                        "I9 disabled slot moves nothing",
                        (one() - e.clone()) * amount.clone(),
                    ),
                    ("I2 exact debit", balance - balance_new - amount.clone()),
                    ("I2 nonce increments", nonce_new - nonce - one()),
                    ("I4 asset silo", asset - asset_pub),
                    ("I10 running total", total - total_prev - amount),
                    ("I10 running count", count - count_prev - e.clone()),
                    ("I1 membership", e.clone() * (root_old - root_prev.clone())),
                    (
                        "I9 disabled slot changes no root",
                        root_next - root_prev.clone() - e.clone() * (root_new - root_prev),
                    ),
                    ("I8 exit leaf", exit_leaf - e * exit_hash),
                    ("I8 sequence", seq_next - seq - one()),
                ],
            )
        });

        meta.create_gate("boundary", |meta| {
            let q = meta.query_selector(q_boundary);
            let [collateral, collateral_new, total, cap, cap_slack] = query_row(meta, advice, 0);
            let [window_epoch, epoch, diff, diff_inv, same_epoch] = query_row(meta, advice, 1);
            let [window_outflow, base, outflow_new, exit_seq, exit_seq_new] =
                query_row(meta, advice, 2);
            let [count, silo_index, asset_pub] = query_row(meta, advice, 3);
            Constraints::with_selector(
                q,
                [
                    (
                        "I6 collateral debit",
                        collateral - collateral_new - total.clone(),
                    ),
                    ("I6 silo position", silo_index - asset_pub),
                    ("I7 epoch difference", diff.clone() - (epoch - window_epoch)),
                    (
                        "I7 same-epoch flag",
                        same_epoch.clone() - (one() - diff.clone() * diff_inv),
                    ),
                    ("I7 same-epoch flag is exact", diff * same_epoch.clone()),
                    (
                        "I7 window restarts on a new epoch",
                        base.clone() - same_epoch * window_outflow,
                    ),
                    ("I7 outflow accumulates", outflow_new.clone() - base - total),
                    ("I7 cap", cap - outflow_new - cap_slack),
                    ("I8 exit sequence advances", exit_seq_new - exit_seq - count),
                ],
            )
        });

        ExitBatchConfig {
            advice,
            instance,
            constants,
            poseidon,
            range,
            merkle,
            q_slot,
            q_boundary,
        }
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
        let mut level = exit_leaves;
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
        layouter.constrain_instance(level[0].cell(), config.instance, instance::EXITS_ROOT)?;
        // I1/I9: the chained root after the last slot; I10: the sums.
        layouter.constrain_instance(last.root.cell(), config.instance, instance::ACCOUNTS_AFTER)?;
        layouter.constrain_instance(last.total.cell(), config.instance, instance::TOTAL)?;
        layouter.constrain_instance(last.count.cell(), config.instance, instance::EXIT_COUNT)?;

        self.synthesize_boundary(&config, &mut layouter, &public, &last)
    }
}

impl<const CHIPS: usize> ExitBatchCircuit<CHIPS> {
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

    #[allow(clippy::too_many_arguments)]
    fn synthesize_slot(
        &self,
        config: &ExitBatchConfig,
        layouter: &mut impl Layouter<Fp>,
        public: &PublicCells,
        lane_id: &Cell,
        slot: usize,
        prev: Option<&SlotCarry>,
    ) -> Result<(SlotCarry, Cell), Error> {
        let a = config.advice;
        let t = &self.tamper;
        let s = |read: fn(&bulkhead_protocol::witness::SlotWitness) -> Fp| {
            self.value(|w| read(&w.slots[slot]))
        };
        let (e, owner, asset, balance, nonce) = (
            s(|x| x.enabled),
            s(|x| x.owner),
            s(|x| x.asset),
            s(|x| x.balance),
            s(|x| x.nonce),
        );
        let (amount, recipient) = (s(|x| x.amount), s(|x| x.recipient));
        let amount_inv = t.apply(Site::AmountInv(slot), invert_or_zero(amount));
        let balance_new = t.apply(Site::NewBalance(slot), balance - amount);
        let nonce_new = t.apply(Site::NewNonce(slot), nonce + Value::known(Fp::ONE));

        let w = layouter.assign_region(
            || format!("slot {slot} witness"),
            |mut region| {
                let mut put = |name: &'static str, col: usize, row: usize, v: Value<Fp>| {
                    region.assign_advice(|| name, a[col], row, || v)
                };
                Ok([
                    put("enabled", 0, 0, e)?,
                    put("owner", 1, 0, owner)?,
                    put("asset", 2, 0, asset)?,
                    put("balance", 3, 0, balance)?,
                    put("nonce", 4, 0, nonce)?,
                    put("amount", 0, 1, amount)?,
                    put("recipient", 1, 1, recipient)?,
                    put("amount_inv", 2, 1, amount_inv)?,
                    put("balance'", 3, 1, balance_new)?,
                    put("nonce'", 4, 1, nonce_new)?,
                ])
            },
        )?;
        let [e, owner, asset, balance, nonce, amount, recipient, amount_inv, balance_new, nonce_new] =
            w;

        // I3: 0 <= amount < 2^64 and balance' < 2^64 (no underflow, no wrap).
        config
            .range
            .check_u64(layouter, &format!("slot {slot} amount (I3)"), &amount)?;
        config.range.check_u64(
            layouter,
            &format!("slot {slot} balance' (I3)"),
            &balance_new,
        )?;
        config
            .range
            .check_u64(layouter, &format!("slot {slot} nonce' (I2)"), &nonce_new)?;

        // I1/I2: old and new leaf hashed up the same path, on two chips.
        let (chip_old, chip_new) = (2 * slot, 2 * slot + 1);
        let leaf_old = config.poseidon.hash::<{ tag::ACCOUNT_LEAF }, 4>(
            chip_old,
            layouter.namespace(|| format!("slot {slot} old leaf")),
            [owner.clone(), asset.clone(), balance.clone(), nonce.clone()],
        )?;
        let leaf_new = config.poseidon.hash::<{ tag::ACCOUNT_LEAF }, 4>(
            chip_new,
            layouter.namespace(|| format!("slot {slot} new leaf")),
            [
                owner.clone(),
                asset.clone(),
                balance_new.clone(),
                nonce_new.clone(),
            ],
        )?;
        let depth = self.shape.accounts_depth as usize;
        let bits = self.values(depth, |w| &w.slots[slot].path_bits);
        let siblings = self.values(depth, |w| &w.slots[slot].siblings);
        let path = config.merkle.path::<{ tag::ACCOUNT_NODE }>(
            layouter,
            &config.poseidon,
            chip_old,
            &format!("slot {slot} account"),
            &[leaf_old, leaf_new],
            &bits,
            &siblings,
        )?;

        // I8: the exit leaf commits to lane, sequence, sender, nonce,
        // recipient and amount.
        let seq = prev.map_or(&public.first_seq, |p| &p.seq).clone();
        let exit_hash = config.poseidon.hash::<{ tag::EXIT_LEAF }, 6>(
            slot,
            layouter.namespace(|| format!("slot {slot} exit leaf")),
            [
                lane_id.clone(),
                seq.clone(),
                owner,
                nonce.clone(),
                recipient,
                amount.clone(),
            ],
        )?;

        layouter.assign_region(
            || format!("slot {slot}"),
            |mut region| {
                config.q_slot.enable(&mut region, 0)?;
                let r = &mut region;
                // e_prev: the previous slot's flag, or a fixed 1 before slot 0 (I9).
                match prev {
                    Some(p) => copy(r, &p.enabled, a[0], 0)?,
                    None => r.assign_advice_from_constant(|| "e_prev", a[0], 0, Fp::ONE)?,
                };
                let e = copy(r, &e, a[1], 0)?;
                if prev.is_none() {
                    // I9/I10: slot 0 is always enabled, so EXIT_COUNT >= 1 as
                    // in the model, and every proof binds SRC through the
                    // lane id inside exit leaf 0.
                    r.constrain_constant(e.cell(), Fp::ONE)?;
                }
                let amount = copy(r, &amount, a[2], 0)?;
                copy(r, &amount_inv, a[3], 0)?;
                copy(r, &public.asset, a[4], 0)?;

                copy(r, &balance, a[0], 1)?;
                copy(r, &balance_new, a[1], 1)?;
                copy(r, &nonce, a[2], 1)?;
                copy(r, &nonce_new, a[3], 1)?;
                copy(r, &asset, a[4], 1)?;

                let (total_prev, count_prev) = match prev {
                    Some(p) => (copy(r, &p.total, a[0], 2)?, copy(r, &p.count, a[2], 2)?),
                    None => (
                        r.assign_advice_from_constant(|| "total_prev", a[0], 2, Fp::ZERO)?,
                        r.assign_advice_from_constant(|| "count_prev", a[2], 2, Fp::ZERO)?,
                    ),
                };
                let total_value = t.apply(
                    Site::RunningTotal(slot),
                    total_prev.value().copied() + amount.value().copied(),
                );
                let total = r.assign_advice(|| "total", a[1], 2, || total_value)?;
                let count_value = t.apply(
                    Site::RunningCount(slot),
                    count_prev.value().copied() + e.value().copied(),
                );
                let count = r.assign_advice(|| "count", a[3], 2, || count_value)?;
                let exit_hash = copy(r, &exit_hash, a[4], 2)?;

                let root_prev = copy(
                    r,
                    prev.map_or(&public.accounts_before, |p| &p.root),
                    a[0],
                    3,
                )?;
                copy(r, &path.roots[0], a[1], 3)?;
                let root_new = copy(r, &path.roots[1], a[2], 3)?;
                let root_value = t.apply(
                    Site::RootNext(slot),
                    root_prev.value().copied()
                        + e.value().copied()
                            * (root_new.value().copied() - root_prev.value().copied()),
                );
                let root = r.assign_advice(|| "root_next", a[3], 3, || root_value)?;
                let leaf_value = t.apply(
                    Site::ExitLeaf(slot),
                    e.value().copied() * exit_hash.value().copied(),
                );
                let exit_leaf = r.assign_advice(|| "exit_leaf", a[4], 3, || leaf_value)?;

                let seq = copy(r, &seq, a[0], 4)?;
                let seq_value = t.apply(
                    Site::SeqNext(slot),
                    seq.value().copied() + Value::known(Fp::ONE),
                );
                let seq_next = r.assign_advice(|| "seq_next", a[1], 4, || seq_value)?;
                Ok((
                    SlotCarry {
                        enabled: e,
                        total,
                        count,
                        root,
                        seq: seq_next,
                    },
                    exit_leaf,
                ))
            },
        )
    }

    fn synthesize_boundary(
        &self,
        config: &ExitBatchConfig,
        layouter: &mut impl Layouter<Fp>,
        public: &PublicCells,
        last: &SlotCarry,
    ) -> Result<(), Error> {
        let a = config.advice;
        let t = &self.tamper;
        let collateral = self.value(|w| w.boundary.collateral);
        let cap = self.value(|w| w.boundary.cap);
        let window_epoch = self.value(|w| w.boundary.window_epoch);
        let window_outflow = self.value(|w| w.boundary.window_outflow);
        let total = last.total.value().copied();
        let count = last.count.value().copied();
        let epoch = public.epoch.value().copied();

        let collateral_new = t.apply(Site::NewCollateral, collateral - total);
        let diff = t.apply(Site::EpochDiff, epoch - window_epoch);
        let diff_inv = t.apply(Site::EpochDiffInv, invert_or_zero(diff));
        let same_epoch = t.apply(Site::SameEpoch, Value::known(Fp::ONE) - diff * diff_inv);
        let base = t.apply(Site::BaseOutflow, same_epoch * window_outflow);
        let outflow_new = t.apply(Site::NewOutflow, base + total);
        let cap_slack = t.apply(Site::CapSlack, cap - outflow_new);
        let exit_seq_new = t.apply(Site::NewExitSeq, public.first_seq.value().copied() + count);

        let w = layouter.assign_region(
            || "boundary witness",
            |mut region| {
                let mut put = |name: &'static str, col: usize, row: usize, v: Value<Fp>| {
                    region.assign_advice(|| name, a[col], row, || v)
                };
                Ok([
                    put("collateral", 0, 0, collateral)?,
                    put("cap", 1, 0, cap)?,
                    put("window_epoch", 2, 0, window_epoch)?,
                    put("window_outflow", 3, 0, window_outflow)?,
                    put("collateral'", 4, 0, collateral_new)?,
                    put("epoch diff", 0, 1, diff)?,
                    put("epoch diff inverse", 1, 1, diff_inv)?,
                    put("same epoch", 2, 1, same_epoch)?,
                    put("base outflow", 3, 1, base)?,
                    put("outflow'", 4, 1, outflow_new)?,
                    put("cap slack", 0, 2, cap_slack)?,
                    put("exit_seq'", 1, 2, exit_seq_new)?,
                ])
            },
        )?;
        let [collateral, cap, window_epoch, window_outflow, collateral_new, diff, diff_inv, same_epoch, base, outflow_new, cap_slack, exit_seq_new] =
            w;

        let range = &config.range;
        range.check_u64(layouter, "collateral' (I6)", &collateral_new)?;
        range.check_u64(layouter, "epoch - window_epoch (I7)", &diff)?;
        range.check_u64(layouter, "outflow' (I7)", &outflow_new)?;
        range.check_u64(layouter, "cap - outflow' (I7)", &cap_slack)?;
        range.check_u64(layouter, "exit_seq' (I8)", &exit_seq_new)?;
        range.check_u64(layouter, "TOTAL (I10)", &last.total)?;
        range.check_u64(layouter, "EPOCH (I7)", &public.epoch)?;

        // I6: the silo leaf sits at position ASSET (its bits are ASSET's).
        let silo_bits = self.values(self.shape.silo_depth as usize, |w| &w.boundary.silo_bits);
        let silo_siblings = self.values(self.shape.silo_depth as usize, |w| {
            &w.boundary.silo_siblings
        });
        let silo_old = config.poseidon.hash::<{ tag::SILO_LEAF }, 5>(
            0,
            layouter.namespace(|| "silo old leaf"),
            [
                public.asset.clone(),
                collateral.clone(),
                cap.clone(),
                window_epoch.clone(),
                window_outflow.clone(),
            ],
        )?;
        let silo_new = config.poseidon.hash::<{ tag::SILO_LEAF }, 5>(
            1,
            layouter.namespace(|| "silo new leaf"),
            [
                public.asset.clone(),
                collateral_new.clone(),
                cap.clone(),
                public.epoch.clone(),
                outflow_new.clone(),
            ],
        )?;
        let silo = config.merkle.path::<{ tag::SILO_NODE }>(
            layouter,
            &config.poseidon,
            0,
            "silo",
            &[silo_old, silo_new],
            &silo_bits,
            &silo_siblings,
        )?;

        // I5: H(DST, ASSET) is a leaf of the lanes tree.
        let lane_leaf = config.poseidon.hash::<{ tag::LANE_LEAF }, 2>(
            1,
            layouter.namespace(|| "lane leaf"),
            [public.dst.clone(), public.asset.clone()],
        )?;
        let lanes_depth = self.shape.lanes_depth as usize;
        let lane = config.merkle.path::<{ tag::LANE_NODE }>(
            layouter,
            &config.poseidon,
            1,
            "lane",
            &[lane_leaf],
            &self.values(lanes_depth, |w| &w.boundary.lane_bits),
            &self.values(lanes_depth, |w| &w.boundary.lane_siblings),
        )?;

        // I6-I8: boundary roots before and after, with FIRST_SEQ = exit_seq.
        let before = config.poseidon.hash::<{ tag::BOUNDARY }, 3>(
            0,
            layouter.namespace(|| "boundary before"),
            [
                silo.roots[0].clone(),
                lane.roots[0].clone(),
                public.first_seq.clone(),
            ],
        )?;
        let after = config.poseidon.hash::<{ tag::BOUNDARY }, 3>(
            1,
            layouter.namespace(|| "boundary after"),
            [
                silo.roots[1].clone(),
                lane.roots[0].clone(),
                exit_seq_new.clone(),
            ],
        )?;
        layouter.constrain_instance(before.cell(), config.instance, instance::BOUNDARY_BEFORE)?;
        layouter.constrain_instance(after.cell(), config.instance, instance::BOUNDARY_AFTER)?;

        layouter.assign_region(
            || "boundary",
            |mut region| {
                config.q_boundary.enable(&mut region, 0)?;
                let r = &mut region;
                for (cell, col, row) in [
                    (&collateral, 0, 0),
                    (&collateral_new, 1, 0),
                    (&last.total, 2, 0),
                    (&cap, 3, 0),
                    (&cap_slack, 4, 0),
                    (&window_epoch, 0, 1),
                    (&public.epoch, 1, 1),
                    (&diff, 2, 1),
                    (&diff_inv, 3, 1),
                    (&same_epoch, 4, 1),
                    (&window_outflow, 0, 2),
                    (&base, 1, 2),
                    (&outflow_new, 2, 2),
                    (&public.first_seq, 3, 2),
                    (&exit_seq_new, 4, 2),
                    (&last.count, 0, 3),
                    (&silo.index, 1, 3),
                    (&public.asset, 2, 3),
                ] {
                    copy(r, cell, a[col], row)?;
                }
                Ok(())
            },
        )
    }
}
