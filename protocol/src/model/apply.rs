//! [`SegmentState::apply_exits`]: every rule checked first (a plan), then
//! the plan committed, yielding public inputs, witness and exit records.

use std::collections::HashMap;

use ff::Field;

use super::rules::{DebitRefusal, SiloRefusal};
use super::{Account, BatchOutcome, BatchRequest, ExitRecord, Lane, SegmentState, Silo};
use crate::error::Error;
use crate::hash::{self, fp, tag, Fp};
use crate::instance::Instance;
use crate::merkle::dense_root;
use crate::shape::CircuitShape;
use crate::witness::{BatchWitness, BoundaryWitness, SlotWitness};

impl SegmentState {
    /// Applies one batch. Every rule is checked before anything changes, so
    /// on error the state is exactly as before.
    pub fn apply_exits(
        &mut self,
        batch: &BatchRequest,
        shape: &CircuitShape,
    ) -> Result<BatchOutcome, Error> {
        self.check_shape(shape)?;
        let plan = self.plan(batch, shape)?;
        Ok(self.commit(batch, shape, plan))
    }

    /// Checks every rule and computes the debits, without changing anything.
    fn plan(&self, batch: &BatchRequest, shape: &CircuitShape) -> Result<Plan, Error> {
        let slots = shape.slots();
        if batch.exits.is_empty() {
            return Err(Error::EmptyBatch);
        }
        if batch.exits.len() > slots {
            return Err(Error::BatchTooLarge {
                len: batch.exits.len(),
                max: slots,
            });
        }
        let lane = Lane {
            dst: batch.dst,
            asset: batch.asset,
        };
        let lane_position = *self.lanes.get(&lane).ok_or(Error::LaneNotAllowed {
            dst: batch.dst,
            asset: batch.asset,
        })?;
        let silo = *self
            .silos
            .get(&batch.asset)
            .ok_or(Error::NoSilo { asset: batch.asset })?;
        let silo_refusal = |refusal: SiloRefusal, total: u64| match refusal {
            SiloRefusal::EpochBackwards { window_epoch } => Error::EpochBackwards {
                window_epoch,
                epoch: batch.epoch,
            },
            SiloRefusal::CollateralExhausted { collateral } => Error::CollateralExhausted {
                asset: batch.asset,
                collateral,
                total,
            },
            SiloRefusal::CapExceeded { outflow } => Error::CapExceeded {
                asset: batch.asset,
                cap: silo.cap,
                outflow,
                total,
            },
        };
        // An epoch before the window is refused before any exit is read.
        silo.outflow_at(batch.epoch)
            .map_err(|refusal| silo_refusal(refusal, 0))?;

        // Accounts as they evolve within the batch, so one account may
        // exit several times.
        let mut running: HashMap<u64, Account> = HashMap::new();
        let mut amounts = Vec::with_capacity(batch.exits.len());
        let mut total: u64 = 0;
        for (slot, exit) in batch.exits.iter().enumerate() {
            let out_of_range = Error::AmountOutOfRange {
                slot,
                amount: exit.amount,
            };
            // The amount's range (1..2^64) is read before the account, as
            // the protocol orders the checks.
            let amount = u64::try_from(exit.amount)
                .ok()
                .filter(|a| *a > 0)
                .ok_or_else(|| out_of_range.clone())?;
            let index = exit.account;
            let account = match running.get(&index) {
                Some(account) => *account,
                None => *self
                    .accounts
                    .get(&index)
                    .ok_or(Error::UnknownAccount { slot, index })?,
            };
            let after = account
                .debit(batch.asset, amount)
                .map_err(|refusal| match refusal {
                    DebitRefusal::ZeroAmount => out_of_range.clone(),
                    DebitRefusal::WrongAsset { holds } => Error::WrongAsset {
                        slot,
                        index,
                        account_asset: holds,
                        batch_asset: batch.asset,
                    },
                    DebitRefusal::Insufficient { balance } => Error::InsufficientBalance {
                        slot,
                        index,
                        balance,
                        amount,
                    },
                    DebitRefusal::NonceExhausted => Error::NonceOverflow { slot, index },
                })?;
            running.insert(index, after);
            total = total.checked_add(amount).ok_or(Error::TotalOverflow)?;
            amounts.push(amount);
        }
        let silo_after = silo
            .after(batch.epoch, total)
            .map_err(|refusal| silo_refusal(refusal, total))?;
        let count = batch.exits.len() as u64;
        self.exit_seq
            .checked_add(count)
            .ok_or(Error::SequenceOverflow)?;

        Ok(Plan {
            amounts,
            total,
            lane_position,
            silo_before: silo,
            silo_after,
        })
    }

    /// Applies a checked plan; cannot fail.
    fn commit(&mut self, batch: &BatchRequest, shape: &CircuitShape, plan: Plan) -> BatchOutcome {
        let asset = fp(batch.asset);
        let lane_id = hash::lane_id(fp(self.id), fp(batch.dst), asset);
        let accounts_before = self.accounts_root();
        let boundary_before = self.boundary_root();
        let first_seq = self.exit_seq;
        let expect = "a planned index is in range";

        let mut slots = Vec::with_capacity(shape.slots());
        let mut exits = Vec::with_capacity(batch.exits.len());
        let mut leaves = vec![Fp::ZERO; shape.slots()];
        for (slot, (exit, amount)) in batch.exits.iter().zip(&plan.amounts).enumerate() {
            let before = self.accounts[&exit.account];
            let path = self.account_tree.path(exit.account).expect(expect);
            let after = Account {
                balance: before.balance - amount,
                nonce: before.nonce + 1,
                ..before
            };
            self.account_tree
                .set_leaf(exit.account, after.leaf())
                .expect(expect);
            self.accounts.insert(exit.account, after);

            let seq = first_seq + slot as u64;
            leaves[slot] = hash::exit_leaf(
                lane_id,
                fp(seq),
                hash::account_nonce(exit.account, before.nonce),
                before.owner,
                exit.recipient,
                fp(*amount),
            );
            exits.push(ExitRecord {
                seq,
                account: exit.account,
                owner: before.owner,
                nonce: before.nonce,
                recipient: exit.recipient,
                amount: *amount,
            });
            slots.push(SlotWitness {
                enabled: Fp::ONE,
                owner: before.owner,
                asset,
                balance: fp(before.balance),
                nonce: fp(before.nonce),
                amount: fp(*amount),
                recipient: exit.recipient,
                path_bits: path.bits(),
                siblings: path.siblings,
            });
        }
        let depth = shape.accounts_depth as usize;
        slots.resize_with(shape.slots(), || SlotWitness::padding(asset, depth));

        let silo_path = self.silo_tree.path(batch.asset).expect(expect);
        let lane_path = self.lane_tree.path(plan.lane_position).expect(expect);
        self.silo_tree
            .set_leaf(batch.asset, plan.silo_after.leaf())
            .expect(expect);
        self.silos.insert(batch.asset, plan.silo_after);
        self.exit_seq += batch.exits.len() as u64;

        let before = plan.silo_before;
        let witness = BatchWitness {
            slots,
            boundary: BoundaryWitness {
                collateral: fp(before.collateral),
                cap: fp(before.cap),
                window_epoch: fp(before.window_epoch),
                window_outflow: fp(before.window_outflow),
                silo_bits: silo_path.bits(),
                silo_siblings: silo_path.siblings,
                lane_bits: lane_path.bits(),
                lane_siblings: lane_path.siblings,
            },
        };
        let instance = Instance {
            src: self.id,
            dst: batch.dst,
            asset: batch.asset,
            epoch: batch.epoch,
            accounts_before,
            accounts_after: self.accounts_root(),
            boundary_before,
            boundary_after: self.boundary_root(),
            first_seq,
            exit_count: batch.exits.len() as u64,
            total: plan.total,
            exits_root: dense_root(tag::EXIT_NODE, &leaves),
        };
        BatchOutcome {
            instance,
            witness,
            exits,
        }
    }
}

/// The checked effect of a batch, before it is applied.
struct Plan {
    amounts: Vec<u64>,
    total: u64,
    lane_position: u64,
    silo_before: Silo,
    silo_after: Silo,
}
