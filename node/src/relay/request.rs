//! The signed exit request: what a client submits, what the relayer
//! stores once it admits it, and what the model and the signature check
//! see of it.

use bulkhead_protocol::authorise::{ExitAuthorisation, SignedExitRequest};
use bulkhead_protocol::hash::{self, Fp};
use bulkhead_protocol::model::{Account, ExitIntent, ExitRequest, Lane};

/// A signed exit request as a client submits it. Each integer is a JSON
/// number or a decimal string ([`bulkhead_protocol::decimal`]); read one
/// with [`ExitSubmission::from_json`], whose refusals name the field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitSubmission {
    /// Destination segment.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub dst: u64,
    /// Asset.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub asset: u64,
    /// Sending account's index.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub account: u64,
    /// Recipient, a hex field element.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub recipient: Fp,
    /// Amount, 1 to 2^64 - 1.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub amount: u64,
    /// The owner's Ed25519 public key, hex.
    #[serde(with = "bulkhead_protocol::hex::bytes")]
    pub public_key: [u8; 32],
    /// The owner's signature over (lane, account, nonce, recipient,
    /// amount), hex.
    #[serde(with = "bulkhead_protocol::hex::bytes")]
    pub signature: [u8; 64],
}

impl ExitSubmission {
    /// Reads a request body; a refusal names the field it is about
    /// (`account: "x" is not a decimal integer`).
    pub fn from_json(body: &[u8]) -> Result<Self, MalformedRequest> {
        crate::json::from_slice(body)
    }
}

/// A request body that is not an exit request.
pub type MalformedRequest = crate::json::JsonError;

impl ExitSubmission {
    /// The lane it leaves by.
    pub fn lane(&self) -> Lane {
        Lane {
            dst: self.dst,
            asset: self.asset,
        }
    }

    /// What the pending overlay checks.
    pub fn intent(&self) -> ExitIntent {
        ExitIntent {
            lane: self.lane(),
            account: self.account,
            amount: self.amount,
        }
    }

    /// The request as the model applies it, with its key and signature.
    pub fn signed(&self) -> SignedExitRequest {
        SignedExitRequest {
            request: ExitRequest {
                account: self.account,
                recipient: self.recipient,
                amount: u128::from(self.amount),
            },
            public_key: self.public_key,
            signature: self.signature,
        }
    }

    /// What its signature must authorise on stream `stream_id`, from
    /// segment `segment`, debiting `account` (its owner) at `nonce`.
    pub fn authorisation(
        &self,
        stream_id: u64,
        segment: u64,
        account: &Account,
        nonce: u64,
    ) -> ExitAuthorisation {
        ExitAuthorisation {
            stream_id,
            lane_id: hash::lane_id(Fp::from(segment), Fp::from(self.dst), Fp::from(self.asset)),
            owner: account.owner,
            account: self.account,
            nonce,
            recipient: self.recipient,
            amount: self.amount,
        }
    }
}
