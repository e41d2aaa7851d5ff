//! The bearer token both services' write endpoints require, as a
//! `tower-http` request validator ([`Bearer`]): a route layered with it
//! answers 401 before its handler runs.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_http::validate_request::ValidateRequest;

use super::ApiError;

/// Compares without leaking, through timing, how much of a guess was
/// right.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `headers` carry `Authorization: Bearer <token>` (compared in
/// constant time); always, when no token is set.
fn bearer_matches(token: Option<&str>, headers: &HeaderMap) -> bool {
    let Some(token) = token else {
        return true;
    };
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .is_some_and(|(_, given)| same_secret(given.trim().as_bytes(), token.as_bytes()))
}

/// Lets through requests that carry the token (all of them when there is
/// none), answering 401 `unauthorised` to the rest. Layer it with
/// `tower_http::validate_request::ValidateRequestHeaderLayer::custom`.
#[derive(Clone, Debug)]
pub struct Bearer(pub Option<Arc<str>>);

impl<B> ValidateRequest<B> for Bearer {
    type ResponseBody = Body;

    fn validate(&mut self, request: &mut Request<B>) -> Result<(), Response> {
        if bearer_matches(self.0.as_deref(), request.headers()) {
            return Ok(());
        }
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            "write requests need `Authorization: Bearer <token>`",
        )
        .into_response())
    }
}
