//! The inputs every wasm runtime is tested with, written to a directory so
//! that Node and the browser read the same bytes as the Rust host:
//!
//! - `params.bin`, `key.bin`, `shape.json`, `digest.txt`: the TINY key
//!   material, as `bulkhead keys` writes it (the same
//!   [`key_files`]);
//! - `cases/NAME.bundle`: real bundles and tampered copies
//!   ([`bulkhead_testkit::embedded::cases`]);
//! - `expected.json`: `{NAME: {"accepted", "code", "label"}}`, the native
//!   verifier's verdicts, which every runtime must reproduce.

use std::fs;
use std::path::Path;

use bulkhead_testkit::chain::{prover, verifier_keys, SHAPE};
use bulkhead_testkit::embedded::{cases, key_bytes, params_bytes};
use bulkhead_verifier::embedded::key_files;
use bulkhead_verifier::BundleVerifier;
use serde_json::{json, Map, Value};

/// Writes the fixtures into `dir` (created if missing).
pub fn write(dir: &Path) -> std::io::Result<()> {
    let params = params_bytes();
    let key = key_bytes();
    let digest = prover().vk_digest();
    fs::create_dir_all(dir.join("cases"))?;
    let files = key_files(&verifier_keys()).expect("the TINY key files are accepted");
    for (name, bytes) in files {
        fs::write(dir.join(name), bytes)?;
    }
    let native = BundleVerifier::with_key(&params, SHAPE, &key, digest)
        .expect("the test key is the registered key");
    let mut expected = Map::new();
    for (name, bytes) in cases() {
        fs::write(dir.join("cases").join(format!("{name}.bundle")), &bytes)?;
        expected.insert(name.to_string(), native_verdict(&native, &bytes));
    }
    fs::write(
        dir.join("expected.json"),
        serde_json::to_vec_pretty(&Value::Object(expected))?,
    )
}

/// The TINY shape as the JSON every runtime's `init` takes.
pub fn shape_json() -> String {
    serde_json::to_string(&SHAPE).expect("a shape serializes")
}

/// The native verifier's verdict: what each runtime must match.
pub fn native_verdict(verifier: &BundleVerifier, bytes: &[u8]) -> Value {
    match verifier.verify_bundle(bytes) {
        Ok(_) => json!({"accepted": true, "code": 0, "label": "accepted"}),
        Err(refusal) => json!({
            "accepted": false,
            "code": refusal.code(),
            "label": refusal.label(),
        }),
    }
}
