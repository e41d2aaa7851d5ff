//! Observability that stock tools read (issue 20, item 7), against a
//! running gate service that follows a directory log and a running
//! relayer: each /metrics body passes `promtool check metrics`; the alert
//! rules pass `promtool check rules`; every metric the rules and the
//! Grafana dashboard name is one the services export; a refused stream
//! item is logged once, with its position and rule, and counted under that
//! rule (a repeated tick is `rule="tick"`, never `none`); an entry that is
//! not an item is counted and logged once; the position and lag gauges
//! and build_info are there; logs carry no colour codes when stderr is
//! not a terminal, and `--log-format json` writes one object a line.
//!
//! promtool comes from Debian's `prometheus` package, which `scripts/test`
//! installs: without it this test fails rather than skips.

mod service;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use bulkhead_node::stream::DirLog;
use bulkhead_testkit::chain::{tick, EPOCH};
use bulkhead_testkit::http;
use service::relay::{relay_world, wait_until};
use service::{bulkhead, create_gate, Service};

/// The repository's root (the CLI crate's parent).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs promtool with `args`, `input` on its stdin; its exit status and
/// output. Fails if promtool is not installed: scripts/test installs it.
fn promtool(args: &[&str], input: &[u8]) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is needed (Debian's prometheus package; scripts/test installs it)");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Spawns `command` (a service whose first stdout line is `listening on
/// ADDR`) with its stderr into the file `log`, at `RUST_LOG=rust_log`.
fn spawn_logging(mut command: Command, log: &Path, rust_log: &str) -> Service {
    command
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", rust_log)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap());
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = match lines.next() {
        Some(Ok(line)) => line,
        _ => panic!(
            "the service exited: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        ),
    };
    let addr: SocketAddr = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .parse()
        .unwrap();
    std::thread::spawn(move || lines.for_each(drop));
    Service { child, addr }
}

fn metrics(addr: SocketAddr) -> String {
    let answer = http::get(addr, "/metrics");
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.text()
}

/// The metric names an exposition declares (`# TYPE` lines), with a
/// histogram's `_bucket`, `_sum` and `_count` series.
fn exported(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if let (Some("#"), Some("TYPE"), Some(name), Some(kind)) =
            (words.next(), words.next(), words.next(), words.next())
        {
            names.insert(name.to_owned());
            if kind == "histogram" {
                for suffix in ["_bucket", "_sum", "_count"] {
                    names.insert(format!("{name}{suffix}"));
                }
            }
        }
    }
    names
}

/// Every `bulkhead_...` metric name `text` mentions.
fn named_in(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(found) = text[at..].find("bulkhead_") {
        let start = at + found;
        let end = start
            + bytes[start..]
                .iter()
                .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || **b == b'_')
                .count();
        names.insert(text[start..end].to_owned());
        at = end;
    }
    names
}

#[test]
fn live_metrics_rules_dashboard_and_logs_agree() {
    let tmp = tempfile::tempdir().unwrap();

    // A gate following a directory log: a tick, the same tick again
    // (refused: not the next epoch), an entry that is not an item.
    let gate_dir = tmp.path().join("gate");
    create_gate(&gate_dir);
    let stream = DirLog::new(tmp.path().join("stream"));
    stream.append(&tick(EPOCH), 1).unwrap();
    stream.append(&tick(EPOCH), 1).unwrap();
    std::fs::write(stream.path(3), br#"{"type": "nonsense"}"#).unwrap();
    let gate_log = tmp.path().join("gate.log");
    let stream_arg = stream.dir().to_str().unwrap().to_owned();
    let mut command = bulkhead();
    command
        .args(["--log-format", "json", "gate", "--state"])
        .arg(&gate_dir)
        .args(["serve", "--follow", &stream_arg])
        .env_remove("BULKHEAD_GATE_TOKEN");
    let gate = spawn_logging(command, &gate_log, "warn");
    wait_until(
        "the gate to apply its stream",
        Duration::from_secs(60),
        || {
            let text = metrics(gate.addr);
            text.contains("bulkhead_gate_stream_position 3\n")
                && text.contains("bulkhead_gate_stream_lag 0\n")
        },
    );
    let gate_metrics = metrics(gate.addr);

    // A relayer of segment 1, logging text at info.
    let relay_stream = tmp.path().join("relay-stream");
    let world = relay_world(tmp.path(), 1, relay_stream.to_str().unwrap());
    let mut command = bulkhead();
    command
        .args(["relay", "serve", "--segment"])
        .arg(&world.snapshot)
        .arg("--registry")
        .arg(&world.registry)
        .arg("--state")
        .arg(&world.state)
        .args(["--publish", &world.stream])
        .env_remove("BULKHEAD_RELAY_TOKEN");
    let relay_log = tmp.path().join("relay.log");
    let relayer = spawn_logging(command, &relay_log, "info");
    let relay_metrics = metrics(relayer.addr);

    // Both pass promtool's checks as they are served.
    for (service, text) in [("gate", &gate_metrics), ("relay", &relay_metrics)] {
        let (ok, said) = promtool(&["check", "metrics"], text.as_bytes());
        assert!(ok, "promtool check metrics ({service}):\n{said}\n{text}");
    }
    let rules = root().join("examples/prometheus/bulkhead-alerts.yml");
    let (ok, said) = promtool(&["check", "rules", rules.to_str().unwrap()], b"");
    assert!(ok, "promtool check rules:\n{said}");
    let config = root().join("examples/prometheus/prometheus.yml");
    let (ok, said) = promtool(&["check", "config", config.to_str().unwrap()], b"");
    assert!(ok, "promtool check config:\n{said}");

    // Every metric the rules and the dashboard name is served.
    let live: BTreeSet<String> = exported(&gate_metrics)
        .union(&exported(&relay_metrics))
        .cloned()
        .collect();
    let dashboard = root().join("examples/grafana/bulkhead.json");
    let dashboard_text = std::fs::read_to_string(&dashboard).unwrap();
    let board: serde_json::Value = serde_json::from_str(&dashboard_text).unwrap();
    assert!(board["panels"].as_array().is_some_and(|p| p.len() > 10));
    for (file, text) in [
        (
            "bulkhead-alerts.yml",
            std::fs::read_to_string(&rules).unwrap(),
        ),
        ("bulkhead.json", dashboard_text),
    ] {
        let named = named_in(&text);
        assert!(named.len() > 3, "{file} names no metric");
        let unknown: Vec<&String> = named.difference(&live).collect();
        assert!(
            unknown.is_empty(),
            "{file} names metrics no service exports: {unknown:?}"
        );
    }
    for alert in [
        "bulkhead_gate_source_quarantined",
        "bulkhead_gate_stream_lag",
        "bulkhead_gate_held_exits",
        "bulkhead_relay_halted",
    ] {
        assert!(named_in(&std::fs::read_to_string(&rules).unwrap()).contains(alert));
    }

    // The refusal counted under its rule, garbage counted, build info.
    assert!(
        gate_metrics.contains("bulkhead_gate_refusals_total{rule=\"tick\",reason=\"tick\"} 1\n"),
        "{gate_metrics}"
    );
    assert!(!gate_metrics.contains("rule=\"none\""), "{gate_metrics}");
    assert!(gate_metrics.contains("bulkhead_gate_stream_garbage_total 1\n"));
    let version = env!("CARGO_PKG_VERSION");
    for (service, text) in [("gate", &gate_metrics), ("relay", &relay_metrics)] {
        let info = format!("bulkhead_build_info{{service=\"{service}\",version=\"{version}\"");
        assert!(text.contains(&info), "{text}");
    }

    // The gate's log: JSON lines (beside the command's own progress
    // lines, which are not log events), the refusal and the garbage once
    // each.
    drop(gate);
    let log = std::fs::read_to_string(&gate_log).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    let refused: Vec<_> = lines
        .iter()
        .filter(|l| l["message"] == "stream item refused")
        .collect();
    assert_eq!(refused.len(), 1, "{log}");
    assert_eq!(refused[0]["level"], "WARN");
    let fields = &refused[0]["fields"];
    assert_eq!(
        (
            &fields["position"],
            &fields["kind"],
            &fields["rule"],
            &fields["label"]
        ),
        (
            &serde_json::json!("2"),
            &serde_json::json!("tick"),
            &serde_json::json!("tick"),
            &serde_json::json!("tick")
        ),
        "{log}"
    );
    assert!(fields["reason"].as_str().unwrap().contains("next epoch"));
    let garbage = lines
        .iter()
        .filter(|l| l["fields"]["position"] == "3" && l["level"] == "WARN")
        .count();
    assert_eq!(garbage, 1, "{log}");

    // The relayer's text log, into a file: plain, no colour codes.
    drop(relayer);
    let text = std::fs::read_to_string(&relay_log).unwrap();
    assert!(text.contains("relay service listening"), "{text}");
    assert!(text.contains(" INFO "), "{text}");
    assert!(!text.contains('\u{1b}'), "escape codes in a file: {text:?}");
}

#[test]
fn a_refused_submission_is_logged_once_with_its_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let gate_dir = tmp.path().join("gate");
    create_gate(&gate_dir);
    let mut command = bulkhead();
    command
        .args(["--log-format", "json", "gate", "--state"])
        .arg(&gate_dir)
        .arg("serve")
        .env_remove("BULKHEAD_GATE_TOKEN");
    let log = tmp.path().join("gate.log");
    let gate = spawn_logging(command, &log, "warn");
    let item = serde_json::to_vec(&tick(EPOCH).to_json().unwrap()).unwrap();
    let post = || http::post(gate.addr, "/v1/items", "application/json", "", &item);
    assert_eq!(post().status, 200);
    let again = post();
    assert_eq!(again.status, 422, "{}", again.text());
    assert!(metrics(gate.addr)
        .contains("bulkhead_gate_refusals_total{rule=\"tick\",reason=\"tick\"} 1\n"));
    drop(gate);
    let text = std::fs::read_to_string(&log).unwrap();
    let refused: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &serde_json::Value| l["message"] == "submitted item refused")
        .collect();
    assert_eq!(refused.len(), 1, "{text}");
    assert_eq!(refused[0]["fields"]["rule"], "tick", "{text}");
    assert_eq!(refused[0]["fields"]["kind"], "tick", "{text}");
    assert!(refused[0]["fields"].get("position").is_none(), "{text}");
}
