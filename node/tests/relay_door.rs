//! The relayer's door stays cheap and fair (review, issue 19, item 8): a
//! bad signature costs the engine's lock one strict verification, its
//! refusal worded afterwards, away from the lock; and each account gets a
//! share of the queue, so one that keeps sending cannot keep others out.

mod common;

use std::path::Path;
use std::time::Duration;

use bulkhead_node::http::HttpLimits;
use bulkhead_node::relay;
use bulkhead_node::relay::actor::EngineHandle;
use bulkhead_node::relay::api::RelayApi;
use bulkhead_node::relay::engine::{
    BatchPolicy, Engine, ExitSubmission, IntakeRefusal, SubmitError,
};
use bulkhead_node::relay::store::now_ms;
use bulkhead_protocol::hash::Fp;
use bulkhead_prover::ExitAuthorisationError;
use bulkhead_testkit::chain::SEED;
use bulkhead_testkit::http;
use bulkhead_testkit::sample::ASSET;
use bulkhead_testkit::signed::exit_request_json;
use common::{until, view, Server};

const SRC: u64 = 1;

fn engine(dir: &Path, share: usize) -> Engine {
    let policy = BatchPolicy {
        deadline: Duration::from_secs(60),
        max_queued: 100,
        max_queued_per_account: share,
    };
    common::relay_engine(dir, policy)
}

/// Account `account`'s (of asset 1) exit of 10 to segment 2 at `nonce`.
fn exit(account: u64, nonce: u64) -> ExitSubmission {
    exit_of(account, nonce, 10)
}

/// The same, of `amount`.
fn exit_of(account: u64, nonce: u64, amount: u64) -> ExitSubmission {
    let json = exit_request_json(SEED, SRC, 2, ASSET, account, nonce, Fp::from(900), amount);
    serde_json::from_value(json).unwrap()
}

/// What `admit` (the part under the lock) makes of `request`: it must be
/// a signature left unworded, tried at `next` only.
fn unworded(engine: &mut Engine, request: &ExitSubmission, next: u64) -> IntakeRefusal {
    match engine.admit(request) {
        Err(SubmitError::BadSignature(unverified)) => {
            assert_eq!((unverified.account(), unverified.next_nonce()), (0, next));
            unverified.explain()
        }
        other => panic!("expected an unworded bad signature, got {other:?}"),
    }
}

#[test]
fn a_bad_signature_is_tried_at_the_next_nonce_only_and_worded_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = engine(dir.path(), 100);
    engine.admit(&exit(0, 0)).unwrap();
    // Another exit at a used nonce, a request ahead of its turn, and a
    // forgery. Under the lock none of them is told apart: that needs the
    // nonces around the next one tried, which the engine leaves to
    // `explain`, without its lock. (The same exit again is a retry,
    // answered with its receipt without any verification.)
    let mut forged = exit(0, 1);
    forged.signature[0] ^= 1;
    let cases = [
        (
            exit_of(0, 0, 11),
            ExitAuthorisationError::NonceUsed { signed: 0, next: 1 },
        ),
        (
            exit(0, 3),
            ExitAuthorisationError::NonceAhead { signed: 3, next: 1 },
        ),
        (forged, ExitAuthorisationError::BadSignature),
    ];
    for (request, reason) in cases {
        let worded = unworded(&mut engine, &request, 1);
        assert_eq!(worded, IntakeRefusal::Unauthorised { account: 0, reason });
    }
    // Nothing was queued by the refusals; the owner's next request gets in.
    assert_eq!(engine.queued(), 1);
    assert_eq!(engine.admit(&exit(0, 1)).unwrap().nonce, 1);
    // A key that does not own the account needs no verification at all:
    // refused, worded, at once.
    let mut stolen = exit(0, 2);
    stolen.public_key = exit(2, 0).public_key;
    match engine.admit(&stolen) {
        Err(SubmitError::Refused(IntakeRefusal::Unauthorised { account: 0, reason })) => {
            assert_eq!(reason, ExitAuthorisationError::NotOwner)
        }
        other => panic!("expected not-owner, got {other:?}"),
    }
}

#[test]
fn an_account_past_its_share_is_refused_and_others_still_get_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = engine(dir.path(), 3);
    for nonce in 0..3 {
        engine.submit(&exit(0, nonce)).unwrap();
    }
    // It keeps sending: refused each time, by name, whatever it signs.
    for _ in 0..5 {
        let refused = match engine.submit(&exit(0, 3)) {
            Err(SubmitError::Refused(r)) => r,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(
            refused,
            IntakeRefusal::AccountShareFull {
                account: 0,
                queued: 3
            }
        );
        assert_eq!(refused.label(), "account_share_full");
    }
    // The queue (100) is far from full: another account gets in.
    assert_eq!(engine.submit(&exit(2, 0)).unwrap().nonce, 0);
    assert_eq!(engine.queued(), 4);
    // Once its exits go into batches, the account's share frees.
    assert!(engine.form_batches(&view(), now_ms()).unwrap() > 0);
    assert_eq!(engine.submit(&exit(0, 3)).unwrap().nonce, 3);
}

#[test]
fn over_http_a_share_is_429_and_a_replay_is_worded() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path(), 1);
    let api = RelayApi::new(EngineHandle::start(engine, view()).unwrap().0, None);
    let server = Server::start(|listener, stopped| {
        relay::serve_api(listener, api, HttpLimits::default(), until(stopped))
    });
    let addr = server.addr;
    let post = |account: u64, nonce: u64, amount: u64| {
        let body = exit_request_json(SEED, SRC, 2, ASSET, account, nonce, Fp::from(900), amount);
        let body = serde_json::to_vec(&body).unwrap();
        http::post(addr, "/v1/exits", "application/json", "", &body)
    };
    assert_eq!(post(0, 0, 10).status, 202);
    // Another exit at the same nonce: worded (outside the lock) as a
    // replay.
    let replay = post(0, 0, 11);
    assert_eq!(replay.status, 422, "{}", replay.text());
    assert_eq!(replay.json()["error"], "nonce_used");
    assert!(replay.text().contains("already used"), "{}", replay.text());
    // Its next request is past its share of one.
    let over = post(0, 1, 10);
    assert_eq!(over.status, 429, "{}", over.text());
    assert_eq!(over.json()["error"], "account_share_full");
    assert_eq!(over.header("retry-after"), Some("1"));
    assert_eq!(post(2, 0, 10).status, 202);
    drop(server);
}
