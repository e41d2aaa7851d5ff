//! Why a follower will not use a NATS consumer.

use thiserror::Error;

/// A consumer a follower refuses to use. Each is the operator's to settle
/// (an administrator's for a consumer made by hand); none is retried,
/// since retrying would not change it.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConsumerError {
    /// The name cannot be a durable consumer's (JetStream puts it in
    /// subjects, one token).
    #[error(
        "consumer name {name:?}: use letters, digits, '-' and '_' \
         (at most {max} characters: no dots, spaces or wildcards)",
        max = super::name::MAX_NAME
    )]
    BadName {
        /// The name given.
        name: String,
    },
    /// A durable of this name exists but was not made the way a follower
    /// needs (every item, each acknowledged): following it would skip
    /// items or stall at every restart. It is left as it is.
    #[error(
        "NATS consumer {consumer} is not a follower's: {}; an administrator may delete it \
         (`nats consumer rm {stream} {consumer}`), or give this follower another with --consumer",
        list(differences)
    )]
    Mismatch {
        /// The consumer.
        consumer: String,
        /// The stream it belongs to.
        stream: String,
        /// Each setting that differs.
        differences: Vec<Difference>,
    },
    /// Another live follower holds the consumer's lease: two followers on
    /// one consumer would each get part of the stream.
    #[error(
        "NATS consumer {consumer} is in use by another follower ({holder}); one follower \
         per consumer: stop that one, or give this one its own with --consumer"
    )]
    InUse {
        /// The consumer.
        consumer: String,
        /// What the holder says of itself.
        holder: String,
    },
    /// The lease could not be taken: no answer came to this follower's
    /// own question, so the server dropped its subscription or its
    /// question (most likely the user's permissions).
    #[error(
        "NATS consumer {consumer}: cannot hold its lease on {subject}{}; this user must be \
         allowed to publish and subscribe there, and to answer (allow_responses; see \
         examples/nats-server.conf)",
        refused.as_ref().map(|r| format!(" (the server refused: {r})")).unwrap_or_default()
    )]
    NoLease {
        /// The consumer.
        consumer: String,
        /// The lease's subject.
        subject: String,
        /// The server's permissions violation, if it said one.
        refused: Option<String>,
    },
}

/// One setting of an existing consumer that is not what a follower needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The setting, in words (`filter subject`, `ack policy`, ...).
    pub setting: &'static str,
    /// What the consumer has.
    pub found: String,
    /// What a follower needs.
    pub wanted: &'static str,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is {} (wanted {})",
            self.setting, self.found, self.wanted
        )
    }
}

fn list(differences: &[Difference]) -> String {
    differences
        .iter()
        .map(Difference::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
