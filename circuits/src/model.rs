//! The native model of a segment: accounts, silos, lanes and exit sequence,
//! and [`SegmentState::apply_exits`], which applies one batch exactly as the
//! circuit constrains it and produces the public inputs and the witness.

use std::collections::{BTreeMap, HashMap};

use ff::Field;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::hash::{self, fp, tag, Fp};
use crate::instance::Instance;
use crate::merkle::{dense_root, SparseMerkleTree};
use crate::shape::CircuitShape;
use crate::witness::{BatchWitness, BoundaryWitness, SlotWitness};

/// An account leaf's contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// Hash of the holder's public key ([`hash::owner_of_key`]), hex.
    #[serde(with = "crate::serde_hex")]
    pub owner: Fp,
    /// The one asset this account holds.
    pub asset: u64,
    /// Balance.
    pub balance: u64,
    /// Number of exits this account has made.
    pub nonce: u64,
}

impl Account {
    /// The leaf `H(owner, asset, balance, nonce)`.
    pub fn leaf(&self) -> Fp {
        hash::account_leaf(self.owner, fp(self.asset), fp(self.balance), fp(self.nonce))
    }
}

/// A silo: the segment's collateral and outflow window for one asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Silo {
    /// Asset id, also the silo's position in the silo tree.
    pub asset: u64,
    /// Value the segment can still send out in this asset.
    pub collateral: u64,
    /// Most that may leave per epoch.
    pub cap: u64,
    /// Epoch of the current outflow window.
    pub window_epoch: u64,
    /// Outflow counted in that window.
    pub window_outflow: u64,
}

impl Silo {
    /// The leaf `H(asset, collateral, cap, window_epoch, window_outflow)`.
    pub fn leaf(&self) -> Fp {
        hash::silo_leaf(
            fp(self.asset),
            fp(self.collateral),
            fp(self.cap),
            fp(self.window_epoch),
            fp(self.window_outflow),
        )
    }
}

/// An outbound lane `(dst, asset)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lane {
    /// Destination segment.
    pub dst: u64,
    /// Asset.
    pub asset: u64,
}

impl Lane {
    /// The leaf `H(dst, asset)`.
    pub fn leaf(&self) -> Fp {
        hash::lane_leaf(fp(self.dst), fp(self.asset))
    }
}

/// One exit a relayer asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitRequest {
    /// Index of the sending account in the accounts tree.
    pub account: u64,
    /// Recipient in the destination segment.
    pub recipient: Fp,
    /// Amount; u128 so that an out-of-range request is a typed error
    /// rather than a parse failure.
    pub amount: u128,
}

/// One batch a relayer asks for: exits on one lane in one epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRequest {
    /// Destination segment.
    pub dst: u64,
    /// Asset.
    pub asset: u64,
    /// Epoch.
    pub epoch: u64,
    /// The exits, in slot order.
    pub exits: Vec<ExitRequest>,
}

/// The plaintext of one proven exit, as a receiving segment credits it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitRecord {
    /// Sequence number.
    pub seq: u64,
    /// Sender's owner field.
    pub owner: Fp,
    /// Sender's nonce at the exit.
    pub nonce: u64,
    /// Recipient.
    pub recipient: Fp,
    /// Amount.
    pub amount: u64,
}

/// Everything one applied batch yields.
#[derive(Clone, Debug)]
pub struct BatchOutcome {
    /// The 12 public inputs.
    pub instance: Instance,
    /// The circuit witness.
    pub witness: BatchWitness,
    /// The exits in slot order.
    pub exits: Vec<ExitRecord>,
}

/// A segment's provable state.
#[derive(Clone, Debug)]
pub struct SegmentState {
    id: u64,
    accounts: BTreeMap<u64, Account>,
    account_tree: SparseMerkleTree,
    silos: BTreeMap<u64, Silo>,
    silo_tree: SparseMerkleTree,
    lanes: BTreeMap<Lane, u64>,
    lane_tree: SparseMerkleTree,
    exit_seq: u64,
}

impl SegmentState {
    /// An empty segment whose trees fit `shape`.
    pub fn new(id: u64, shape: &CircuitShape) -> Result<Self, Error> {
        shape.validate()?;
        Ok(Self {
            id,
            accounts: BTreeMap::new(),
            account_tree: SparseMerkleTree::new(shape.accounts_depth, tag::ACCOUNT_NODE)?,
            silos: BTreeMap::new(),
            silo_tree: SparseMerkleTree::new(shape.silo_depth, tag::SILO_NODE)?,
            lanes: BTreeMap::new(),
            lane_tree: SparseMerkleTree::new(shape.lanes_depth, tag::LANE_NODE)?,
            exit_seq: 0,
        })
    }

    /// Segment id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Number of exits this segment has ever sent.
    pub fn exit_seq(&self) -> u64 {
        self.exit_seq
    }

    /// The account at `index`, if any.
    pub fn account(&self, index: u64) -> Option<&Account> {
        self.accounts.get(&index)
    }

    /// All accounts by index.
    pub fn accounts(&self) -> &BTreeMap<u64, Account> {
        &self.accounts
    }

    /// The silo for `asset`, if any.
    pub fn silo(&self, asset: u64) -> Option<&Silo> {
        self.silos.get(&asset)
    }

    /// All silos by asset.
    pub fn silos(&self) -> &BTreeMap<u64, Silo> {
        &self.silos
    }

    /// Sets the exit sequence number when restoring a saved segment (the
    /// boundary root commits to it, so a wrong value shows at the gate).
    pub fn restore_exit_seq(&mut self, exit_seq: u64) {
        self.exit_seq = exit_seq;
    }

    /// The allowed lanes and their positions in the lanes tree.
    pub fn lanes(&self) -> &BTreeMap<Lane, u64> {
        &self.lanes
    }

    /// Accounts root.
    pub fn accounts_root(&self) -> Fp {
        self.account_tree.root()
    }

    /// Boundary root `H(silo_root, lanes_root, exit_seq)`.
    pub fn boundary_root(&self) -> Fp {
        hash::boundary_root(
            self.silo_tree.root(),
            self.lane_tree.root(),
            fp(self.exit_seq),
        )
    }

    /// Opens an account at a free index (genesis or deposits, which are
    /// outside the exit statement).
    pub fn open_account(&mut self, index: u64, account: Account) -> Result<(), Error> {
        if self.accounts.contains_key(&index) {
            return Err(Error::AlreadyExists {
                what: format!("account {index}"),
            });
        }
        self.account_tree.set_leaf(index, account.leaf())?;
        self.accounts.insert(index, account);
        Ok(())
    }

    /// Sets the silo for `silo.asset`, at position `asset` in the silo tree.
    pub fn set_silo(&mut self, silo: Silo) -> Result<(), Error> {
        if silo.asset >= self.silo_tree.capacity() {
            return Err(Error::AssetOutOfRange {
                asset: silo.asset,
                depth: self.silo_tree.depth(),
            });
        }
        self.silo_tree.set_leaf(silo.asset, silo.leaf())?;
        self.silos.insert(silo.asset, silo);
        Ok(())
    }

    /// Allows a lane at the next free position; returns the position.
    pub fn allow_lane(&mut self, lane: Lane) -> Result<u64, Error> {
        if self.lanes.contains_key(&lane) {
            return Err(Error::AlreadyExists {
                what: format!("lane to {} for asset {}", lane.dst, lane.asset),
            });
        }
        let position = self.lanes.len() as u64;
        self.lane_tree.set_leaf(position, lane.leaf())?;
        self.lanes.insert(lane, position);
        Ok(position)
    }

    fn check_shape(&self, shape: &CircuitShape) -> Result<(), Error> {
        shape.validate()?;
        let (d, s, l) = (
            self.account_tree.depth(),
            self.silo_tree.depth(),
            self.lane_tree.depth(),
        );
        if (d, s, l) != (shape.accounts_depth, shape.silo_depth, shape.lanes_depth) {
            return Err(Error::ShapeMismatch {
                accounts: d,
                silos: s,
                lanes: l,
            });
        }
        Ok(())
    }

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
        if batch.epoch < silo.window_epoch {
            return Err(Error::EpochBackwards {
                window_epoch: silo.window_epoch,
                epoch: batch.epoch,
            });
        }

        // Balances and nonces as they evolve within the batch, so one
        // account may exit several times.
        let mut running: HashMap<u64, Account> = HashMap::new();
        let mut amounts = Vec::with_capacity(batch.exits.len());
        let mut total: u64 = 0;
        for (slot, exit) in batch.exits.iter().enumerate() {
            let amount = u64::try_from(exit.amount).ok().filter(|a| *a > 0).ok_or(
                Error::AmountOutOfRange {
                    slot,
                    amount: exit.amount,
                },
            )?;
            let index = exit.account;
            let account = match running.get(&index) {
                Some(account) => *account,
                None => *self
                    .accounts
                    .get(&index)
                    .ok_or(Error::UnknownAccount { slot, index })?,
            };
            if account.asset != batch.asset {
                return Err(Error::WrongAsset {
                    slot,
                    index,
                    account_asset: account.asset,
                    batch_asset: batch.asset,
                });
            }
            let balance =
                account
                    .balance
                    .checked_sub(amount)
                    .ok_or(Error::InsufficientBalance {
                        slot,
                        index,
                        balance: account.balance,
                        amount,
                    })?;
            let nonce = account
                .nonce
                .checked_add(1)
                .ok_or(Error::NonceOverflow { slot, index })?;
            running.insert(
                index,
                Account {
                    balance,
                    nonce,
                    ..account
                },
            );
            total = total.checked_add(amount).ok_or(Error::TotalOverflow)?;
            amounts.push(amount);
        }

        let collateral = silo
            .collateral
            .checked_sub(total)
            .ok_or(Error::CollateralExhausted {
                asset: batch.asset,
                collateral: silo.collateral,
                total,
            })?;
        let base = if batch.epoch > silo.window_epoch {
            0
        } else {
            silo.window_outflow
        };
        let outflow = base
            .checked_add(total)
            .filter(|outflow| *outflow <= silo.cap)
            .ok_or(Error::CapExceeded {
                asset: batch.asset,
                cap: silo.cap,
                outflow: base,
                total,
            })?;
        let count = batch.exits.len() as u64;
        self.exit_seq
            .checked_add(count)
            .ok_or(Error::SequenceOverflow)?;

        Ok(Plan {
            amounts,
            total,
            lane_position,
            silo_before: silo,
            silo_after: Silo {
                collateral,
                window_epoch: batch.epoch,
                window_outflow: outflow,
                ..silo
            },
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
                before.owner,
                fp(before.nonce),
                exit.recipient,
                fp(*amount),
            );
            exits.push(ExitRecord {
                seq,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MerklePath;
    use crate::sample;
    use proptest::prelude::*;

    const SHAPE: CircuitShape = CircuitShape {
        accounts_depth: 6,
        silo_depth: 3,
        lanes_depth: 2,
        batch_size: 4,
        poseidon_chips: 2,
    };

    fn segment() -> SegmentState {
        sample::segment(1, &SHAPE).unwrap()
    }

    /// Applies `exits` on the main lane and checks that a refusal leaves the
    /// state exactly as it was.
    fn refused(state: &mut SegmentState, batch: &BatchRequest) -> Error {
        let (accounts, boundary) = (state.accounts_root(), state.boundary_root());
        let err = state.apply_exits(batch, &SHAPE).unwrap_err();
        assert_eq!(
            (state.accounts_root(), state.boundary_root()),
            (accounts, boundary)
        );
        err
    }

    #[test]
    fn each_rule_has_its_typed_error() {
        let mut s = segment();
        let main = |exits: &[(u64, u128)]| sample::batch(sample::EPOCH, exits);
        assert_eq!(refused(&mut s, &main(&[])), Error::EmptyBatch);
        assert_eq!(
            refused(&mut s, &main(&[(0, 1); 5])),
            Error::BatchTooLarge { len: 5, max: 4 }
        );
        assert_eq!(
            refused(&mut s, &main(&[(0, 0)])),
            Error::AmountOutOfRange { slot: 0, amount: 0 }
        );
        assert_eq!(
            refused(&mut s, &main(&[(0, 1), (0, 1 << 64)])),
            Error::AmountOutOfRange {
                slot: 1,
                amount: 1 << 64
            }
        );
        assert_eq!(
            refused(&mut s, &main(&[(9, 1)])),
            Error::UnknownAccount { slot: 0, index: 9 }
        );
        assert_eq!(
            refused(&mut s, &main(&[(1, 1)])),
            Error::WrongAsset {
                slot: 0,
                index: 1,
                account_asset: 2,
                batch_asset: 1
            }
        );
        // Account 0 holds 1,000: the second exit finds 400 left.
        assert_eq!(
            refused(&mut s, &main(&[(0, 600), (0, 401)])),
            Error::InsufficientBalance {
                slot: 1,
                index: 0,
                balance: 400,
                amount: 401
            }
        );
        let other_lane = BatchRequest {
            dst: 3,
            asset: sample::OTHER_ASSET,
            ..main(&[(1, 1)])
        };
        assert_eq!(
            refused(&mut s, &other_lane),
            Error::LaneNotAllowed {
                dst: 3,
                asset: sample::OTHER_ASSET
            }
        );
        assert_eq!(
            refused(&mut s, &sample::batch(sample::EPOCH - 1, &[(0, 1)])),
            Error::EpochBackwards {
                window_epoch: sample::EPOCH,
                epoch: sample::EPOCH - 1
            }
        );
        // Window holds 1,000 of a 6,000 cap.
        assert_eq!(
            refused(&mut s, &main(&[(4, 4000), (6, 1001)])),
            Error::CapExceeded {
                asset: 1,
                cap: 6000,
                outflow: 1000,
                total: 5001
            }
        );
        s.set_silo(Silo {
            collateral: 300,
            ..*s.silo(sample::ASSET).unwrap()
        })
        .unwrap();
        assert_eq!(
            refused(&mut s, &main(&[(0, 200), (2, 101)])),
            Error::CollateralExhausted {
                asset: 1,
                collateral: 300,
                total: 301
            }
        );
        s.open_account(
            10,
            Account {
                owner: Fp::ONE,
                asset: 1,
                balance: u64::MAX,
                nonce: u64::MAX,
            },
        )
        .unwrap();
        assert_eq!(
            refused(&mut s, &main(&[(10, 1)])),
            Error::NonceOverflow { slot: 0, index: 10 }
        );
        s.open_account(
            11,
            Account {
                owner: Fp::ONE,
                asset: 1,
                balance: u64::MAX,
                nonce: 0,
            },
        )
        .unwrap();
        s.set_silo(Silo {
            collateral: u64::MAX,
            cap: u64::MAX,
            ..*s.silo(sample::ASSET).unwrap()
        })
        .unwrap();
        assert_eq!(
            refused(&mut s, &main(&[(11, u64::MAX as u128), (11, 1)])),
            Error::InsufficientBalance {
                slot: 1,
                index: 11,
                balance: 0,
                amount: 1
            }
        );
        assert_eq!(
            refused(&mut s, &main(&[(11, u64::MAX as u128), (4, 1)])),
            Error::TotalOverflow
        );
        let mut no_silo = SegmentState::new(1, &SHAPE).unwrap();
        no_silo
            .allow_lane(Lane {
                dst: sample::DST,
                asset: sample::ASSET,
            })
            .unwrap();
        assert_eq!(
            no_silo.apply_exits(&main(&[(0, 1)]), &SHAPE).unwrap_err(),
            Error::NoSilo { asset: 1 }
        );
        assert_eq!(
            s.set_silo(Silo {
                asset: 8,
                ..*s.silo(sample::ASSET).unwrap()
            }),
            Err(Error::AssetOutOfRange { asset: 8, depth: 3 })
        );
        let other_shape = CircuitShape {
            accounts_depth: 7,
            ..SHAPE
        };
        assert!(matches!(
            s.apply_exits(&main(&[(0, 1)]), &other_shape),
            Err(Error::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn a_batch_updates_roots_sequence_and_silo_consistently() {
        let mut s = segment();
        let before = s.clone();
        let outcome = s
            .apply_exits(
                &sample::batch(sample::EPOCH + 2, &[(0, 300), (2, 50), (0, 100)]),
                &SHAPE,
            )
            .unwrap();
        let i = outcome.instance;
        assert_eq!((i.first_seq, i.exit_count, i.total), (0, 3, 450));
        assert_eq!(i.accounts_before, before.accounts_root());
        assert_eq!(i.accounts_after, s.accounts_root());
        assert_eq!(i.boundary_after, s.boundary_root());
        assert_eq!(s.exit_seq(), 3);
        assert_eq!(s.account(0).unwrap().balance, 600);
        assert_eq!(s.account(0).unwrap().nonce, 2);
        // A new epoch restarts the window: 450 out, not 1,450.
        let silo = s.silo(sample::ASSET).unwrap();
        assert_eq!(
            (silo.window_epoch, silo.window_outflow, silo.collateral),
            (9, 450, 19_550)
        );
        // Exit records carry the nonce each exit used.
        let nonces: Vec<u64> = outcome.exits.iter().map(|e| e.nonce).collect();
        assert_eq!(nonces, [0, 0, 1]);
        // The witness path of the first slot opens the old root.
        let slot = &outcome.witness.slots[0];
        let path = MerklePath {
            index: 0,
            siblings: slot.siblings.clone(),
        };
        let leaf = hash::account_leaf(slot.owner, slot.asset, slot.balance, slot.nonce);
        assert_eq!(path.root(tag::ACCOUNT_NODE, leaf), i.accounts_before);
        assert_eq!(outcome.witness.slots[3].enabled, Fp::ZERO);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Random batches of exits from asset-1 accounts either apply, with
        /// totals that match the model's own bookkeeping, or are refused
        /// without any change.
        #[test]
        fn random_batches_apply_or_are_refused_cleanly(
            exits in prop::collection::vec((0u64..4, 1u128..3000), 1..=4),
            epoch_step in 0u64..2,
        ) {
            let mut s = segment();
            let exits: Vec<(u64, u128)> = exits.into_iter().map(|(a, v)| (2 * a, v)).collect();
            let batch = sample::batch(sample::EPOCH + epoch_step, &exits);
            let before = s.clone();
            match s.apply_exits(&batch, &SHAPE) {
                Ok(outcome) => {
                    let sum: u128 = exits.iter().map(|e| e.1).sum();
                    prop_assert_eq!(outcome.instance.total as u128, sum);
                    let spent: u64 = before.accounts().iter().map(|(i, a)| a.balance - s.account(*i).unwrap().balance).sum();
                    prop_assert_eq!(spent as u128, sum);
                    prop_assert_eq!(s.exit_seq(), exits.len() as u64);
                    prop_assert_eq!(
                        before.silo(1).unwrap().collateral - s.silo(1).unwrap().collateral,
                        outcome.instance.total
                    );
                }
                Err(_) => {
                    prop_assert_eq!(s.accounts_root(), before.accounts_root());
                    prop_assert_eq!(s.boundary_root(), before.boundary_root());
                }
            }
        }

        /// Small batches within every limit always apply.
        #[test]
        fn valid_batches_always_apply(exits in prop::collection::vec((0u64..4, 1u128..200), 1..=4)) {
            let mut s = segment();
            let exits: Vec<(u64, u128)> = exits.into_iter().map(|(a, v)| (2 * a, v)).collect();
            prop_assert!(s.apply_exits(&sample::batch(sample::EPOCH, &exits), &SHAPE).is_ok());
        }
    }
}
