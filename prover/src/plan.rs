//! Planning a run: every batch applied with the native model first (cheap),
//! with every exit's authorisation checked, so proving starts only for a
//! run that is known to be valid.

use bulkhead_protocol::bundle::SignedExit;
use bulkhead_protocol::hash::{self, owner_of_key, Fp};
use bulkhead_protocol::messages::exit_message;
use bulkhead_protocol::model::{BatchOutcome, BatchRequest, ExitRequest, SegmentState};
use bulkhead_protocol::CircuitShape;
use ed25519_dalek::{Signature, VerifyingKey};

use crate::ProverError;

/// Applies `requests` one after another to `state` with the native model,
/// returning every batch's public inputs and witness. All-or-nothing: on the
/// first refused batch, `state` is left as it was before the run.
pub fn plan_run(
    state: &mut SegmentState,
    requests: &[BatchRequest],
    shape: &CircuitShape,
) -> Result<Vec<BatchOutcome>, ProverError> {
    let mut scratch = state.clone();
    let outcomes = requests
        .iter()
        .enumerate()
        .map(|(index, request)| {
            scratch
                .apply_exits(request, shape)
                .map_err(|source| ProverError::Batch { index, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    *state = scratch;
    Ok(outcomes)
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

/// A batch applied by the model, with its authorised plaintext exits.
#[derive(Clone, Debug)]
pub struct PlannedBatch {
    /// Public inputs, witness and exit records.
    pub outcome: BatchOutcome,
    /// The stream the exits are signed for.
    pub stream_id: u64,
    /// The exits as they go into the bundle.
    pub exits: Vec<SignedExit>,
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
    let key = VerifyingKey::from_bytes(public_key).map_err(|_| ExitAuthorisationError::NotAKey)?;
    let signature = Signature::from_bytes(signature);
    let exit = *exit;
    Ok(move |nonce: u64| {
        let message = exit_message(
            exit.stream_id,
            &exit.lane_id,
            exit.account,
            nonce,
            &exit.recipient,
            exit.amount,
        );
        key.verify_strict(&message, &signature).is_ok()
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
    let signs = exit_signer(exit, public_key, signature)?;
    if signs(exit.nonce) {
        Ok(())
    } else {
        Err(signature_failure(exit.nonce, signs))
    }
}

/// The cheap half of [`authorise_exit`]: the same checks, with at most
/// one strict verification (at `exit.nonce`). A signature that fails is
/// [`ExitAuthorisationError::BadSignature`] without trying nearby nonces;
/// [`explain_exit_signature`] says why, at up to `2 x 64` more
/// verifications, for a caller that can afford them where it does not
/// hold up others (a service answers under a lock with this one).
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

/// Plans a run of signed batches: applies each with the native model (on a
/// copy of `state`) and checks every exit's authorisation — the key must
/// hash to the account's owner and sign the exit's lane, account, nonce,
/// recipient and amount, so one signature authorises one debit of one
/// account, however many accounts its key owns. All or nothing: on the first refusal nothing is changed,
/// nothing is proven.
pub fn plan_signed_run(
    state: &mut SegmentState,
    batches: &[SignedBatch],
    shape: &CircuitShape,
) -> Result<Vec<PlannedBatch>, ProverError> {
    let requests: Vec<BatchRequest> = batches.iter().map(SignedBatch::request).collect();
    let mut scratch = state.clone();
    let outcomes = plan_run(&mut scratch, &requests, shape)?;
    let planned = outcomes
        .into_iter()
        .zip(batches)
        .enumerate()
        .map(|(b, (outcome, batch))| {
            let lane_id = hash::lane_id(
                Fp::from(state.id()),
                Fp::from(batch.dst),
                Fp::from(batch.asset),
            );
            let exits = outcome
                .exits
                .iter()
                .zip(&batch.exits)
                .enumerate()
                .map(|(slot, (record, signed))| {
                    let refuse = |reason: ExitAuthorisationError| ProverError::Unauthorised {
                        batch: b,
                        slot,
                        reason,
                    };
                    authorise_exit(
                        &ExitAuthorisation {
                            stream_id: batch.stream_id,
                            lane_id,
                            owner: record.owner,
                            account: record.account,
                            nonce: record.nonce,
                            recipient: record.recipient,
                            amount: record.amount,
                        },
                        &signed.public_key,
                        &signed.signature,
                    )
                    .map_err(refuse)?;
                    Ok::<_, ProverError>(SignedExit::for_record(
                        record,
                        signed.public_key,
                        signed.signature,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(PlannedBatch {
                outcome,
                stream_id: batch.stream_id,
                exits,
            })
        })
        .collect::<Result<Vec<_>, ProverError>>()?;
    *state = scratch;
    Ok(planned)
}
