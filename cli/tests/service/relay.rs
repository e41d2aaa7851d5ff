//! Running `bulkhead relay serve` as a child process, and the load a
//! client sends it: signed exits over HTTP, retried until the relayer
//! answers.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_testkit::chain::{config, SEED, SHAPE};
use bulkhead_testkit::http;
use bulkhead_testkit::sample::{ASSET, OTHER_ASSET};
use bulkhead_testkit::signed::{exit_request_json, segment};

use super::{bulkhead, spawn_listening, Service, Started};

/// The files and stream of a relayer of segment `src`.
pub struct RelayWorld {
    /// The segment relayed.
    pub src: u64,
    /// Its snapshot.
    pub snapshot: PathBuf,
    /// The gate configuration registering it.
    pub registry: PathBuf,
    /// The relayer's state directory.
    pub state: PathBuf,
    /// The stream: a directory or nats://.
    pub stream: String,
    /// Environment of the relayer process (NATS credentials).
    pub env: Vec<(String, String)>,
}

/// Writes segment `src`'s snapshot and the registry under `root`.
pub fn relay_world(root: &Path, src: u64, stream: &str) -> RelayWorld {
    let snapshot = root.join(format!("segment-{src}.json"));
    let state = segment(SEED, src, &SHAPE).unwrap();
    std::fs::write(
        &snapshot,
        serde_json::to_vec(&Snapshot::from_state(&state, SHAPE)).unwrap(),
    )
    .unwrap();
    let registry = root.join("registry.json");
    std::fs::write(&registry, serde_json::to_vec(&config(2)).unwrap()).unwrap();
    RelayWorld {
        src,
        snapshot,
        registry,
        state: root.join(format!("relay-{src}")),
        stream: stream.to_owned(),
        env: Vec::new(),
    }
}

/// Starts `relay serve` for `world` with `extra` flags.
pub fn start_relay(world: &RelayWorld, extra: &[&str]) -> Started {
    let mut command = bulkhead();
    command
        .args(["relay", "serve", "--segment"])
        .arg(&world.snapshot)
        .arg("--registry")
        .arg(&world.registry)
        .arg("--state")
        .arg(&world.state)
        .args(["--publish", &world.stream, "--deadline-ms", "300"])
        .args(extra)
        .env_remove("BULKHEAD_RELAY_TOKEN");
    if !extra.contains(&"--listen") {
        command.args(["--listen", "127.0.0.1:0"]);
    }
    for (k, v) in &world.env {
        command.env(k, v);
    }
    spawn_listening(command)
}

/// A relayer that must come up.
pub fn relay(world: &RelayWorld) -> Service {
    match start_relay(world, &[]) {
        Started::Listening(service) => service,
        Started::Exited(code, stderr) => panic!("relay serve exited {code:?}: {stderr}"),
    }
}

/// One exit of the load.
#[derive(Clone, Copy, Debug)]
pub struct Exit {
    /// Sending segment.
    pub src: u64,
    /// Sending account.
    pub account: u64,
    /// Destination segment.
    pub dst: u64,
    /// Amount.
    pub amount: u64,
    /// A recipient unique to this exit.
    pub recipient: u64,
}

impl Exit {
    /// The lane's asset: the account's.
    pub fn asset(&self) -> u64 {
        if self.account.is_multiple_of(2) {
            ASSET
        } else {
            OTHER_ASSET
        }
    }
}

/// `count` exits from segment `src` over its three lanes, accounts 0..8,
/// small amounts (far under the caps and gates' inbound limits), with
/// recipients from `first_recipient` on.
pub fn load(src: u64, count: u64, first_recipient: u64) -> Vec<Exit> {
    let mut others = (1..=3).filter(|o| *o != src);
    let (a, b) = (others.next().unwrap(), others.next().unwrap());
    (0..count)
        .map(|i| {
            let account = (i * 5) % 8;
            let dst = if account.is_multiple_of(2) && i.is_multiple_of(3) {
                b
            } else {
                a
            };
            Exit {
                src,
                account,
                dst,
                amount: 1 + i % 5,
                recipient: first_recipient + i,
            }
        })
        .collect()
}

/// The request body of `exit` at `nonce`.
pub fn body(exit: &Exit, nonce: u64) -> Vec<u8> {
    serde_json::to_vec(&exit_request_json(
        SEED,
        exit.src,
        exit.dst,
        exit.asset(),
        exit.account,
        nonce,
        Fp::from(exit.recipient),
        exit.amount,
    ))
    .unwrap()
}

/// Posts `exit` at `nonce`: `Some(true)` accepted, `Some(false)` accepted
/// before (an earlier try was stored: the relayer answers 200 with its
/// receipt), `None` no answer (the relayer is down or busy).
pub fn post(addr: SocketAddr, exit: &Exit, nonce: u64) -> Option<bool> {
    let head = "POST /v1/exits HTTP/1.1\r\nContent-Type: application/json";
    let answer = http::raw(addr, head, &body(exit, nonce)).ok()?;
    match answer.status {
        202 => Some(true),
        200 => Some(false),
        503 if answer.text().contains("halted") => panic!("the relayer halted: {}", answer.text()),
        503 => None,
        other => panic!("unexpected answer {other}: {}", answer.text()),
    }
}

/// Posts until the relayer gives a definite answer (a client's retries).
pub fn post_until_answered(relayer: &Service, exit: &Exit, nonce: u64) {
    while post(relayer.addr, exit, nonce).is_none() {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for `done`, failing after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether every exit the relayer at `addr` accepted was taken by the
/// stream (nothing queued, planned, proven or published and waiting).
pub fn all_confirmed(addr: SocketAddr) -> bool {
    let Ok(answer) = http::raw(addr, "GET /v1/status HTTP/1.1", &[]) else {
        return false;
    };
    let status = answer.json();
    status["queued"] == "0"
        && ["planned", "proven", "published"]
            .iter()
            .all(|s| status["batches"].get(*s).is_none())
}

/// A xorshift generator: reproducible "random" moments.
pub struct Moments(pub u64);

impl Moments {
    /// The next value below `max`.
    pub fn next_below(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % max
    }
}
