//! The stream across machines: one NATS JetStream stream.
//!
//! Items are published on a subject per kind (`bulkhead.stream.bundle`,
//! `.attestation`, `.tick`, `.guardian`), so the server's subject
//! permissions say who may publish what: relayers bundles, validators
//! attestations, guardians ticks and actions, gates nothing. A message
//! whose payload is not the kind its subject names is a malformed entry
//! (refused by every gate alike), so publishing rights cannot be
//! stretched to another kind. The stream sequence is the position.
//!
//! A follower (a gate, or a relayer's watcher) is a durable pull consumer
//! with explicit acknowledgement: it acknowledges a message only after
//! the ledger transaction that applied it (and recorded its position)
//! committed ([`StreamSource::applied`]). A message redelivered after a
//! crash is at or below the ledger's position: acknowledged and dropped,
//! it changes nothing. The ledger's position is the truth: a consumer
//! whose server-side state disagrees with it (acknowledged past it, or
//! holding deliveries of a process that died) is made again from it.
//!
//! The client is async; this module gives the synchronous
//! [`StreamSource`] and [`StreamSink`] the services use, on a small
//! runtime of its own.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use bulkhead_protocol::bundle::MAGIC;
use bulkhead_verifier::gate::{ItemKind, StreamItem};
use futures_util::StreamExt;

use super::{decode_item, encode_item, ItemFormat, StreamEntry, StreamSink, StreamSource};
use crate::error::NodeError;

/// The JetStream stream's name.
pub const STREAM: &str = "BULKHEAD";
/// The subjects' common prefix.
pub const SUBJECT_PREFIX: &str = "bulkhead.stream";
/// Messages one fetch asks for.
const FETCH: usize = 64;
/// How long a fetch waits for messages when there are none.
const FETCH_WAIT: Duration = Duration::from_millis(200);
/// How long the server waits for an acknowledgement before delivering
/// again.
const ACK_WAIT: Duration = Duration::from_secs(30);

/// The subject of an item kind.
pub fn subject(kind: ItemKind) -> String {
    let name = match kind {
        ItemKind::Bundle => "bundle",
        ItemKind::Attestation => "attestation",
        ItemKind::Tick => "tick",
        ItemKind::Guardian => "guardian",
    };
    format!("{SUBJECT_PREFIX}.{name}")
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
            .ok_or_else(|| NodeError::Usage(format!("{spec}: not a nats:// address")))?;
        if rest.contains('@') {
            return Err(NodeError::Usage(
                "put NATS credentials in $BULKHEAD_NATS_USER and $BULKHEAD_NATS_PASSWORD, \
                 not in the address (command lines are visible to every user)"
                    .into(),
            ));
        }
        if rest.is_empty() || rest.contains('/') {
            return Err(NodeError::Usage(format!(
                "{spec}: expected nats://HOST:PORT"
            )));
        }
        let user = std::env::var("BULKHEAD_NATS_USER")
            .ok()
            .filter(|u| !u.is_empty());
        let password = std::env::var("BULKHEAD_NATS_PASSWORD").ok();
        let credentials = match (user, password) {
            (Some(user), Some(password)) => Some((user, password)),
            (None, None) => None,
            _ => {
                return Err(NodeError::Usage(
                    "set both $BULKHEAD_NATS_USER and $BULKHEAD_NATS_PASSWORD, or neither".into(),
                ))
            }
        };
        Ok(Self {
            url: spec.to_owned(),
            credentials,
        })
    }
}

fn nats_error(what: &str) -> impl Fn(String) -> NodeError + '_ {
    move |e| NodeError::Stream(format!("NATS {what}: {e}"))
}

/// A connection and the runtime its client runs on.
struct Connection {
    runtime: Option<tokio::runtime::Runtime>,
    jetstream: jetstream::Context,
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Services drop their source inside their own async runtime,
        // where a blocking shutdown would panic.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Connection {
    fn open(address: &NatsAddress) -> Result<Self, NodeError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("nats")
            .enable_all()
            .build()
            .map_err(NodeError::io("NATS runtime"))?;
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
                .connection_timeout(Duration::from_secs(5))
                .request_timeout(Some(Duration::from_secs(10)))
                .connect(address.url.as_str())
                .await
                .map(jetstream::new)
                .map_err(|e| nats_error("connect")(format!("{}: {e}", address.url)))
        })?;
        Ok(Self {
            runtime: Some(runtime),
            jetstream,
        })
    }

    /// Runs `future` to completion on the connection's runtime.
    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        match &self.runtime {
            Some(runtime) => runtime.block_on(future),
            None => unreachable!("the runtime is only taken when the connection is dropped"),
        }
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
            .map_err(|e| nats_error("create stream")(e.to_string()))?;
        let info = stream
            .info()
            .await
            .map_err(|e| nats_error("stream info")(e.to_string()))?;
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
                .map_err(|e| nats_error("publish")(format!("{subject}: {e}")))?
                .await
                .map_err(|e| {
                    nats_error("publish")(format!(
                        "{subject}: {e} (no acknowledgement: may this user publish on \
                         {subject}? see the server's permissions)"
                    ))
                })?;
            Ok(ack.sequence)
        })
    }
}

/// Follows the stream as a durable pull consumer.
pub struct NatsSource {
    connection: Connection,
    consumer: consumer::Consumer<consumer::pull::Config>,
    /// Fetched messages not yet applied, by stream sequence.
    buffer: Mutex<BTreeMap<u64, jetstream::Message>>,
}

impl NatsSource {
    /// Binds the durable consumer `name` for a follower whose ledger has
    /// applied everything up to `applied`: made (from `applied + 1`) if
    /// missing, or made again if the server's state disagrees with the
    /// ledger (see the module).
    pub fn connect(address: &NatsAddress, name: &str, applied: u64) -> Result<Self, NodeError> {
        if name.is_empty() || name.contains(['.', '*', '>', ' ']) {
            return Err(NodeError::Usage(format!(
                "consumer name {name:?}: no dots, spaces or wildcards"
            )));
        }
        let connection = Connection::open(address)?;
        let consumer = connection.block_on(async {
            let stream = connection.jetstream.get_stream(STREAM).await.map_err(|e| {
                nats_error("stream")(format!(
                    "{e} (create it once with `bulkhead stream --stream {} init`)",
                    address.url
                ))
            })?;
            let config = consumer::pull::Config {
                durable_name: Some(name.to_owned()),
                deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: applied.saturating_add(1),
                },
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: ACK_WAIT,
                max_ack_pending: 1024,
                ..Default::default()
            };
            let mut consumer = stream
                .get_or_create_consumer(name, config.clone())
                .await
                .map_err(|e| nats_error("consumer")(e.to_string()))?;
            let info = consumer
                .info()
                .await
                .map_err(|e| nats_error("consumer info")(e.to_string()))?;
            let stale = info.ack_floor.stream_sequence > applied || info.num_ack_pending > 0;
            if stale {
                tracing::info!(
                    name,
                    applied,
                    acked = info.ack_floor.stream_sequence,
                    pending = info.num_ack_pending,
                    "consumer state disagrees with the ledger; made again from it"
                );
                stream
                    .delete_consumer(name)
                    .await
                    .map_err(|e| nats_error("consumer")(e.to_string()))?;
                consumer = stream
                    .get_or_create_consumer(name, config)
                    .await
                    .map_err(|e| nats_error("consumer")(e.to_string()))?;
            }
            Ok::<_, NodeError>(consumer)
        })?;
        Ok(Self {
            connection,
            consumer,
            buffer: Mutex::new(BTreeMap::new()),
        })
    }

    fn buffer(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, jetstream::Message>> {
        self.buffer.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A message's entry: its payload read as the kind its subject names.
fn entry_of(message: &jetstream::Message) -> StreamEntry {
    let payload = message.payload.to_vec();
    let kind = message
        .subject
        .as_str()
        .strip_prefix(SUBJECT_PREFIX)
        .and_then(|s| s.strip_prefix('.'));
    let is_bundle = payload.starts_with(&MAGIC);
    match (kind, is_bundle) {
        (Some("bundle"), true) => decode_item(ItemFormat::Bundle, payload),
        (Some("bundle"), false) => {
            StreamEntry::Malformed("not a bundle on the bundle subject".into())
        }
        (Some(kind @ ("attestation" | "tick" | "guardian")), false) => {
            match decode_item(ItemFormat::Json, payload) {
                StreamEntry::Item(item) if subject(item.kind()) == message.subject.as_str() => {
                    StreamEntry::Item(item)
                }
                StreamEntry::Item(_) => {
                    StreamEntry::Malformed(format!("another kind of item on the {kind} subject"))
                }
                malformed => malformed,
            }
        }
        (Some(kind @ ("attestation" | "tick" | "guardian")), true) => {
            StreamEntry::Malformed(format!("a bundle on the {kind} subject"))
        }
        _ => StreamEntry::Malformed(format!("unknown subject {}", message.subject)),
    }
}

impl StreamSource for NatsSource {
    fn entry(&self, position: u64) -> Result<Option<StreamEntry>, NodeError> {
        if let Some(message) = self.buffer().get(&position) {
            return Ok(Some(entry_of(message)));
        }
        let fetched: Vec<jetstream::Message> = self.connection.block_on(async {
            let mut batch = self
                .consumer
                .fetch()
                .max_messages(FETCH)
                .expires(FETCH_WAIT)
                .messages()
                .await
                .map_err(|e| nats_error("fetch")(e.to_string()))?;
            // Messages already delivered are kept when a later one fails:
            // dropping them would leave them unacknowledged until the
            // server's acknowledgement wait runs out.
            let mut messages = Vec::new();
            while let Some(message) = batch.next().await {
                match message {
                    Ok(message) => messages.push(message),
                    Err(e) if messages.is_empty() => {
                        return Err(nats_error("fetch")(e.to_string()))
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "fetch ended early; keeping what came");
                        break;
                    }
                }
            }
            Ok::<_, NodeError>(messages)
        })?;
        let mut redelivered = Vec::new();
        {
            let mut buffer = self.buffer();
            for message in fetched {
                let sequence = message
                    .info()
                    .map_err(|e| nats_error("message")(e.to_string()))?
                    .stream_sequence;
                if sequence < position {
                    // Applied before a crash, its acknowledgement lost.
                    redelivered.push(message);
                } else {
                    buffer.insert(sequence, message);
                }
            }
        }
        for message in redelivered {
            self.acknowledge(message);
        }
        Ok(self.buffer().get(&position).map(entry_of))
    }

    fn applied(&self, position: u64) {
        let done: Vec<jetstream::Message> = {
            let mut buffer = self.buffer();
            let later = buffer.split_off(&position.saturating_add(1));
            std::mem::replace(&mut *buffer, later)
                .into_values()
                .collect()
        };
        for message in done {
            self.acknowledge(message);
        }
    }
}

impl NatsSource {
    /// Acknowledges, waiting for the server to confirm; a failure only
    /// means a redelivery, which the ledger's position turns away.
    fn acknowledge(&self, message: jetstream::Message) {
        if let Err(error) = self.connection.block_on(message.double_ack()) {
            tracing::warn!(%error, "acknowledgement not confirmed; the message may come again");
        }
    }
}
