//! Sample segments owned by seeded keys, and batches signed by those
//! owners, as a relayer receives them.

use bulkhead_protocol::hash::{self, Fp};
use bulkhead_protocol::model::{BatchRequest, SegmentState};
use bulkhead_protocol::{CircuitShape, Error};
use bulkhead_prover::{SignedBatch, SignedExitRequest};

use crate::keys::{public_key, secret, sign_exit};
use crate::sample;

/// The sample segment `id`, account `i` owned by `secret(seed, "account",
/// id, i)`.
pub fn segment(seed: u64, id: u64, shape: &CircuitShape) -> Result<SegmentState, Error> {
    let owners: Vec<[u8; 32]> = (0..sample::ACCOUNTS)
        .map(|i| public_key(&secret(seed, "account", id, i)))
        .collect();
    sample::segment_with_owners(id, shape, &owners)
}

/// Signs `request` from `segment` as the account owners would, with the
/// nonces the accounts will have, found by applying the request to a copy
/// of `state`.
///
/// # Panics
/// If the model refuses `request` on that copy: callers sign only batches
/// they have checked, or forge on a copy whose limits they raised.
pub fn sign_batch(
    seed: u64,
    shape: &CircuitShape,
    segment: u64,
    state: &SegmentState,
    request: &BatchRequest,
) -> SignedBatch {
    let mut scratch = state.clone();
    let outcome = scratch
        .apply_exits(request, shape)
        .expect("a signed batch is valid on the signer's copy");
    let lane_id = hash::lane_id(
        Fp::from(segment),
        Fp::from(request.dst),
        Fp::from(request.asset),
    );
    let exits = request
        .exits
        .iter()
        .zip(&outcome.exits)
        .map(|(exit, record)| {
            let secret = secret(seed, "account", segment, exit.account);
            SignedExitRequest {
                request: *exit,
                public_key: public_key(&secret),
                signature: sign_exit(
                    &secret,
                    &lane_id,
                    record.account,
                    record.nonce,
                    &record.recipient,
                    record.amount,
                ),
            }
        })
        .collect();
    SignedBatch {
        stream_id: crate::gate::STREAM_ID,
        dst: request.dst,
        asset: request.asset,
        epoch: request.epoch,
        exits,
    }
}

/// Signs a run of requests from `segment`, each against the state the
/// previous ones leave (so nonces follow on).
///
/// # Panics
/// As [`sign_batch`], if the model refuses a request.
pub fn sign_run(
    seed: u64,
    shape: &CircuitShape,
    segment: u64,
    state: &SegmentState,
    requests: &[BatchRequest],
) -> Vec<SignedBatch> {
    let mut scratch = state.clone();
    requests
        .iter()
        .map(|request| {
            let signed = sign_batch(seed, shape, segment, &scratch, request);
            scratch
                .apply_exits(request, shape)
                .expect("checked by sign_batch");
            signed
        })
        .collect()
}

/// One exit request as a client posts it to `relay serve` (integers as
/// decimal strings), signed by the owner of `account` of segment `src`
/// for nonce `nonce`.
#[allow(clippy::too_many_arguments)]
pub fn exit_request_json(
    seed: u64,
    src: u64,
    dst: u64,
    asset: u64,
    account: u64,
    nonce: u64,
    recipient: Fp,
    amount: u64,
) -> serde_json::Value {
    let secret = secret(seed, "account", src, account);
    let lane_id = hash::lane_id(Fp::from(src), Fp::from(dst), Fp::from(asset));
    serde_json::json!({
        "dst": dst.to_string(),
        "asset": asset.to_string(),
        "account": account.to_string(),
        "recipient": bulkhead_protocol::hex::fp_to_hex(&recipient),
        "amount": amount.to_string(),
        "public_key": bulkhead_protocol::hex::encode(public_key(&secret)),
        "signature": bulkhead_protocol::hex::encode(
            sign_exit(&secret, &lane_id, account, nonce, &recipient, amount)
        ),
    })
}
