//! Reading the stream by sequence without a consumer: the stream's
//! message-get API (`$JS.API.STREAM.MSG.GET.BULKHEAD`), which leaves no
//! state on the server, so the tools that list the stream and the check
//! of a follower's first item never disturb a follower's consumer.

use async_nats::jetstream::stream::LastRawMessageErrorKind;

use super::{Connection, NatsAddress, STREAM};
use crate::error::NodeError;
use crate::stream::{RawEntry, StreamReader};

/// Reads the stream by sequence (the user needs the stream's info and
/// message-get subjects; see `examples/nats-server.conf`).
pub struct NatsReader {
    connection: Connection,
}

impl NatsReader {
    /// Connects.
    pub fn connect(address: &NatsAddress) -> Result<Self, NodeError> {
        Ok(Self {
            connection: Connection::open(address)?,
        })
    }
}

impl StreamReader for NatsReader {
    fn raw(&self, position: u64) -> Result<Option<RawEntry>, NodeError> {
        raw(&self.connection, position)
    }

    fn last(&self) -> Result<u64, NodeError> {
        last(&self.connection)
    }
}

/// The message at sequence `position` (from 1), or `None` past the end.
pub(super) fn raw(connection: &Connection, position: u64) -> Result<Option<RawEntry>, NodeError> {
    if position == 0 {
        return Ok(None);
    }
    connection.block_on(async {
        let stream = connection
            .jetstream
            .get_stream_no_info(STREAM)
            .await
            .map_err(|e| connection.error("stream", None, e))?;
        match stream.get_raw_message(position).await {
            Ok(message) => Ok(Some(RawEntry {
                position,
                subject: Some(message.subject.to_string()),
                bytes: message.payload.to_vec(),
            })),
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(connection
                .error("get message", Some(position.to_string()), e)
                .into()),
        }
    })
}

/// The stream's last sequence (0 while it is empty).
pub(super) fn last(connection: &Connection) -> Result<u64, NodeError> {
    connection.block_on(async {
        let mut stream = connection
            .jetstream
            .get_stream(STREAM)
            .await
            .map_err(|e| connection.error("stream", None, e))?;
        let info = stream
            .info()
            .await
            .map_err(|e| connection.error("stream info", None, e))?;
        Ok(info.state.last_sequence)
    })
}
