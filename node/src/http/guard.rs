//! What a write endpoint asks of a request before its handler runs, as
//! tower and tower-http layers applied once to each write route
//! ([`WriteGuard`]): the bearer token (401), whether the service takes
//! writes at all (409), the body's media type (415), its size (413,
//! refused on its declared length before a byte is read), and, where a
//! service sheds load, a cap on submissions in flight (503 with
//! `Retry-After`). Every refusal is in the one JSON shape of
//! [`super::error`].

use std::sync::Arc;

use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use http_body_util::LengthLimitError;
use tower::limit::ConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower::{BoxError, ServiceBuilder};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::validate_request::{ValidateRequest, ValidateRequestHeaderLayer};

use super::auth::Bearer;
use super::ApiError;

/// A request's media type (`Content-Type` without parameters, in lower
/// case), if it names one.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next().unwrap_or("").trim();
    Some(media.to_ascii_lowercase())
}

/// The media types a write endpoint takes.
#[derive(Clone, Copy, Debug)]
pub struct Accepts {
    /// The types taken (lower case).
    pub types: &'static [&'static str],
    /// Whether a body without a `Content-Type` is taken.
    pub untyped: bool,
    /// What to send instead, for the 415's reason.
    pub hint: &'static str,
}

impl<B> ValidateRequest<B> for Accepts {
    type ResponseBody = Body;

    fn validate(&mut self, request: &mut Request<B>) -> Result<(), Response> {
        match media_type(request.headers()) {
            None if self.untyped => Ok(()),
            Some(found) if self.types.contains(&found.as_str()) => Ok(()),
            found => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content_type",
                format!(
                    "{}: {}",
                    found.as_deref().unwrap_or("no content type"),
                    self.hint
                ),
            )
            .into_response()),
        }
    }
}

/// Refuses every request with its answer, if it has one: a service that
/// takes no writes (a gate following a stream) says so before reading a
/// body.
#[derive(Clone, Debug)]
struct Closed(Option<ApiError>);

impl<B> ValidateRequest<B> for Closed {
    type ResponseBody = Body;

    fn validate(&mut self, _: &mut Request<B>) -> Result<(), Response> {
        match &self.0 {
            None => Ok(()),
            Some(refusal) => Err(refusal.clone().into_response()),
        }
    }
}

/// A cap on submissions in flight, from their body read whole to their
/// answer; beyond it, 503 `queue_full` with `Retry-After`.
#[derive(Clone)]
pub struct Shed {
    /// Submissions in flight at once.
    pub in_flight: usize,
    /// Called for each submission turned away (to count it).
    pub on_shed: Arc<dyn Fn() + Send + Sync>,
}

/// Everything a service's write routes ask of a request.
#[derive(Clone)]
pub struct WriteGuard {
    /// The bearer token writes must carry, if any.
    pub token: Option<Arc<str>>,
    /// The refusal of every write, while the service takes none.
    pub closed: Option<ApiError>,
    /// The body media types taken.
    pub accepts: Accepts,
    /// The largest body, in bytes.
    pub max_body: usize,
    /// Load shedding, for a service that sheds.
    pub shed: Option<Shed>,
}

impl WriteGuard {
    /// `route` behind the guard's layers, the first listed outermost.
    pub fn apply<S: Clone + Send + Sync + 'static>(
        &self,
        route: MethodRouter<S>,
    ) -> MethodRouter<S> {
        let route: MethodRouter<S> = match &self.shed {
            None => route,
            Some(shed) => {
                let on_shed = shed.on_shed.clone();
                // The body is read whole before a place is taken: a client
                // trickling its body holds none (the body deadline ends
                // it), so bodies in memory are bounded by the connection
                // cap x `max_body`.
                route.layer(
                    ServiceBuilder::new()
                        .layer(middleware::from_fn_with_state(self.max_body, read_whole))
                        .layer(HandleErrorLayer::new(move |_: BoxError| {
                            let on_shed = on_shed.clone();
                            async move {
                                on_shed();
                                ApiError::new(
                                    StatusCode::SERVICE_UNAVAILABLE,
                                    "queue_full",
                                    "too many submissions in flight; retry later",
                                )
                                .retry_after()
                            }
                        }))
                        .layer(LoadShedLayer::new())
                        .layer(ConcurrencyLimitLayer::new(shed.in_flight)),
                )
            }
        };
        // Two stacks: the validators answer in axum's body type, which the
        // limit's own body type is turned into between them.
        let route: MethodRouter<S> = route.layer(
            ServiceBuilder::new()
                // One limit, this one: axum's default would be a second.
                .layer(DefaultBodyLimit::disable())
                .layer(RequestBodyLimitLayer::new(self.max_body)),
        );
        route.layer(
            ServiceBuilder::new()
                .layer(ValidateRequestHeaderLayer::custom(Bearer(
                    self.token.clone(),
                )))
                .layer(ValidateRequestHeaderLayer::custom(Closed(
                    self.closed.clone(),
                )))
                .layer(ValidateRequestHeaderLayer::custom(self.accepts)),
        )
    }
}

/// Reads the body whole, then hands the request on; a body past the limit
/// is answered 413 naming it. A body cut off by its deadline is answered
/// 408 by the deadline layer, whatever is said here.
async fn read_whole(
    axum::extract::State(max_body): axum::extract::State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) if is_too_long(&e) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("larger than the largest valid request ({max_body} bytes)"),
        )
        .into_response(),
        Err(e) => ApiError::new(StatusCode::BAD_REQUEST, "malformed", e).into_response(),
    }
}

/// Whether a body read failed on the body limit.
fn is_too_long(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}
