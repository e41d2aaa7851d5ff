//! Options or set-ups that make no sense: the operator's mistakes, each
//! with what was given, so a caller can tell them apart without reading
//! the message.

use std::ops::RangeInclusive;
use std::path::PathBuf;

use bulkhead_protocol::shape::CircuitShape;
use bulkhead_protocol::snapshot::SnapshotError;
use thiserror::Error;

/// A usage mistake: a flag out of range, a stream address that is not
/// one, or a state directory set up for something else than what was
/// given.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum UsageError {
    /// A numeric flag outside its range.
    #[error("{flag} {value} is not in {}..={}", range.start(), range.end())]
    OutOfRange {
        /// The flag, e.g. `--queue`.
        flag: &'static str,
        /// The value given.
        value: u64,
        /// The values allowed.
        range: RangeInclusive<u64>,
    },
    /// `--max-queued-per-account` above `--max-queued` (or zero): the
    /// per-account cap is a share of the whole queue.
    #[error("--max-queued-per-account {value} is not in 1..={max_queued} (--max-queued)")]
    PerAccountCap {
        /// The per-account cap given.
        value: u64,
        /// The whole queue's cap.
        max_queued: u64,
    },
    /// A batch deadline longer than a day.
    #[error("--deadline-ms is more than a day: exits would wait that long")]
    DeadlineTooLong,
    /// The lock file was replaced under every attempt to take it.
    #[error("{}: the lock file keeps being replaced", path.display())]
    LockReplaced {
        /// The lock file.
        path: PathBuf,
    },
    /// A relayer directory set up for another segment or shape than the
    /// snapshot given.
    #[error(
        "{} relays segment {relayed} at another shape or id than the snapshot's (segment {given})",
        dir.display()
    )]
    OtherSegment {
        /// The relayer's state directory.
        dir: PathBuf,
        /// The segment it relays.
        relayed: u64,
        /// The snapshot's segment.
        given: u64,
    },
    /// A relayer directory set up for another shape than the keys given.
    #[error("{} relays shape {relayed:?}; keys for {given:?} given", dir.display())]
    OtherShape {
        /// The relayer's state directory.
        dir: PathBuf,
        /// The shape it relays.
        relayed: CircuitShape,
        /// The keys' shape.
        given: CircuitShape,
    },
    /// The gate configuration names another verifying key for the segment
    /// than this build derives for its shape.
    #[error(
        "the gate configuration registers segment {segment} with another verifying key than \
         this build's for its shape"
    )]
    OtherVerifyingKey {
        /// The segment.
        segment: u64,
    },
    /// The relayer's watcher, set up by an older build, follows only its
    /// own segment, so it cannot judge the segment's imports as every gate
    /// does (rule G7 reads the inflow from other segments' bundles).
    #[error(
        "{}: the relayer's watcher follows {followed} of the registry's {registered} sources \
         (set up by an older build): set the relayer up again in a new state directory once \
         its queue is empty",
        dir.display()
    )]
    WatcherOutdated {
        /// The relayer's state directory.
        dir: std::path::PathBuf,
        /// Sources the watcher follows.
        followed: usize,
        /// Sources the registry registers.
        registered: usize,
    },
    /// The gate configuration does not register the snapshot's segment.
    #[error("the gate configuration does not register segment {segment}")]
    Unregistered {
        /// The segment.
        segment: u64,
    },
    /// The segment snapshot given cannot be read as a state.
    #[error("the segment snapshot: {0}")]
    Snapshot(#[source] SnapshotError),
    /// The gate configuration registers the segment otherwise than the
    /// snapshot describes it.
    #[error(
        "the gate configuration registers segment {segment} with another {what} than the \
         snapshot's: the stream would refuse every bundle relayed from this snapshot"
    )]
    Registration {
        /// The segment.
        segment: u64,
        /// What differs, e.g. "circuit shape".
        what: &'static str,
    },
    /// A gate that accepted items directly asked to follow a stream from
    /// its start.
    #[error("this gate accepted items outside a stream; it cannot follow one from the start")]
    AcceptedOutsideStream,
    /// A stream argument that is neither a directory nor a NATS address.
    #[error("stream {spec:?}: expected a directory or nats://HOST:PORT")]
    StreamSpec {
        /// The argument given.
        spec: String,
    },
    /// A NATS address without the `nats://` scheme.
    #[error("{spec}: not a nats:// address")]
    NotNats {
        /// The address given.
        spec: String,
    },
    /// A NATS address with a path or no host.
    #[error("{spec}: expected nats://HOST:PORT")]
    NatsAddress {
        /// The address given.
        spec: String,
    },
    /// Credentials in a NATS address, where every user of the machine can
    /// read them.
    #[error(
        "put NATS credentials in $BULKHEAD_NATS_USER and $BULKHEAD_NATS_PASSWORD, \
         not in the address (command lines are visible to every user)"
    )]
    CredentialsInAddress,
    /// One of the NATS user and password set without the other.
    #[error("set both $BULKHEAD_NATS_USER and $BULKHEAD_NATS_PASSWORD, or neither")]
    HalfCredentials,
}

impl UsageError {
    /// A count flag (`usize`) outside `range`.
    pub fn count_out_of_range(
        flag: &'static str,
        value: usize,
        range: RangeInclusive<usize>,
    ) -> Self {
        let wide = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        UsageError::OutOfRange {
            flag,
            value: wide(value),
            range: wide(*range.start())..=wide(*range.end()),
        }
    }
}
