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
    /// Signature over the exit message (lane, account, nonce, recipient,
    /// amount).
    pub signature: [u8; 64],
}

/// A batch of signed exits on one lane in one epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedBatch {
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
    /// The exits as they go into the bundle.
    pub exits: Vec<SignedExit>,
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
                    let refuse = |reason| ProverError::Unauthorised {
                        batch: b,
                        slot,
                        reason,
                    };
                    if owner_of_key(&signed.public_key) != record.owner {
                        return Err(refuse("the key does not own the account"));
                    }
                    let key = VerifyingKey::from_bytes(&signed.public_key)
                        .map_err(|_| refuse("not an Ed25519 public key"))?;
                    let message = exit_message(
                        &lane_id,
                        record.account,
                        record.nonce,
                        &record.recipient,
                        record.amount,
                    );
                    key.verify_strict(&message, &Signature::from_bytes(&signed.signature))
                        .map_err(|_| refuse("the signature does not verify"))?;
                    Ok(SignedExit::for_record(
                        record,
                        signed.public_key,
                        signed.signature,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(PlannedBatch { outcome, exits })
        })
        .collect::<Result<Vec<_>, ProverError>>()?;
    *state = scratch;
    Ok(planned)
}
