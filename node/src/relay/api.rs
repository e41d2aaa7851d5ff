//! The relayer's HTTP API: exit requests in, where each exit is, the
//! relayer's status and its metrics.

use std::sync::Arc;

use tokio::sync::Semaphore;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;

use super::actor::EngineHandle;
use super::engine::{
    ExitSubmission, ImportError, ImportRefusal, ImportSubmission, IntakeRefusal, RebaseError,
    RebaseRefusal, StateFeed, SubmitError, UnverifiedSignature,
};
use super::metrics::Gauges;
use crate::http::routes::{self, Route};
use crate::http::{Accepts, ApiError, WriteGuard};

/// The largest exit request: a few hundred bytes of JSON, with room.
pub const MAX_REQUEST: usize = 16 * 1024;
/// The largest state feed: a whole snapshot of a segment of a few hundred
/// thousand accounts.
pub const MAX_STATE: usize = 64 * 1024 * 1024;
/// Refusals of bad signatures worded at once. Wording one tries up to 128
/// nonces; a flood of forgeries waits here for its words (each on its own
/// connection, under the connection cap) and takes at most this many
/// cores, while the engine and every other request go on.
pub const WORDING: usize = 1;

/// What every handler shares.
#[derive(Clone)]
pub struct RelayApi {
    /// The engine's thread, its reader and its counters.
    pub engine: EngineHandle,
    /// The bearer token write requests must carry, if any.
    pub token: Option<Arc<str>>,
    /// Permits to word a bad signature's refusal ([`WORDING`]).
    pub wording: Arc<Semaphore>,
}

impl RelayApi {
    /// The API over the engine behind `engine`.
    pub fn new(engine: EngineHandle, token: Option<Arc<str>>) -> Self {
        Self {
            engine,
            token,
            wording: Arc::new(Semaphore::new(WORDING)),
        }
    }

    /// Words a bad signature's refusal, away from the engine's lock.
    async fn word(&self, unverified: Box<UnverifiedSignature>) -> IntakeRefusal {
        let account = unverified.account();
        // Never closed; a wording without a permit would only cost more.
        let _permit = self.wording.acquire().await;
        tokio::task::spawn_blocking(move || unverified.explain())
            .await
            .unwrap_or(IntakeRefusal::Unauthorised {
                account,
                reason: bulkhead_prover::ExitAuthorisationError::BadSignature,
            })
    }
}

/// The router: `POST /v1/exits` behind the token, JSON only, and
/// [`MAX_REQUEST`] (checked against Content-Length before a byte is
/// read).
pub fn router(api: RelayApi) -> Router {
    let guard = json_guard(
        api.token.clone(),
        MAX_REQUEST,
        "send the exit request as application/json",
    );
    routes::router(guarded_routes(api.token.clone()), &guard).with_state(api)
}

/// A write guard for JSON bodies of at most `max_body` bytes behind
/// `token`.
fn json_guard(token: Option<Arc<str>>, max_body: usize, hint: &'static str) -> WriteGuard {
    WriteGuard {
        token,
        closed: None,
        accepts: Accepts {
            types: &["application/json"],
            untyped: false,
            hint,
        },
        max_body,
        // Load is shed by the engine's own queue limits (503, 429).
        shed: None,
    }
}

/// The relayer's OpenAPI 3 description, served at `GET /v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../../openapi/relay.json");

/// Every route of the relayer's API, the one list its router is built
/// from (and its OpenAPI description is checked against).
pub fn routes() -> Vec<Route<RelayApi>> {
    guarded_routes(None)
}

/// [`routes`], the state feed behind its own guard (a larger body, the
/// same token).
fn guarded_routes(token: Option<Arc<str>>) -> Vec<Route<RelayApi>> {
    let state = json_guard(token, MAX_STATE, "send the state feed as application/json");
    vec![
        Route::post("/v1/exits", submit),
        Route::post_guarded("/v1/state", feed_state, state.clone()),
        Route::post_guarded("/v1/imports", take_import, state),
        Route::get("/v1/imports/{id}", import),
        Route::get("/v1/exits", find),
        Route::get("/v1/exits/{id}", exit),
        Route::get("/v1/status", status),
        Route::get("/metrics", metrics),
        Route::openapi(OPENAPI),
    ]
}

/// An error answer in the services' one shape ([`ApiError`]).
fn error(status: StatusCode, code: &'static str, message: impl std::fmt::Display) -> Response {
    ApiError::new(status, code, message).into_response()
}

/// `POST /v1/exits`: one signed exit request (JSON). 202 queued, with its
/// id, nonce and status; 200 the same when the request was accepted before
/// (a retry: nothing changes, the status says where the exit is now); 422
/// refused (nothing queued), with a code for the cause (`nonce_used`,
/// `nonce_skipped`, `bad_signature`, `not_owner`, ...: see
/// [`IntakeRefusal::label`]) and the reason; 400 not a request; 401 no or
/// another token (`unauthorised`); 408 body too slow; 413 too large; 415
/// not JSON; 429 the account holds its share of the queue; 503 queue full
/// or relayer halted. The token, the media type and a declared length
/// past the limit are answered by the route's layers
/// ([`crate::http::guard`]) before this runs.
async fn submit(State(api): State<RelayApi>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match read_body(body, "exit request", MAX_REQUEST) {
        Ok(body) => body,
        Err(answer) => return answer.into_response(),
    };
    let request = match ExitSubmission::from_json(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, "malformed", e),
    };
    // The engine's thread spends at most one signature verification on
    // it; a failed signature is worded here, off that thread.
    let outcome = match api.engine.submit(request).await {
        Err(SubmitError::BadSignature(unverified)) => {
            Err(SubmitError::Refused(api.word(unverified).await))
        }
        other => other,
    };
    let metrics = api.engine.metrics();
    match outcome {
        Ok(receipt) => {
            // A retry is answered, not counted again as accepted.
            let status = if receipt.repeat {
                StatusCode::OK
            } else {
                metrics.request(true);
                StatusCode::ACCEPTED
            };
            (
                status,
                Json(json!({
                    "id": receipt.id.to_string(),
                    "nonce": receipt.nonce.to_string(),
                    "status": receipt.stage.as_str(),
                })),
            )
                .into_response()
        }
        Err(SubmitError::Refused(refusal)) => {
            metrics.request(false);
            let status = match refusal {
                IntakeRefusal::QueueFull { .. } | IntakeRefusal::Halted(_) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                IntakeRefusal::AccountShareFull { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let refused = ApiError::new(status, refusal.label(), &refusal);
            if status == StatusCode::UNPROCESSABLE_ENTITY {
                refused.into_response()
            } else {
                refused.retry_after().into_response()
            }
        }
        // Worded above; never reaches here.
        Err(e @ SubmitError::BadSignature(_)) => {
            metrics.request(false);
            error(StatusCode::UNPROCESSABLE_ENTITY, "bad_signature", e)
        }
        Err(SubmitError::Store(e)) => {
            tracing::error!(error = %e, "exit request not stored");
            error(StatusCode::INTERNAL_SERVER_ERROR, "store", e)
        }
    }
}

/// A write's body, or the answer to a body that did not come: past the
/// limit (413, named with it, `what` the largest) or malformed. A body that
/// came too slowly is answered 408 by the deadline layer whatever is said
/// here.
fn read_body(
    body: Result<Bytes, BytesRejection>,
    what: &str,
    limit: usize,
) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("larger than the largest {what} ({limit} bytes)"),
            )
        } else {
            ApiError::new(rejection.status(), "malformed", rejection.body_text())
        }
    })
}

/// `POST /v1/state`: the segment's state as its own execution left it (a
/// whole snapshot, or changed leaves on the confirmed state). 200 rebased:
/// how many batches were superseded, how many exits stay queued, and each
/// exit refused with its reason; 409 published batches not judged yet
/// (`in_flight`); 422 refused, nothing changed (`not_attested`,
/// `other_boundary`, `other_segment`, `bad_state`); 400 not a feed.
async fn feed_state(State(api): State<RelayApi>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match read_body(body, "state feed", MAX_STATE) {
        Ok(body) => body,
        Err(answer) => return answer.into_response(),
    };
    let feed: StateFeed = match serde_json::from_slice(&body) {
        Ok(feed) => feed,
        Err(e) => return error(StatusCode::BAD_REQUEST, "malformed", e),
    };
    match api.engine.feed_state(feed).await {
        Ok(done) => Json(json!({
            "superseded": done.superseded.to_string(),
            "queued": done.queued.to_string(),
            "refused": done
                .refused
                .iter()
                .map(|(id, reason)| json!({ "id": id.to_string(), "reason": reason }))
                .collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(RebaseError::Refused(refusal)) => {
            let (status, code) = match &refusal {
                RebaseRefusal::InFlight { .. } => (StatusCode::CONFLICT, "in_flight"),
                RebaseRefusal::NotBehind => (StatusCode::CONFLICT, "not_behind"),
                RebaseRefusal::NotAttested => (StatusCode::UNPROCESSABLE_ENTITY, "not_attested"),
                RebaseRefusal::OtherBoundary => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "other_boundary")
                }
                RebaseRefusal::OtherSegment { .. } => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "other_segment")
                }
                RebaseRefusal::Model(_) | RebaseRefusal::Snapshot(_) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "bad_state")
                }
            };
            error(status, code, refusal)
        }
        Err(RebaseError::Node(e)) => {
            tracing::error!(error = %e, "state feed not stored");
            error(StatusCode::INTERNAL_SERVER_ERROR, "store", e)
        }
    }
}

/// `POST /v1/imports`: an import the segment's validators signed on the
/// relayer's tip (`GET /v1/status`, `sign_imports_on`), with the account
/// leaves it credits. 202 taken: published once every batch before it is
/// in the chain, every later batch planned on the state it credits; 200
/// the same import taken before (nothing changes); 409 another import is
/// open (`import_open`), or the relayer is behind its segment or halted;
/// 422 refused, nothing changed (`other_parent`, `height`, `other_root`,
/// `no_silo`, `overflow`, `zero`, `other_segment`, `bad_leaves`,
/// `queue_stale`); 400 not an import. The import's signatures are the
/// gates' to judge (rule G7): one they refuse is dropped with its reason
/// (`GET /v1/imports/{id}`).
async fn take_import(State(api): State<RelayApi>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match read_body(body, "import", MAX_STATE) {
        Ok(body) => body,
        Err(answer) => return answer.into_response(),
    };
    let submission: ImportSubmission = match serde_json::from_slice(&body) {
        Ok(submission) => submission,
        Err(e) => return error(StatusCode::BAD_REQUEST, "malformed", e),
    };
    match api.engine.take_import(submission).await {
        Ok(receipt) => {
            let status = if receipt.repeat {
                StatusCode::OK
            } else {
                StatusCode::ACCEPTED
            };
            let body = json!({
                "id": receipt.id.to_string(),
                "after_seq": receipt.after_seq.to_string(),
            });
            (status, Json(body)).into_response()
        }
        Err(ImportError::Refused(refusal)) => {
            let status = match refusal {
                ImportRefusal::Open { .. } | ImportRefusal::Behind | ImportRefusal::Halted(_) => {
                    StatusCode::CONFLICT
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            error(status, refusal.label(), refusal)
        }
        Err(ImportError::Node(e)) => {
            tracing::error!(error = %e, "import not stored");
            error(StatusCode::INTERNAL_SERVER_ERROR, "store", e)
        }
    }
}

/// `GET /v1/imports/{id}`: where the import is (queued, published, landed,
/// dropped with its reason), with its stream position.
async fn import(State(api): State<RelayApi>, UrlPath(id): UrlPath<String>) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return error(
            StatusCode::BAD_REQUEST,
            "malformed",
            "the import id is a decimal u64",
        );
    };
    let engine = api.engine.clone();
    match tokio::task::spawn_blocking(move || engine.reader().import_status(id)).await {
        Ok(Ok(Some(answer))) => Json(answer).into_response(),
        Ok(Ok(None)) => error(StatusCode::NOT_FOUND, "unknown", format!("no import {id}")),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e),
    }
}

/// `GET /v1/exits/{id}`: where the exit is (queued, in_batch, proven,
/// published, confirmed), with its batch, bundle and stream position.
async fn exit(State(api): State<RelayApi>, UrlPath(id): UrlPath<String>) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return error(
            StatusCode::BAD_REQUEST,
            "malformed",
            "the exit id is a decimal u64",
        );
    };
    let engine = api.engine.clone();
    match tokio::task::spawn_blocking(move || engine.reader().exit_status(id)).await {
        Ok(Ok(Some(answer))) => Json(answer).into_response(),
        Ok(Ok(None)) => error(StatusCode::NOT_FOUND, "unknown", format!("no exit {id}")),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e),
    }
}

/// Which exit `GET /v1/exits` asks for.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExitKey {
    account: u64,
    nonce: u64,
}

/// `GET /v1/exits?account=&nonce=`: the exit spending that nonce of that
/// account, as `GET /v1/exits/{id}` answers it; 404 if the relayer
/// accepted none; 400 without both decimal u64s.
async fn find(
    State(api): State<RelayApi>,
    key: Result<Query<ExitKey>, QueryRejection>,
) -> Response {
    let Ok(Query(ExitKey { account, nonce })) = key else {
        return error(
            StatusCode::BAD_REQUEST,
            "malformed",
            "ask for an exit as ?account=<u64>&nonce=<u64>",
        );
    };
    let engine = api.engine.clone();
    let found =
        tokio::task::spawn_blocking(move || engine.reader().exit_at_nonce(account, nonce)).await;
    match found {
        Ok(Ok(Some(answer))) => Json(answer).into_response(),
        Ok(Ok(None)) => error(
            StatusCode::NOT_FOUND,
            "unknown",
            format!("no exit of account {account} at nonce {nonce}"),
        ),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e),
    }
}

/// `GET /v1/status`: the queue, batches by status, the stream as seen,
/// and `halted`: why the relayer stopped (null while it runs).
async fn status(State(api): State<RelayApi>) -> Response {
    let engine = api.engine.clone();
    let answer = tokio::task::spawn_blocking(move || engine.reader().status()).await;
    match answer {
        Ok(Ok(answer)) => Json(answer).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e),
    }
}

/// `GET /metrics`: Prometheus text.
async fn metrics(State(api): State<RelayApi>) -> Response {
    let engine = api.engine.reader().engine();
    let gauges = Gauges {
        queued: engine.queued,
        live: engine.live,
        epoch: engine.view.epoch,
        position: engine.view.position,
        halted: engine.halted.is_some(),
        behind: engine.behind.is_some(),
    };
    match api.engine.metrics().render(&gauges) {
        Ok(text) => ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e),
    }
}
