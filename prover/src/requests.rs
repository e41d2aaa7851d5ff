//! Signed exit requests as a JSON file (`examples/exits.json`), batch by
//! batch, as a relayer receives them from account owners.

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::ExitRequest;
use serde::{Deserialize, Serialize};

use crate::{SignedBatch, SignedExitRequest};

/// A file of signed exit requests, batch by batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitsFile {
    /// The stream every exit is signed for (its signatures name it).
    #[serde(with = "bulkhead_protocol::decimal")]
    pub stream_id: u64,
    /// Batches in order.
    pub batches: Vec<BatchEntry>,
}

/// One batch of signed exits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchEntry {
    /// Destination segment.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub dst: u64,
    /// Asset.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub asset: u64,
    /// Epoch.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub epoch: u64,
    /// Exits in slot order.
    pub exits: Vec<ExitEntry>,
}

/// One signed exit request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitEntry {
    /// Sending account's index.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub account: u64,
    /// Recipient, hex field element.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub recipient: Fp,
    /// Amount (checked against 1..2^64 by the model).
    #[serde(with = "bulkhead_protocol::decimal")]
    pub amount: u128,
    /// Owner's Ed25519 public key, hex.
    #[serde(with = "bulkhead_protocol::hex::bytes")]
    pub public_key: [u8; 32],
    /// Signature over (stream, lane, account, nonce, recipient, amount),
    /// hex.
    #[serde(with = "bulkhead_protocol::hex::bytes")]
    pub signature: [u8; 64],
}

impl ExitsFile {
    /// The signed batches to plan.
    pub fn to_batches(&self) -> Vec<SignedBatch> {
        self.batches
            .iter()
            .map(|b| SignedBatch {
                stream_id: self.stream_id,
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

    /// The file form of signed batches for stream `stream_id`.
    pub fn from_batches(stream_id: u64, batches: &[SignedBatch]) -> Self {
        ExitsFile {
            stream_id,
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
