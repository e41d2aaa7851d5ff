//! Requests at the door: what a client submits, why it may be refused,
//! and the check against the segment as it will be once every queued
//! exit is paid.

use bulkhead_protocol::authorise::{
    check_exit_signature, explain_exit_signature, ExitAuthorisation, ExitAuthorisationError,
};
use bulkhead_protocol::model::{DebitRefusal, ExitIntent, PendingExits, PendingRefusal};
use thiserror::Error;

use super::{Engine, ExitStage, HaltReason};
use crate::error::{CorruptError, NodeError};
use crate::relay::request::ExitSubmission;
use crate::relay::store::{now_ms, StoredExit};

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
    /// The account's nonce is at its end: it can never exit again.
    #[error("account {account} has exhausted its nonce")]
    NonceExhausted {
        /// The index.
        account: u64,
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
    Halted(HaltReason),
}

impl IntakeRefusal {
    /// The door's words for the overlay's refusal of `intent`.
    fn from_pending(refusal: PendingRefusal, intent: ExitIntent) -> Self {
        let amount = intent.amount;
        match refusal {
            PendingRefusal::LaneNotAllowed { dst, asset } => {
                IntakeRefusal::LaneNotAllowed { dst, asset }
            }
            PendingRefusal::UnknownAccount { account } => IntakeRefusal::UnknownAccount { account },
            PendingRefusal::Debit { account, refusal } => match refusal {
                DebitRefusal::ZeroAmount => IntakeRefusal::ZeroAmount,
                DebitRefusal::WrongAsset { holds } => IntakeRefusal::WrongAsset {
                    account,
                    holds,
                    asked: intent.lane.asset,
                },
                DebitRefusal::Insufficient { balance } => IntakeRefusal::InsufficientBalance {
                    account,
                    available: balance,
                    amount,
                },
                DebitRefusal::NonceExhausted => IntakeRefusal::NonceExhausted { account },
            },
            PendingRefusal::OverCap { asset, cap } => IntakeRefusal::OverCap { asset, cap, amount },
            PendingRefusal::OverCollateral { asset, available } => IntakeRefusal::OverCollateral {
                asset,
                available,
                amount,
            },
        }
    }
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
            IntakeRefusal::NonceExhausted { .. } => "nonce_exhausted",
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
    /// The overlay of the queue on the planned state, rebuilt from both:
    /// every queued exit admitted again, in order, at its own nonce.
    pub(super) fn recompute_pending(&mut self) -> Result<(), NodeError> {
        self.pending = PendingExits::rebuild(
            &self.tip,
            self.queue.iter().map(|e| (e.request.intent(), e.nonce)),
        )
        .map_err(CorruptError::QueueStale)?;
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
        let account = request.account;
        if let Some(receipt) = self.accepted_before(request)? {
            return Ok(receipt);
        }
        if let Some(reason) = self.halted() {
            return Err(IntakeRefusal::Halted(reason.clone()).into());
        }
        if self.queue.len() >= self.policy.max_queued {
            return Err(IntakeRefusal::QueueFull {
                queued: self.queue.len(),
            }
            .into());
        }
        // Every rule of the model that can be settled before the epoch is
        // known, asked of the model's own overlay.
        let intent = request.intent();
        let admission = self
            .pending
            .admit(&self.tip, intent)
            .map_err(|refusal| IntakeRefusal::from_pending(refusal, intent))?;
        let nonce = admission.before.nonce;
        let authorisation =
            request.authorisation(self.stream_id(), self.segment(), &admission.before, nonce);
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
        let held = usize::try_from(admission.queued_before).unwrap_or(usize::MAX);
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
            nonce,
            request: request.clone(),
            batch: None,
        };
        exit.id = self
            .store
            .insert_exit(&exit)?
            .ok_or_else(|| NodeError::from(CorruptError::QueuedUnseen { account, nonce }))?;
        self.pending.push(&admission);
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
    fn accepted_before(&self, request: &ExitSubmission) -> Result<Option<Receipt>, NodeError> {
        let Some(exit) = self
            .store
            .exit_signed(request.account, &request.signature)?
        else {
            return Ok(None);
        };
        if exit.request != *request {
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
