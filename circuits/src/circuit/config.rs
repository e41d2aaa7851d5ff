//! Columns, selectors and gates of the exit-batch circuit.
//!
//! [`ExitBatchConfig::configure`] is the only place in the circuit that
//! creates gates: the circuit's own "slot" and "boundary" gates here, and
//! the Poseidon, range-check and Merkle gates through each chip's
//! `configure`. The order in which columns, selectors and gates are created
//! below is part of the verifying key; reordering it changes the pinned
//! digest even when no constraint changes.
//!
//! Each gate reads rows of one region. The cell layouts are drawn where the
//! regions are assigned: the "slot i" region in `slot.rs`, the "boundary"
//! region in `boundary.rs`. The destructuring of each `query_row` below
//! follows those tables column by column.

use ff::{Field, PrimeField};
use halo2_proofs::{
    plonk::{
        Advice, Column, ConstraintSystem, Constraints, Expression, Fixed, Instance, Selector,
        VirtualCells,
    },
    poly::Rotation,
};

use crate::chips::{merkle::MerkleConfig, poseidon::PoseidonChips, range::U64RangeConfig};
use bulkhead_protocol::hash::Fp;

/// Columns, chips and selectors of the exit-batch circuit.
#[derive(Clone, Debug)]
pub struct ExitBatchConfig {
    /// The main advice columns `a0..a4`, shared by the circuit's regions,
    /// the range check (on `a0`) and the Merkle chip.
    pub(super) advice: [Column<Advice>; 5],
    pub(super) instance: Column<Instance>,
    constants: Column<Fixed>,
    pub(super) poseidon: PoseidonChips,
    pub(super) range: U64RangeConfig,
    pub(super) merkle: MerkleConfig,
    /// Enables the "slot" gate on row 0 of each "slot i" region.
    pub(super) q_slot: Selector,
    /// Enables the "boundary" gate on row 0 of the "boundary" region.
    pub(super) q_boundary: Selector,
}

impl ExitBatchConfig {
    /// The fixed column that holds the circuit's constants (the floor
    /// planner needs it to lay the circuit out).
    pub fn constants(&self) -> Column<Fixed> {
        self.constants
    }

    /// The Poseidon chips (a layout pass counts the permutations they lay
    /// out by their full-round selectors).
    pub fn poseidon(&self) -> &PoseidonChips {
        &self.poseidon
    }

    /// Creates every column, chip and gate of a circuit with `chips`
    /// Poseidon chips side by side.
    pub(super) fn configure(meta: &mut ConstraintSystem<Fp>, chips: usize) -> Self {
        let advice = [(); 5].map(|_| meta.advice_column());
        for column in advice {
            meta.enable_equality(column);
        }
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        let constants = meta.fixed_column();
        meta.enable_constant(constants);

        let poseidon = PoseidonChips::configure(meta, chips);
        let range = U64RangeConfig::configure(meta, advice[0]);
        let merkle = MerkleConfig::configure(meta, advice);
        let q_slot = meta.selector();
        let q_boundary = meta.selector();
        slot_gate(meta, advice, q_slot);
        boundary_gate(meta, advice, q_boundary);

        Self {
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
}

fn one() -> Expression<Fp> {
    Expression::Constant(Fp::ONE)
}

/// `2^64`, the factor that puts the account index above the nonce in the
/// exit leaf's `account_nonce` (`bulkhead_protocol::hash::account_nonce`).
pub(super) fn nonce_shift() -> Fp {
    Fp::from_u128(1 << bulkhead_protocol::hash::NONCE_BITS)
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

/// The per-slot rules (I1–I4, I8–I10) over the five rows of a "slot i"
/// region.
///
/// The gate sees only copies: the path roots and index, the exit hash and
/// the previous slot's cells are copied in, and the range checks that make
/// its field arithmetic integer arithmetic (I3, and the nonce for the I8
/// packing) run on the witness cells these copies come from.
fn slot_gate(meta: &mut ConstraintSystem<Fp>, advice: [Column<Advice>; 5], q_slot: Selector) {
    meta.create_gate("slot", |meta| {
        let q = meta.query_selector(q_slot);
        let [e_prev, e, amount, amount_inv, asset_pub] = query_row(meta, advice, 0);
        let [balance, balance_new, nonce, nonce_new, asset] = query_row(meta, advice, 1);
        let [total_prev, total, count_prev, count, exit_hash] = query_row(meta, advice, 2);
        let [root_prev, root_old, root_new, root_next, exit_leaf] = query_row(meta, advice, 3);
        let [seq, seq_next, account, account_nonce] = query_row(meta, advice, 4);
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
                ("I2 nonce increments", nonce_new - nonce.clone() - one()),
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
                (
                    "I8 account-nonce packing",
                    account_nonce - (account * Expression::Constant(nonce_shift()) + nonce),
                ),
            ],
        )
    });
}

/// The once-per-batch rules (I6–I8) over the four rows of the "boundary"
/// region: collateral, silo position, the epoch window and cap, and the
/// exit sequence.
///
/// Differences that must not go negative (collateral', the epoch
/// difference, outflow', the cap slack, exit_seq') are range-checked on the
/// witness cells these rows copy.
fn boundary_gate(
    meta: &mut ConstraintSystem<Fp>,
    advice: [Column<Advice>; 5],
    q_boundary: Selector,
) {
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
}
