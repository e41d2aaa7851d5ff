//! What can go wrong in a node: the state directory, its lock, the ledger
//! database, keys, and the stream.

mod corrupt;
mod stream;
mod usage;

use std::path::PathBuf;

use bulkhead_verifier::gate::GateError;
use thiserror::Error;

pub use corrupt::CorruptError;
pub use stream::{ClientError, StreamError};
pub use usage::UsageError;

/// Why a node operation failed. A refused item is not an error (see
/// [`crate::ledger::Verdict`]); these are the operator's problems.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NodeError {
    /// No gate in this directory yet.
    #[error("{}: no gate here; create one with `bulkhead gate --state {} init --config FILE`", dir.display(), dir.display())]
    NoGate {
        /// The state directory.
        dir: PathBuf,
    },
    /// The directory already holds a gate.
    #[error("{}: already holds a gate", dir.display())]
    GateExists {
        /// The state directory.
        dir: PathBuf,
    },
    /// Another process holds the state directory's write lock.
    #[error("{}: held by another bulkhead process (pid {}); one writer at a time", dir.display(), pid.map_or_else(|| "unknown".to_string(), |p| p.to_string()))]
    Locked {
        /// The state directory.
        dir: PathBuf,
        /// The holder's pid, as it wrote it in the lock file.
        pid: Option<u32>,
    },
    /// A file or directory operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The ledger database failed.
    #[error("ledger: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A schema migration failed.
    #[error("schema migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// The ledger holds something this version cannot read (a newer
    /// schema, a value out of range, a corrupt row).
    #[error("ledger: {0}")]
    Corrupt(#[from] CorruptError),
    /// The gate's configuration or keys.
    #[error(transparent)]
    Gate(#[from] GateError),
    /// Parameters could not be loaded or built.
    #[error(transparent)]
    Prover(#[from] bulkhead_prover::ProverError),
    /// Verifying keys could not be derived.
    #[error(transparent)]
    Verifier(#[from] bulkhead_verifier::VerifyError),
    /// A commit failed and the state could not be read back: this process
    /// must stop (its memory may be ahead of the disk); a restart reads
    /// the committed state.
    #[error("ledger: a commit failed and the state could not be read back; restart the gate")]
    Poisoned,
    /// The relayer's engine has stopped (on an error it logged, or at
    /// shutdown): nothing more can be admitted.
    #[error("the relayer's engine has stopped")]
    Stopped,
    /// A thread the relayer needs ended (it panicked; its log says why).
    #[error("the relayer's {thread} thread ended")]
    ThreadEnded {
        /// The thread's name.
        thread: &'static str,
    },
    /// An item submitted directly to a gate that follows a stream: the
    /// stream alone orders its items, or this gate would part ways with
    /// every other gate.
    #[error("this gate follows a stream (applied position {position}): add the item to the stream instead")]
    Following {
        /// The last position applied.
        position: u64,
    },
    /// A stream item was offered out of position order.
    #[error("stream position {offered} offered, but {expected} is next")]
    OutOfOrder {
        /// The position offered.
        offered: u64,
        /// The position the ledger expects.
        expected: u64,
    },
    /// Listening beyond loopback without a token would let anyone make
    /// the gate spend CPU on submissions.
    #[error("listening on {listen} (not loopback) needs a write token: --token-file FILE or {token_env}")]
    Insecure {
        /// The address.
        listen: std::net::SocketAddr,
        /// The environment variable the service reads its token from.
        token_env: &'static str,
    },
    /// Options that make no sense.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The stream (NATS) could not be reached or used.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// A NATS consumer this follower must not use: unfit, held by another
    /// follower, or badly named.
    #[error(transparent)]
    Consumer(#[from] crate::stream::nats::ConsumerError),
    /// The state directory follows another stream than the one given:
    /// following or publishing to this one would mix two histories.
    #[error(transparent)]
    OtherStream(Box<crate::stream::binding::StreamMismatch>),
    /// A stream item could not be read.
    #[error("{}: {message}", path.display())]
    BadItem {
        /// The item's file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

impl NodeError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| NodeError::Io { path, source }
    }
}
