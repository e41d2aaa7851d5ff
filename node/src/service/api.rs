//! The HTTP API: one write endpoint feeding the writer's bounded queue,
//! and read endpoints served from their own ledger connections.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use bulkhead_protocol::hex::fp_from_hex;
use bulkhead_verifier::gate::{GateState, ItemJson, StreamItem};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use super::metrics::Metrics;
use super::writer::{Job, Request};
use crate::error::NodeError;
use crate::http::guard::media_type;
use crate::http::routes::{self, Route};
use crate::http::{Accepts, ApiError, Shed, WriteGuard};
use crate::json::integers_as_strings;
use crate::ledger::{Depth, LedgerReader, Verdict};
use crate::report;

/// Most credits one page returns.
pub const MAX_PAGE: usize = 1000;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The writer's queue.
    pub queue: mpsc::Sender<Request>,
    /// The state directory (readers open their own connections).
    pub dir: Arc<std::path::PathBuf>,
    /// Idle reader connections, reused.
    pub readers: Arc<Mutex<Vec<LedgerReader>>>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// The bearer token write requests must carry, if any.
    pub token: Option<Arc<str>>,
    /// The largest valid item, in bytes.
    pub max_body: usize,
    /// Whether the gate follows a stream: then the stream alone orders its
    /// items, and submissions are refused (409).
    pub following: bool,
    /// Submissions in flight at once, from their body read whole to
    /// their verdict (beyond, 503; see [`crate::http::guard`]).
    pub in_flight: usize,
}

/// Idle reader connections kept for reuse.
const IDLE_READERS: usize = 8;

/// The router over `state`: `POST /v1/items` behind the token, the
/// following check, its two media types, `max_body` (checked against
/// Content-Length before a byte is read) and the in-flight cap.
pub fn router(state: AppState) -> Router {
    let metrics = state.metrics.clone();
    let guard = WriteGuard {
        token: state.token.clone(),
        closed: state.following.then(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "following",
                "this gate follows a stream, which alone orders its items: append the item to the stream",
            )
        }),
        accepts: Accepts {
            types: &[JSON, "application/octet-stream"],
            untyped: true,
            hint: "send application/octet-stream (a bundle) or application/json",
        },
        max_body: state.max_body,
        shed: Some(Shed {
            in_flight: state.in_flight,
            on_shed: Arc::new(move || metrics.record_queue_full()),
        }),
    };
    routes::router(routes(), &guard).with_state(state)
}

/// The gate's OpenAPI 3 description, served at `GET /v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../../openapi/gate.json");

/// Every route of the gate's API, the one list its router is built from
/// (and its OpenAPI description is checked against).
pub fn routes() -> Vec<Route<AppState>> {
    vec![
        Route::post("/v1/items", submit),
        Route::get("/v1/status", status),
        Route::get("/v1/sources/{id}", source),
        Route::get("/v1/credits", credits),
        Route::get("/v1/blast-radius", blast),
        Route::get("/metrics", metrics),
        Route::openapi(OPENAPI),
    ]
}

/// The media type of a JSON item; anything else taken is a bundle.
const JSON: &str = "application/json";

/// `POST /v1/items`: a bundle's bytes (`application/octet-stream`) or a
/// JSON item (`application/json`). 200 accepted, 422 refused (nothing
/// changed), 400 not an item; the route's layers answer 401 no token,
/// 408 body too slow, 409 the gate follows a stream, 413 too large, 415
/// another content type and 503 busy (with Retry-After) before this
/// runs.
async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let item = if media_type(&headers).as_deref() == Some(JSON) {
        let item: ItemJson = serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed",
                format!("not a stream item: {e}"),
            )
        })?;
        StreamItem::from(item)
    } else {
        StreamItem::Bundle(body.to_vec())
    };
    let verdict = judge(&state, item).await?;
    let status = match verdict {
        Verdict::Accepted(_) => StatusCode::OK,
        Verdict::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok((status, Json(report::verdict_report(&verdict))).into_response())
}

/// Puts `item` on the writer's queue and waits for its verdict; a full
/// queue is 503 with Retry-After.
async fn judge(state: &AppState, item: StreamItem) -> Result<Verdict, ApiError> {
    let busy = |code: &'static str, reason: &str| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, reason).retry_after()
    };
    let (reply, answer) = oneshot::channel();
    let request = Request {
        job: Job::Submit(item),
        reply,
    };
    if let Err(e) = state.queue.try_send(request) {
        state.metrics.record_queue_full();
        return Err(match e {
            mpsc::error::TrySendError::Full(_) => busy("queue_full", "queue full; retry later"),
            mpsc::error::TrySendError::Closed(_) => busy("shutting_down", "shutting down"),
        });
    }
    let (verdict, _) = answer
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "writer stopped",
            )
        })?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e))?;
    verdict
        .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "no verdict"))
}

/// Runs `f` on a pooled reader connection, off the async runtime.
async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&LedgerReader) -> Result<T, NodeError> + Send + 'static,
) -> Result<T, ApiError> {
    let readers = state.readers.clone();
    let dir = state.dir.clone();
    tokio::task::spawn_blocking(move || {
        let pooled = readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let reader = match pooled {
            Some(reader) => reader,
            None => LedgerReader::open(&dir)?,
        };
        let result = f(&reader);
        let mut idle = readers.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE_READERS {
            idle.push(reader);
        }
        result
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e))?
    .map_err(ApiError::from)
}

async fn summary(state: &AppState) -> Result<(GateState, u64), ApiError> {
    read(state, |r| r.state(Depth::Summary)).await
}

/// `GET /v1/status`.
async fn status(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let (gate, position) = summary(&state).await?;
    Ok(Json(report::status_report(&gate, position)))
}

/// `GET /v1/sources/{id}`.
async fn source(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    let id: u64 = id.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("{id:?} is not a segment id"),
        )
    })?;
    let (gate, _) = summary(&state).await?;
    report::source_report(&gate, id).map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown",
            format!("segment {id} is not a registered source"),
        )
    })
}

/// Query of `GET /v1/credits`.
#[derive(Deserialize)]
struct CreditQuery {
    recipient: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

/// `GET /v1/credits?recipient=HEX&after=ID&limit=N`: credits in order,
/// a page at a time; `next` is the `after` of the next page.
async fn credits(
    State(state): State<AppState>,
    Query(query): Query<CreditQuery>,
) -> Result<Json<Value>, ApiError> {
    let bad = |what: &str| ApiError::new(StatusCode::BAD_REQUEST, "malformed", what);
    let recipient = match &query.recipient {
        Some(text) => Some(
            fp_from_hex(text)
                .ok_or_else(|| bad("recipient: not a field element (64 hex digits)"))?,
        ),
        None => None,
    };
    let after = match &query.after {
        Some(text) => text.parse().map_err(|_| bad("after: not a credit id"))?,
        None => 0,
    };
    let limit = match &query.limit {
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| bad("limit: not in 1..=1000"))?,
        None => 100,
    };
    let page = read(&state, move |r| r.credits(recipient.as_ref(), after, limit)).await?;
    let credits: Vec<Value> = page
        .credits
        .iter()
        .map(|(id, c)| json!({ "id": id, "credit": c }))
        .collect();
    Ok(Json(integers_as_strings(
        json!({ "credits": credits, "next": page.next }),
    )))
}

/// `GET /v1/blast-radius`.
async fn blast(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let (gate, _) = summary(&state).await?;
    Ok(Json(report::blast_report(&gate)))
}

/// `GET /metrics`: Prometheus text.
async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let (gate, position) = summary(&state).await?;
    let text = state
        .metrics
        .render(&gate, position)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e))?;
    Ok(([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response())
}
