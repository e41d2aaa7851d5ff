//! The `bulkhead` binary end to end at a small shape: the demo, then its
//! stream checked with `bulkhead verify` and followed, as the demo wrote
//! it, by a fresh gate service.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use bulkhead_testkit::http;

// The TINY shape (D=4, S=4, L=2, N=2): proofs in about a second.
use bulkhead_testkit::chain::SHAPE_FLAGS as SMALL_SHAPE;

fn bulkhead(params: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulkhead"));
    command.arg("--params-dir").arg(params);
    command
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The demo's stream: each position's file, by its label in
/// `stream-labels.txt`, in order.
fn labelled_entries(out_dir: &Path) -> Vec<(String, PathBuf)> {
    let labels = std::fs::read_to_string(out_dir.join("stream-labels.txt")).unwrap();
    labels
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let (position, label) = line.split_once(' ').unwrap();
            assert_eq!(position, format!("{:010}", i + 1), "positions in order");
            let file = out_dir.join("stream").join(format!("{position}.item"));
            assert!(file.is_file(), "{} is in the log", file.display());
            (label.to_owned(), file)
        })
        .collect()
}

#[test]
fn demo_then_verify_and_a_fresh_gate_follows_its_stream() {
    let tmp = tempfile::tempdir().unwrap();
    let params = tmp.path().join("params");
    let out_dir = tmp.path().join("out");
    let out = bulkhead(&params)
        .arg("demo")
        .args(SMALL_SHAPE)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    let report = text(&out);
    assert!(out.status.success(), "demo failed:\n{report}");
    assert!(
        !report.contains("FAILED") && !report.contains("| NO"),
        "{report}"
    );
    for check in [
        // Every proof is accounted for: 6 + 3 + 2 + 1, and the round
        // trip's 3 (two hops and a batch from a stale boundary).
        "15 proofs in",
        "6 honest batches",
        "3 forged witnesses",
        "2 valid drains",
        "1 honest batch sent an epoch late",
        // A compromise accepted says why that is right.
        "attest a minted root — accepted by every gate, as it must be: 3 of segment 3's validators",
        "within segment 3's bound of 4000",
        "stopped by G4",
        "stopped by G2: replay",
        "stopped by G1: proof does not verify",
        "quarantined at every gate",
        "stopped by G6",
        // The round trip 1 → 2 → 3 → 1, its attacks, and conservation.
        "[ok] honest: s2 sends the",
        "[ok] honest: s3 sends the",
        "[ok] honest: s1 imports the",
        "no import alarm",
        "stopped by G7: replay",
        "stopped by G7: segment 3 is quarantined",
        "stopped by G2: boundary root does not match",
        "conservation of asset 1 at every gate (live collateral + in flight = genesis): holds",
        // Adaptive boundaries: a raise cancelled inside its timelock, a
        // cap cut at once, the automatic rule firing and cleared.
        "[ok] honest: guardians cancel the raise inside its timelock",
        "[ok] s2's cancelled raise — its cap is still",
        "[ok] honest: s1's validators cut its cap from",
        "stopped by G8: asset 1: window outflow 50 passes the effective cap 25 (halved)",
        "[ok] the automatic rule — fired in epoch",
        "[ok] honest: guardians clear the automatic halving",
    ] {
        assert!(report.contains(check), "missing {check:?} in\n{report}");
    }

    // `bulkhead verify`: an honest bundle is valid, a forged one is not.
    let entries = labelled_entries(&out_dir);
    let file_of = |label: &str| {
        let (_, file) = entries.iter().find(|(l, _)| l.contains(label)).unwrap();
        file.clone()
    };
    let (honest, forged) = (&file_of("s1-batch0"), &file_of("forged-lane"));
    assert_eq!(
        bulkhead(&params)
            .arg("verify")
            .arg(honest)
            .status()
            .unwrap()
            .code(),
        Some(0)
    );
    let refused = bulkhead(&params)
        .arg("verify")
        .arg(forged)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));

    // Corrupted, truncated and extended files: exit 1 with a reason.
    let bytes = std::fs::read(honest).unwrap();
    let mut corrupt = bytes.clone();
    corrupt[20] ^= 0x40;
    let mut extended = bytes.clone();
    extended.push(0);
    for (name, body) in [
        ("corrupt", corrupt),
        ("truncated", bytes[..bytes.len() - 10].to_vec()),
        ("extended", extended),
    ] {
        let path = tmp.path().join(format!("{name}.bundle"));
        std::fs::write(&path, body).unwrap();
        let out = bulkhead(&params).arg("verify").arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("refused"),
            "{name}"
        );
    }
    let missing = bulkhead(&params)
        .arg("verify")
        .arg(tmp.path().join("none"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));

    // A fresh gate for segment 1 follows the stream, as the demo left it,
    // to the demo's state: every item applied (the attacks refused), the
    // same ledger. A file copied in beside the entries is named in a
    // warning, and not applied.
    let stray = out_dir.join("stream").join("s1-batch0.bundle");
    std::fs::copy(honest, &stray).unwrap();
    let gate_dir = tmp.path().join("gate1");
    let init = bulkhead(&params)
        .args(["gate", "--state"])
        .arg(&gate_dir)
        .arg("init")
        .arg("--config")
        .arg(out_dir.join("gates/1/config.json"))
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", text(&init));
    let log_file = tmp.path().join("serve.log");
    let mut child = bulkhead(&params)
        .args(["gate", "--state"])
        .arg(&gate_dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--follow"])
        .arg(out_dir.join("stream"))
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_file).unwrap())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr: std::net::SocketAddr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{first:?}"))
        .parse()
        .unwrap();
    let length = entries.len().to_string();
    // A deadline only against a hang: the position is what is asserted.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let status = http::get(addr, "/v1/status").json();
        if status["stream_position"] == length.as_str() {
            break;
        }
        assert!(Instant::now() < deadline, "the follower stalled: {status}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert!(child.wait().unwrap().success());
    let log = std::fs::read_to_string(&log_file).unwrap();
    assert!(
        log.contains("s1-batch0.bundle") && log.contains("bulkhead stream --stream"),
        "the stray file is named with how to append it:\n{log}"
    );
    let export = |dir: &Path| -> serde_json::Value {
        let out = bulkhead(&params)
            .args(["gate", "--state"])
            .arg(dir)
            .args(["export", "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let demo_gate: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("gates/1/export.json")).unwrap())
            .unwrap();
    let followed = export(&gate_dir);
    assert!(
        followed["credits"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "the demo credits exits at gate 1"
    );
    assert_eq!(followed["position"], length.as_str());
    assert_eq!(
        followed, demo_gate,
        "following the demo's stream reproduces the demo gate's ledger"
    );

    // A second run into the same directory would append to a log no gate
    // state matches: refused before any proving.
    let again = bulkhead(&params)
        .arg("demo")
        .args(SMALL_SHAPE)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("already holds a stream"));

    let status = bulkhead(&params)
        .args(["gate", "--state"])
        .arg(&gate_dir)
        .args(["status", "--json"])
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let s3 = &status["sources"][2];
    assert_eq!(s3["segment"], "3");
    assert_eq!(s3["quarantined"], "Equivocation");
}

#[test]
fn invalid_shape_is_a_usage_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bulkhead(tmp.path())
        .args(["inspect", "--batch", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("batch size 3 is not a power of two"));
}

#[test]
fn inspect_json_reports_exact_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout.png");
    let out = bulkhead(tmp.path())
        .arg("inspect")
        .args(SMALL_SHAPE)
        .arg("--json")
        .arg("--layout")
        .arg(&layout)
        .output()
        .unwrap();
    assert!(out.status.success());
    let png = std::fs::read(&layout).unwrap();
    assert_eq!(png_size(&png), (1200, 1600));
    assert!(png.windows(3).any(|w| w == b"k=9"), "the title names k");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Unsigned integers are decimal strings (bulkhead_protocol::decimal).
    assert_eq!(report["k"], "9");
    assert_eq!(report["proof_bytes"], "6368");
    assert_eq!(report["instance_columns"], "1");
    assert_eq!(report["permutations"], "54");
    assert_eq!(report["rows_per_permutation"], "10");
}

/// The width and height of a PNG, after checking its framing: the
/// signature, IHDR first, and IEND (with its fixed CRC) last.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"),
        "not a PNG"
    );
    assert!(png.ends_with(b"\0\0\0\0IEND\xae\x42\x60\x82"), "no IEND");
    let word = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

#[test]
fn the_default_shapes_layout_is_a_small_png_drawn_the_same_each_time() {
    let tmp = tempfile::tempdir().unwrap();
    let files = [tmp.path().join("a.png"), tmp.path().join("b.png")];
    for file in &files {
        let out = bulkhead(tmp.path())
            .arg("inspect")
            .arg("--layout")
            .arg(file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    let png = std::fs::read(&files[0]).unwrap();
    assert_eq!(png_size(&png), (1200, 1600), "bounded whatever the shape");
    // The SVG it replaces was 36.7 MB at this shape.
    assert!(png.len() < 2 << 20, "{} bytes", png.len());
    assert_eq!(png, std::fs::read(&files[1]).unwrap(), "deterministic");
}

#[test]
fn bench_writes_records_csv_and_plot() {
    let tmp = tempfile::tempdir().unwrap();
    let (csv, plot) = (tmp.path().join("b.csv"), tmp.path().join("b.svg"));
    let out = bulkhead(&tmp.path().join("params"))
        .args([
            "bench",
            "--depths",
            "4",
            "--batches",
            "2",
            "--chips",
            "2",
            "--threads",
            "1",
        ])
        .args(["--runs", "1", "--json", "--csv"])
        .arg(&csv)
        .arg("--plot")
        .arg(&plot)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let records: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let record = &records[0];
    for key in [
        "depth",
        "batch",
        "chips",
        "threads",
        "k",
        "rows",
        "proof_bytes",
        "keygen_s",
        "prove_s",
        "verify_ms",
        "batch_verify_ms_per_proof",
        "exits_per_s",
        "peak_rss_mb",
        "msm_s",
    ] {
        assert!(record.get(key).is_some(), "record lacks {key}");
    }
    assert_eq!(record["proof_bytes"], "6368");
    assert!(record["prove_s"].as_f64().unwrap() > 0.0);
    // The Poseidon-only floor was proven (and verified) beside the point,
    // in no larger a domain.
    assert!(record["poseidon_floor_s"].as_f64().unwrap() > 0.0);
    let int = |key: &str| record[key].as_str().unwrap().parse::<u32>().unwrap();
    assert!(int("poseidon_floor_k") <= int("k"));
    assert!(record["prove_over_poseidon_floor"].as_f64().unwrap() > 0.0);
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert!(csv_text.starts_with("depth,") && csv_text.contains(",poseidon_floor_s,"));
    assert_eq!(csv_text.lines().count(), 2);
    assert!(std::fs::read_to_string(&plot).unwrap().starts_with("<svg"));
}
