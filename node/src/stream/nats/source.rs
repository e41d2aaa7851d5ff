//! Following the stream through a durable pull consumer.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;

use super::consumer::{FETCH, FETCH_WAIT};
use super::{check_name, nats_error, Connection, NatsAddress, STREAM};
use crate::error::{NodeError, StreamError};
use crate::stream::{RawEntry, StreamEntry, StreamReader, StreamSource};

/// Follows the stream as a durable pull consumer.
pub struct NatsSource {
    connection: Connection,
    consumer: consumer::Consumer<consumer::pull::Config>,
    /// Fetched messages not yet applied, by stream sequence.
    buffer: Mutex<BTreeMap<u64, jetstream::Message>>,
}

impl NatsSource {
    /// Binds the durable consumer `name` for a follower whose ledger has
    /// applied everything up to `applied`. Takes the consumer's lease
    /// first (refused if another follower holds it), then makes the
    /// consumer (from `applied + 1`) if missing, refuses it if it exists
    /// but was made for something else, or makes it again if its state
    /// disagrees with the ledger (see the module).
    pub fn connect(address: &NatsAddress, name: &str, applied: u64) -> Result<Self, NodeError> {
        check_name(name)?;
        let connection = Connection::open(address)?;
        let consumer = connection.block_on(async {
            let stream = connection.jetstream.get_stream(STREAM).await.map_err(|e| {
                StreamError::NoStream {
                    url: address.url.clone(),
                    source: Box::new(e),
                    refused: connection.refused(),
                }
            })?;
            super::lease::take(&connection, name).await?;
            super::consumer::bind(&connection, &stream, name, applied).await
        })?;
        tracing::info!(name, applied, "following the NATS stream");
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
    super::entry_of(message.subject.as_str(), message.payload.to_vec())
}

impl StreamReader for NatsSource {
    fn raw(&self, position: u64) -> Result<Option<RawEntry>, NodeError> {
        super::reader::raw(&self.connection, position)
    }

    fn last(&self) -> Result<u64, NodeError> {
        super::reader::last(&self.connection)
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
                .map_err(nats_error("fetch"))?;
            // Messages already delivered are kept when a later one fails:
            // dropping them would leave them unacknowledged until the
            // server's acknowledgement wait runs out.
            let mut messages = Vec::new();
            while let Some(message) = batch.next().await {
                match message {
                    Ok(message) => messages.push(message),
                    Err(e) if messages.is_empty() => {
                        return Err(StreamError::nats("fetch")(e).into())
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
                    .map_err(StreamError::nats("message"))?
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
