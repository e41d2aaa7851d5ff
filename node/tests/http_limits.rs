//! Idle and slow clients cannot exhaust a service (review, issue 19,
//! item 7): connections past the cap wait, a connection that sends no
//! request head is closed, a body that does not arrive in time ends its
//! request with 408 and never held a submission permit. First the shared
//! server on a bare router, then each service wired to it, the real
//! server on a loopback port each time. Timeouts are short so the tests
//! are quick; nothing asserts on speed, only on what each client gets.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::body::Bytes;
use axum::routing::{get, post};
use axum::Router;
use bulkhead_node::http::HttpLimits;
use bulkhead_node::ledger::Ledger;
use bulkhead_node::relay;
use bulkhead_node::relay::actor::EngineHandle;
use bulkhead_node::relay::api::RelayApi;
use bulkhead_node::relay::engine::BatchPolicy;
use bulkhead_node::service::{self, max_item_bytes, ServeOptions};
use bulkhead_protocol::hash::Fp;
use bulkhead_testkit::chain::{config, tick, verifier_keys, EPOCH, SEED};
use bulkhead_testkit::sample::ASSET;
use bulkhead_testkit::signed::exit_request_json;
use common::{until, Server, PATIENCE};

fn limits(max_connections: usize, header_ms: u64, body_ms: u64) -> HttpLimits {
    HttpLimits {
        max_connections,
        header_read_timeout: Duration::from_millis(header_ms),
        body_deadline: Duration::from_millis(body_ms),
    }
}

/// An open connection that has sent `bytes` and then nothing.
fn stalled(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(bytes).unwrap();
    stream
}

/// Everything the server sends until it closes (a reset after its answer
/// keeps what came before it).
fn read_all(stream: &mut TcpStream, patience: Duration) -> Result<Vec<u8>, std::io::Error> {
    stream.set_read_timeout(Some(patience))?;
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset && !bytes.is_empty() => {
                return Ok(bytes)
            }
            Err(e) => return Err(e),
        }
    }
}

/// The status line's code and the body of an answer.
fn parse(bytes: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(bytes);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an answer: {text:?}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_owned())
}

/// Sends one whole request (closing after it) and reads the answer.
fn request(addr: SocketAddr, method_path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let head = format!(
        "{method_path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    parse(&read_all(&mut stream, PATIENCE).expect("an answer"))
}

/// Whether the server has closed `stream` (end of stream or reset),
/// waiting up to `patience` for it.
fn closed_by_server(stream: &mut TcpStream, patience: Duration) -> bool {
    stream.set_read_timeout(Some(patience)).unwrap();
    let mut byte = [0u8; 64];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => return true,
            // An answer (a 408 to a half head, say) before the close.
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false
            }
            Err(_) => return true,
        }
    }
}

/// A client that sends a request head declaring a `length`-byte body,
/// then trickles it a byte every 100 ms, and returns what it was answered.
fn slow_body(addr: SocketAddr, path: &str, content_type: &str, length: usize) -> JoinHandle<u16> {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n\
         Content-Length: {length}\r\n\r\n{{"
    );
    let mut stream = stalled(addr, head.as_bytes());
    std::thread::spawn(move || {
        let answered = Arc::new(AtomicBool::new(false));
        let mut writer = stream.try_clone().unwrap();
        let trickle = {
            let answered = answered.clone();
            std::thread::spawn(move || {
                for _ in 1..length {
                    std::thread::sleep(Duration::from_millis(100));
                    if answered.load(Ordering::SeqCst) || writer.write_all(b" ").is_err() {
                        return;
                    }
                }
            })
        };
        let answer = read_all(&mut stream, PATIENCE);
        answered.store(true, Ordering::SeqCst);
        let _ = trickle.join();
        parse(&answer.expect("an answer to a slow body")).0
    })
}

fn bare_router() -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route(
            "/echo",
            post(|body: Bytes| async move { body.len().to_string() }),
        )
}

fn bare(limits: HttpLimits) -> Server {
    Server::start(move |listener, stopped| {
        bulkhead_node::http::serve(listener, bare_router(), limits, until(stopped))
    })
}

#[test]
fn idle_and_half_sent_connections_are_closed_and_an_honest_request_is_served() {
    let server = bare(limits(4, 300, 300));
    // Far more than the cap: idle, and stalled in the middle of a head.
    let mut flood: Vec<TcpStream> = (0..20).map(|_| stalled(server.addr, b"")).collect();
    flood.extend((0..10).map(|_| stalled(server.addr, b"GET /health HTTP/1.1\r\nHost: x\r\n")));
    let (status, body) = request(server.addr, "GET /health", "text/plain", b"");
    assert_eq!((status, body.as_str()), (200, "ok"));
    // Every one of them is closed by the header timeout in its turn.
    for (i, stream) in flood.iter_mut().enumerate() {
        assert!(
            closed_by_server(stream, PATIENCE),
            "flood connection {i} still open"
        );
    }
}

#[test]
fn past_the_cap_a_connection_waits_for_a_place() {
    let server = bare(limits(2, 1500, 1500));
    let mut held: Vec<TcpStream> = (0..2).map(|_| stalled(server.addr, b"")).collect();
    // The third is accepted only once the header timeout has closed one
    // of the two holding the places: when its answer comes, that close
    // has already reached the client.
    let (status, _) = request(server.addr, "GET /health", "text/plain", b"");
    assert_eq!(status, 200);
    let closed = held
        .iter_mut()
        .map(|s| closed_by_server(s, Duration::from_millis(200)))
        .filter(|closed| *closed)
        .count();
    assert!(closed >= 1, "the third connection was served past the cap");
}

#[test]
fn a_trickled_body_gets_408_and_an_honest_body_is_served() {
    let server = bare(limits(64, 5000, 300));
    let slow: Vec<_> = (0..20)
        .map(|_| slow_body(server.addr, "/echo", "text/plain", 200))
        .collect();
    let (status, body) = request(server.addr, "POST /echo", "text/plain", b"12345");
    assert_eq!((status, body.as_str()), (200, "5"));
    for client in slow {
        assert_eq!(client.join().unwrap(), 408);
    }
}

#[test]
fn the_408_names_the_deadline() {
    let server = bare(limits(4, 5000, 200));
    let mut stream = stalled(
        server.addr,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12",
    );
    let (status, body) = parse(&read_all(&mut stream, PATIENCE).unwrap());
    assert_eq!(status, 408);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "body_timeout");
    assert!(
        json["reason"].as_str().unwrap().contains("within 200 ms"),
        "{json}"
    );
    assert!(closed_by_server(&mut stream, PATIENCE));
}

/// The gate of segment 2 in `dir`, serving with a queue of one (so ten
/// submission permits) under `limits`.
fn gate(dir: &std::path::Path, limits: HttpLimits) -> Server {
    let config = config(2);
    Ledger::create(dir, config.clone(), vec![verifier_keys()]).unwrap();
    let ledger = Ledger::open(dir, |_| Ok(Some(vec![verifier_keys()]))).unwrap();
    let max_body = max_item_bytes(&config, &[verifier_keys()]);
    Server::start(move |listener, stopped| async move {
        let options = ServeOptions {
            listen: listener.local_addr().unwrap(),
            follow: None,
            consumer: String::new(),
            token: None,
            queue: 1,
            http: limits,
        };
        service::serve(listener, ledger, max_body, options, until(stopped))
            .await
            .unwrap();
    })
}

#[test]
fn gate_slow_bodies_hold_no_submission_permit() {
    let dir = tempfile::tempdir().unwrap();
    let server = gate(dir.path(), limits(64, 5000, 2000));
    // More slow submissions than there are permits (queue + 8 = 9), each
    // in the handler before the honest one comes.
    let slow: Vec<_> = (0..20)
        .map(|_| slow_body(server.addr, "/v1/items", "application/json", 500))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let item = serde_json::to_vec(&tick(EPOCH).to_json().unwrap()).unwrap();
    let (status, body) = request(server.addr, "POST /v1/items", "application/json", &item);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("accepted"), "{body}");
    for client in slow {
        assert_eq!(client.join().unwrap(), 408);
    }
}

#[test]
fn gate_idle_flood_leaves_status_answered() {
    let dir = tempfile::tempdir().unwrap();
    let server = gate(dir.path(), limits(4, 300, 300));
    let mut flood: Vec<TcpStream> = (0..20).map(|_| stalled(server.addr, b"")).collect();
    flood.extend((0..10).map(|_| stalled(server.addr, b"GET /v1/status HTTP/1.1\r\n")));
    let (status, body) = request(server.addr, "GET /v1/status", "text/plain", b"");
    assert_eq!(status, 200, "{body}");
    for stream in &mut flood {
        assert!(closed_by_server(stream, PATIENCE));
    }
}

/// A relayer of segment 1 in `dir` (no prover: the door alone).
fn relayer(dir: &std::path::Path, limits: HttpLimits) -> Server {
    let policy = BatchPolicy {
        deadline: Duration::from_secs(60),
        max_queued: 100,
        max_queued_per_account: 10,
    };
    let engine = common::relay_engine(dir, policy);
    let api = RelayApi::new(EngineHandle::start(engine, common::view()).unwrap().0, None);
    Server::start(move |listener, stopped| relay::serve_api(listener, api, limits, until(stopped)))
}

#[test]
fn relay_idle_and_slow_floods_leave_an_honest_exit_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = relayer(dir.path(), limits(8, 300, 300));
    let mut idle: Vec<TcpStream> = (0..10).map(|_| stalled(server.addr, b"")).collect();
    let slow: Vec<_> = (0..10)
        .map(|_| slow_body(server.addr, "/v1/exits", "application/json", 300))
        .collect();
    let exit = exit_request_json(SEED, 1, 2, ASSET, 0, 0, Fp::from(900), 10);
    let exit = serde_json::to_vec(&exit).unwrap();
    let (status, body) = request(server.addr, "POST /v1/exits", "application/json", &exit);
    assert_eq!(status, 202, "{body}");
    for client in slow {
        assert_eq!(client.join().unwrap(), 408);
    }
    for stream in &mut idle {
        assert!(closed_by_server(stream, PATIENCE));
    }
}
