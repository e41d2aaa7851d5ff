//! A state directory is bound to the stream it follows (issue 20): a
//! gate's and a relayer's state record the stream the first time they
//! follow or publish to one (its kind, the NATS stream's name, the stream
//! id, the digest of its first entry), and a later start against another
//! stream is refused before anything is applied or published, saying
//! what was recorded, what was found, and what to do. The same stream is
//! accepted again after a restart.

mod nats;
mod service;

use std::path::Path;
use std::time::Duration;

use bulkhead_node::ledger::{Depth, Ledger, LedgerReader};
use bulkhead_node::stream::{DirLog, StreamIdentity, StreamKind, StreamReader};
use bulkhead_testkit::chain::{tick, EPOCH};
use nats::*;
use service::relay::*;
use service::*;

/// The gate's applied position (0 while it has none).
fn position(dir: &Path) -> u64 {
    LedgerReader::open(dir)
        .and_then(|r| r.state(Depth::Summary))
        .map_or(0, |(_, p)| p)
}

/// What the ledger in `dir` recorded of its stream (the service stopped).
fn recorded(dir: &Path) -> Option<StreamIdentity> {
    Ledger::open(dir, |_| Ok(None)).unwrap().stream().unwrap()
}

/// A directory log whose first entry is the tick into `epoch`.
fn log_starting_with(dir: &Path, epoch: u64) -> DirLog {
    let log = DirLog::new(dir);
    log.append(&tick(epoch), 1).unwrap();
    log
}

/// Starts `gate serve` that must be refused, and its stderr.
fn refused(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    match start(dir, args, env) {
        Started::Exited(code, stderr) => {
            assert_eq!(code, Some(2), "{stderr}");
            stderr
        }
        Started::Listening(_) => panic!("a gate bound to another stream started"),
    }
}

#[test]
fn a_gate_refuses_another_directory_log_and_follows_its_own_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let gate_dir = tmp.path().join("gate");
    create_gate(&gate_dir);
    let a = log_starting_with(&tmp.path().join("a"), EPOCH);
    let b = log_starting_with(&tmp.path().join("b"), EPOCH + 7);
    let (a_path, b_path) = (a.dir().to_str().unwrap(), b.dir().to_str().unwrap());

    assert_eq!(recorded(&gate_dir), None, "a fresh gate follows nothing");
    let service = serve(&gate_dir, &["--follow", a_path]);
    wait_until("the gate applies A's tick", Duration::from_secs(30), || {
        position(&gate_dir) == 1
    });
    assert!(service.terminate().success());
    let bound = recorded(&gate_dir).expect("bound on its first follow");
    assert_eq!(bound.kind, StreamKind::DirLog);
    assert_eq!(bound.nats_stream, None);
    assert!(bound.first.is_some(), "A's first entry recorded");

    let stderr = refused(&gate_dir, &["--follow", b_path], &[]);
    for words in [
        "this state follows a directory log",
        "another first entry",
        "new state directory",
        &bound.first.unwrap().short(),
    ] {
        assert!(stderr.contains(words), "{words:?} missing: {stderr}");
    }
    assert_eq!(position(&gate_dir), 1, "nothing of B applied");
    assert_eq!(recorded(&gate_dir), Some(bound.clone()), "the record stays");

    // A, moved elsewhere, is still A: its first entry, not its path.
    let moved = tmp.path().join("a-moved");
    std::fs::rename(a.dir(), &moved).unwrap();
    DirLog::new(&moved).append(&tick(EPOCH + 1), 2).unwrap();
    let service = serve(&gate_dir, &["--follow", moved.to_str().unwrap()]);
    wait_until("the gate goes on with A", Duration::from_secs(30), || {
        position(&gate_dir) == 2
    });
    assert!(service.terminate().success());
    assert_eq!(recorded(&gate_dir), Some(bound));
}

#[test]
fn a_gate_that_started_on_an_empty_stream_records_its_first_entry_before_applying_it() {
    let tmp = tempfile::tempdir().unwrap();
    let gate_dir = tmp.path().join("gate");
    create_gate(&gate_dir);
    let a = DirLog::new(tmp.path().join("a"));
    std::fs::create_dir_all(a.dir()).unwrap();
    let service = serve(&gate_dir, &["--follow", a.dir().to_str().unwrap()]);
    a.append(&tick(EPOCH), 1).unwrap();
    wait_until("the gate applies the tick", Duration::from_secs(30), || {
        position(&gate_dir) == 1
    });
    assert!(service.terminate().success());
    assert!(recorded(&gate_dir).unwrap().first.is_some());

    // An empty stream is not the one it applied an entry of.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let stderr = refused(&gate_dir, &["--follow", empty.to_str().unwrap()], &[]);
    assert!(stderr.contains("an empty stream"), "{stderr}");
}

#[test]
fn a_relayer_bound_to_a_directory_log_refuses_a_fresh_nats_stream() {
    // The README's walk-through as issue 20 found it: the directory
    // relayer's --state reused for NATS published into the fresh stream
    // and halted for good. Now it is refused before publishing anything.
    let tmp = tempfile::tempdir().unwrap();
    let dir_stream = tmp.path().join("stream");
    let tick_log = log_starting_with(&dir_stream, EPOCH);
    let mut world = relay_world(tmp.path(), 1, dir_stream.to_str().unwrap());
    let relayer = relay(&world);
    let watch = world.state.join("watch");
    wait_until(
        "the watcher applies the tick",
        Duration::from_secs(60),
        || position(&watch) == 1,
    );
    drop(relayer);
    assert_eq!(tick_log.last().unwrap(), 1);

    let nats = NatsServer::with_stream(&tmp.path().join("nats-store"));
    world.stream = nats.url.clone();
    world.env = role("relayer-1");
    match start_relay(&world, &[]) {
        Started::Exited(code, stderr) => {
            assert_eq!(code, Some(2), "{stderr}");
            for words in [
                "this state follows a directory log",
                "the stream given is NATS JetStream stream BULKHEAD",
                "another kind of stream",
                "relay serve --state NEW",
            ] {
                assert!(stderr.contains(words), "{words:?} missing: {stderr}");
            }
        }
        Started::Listening(_) => panic!("a relayer bound to a directory log started on NATS"),
    }
    assert_eq!(last_position(&nats.url), 0, "nothing published");

    // Another directory log, whose first entry differs: refused too.
    let other = log_starting_with(&tmp.path().join("other"), EPOCH + 3);
    world.stream = other.dir().to_str().unwrap().to_owned();
    world.env.clear();
    match start_relay(&world, &[]) {
        Started::Exited(_, stderr) => assert!(stderr.contains("another first entry"), "{stderr}"),
        Started::Listening(_) => panic!("a relayer bound to one log started on another"),
    }

    // Its own stream again: it runs.
    world.stream = dir_stream.to_str().unwrap().to_owned();
    drop(relay(&world));
}

#[test]
fn a_gate_bound_to_another_nats_stream_name_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let nats = NatsServer::with_stream(&tmp.path().join("nats-store"));
    append_tick(tmp.path(), &nats.url, EPOCH);
    let gate_dir = tmp.path().join("gate");
    create_gate(&gate_dir);
    // A state that followed a JetStream stream of another name (the same
    // first entry, so only the name differs).
    let found = {
        let mut ledger = Ledger::open(&gate_dir, |_| Ok(None)).unwrap();
        let spec =
            bulkhead_node::stream::StreamSpec::Nats(bulkhead_node::stream::nats::NatsAddress {
                url: nats.url.clone(),
                credentials: Some(("admin".into(), "admin-example".into())),
            });
        let found = spec.identify(ledger.state().config.stream_id).unwrap();
        assert!(found.first.is_some());
        let other = StreamIdentity {
            nats_stream: Some("BULKHEAD-OLD".into()),
            ..found.clone()
        };
        ledger.bind_stream(&other).unwrap();
        found
    };
    let env = role("gate-2");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let stderr = refused(
        &gate_dir,
        &["--follow", &nats.url, "--consumer", "gate-2"],
        &env,
    );
    for words in [
        "this state follows NATS JetStream stream BULKHEAD-OLD",
        "the stream given is NATS JetStream stream BULKHEAD,",
        "another JetStream stream",
    ] {
        assert!(stderr.contains(words), "{words:?} missing: {stderr}");
    }
    assert_eq!(position(&gate_dir), 0);

    // A fresh state follows it, and binds to it.
    let fresh = tmp.path().join("fresh");
    create_gate(&fresh);
    let service = match start(
        &fresh,
        &["--follow", &nats.url, "--consumer", "gate-2"],
        &env,
    ) {
        Started::Listening(service) => service,
        Started::Exited(code, stderr) => panic!("exited {code:?}: {stderr}"),
    };
    wait_until(
        "the fresh gate applies the tick",
        Duration::from_secs(30),
        || position(&fresh) == 1,
    );
    assert!(service.terminate().success());
    assert_eq!(recorded(&fresh), Some(found));
}
