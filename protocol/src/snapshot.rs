//! A segment's state as a JSON file (`examples/segment.json`): what a
//! relayer starts from and writes back after a run.

use serde::{Deserialize, Serialize};
use thiserror::Error as ThisError;

use crate::error::Error;
use crate::hash::Fp;
use crate::model::{Account, Lane, SegmentState, Silo};
use crate::shape::CircuitShape;

/// A segment's state as a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Segment id.
    #[serde(with = "crate::decimal")]
    pub segment: u64,
    /// Circuit shape (its depths size the trees).
    pub shape: CircuitShape,
    /// Exits sent so far.
    #[serde(with = "crate::decimal")]
    pub exit_seq: u64,
    /// Accounts.
    pub accounts: Vec<AccountEntry>,
    /// Silos.
    pub silos: Vec<Silo>,
    /// Lanes, in tree-position order.
    pub lanes: Vec<LaneEntry>,
}

/// One lane and, where governance left a gap before it, its position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaneEntry {
    /// Destination segment.
    #[serde(with = "crate::decimal")]
    pub dst: u64,
    /// Asset.
    #[serde(with = "crate::decimal")]
    pub asset: u64,
    /// Its lanes-tree position; absent: the lowest one free.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::decimal::option"
    )]
    pub position: Option<u64>,
}

impl LaneEntry {
    /// The lane.
    pub fn lane(&self) -> Lane {
        Lane {
            dst: self.dst,
            asset: self.asset,
        }
    }
}

/// One account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    /// Leaf index.
    #[serde(with = "crate::decimal")]
    pub index: u64,
    /// Owner field, hex (H_owner of the holder's public key).
    #[serde(with = "crate::hex::fp")]
    pub owner: Fp,
    /// Asset.
    #[serde(with = "crate::decimal")]
    pub asset: u64,
    /// Balance.
    #[serde(with = "crate::decimal")]
    pub balance: u64,
    /// Nonce.
    #[serde(with = "crate::decimal")]
    pub nonce: u64,
}

/// A snapshot entry the model refuses, named by its place in the file.
#[derive(Clone, Debug, PartialEq, Eq, ThisError)]
#[error("{entry}: {source}")]
pub struct SnapshotError {
    /// Where in the snapshot: `shape`, `accounts[3]`, `silos[0]`, ...
    pub entry: String,
    /// The model's reason.
    pub source: Error,
}

impl Snapshot {
    /// Rebuilds the segment; a rule the state breaks names the entry.
    pub fn to_state(&self) -> Result<SegmentState, SnapshotError> {
        let at = |entry: String| move |source| SnapshotError { entry, source };
        let mut state = SegmentState::new(self.segment, &self.shape).map_err(at("shape".into()))?;
        for (i, a) in self.accounts.iter().enumerate() {
            let account = Account {
                owner: a.owner,
                asset: a.asset,
                balance: a.balance,
                nonce: a.nonce,
            };
            state
                .open_account(a.index, account)
                .map_err(at(format!("accounts[{i}]")))?;
        }
        for (i, silo) in self.silos.iter().enumerate() {
            state.set_silo(*silo).map_err(at(format!("silos[{i}]")))?;
        }
        for (i, entry) in self.lanes.iter().enumerate() {
            let placed = match entry.position {
                Some(position) => state.set_lane_at(position, Some(entry.lane())),
                None => state.allow_lane(entry.lane()).map(|_| ()),
            };
            placed.map_err(at(format!("lanes[{i}]")))?;
        }
        state.restore_exit_seq(self.exit_seq);
        Ok(state)
    }

    /// The snapshot of `state`.
    pub fn from_state(state: &SegmentState, shape: CircuitShape) -> Self {
        let mut lanes: Vec<(&Lane, &u64)> = state.lanes().iter().collect();
        lanes.sort_by_key(|(_, position)| **position);
        // Positions are written only where governance left a gap, so a
        // segment that never lost a lane reads as before.
        let dense = lanes.iter().enumerate().all(|(i, (_, p))| **p == i as u64);
        Snapshot {
            segment: state.id(),
            shape,
            exit_seq: state.exit_seq(),
            accounts: state
                .accounts()
                .iter()
                .map(|(index, a)| AccountEntry {
                    index: *index,
                    owner: a.owner,
                    asset: a.asset,
                    balance: a.balance,
                    nonce: a.nonce,
                })
                .collect(),
            silos: state.silos().values().copied().collect(),
            lanes: lanes
                .into_iter()
                .map(|(lane, position)| LaneEntry {
                    dst: lane.dst,
                    asset: lane.asset,
                    position: (!dense).then_some(*position),
                })
                .collect(),
        }
    }
}
