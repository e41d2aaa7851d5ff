//! One follower per consumer: a lease held by a live subscription.
//!
//! JetStream (2.9, Debian's version) has no exclusive pull consumer, and
//! what a consumer's info shows of its users does not tell a live one
//! from a dead one: a follower between two fetches has no request
//! waiting, and a killed one's requests and unacknowledged deliveries
//! stay until they expire. Judging by them would either let a second
//! follower in beside a live one or keep a restarted gate out after a
//! crash. A core NATS subscription lives exactly as long as its
//! connection: the server drops it the moment its process dies (the
//! socket closes), or when a vanished machine misses its pings.
//!
//! So a follower holds `bulkhead.lease.CONSUMER.ask` by subscribing to
//! it and answering every question there with who it is. To take it, it
//! subscribes, waits until the server has the subscription, asks, and
//! listens for [`WINDOW`]: any answer but its own means the consumer is
//! in use; no answer of its own means the server dropped its
//! subscription or its question (permissions), and it does not start
//! either.
//!
//! Questions and answers stay under `bulkhead.lease.CONSUMER.>`, which
//! only the consumer's own user may use: answering on a reply inbox would
//! need `allow_responses`, and a user that reads `_INBOX.>` could then
//! answer (acknowledge) another follower's deliveries. Two followers taking the lease at once each hear the other
//! and both refuse: the server orders each one's subscription before its
//! question, so at least one of them hears the other.
//!
//! The limit: a holder cut off from the server longer than its pings
//! allow loses its subscription; if another follower takes the lease
//! meanwhile, both follow once the first reconnects, until one restarts.

use std::time::Duration;

use async_nats::Client;
use futures_util::StreamExt;

use super::{Connection, ConsumerError, LEASE_PREFIX};
use crate::error::{ClientError, NodeError};

/// How long a follower taking the lease listens for holders' answers.
/// Answers take a round trip to the server (milliseconds); the window is
/// generous for a busy holder.
const WINDOW: Duration = Duration::from_millis(500);

/// The subject where the lease on `consumer` is asked for.
pub(super) fn subject(consumer: &str) -> String {
    format!("{LEASE_PREFIX}.{consumer}.ask")
}

/// Takes the lease on `consumer` and keeps answering for it on the
/// connection's runtime, until the connection is dropped (the process
/// ends or the source goes).
pub(super) async fn take(connection: &Connection, consumer: &str) -> Result<(), NodeError> {
    let client = connection.jetstream.client();
    let subject = subject(consumer);
    let failed = |e: ClientError| connection.error("lease", Some(subject.clone()), e);
    let mut lease = client
        .subscribe(subject.clone())
        .await
        .map_err(|e| failed(Box::new(e)))?;
    // A fresh token of the client's unique inbox names.
    let unique = client
        .new_inbox()
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_owned();
    let inbox = format!("{LEASE_PREFIX}.{consumer}.answer.{unique}");
    let mut answers = client
        .subscribe(inbox.clone())
        .await
        .map_err(|e| failed(Box::new(e)))?;
    // The server has both subscriptions before anyone hears the question.
    client.flush().await.map_err(|e| failed(Box::new(e)))?;
    let me = format!("{unique} pid {}", std::process::id());
    client
        .publish_with_reply(subject.clone(), inbox, me.clone().into())
        .await
        .map_err(|e| failed(Box::new(e)))?;
    client.flush().await.map_err(|e| failed(Box::new(e)))?;

    let mut heard_myself = false;
    let deadline = tokio::time::sleep(WINDOW);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => break,
            // Questions on the lease, ours included: answered as a holder.
            Some(question) = lease.next() => answer(&client, question, &me).await,
            Some(reply) = answers.next() => {
                let said = String::from_utf8_lossy(&reply.payload).into_owned();
                if said == me {
                    heard_myself = true;
                } else {
                    let holder = said.split_once(' ').map_or(said.as_str(), |(_, who)| who);
                    return Err(ConsumerError::InUse {
                        consumer: consumer.to_owned(),
                        holder: holder.to_owned(),
                    }
                    .into());
                }
            }
        }
    }
    let _ = answers.unsubscribe().await;
    if !heard_myself {
        return Err(ConsumerError::NoLease {
            consumer: consumer.to_owned(),
            subject,
            refused: connection.refused(),
        }
        .into());
    }
    tracing::info!(consumer, "consumer lease taken");
    let holding = tokio::spawn(async move {
        while let Some(question) = lease.next().await {
            answer(&client, question, &me).await;
        }
    });
    // The runtime may be the service's, which outlives the connection:
    // the connection ends the task when it goes.
    connection.own_task(holding.abort_handle());
    Ok(())
}

/// Answers a question on the lease with who holds it.
async fn answer(client: &Client, question: async_nats::Message, me: &str) {
    if let Some(reply) = question.reply {
        if let Err(error) = client.publish(reply, me.to_owned().into()).await {
            tracing::warn!(%error, "lease question not answered");
        }
    }
}
