//! Planning a run: every batch applied with the native model first (cheap),
//! with every exit's authorisation checked, so proving starts only for a
//! run that is known to be valid.

use bulkhead_protocol::authorise::{
    authorise_exit, ExitAuthorisation, SignedBatch, SignedExitRequest,
};
use bulkhead_protocol::bundle::SignedExit;
use bulkhead_protocol::hash::{self, Fp};
use bulkhead_protocol::model::{BatchOutcome, BatchRequest, SegmentState};
use bulkhead_protocol::CircuitShape;

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

/// Plans a run of signed batches: applies each with the native model (on a
/// copy of `state`) and checks every exit's authorisation — the key must
/// hash to the account's owner and sign the exit's lane, account, nonce,
/// recipient and amount, so one signature authorises one debit of one
/// account, however many accounts its key owns. All or nothing: on the
/// first refusal nothing is changed, nothing is proven.
pub fn plan_signed_run(
    state: &mut SegmentState,
    batches: &[SignedBatch],
    shape: &CircuitShape,
) -> Result<Vec<PlannedBatch>, ProverError> {
    plan_with(state, batches, shape, |batch, slot, exit, signed| {
        authorise_exit(exit, &signed.public_key, &signed.signature).map_err(|reason| {
            ProverError::Unauthorised {
                batch,
                slot,
                reason,
            }
        })
    })
}

/// Plans one batch of exits whose signatures were verified when they were
/// admitted ([`bulkhead_protocol::model::PendingExits`]), each at the nonce
/// `admitted[slot]`: the model applies the batch and every exit must land
/// on exactly the nonce its signature was verified at, so no signature is
/// verified twice (gates verify each again on the bundle). All or
/// nothing, as [`plan_signed_run`].
pub fn plan_admitted_batch(
    state: &mut SegmentState,
    batch: &SignedBatch,
    admitted: &[u64],
    shape: &CircuitShape,
) -> Result<PlannedBatch, ProverError> {
    let mut planned = plan_with(
        state,
        std::slice::from_ref(batch),
        shape,
        |_, slot, exit, _| match admitted.get(slot) {
            Some(nonce) if *nonce == exit.nonce => Ok(()),
            other => Err(ProverError::NonceMoved {
                slot,
                admitted: other.copied(),
                planned: exit.nonce,
            }),
        },
    )?;
    planned.pop().ok_or(ProverError::EmptyRun)
}

/// Applies `batches` with the model on a copy of `state`, asks `authorised`
/// about every exit (batch index, slot, what its signature must say, the
/// signed request), and commits the copy only if every batch and exit
/// passes.
fn plan_with(
    state: &mut SegmentState,
    batches: &[SignedBatch],
    shape: &CircuitShape,
    authorised: impl Fn(usize, usize, &ExitAuthorisation, &SignedExitRequest) -> Result<(), ProverError>,
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
                    let exit = ExitAuthorisation {
                        stream_id: batch.stream_id,
                        lane_id,
                        owner: record.owner,
                        account: record.account,
                        nonce: record.nonce,
                        recipient: record.recipient,
                        amount: record.amount,
                    };
                    authorised(b, slot, &exit, signed)?;
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
