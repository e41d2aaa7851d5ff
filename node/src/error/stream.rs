//! Why the stream could not be reached or used: the NATS client's own
//! error kept as the source, with what was being done and on what.

use thiserror::Error;

/// An error of the NATS client (each operation has its own type; boxed so
/// that one variant carries any of them, source chain intact).
pub type ClientError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The stream (NATS, or a blocking stream task) failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StreamError {
    /// A NATS operation failed.
    #[error(
        "NATS {what}: {}{source}{}",
        on.as_ref().map(|on| format!("{on}: ")).unwrap_or_default(),
        refusal(refused)
    )]
    Nats {
        /// The operation, e.g. "connect" or "consumer info".
        what: &'static str,
        /// What it was on (an address, a subject, a consumer, a position).
        on: Option<String>,
        /// The client's error.
        source: ClientError,
        /// The server's permissions violations on this connection, if it
        /// reported any (what a timed-out request most likely met).
        refused: Option<String>,
    },
    /// The stream is not there (or this user may not see it).
    #[error(
        "NATS stream: {source} (create it once with `bulkhead stream --stream {url} init`){}",
        refusal(refused)
    )]
    NoStream {
        /// The server's address.
        url: String,
        /// The client's error.
        source: ClientError,
        /// The server's permissions violations on this connection, if any.
        refused: Option<String>,
    },
    /// The server did not acknowledge a publish: most likely this user
    /// may not publish on the subject.
    #[error(
        "NATS publish: {subject}: {source} (no acknowledgement: may this user publish on \
         {subject}? see the server's permissions)"
    )]
    Unacknowledged {
        /// The subject published on.
        subject: String,
        /// The client's error.
        source: ClientError,
    },
    /// A blocking stream task panicked or was cancelled.
    #[error("{what}: {source}")]
    Task {
        /// The task, e.g. "stream reader".
        what: &'static str,
        /// How it ended.
        source: tokio::task::JoinError,
    },
}

/// The tail of a message naming the server's permissions violations, or
/// nothing if it reported none.
fn refusal(refused: &Option<String>) -> String {
    refused
        .as_ref()
        .map(|r| {
            format!(
                " (the server refused this user: {r}; see its permissions, e.g. \
                 examples/nats-server.conf)"
            )
        })
        .unwrap_or_default()
}

impl StreamError {
    /// A failed NATS operation `what`, on nothing in particular.
    pub fn nats(what: &'static str) -> impl Fn(ClientError) -> Self {
        move |source| StreamError::Nats {
            what,
            on: None,
            source,
            refused: None,
        }
    }

    /// A failed blocking stream task.
    pub fn task(what: &'static str) -> impl Fn(tokio::task::JoinError) -> Self {
        move |source| StreamError::Task { what, source }
    }
}
