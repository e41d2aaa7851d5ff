//! NATS for the stream tests: a nats-server with the example
//! configuration on a free loopback port, the roles' credentials, and a
//! bare client speaking the wire protocol, to ask the server what the
//! `bulkhead` command never asks (create or delete a consumer by hand)
//! and to read its refusals in its own words.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use bulkhead_node::stream::encode_item;
use bulkhead_testkit::chain::tick;

use crate::service::bulkhead;
use crate::service::relay::wait_until;

/// A nats-server on a free loopback port, with the example configuration.
pub struct NatsServer {
    child: Child,
    /// `nats://127.0.0.1:PORT`.
    pub url: String,
}

impl NatsServer {
    /// Starts one storing in `store`, and waits until it listens.
    pub fn start(store: &Path) -> Self {
        let binary = [
            "nats-server",
            "/usr/sbin/nats-server",
            "/usr/bin/nats-server",
        ]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok())
        .expect(
            "nats-server not found: the test command installs it (apt-get install nats-server)",
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/nats-server.conf");
        let child = Command::new(binary)
            .arg("-c")
            .arg(&config)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        wait_until("nats-server listening", Duration::from_secs(20), || {
            TcpStream::connect(addr).is_ok()
        });
        Self {
            child,
            url: format!("nats://127.0.0.1:{port}"),
        }
    }

    /// Starts one and creates the stream as its administrator.
    pub fn with_stream(store: &Path) -> Self {
        let server = Self::start(store);
        let init = stream_as("admin", &server.url, &["init"]);
        assert!(
            init.status.success(),
            "{}",
            String::from_utf8_lossy(&init.stderr)
        );
        server
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The credentials of a user of the example configuration.
pub fn role(user: &str) -> Vec<(String, String)> {
    vec![
        ("BULKHEAD_NATS_USER".into(), user.into()),
        ("BULKHEAD_NATS_PASSWORD".into(), format!("{user}-example")),
    ]
}

/// `bulkhead stream --stream URL ARGS` as `user`.
pub fn stream_as(user: &str, url: &str, args: &[&str]) -> Output {
    bulkhead()
        .args(["stream", "--stream", url])
        .args(args)
        .envs(role(user))
        .output()
        .unwrap()
}

/// The stream's last position (what `init` reports on an existing stream).
pub fn last_position(url: &str) -> u64 {
    let out = stream_as("admin", url, &["init"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .rsplit("last position ")
        .next()
        .and_then(|t| t.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("no position in {text:?}"))
}

/// Writes the tick into `epoch` as an item file.
pub fn tick_file(dir: &Path, epoch: u64) -> PathBuf {
    let path = dir.join(format!("tick-{epoch}.json"));
    std::fs::write(&path, encode_item(&tick(epoch)).1).unwrap();
    path
}

/// Appends the tick into `epoch` as the guardians.
pub fn append_tick(dir: &Path, url: &str, epoch: u64) {
    let out = stream_as(
        "guardian",
        url,
        &["append", tick_file(dir, epoch).to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the server said to a request.
#[derive(Debug)]
pub enum Answer {
    /// A reply (JetStream's JSON; an `error` field if it refused).
    Reply(serde_json::Value),
    /// The server's error line (a permissions violation).
    Refused(String),
}

/// A bare NATS client on the wire protocol (text lines), one request at
/// a time.
pub struct Wire {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    next: u64,
}

impl Wire {
    /// Connects to `url` (`nats://HOST:PORT`) as `user` of the example
    /// configuration.
    pub fn connect(url: &str, user: &str) -> Self {
        let stream = TcpStream::connect(url.trim_start_matches("nats://")).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut wire = Self {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            next: 0,
        };
        let info = wire.line();
        assert!(info.starts_with("INFO "), "{info}");
        let connect = serde_json::json!({
            "verbose": false, "pedantic": false, "headers": true, "no_responders": true,
            "protocol": 1, "user": user, "pass": format!("{user}-example"),
        });
        wire.send(&format!("CONNECT {connect}\r\nPING\r\n"));
        loop {
            match wire.line().as_str() {
                "PONG" => return wire,
                line if line.starts_with("-ERR") => panic!("{user}: {line}"),
                _ => {}
            }
        }
    }

    fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).unwrap();
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "the server closed the connection");
        line.trim_end().to_owned()
    }

    /// Publishes `body` on `subject` and waits for the reply, or the
    /// server's refusal (a refused publish gets an error line and nothing
    /// else, before the PONG to the PING sent after it).
    pub fn request(&mut self, subject: &str, body: &serde_json::Value) -> Answer {
        self.next += 1;
        let (inbox, sid) = (format!("_INBOX.wire{}", self.next), self.next);
        let payload = body.to_string();
        self.send(&format!(
            "SUB {inbox} {sid}\r\nPUB {subject} {inbox} {}\r\n{payload}\r\nPING\r\n",
            payload.len()
        ));
        // Read on until both the answer and the PONG came (in either
        // order), so no line of this request is left for the next.
        let (mut answer, mut ponged) = (None, false);
        while answer.is_none() || !ponged {
            let line = self.line();
            if line.starts_with("-ERR") {
                answer = Some(Answer::Refused(line));
                continue;
            }
            match line.as_str() {
                "PONG" => ponged = true,
                "PING" => self.send("PONG\r\n"),
                _ => {}
            }
            let Some(rest) = line.strip_prefix("MSG ").or(line.strip_prefix("HMSG ")) else {
                continue;
            };
            let len: usize = rest.rsplit(' ').next().unwrap().parse().unwrap();
            let mut bytes = vec![0; len + 2];
            self.reader.read_exact(&mut bytes).unwrap();
            bytes.truncate(len);
            answer = Some(if line.starts_with("HMSG") {
                // Headers only: no responders.
                Answer::Refused(String::from_utf8_lossy(&bytes).into_owned())
            } else {
                Answer::Reply(serde_json::from_slice(&bytes).unwrap())
            });
        }
        self.send(&format!("UNSUB {sid}\r\n"));
        answer.unwrap_or_else(|| unreachable!("the loop ends with an answer"))
    }

    /// Subscribes to `subject`: the server's refusal, if it refuses.
    pub fn subscribe(&mut self, subject: &str) -> Option<String> {
        self.next += 1;
        self.send(&format!("SUB {subject} {}\r\nPING\r\n", self.next));
        loop {
            match self.line().as_str() {
                "PONG" => return None,
                line if line.starts_with("-ERR") => return Some(line.to_owned()),
                _ => {}
            }
        }
    }
}

/// A create request for the durable `name`: a follower's configuration
/// (every item, each acknowledged) with `changes` over it.
pub fn consumer_request(name: &str, changes: serde_json::Value) -> serde_json::Value {
    let mut config = serde_json::json!({
        "durable_name": name, "deliver_policy": "all", "ack_policy": "explicit",
        "replay_policy": "instant",
    });
    for (k, v) in changes.as_object().unwrap() {
        config[k] = v.clone();
    }
    serde_json::json!({"stream_name": "BULKHEAD", "config": config})
}
