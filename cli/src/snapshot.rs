//! JSON files a relayer works with: a segment snapshot and signed exit
//! requests. Examples: `examples/segment.json`, `examples/exits.json`.
//! Every parse error names the file and the field path.

use std::path::Path;

use bulkhead_circuits::hash::Fp;
use bulkhead_circuits::model::{Account, ExitRequest, Lane, SegmentState, Silo};
use bulkhead_circuits::CircuitShape;
use bulkhead_prover::{SignedBatch, SignedExitRequest};
use bulkhead_verifier::serde_fp;
use serde::{Deserialize, Serialize};

/// A segment's state as a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Segment id.
    pub segment: u64,
    /// Circuit shape (its depths size the trees).
    pub shape: CircuitShape,
    /// Exits sent so far.
    pub exit_seq: u64,
    /// Accounts.
    pub accounts: Vec<AccountEntry>,
    /// Silos.
    pub silos: Vec<Silo>,
    /// Lanes, in tree-position order.
    pub lanes: Vec<Lane>,
}

/// One account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    /// Leaf index.
    pub index: u64,
    /// Owner field, hex (H_owner of the holder's public key).
    #[serde(with = "serde_fp")]
    pub owner: Fp,
    /// Asset.
    pub asset: u64,
    /// Balance.
    pub balance: u64,
    /// Nonce.
    pub nonce: u64,
}

/// A file of signed exit requests, batch by batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitsFile {
    /// Batches in order.
    pub batches: Vec<BatchEntry>,
}

/// One batch of signed exits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchEntry {
    /// Destination segment.
    pub dst: u64,
    /// Asset.
    pub asset: u64,
    /// Epoch.
    pub epoch: u64,
    /// Exits in slot order.
    pub exits: Vec<ExitEntry>,
}

/// One signed exit request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitEntry {
    /// Sending account's index.
    pub account: u64,
    /// Recipient, hex field element.
    #[serde(with = "serde_fp")]
    pub recipient: Fp,
    /// Amount (checked against 1..2^64 by the model).
    pub amount: u128,
    /// Owner's Ed25519 public key, hex.
    #[serde(with = "serde_fp::bytes32")]
    pub public_key: [u8; 32],
    /// Signature over (lane, nonce, recipient, amount), hex.
    #[serde(with = "serde_fp::bytes64")]
    pub signature: [u8; 64],
}

/// Reads JSON from `path`; errors say `file: field.path: problem`.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        format!(
            "{}: {}: {}",
            path.display(),
            if field == "." {
                "(top level)".into()
            } else {
                field
            },
            e.inner()
        )
    })
}

impl Snapshot {
    /// Rebuilds the segment; a rule the state breaks names the entry.
    pub fn to_state(&self) -> Result<SegmentState, String> {
        let mut state =
            SegmentState::new(self.segment, &self.shape).map_err(|e| format!("shape: {e}"))?;
        for (i, a) in self.accounts.iter().enumerate() {
            state
                .open_account(
                    a.index,
                    Account {
                        owner: a.owner,
                        asset: a.asset,
                        balance: a.balance,
                        nonce: a.nonce,
                    },
                )
                .map_err(|e| format!("accounts[{i}]: {e}"))?;
        }
        for (i, silo) in self.silos.iter().enumerate() {
            state
                .set_silo(*silo)
                .map_err(|e| format!("silos[{i}]: {e}"))?;
        }
        for (i, lane) in self.lanes.iter().enumerate() {
            state
                .allow_lane(*lane)
                .map_err(|e| format!("lanes[{i}]: {e}"))?;
        }
        state.restore_exit_seq(self.exit_seq);
        Ok(state)
    }

    /// The snapshot of `state`.
    pub fn from_state(state: &SegmentState, shape: CircuitShape) -> Self {
        let mut lanes: Vec<(&Lane, &u64)> = state.lanes().iter().collect();
        lanes.sort_by_key(|(_, position)| **position);
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
            lanes: lanes.into_iter().map(|(lane, _)| *lane).collect(),
        }
    }
}

impl ExitsFile {
    /// The signed batches to plan.
    pub fn to_batches(&self) -> Vec<SignedBatch> {
        self.batches
            .iter()
            .map(|b| SignedBatch {
                dst: b.dst,
                asset: b.asset,
                epoch: b.epoch,
                exits: b
                    .exits
                    .iter()
                    .map(|e| SignedExitRequest {
                        request: ExitRequest {
                            account: e.account,
                            recipient: e.recipient,
                            amount: e.amount,
                        },
                        public_key: e.public_key,
                        signature: e.signature,
                    })
                    .collect(),
            })
            .collect()
    }

    /// The file form of signed batches.
    pub fn from_batches(batches: &[SignedBatch]) -> Self {
        ExitsFile {
            batches: batches
                .iter()
                .map(|b| BatchEntry {
                    dst: b.dst,
                    asset: b.asset,
                    epoch: b.epoch,
                    exits: b
                        .exits
                        .iter()
                        .map(|e| ExitEntry {
                            account: e.request.account,
                            recipient: e.request.recipient,
                            amount: e.request.amount,
                            public_key: e.public_key,
                            signature: e.signature,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
