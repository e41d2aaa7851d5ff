//! The body deadline: every request body must arrive within a short time
//! of its head, or the request ends with 408 and its connection closes.
//!
//! The deadline rides on the body itself ([`DeadlineBody`]), so whatever
//! reads it (an extractor, a handler, after its own checks) stops waiting
//! when it passes; the layer then answers 408 in place of whatever the
//! reader made of the error. Handlers read a body whole before they take
//! any scarce permit, so a client trickling its body holds nothing but
//! its connection, and that only until the deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body::{Frame, SizeHint};
use thiserror::Error;
use tokio::time::Sleep;

/// The error a body gives once its deadline has passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("the request body was not sent within {} ms", .0.as_millis())]
pub struct BodyTooSlow(pub Duration);

/// How long a body may take, the layer's state.
#[derive(Clone, Copy, Debug)]
pub struct BodyDeadline(pub Duration);

/// `app` with every request body under `deadline`.
pub(crate) fn layer(app: Router, deadline: Duration) -> Router {
    app.layer(middleware::from_fn_with_state(
        BodyDeadline(deadline),
        enforce,
    ))
}

/// Puts the body under the deadline, and answers 408 (closing the
/// connection) if a reader found it passed.
async fn enforce(
    State(BodyDeadline(deadline)): State<BodyDeadline>,
    request: Request,
    next: Next,
) -> Response {
    let missed = Arc::new(AtomicBool::new(false));
    let (parts, body) = request.into_parts();
    let body = Body::new(DeadlineBody {
        inner: body,
        sleep: Box::pin(tokio::time::sleep(deadline)),
        deadline,
        missed: missed.clone(),
    });
    let response = next.run(Request::from_parts(parts, body)).await;
    if !missed.load(Ordering::SeqCst) {
        return response;
    }
    let mut late = super::ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        BodyTooSlow(deadline),
    )
    .into_response();
    // The rest of the body may still be on its way: the connection cannot
    // carry another request.
    late.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    late
}

/// A body that fails with [`BodyTooSlow`] once `sleep` ends before it
/// does.
struct DeadlineBody {
    inner: Body,
    sleep: Pin<Box<Sleep>>,
    deadline: Duration,
    missed: Arc<AtomicBool>,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        // What has arrived is taken even after the deadline: only a wait
        // past it fails.
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.missed.store(true, Ordering::SeqCst);
            return Poll::Ready(Some(Err(axum::Error::new(BodyTooSlow(self.deadline)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
