//! The stream across machines: one NATS JetStream stream.
//!
//! Items are published on a subject per kind (`bulkhead.stream.bundle`,
//! `.attestation`, `.tick`, `.guardian`, `.import`), so the server's subject
//! permissions say who may publish what: relayers bundles, validators
//! attestations and imports, guardians ticks and actions, gates nothing. A message
//! whose payload is not the kind its subject names is a malformed entry
//! (refused by every gate alike), so publishing rights cannot be
//! stretched to another kind. The stream sequence is the position.
//!
//! A follower (a gate, or a relayer's watcher) is a durable pull consumer
//! with explicit acknowledgement ([`NatsSource`]): it acknowledges a
//! message only after the ledger transaction that applied it (and
//! recorded its position) committed ([`StreamSource::applied`]). A
//! message redelivered after a crash is at or below the ledger's
//! position: acknowledged and dropped, it changes nothing. The ledger's
//! position is the truth: a consumer whose server-side state disagrees
//! with it (acknowledged past it, or holding deliveries of a process that
//! died) is made again from it.
//!
//! Each follower has its own consumer, and the server's permissions give
//! each user only its own consumers' names (`examples/nats-server.conf`),
//! so no role can delete, drain or replace another's. A follower still
//! checks an existing consumer's configuration before using it
//! ([`consumer`]), and holds a lease on it while it runs ([`lease`]), so
//! a second follower on the same consumer is refused rather than left to
//! take messages from the first.
//!
//! The client is async; this module gives the synchronous
//! [`StreamSource`] and [`StreamSink`] the services use. A connection
//! opened inside a service's runtime (a thread that entered it, or one of
//! its blocking tasks) runs its client on that runtime, so a service has
//! one; a one-shot command gets a small runtime for its connection.

mod consumer;
mod error;
mod lease;
mod name;
mod reader;
mod source;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use bulkhead_protocol::bundle::MAGIC;
use bulkhead_verifier::gate::{ItemKind, StreamItem};

#[cfg(doc)]
use super::StreamSource;
use super::{decode_item, encode_item, ItemFormat, StreamEntry, StreamSink};
use crate::error::{ClientError, NodeError, StreamError, UsageError};

pub use error::{ConsumerError, Difference};
pub use name::{check_name, default_name, NAME_FILE};
pub use reader::NatsReader;
pub use source::NatsSource;

/// The JetStream stream's name.
pub const STREAM: &str = "BULKHEAD";
/// The subjects' common prefix.
pub const SUBJECT_PREFIX: &str = "bulkhead.stream";
/// The subjects' prefix of the followers' leases (outside the stream's
/// subjects, so never stored): `bulkhead.lease.CONSUMER`.
pub const LEASE_PREFIX: &str = "bulkhead.lease";
/// Permissions violations kept for an error message.
const MAX_REFUSED: usize = 4;

/// The subject of an item kind.
pub fn subject(kind: ItemKind) -> String {
    format!("{SUBJECT_PREFIX}.{}", kind.name())
}

/// A message's entry: its payload read as the kind its `subject` names.
/// A payload of another kind than its subject's is malformed, so that
/// the right to publish one kind cannot be stretched to another.
pub(crate) fn entry_of(subject_name: &str, payload: Vec<u8>) -> StreamEntry {
    let kind = subject_name
        .strip_prefix(SUBJECT_PREFIX)
        .and_then(|s| s.strip_prefix('.'));
    let is_bundle = payload.starts_with(&MAGIC);
    match (kind, is_bundle) {
        (Some("bundle"), true) => decode_item(ItemFormat::Bundle, payload),
        (Some("bundle"), false) => {
            StreamEntry::Malformed("not a bundle on the bundle subject".into())
        }
        (Some(kind @ ("attestation" | "tick" | "guardian" | "import")), false) => {
            match decode_item(ItemFormat::Json, payload) {
                StreamEntry::Item(item) if subject(item.kind()) == subject_name => {
                    StreamEntry::Item(item)
                }
                StreamEntry::Item(_) => {
                    StreamEntry::Malformed(format!("another kind of item on the {kind} subject"))
                }
                malformed => malformed,
            }
        }
        (Some(kind @ ("attestation" | "tick" | "guardian" | "import")), true) => {
            StreamEntry::Malformed(format!("a bundle on the {kind} subject"))
        }
        _ => StreamEntry::Malformed(format!("unknown subject {subject_name}")),
    }
}

/// Where and as whom to connect.
#[derive(Clone)]
pub struct NatsAddress {
    /// `nats://HOST:PORT`, without credentials.
    pub url: String,
    /// User and password, if the server wants them.
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for NatsAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        f.debug_struct("NatsAddress")
            .field("url", &self.url)
            .field("user", &self.credentials.as_ref().map(|c| &c.0))
            .finish()
    }
}

impl NatsAddress {
    /// Whether `spec` names a NATS server rather than a directory.
    pub fn is_nats(spec: &str) -> bool {
        spec.starts_with("nats://")
    }

    /// Parses `nats://HOST:PORT`; the user and password come from
    /// `$BULKHEAD_NATS_USER` and `$BULKHEAD_NATS_PASSWORD` (kept out of
    /// the command line, which other users of the machine can read).
    /// Credentials in the URL are refused for that reason.
    pub fn parse(spec: &str) -> Result<Self, NodeError> {
        let rest = spec
            .strip_prefix("nats://")
            .ok_or_else(|| UsageError::NotNats {
                spec: spec.to_owned(),
            })?;
        if rest.contains('@') {
            return Err(UsageError::CredentialsInAddress.into());
        }
        if rest.is_empty() || rest.contains('/') {
            return Err(UsageError::NatsAddress {
                spec: spec.to_owned(),
            }
            .into());
        }
        let user = std::env::var("BULKHEAD_NATS_USER")
            .ok()
            .filter(|u| !u.is_empty());
        let password = std::env::var("BULKHEAD_NATS_PASSWORD").ok();
        let credentials = match (user, password) {
            (Some(user), Some(password)) => Some((user, password)),
            (None, None) => None,
            _ => return Err(UsageError::HalfCredentials.into()),
        };
        Ok(Self {
            url: spec.to_owned(),
            credentials,
        })
    }
}

/// A failed NATS operation `what` on nothing in particular, from the
/// client's error.
fn nats_error<E>(what: &'static str) -> impl Fn(E) -> StreamError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| StreamError::nats(what)(Box::new(e))
}

/// Where a connection's client runs.
enum ClientRuntime {
    /// The service's own runtime, entered by the thread that opened the
    /// connection.
    Service(tokio::runtime::Handle),
    /// A runtime of the connection's own (a one-shot command has none);
    /// taken only when the connection is dropped.
    Own(Option<tokio::runtime::Runtime>),
}

impl ClientRuntime {
    /// The runtime the caller runs in, if it is a service's (multi-thread:
    /// its workers drive the client while a blocking thread waits), or a
    /// new one.
    fn find() -> Result<Self, NodeError> {
        use tokio::runtime::{Handle, RuntimeFlavor};
        if let Ok(handle) = Handle::try_current() {
            if handle.runtime_flavor() == RuntimeFlavor::MultiThread {
                return Ok(ClientRuntime::Service(handle));
            }
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("nats")
            .enable_all()
            .build()
            .map_err(NodeError::io("NATS runtime"))?;
        Ok(ClientRuntime::Own(Some(runtime)))
    }

    /// Runs `future` to completion there, from a thread that is not one
    /// of the runtime's workers.
    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        match self {
            ClientRuntime::Service(handle) => handle.block_on(future),
            ClientRuntime::Own(Some(runtime)) => runtime.block_on(future),
            ClientRuntime::Own(None) => {
                unreachable!("the runtime is only taken when the connection is dropped")
            }
        }
    }
}

/// A connection and the runtime its client runs on.
struct Connection {
    runtime: ClientRuntime,
    jetstream: jetstream::Context,
    /// The server's permissions violations on this connection (the first
    /// few). The server answers a refused publish or subscription with an
    /// error line of its own, not a reply, so a request only times out;
    /// this keeps the server's words for the error the operator sees.
    refused: Arc<Mutex<Vec<String>>>,
    /// Tasks the connection started that must end with it.
    tasks: Mutex<Vec<tokio::task::AbortHandle>>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        for task in self
            .tasks
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            task.abort();
        }
        // A connection may be dropped inside an async runtime, where a
        // blocking shutdown of its own would panic.
        if let ClientRuntime::Own(runtime) = &mut self.runtime {
            if let Some(runtime) = runtime.take() {
                runtime.shutdown_background();
            }
        }
    }
}

impl Connection {
    fn open(address: &NatsAddress) -> Result<Self, NodeError> {
        let runtime = ClientRuntime::find()?;
        let refused = Arc::new(Mutex::new(Vec::new()));
        let record = refused.clone();
        // The JetStream context starts a task: made inside the runtime.
        let jetstream = runtime.block_on(async {
            let options = match &address.credentials {
                Some((user, password)) => async_nats::ConnectOptions::with_user_and_password(
                    user.clone(),
                    password.clone(),
                ),
                None => async_nats::ConnectOptions::new(),
            };
            options
                .event_callback(move |event| {
                    let record = record.clone();
                    async move {
                        if let async_nats::Event::ServerError(async_nats::ServerError::Other(
                            text,
                        )) = event
                        {
                            if text.to_ascii_lowercase().contains("permissions violation") {
                                tracing::warn!(%text, "the NATS server refused");
                                let mut refused = record.lock().unwrap_or_else(|e| e.into_inner());
                                if refused.len() < MAX_REFUSED && !refused.contains(&text) {
                                    refused.push(text);
                                }
                            }
                        }
                    }
                })
                .connection_timeout(Duration::from_secs(5))
                .request_timeout(Some(Duration::from_secs(10)))
                .connect(address.url.as_str())
                .await
                .map(jetstream::new)
                .map_err(|e| StreamError::Nats {
                    what: "connect",
                    on: Some(address.url.clone()),
                    source: Box::new(e),
                    refused: None,
                })
        })?;
        Ok(Self {
            runtime,
            jetstream,
            refused,
            tasks: Mutex::new(Vec::new()),
        })
    }

    /// Ends `task` when the connection is dropped.
    fn own_task(&self, task: tokio::task::AbortHandle) {
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task);
    }

    /// The server's permissions violations so far, in one line (`None`
    /// if it refused nothing).
    fn refused(&self) -> Option<String> {
        let refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        (!refused.is_empty()).then(|| refused.join("; "))
    }

    /// An error of `what` on `on` (if on something in particular), with
    /// the server's permissions violations if there were any (what a
    /// timed-out request most likely met).
    fn error<E>(&self, what: &'static str, on: Option<String>, e: E) -> StreamError
    where
        E: Into<ClientError>,
    {
        StreamError::Nats {
            what,
            on,
            source: e.into(),
            refused: self.refused(),
        }
    }

    /// Runs `future` to completion on the connection's runtime.
    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

/// Creates the stream (an administrator's one-time step): every subject
/// of [`subject`], kept on disk, never trimmed, deleted from or purged
/// (a follower needs every position). An existing stream is left as it
/// is. Returns its last sequence number.
pub fn create_stream(address: &NatsAddress) -> Result<u64, NodeError> {
    let connection = Connection::open(address)?;
    connection.block_on(async {
        let mut stream = connection
            .jetstream
            .get_or_create_stream(stream::Config {
                name: STREAM.into(),
                subjects: vec![format!("{SUBJECT_PREFIX}.*")],
                storage: stream::StorageType::File,
                retention: stream::RetentionPolicy::Limits,
                deny_delete: true,
                deny_purge: true,
                ..Default::default()
            })
            .await
            .map_err(nats_error("create stream"))?;
        let info = stream.info().await.map_err(nats_error("stream info"))?;
        Ok(info.state.last_sequence)
    })
}

/// Publishes items to the stream and returns their sequence numbers,
/// once the server stored them.
pub struct NatsSink {
    connection: Connection,
}

impl NatsSink {
    /// Connects.
    pub fn connect(address: &NatsAddress) -> Result<Self, NodeError> {
        Ok(Self {
            connection: Connection::open(address)?,
        })
    }
}

impl StreamSink for NatsSink {
    fn publish(&self, item: &StreamItem) -> Result<u64, NodeError> {
        let (_, bytes) = encode_item(item);
        let subject = subject(item.kind());
        self.connection.block_on(async {
            let ack = self
                .connection
                .jetstream
                .publish(subject.clone(), bytes.into())
                .await
                .map_err(|e| StreamError::Nats {
                    what: "publish",
                    on: Some(subject.clone()),
                    source: Box::new(e),
                    refused: None,
                })?
                .await
                .map_err(|e| StreamError::Unacknowledged {
                    subject: subject.clone(),
                    source: Box::new(e),
                })?;
            Ok(ack.sequence)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ClientRuntime;

    #[test]
    fn a_connection_runs_on_the_services_runtime_and_only_a_one_shot_has_its_own() {
        assert!(matches!(
            ClientRuntime::find(),
            Ok(ClientRuntime::Own(Some(_)))
        ));
        let service = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        // A thread that entered it (the relayer's), and one of its
        // blocking tasks (the gate's).
        {
            let _inside = service.enter();
            assert!(matches!(
                ClientRuntime::find(),
                Ok(ClientRuntime::Service(_))
            ));
        }
        let blocking = service
            .spawn_blocking(|| matches!(ClientRuntime::find(), Ok(ClientRuntime::Service(_))));
        let found = service.block_on(blocking).unwrap();
        assert!(found);
        // A current-thread runtime cannot drive the client from another
        // thread: a connection opened there gets its own.
        let single = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _inside = single.enter();
        assert!(matches!(
            ClientRuntime::find(),
            Ok(ClientRuntime::Own(Some(_)))
        ));
    }
}
