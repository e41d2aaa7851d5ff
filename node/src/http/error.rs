//! One shape for every error answer of both services:
//! `{"error": "<code>", "reason": "<text>"}` as `application/json`, where
//! the code is a stable word a client can act on and the reason says it
//! for people.
//!
//! Handlers answer with [`ApiError`]. What a handler never sees (no route,
//! a method the route does not take, an extractor's refusal, a body cut
//! off at its limit) comes out of axum as plain text or nothing;
//! [`layer`] puts those answers in the same shape, once for every router,
//! so no error answer of either service is anything else.

use std::fmt::Display;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;

use crate::error::NodeError;

/// The longest plain-text error body carried over as a reason; axum's
/// own are one line.
const MAX_REASON: usize = 4096;

/// An error answer: a status, a stable code and a reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code (`too_large`, `queue_full`, `nonce_used`, ...).
    pub code: &'static str,
    /// What happened, for people.
    pub reason: String,
    /// Whether to say `Retry-After: 1` (a 503 or 429 that will pass).
    pub retry_after: bool,
}

impl ApiError {
    /// An answer of `status` with `code` and `reason`.
    pub fn new(status: StatusCode, code: &'static str, reason: impl Display) -> Self {
        Self {
            status,
            code,
            reason: reason.to_string(),
            retry_after: false,
        }
    }

    /// The same answer, telling the client to try again in a second.
    pub fn retry_after(mut self) -> Self {
        self.retry_after = true;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({ "error": self.code, "reason": self.reason })),
        )
            .into_response();
        if self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e)
    }
}

/// The code of an answer that came without one (not from a handler).
pub fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "malformed",
        StatusCode::UNAUTHORIZED => "unauthorised",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "body_timeout",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "content_type",
        StatusCode::UNPROCESSABLE_ENTITY => "refused",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "error",
    }
}

/// `app` with every error answer in the shape of [`ApiError`]; answers
/// already in JSON (a handler's) pass as they are.
pub(crate) fn layer(app: Router) -> Router {
    app.layer(middleware::from_fn(reshape))
}

async fn reshape(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_REASON)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let reason = if !text.is_empty() {
        text
    } else {
        default_reason(status, &method, &path)
    };
    let shaped = ApiError::new(status, code_of(status), reason).into_response();
    // Keep what the answer said besides its body (Allow on a 405,
    // Retry-After, Connection: close), but not its old length or type.
    parts.headers.remove(header::CONTENT_LENGTH);
    let (shaped_parts, shaped_body) = shaped.into_parts();
    parts.headers.extend(shaped_parts.headers);
    Response::from_parts(parts, Body::new(shaped_body))
}

/// Words for an error answer that came with none.
fn default_reason(status: StatusCode, method: &Method, path: &str) -> String {
    match status {
        StatusCode::NOT_FOUND => format!("no route {path}: see GET /v1/openapi.json"),
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("{path} does not take {method}: see GET /v1/openapi.json")
        }
        other => other
            .canonical_reason()
            .unwrap_or("request failed")
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_status_has_a_code() {
        for status in [
            400u16, 401, 404, 405, 408, 409, 413, 415, 422, 429, 500, 503,
        ] {
            let status = StatusCode::from_u16(status).unwrap();
            assert_ne!(code_of(status), "error", "{status}");
        }
        assert_eq!(code_of(StatusCode::IM_A_TEAPOT), "error");
    }

    #[tokio::test]
    async fn an_answer_carries_its_code_reason_and_retry() {
        let response = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "queue_full", "full")
            .retry_after()
            .into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body, json!({"error": "queue_full", "reason": "full"}));
    }
}
