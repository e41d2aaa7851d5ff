//! `bulkhead stream ls | tail | show` read a stream without following
//! it, on a directory log and on NATS: one line per entry (position,
//! kind, size, a short digest, a bundle's segment, sequence range and
//! epoch), one JSON object per line with --json, an entry decoded in
//! full by `show`; a garbage entry is listed as garbage, not a crash;
//! `tail -f` prints new entries until SIGTERM.

mod nats;
mod service;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use bulkhead_node::stream::{DirLog, EntryDigest};
use bulkhead_testkit::chain::{bundles, item, tick, EPOCH};
use bulkhead_verifier::gate::StreamItem;
use nats::*;
use service::*;

fn stream(spec: &str, args: &[&str]) -> Output {
    bulkhead()
        .args(["stream", "--stream", spec])
        .args(args)
        .output()
        .unwrap()
}

fn stdout_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A log of a tick, a bundle, garbage and another tick.
fn sample_log(dir: &Path) -> (DirLog, StreamItem) {
    let log = DirLog::new(dir);
    let bundle = item(&bundles()[0]);
    log.append(&tick(EPOCH), 1).unwrap();
    log.append(&bundle, 2).unwrap();
    std::fs::write(log.path(3), b"{\"type\": \"nonsense\"}").unwrap();
    log.append(&tick(EPOCH + 1), 4).unwrap();
    (log, bundle)
}

#[test]
fn ls_show_and_tail_read_a_directory_log_garbage_included() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, bundle) = sample_log(&tmp.path().join("s"));
    let spec = log.dir().to_str().unwrap();
    let b = &bundles()[0];

    let text = stdout_of(&stream(spec, &["ls"]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    let tick_bytes = std::fs::read(log.path(1)).unwrap();
    assert!(
        lines[0].split_whitespace().collect::<Vec<_>>()[..2] == ["1", "tick"],
        "{text}"
    );
    assert!(
        lines[0].contains(&format!("{} B", tick_bytes.len())),
        "{text}"
    );
    assert!(
        lines[0].contains(&EntryDigest::of_bytes(&tick_bytes).short()),
        "{text}"
    );
    assert!(lines[0].ends_with(&format!("epoch {EPOCH}")), "{text}");
    let last_seq = b.instance.first_seq + b.instance.exit_count - 1;
    assert!(
        lines[1].contains("bundle")
            && lines[1].contains(&format!("segment {}", b.instance.src))
            && lines[1].contains(&format!("seq {}..{last_seq}", b.instance.first_seq))
            && lines[1].contains(&format!("epoch {}", b.instance.epoch)),
        "{text}"
    );
    assert!(
        lines[2].contains("garbage") && lines[2].contains("not a stream item"),
        "{text}"
    );
    assert!(
        lines[3].ends_with(&format!("epoch {}", EPOCH + 1)),
        "{text}"
    );

    let json = stdout_of(&stream(
        spec,
        &["ls", "--from", "2", "--limit", "2", "--json"],
    ));
    let objects: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 2, "{json}");
    assert_eq!(objects[0]["position"], "2");
    assert_eq!(objects[0]["kind"], "bundle");
    assert_eq!(objects[0]["segment"], b.instance.src.to_string());
    let StreamItem::Bundle(bytes) = &bundle else {
        unreachable!()
    };
    assert_eq!(objects[0]["size"], bytes.len().to_string());
    assert_eq!(objects[0]["digest"], EntryDigest::of_bytes(bytes).to_hex());
    assert_eq!(objects[1]["kind"], "garbage");

    let shown: serde_json::Value =
        serde_json::from_str(&stdout_of(&stream(spec, &["show", "2"]))).unwrap();
    assert_eq!(shown["kind"], "bundle");
    let header = &shown["item"];
    assert_eq!(header["instance"]["src"], b.instance.src.to_string());
    assert_eq!(
        header["instance"]["exit_count"],
        b.instance.exit_count.to_string()
    );
    assert_eq!(header["proof_length"], b.proof.len().to_string());
    assert_eq!(header["exits"].as_array().unwrap().len(), b.exits.len());
    assert_eq!(header["exits"][0]["amount"], b.exits[0].amount.to_string());
    assert!(header.get("proof").is_none(), "no proof bytes");
    let tick_shown: serde_json::Value =
        serde_json::from_str(&stdout_of(&stream(spec, &["show", "1"]))).unwrap();
    assert_eq!(tick_shown["item"]["type"], "tick");
    assert_eq!(tick_shown["item"]["epoch"], EPOCH.to_string());
    let garbage: serde_json::Value =
        serde_json::from_str(&stdout_of(&stream(spec, &["show", "3"]))).unwrap();
    assert_eq!(garbage["item"]["bytes"]["text"], "{\"type\": \"nonsense\"}");

    let missing = stream(spec, &["show", "9"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("last position is 4"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );

    let tail = stdout_of(&stream(spec, &["tail", "-n", "2"]));
    let tail: Vec<&str> = tail.lines().collect();
    assert_eq!(tail.len(), 2);
    assert!(tail[0].trim_start().starts_with("3 ") && tail[1].trim_start().starts_with("4 "));
}

#[test]
fn tail_follow_prints_new_entries_until_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let log = DirLog::new(tmp.path().join("s"));
    log.append(&tick(EPOCH), 1).unwrap();
    let mut child = bulkhead()
        .args(["stream", "--stream", log.dir().to_str().unwrap()])
        .args(["tail", "-f", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["position"], "1");
    log.append(&tick(EPOCH + 1), 2).unwrap();
    let second: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(second["position"], "2");
    assert_eq!(second["epoch"], (EPOCH + 1).to_string());
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "a clean end on SIGTERM: {status}");
}

#[test]
fn ls_and_show_read_nats_as_a_gate_may() {
    let tmp = tempfile::tempdir().unwrap();
    let nats = NatsServer::with_stream(&tmp.path().join("nats-store"));
    append_tick(tmp.path(), &nats.url, EPOCH);
    append_tick(tmp.path(), &nats.url, EPOCH + 1);
    for user in ["admin", "gate-1"] {
        let text = String::from_utf8(stream_as(user, &nats.url, &["ls", "--json"]).stdout).unwrap();
        let objects: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(objects.len(), 2, "{user}: {text}");
        assert_eq!(objects[1]["kind"], "tick");
        assert_eq!(objects[1]["subject"], "bulkhead.stream.tick");
        assert_eq!(objects[1]["epoch"], (EPOCH + 1).to_string());
    }
    let shown = stream_as("gate-1", &nats.url, &["show", "1"]);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["item"]["epoch"], EPOCH.to_string());
    let tail =
        String::from_utf8(stream_as("admin", &nats.url, &["tail", "-n", "1"]).stdout).unwrap();
    assert_eq!(tail.lines().count(), 1);
    assert!(tail.trim_start().starts_with("2 "), "{tail}");

    // Garbage on NATS: a payload that is not the kind its subject names.
    let mut wire = Wire::connect(&nats.url, "admin");
    assert!(matches!(
        wire.request("bulkhead.stream.bundle", &serde_json::json!("not a bundle")),
        Answer::Reply(_)
    ));
    let text =
        String::from_utf8(stream_as("admin", &nats.url, &["ls", "--from", "3"]).stdout).unwrap();
    assert!(
        text.contains("garbage") && text.contains("not a bundle on the bundle subject"),
        "{text}"
    );

    // A user without the stream's read rights is told so.
    let refused = stream_as("validator", &nats.url, &["ls"]);
    assert!(!refused.status.success());
}
