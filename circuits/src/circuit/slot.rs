//! One slot of the batch: membership (I1), exact debit (I2), range (I3),
//! asset (I4), exit leaf and sequence (I8), padding (I9) and the running
//! sums (I10).
//!
//! Regions of slot `i`, in layout order:
//!
//! ```text
//! "slot i witness"                   the slot's witness, below
//! "u64 range: slot i amount (I3)"    range checks on witness cells
//! "u64 range: slot i balance' (I3)"
//! "u64 range: slot i nonce' (I2)"
//! "u64 range: slot i nonce (I8)"     so the packing below is injective
//! old leaf, new leaf                 H_2(owner, asset, balance, nonce), on
//!                                    chips 2i and 2i+1 (mod CHIPS)  (I1, I2)
//! "path bits: slot i account"        one path for both leaves; its index
//!                                    cell is the account            (I1, I2, I8)
//! "merkle level h: slot i account"   h = 0..D-1, and node hashes
//! exit leaf                          H_9(lane_id, seq, account_nonce,
//!                                        owner, recipient, amount),
//!                                    chip i                         (I8)
//! "slot i" (q_slot)                  the "slot" gate, below
//! ```
//!
//! "slot i witness" has no gate: every cell of it is copied into a range
//! check, a hash or the gated region, so each value has one cell that all
//! of them constrain.
//!
//! ```text
//! row | a0            | a1        | a2         | a3       | a4
//! ----+---------------+-----------+------------+----------+-------
//!  0  | e             | owner     | asset      | balance  | nonce
//!  1  | amount        | recipient | amount_inv | balance' | nonce'
//!  2  | account_nonce |           |            |          |
//! ```
//!
//! `account_nonce = account·2^64 + nonce` is what the exit leaf carries
//! for the sender (I8): the gate recomputes it from a copy of the path's
//! index cell (`account < 2^D`, D <= 32, from boolean bits) and of the
//! nonce (`< 2^64` by its range check), so it is below 2^96, never wraps,
//! and names exactly the account the debit's path opens.
//!
//! "slot i", with `q_slot` on row 0 (the "slot" gate of `config.rs` reads
//! all five rows):
//!
//! ```text
//! row | a0         | a1       | a2         | a3         | a4
//! ----+------------+----------+------------+------------+----------
//!  0  | e_prev     | e        | amount     | amount_inv | ASSET
//!  1  | balance    | balance' | nonce      | nonce'     | asset
//!  2  | total_prev | total    | count_prev | count      | exit_hash
//!  3  | root_prev  | root_old | root_new   | root_next  | exit_leaf
//!  4  | seq        | seq_next | account    | acct_nonce |
//! ```
//!
//! `e_prev`, `total_prev`, `count_prev`, `root_prev` and `seq` are copies
//! of the previous slot's `e`, `total`, `count`, `root_next` and
//! `seq_next`; for slot 0 they are the fixed constants 1, 0, 0 and copies
//! of ACCOUNTS_BEFORE and FIRST_SEQ, and slot 0's `e` is fixed to 1.
//! `root_old` and `root_new` are copies of the path's two roots,
//! `account` of the path's index cell, `acct_nonce` of `account_nonce`,
//! `exit_hash` of the exit-leaf hash. `total`, `count`, `root_next` and
//! `seq_next` are computed here and carried to the next slot
//! ([`SlotCarry`]); `exit_leaf` (0 for a disabled slot) goes to the exits
//! tree.

use ff::Field;
use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::Error,
};

use super::config::nonce_shift;
use super::{copy, invert_or_zero, ExitBatchCircuit, ExitBatchConfig, PublicCells, Site};
use crate::chips::{
    merkle::PathRoots, Cell, MerkleInstructions, PoseidonInstructions, U64RangeInstructions,
};
use bulkhead_protocol::hash::{tag, Fp};
use bulkhead_protocol::witness::SlotWitness;

/// Per-slot cells that the next slot and the batch checks read.
pub(super) struct SlotCarry {
    /// `e`: whether this slot holds an exit.
    pub(super) enabled: Cell,
    /// Running total after this slot.
    pub(super) total: Cell,
    /// Running count after this slot.
    pub(super) count: Cell,
    /// Accounts root after this slot.
    pub(super) root: Cell,
    /// Sequence number of the next slot.
    pub(super) seq: Cell,
}

/// The cells of the "slot i witness" region.
struct SlotCells {
    e: Cell,
    owner: Cell,
    asset: Cell,
    balance: Cell,
    nonce: Cell,
    amount: Cell,
    recipient: Cell,
    amount_inv: Cell,
    balance_new: Cell,
    nonce_new: Cell,
    account_nonce: Cell,
}

impl<const CHIPS: usize> ExitBatchCircuit<CHIPS> {
    /// Lays out slot `slot`, chained to `prev` (`None` for slot 0), and
    /// returns what the next slot reads and the slot's exit leaf.
    pub(super) fn synthesize_slot(
        &self,
        config: &ExitBatchConfig,
        layouter: &mut impl Layouter<Fp>,
        public: &PublicCells,
        lane_id: &Cell,
        slot: usize,
        prev: Option<&SlotCarry>,
    ) -> Result<(SlotCarry, Cell), Error> {
        let cells = self.assign_slot_witness(config, layouter, slot)?;

        // I3: 0 <= amount < 2^64 and balance' < 2^64 (no underflow, no wrap).
        let range = &config.range;
        range.check_u64(layouter, &format!("slot {slot} amount (I3)"), &cells.amount)?;
        range.check_u64(
            layouter,
            &format!("slot {slot} balance' (I3)"),
            &cells.balance_new,
        )?;
        range.check_u64(
            layouter,
            &format!("slot {slot} nonce' (I2)"),
            &cells.nonce_new,
        )?;
        // I8: nonce < 2^64 (nonce' < 2^64 alone allows nonce = -1), so
        // account_nonce = account·2^64 + nonce packs injectively.
        range.check_u64(layouter, &format!("slot {slot} nonce (I8)"), &cells.nonce)?;

        let path = self.account_path(config, layouter, slot, &cells)?;

        // I8: the exit leaf commits to lane, sequence, sender account and
        // nonce (packed, checked by the "slot" gate), owner, recipient and
        // amount.
        let seq = prev.map_or(&public.first_seq, |p| &p.seq).clone();
        let exit_hash = config.poseidon.hash::<{ tag::EXIT_LEAF }, 6>(
            slot,
            layouter.namespace(|| format!("slot {slot} exit leaf")),
            [
                lane_id.clone(),
                seq.clone(),
                cells.account_nonce.clone(),
                cells.owner.clone(),
                cells.recipient.clone(),
                cells.amount.clone(),
            ],
        )?;

        self.assign_slot_gate(
            config, layouter, public, slot, prev, &cells, &path, &seq, &exit_hash,
        )
    }

    /// The "slot i witness" region: the witness and the values an honest
    /// prover derives from it (or, in tests, the tampered ones).
    fn assign_slot_witness(
        &self,
        config: &ExitBatchConfig,
        layouter: &mut impl Layouter<Fp>,
        slot: usize,
    ) -> Result<SlotCells, Error> {
        let a = config.advice;
        let t = &self.tamper;
        let s = |read: fn(&SlotWitness) -> Fp| self.value(|w| read(&w.slots[slot]));
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
        // The index the path bits spell, as the "path bits" region
        // computes it, packed with the nonce.
        let account = self.value(|w| {
            let bits = &w.slots[slot].path_bits;
            bits.iter()
                .rev()
                .fold(Fp::ZERO, |acc, bit| acc.double() + bit)
        });
        let account_nonce = t.apply(
            Site::AccountNonce(slot),
            account * Value::known(nonce_shift()) + nonce,
        );

        layouter.assign_region(
            || format!("slot {slot} witness"),
            |mut region| {
                let mut put = |name: &'static str, col: usize, row: usize, v: Value<Fp>| {
                    region.assign_advice(|| name, a[col], row, || v)
                };
                Ok(SlotCells {
                    e: put("enabled", 0, 0, e)?,
                    owner: put("owner", 1, 0, owner)?,
                    asset: put("asset", 2, 0, asset)?,
                    balance: put("balance", 3, 0, balance)?,
                    nonce: put("nonce", 4, 0, nonce)?,
                    amount: put("amount", 0, 1, amount)?,
                    recipient: put("recipient", 1, 1, recipient)?,
                    amount_inv: put("amount_inv", 2, 1, amount_inv)?,
                    balance_new: put("balance'", 3, 1, balance_new)?,
                    nonce_new: put("nonce'", 4, 1, nonce_new)?,
                    account_nonce: put("account_nonce", 0, 2, account_nonce)?,
                })
            },
        )
    }

    /// I1/I2: the old and the new account leaf, hashed from the same owner
    /// and asset cells and up the same path, on two chips side by side.
    fn account_path(
        &self,
        config: &ExitBatchConfig,
        layouter: &mut impl Layouter<Fp>,
        slot: usize,
        cells: &SlotCells,
    ) -> Result<PathRoots, Error> {
        let (chip_old, chip_new) = (2 * slot, 2 * slot + 1);
        let leaf_old = config.poseidon.hash::<{ tag::ACCOUNT_LEAF }, 4>(
            chip_old,
            layouter.namespace(|| format!("slot {slot} old leaf")),
            [
                cells.owner.clone(),
                cells.asset.clone(),
                cells.balance.clone(),
                cells.nonce.clone(),
            ],
        )?;
        let leaf_new = config.poseidon.hash::<{ tag::ACCOUNT_LEAF }, 4>(
            chip_new,
            layouter.namespace(|| format!("slot {slot} new leaf")),
            [
                cells.owner.clone(),
                cells.asset.clone(),
                cells.balance_new.clone(),
                cells.nonce_new.clone(),
            ],
        )?;
        let depth = self.shape.accounts_depth as usize;
        let bits = self.values(depth, |w| &w.slots[slot].path_bits);
        let siblings = self.values(depth, |w| &w.slots[slot].siblings);
        config.merkle.path::<{ tag::ACCOUNT_NODE }>(
            layouter,
            &config.poseidon,
            chip_old,
            &format!("slot {slot} account"),
            &[leaf_old, leaf_new],
            &bits,
            &siblings,
        )
    }

    /// The gated "slot i" region drawn in the module docs. The order of the
    /// copies below is part of the verifying key.
    #[allow(clippy::too_many_arguments)]
    fn assign_slot_gate(
        &self,
        config: &ExitBatchConfig,
        layouter: &mut impl Layouter<Fp>,
        public: &PublicCells,
        slot: usize,
        prev: Option<&SlotCarry>,
        cells: &SlotCells,
        path: &PathRoots,
        seq: &Cell,
        exit_hash: &Cell,
    ) -> Result<(SlotCarry, Cell), Error> {
        let a = config.advice;
        let t = &self.tamper;
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
                let e = copy(r, &cells.e, a[1], 0)?;
                if prev.is_none() {
                    // I9/I10: slot 0 is always enabled, so EXIT_COUNT >= 1 as
                    // in the model, and every proof binds SRC through the
                    // lane id inside exit leaf 0.
                    r.constrain_constant(e.cell(), Fp::ONE)?;
                }
                let amount = copy(r, &cells.amount, a[2], 0)?;
                copy(r, &cells.amount_inv, a[3], 0)?;
                copy(r, &public.asset, a[4], 0)?;

                copy(r, &cells.balance, a[0], 1)?;
                copy(r, &cells.balance_new, a[1], 1)?;
                copy(r, &cells.nonce, a[2], 1)?;
                copy(r, &cells.nonce_new, a[3], 1)?;
                copy(r, &cells.asset, a[4], 1)?;

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
                let exit_hash = copy(r, exit_hash, a[4], 2)?;

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

                let seq = copy(r, seq, a[0], 4)?;
                let seq_value = t.apply(
                    Site::SeqNext(slot),
                    seq.value().copied() + Value::known(Fp::ONE),
                );
                let seq_next = r.assign_advice(|| "seq_next", a[1], 4, || seq_value)?;
                copy(r, &path.index, a[2], 4)?;
                copy(r, &cells.account_nonce, a[3], 4)?;
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
}
