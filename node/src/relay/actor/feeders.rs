//! The threads that feed the engine: the watcher, the prover and the
//! publisher, started together with the engine ([`start_relay`]). Each
//! talks to the engine only through its channel, and tells it when it
//! ends ([`FeederEnded`]).

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

use bulkhead_prover::{write_atomically, ProverKeys};
use tokio::sync::oneshot;

use super::{Command, EngineHandle, EngineThread, Publication, IDLE, RETRY};
use crate::error::NodeError;
use crate::relay::engine::Engine;
use crate::relay::metrics::RelayMetrics;
use crate::relay::watch::Watcher;
use crate::stream::{StreamSink, StreamSource};

/// Starts the relayer's threads: the engine, the watcher following
/// `source`, the prover making `in_flight` proofs at a time on `threads`
/// threads, and the publisher appending to `sink`. They stop when the
/// engine does ([`EngineThread::stop`]).
pub fn start_relay(
    engine: Engine,
    watcher: Watcher,
    source: Box<dyn StreamSource>,
    sink: Box<dyn StreamSink>,
    prover: (Arc<ProverKeys>, usize, usize),
    metrics: Arc<RelayMetrics>,
) -> Result<(EngineHandle, EngineThread), NodeError> {
    let (publications, publisher_inbox) = mpsc::channel();
    let (handle, engine_thread) =
        EngineHandle::spawn(engine, watcher.view(), metrics, Some(publications), true)?;
    let spawn = |name: &'static str, work: Box<dyn FnOnce() + Send>| {
        let ended = FeederEnded {
            thread: name,
            commands: handle.commands.clone(),
        };
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _ended = ended;
                work()
            })
            .map(drop)
            .map_err(NodeError::io("relay thread"))
    };
    let commands = handle.commands.clone();
    spawn(
        "relay-watch",
        Box::new(move || watch_loop(watcher, &*source, &commands)),
    )?;
    let commands = handle.commands.clone();
    spawn(
        "relay-publish",
        Box::new(move || publish_loop(&*sink, &publisher_inbox, &commands)),
    )?;
    let (commands, metrics) = (handle.commands.clone(), handle.metrics.clone());
    let (keys, in_flight, threads) = prover;
    spawn(
        "relay-prover",
        Box::new(move || prove_loop(&keys, in_flight, threads, &metrics, &commands)),
    )?;
    Ok((handle, engine_thread))
}

/// Tells the engine when a feeding thread ends, however it ends (a panic
/// included): a relayer missing its watcher, prover or publisher would
/// go on taking requests it can never publish. A feeder ends on its own
/// only when the engine has stopped, and then nobody hears this.
struct FeederEnded {
    thread: &'static str,
    commands: Sender<Command>,
}

impl Drop for FeederEnded {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Failed(NodeError::ThreadEnded {
            thread: self.thread,
        }));
    }
}

/// Follows the stream one entry at a time, each view reconciled before
/// the next entry is read.
fn watch_loop(mut watcher: Watcher, source: &dyn StreamSource, commands: &Sender<Command>) {
    loop {
        let read = match watcher.step(source) {
            Ok(read) => read,
            Err(
                e @ (NodeError::Sql(_)
                | NodeError::Poisoned
                | NodeError::Corrupt(_)
                | NodeError::OtherStream(_)),
            ) => {
                let _ = commands.send(Command::Failed(e));
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the stream; retrying");
                std::thread::sleep(RETRY);
                continue;
            }
        };
        if !read {
            std::thread::sleep(IDLE);
            continue;
        }
        let (reconciled, done) = oneshot::channel();
        let view = watcher.view();
        if commands.send(Command::View { view, reconciled }).is_err()
            || done.blocking_recv().is_err()
        {
            // The engine stopped.
            return;
        }
    }
}

/// Publishes each bundle or import it is handed, in order, and reports
/// where it landed.
fn publish_loop(sink: &dyn StreamSink, inbox: &Receiver<Publication>, commands: &Sender<Command>) {
    for Publication {
        id,
        item,
        oldest_ms,
    } in inbox
    {
        let answer = match (sink.publish(&item), oldest_ms) {
            (Ok(position), Some(oldest_ms)) => Command::Published {
                id,
                position,
                oldest_ms,
            },
            (Ok(position), None) => Command::ImportPublished { id, position },
            (Err(e), _) => {
                tracing::warn!(id, error = %e, "cannot publish; retrying");
                std::thread::sleep(RETRY);
                Command::NotPublished { id }
            }
        };
        if commands.send(answer).is_err() {
            return;
        }
    }
}

/// Proves planned batches, `in_flight` at a time, writing each bundle
/// atomically as soon as its proof is made and reporting it.
fn prove_loop(
    keys: &ProverKeys,
    in_flight: usize,
    threads: usize,
    metrics: &RelayMetrics,
    commands: &Sender<Command>,
) {
    loop {
        let (reply, answer) = oneshot::channel();
        if commands
            .send(Command::TakeJobs {
                max: in_flight,
                reply,
            })
            .is_err()
        {
            return;
        }
        let Ok(jobs) = answer.blocking_recv() else {
            return;
        };
        if jobs.is_empty() {
            std::thread::sleep(IDLE);
            continue;
        }
        let outcomes: Vec<_> = jobs.iter().map(|(j, _)| j.outcome().clone()).collect();
        let started = Instant::now();
        let proven = keys.prove_run(&outcomes, in_flight, threads, |i, proof| {
            let (job, path) = &jobs[i];
            let bundle = keys.bundle(&job.planned, proof.to_vec());
            if let Err(e) = write_atomically(path, &bundle.to_bytes()) {
                tracing::error!(path = %path.display(), error = %e, "cannot write the bundle");
                return;
            }
            metrics.proven(job.planned.exits.len(), started.elapsed());
            let _ = commands.send(Command::Proven {
                id: job.id,
                path: path.clone(),
            });
        });
        if let Err(e) = proven {
            tracing::error!(error = %e, "proving failed; retrying");
            std::thread::sleep(RETRY);
        }
        // Any batch whose bundle was not recorded is proven again.
        let ids = jobs.iter().map(|(j, _)| j.id).collect();
        if commands.send(Command::Release(ids)).is_err() {
            return;
        }
    }
}
