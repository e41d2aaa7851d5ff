//! The engine's thread against the orders its feeders can answer in.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_testkit::chain::{SEED, SHAPE};
use bulkhead_testkit::gate::STREAM_ID;
use bulkhead_testkit::sample::{ASSET, EPOCH};
use bulkhead_testkit::signed::{exit_request_json, segment};
use tokio::sync::oneshot;

use super::{Actor, Command, Publication};
use crate::relay::engine::{BatchPolicy, Engine, ExitSubmission, StreamView};
use crate::relay::metrics::RelayMetrics;
use crate::relay::reader::RelayReader;
use crate::relay::store::{now_ms, RelayStore};

const SRC: u64 = 1;

/// An actor over a new relayer in `dir` with one batch proven (its bundle
/// carries no real proof: nothing here verifies it), and the publisher's
/// inbox.
fn actor_with_a_proven_batch(dir: &std::path::Path) -> (Actor, mpsc::Receiver<Publication>) {
    let state = segment(SEED, SRC, &SHAPE).unwrap();
    RelayStore::create(dir, &Snapshot::from_state(&state, SHAPE)).unwrap();
    let policy = BatchPolicy {
        deadline: Duration::ZERO,
        max_queued: 100,
        max_queued_per_account: 100,
    };
    let mut engine = Engine::open(dir, policy, STREAM_ID).unwrap();
    let json = exit_request_json(SEED, SRC, 2, ASSET, 0, 0, Fp::from(900), 10);
    let request: ExitSubmission = serde_json::from_value(json).unwrap();
    engine.submit(&request).unwrap();
    let view = view(0, false);
    assert_eq!(engine.form_batches(&view, now_ms()).unwrap(), 1);
    let job = engine.take_for_proving(1).pop().unwrap();
    let bundle = Bundle {
        shape: SHAPE,
        vk_digest: [0; 32],
        instance: job.planned.outcome.instance,
        proof: vec![0; 32],
        stream_id: STREAM_ID,
        exits: job.planned.exits.clone(),
    };
    let path = engine.bundle_path(job.id, job.planned.outcome.instance.first_seq);
    std::fs::write(&path, bundle.to_bytes()).unwrap();
    assert!(engine.finish_proof(job.id, &path).unwrap());
    let (publisher, inbox) = mpsc::channel();
    let reader = Arc::new(RelayReader::open(dir, engine.snapshot(&view)).unwrap());
    let actor = Actor {
        engine,
        view,
        reader,
        metrics: Arc::new(RelayMetrics::default()),
        publisher: Some(publisher),
        publishing: None,
        held_view: None,
        passes: true,
    };
    (actor, inbox)
}

/// The stream at `position`, quarantining the segment or not; nothing of
/// the segment taken.
fn view(position: u64, quarantined: bool) -> StreamView {
    StreamView {
        position,
        epoch: EPOCH,
        next_seq: 0,
        quarantined,
        boundary: Fp::zero(),
        height: 0,
        tip: None,
        governed_lanes: Default::default(),
        boundary_silos: Default::default(),
    }
}

/// The watcher's next view, and what it waits on.
fn watched(actor: &mut Actor, position: u64, quarantined: bool) -> oneshot::Receiver<()> {
    let (reconciled, done) = oneshot::channel();
    let view = view(position, quarantined);
    assert!(actor.handle(Command::View { view, reconciled }).unwrap());
    done
}

/// The publisher is slow: while its answer is on the way the watcher reads
/// the segment quarantined (the bundle refused at position 2) and then
/// released. Had the engine taken those views before it recorded the
/// publication, it would see its own bundle refused with no quarantine
/// and halt for good. It holds the watcher instead, records the
/// publication, learns the refusal under quarantine, and publishes the
/// bundle again after the release.
#[test]
fn the_watcher_never_runs_past_a_publication_not_yet_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (mut actor, publications) = actor_with_a_proven_batch(dir.path());
    actor.pass().unwrap();
    let handed = publications.try_recv().expect("handed to the publisher");
    assert_eq!(handed.id, 1);

    // The watcher, as `watch_loop` does: the quarantine at 1 and the
    // refused bundle at 2, then the release at 3, each view sent once the
    // one before it was answered.
    let mut at_two = watched(&mut actor, 2, true);
    let mut released = None;
    if at_two.try_recv().is_ok() {
        released = Some(watched(&mut actor, 3, false));
    }
    // Only now does the publisher answer.
    assert!(actor
        .handle(Command::Published {
            id: 1,
            position: 2,
            oldest_ms: now_ms(),
        })
        .unwrap());
    let mut released = match released {
        Some(released) => released,
        None => {
            assert_eq!(at_two.try_recv(), Ok(()), "answered with the publication");
            watched(&mut actor, 3, false)
        }
    };
    assert_eq!(released.try_recv(), Ok(()));
    actor.pass().unwrap();
    assert!(
        actor.engine.halted().is_none(),
        "{}",
        actor.engine.halted().unwrap()
    );
    let again = publications
        .try_recv()
        .expect("published again after the release");
    assert_eq!(again.id, 1);
}

/// A publisher that failed frees the watcher too, and the batch is handed
/// over again.
#[test]
fn a_failed_publication_frees_the_watcher_and_is_tried_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut actor, publications) = actor_with_a_proven_batch(dir.path());
    actor.pass().unwrap();
    assert_eq!(publications.try_recv().unwrap().id, 1);
    let mut waiting = watched(&mut actor, 1, false);
    assert!(waiting.try_recv().is_err());
    assert!(actor.handle(Command::NotPublished { id: 1 }).unwrap());
    assert_eq!(waiting.try_recv(), Ok(()));
    actor.pass().unwrap();
    assert_eq!(publications.try_recv().unwrap().id, 1);
}
