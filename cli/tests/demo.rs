//! The `bulkhead` binary end to end at a small shape.

use std::process::Command;

/// The TINY shape (D=4, S=4, L=2, N=2): proofs in about a second.
const SMALL_SHAPE: [&str; 8] = [
    "--depth",
    "4",
    "--silo-depth",
    "4",
    "--lanes-depth",
    "2",
    "--batch",
    "2",
];

fn bulkhead() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bulkhead"))
}

#[test]
fn demo_proves_verifies_and_stops_every_attack() {
    let dir = tempfile::tempdir().unwrap();
    let out = bulkhead()
        .arg("demo")
        .args(SMALL_SHAPE)
        .args(["--batches", "3", "--in-flight", "2", "--params-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches("[ok]").count(), 6, "{stdout}");
    assert!(!stdout.contains("FAILED"), "{stdout}");
    assert!(stdout.contains("exit_seq 6"), "{stdout}");
}

#[test]
fn invalid_shape_is_a_usage_error_not_a_panic() {
    let out = bulkhead()
        .args(["inspect", "--batch", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("batch size 3 is not a power of two"));
}

#[test]
fn inspect_json_reports_exact_sizes() {
    let out = bulkhead()
        .arg("inspect")
        .args(SMALL_SHAPE)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["k"], 11);
    assert_eq!(report["proof_bytes"], 5344);
    assert_eq!(report["instance_columns"], 1);
}
