//! The verifying keys of the TINY and default shapes, pinned as text.
//!
//! halo2's pinned description of a key (`vk.pinned()`: the domain, every
//! gate's polynomials, the lookups, the fixed and permutation commitments)
//! is what the verifier hashes into every transcript. Writing it out in
//! full, as orchard does, means a change to the circuit shows up in review
//! as a diff of what changed, not only as a new digest; the digest of the
//! same text is pinned beside it (circuit/tests/real.rs, docs/PROTOCOL.md).
//!
//! The files are regenerated on purpose, never by the test on its own:
//!
//! ```text
//! BULKHEAD_WRITE_PINNED=1 cargo test --release -p bulkhead-circuits --test pinned_keys
//! ```

use std::path::PathBuf;

use bulkhead_circuits::keys::{self, IpaParams};
use bulkhead_protocol::shape::CircuitShape;

/// Set to regenerate the pinned files instead of comparing with them.
const WRITE_VAR: &str = "BULKHEAD_WRITE_PINNED";

/// Derives the key of `shape` and compares its pinned description with
/// `tests/pinned/<file>`, or writes the file when [`WRITE_VAR`] is set.
fn check_pinned_key(shape: CircuitShape, file: &str) {
    let params = IpaParams::new(keys::k_for(shape).unwrap());
    let vk = keys::verifying_key(&params, shape).unwrap();
    let text = format!("{:#?}\n", vk.pinned());
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/pinned")
        .join(file);
    if std::env::var_os(WRITE_VAR).is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set {WRITE_VAR}=1 to write it)", path.display()))
        .replace("\r\n", "\n");
    if text != pinned {
        // The whole text is long; the first line that differs says where.
        let (line, (now, was)) = text
            .lines()
            .zip(pinned.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .unwrap_or((
                text.lines().count().min(pinned.lines().count()),
                ("<end>", "<end>"),
            ));
        panic!(
            "the verifying key differs from {} (line {}):\n  now: {now}\n  was: {was}\n\
             if the circuit changed on purpose, rerun with {WRITE_VAR}=1 and review the diff",
            path.display(),
            line + 1
        );
    }
}

#[test]
fn tiny_verifying_key_is_pinned() {
    check_pinned_key(CircuitShape::TINY, "tiny.vk.txt");
}

#[test]
fn default_verifying_key_is_pinned() {
    check_pinned_key(CircuitShape::DEFAULT, "default.vk.txt");
}
