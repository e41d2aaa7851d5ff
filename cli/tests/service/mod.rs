//! Running `bulkhead gate serve` as a child process for the service tests:
//! a gate directory over the TINY two-segment world, a service started on
//! a free loopback port (or refused), killed or stopped.

#![allow(dead_code)] // each test binary uses its own subset

pub mod relay;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use bulkhead_node::ledger::Ledger;
use bulkhead_testkit::chain::{config, verifier_keys};
use bulkhead_verifier::gate::GateConfig;

/// The parameter cache the TINY fixture's prover uses (so the service
/// derives its keys from the same parameters, without building them).
pub fn params_dir() -> PathBuf {
    std::env::temp_dir().join("bulkhead-test-params")
}

/// The `bulkhead` command with the fixture's parameter cache.
pub fn bulkhead() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulkhead"));
    command.arg("--params-dir").arg(params_dir());
    command
}

/// A `gate --state DIR ...` command's output.
pub fn gate(dir: &Path, args: &[&str]) -> Output {
    bulkhead()
        .args(["gate", "--state"])
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

/// Creates the gate of segment 2 (following 1 and 2) in `dir`.
pub fn create_gate(dir: &Path) -> GateConfig {
    let config = config(2);
    Ledger::create(dir, config.clone(), vec![verifier_keys()]).unwrap();
    config
}

/// A running `gate serve`.
pub struct Service {
    /// The child process.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

/// How a start ended: listening, or exited with its output.
pub enum Started {
    /// Listening.
    Listening(Service),
    /// Exited before listening: code and stderr.
    Exited(Option<i32>, String),
}

/// Starts `gate --state DIR serve --listen 127.0.0.1:0 ARGS` with `env`,
/// waiting until it listens or exits.
pub fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Started {
    let mut command = bulkhead();
    command
        .args(["gate", "--state"])
        .arg(dir)
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("BULKHEAD_GATE_TOKEN");
    if !args.contains(&"--listen") {
        command.args(["--listen", "127.0.0.1:0"]);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    spawn_listening(command)
}

/// Spawns `command` (a service whose first stdout line is `listening on
/// ADDR`) and waits until it listens or exits.
pub fn spawn_listening(mut command: Command) -> Started {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    match lines.next() {
        Some(Ok(line)) => {
            let addr = line
                .strip_prefix("listening on ")
                .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
                .parse()
                .unwrap();
            // Keep draining stdout so the child never blocks on it.
            std::thread::spawn(move || lines.for_each(drop));
            drain_stderr(&mut child);
            Started::Listening(Service { child, addr })
        }
        _ => {
            let output = child.wait_with_output().unwrap();
            Started::Exited(
                output.status.code(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            )
        }
    }
}

fn drain_stderr(child: &mut Child) {
    if let Some(stderr) = child.stderr.take() {
        std::thread::spawn(move || {
            BufReader::new(stderr).lines().for_each(drop);
        });
    }
}

/// Starts a service that must come up.
pub fn serve(dir: &Path, args: &[&str]) -> Service {
    match start(dir, args, &[]) {
        Started::Listening(service) => service,
        Started::Exited(code, stderr) => panic!("serve exited {code:?}: {stderr}"),
    }
}

impl Service {
    /// SIGKILL, and wait for the process to be gone.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, and the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
