//! The ledger keeps exactly the state the gate holds in memory: after
//! every item of a stream that touches every table (credits, the held
//! queue, inbound totals, roots, evidence, votes and rounds, the clock),
//! the state read back from SQLite equals the gate's, a refused item
//! writes nothing, a reopened ledger resumes where it stopped, and a
//! second writer is refused.

use bulkhead_node::ledger::{Depth, Ledger, LedgerReader, Verdict};
use bulkhead_node::NodeError;
use bulkhead_protocol::hash::Fp;
use bulkhead_testkit::chain::*;
use bulkhead_testkit::gate::attestation;
use bulkhead_verifier::gate::{Credit, Effect, GateConfig, GuardianScope, StreamItem};

fn keys(_: &GateConfig) -> Result<Option<Vec<bulkhead_verifier::VerifierKeys>>, NodeError> {
    Ok(Some(vec![verifier_keys()]))
}

/// A stream through every kind of row, with refusals in between.
fn mixed_stream() -> Vec<(StreamItem, bool)> {
    let b = bundles();
    let tip = b[1].instance.accounts_after;
    vec![
        (tick(EPOCH), true),
        (item(&b[0]), true),  // 10 credited, 20 held (limit 25)
        (item(&b[0]), false), // replay
        (vote(GuardianScope::Local, 2, true, 0, 0), true),
        (vote(GuardianScope::Local, 2, true, 0, 0), false), // same guardian
        (vote(GuardianScope::Local, 2, true, 0, 1), true),  // tripped
        (item(&b[1]), true),                                // all held
        (tick(EPOCH + 1), true),                            // nothing released: tripped
        (vote(GuardianScope::Local, 2, false, 1, 2), true),
        (vote(GuardianScope::Local, 2, false, 1, 0), true), // released: 20 credited
        (item(&b[2]), true),
        (tick(EPOCH + 3), false), // not the next epoch
        (tick(EPOCH + 2), true),  // releases the rest within the limit
        // Segment 1's validators attest the tip again at a new height
        // (a step), then fork it (equivocation: evidence, quarantine).
        (
            attestation(SEED, 1, 4, b[2].instance.accounts_after, tip, 3),
            true,
        ),
        (
            attestation(SEED, 1, 4, b[2].instance.accounts_after, Fp::from(99), 3),
            true,
        ),
        (
            attestation(SEED, 1, 4, b[2].instance.accounts_after, Fp::from(99), 3),
            false,
        ), // known evidence
        // New evidence against a source already quarantined: recorded.
        (
            attestation(SEED, 1, 4, b[2].instance.accounts_after, Fp::from(98), 3),
            true,
        ),
        (vote(GuardianScope::Stream, 1, false, 1, 0), true),
        // Stream guardians quarantine segment 2 by themselves.
        (vote(GuardianScope::Stream, 2, true, 0, 0), true),
        (vote(GuardianScope::Stream, 2, true, 0, 1), true),
    ]
}

fn config_with_limit() -> GateConfig {
    let mut config = config(2);
    config.inbound_limit = 25;
    config
}

#[test]
fn every_item_commits_exactly_what_the_gate_holds() {
    let dir = tempfile::tempdir().unwrap();
    Ledger::create(dir.path(), config_with_limit(), vec![verifier_keys()]).unwrap();
    let mut ledger = Ledger::open(dir.path(), keys).unwrap();
    let reader = LedgerReader::open(dir.path()).unwrap();
    let mut credited: Vec<Credit> = Vec::new();
    for (i, (item, should_accept)) in mixed_stream().into_iter().enumerate() {
        let before = reader.export().unwrap();
        let verdict = ledger.apply(&item, None).unwrap();
        match &verdict {
            Verdict::Accepted(effect) => {
                assert!(should_accept, "item {i} accepted: {effect:?}");
                match effect {
                    Effect::BundleAccepted { credited: c, .. }
                    | Effect::Tick { credited: c }
                    | Effect::LocalReleased { credited: c }
                    | Effect::Released { credited: c, .. } => credited.extend(c.iter().cloned()),
                    _ => {}
                }
            }
            Verdict::Refused(refusal) => {
                assert!(!should_accept, "item {i} refused: {refusal}");
                assert_eq!(
                    reader.export().unwrap(),
                    before,
                    "item {i}: a refusal wrote"
                );
            }
        }
        let (read_back, _) = reader.state(Depth::Full).unwrap();
        assert_eq!(
            &read_back,
            ledger.state(),
            "item {i}: ledger differs from memory"
        );
    }
    let page = reader.credits(None, 0, 1000).unwrap();
    let in_ledger: Vec<Credit> = page.credits.into_iter().map(|(_, c)| c).collect();
    assert_eq!(in_ledger, credited, "every credit once, in order");
    assert_eq!(ledger.state().credited_exits, credited.len() as u64);
    assert_eq!(
        credited.len() + ledger.state().held.len(),
        6,
        "every honest exit is credited or held (limit 25 per epoch)"
    );
    assert!(credited.len() >= 3, "{credited:?}");
    assert_eq!(ledger.state().sources[&1].evidence.len(), 2);
    assert!(ledger.state().sources[&2].quarantined.is_some());
    let state = ledger.state().clone();
    drop(ledger);
    let reopened = Ledger::open(dir.path(), keys).unwrap();
    assert_eq!(reopened.state(), &state, "reopening resumes the same state");

    // The same stream followed by position (refusals recorded as
    // positions) reaches the same state.
    let followed = tempfile::tempdir().unwrap();
    Ledger::create(followed.path(), config_with_limit(), vec![verifier_keys()]).unwrap();
    let mut follower = Ledger::open(followed.path(), keys).unwrap();
    let stream = mixed_stream();
    for (i, (item, _)) in stream.iter().enumerate() {
        follower.apply(item, Some(i as u64 + 1)).unwrap();
    }
    assert_eq!(follower.state(), &state);
    assert_eq!(follower.position(), stream.len() as u64);
    let (read_back, position) = LedgerReader::open(followed.path())
        .unwrap()
        .state(Depth::Full)
        .unwrap();
    assert_eq!((&read_back, position), (&state, stream.len() as u64));
}

#[test]
fn a_second_writer_is_refused_and_readers_still_read() {
    let dir = tempfile::tempdir().unwrap();
    Ledger::create(dir.path(), config(2), vec![verifier_keys()]).unwrap();
    let mut ledger = Ledger::open(dir.path(), |_| Ok(None)).unwrap();
    let second = Ledger::open(dir.path(), |_| panic!("no key work before the lock"));
    match second {
        Err(NodeError::Locked { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
        Err(other) => panic!("expected Locked, got {other}"),
        Ok(_) => panic!("two writers"),
    }
    assert!(matches!(
        ledger.apply(&tick(EPOCH), None).unwrap(),
        Verdict::Accepted(_)
    ));
    let (state, _) = LedgerReader::open(dir.path())
        .unwrap()
        .state(Depth::Summary)
        .unwrap();
    assert_eq!(state.epoch, EPOCH, "a reader sees the writer's commit");
}

#[test]
fn a_gate_without_keys_refuses_bundles_as_unjudged() {
    let dir = tempfile::tempdir().unwrap();
    Ledger::create(dir.path(), config(2), vec![verifier_keys()]).unwrap();
    let mut ledger = Ledger::open(dir.path(), |_| Ok(None)).unwrap();
    ledger.apply(&tick(EPOCH), None).unwrap();
    match ledger.apply(&item(&bundles()[0]), None).unwrap() {
        Verdict::Refused(r) => assert_eq!(r.label(), "no verifying keys"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn stream_positions_are_applied_in_order_once() {
    let dir = tempfile::tempdir().unwrap();
    Ledger::create(dir.path(), config(2), vec![verifier_keys()]).unwrap();
    let mut ledger = Ledger::open(dir.path(), keys).unwrap();
    assert!(matches!(
        ledger.apply(&tick(EPOCH), Some(2)),
        Err(NodeError::OutOfOrder {
            offered: 2,
            expected: 1
        })
    ));
    ledger.apply(&tick(EPOCH), Some(1)).unwrap();
    // A refused stream item still moves the position (and nothing else).
    assert!(matches!(
        ledger.apply(&tick(EPOCH), Some(2)).unwrap(),
        Verdict::Refused(_)
    ));
    ledger.skip(3).unwrap();
    drop(ledger);
    let ledger = Ledger::open(dir.path(), keys).unwrap();
    assert_eq!(ledger.position(), 3);
    assert_eq!(ledger.state().epoch, EPOCH);
}

#[test]
fn create_refuses_an_existing_gate_and_open_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    Ledger::create(dir.path(), config(2), vec![verifier_keys()]).unwrap();
    assert!(matches!(
        Ledger::create(dir.path(), config(2), vec![verifier_keys()]),
        Err(NodeError::GateExists { .. })
    ));
    let missing = dir.path().join("none");
    let error = Ledger::open(&missing, keys).err().expect("no gate there");
    assert!(error.to_string().contains("gate --state"), "{error}");
    assert!(!missing.exists(), "opening created nothing");
}

#[test]
fn a_failed_commit_leaves_memory_as_it_was_and_a_retry_credits_once() {
    let dir = tempfile::tempdir().unwrap();
    Ledger::create(dir.path(), config(2), vec![verifier_keys()]).unwrap();
    let mut ledger = Ledger::open(dir.path(), keys).unwrap();
    ledger.apply(&tick(EPOCH), None).unwrap();
    let before = ledger.state().clone();
    // Another connection makes every credit insert fail, as a full disk
    // or an I/O error would.
    let saboteur = rusqlite::Connection::open(bulkhead_node::ledger::db_path(dir.path())).unwrap();
    saboteur
        .execute_batch(
            "CREATE TRIGGER fail BEFORE INSERT ON credits BEGIN SELECT RAISE(ABORT, 'injected'); END;",
        )
        .unwrap();
    let failed = ledger.apply(&item(&bundles()[0]), None);
    assert!(matches!(failed, Err(NodeError::Sql(_))), "{failed:?}");
    assert_eq!(
        ledger.state(),
        &before,
        "memory did not run ahead of the disk"
    );
    saboteur.execute_batch("DROP TRIGGER fail;").unwrap();
    assert!(matches!(
        ledger.apply(&item(&bundles()[0]), None).unwrap(),
        Verdict::Accepted(_)
    ));
    let page = LedgerReader::open(dir.path())
        .unwrap()
        .credits(None, 0, 100)
        .unwrap();
    let seqs: Vec<u64> = page.credits.iter().map(|(_, c)| c.seq).collect();
    assert_eq!(seqs, [0, 1], "credited once, after the retry");
}

#[test]
fn a_gate_that_follows_a_stream_refuses_direct_items() {
    let dir = tempfile::tempdir().unwrap();
    Ledger::create(dir.path(), config(2), vec![verifier_keys()]).unwrap();
    let mut ledger = Ledger::open(dir.path(), keys).unwrap();
    ledger.apply(&tick(EPOCH), Some(1)).unwrap();
    assert!(matches!(
        ledger.apply(&item(&bundles()[0]), None),
        Err(NodeError::Following { position: 1 })
    ));
    assert_eq!(ledger.state().credited_exits, 0);
}

/// A source registered late carries the flows into it so far (rule G7
/// reads them, the bound and conservation count them): the ledger
/// stores them at creation, and a reopened ledger has them.
#[test]
fn flows_carried_by_a_late_registration_are_stored_at_creation() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(2);
    let carried = bulkhead_verifier::gate::RegisteredFlow {
        asset: 1,
        inflow: 30,
        imported: 10,
        deposited: 5,
        withdrawn: 2,
    };
    let source = config.sources.iter_mut().find(|s| s.segment == 2).unwrap();
    source.follow.flows = vec![carried];
    Ledger::create(dir.path(), config, vec![verifier_keys()]).unwrap();
    let reopened = Ledger::open(dir.path(), keys).unwrap();
    let flow = reopened.state().flow(2, 1);
    assert_eq!(
        (flow.inflow, flow.imported, flow.deposited, flow.withdrawn),
        (30, 10, 5, 2)
    );
}
