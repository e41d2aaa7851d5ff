//! The relayer's watcher judges the stream as every gate does: it follows
//! every registered source, so the inflow into its segment, and with it
//! the segment's imports (rule G7) and boundary, are what every gate has.
//! A watcher that skipped other segments' bundles refused its own
//! segment's import and kept the old boundary while every gate moved on.

use bulkhead_node::relay::watch::{self, Watcher};
use bulkhead_node::stream::DirLog;
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_testkit::chain::*;
use bulkhead_testkit::gate::{import_on, STREAM_ID, VALIDATOR_THRESHOLD};
use bulkhead_verifier::gate::{Gate, StreamItem};

#[test]
fn the_watcher_follows_its_segments_import_as_every_gate_does() {
    let dir = tempfile::tempdir().unwrap();
    let segment = genesis().remove(&2).unwrap();
    let snapshot = Snapshot::from_state(&segment, SHAPE);
    let registry = config(2);
    watch::create(
        dir.path(),
        watch::watch_config(&registry, &snapshot).unwrap(),
        verifier_keys(),
    )
    .unwrap();
    let mut watcher = Watcher::open(dir.path(), 2, verifier_keys()).unwrap();
    // A gate of another segment, fed the same stream.
    let mut gate = Gate::new(config(1), vec![verifier_keys()]).unwrap();
    let log = DirLog::new(dir.path().join("stream"));
    let import = StreamItem::Import(import_on(
        STREAM_ID,
        SEED,
        2,
        1,
        segment.accounts_root(),
        bulkhead_protocol::hash::Fp::from(4242),
        1,
        30,
        VALIDATOR_THRESHOLD,
    ));
    for item in [tick(EPOCH), item(&bundles()[0]), import] {
        gate.process(&item).unwrap();
        log.append(&item, 1).unwrap();
    }
    while watcher.step(&log).unwrap() {}
    let followed = &gate.state().sources[&2];
    assert_ne!(followed.boundary(), segment.boundary_root());
    assert_eq!(watcher.view().boundary, followed.boundary());
    assert_eq!(watcher.view().position, 3);
}

#[test]
fn a_watcher_that_follows_fewer_sources_than_the_registry_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = Snapshot::from_state(&genesis().remove(&2).unwrap(), SHAPE);
    // As an older build set it up: the relayed segment alone.
    let mut alone = config(2);
    alone.sources.retain(|s| s.segment == 2);
    assert!(bulkhead_node::relay::init(dir.path(), &snapshot, &alone, verifier_keys()).unwrap());
    let refused =
        bulkhead_node::relay::init(dir.path(), &snapshot, &config(2), verifier_keys()).unwrap_err();
    assert!(
        matches!(
            refused,
            bulkhead_node::NodeError::Usage(bulkhead_node::error::UsageError::WatcherOutdated {
                followed: 1,
                registered: 2,
                ..
            })
        ),
        "{refused}"
    );
    assert!(refused.to_string().contains("set the relayer up again"));
}
