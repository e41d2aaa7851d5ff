//! A segment's provable state: its accounts, silos and lanes, each in its
//! sparse tree, and its exit sequence number.

use std::collections::BTreeMap;

use ff::Field;

use super::{Account, Lane, Silo};
use crate::error::Error;
use crate::hash::{self, fp, tag, Fp};
use crate::merkle::{MerklePath, SparseMerkleTree};
use crate::shape::CircuitShape;

/// A segment's provable state.
#[derive(Clone, Debug)]
pub struct SegmentState {
    pub(super) id: u64,
    pub(super) accounts: BTreeMap<u64, Account>,
    pub(super) account_tree: SparseMerkleTree,
    pub(super) silos: BTreeMap<u64, Silo>,
    pub(super) silo_tree: SparseMerkleTree,
    pub(super) lanes: BTreeMap<Lane, u64>,
    pub(super) lane_tree: SparseMerkleTree,
    pub(super) exit_seq: u64,
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

    /// The lanes root inside the boundary root.
    pub fn lanes_root(&self) -> Fp {
        self.lane_tree.root()
    }

    /// The path of the silo of `asset` (its leaf sits at index `asset`):
    /// with the silo's values, the lanes root and `exit_seq`, an opening of
    /// the boundary root that a gate checks at registration.
    pub fn silo_path(&self, asset: u64) -> Result<MerklePath, Error> {
        self.silo_tree.path(asset)
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

    /// Sets an account leaf, opened or not: how a segment's own execution
    /// (imports credited, trades) moves its accounts outside the exit
    /// statement. Its validators attest the resulting root.
    pub fn set_account(&mut self, index: u64, account: Account) -> Result<(), Error> {
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
        // The lowest position no lane holds: governance may have emptied
        // one below the count.
        let taken: std::collections::BTreeSet<u64> = self.lanes.values().copied().collect();
        let position = (0..).find(|p| !taken.contains(p)).unwrap_or(0);
        self.lane_tree.set_leaf(position, lane.leaf())?;
        self.lanes.insert(lane, position);
        Ok(position)
    }

    /// The path of lanes-tree position `position`: with the leaf there
    /// (a lane's, or zero where none is), the opening a governance item
    /// that removes or adds a lane carries.
    pub fn lane_path(&self, position: u64) -> Result<MerklePath, Error> {
        self.lane_tree.path(position)
    }

    /// Puts `lane` at lanes-tree position `position`, or empties it
    /// (`None`): governance removing or adding a lane (rule G8). A lane
    /// another position holds is refused; a lane the position held before
    /// is no longer allowed.
    pub fn set_lane_at(&mut self, position: u64, lane: Option<Lane>) -> Result<(), Error> {
        if let Some(lane) = lane {
            if self.lanes.get(&lane).is_some_and(|p| *p != position) {
                return Err(Error::AlreadyExists {
                    what: format!("lane to {} for asset {}", lane.dst, lane.asset),
                });
            }
        }
        self.lane_tree
            .set_leaf(position, lane.map_or(Fp::ZERO, |l| l.leaf()))?;
        self.lanes.retain(|_, p| *p != position);
        if let Some(lane) = lane {
            self.lanes.insert(lane, position);
        }
        Ok(())
    }

    pub(super) fn check_shape(&self, shape: &CircuitShape) -> Result<(), Error> {
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
}
