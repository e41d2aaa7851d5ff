//! Requests at the door: what a client submits, why it may be refused,
//! and the check against the segment as it will be once every queued
//! exit is paid.

use bulkhead_protocol::hash::{self, Fp};
use bulkhead_protocol::model::Lane;
use bulkhead_prover::{
    check_exit_signature, explain_exit_signature, ExitAuthorisation, ExitAuthorisationError,
};
use thiserror::Error;

use super::{Engine, ExitStage};
use crate::error::{CorruptError, NodeError};
use crate::relay::store::{now_ms, StoredExit};

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

/// Why an exit request was refused at the door. Nothing is queued.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum IntakeRefusal {
    /// Zero is not an exit.
    #[error("the amount must be at least 1")]
    ZeroAmount,
    /// The segment has no such lane.
    #[error("this segment has no lane to segment {dst} for asset {asset}")]
    LaneNotAllowed {
        /// Destination.
        dst: u64,
        /// Asset.
        asset: u64,
    },
    /// No account at that index.
    #[error("no account {account} in this segment")]
    UnknownAccount {
        /// The index.
        account: u64,
    },
    /// The account holds another asset.
    #[error("account {account} holds asset {holds}, not asset {asked}")]
    WrongAsset {
        /// The index.
        account: u64,
        /// Its asset.
        holds: u64,
        /// The lane's asset.
        asked: u64,
    },
    /// More than the account will hold once its queued exits are paid.
    #[error("account {account} has {available} left after its queued exits; {amount} asked")]
    InsufficientBalance {
        /// The index.
        account: u64,
        /// Its balance after its queued exits.
        available: u64,
        /// The amount asked.
        amount: u64,
    },
    /// More than the asset's cap lets out in one epoch: it could never go.
    #[error(
        "{amount} is more than asset {asset}'s cap of {cap} per epoch: it could never be sent"
    )]
    OverCap {
        /// The asset.
        asset: u64,
        /// Its cap.
        cap: u64,
        /// The amount asked.
        amount: u64,
    },
    /// More than the silo's collateral left once the queued exits of the
    /// asset are paid.
    #[error(
        "asset {asset} has {available} of collateral left after the queued exits; {amount} asked"
    )]
    OverCollateral {
        /// The asset.
        asset: u64,
        /// Collateral left after the queued exits.
        available: u64,
        /// The amount asked.
        amount: u64,
    },
    /// The key or signature does not authorise this exit at the
    /// account's next nonce (a reused or skipped nonce is named; each
    /// cause has its own [`IntakeRefusal::label`]).
    #[error("account {account}: {reason}")]
    Unauthorised {
        /// The index.
        account: u64,
        /// Why.
        reason: ExitAuthorisationError,
    },
    /// The queue is full: try again later.
    #[error("the queue holds {queued} exits, its limit; try again later")]
    QueueFull {
        /// Exits queued.
        queued: usize,
    },
    /// The account holds its whole share of the queue: its next request
    /// waits until some of its queued exits go into a batch. Other
    /// accounts still get in.
    #[error(
        "account {account} has {queued} exits queued, its share of the queue; \
         try again once some are batched"
    )]
    AccountShareFull {
        /// The index.
        account: u64,
        /// Its exits queued (its share).
        queued: usize,
    },
    /// The relayer stopped forming batches and needs its operator.
    #[error("the relayer is halted: {0}")]
    Halted(String),
}

impl IntakeRefusal {
    /// A short machine-readable label.
    pub fn label(&self) -> &'static str {
        match self {
            IntakeRefusal::ZeroAmount => "zero_amount",
            IntakeRefusal::LaneNotAllowed { .. } => "lane_not_allowed",
            IntakeRefusal::UnknownAccount { .. } => "unknown_account",
            IntakeRefusal::WrongAsset { .. } => "wrong_asset",
            IntakeRefusal::InsufficientBalance { .. } => "insufficient_balance",
            IntakeRefusal::OverCap { .. } => "over_cap",
            IntakeRefusal::OverCollateral { .. } => "over_collateral",
            // Each cause its own code, so a client can act on it: a used
            // nonce is a retry to look up, a skipped one a request to send
            // first. `unauthorised` is left to the bearer token.
            IntakeRefusal::Unauthorised { reason, .. } => match reason {
                ExitAuthorisationError::NonceUsed { .. } => "nonce_used",
                ExitAuthorisationError::NonceAhead { .. } => "nonce_skipped",
                ExitAuthorisationError::BadSignature => "bad_signature",
                ExitAuthorisationError::NotOwner => "not_owner",
                ExitAuthorisationError::NotAKey => "bad_public_key",
            },
            IntakeRefusal::QueueFull { .. } => "queue_full",
            IntakeRefusal::AccountShareFull { .. } => "account_share_full",
            IntakeRefusal::Halted(_) => "halted",
        }
    }
}

/// A request whose signature does not verify at its account's next
/// nonce: refused, with nothing queued, but not yet worded. Saying *why*
/// (a used nonce, a skipped one, or none nearby) takes up to 128 more
/// strict verifications, which [`UnverifiedSignature::explain`] does away
/// from the engine, so a stream of forged requests costs the engine's
/// lock one verification each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnverifiedSignature {
    exit: ExitAuthorisation,
    public_key: [u8; 32],
    signature: [u8; 64],
}

impl UnverifiedSignature {
    /// The account the request spends from.
    pub fn account(&self) -> u64 {
        self.exit.account
    }

    /// The account's next nonce, the only one the signature was tried at.
    pub fn next_nonce(&self) -> u64 {
        self.exit.nonce
    }

    /// The refusal in words an account owner can act on (a reused or
    /// skipped nonce is named). Costs up to 129 strict verifications: call
    /// it without the engine's lock.
    pub fn explain(&self) -> IntakeRefusal {
        // The signature failed at the next nonce under the lock; the state
        // it was checked against cannot be read here, so the words are
        // about that nonce, whatever was queued since.
        let reason = explain_exit_signature(&self.exit, &self.public_key, &self.signature)
            .unwrap_or(ExitAuthorisationError::BadSignature);
        IntakeRefusal::Unauthorised {
            account: self.exit.account,
            reason,
        }
    }
}

/// An accepted request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// Queue id, for `GET /v1/exits/{id}`.
    pub id: u64,
    /// The account nonce the exit spends.
    pub nonce: u64,
    /// Where the exit is: [`ExitStage::Queued`] when it was just accepted.
    pub stage: ExitStage,
    /// The request was accepted before (a client retrying): this is the
    /// stored exit's receipt, and nothing changed.
    pub repeat: bool,
}

impl Engine {
    pub(super) fn recompute_pending(&mut self) -> Result<(), NodeError> {
        self.pending.clear();
        self.queued_outflow.clear();
        for exit in &self.queue {
            let outflow = self.queued_outflow.entry(exit.asset).or_default();
            *outflow = outflow.saturating_add(exit.amount);
            let (balance, nonce) = match self.pending.get(&exit.account) {
                Some(p) => *p,
                None => {
                    let account = self
                        .tip
                        .account(exit.account)
                        .ok_or_else(|| CorruptError::QueuedNoAccount { exit: exit.id })?;
                    (account.balance, account.nonce)
                }
            };
            if nonce != exit.nonce || balance < exit.amount {
                return Err(CorruptError::QueuedStale {
                    exit: exit.id,
                    nonce: exit.nonce,
                    account: exit.account,
                    next: nonce,
                }
                .into());
            }
            self.pending
                .insert(exit.account, (balance - exit.amount, nonce + 1));
        }
        Ok(())
    }

    /// Checks a request against the segment as it will be once every
    /// queued exit is paid, and queues it (durably) if it passes. A bad
    /// signature is worded here too ([`UnverifiedSignature::explain`]):
    /// for callers that own the engine. A service sharing it behind a lock
    /// calls [`Engine::admit`] under the lock and words the refusal after.
    pub fn submit(&mut self, request: &ExitSubmission) -> Result<Receipt, SubmitError> {
        self.admit(request).map_err(|e| match e {
            SubmitError::BadSignature(unverified) => unverified.explain().into(),
            other => other,
        })
    }

    /// What [`Engine::submit`] does, at most one strict signature
    /// verification long: a signature that fails at the account's next
    /// nonce comes back unworded, as [`SubmitError::BadSignature`].
    ///
    /// A request accepted before, the same signed exit byte for byte, is
    /// answered with that exit's receipt ([`Receipt::repeat`]) whatever
    /// has happened since (its nonce used, its balance spent, the queue
    /// full, the relayer halted), and changes nothing: a client that did
    /// not hear back retries safely.
    pub fn admit(&mut self, request: &ExitSubmission) -> Result<Receipt, SubmitError> {
        let ExitSubmission {
            dst,
            asset,
            account,
            amount,
            ..
        } = *request;
        if let Some(receipt) = self.accepted_before(request, account)? {
            return Ok(receipt);
        }
        if let Some(reason) = self.halted() {
            return Err(IntakeRefusal::Halted(reason.to_owned()).into());
        }
        if self.queue.len() >= self.policy.max_queued {
            return Err(IntakeRefusal::QueueFull {
                queued: self.queue.len(),
            }
            .into());
        }
        if amount == 0 {
            return Err(IntakeRefusal::ZeroAmount.into());
        }
        if !self.tip.lanes().contains_key(&Lane { dst, asset }) {
            return Err(IntakeRefusal::LaneNotAllowed { dst, asset }.into());
        }
        let leaf = *self
            .tip
            .account(account)
            .ok_or(IntakeRefusal::UnknownAccount { account })?;
        if leaf.asset != asset {
            return Err(IntakeRefusal::WrongAsset {
                account,
                holds: leaf.asset,
                asked: asset,
            }
            .into());
        }
        // An exit the silo can never let out would block its lane (and its
        // account's other lanes) for good: refused at the door.
        let silo = self
            .tip
            .silo(asset)
            .copied()
            .ok_or(IntakeRefusal::LaneNotAllowed { dst, asset })?;
        if amount > silo.cap {
            return Err(IntakeRefusal::OverCap {
                asset,
                cap: silo.cap,
                amount,
            }
            .into());
        }
        let queued = self.queued_outflow.get(&asset).copied().unwrap_or(0);
        let collateral_left = silo.collateral.saturating_sub(queued);
        if amount > collateral_left {
            return Err(IntakeRefusal::OverCollateral {
                asset,
                available: collateral_left,
                amount,
            }
            .into());
        }
        let (available, nonce) = self
            .pending
            .get(&account)
            .copied()
            .unwrap_or((leaf.balance, leaf.nonce));
        if amount > available {
            return Err(IntakeRefusal::InsufficientBalance {
                account,
                available,
                amount,
            }
            .into());
        }
        let lane_id = hash::lane_id(Fp::from(self.segment()), Fp::from(dst), Fp::from(asset));
        let authorisation = ExitAuthorisation {
            stream_id: self.stream_id(),
            lane_id,
            owner: leaf.owner,
            account,
            nonce,
            recipient: request.recipient,
            amount,
        };
        // The next nonce only: probing others to word a failure would hold
        // every other request up behind a forger's (see `explain`).
        match check_exit_signature(&authorisation, &request.public_key, &request.signature) {
            Ok(()) => {}
            Err(ExitAuthorisationError::BadSignature) => {
                return Err(SubmitError::BadSignature(Box::new(UnverifiedSignature {
                    exit: authorisation,
                    public_key: request.public_key,
                    signature: request.signature,
                })))
            }
            Err(reason) => return Err(IntakeRefusal::Unauthorised { account, reason }.into()),
        }
        // An account's queued exits spend its nonces from the tip's on, one
        // each: how many it holds is how far its next nonce has run ahead.
        // Checked after the signature, so another request at a nonce the
        // account used is still named as such (a retry of a stored one
        // was answered before any check).
        let held = usize::try_from(nonce.saturating_sub(leaf.nonce)).unwrap_or(usize::MAX);
        if held >= self.policy.max_queued_per_account {
            return Err(IntakeRefusal::AccountShareFull {
                account,
                queued: held,
            }
            .into());
        }
        let mut exit = StoredExit {
            id: 0,
            received_ms: now_ms(),
            dst,
            asset,
            account,
            nonce,
            recipient: request.recipient,
            amount,
            public_key: request.public_key,
            signature: request.signature,
            batch: None,
        };
        exit.id = self
            .store
            .insert_exit(&exit)?
            .ok_or_else(|| NodeError::from(CorruptError::QueuedUnseen { account, nonce }))?;
        self.pending
            .insert(account, (available - amount, nonce + 1));
        *self.queued_outflow.entry(asset).or_default() = queued.saturating_add(amount);
        let id = exit.id;
        self.queue.push(exit);
        Ok(Receipt {
            id,
            nonce,
            stage: ExitStage::Queued,
            repeat: false,
        })
    }

    /// The receipt of `request` if the relayer accepted it before: an
    /// exit of `account` with the same signature and fields. No signature
    /// is verified: the stored one was, for exactly these fields, so the
    /// retry costs the lock one indexed read.
    fn accepted_before(
        &self,
        request: &ExitSubmission,
        account: u64,
    ) -> Result<Option<Receipt>, NodeError> {
        let Some(exit) = self.store.exit_signed(account, &request.signature)? else {
            return Ok(None);
        };
        let same = exit.dst == request.dst
            && exit.asset == request.asset
            && exit.amount == request.amount
            && exit.recipient == request.recipient
            && exit.public_key == request.public_key;
        if !same {
            return Ok(None);
        }
        Ok(Some(Receipt {
            id: exit.id,
            nonce: exit.nonce,
            stage: self.stage(&exit)?,
            repeat: true,
        }))
    }
}

/// Why a submission failed: refused (the client's problem, nothing
/// queued) or the store failed (ours).
#[derive(Debug, Error)]
pub enum SubmitError {
    /// Refused.
    #[error(transparent)]
    Refused(#[from] IntakeRefusal),
    /// Refused: the signature does not verify at the account's next
    /// nonce; [`UnverifiedSignature::explain`] words why.
    #[error("account {}: the signature does not verify at its next nonce {}", .0.account(), .0.next_nonce())]
    BadSignature(Box<UnverifiedSignature>),
    /// The store failed; nothing was queued.
    #[error(transparent)]
    Store(#[from] NodeError),
}
