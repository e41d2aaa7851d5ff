//! The once-per-batch boundary checks: the lane exists (I5), the silo sits
//! at position ASSET and pays TOTAL out of its collateral (I6), the epoch
//! window and cap (I7), the exit sequence (I8), TOTAL's range (I10), and
//! the boundary roots before and after.
//!
//! Regions, in layout order:
//!
//! ```text
//! "boundary witness"                       the silo values, below
//! "u64 range: collateral' (I6)"            range checks on witness cells
//! "u64 range: epoch - window_epoch (I7)"
//! "u64 range: outflow' (I7)"
//! "u64 range: cap - outflow' (I7)"
//! "u64 range: exit_seq' (I8)"
//! "u64 range: TOTAL (I10)"                 on the last slot's total
//! "u64 range: EPOCH (I7)"                  on the public-input cell
//! silo old leaf, silo new leaf             H_4(ASSET, collateral, cap,
//!                                              epoch, outflow), chips 0, 1
//! "path bits: silo", "merkle level h: silo"   one path for both    (I6)
//! lane leaf                                H_6(DST, ASSET), chip 1 (I5)
//! "path bits: lane", "merkle level h: lane"                        (I5)
//! boundary before, boundary after          H_8(silo root, lanes root,
//!                                              exit_seq), chips 0, 1, bound
//!                                              to BOUNDARY_BEFORE/AFTER
//! "boundary" (q_boundary)                  the "boundary" gate, below
//! ```
//!
//! "boundary witness" has no gate; every cell is copied into a range check,
//! a silo leaf or the gated region:
//!
//! ```text
//! row | a0         | a1         | a2           | a3             | a4
//! ----+------------+------------+--------------+----------------+------------
//!  0  | collateral | cap        | window_epoch | window_outflow | collateral'
//!  1  | diff       | diff_inv   | same_epoch   | base           | outflow'
//!  2  | cap_slack  | exit_seq'  |              |                |
//! ```
//!
//! "boundary", with `q_boundary` on row 0 (the "boundary" gate of
//! `config.rs` reads all four rows):
//!
//! ```text
//! row | a0             | a1          | a2       | a3        | a4
//! ----+----------------+-------------+----------+-----------+-----------
//!  0  | collateral     | collateral' | TOTAL    | cap       | cap_slack
//!  1  | window_epoch   | EPOCH       | diff     | diff_inv  | same_epoch
//!  2  | window_outflow | base        | outflow' | FIRST_SEQ | exit_seq'
//!  3  | EXIT_COUNT     | silo_index  | ASSET    |           |
//! ```
//!
//! Every cell is a copy: TOTAL and EXIT_COUNT of the last slot's running
//! sums (which the instance binds), EPOCH, FIRST_SEQ and ASSET of the
//! public-input cells, `silo_index` of the silo path's index, the rest of
//! the witness region.

use ff::Field;
use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::Error,
};

use super::slot::SlotCarry;
use super::{copy, invert_or_zero, ExitBatchCircuit, ExitBatchConfig, PublicCells, Site};
use crate::chips::{
    merkle::PathRoots, Cell, MerkleInstructions, PoseidonInstructions, U64RangeInstructions,
};
use bulkhead_protocol::hash::{tag, Fp};
use bulkhead_protocol::instance;

/// The cells of the "boundary witness" region.
struct BoundaryCells {
    collateral: Cell,
    cap: Cell,
    window_epoch: Cell,
    window_outflow: Cell,
    collateral_new: Cell,
    diff: Cell,
    diff_inv: Cell,
    same_epoch: Cell,
    base: Cell,
    outflow_new: Cell,
    cap_slack: Cell,
    exit_seq_new: Cell,
}

impl<const CHIPS: usize> ExitBatchCircuit<CHIPS> {
    /// Lays out the boundary checks after the last slot, `last`.
    pub(super) fn synthesize_boundary(
        &self,
        config: &ExitBatchConfig,
        layouter: &mut impl Layouter<Fp>,
        public: &PublicCells,
        last: &SlotCarry,
    ) -> Result<(), Error> {
        let cells = self.assign_boundary_witness(config, layouter, public, last)?;

        let range = &config.range;
        range.check_u64(layouter, "collateral' (I6)", &cells.collateral_new)?;
        range.check_u64(layouter, "epoch - window_epoch (I7)", &cells.diff)?;
        range.check_u64(layouter, "outflow' (I7)", &cells.outflow_new)?;
        range.check_u64(layouter, "cap - outflow' (I7)", &cells.cap_slack)?;
        range.check_u64(layouter, "exit_seq' (I8)", &cells.exit_seq_new)?;
        range.check_u64(layouter, "TOTAL (I10)", &last.total)?;
        range.check_u64(layouter, "EPOCH (I7)", &public.epoch)?;

        let silo = self.silo_path(config, layouter, public, &cells)?;
        let lane = self.lane_path(config, layouter, public)?;

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
                cells.exit_seq_new.clone(),
            ],
        )?;
        layouter.constrain_instance(before.cell(), config.instance, instance::BOUNDARY_BEFORE)?;
        layouter.constrain_instance(after.cell(), config.instance, instance::BOUNDARY_AFTER)?;

        self.assign_boundary_gate(config, layouter, public, last, &cells, &silo)
    }

    /// The "boundary witness" region: the silo's state and the values an
    /// honest prover derives from it and the batch's sums (or, in tests,
    /// the tampered ones).
    fn assign_boundary_witness(
        &self,
        config: &ExitBatchConfig,
        layouter: &mut impl Layouter<Fp>,
        public: &PublicCells,
        last: &SlotCarry,
    ) -> Result<BoundaryCells, Error> {
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

        layouter.assign_region(
            || "boundary witness",
            |mut region| {
                let mut put = |name: &'static str, col: usize, row: usize, v: Value<Fp>| {
                    region.assign_advice(|| name, a[col], row, || v)
                };
                Ok(BoundaryCells {
                    collateral: put("collateral", 0, 0, collateral)?,
                    cap: put("cap", 1, 0, cap)?,
                    window_epoch: put("window_epoch", 2, 0, window_epoch)?,
                    window_outflow: put("window_outflow", 3, 0, window_outflow)?,
                    collateral_new: put("collateral'", 4, 0, collateral_new)?,
                    diff: put("epoch diff", 0, 1, diff)?,
                    diff_inv: put("epoch diff inverse", 1, 1, diff_inv)?,
                    same_epoch: put("same epoch", 2, 1, same_epoch)?,
                    base: put("base outflow", 3, 1, base)?,
                    outflow_new: put("outflow'", 4, 1, outflow_new)?,
                    cap_slack: put("cap slack", 0, 2, cap_slack)?,
                    exit_seq_new: put("exit_seq'", 1, 2, exit_seq_new)?,
                })
            },
        )
    }

    /// I6: the silo's old and new leaf up one path. The new leaf keeps the
    /// cap and takes collateral', window_epoch' = EPOCH and outflow'; the
    /// path's bits are ASSET's (checked by "I6 silo position").
    fn silo_path(
        &self,
        config: &ExitBatchConfig,
        layouter: &mut impl Layouter<Fp>,
        public: &PublicCells,
        cells: &BoundaryCells,
    ) -> Result<PathRoots, Error> {
        let silo_depth = self.shape.silo_depth as usize;
        let silo_bits = self.values(silo_depth, |w| &w.boundary.silo_bits);
        let silo_siblings = self.values(silo_depth, |w| &w.boundary.silo_siblings);
        let silo_old = config.poseidon.hash::<{ tag::SILO_LEAF }, 5>(
            0,
            layouter.namespace(|| "silo old leaf"),
            [
                public.asset.clone(),
                cells.collateral.clone(),
                cells.cap.clone(),
                cells.window_epoch.clone(),
                cells.window_outflow.clone(),
            ],
        )?;
        let silo_new = config.poseidon.hash::<{ tag::SILO_LEAF }, 5>(
            1,
            layouter.namespace(|| "silo new leaf"),
            [
                public.asset.clone(),
                cells.collateral_new.clone(),
                cells.cap.clone(),
                public.epoch.clone(),
                cells.outflow_new.clone(),
            ],
        )?;
        config.merkle.path::<{ tag::SILO_NODE }>(
            layouter,
            &config.poseidon,
            0,
            "silo",
            &[silo_old, silo_new],
            &silo_bits,
            &silo_siblings,
        )
    }

    /// I5: H(DST, ASSET) is a leaf of the lanes tree, whose root enters
    /// both boundary roots.
    fn lane_path(
        &self,
        config: &ExitBatchConfig,
        layouter: &mut impl Layouter<Fp>,
        public: &PublicCells,
    ) -> Result<PathRoots, Error> {
        let lane_leaf = config.poseidon.hash::<{ tag::LANE_LEAF }, 2>(
            1,
            layouter.namespace(|| "lane leaf"),
            [public.dst.clone(), public.asset.clone()],
        )?;
        let lanes_depth = self.shape.lanes_depth as usize;
        config.merkle.path::<{ tag::LANE_NODE }>(
            layouter,
            &config.poseidon,
            1,
            "lane",
            &[lane_leaf],
            &self.values(lanes_depth, |w| &w.boundary.lane_bits),
            &self.values(lanes_depth, |w| &w.boundary.lane_siblings),
        )
    }

    /// The gated "boundary" region drawn in the module docs. The order of
    /// the copies below is part of the verifying key.
    fn assign_boundary_gate(
        &self,
        config: &ExitBatchConfig,
        layouter: &mut impl Layouter<Fp>,
        public: &PublicCells,
        last: &SlotCarry,
        cells: &BoundaryCells,
        silo: &PathRoots,
    ) -> Result<(), Error> {
        let a = config.advice;
        layouter.assign_region(
            || "boundary",
            |mut region| {
                config.q_boundary.enable(&mut region, 0)?;
                let r = &mut region;
                for (cell, col, row) in [
                    (&cells.collateral, 0, 0),
                    (&cells.collateral_new, 1, 0),
                    (&last.total, 2, 0),
                    (&cells.cap, 3, 0),
                    (&cells.cap_slack, 4, 0),
                    (&cells.window_epoch, 0, 1),
                    (&public.epoch, 1, 1),
                    (&cells.diff, 2, 1),
                    (&cells.diff_inv, 3, 1),
                    (&cells.same_epoch, 4, 1),
                    (&cells.window_outflow, 0, 2),
                    (&cells.base, 1, 2),
                    (&cells.outflow_new, 2, 2),
                    (&public.first_seq, 3, 2),
                    (&cells.exit_seq_new, 4, 2),
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
