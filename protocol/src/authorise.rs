//! Who may move value out of an account: the exit an owner signs, and the
//! one strict Ed25519 check every signature in Bulkhead goes through.
//!
//! A relayer checks an exit's authorisation at its door, the prover when
//! it plans a run from signed requests, and every gate again on the
//! bundle (`bulkhead_verifier::signatures`); all of them call
//! [`verify_strict`], so a signature one accepts, all accept.
//!
//! Strict means `ed25519_dalek::VerifyingKey::verify_strict`: canonical
//! `s` and `R`, neither `R` nor the key of small order, the cofactorless
//! equation. There is no batch path (see `bulkhead_verifier::signatures`
//! for why a batch check would accept more).

use ed25519_dalek::{Signature, VerifyingKey};

use crate::hash::{owner_of_key, Fp};
use crate::messages::exit_message;
use crate::model::{BatchRequest, ExitRequest};

/// Verifies one signature strictly: the one signature check of the
/// workspace.
pub fn verify_strict(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    VerifyingKey::from_bytes(public_key).is_ok_and(|key| {
        key.verify_strict(message, &Signature::from_bytes(signature))
            .is_ok()
    })
}

/// Whether `public_key` can ever verify a signature strictly: it decodes
/// to a curve point, and not one of small order (which [`verify_strict`]
/// refuses). A key that fails this signs nothing, so a threshold counting
/// it may be silently unreachable.
pub fn key_usable(public_key: &[u8; 32]) -> bool {
    VerifyingKey::from_bytes(public_key).is_ok_and(|key| !key.is_weak())
}

/// An exit request signed by the account's owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedExitRequest {
    /// The request.
    pub request: ExitRequest,
    /// The owner's Ed25519 public key.
    pub public_key: [u8; 32],
    /// Signature over the exit message (stream, lane, account, nonce,
    /// recipient, amount).
    pub signature: [u8; 64],
}

/// A batch of signed exits on one lane in one epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedBatch {
    /// The stream the exits are signed for.
    pub stream_id: u64,
    /// Destination segment.
    pub dst: u64,
    /// Asset.
    pub asset: u64,
    /// Epoch.
    pub epoch: u64,
    /// Signed exits in slot order.
    pub exits: Vec<SignedExitRequest>,
}

impl SignedBatch {
    /// The unsigned request the native model applies.
    pub fn request(&self) -> BatchRequest {
        BatchRequest {
            dst: self.dst,
            asset: self.asset,
            epoch: self.epoch,
            exits: self.exits.iter().map(|e| e.request).collect(),
        }
    }
}

/// Why an exit's key or signature does not authorise it, in words an
/// account owner can act on: a reused or skipped nonce is named.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExitAuthorisationError {
    /// The key does not hash to the account's owner.
    #[error("the key does not own the account")]
    NotOwner,
    /// The public key bytes are not an Ed25519 point.
    #[error("not an Ed25519 public key")]
    NotAKey,
    /// The signature is for a nonce the account already used: a replayed
    /// or duplicated request.
    #[error(
        "the signature is for nonce {signed}, which this account has already used \
         (its next nonce is {next}): a replayed or duplicated request"
    )]
    NonceUsed {
        /// The nonce signed.
        signed: u64,
        /// The account's next nonce.
        next: u64,
    },
    /// The signature is for a later nonce: requests before it are missing.
    #[error(
        "the signature is for nonce {signed}, but this account's next nonce is {next}: {}",
        missing_nonces(*next, *signed)
    )]
    NonceAhead {
        /// The nonce signed.
        signed: u64,
        /// The account's next nonce.
        next: u64,
    },
    /// The signature verifies for no nearby nonce.
    #[error(
        "the signature does not verify (not for this lane, account, recipient and amount \
         at any nearby nonce)"
    )]
    BadSignature,
}

fn missing_nonces(next: u64, signed: u64) -> String {
    if signed - 1 == next {
        format!("the request for nonce {next} is missing")
    } else {
        format!(
            "the requests for nonces {next} to {} are missing",
            signed - 1
        )
    }
}

/// How far either side of the expected nonce a failed signature is
/// tried, to tell the owner why it failed.
const NONCE_PROBE: u64 = 64;

/// Why a signature that does not verify for the account's next nonce
/// `next` fails: it may verify for a nonce the account already used or for
/// a later one.
fn signature_failure(next: u64, signs: impl Fn(u64) -> bool) -> ExitAuthorisationError {
    let used = (next.saturating_sub(NONCE_PROBE)..next)
        .rev()
        .find(|n| signs(*n));
    if let Some(signed) = used {
        return ExitAuthorisationError::NonceUsed { signed, next };
    }
    match (next + 1..=next.saturating_add(NONCE_PROBE)).find(|n| signs(*n)) {
        Some(signed) => ExitAuthorisationError::NonceAhead { signed, next },
        None => ExitAuthorisationError::BadSignature,
    }
}

/// What one exit's signature must authorise: one debit of one account on
/// one lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitAuthorisation {
    /// The stream the exit is for.
    pub stream_id: u64,
    /// The lane's id, H(src, dst, asset).
    pub lane_id: Fp,
    /// The account's owner field (the hash of its holder's key).
    pub owner: Fp,
    /// The account's index.
    pub account: u64,
    /// The account's nonce this exit uses.
    pub nonce: u64,
    /// The recipient.
    pub recipient: Fp,
    /// The amount.
    pub amount: u64,
}

/// The key of `public_key` if it owns the account, and a test of whether
/// `signature` signs this exit at a given nonce (one strict verification
/// per call).
fn exit_signer(
    exit: &ExitAuthorisation,
    public_key: &[u8; 32],
    signature: &[u8; 64],
) -> Result<impl Fn(u64) -> bool, ExitAuthorisationError> {
    if owner_of_key(public_key) != exit.owner {
        return Err(ExitAuthorisationError::NotOwner);
    }
    VerifyingKey::from_bytes(public_key).map_err(|_| ExitAuthorisationError::NotAKey)?;
    let (exit, public_key, signature) = (*exit, *public_key, *signature);
    Ok(move |nonce: u64| {
        let message = exit_message(
            exit.stream_id,
            &exit.lane_id,
            exit.account,
            nonce,
            &exit.recipient,
            exit.amount,
        );
        verify_strict(&public_key, &message, &signature)
    })
}

/// Checks that `public_key` owns the account and that `signature` signs
/// exactly this exit, strictly. On failure, why, in words an account owner
/// can act on: a reused or skipped nonce is named as such.
pub fn authorise_exit(
    exit: &ExitAuthorisation,
    public_key: &[u8; 32],
    signature: &[u8; 64],
) -> Result<(), ExitAuthorisationError> {
    match check_exit_signature(exit, public_key, signature) {
        // Failed at its nonce: say which nonce it is for, if a nearby one.
        Err(ExitAuthorisationError::BadSignature) => Err(signature_failure(
            exit.nonce,
            exit_signer(exit, public_key, signature)?,
        )),
        checked => checked,
    }
}

/// The cheap half of [`authorise_exit`]: the same checks, with at most
/// one strict verification (at `exit.nonce`). A signature that fails is
/// [`ExitAuthorisationError::BadSignature`] without trying nearby nonces;
/// [`explain_exit_signature`] says why, at up to `2 x 64` more
/// verifications, for a caller that can afford them where it does not
/// hold up others (the relayer's engine thread answers with this one).
pub fn check_exit_signature(
    exit: &ExitAuthorisation,
    public_key: &[u8; 32],
    signature: &[u8; 64],
) -> Result<(), ExitAuthorisationError> {
    let signs = exit_signer(exit, public_key, signature)?;
    if signs(exit.nonce) {
        Ok(())
    } else {
        Err(ExitAuthorisationError::BadSignature)
    }
}

/// Why [`check_exit_signature`] refused: what [`authorise_exit`] would
/// have said (a used or skipped nonce named), or `None` if the signature
/// does authorise the exit after all.
pub fn explain_exit_signature(
    exit: &ExitAuthorisation,
    public_key: &[u8; 32],
    signature: &[u8; 64],
) -> Option<ExitAuthorisationError> {
    authorise_exit(exit, public_key, signature).err()
}
