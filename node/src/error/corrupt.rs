//! What a ledger or relay store can hold that this build cannot read, or
//! that contradicts itself: each case with the rows it concerns, and the
//! parser's own error as its source where there is one.

use bulkhead_protocol::snapshot::SnapshotError;
use thiserror::Error;

/// A stored value this build cannot read, or stored rows that disagree
/// with each other or with the state they replay on. None is retried: the
/// store needs the operator.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CorruptError {
    /// A gate ledger of a schema version this build does not read: one
    /// from a newer build, or one from before version 2.
    #[error(
        "schema version {found}, this build reads {reads}: a ledger from a newer build is \
         not read by an older one, and a gate made before version 2 is not converted (its \
         stream's signed messages did not name the stream); create it again with \
         `gate init` from a configuration with a stream_id"
    )]
    LedgerSchema {
        /// The version found.
        found: String,
        /// The version this build reads.
        reads: usize,
    },
    /// A relay store of a schema version this build does not read.
    #[error("relay schema version {found}, this build reads {reads}")]
    RelaySchema {
        /// The version found.
        found: String,
        /// The version this build reads.
        reads: usize,
    },
    /// A column that could not be read.
    #[error("{what}: {source}")]
    Column {
        /// The value read.
        what: &'static str,
        /// The database's error.
        source: rusqlite::Error,
    },
    /// A JSON value that could not be read or written.
    #[error("{what}: {source}")]
    Json {
        /// The value.
        what: &'static str,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// A snapshot that does not describe a state.
    #[error("{what}: {source}")]
    Snapshot {
        /// Which snapshot.
        what: &'static str,
        /// Why it does not.
        source: SnapshotError,
    },
    /// A byte column of the wrong length.
    #[error("{what}: not {len} bytes")]
    Length {
        /// The value.
        what: &'static str,
        /// The length it must have.
        len: usize,
    },
    /// 32 bytes that are not a canonical field element.
    #[error("{what}: not a field element")]
    NotField {
        /// The value.
        what: &'static str,
    },
    /// A name column (a status, a cause) with a name this build does not
    /// know.
    #[error("{what} {found:?}")]
    UnknownName {
        /// The column, e.g. "batch status".
        what: &'static str,
        /// The text found.
        found: String,
    },
    /// A credited amount whose asset or amount is not a number.
    #[error("credited entry {asset:?}: {amount:?}")]
    CreditedEntry {
        /// The asset as stored.
        asset: String,
        /// The amount as stored.
        amount: String,
    },
    /// A stored flow that is not two decimal numbers with `imported <=
    /// inflow`.
    #[error("the flow into segment {segment} in asset {asset} is not two numbers with imported <= inflow")]
    Flow {
        /// The destination segment.
        segment: u64,
        /// The asset.
        asset: u64,
    },
    /// The ledger holds no configuration.
    #[error("no configuration")]
    NoConfiguration,
    /// A ledger written before the boundary mirror, in which a source has
    /// accepted bundles: its live silos were never recorded, and the flows
    /// imports are bounded by were never counted.
    #[error(
        "source {segment} accepted bundles before this ledger recorded boundary mirrors: its \
         live silos are unknown. Initialise a new ledger and follow the stream from its start"
    )]
    BeforeMirror {
        /// The source.
        segment: u64,
    },
    /// A source's stored live silos do not make a mirror, or make one whose
    /// root is not the stored boundary root.
    #[error("source {segment}: the stored silos do not hash to the stored boundary root")]
    MirrorRoot {
        /// The source.
        segment: u64,
    },
    /// The queue, applied in order on the planned state, is not one the
    /// relayer could have admitted.
    #[error("the queue does not apply on the planned state: {0}")]
    QueueStale(#[from] bulkhead_protocol::model::StaleQueue),
    /// The store holds an exit for an account and nonce the queue in
    /// memory does not.
    #[error("account {account} nonce {nonce} is already queued, but not in memory")]
    QueuedUnseen {
        /// The account.
        account: u64,
        /// The nonce.
        nonce: u64,
    },
    /// An exit to be batched that is not queued.
    #[error("exit {exit} is not queued; it cannot join batch {batch}")]
    NotQueued {
        /// The exit's queue id.
        exit: u64,
        /// The batch it was to join.
        batch: u64,
    },
    /// An exit that names a batch the store does not hold.
    #[error("exit {exit}: no batch {batch}")]
    MissingBatch {
        /// The exit's queue id.
        exit: u64,
        /// The batch it names.
        batch: u64,
    },
    /// A recorded batch that no longer plans on the state it was recorded
    /// on.
    #[error("batch {batch} no longer plans: {source}")]
    Replan {
        /// The batch.
        batch: u64,
        /// The planner's refusal.
        source: bulkhead_prover::ProverError,
    },
    /// A recorded batch that replays at another sequence number than the
    /// one it was recorded at.
    #[error("batch {batch} replays at sequence {replayed}, recorded at {recorded}")]
    Resequenced {
        /// The batch.
        batch: u64,
        /// Where it replays.
        replayed: u64,
        /// Where it was recorded.
        recorded: u64,
    },
    /// A confirmed batch the model refuses on replay.
    #[error("confirmed batch replay: {0}")]
    ConfirmedReplay(#[source] bulkhead_protocol::Error),
    /// A relayer's watcher that does not follow the relayer's segment.
    #[error("the watcher does not follow segment {segment}")]
    WatcherSegment {
        /// The segment.
        segment: u64,
    },
    /// A pending import whose parent is not where the replayed batches
    /// before it leave the segment.
    #[error("import {import} does not follow the batches recorded before it")]
    ImportReplay {
        /// The import.
        import: u64,
    },
}

impl CorruptError {
    /// A column read that failed, as a corrupt store.
    pub fn column(what: &'static str) -> impl Fn(rusqlite::Error) -> Self {
        move |source| CorruptError::Column { what, source }
    }

    /// A JSON value that failed to read or write, as a corrupt store.
    pub fn json(what: &'static str) -> impl Fn(serde_json::Error) -> Self {
        move |source| CorruptError::Json { what, source }
    }
}
