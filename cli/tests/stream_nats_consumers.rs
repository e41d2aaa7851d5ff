//! Followers' consumers on NATS, with a real nats-server and the example
//! permissions: no user touches another's consumer (the server refuses,
//! in its words); a gate refuses a durable made for something else,
//! naming the setting, and changes nothing; two gate directories of one
//! segment get their own consumers by default and both follow the whole
//! stream; a second gate on a running gate's consumer refuses to start,
//! saying it is in use, until the first is gone.

mod nats;
mod service;

use std::path::Path;
use std::time::Duration;

use bulkhead_node::ledger::{Depth, LedgerReader};
use bulkhead_node::stream::nats::NAME_FILE;
use bulkhead_testkit::chain::EPOCH;
use nats::*;
use serde_json::json;
use service::relay::wait_until;
use service::*;

/// The ledger's position and epoch (what following changes).
fn follow_state(dir: &Path) -> (u64, u64) {
    let (state, position) = LedgerReader::open(dir)
        .unwrap()
        .state(Depth::Summary)
        .unwrap();
    (position, state.epoch)
}

/// Starts `gate serve --follow URL EXTRA` as `user`.
fn start_as(dir: &Path, url: &str, user: &str, extra: &[&str]) -> Started {
    let env = role(user);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut args = vec!["--follow", url];
    args.extend_from_slice(extra);
    start(dir, &args, &env)
}

fn listening(started: Started) -> Service {
    match started {
        Started::Listening(service) => service,
        Started::Exited(code, stderr) => panic!("gate serve exited {code:?}: {stderr}"),
    }
}

fn refused(started: Started) -> String {
    match started {
        Started::Exited(code, stderr) => {
            assert_eq!(code, Some(2), "{stderr}");
            stderr
        }
        Started::Listening(service) => {
            service.kill();
            panic!("gate serve started")
        }
    }
}

fn at_the_end(dir: &Path, url: &str) {
    let last = last_position(url);
    wait_until(
        "gate at the end of the stream",
        Duration::from_secs(60),
        || follow_state(dir).0 == last,
    );
}

/// The names of process `pid`'s threads (Linux's `/proc/PID/task/*/comm`,
/// cut at 15 bytes).
fn thread_names(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|task| {
            let comm = task.ok()?.path().join("comm");
            Some(std::fs::read_to_string(comm).ok()?.trim().to_owned())
        })
        .collect()
}

/// How many threads of process `pid` are named `name`.
fn threads_named(pid: u32, name: &str) -> usize {
    thread_names(pid).iter().filter(|n| *n == name).count()
}

fn permission_violation(answer: Answer, subject: &str) {
    match answer {
        Answer::Refused(line) => assert!(
            line.contains(&format!(
                "Permissions Violation for Publish to \"{subject}\""
            )),
            "{subject}: {line}"
        ),
        Answer::Reply(reply) => panic!("{subject}: the server answered {reply}"),
    }
}

fn config_of(admin: &mut Wire, name: &str) -> serde_json::Value {
    match admin.request(
        &format!("$JS.API.CONSUMER.INFO.BULKHEAD.{name}"),
        &json!({}),
    ) {
        Answer::Reply(info) if info.get("error").is_none() => info["config"].clone(),
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn a_relayers_credential_cannot_touch_a_gates_consumer() {
    let tmp = tempfile::tempdir().unwrap();
    let nats = NatsServer::with_stream(&tmp.path().join("nats-store"));
    let mut admin = Wire::connect(&nats.url, "admin");
    let made = admin.request(
        "$JS.API.CONSUMER.CREATE.BULKHEAD.gate-2",
        &consumer_request("gate-2", json!({})),
    );
    assert!(
        matches!(&made, Answer::Reply(r) if r.get("error").is_none()),
        "{made:?}"
    );

    // Deleting, replacing (by name in the subject, with a filter token,
    // the older durable form, or by name in the body only), reading and
    // inspecting gate-2's consumer: all refused for the relayer, and for
    // another gate.
    let ticks_filtered_out = consumer_request(
        "gate-2",
        json!({"filter_subject": "bulkhead.stream.bundle"}),
    );
    for user in ["relayer-1", "gate-3"] {
        let mut other = Wire::connect(&nats.url, user);
        for (subject, body) in [
            ("$JS.API.CONSUMER.DELETE.BULKHEAD.gate-2", json!({})),
            (
                "$JS.API.CONSUMER.CREATE.BULKHEAD.gate-2",
                ticks_filtered_out.clone(),
            ),
            (
                "$JS.API.CONSUMER.CREATE.BULKHEAD.gate-2.bulkhead.stream.bundle",
                ticks_filtered_out.clone(),
            ),
            (
                "$JS.API.CONSUMER.DURABLE.CREATE.BULKHEAD.gate-2",
                ticks_filtered_out.clone(),
            ),
            (
                "$JS.API.CONSUMER.CREATE.BULKHEAD",
                ticks_filtered_out.clone(),
            ),
            (
                "$JS.API.CONSUMER.MSG.NEXT.BULKHEAD.gate-2",
                json!({"batch": 1}),
            ),
            ("$JS.API.CONSUMER.INFO.BULKHEAD.gate-2", json!({})),
            ("bulkhead.lease.gate-2.ask", json!("who")),
        ] {
            permission_violation(other.request(subject, &body), subject);
        }
        // Nor may it hold or overhear gate-2's lease.
        let subscribed = other.subscribe("bulkhead.lease.gate-2.ask");
        assert!(
            subscribed.as_deref().is_some_and(|line| line.contains(
                "Permissions Violation for Subscription to \"bulkhead.lease.gate-2.ask\""
            )),
            "{user}: {subscribed:?}"
        );
    }

    // While the relayer may make and delete its own.
    let mut relayer = Wire::connect(&nats.url, "relayer-1");
    for (subject, body) in [
        (
            "$JS.API.CONSUMER.CREATE.BULKHEAD.relay-1",
            consumer_request("relay-1", json!({})),
        ),
        ("$JS.API.CONSUMER.DELETE.BULKHEAD.relay-1", json!({})),
    ] {
        let answer = relayer.request(subject, &body);
        assert!(
            matches!(&answer, Answer::Reply(r) if r.get("error").is_none()),
            "{subject}: {answer:?}"
        );
    }

    // gate-2's consumer is as the administrator made it.
    let config = config_of(&mut admin, "gate-2");
    assert_eq!(config["durable_name"], "gate-2");
    assert!(config.get("filter_subject").is_none(), "{config}");

    // A gate started on a consumer its user may not touch is refused by
    // the server, and says so.
    let dir = tmp.path().join("gate");
    create_gate(&dir);
    let stderr = refused(start_as(
        &dir,
        &nats.url,
        "gate-2",
        &["--consumer", "gate-3"],
    ));
    assert!(
        stderr.contains("cannot hold its lease on bulkhead.lease.gate-3.ask")
            && stderr.contains(
                "Permissions Violation for Subscription to \"bulkhead.lease.gate-3.ask\""
            ),
        "{stderr}"
    );
}

#[test]
fn a_durable_made_for_something_else_is_refused_naming_the_setting() {
    let tmp = tempfile::tempdir().unwrap();
    let nats = NatsServer::with_stream(&tmp.path().join("nats-store"));
    append_tick(tmp.path(), &nats.url, EPOCH);
    let dir = tmp.path().join("gate");
    create_gate(&dir);
    let before = follow_state(&dir);

    // What a relayer could once do: gate-2 made again, without ticks.
    let mut admin = Wire::connect(&nats.url, "admin");
    for (name, changes) in [
        (
            "gate-2",
            json!({"filter_subject": "bulkhead.stream.bundle"}),
        ),
        (
            "odd",
            json!({"ack_policy": "none", "deliver_policy": "new"}),
        ),
    ] {
        let made = admin.request(
            &format!("$JS.API.CONSUMER.CREATE.BULKHEAD.{name}"),
            &consumer_request(name, changes),
        );
        assert!(
            matches!(&made, Answer::Reply(r) if r.get("error").is_none()),
            "{made:?}"
        );
    }

    let stderr = refused(start_as(
        &dir,
        &nats.url,
        "gate-2",
        &["--consumer", "gate-2"],
    ));
    assert!(
        stderr.contains(
            "NATS consumer gate-2 is not a follower's: filter subject is bulkhead.stream.bundle \
             (wanted none: every item of the stream); an administrator may delete it"
        ),
        "{stderr}"
    );
    let stderr = refused(start_as(&dir, &nats.url, "admin", &["--consumer", "odd"]));
    assert!(
        stderr.contains(
            "NATS consumer odd is not a follower's: ack policy is none (wanted explicit); \
             deliver policy is new (wanted all or by_start_sequence)"
        ),
        "{stderr}"
    );

    // Nothing changed: the ledger, the directory, the consumers.
    assert_eq!(follow_state(&dir), before);
    assert!(!dir.join(NAME_FILE).exists());
    assert_eq!(
        config_of(&mut admin, "gate-2")["filter_subject"],
        "bulkhead.stream.bundle"
    );
    assert_eq!(config_of(&mut admin, "odd")["ack_policy"], "none");
}

#[test]
fn two_gate_directories_of_one_segment_get_their_own_consumers() {
    let tmp = tempfile::tempdir().unwrap();
    let nats = NatsServer::with_stream(&tmp.path().join("nats-store"));
    append_tick(tmp.path(), &nats.url, EPOCH);
    append_tick(tmp.path(), &nats.url, EPOCH + 1);
    let dirs = [tmp.path().join("gate-a"), tmp.path().join("gate-b")];
    // The default names are not in the example's grants (they are drawn
    // per directory): the administrator runs these.
    let mut gates: Vec<Service> = dirs
        .iter()
        .map(|dir| {
            create_gate(dir);
            listening(start_as(dir, &nats.url, "admin", &[]))
        })
        .collect();
    let names: Vec<String> = dirs
        .iter()
        .map(|d| {
            std::fs::read_to_string(d.join(NAME_FILE))
                .unwrap()
                .trim()
                .to_owned()
        })
        .collect();
    assert!(names.iter().all(|n| n.starts_with("gate-2-")), "{names:?}");
    assert_ne!(names[0], names[1], "one consumer per directory");

    append_tick(tmp.path(), &nats.url, EPOCH + 2);
    for dir in &dirs {
        at_the_end(dir, &nats.url);
        assert_eq!(follow_state(dir), (3, EPOCH + 2), "the whole stream");
    }
    // One runtime per service: the stream's client runs on the gate's own
    // (a connection opened outside a service gets a runtime of its own,
    // whose thread is named "nats").
    for gate in &gates {
        assert_eq!(threads_named(gate.child.id(), "nats"), 0);
        let names = thread_names(gate.child.id());
        assert!(names.iter().any(|n| n.starts_with("tokio-rt")), "{names:?}");
    }
    let mut admin = Wire::connect(&nats.url, "admin");
    for name in &names {
        assert_eq!(config_of(&mut admin, name)["durable_name"], name.as_str());
    }

    // A restart keeps its name, and goes on from where it was.
    assert_eq!(gates.remove(0).terminate().code(), Some(0));
    let again = listening(start_as(&dirs[0], &nats.url, "admin", &[]));
    append_tick(tmp.path(), &nats.url, EPOCH + 3);
    at_the_end(&dirs[0], &nats.url);
    at_the_end(&dirs[1], &nats.url);
    assert_eq!(
        std::fs::read_to_string(dirs[0].join(NAME_FILE)).unwrap(),
        format!("{}\n", names[0])
    );
    for service in gates.into_iter().chain([again]) {
        assert_eq!(service.terminate().code(), Some(0));
    }
}

#[test]
fn a_second_gate_on_a_running_gates_consumer_refuses_to_start() {
    let tmp = tempfile::tempdir().unwrap();
    let nats = NatsServer::with_stream(&tmp.path().join("nats-store"));
    append_tick(tmp.path(), &nats.url, EPOCH);
    let dirs = [tmp.path().join("gate-a"), tmp.path().join("gate-b")];
    for dir in &dirs {
        create_gate(dir);
    }
    let consumer = ["--consumer", "gate-2"];
    let first = listening(start_as(&dirs[0], &nats.url, "gate-2", &consumer));
    at_the_end(&dirs[0], &nats.url);

    let stderr = refused(start_as(&dirs[1], &nats.url, "gate-2", &consumer));
    assert!(
        stderr.contains(&format!(
            "NATS consumer gate-2 is in use by another follower (pid {})",
            first.child.id()
        )),
        "{stderr}"
    );
    assert_eq!(follow_state(&dirs[1]).0, 0, "the second applied nothing");

    // The first was not disturbed: it follows on.
    append_tick(tmp.path(), &nats.url, EPOCH + 1);
    at_the_end(&dirs[0], &nats.url);
    assert_eq!(follow_state(&dirs[0]), (2, EPOCH + 1));

    // Once it is gone (killed: no goodbye), the consumer is free, and the
    // second follows the whole stream through it.
    first.kill();
    let second = listening(start_as(&dirs[1], &nats.url, "gate-2", &consumer));
    at_the_end(&dirs[1], &nats.url);
    assert_eq!(follow_state(&dirs[1]), (2, EPOCH + 1));
    assert_eq!(second.terminate().code(), Some(0));
}
