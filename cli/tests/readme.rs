//! The README is executable: every `sh` block of README.md runs here, in
//! order, in one shell, as a reader would paste them — from a scratch
//! directory holding a copy of `examples/`, with the built `bulkhead` on
//! the PATH (in place of `cargo install`). A block fenced as `sh norun`
//! is shown but not run (installing packages, the test command itself,
//! building the wasm module from the repository root); the test names
//! each one so none is skipped silently.
//!
//! The blocks start services (`&`) and stop them with SIGTERM; the ports
//! they name are swapped for free ones so that the test can run beside
//! others. The script runs under `set -euo pipefail`: a command that
//! fails fails the test, and what the blocks print is checked below where
//! it matters.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The ports the README's blocks use: each is replaced by a free one.
const README_PORTS: [u16; 6] = [4222, 8222, 7420, 7421, 7422, 7430];

/// How long the whole walk-through may take before it is stopped (it
/// takes about a minute at the tiny shape; this only bounds a hang).
const LIMIT_SECS: u32 = 900;

/// One fenced block of the README.
struct Block {
    /// The line of its opening fence, from 1.
    line: usize,
    /// Whether the fence says `norun`.
    norun: bool,
    /// The block's text, its indentation (inside a list item) removed.
    text: String,
}

/// The `sh` blocks of `markdown`, in order.
fn shell_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(Block, usize)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match open.take() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let words: Vec<&str> = info.split_whitespace().collect();
                    if words.first() == Some(&"sh") {
                        open = Some((
                            Block {
                                line: index + 1,
                                norun: words.contains(&"norun"),
                                text: String::new(),
                            },
                            indent,
                        ));
                    }
                }
            }
            Some((mut block, indent)) => {
                if trimmed.starts_with("```") {
                    blocks.push(block);
                } else {
                    block.text.push_str(line.get(indent..).unwrap_or(trimmed));
                    block.text.push('\n');
                    open = Some((block, indent));
                }
            }
        }
    }
    assert!(open.is_none(), "README.md ends inside a code block");
    blocks
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `text` with every whole-word occurrence of `from` replaced by `to`.
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        out.push_str(if is_word(before) || is_word(after) {
            from
        } else {
            to
        });
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

/// The script the runnable blocks make, each headed by its README line.
fn script(blocks: &[Block]) -> String {
    let mut script = String::from(
        "set -euo pipefail\n\
         set -x\n\
         stop_services() { kill $(jobs -p) 2>/dev/null || true; wait || true; }\n\
         trap stop_services EXIT\n\
         trap 'exit 143' TERM INT\n",
    );
    for block in blocks.iter().filter(|b| !b.norun) {
        script.push_str(&format!("# README.md line {}\n", block.line));
        script.push_str(&block.text);
    }
    for port in README_PORTS {
        assert!(
            script.contains(&port.to_string()),
            "port {port} is no longer in the README: update README_PORTS"
        );
        script = replace_word(&script, &port.to_string(), &free_port().to_string());
    }
    script
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Copies the directory `from` to `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The parts of `haystack`, in order; panics naming the first missing.
fn assert_in_order(haystack: &str, needles: &[&str]) {
    let mut rest = haystack;
    for needle in needles {
        match rest.find(needle) {
            Some(at) => rest = &rest[at + needle.len()..],
            None => panic!("the walk-through did not print {needle:?} where expected"),
        }
    }
}

#[test]
fn the_readme_blocks_parse_and_only_setup_is_left_out() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let blocks = shell_blocks(&readme);
    assert!(blocks.iter().filter(|b| !b.norun).count() >= 6);
    // What is shown but not run, and why: the newcomer's two commands
    // (the demo has its own test; the test command is this suite),
    // installing the binary and nats-server, and building the wasm
    // module for the web page (the wasm tests build it).
    let norun: Vec<&str> = blocks
        .iter()
        .filter(|b| b.norun)
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(norun.len(), 4, "{norun:#?}");
    assert!(norun[0].contains("scripts/test") && norun[0].contains("demo"));
    assert!(norun[1].contains("cargo install --path cli --locked"));
    assert!(norun[2].contains("apt-get install nats-server"));
    assert!(norun[3].contains("wasm/build.sh web"));
    for block in blocks.iter().filter(|b| !b.norun) {
        assert!(
            !block.text.contains("cargo run"),
            "README.md line {}: the walk-throughs call `bulkhead`",
            block.line
        );
    }
}

#[test]
fn replacing_a_port_leaves_longer_numbers_alone() {
    assert_eq!(
        replace_word("127.0.0.1:7420 -p 7420 17420 74201 a7420", "7420", "9"),
        "127.0.0.1:9 -p 9 17420 74201 a7420"
    );
}

#[test]
fn the_readme_walk_throughs_run_as_written() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let script = script(&shell_blocks(&readme));
    let tmp = tempfile::tempdir().unwrap();
    let walk = tmp.path().join("walk");
    copy_dir(&repo_root().join("examples"), &walk.join("examples"));
    std::fs::write(tmp.path().join("readme.sh"), &script).unwrap();

    let binary = PathBuf::from(env!("CARGO_BIN_EXE_bulkhead"));
    let path = format!(
        "{}:/usr/sbin:/usr/local/sbin:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = Command::new("timeout")
        .args(["-s", "TERM", &LIMIT_SECS.to_string(), "bash"])
        .arg(tmp.path().join("readme.sh"))
        .current_dir(&walk)
        .env("PATH", path)
        .env("BULKHEAD_PARAMS_DIR", tmp.path().join("params"))
        .env_remove("RUST_LOG")
        .env_remove("BULKHEAD_NATS_USER")
        .env_remove("BULKHEAD_NATS_PASSWORD")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "the README's blocks failed ({:?}); the trace ends:\n{}\nstdout ends:\n{}",
        run.status,
        tail(&stderr, 6000),
        tail(&stdout, 3000)
    );

    // What the blocks print where it matters, in the README's order.
    assert_in_order(
        &stdout,
        &[
            // prove -> verify -> a gate fed by hand
            "valid: segment 1 -> 2",
            r#""credited_exits":"4""#,
            // key show prints the configuration's first stream guardian
            "public_key: 46975044e42a2b3144598fb1cb5cbc518cf50668da559cf07e08444aa4bc8c4d",
            // the first guardian's tick is partial, the second completes it
            "1 of the 2 guardian signatures",
            "accepted tick to epoch 8",
            // the gate service: the tick, the bundle, then its replay refused
            r#""verdict":"accepted""#,
            r#""verdict":"accepted""#,
            "G2",
            // the relayer: queued, the retry answers the same id, then
            // the owner's own request
            r#""status":"queued""#,
            r#""id":"1""#,
            r#""id":"2""#,
            // the stream tools list the directory log: the tick, then the
            // relayer's one bundle of both exits
            "tick",
            "bundle",
            "seq 0..1",
            r#""kind":"bundle","position":"2""#,
            // and, as gate 2's user, the NATS stream: one exit this time
            "seq 0..0",
        ],
    );
    assert!(
        tmp.path().join("walk/gate-follow/ledger.sqlite").exists()
            && tmp.path().join("walk/gate3-nats/ledger.sqlite").exists()
    );
}

/// The last `n` bytes of `text` (on a character boundary).
fn tail(text: &str, n: usize) -> &str {
    let mut start = text.len().saturating_sub(n);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
