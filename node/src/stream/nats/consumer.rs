//! A follower's durable consumer: the configuration it makes, the check
//! of one it finds, and binding it.
//!
//! A consumer that exists is checked before it is used, since anyone who
//! could once create it may have made it differently: one that filters
//! out ticks, acknowledges nothing, starts at the newest message, sends
//! headers without payloads or gives up after a few deliveries would let
//! the follower skip items or wait forever at every restart. Such a
//! consumer is refused, naming each setting, and left for an
//! administrator; it is never deleted here, so a mistake in the check
//! cannot destroy someone's consumer. Where it merely starts elsewhere
//! (its state, not its kind) it is made again from the ledger.
//!
//! The check reads the server's JSON itself, not the client's typed
//! configuration: the client only knows the fields of the server
//! versions it was built for, and a setting it does not know (several
//! filter subjects, a priority policy) must still be seen.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, response::Response, ErrorCode};
use serde::Deserialize;

use super::{Connection, ConsumerError, Difference, STREAM};
use crate::error::NodeError;

/// Messages one fetch asks for.
pub(super) const FETCH: usize = 64;
/// How long a fetch waits for messages when there are none.
pub(super) const FETCH_WAIT: Duration = Duration::from_millis(200);
/// How long the server waits for an acknowledgement before delivering
/// again.
const ACK_WAIT: Duration = Duration::from_secs(30);

/// The consumer a follower whose ledger applied up to `applied` makes:
/// every subject of the stream, from the next position, each message
/// acknowledged explicitly.
fn wanted(name: &str, applied: u64) -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(name.to_owned()),
        deliver_policy: consumer::DeliverPolicy::ByStartSequence {
            start_sequence: applied.saturating_add(1),
        },
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: ACK_WAIT,
        max_ack_pending: 1024,
        ..Default::default()
    }
}

/// The parts of the server's consumer info the check reads; a field
/// missing from the JSON is the server's default.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Info {
    config: Config,
    ack_floor: Sequence,
    num_ack_pending: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Sequence {
    stream_seq: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Config {
    deliver_subject: Option<String>,
    filter_subject: Option<String>,
    filter_subjects: Option<Vec<String>>,
    ack_policy: Option<String>,
    deliver_policy: Option<String>,
    opt_start_seq: Option<u64>,
    headers_only: bool,
    max_deliver: Option<i64>,
    replay_policy: Option<String>,
    max_batch: Option<i64>,
    /// Nanoseconds.
    max_expires: Option<u64>,
    priority_policy: Option<String>,
}

impl Info {
    /// Every setting that makes this consumer unfit for a follower (empty
    /// when it is fit).
    pub(super) fn differences(&self) -> Vec<Difference> {
        let c = &self.config;
        let mut out = Vec::new();
        let mut differ = |setting, found: String, wanted| {
            out.push(Difference {
                setting,
                found,
                wanted,
            })
        };
        if let Some(subject) = c.deliver_subject.as_deref().filter(|s| !s.is_empty()) {
            differ("delivery", format!("push to {subject}"), "pull");
        }
        let filters: Vec<&str> = c
            .filter_subject
            .iter()
            .chain(c.filter_subjects.iter().flatten())
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        if !filters.is_empty() {
            differ(
                "filter subject",
                filters.join(", "),
                "none: every item of the stream",
            );
        }
        let ack = c.ack_policy.as_deref().unwrap_or("none");
        if ack != "explicit" {
            differ("ack policy", ack.to_owned(), "explicit");
        }
        let deliver = c.deliver_policy.as_deref().unwrap_or("all");
        if !matches!(deliver, "all" | "by_start_sequence") {
            differ(
                "deliver policy",
                deliver.to_owned(),
                "all or by_start_sequence",
            );
        }
        if c.headers_only {
            differ("headers only", "true".into(), "false");
        }
        if let Some(max) = c.max_deliver.filter(|m| *m > 0) {
            differ("max deliver", max.to_string(), "unlimited");
        }
        let replay = c.replay_policy.as_deref().unwrap_or("instant");
        if replay != "instant" {
            differ("replay policy", replay.to_owned(), "instant");
        }
        if let Some(max) = c.max_batch.filter(|m| *m > 0 && (*m as u64) < FETCH as u64) {
            differ("max batch", max.to_string(), "unlimited or at least 64");
        }
        if let Some(max) = c
            .max_expires
            .filter(|m| *m > 0 && u128::from(*m) < FETCH_WAIT.as_nanos())
        {
            differ(
                "max expires",
                format!("{max} ns"),
                "unlimited or at least 200 ms",
            );
        }
        let priority = c.priority_policy.as_deref().unwrap_or("none");
        if !matches!(priority, "" | "none") {
            differ("priority policy", priority.to_owned(), "none");
        }
        out
    }

    /// Whether the consumer's state disagrees with a ledger that applied
    /// up to `applied`: acknowledged past it, starting past its next
    /// position, or holding deliveries nobody will acknowledge (the lease
    /// says no other follower lives, so they are a dead process's).
    fn stale(&self, applied: u64) -> bool {
        let starts_past = self.config.deliver_policy.as_deref() == Some("by_start_sequence")
            && self.config.opt_start_seq.unwrap_or(0) > applied.saturating_add(1);
        self.ack_floor.stream_seq > applied || self.num_ack_pending > 0 || starts_past
    }
}

/// The consumer `name`'s info, or `None` if there is no such consumer.
async fn info(connection: &Connection, name: &str) -> Result<Option<Info>, NodeError> {
    let subject = format!("CONSUMER.INFO.{STREAM}.{name}");
    let response: Response<serde_json::Value> = connection
        .jetstream
        .request(subject, &serde_json::json!({}))
        .await
        .map_err(|e| connection.error("consumer info", Some(name.to_owned()), e))?;
    match response {
        Response::Err { error } if error.error_code() == ErrorCode::CONSUMER_NOT_FOUND => Ok(None),
        Response::Err { error } => Err(connection
            .error("consumer info", Some(name.to_owned()), error)
            .into()),
        Response::Ok(value) => serde_json::from_value(value).map(Some).map_err(|e| {
            connection
                .error("consumer info", Some(name.to_owned()), e)
                .into()
        }),
    }
}

/// Binds the durable `name` for a ledger that applied up to `applied`
/// (the caller holds its lease): made if missing, refused if unfit, made
/// again if its state disagrees with the ledger.
pub(super) async fn bind(
    connection: &Connection,
    stream: &jetstream::stream::Stream,
    name: &str,
    applied: u64,
) -> Result<consumer::PullConsumer, NodeError> {
    let create = || async {
        stream
            .create_consumer(wanted(name, applied))
            .await
            .map_err(|e| {
                connection
                    .error("create consumer", Some(name.to_owned()), e)
                    .into()
            })
    };
    let Some(found) = info(connection, name).await? else {
        tracing::info!(name, applied, "consumer made");
        return create().await;
    };
    let differences = found.differences();
    if !differences.is_empty() {
        return Err(ConsumerError::Mismatch {
            consumer: name.to_owned(),
            stream: STREAM.to_owned(),
            differences,
        }
        .into());
    }
    if found.stale(applied) {
        tracing::info!(
            name,
            applied,
            acked = found.ack_floor.stream_seq,
            pending = found.num_ack_pending,
            "consumer state disagrees with the ledger; made again from it"
        );
        stream
            .delete_consumer(name)
            .await
            .map_err(|e| connection.error("delete consumer", Some(name.to_owned()), e))?;
        return create().await;
    }
    stream.get_consumer(name).await.map_err(|e| {
        connection
            .error("consumer", Some(name.to_owned()), e)
            .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(config: serde_json::Value) -> Info {
        serde_json::from_value(serde_json::json!({
            "config": config, "ack_floor": {"stream_seq": 3}, "num_ack_pending": 0
        }))
        .unwrap()
    }

    /// What the server reports for the consumer [`wanted`] makes.
    fn made() -> serde_json::Value {
        serde_json::json!({
            "durable_name": "gate-2", "deliver_policy": "by_start_sequence",
            "opt_start_seq": 4, "ack_policy": "explicit", "ack_wait": 30_000_000_000u64,
            "max_deliver": -1, "replay_policy": "instant", "max_waiting": 512,
            "max_ack_pending": 1024, "num_replicas": 0
        })
    }

    fn with(changes: serde_json::Value) -> Info {
        let mut config = made();
        for (k, v) in changes.as_object().unwrap() {
            config[k] = v.clone();
        }
        info(config)
    }

    fn settings(info: &Info) -> Vec<&'static str> {
        info.differences().iter().map(|d| d.setting).collect()
    }

    #[test]
    fn the_consumer_a_follower_makes_is_fit() {
        assert!(info(made()).differences().is_empty());
        assert!(with(serde_json::json!({"deliver_policy": "all"}))
            .differences()
            .is_empty());
        assert!(!info(made()).stale(3));
    }

    #[test]
    fn a_filter_that_drops_ticks_is_named() {
        let found = with(serde_json::json!({"filter_subject": "bulkhead.stream.bundle"}));
        assert_eq!(
            found.differences(),
            vec![Difference {
                setting: "filter subject",
                found: "bulkhead.stream.bundle".into(),
                wanted: "none: every item of the stream",
            }]
        );
        let several = with(serde_json::json!({
            "filter_subjects": ["bulkhead.stream.bundle", "bulkhead.stream.attestation"]
        }));
        assert_eq!(settings(&several), ["filter subject"]);
    }

    #[test]
    fn each_unfit_setting_is_named() {
        for (change, setting) in [
            (serde_json::json!({"ack_policy": "none"}), "ack policy"),
            (serde_json::json!({"ack_policy": "all"}), "ack policy"),
            (
                serde_json::json!({"deliver_policy": "new"}),
                "deliver policy",
            ),
            (
                serde_json::json!({"deliver_policy": "last"}),
                "deliver policy",
            ),
            (serde_json::json!({"deliver_subject": "x.y"}), "delivery"),
            (serde_json::json!({"headers_only": true}), "headers only"),
            (serde_json::json!({"max_deliver": 3}), "max deliver"),
            (
                serde_json::json!({"replay_policy": "original"}),
                "replay policy",
            ),
            (serde_json::json!({"max_batch": 1}), "max batch"),
            (serde_json::json!({"max_expires": 1_000_000}), "max expires"),
            (
                serde_json::json!({"priority_policy": "pinned_client"}),
                "priority policy",
            ),
        ] {
            assert_eq!(settings(&with(change.clone())), [setting], "{change}");
        }
        let both = with(serde_json::json!({"ack_policy": "none", "deliver_policy": "new"}));
        assert_eq!(settings(&both), ["ack policy", "deliver policy"]);
    }

    #[test]
    fn state_past_the_ledger_is_stale() {
        assert!(info(made()).stale(2), "acknowledged past the ledger");
        assert!(
            with(serde_json::json!({"opt_start_seq": 9})).stale(5),
            "starts past it"
        );
        let mut pending = info(made());
        pending.num_ack_pending = 1;
        assert!(pending.stale(3), "a dead process's deliveries");
    }
}
