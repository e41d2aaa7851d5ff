//! Serving HTTP to clients that may be idle, slow or hostile, once for
//! both services (the gate's and the relayer's).
//!
//! Three limits keep a flood of cheap connections from starving honest
//! clients:
//!
//! - a **connection cap** ([`HttpLimits::max_connections`]): past it the
//!   accept loop stops accepting, so connections wait in the kernel's
//!   backlog instead of taking file descriptors ([`serve`]);
//! - a **header-read timeout** ([`HttpLimits::header_read_timeout`]): a
//!   connection that has not sent a whole request head in time, whether
//!   it is new or idle between keep-alive requests, is closed, which frees
//!   its place under the cap;
//! - a **body deadline** ([`HttpLimits::body_deadline`]): a body not
//!   delivered in time ends the request with 408 ([`deadline`]), so a
//!   trickled body cannot hold a handler's resources for long. Handlers
//!   read the whole body *before* taking any scarce permit.
//!
//! What a write endpoint asks of a request (token, media type, size,
//! load) is a stack of tower layers applied once to each write route
//! ([`guard`]). Every error answer, a handler's, a layer's or the
//! server's own (no route, a body too large), is one JSON shape,
//! `{"error": code, "reason": text}` ([`error`]).

mod accept;
mod auth;
pub mod deadline;
pub mod error;
pub mod guard;
mod listen;
pub mod routes;

use std::time::Duration;

pub use accept::serve;
pub use auth::Bearer;
pub use deadline::{BodyDeadline, BodyTooSlow};
pub use error::ApiError;
pub use guard::{Accepts, Shed, WriteGuard};
pub use listen::{bind, shutdown_signal};

use crate::error::{NodeError, UsageError};

/// Connections held at once, by default: well under the 1,024 file
/// descriptors a process commonly gets, leaving room for the ledger's
/// files, the stream and the runtime.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// The most connections the flag accepts.
pub const MAX_CONNECTIONS: usize = 65_536;
/// How long a connection may take to send a request head, by default.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request may take to send its body, by default: the largest
/// item is well under a megabyte.
pub const DEFAULT_BODY_DEADLINE: Duration = Duration::from_secs(5);
/// The longest header timeout or body deadline accepted: beyond, a slow
/// client holds its connection long enough to matter again.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(600);

/// What one client may hold of a service, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// Connections held at once; past it, new ones wait to be accepted.
    pub max_connections: usize,
    /// How long a connection may take to send a request's head (from
    /// when it is accepted, or from the end of its previous answer).
    pub header_read_timeout: Duration,
    /// How long a request may take to send its body, from the end of its
    /// head; beyond, 408.
    pub body_deadline: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_deadline: DEFAULT_BODY_DEADLINE,
        }
    }
}

impl HttpLimits {
    /// Refuses limits that would turn a protection off: no connection at
    /// all, a zero timeout, or one so long that it protects nothing.
    pub fn validate(&self) -> Result<(), NodeError> {
        if !(1..=MAX_CONNECTIONS).contains(&self.max_connections) {
            return Err(UsageError::count_out_of_range(
                "--max-connections",
                self.max_connections,
                1..=MAX_CONNECTIONS,
            )
            .into());
        }
        for (flag, value) in [
            ("--header-timeout-ms", self.header_read_timeout),
            ("--body-timeout-ms", self.body_deadline),
        ] {
            if value.is_zero() || value > MAX_TIMEOUT {
                let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
                return Err(UsageError::OutOfRange {
                    flag,
                    value: millis(value),
                    range: 1..=millis(MAX_TIMEOUT),
                }
                .into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_that_turn_a_protection_off_are_refused() {
        assert!(HttpLimits::default().validate().is_ok());
        let cases = [
            (
                HttpLimits {
                    max_connections: 0,
                    ..HttpLimits::default()
                },
                "--max-connections 0",
            ),
            (
                HttpLimits {
                    header_read_timeout: Duration::ZERO,
                    ..HttpLimits::default()
                },
                "--header-timeout-ms 0",
            ),
            (
                HttpLimits {
                    body_deadline: MAX_TIMEOUT + Duration::from_millis(1),
                    ..HttpLimits::default()
                },
                "--body-timeout-ms 600001",
            ),
        ];
        for (limits, words) in cases {
            let refused = limits.validate().unwrap_err().to_string();
            assert!(refused.contains(words), "{refused}");
        }
    }
}
