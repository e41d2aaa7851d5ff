//! What both services' APIs promise a client (issue 20, item 7): every
//! error answer is one JSON shape, `{"error": code, "reason": text}` as
//! `application/json` — a handler's refusal and the server's own alike
//! (401, 404, 405, 408, 413, 503 with Retry-After) — and each API's
//! OpenAPI description, served at `GET /v1/openapi.json`, describes
//! exactly the routes its router registers.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bulkhead_node::http::routes::{operations, route_list, OPENAPI_PATH};
use bulkhead_node::http::HttpLimits;
use bulkhead_node::ledger::Ledger;
use bulkhead_node::relay;
use bulkhead_node::relay::actor::EngineHandle;
use bulkhead_node::relay::api::RelayApi;
use bulkhead_node::relay::engine::BatchPolicy;
use bulkhead_node::service::api::AppState;
use bulkhead_node::service::metrics::Metrics;
use bulkhead_node::service::writer::{Job, Request};
use bulkhead_node::service::{self, max_item_bytes, ServeOptions};
use bulkhead_protocol::hash::Fp;
use bulkhead_testkit::chain::{config, tick, verifier_keys, EPOCH, SEED};
use bulkhead_testkit::http::{self, Answer};
use bulkhead_testkit::sample::ASSET;
use bulkhead_testkit::signed::exit_request_json;
use common::{until, Server};
use serde_json::Value;

const TOKEN: &str = "sesame";
const BEARER: &str = "Authorization: Bearer sesame";
/// Short, so the 408 comes quickly; nothing asserts on time.
const BODY_DEADLINE: Duration = Duration::from_millis(300);

fn limits() -> HttpLimits {
    HttpLimits {
        body_deadline: BODY_DEADLINE,
        ..HttpLimits::default()
    }
}

/// Asserts `answer` is `status` in the one error shape with `code`.
fn assert_shape(answer: &Answer, status: u16, code: &str) {
    let text = answer.text();
    assert_eq!(answer.status, status, "{text}");
    assert_eq!(
        answer.header("content-type"),
        Some("application/json"),
        "{status}: {text}"
    );
    let body: Value = serde_json::from_slice(&answer.body)
        .unwrap_or_else(|e| panic!("{status} is not JSON ({e}): {text}"));
    let keys: BTreeSet<&str> = body
        .as_object()
        .unwrap_or_else(|| panic!("{status} is not an object: {text}"))
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, BTreeSet::from(["error", "reason"]), "{text}");
    assert_eq!(body["error"], code, "{text}");
    let reason = body["reason"].as_str().unwrap_or_default();
    assert!(!reason.is_empty(), "{status} has no reason: {text}");
}

/// The methods a 405's `Allow` names.
fn methods(answer: &Answer) -> BTreeSet<&str> {
    answer
        .header("allow")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .collect()
}

fn send(addr: SocketAddr, head: &str, body: &[u8]) -> Answer {
    http::raw(addr, head, body).unwrap()
}

/// The gate of segment 2 in `dir`, with a token.
fn gate(dir: &std::path::Path) -> Server {
    let config = config(2);
    Ledger::create(dir, config.clone(), vec![verifier_keys()]).unwrap();
    let ledger = Ledger::open(dir, |_| Ok(Some(vec![verifier_keys()]))).unwrap();
    let max_body = max_item_bytes(&config, &[verifier_keys()]);
    Server::start(move |listener, stopped| async move {
        let options = ServeOptions {
            listen: listener.local_addr().unwrap(),
            follow: None,
            consumer: String::new(),
            token: Some(TOKEN.into()),
            queue: 4,
            http: limits(),
        };
        service::serve(listener, ledger, max_body, options, until(stopped))
            .await
            .unwrap();
    })
}

/// The gate's API over a writer that never takes its queue (one job
/// already waits in a queue of one), so every submission finds it full.
fn gate_with_a_stalled_writer(
    dir: &std::path::Path,
) -> (Server, tokio::sync::mpsc::Receiver<Request>) {
    let (queue, stalled) = tokio::sync::mpsc::channel(1);
    let (reply, _) = tokio::sync::oneshot::channel();
    queue
        .try_send(Request {
            job: Job::Submit(tick(EPOCH)),
            reply,
        })
        .unwrap_or_else(|_| panic!("the first job fits"));
    let state = AppState {
        queue,
        dir: Arc::new(dir.to_path_buf()),
        readers: Arc::new(Mutex::new(Vec::new())),
        metrics: Arc::new(Metrics::default()),
        token: None,
        max_body: 1 << 20,
        following: false,
        in_flight: 8,
    };
    let app = service::api::router(state);
    let server = Server::start(move |listener, stopped| {
        bulkhead_node::http::serve(listener, app, limits(), until(stopped))
    });
    (server, stalled)
}

#[test]
fn every_gate_error_is_one_json_shape() {
    let dir = tempfile::tempdir().unwrap();
    let server = gate(dir.path());
    let addr = server.addr;
    let item = serde_json::to_vec(&tick(EPOCH).to_json().unwrap()).unwrap();
    let json = "Content-Type: application/json";

    let head = format!("POST /v1/items HTTP/1.1\r\n{json}");
    assert_shape(&send(addr, &head, &item), 401, "unauthorised");
    let head = format!("POST /v1/items HTTP/1.1\r\n{BEARER}\r\n{json}\r\nContent-Length: 99999999");
    assert_shape(&send(addr, &head, b""), 413, "too_large");
    let head = format!("POST /v1/items HTTP/1.1\r\n{BEARER}\r\n{json}\r\nContent-Length: 10");
    assert_shape(&send(addr, &head, b"{\""), 408, "body_timeout");
    let head = format!("POST /v1/items HTTP/1.1\r\n{BEARER}\r\nContent-Type: text/xml");
    assert_shape(&send(addr, &head, b"<x/>"), 415, "content_type");
    let head = format!("POST /v1/items HTTP/1.1\r\n{BEARER}\r\n{json}");
    assert_shape(&send(addr, &head, b"{}"), 400, "malformed");
    assert_shape(
        &send(addr, "GET /v1/nothing HTTP/1.1", b""),
        404,
        "not_found",
    );
    assert_shape(
        &send(addr, "GET /v1/sources/9 HTTP/1.1", b""),
        404,
        "unknown",
    );
    let wrong_method = send(addr, "DELETE /v1/status HTTP/1.1", b"");
    assert_shape(&wrong_method, 405, "method_not_allowed");
    assert_eq!(methods(&wrong_method), BTreeSet::from(["GET", "HEAD"]));
    assert_shape(
        &send(addr, "GET /v1/credits?limit=0 HTTP/1.1", b""),
        400,
        "malformed",
    );

    let busy_dir = tempfile::tempdir().unwrap();
    let (busy, _stalled) = gate_with_a_stalled_writer(busy_dir.path());
    let full = send(
        busy.addr,
        &format!("POST /v1/items HTTP/1.1\r\n{json}"),
        &item,
    );
    assert_shape(&full, 503, "queue_full");
    assert_eq!(full.header("retry-after"), Some("1"));
}

/// A relayer of segment 1 in `dir` (no prover: the door alone), with a
/// token and room for one queued exit.
fn relayer(dir: &std::path::Path) -> Server {
    let policy = BatchPolicy {
        deadline: Duration::from_secs(3600),
        max_queued: 1,
        max_queued_per_account: 1,
    };
    let engine = common::relay_engine(dir, policy);
    let api = RelayApi::new(
        EngineHandle::start(engine, common::view()).unwrap().0,
        Some(TOKEN.into()),
    );
    Server::start(move |listener, stopped| {
        relay::serve_api(listener, api, limits(), until(stopped))
    })
}

fn exit_body(account: u64) -> Vec<u8> {
    let exit = exit_request_json(SEED, 1, 2, ASSET, account, 0, Fp::from(900), 10);
    serde_json::to_vec(&exit).unwrap()
}

#[test]
fn every_relayer_error_is_one_json_shape() {
    let dir = tempfile::tempdir().unwrap();
    let server = relayer(dir.path());
    let addr = server.addr;
    let json = "Content-Type: application/json";
    let post = format!("POST /v1/exits HTTP/1.1\r\n{BEARER}\r\n{json}");

    let head = format!("POST /v1/exits HTTP/1.1\r\n{json}");
    assert_shape(&send(addr, &head, &exit_body(0)), 401, "unauthorised");
    // Once plain text (issue 20).
    let huge = vec![b' '; 20 * 1024];
    assert_shape(&send(addr, &post, &huge), 413, "too_large");
    let slow = format!("{post}\r\nContent-Length: 10");
    assert_shape(&send(addr, &slow, b"{\""), 408, "body_timeout");
    let xml = format!("POST /v1/exits HTTP/1.1\r\n{BEARER}\r\nContent-Type: text/xml");
    assert_shape(&send(addr, &xml, b"<x/>"), 415, "content_type");
    assert_shape(&send(addr, &post, b"{}"), 400, "malformed");
    assert_shape(
        &send(addr, "GET /v1/nothing HTTP/1.1", b""),
        404,
        "not_found",
    );
    assert_shape(&send(addr, "GET /v1/exits/7 HTTP/1.1", b""), 404, "unknown");
    let wrong_method = send(addr, "DELETE /v1/exits HTTP/1.1", b"");
    assert_shape(&wrong_method, 405, "method_not_allowed");
    assert_eq!(
        methods(&wrong_method),
        BTreeSet::from(["GET", "HEAD", "POST"])
    );

    assert_eq!(send(addr, &post, &exit_body(0)).status, 202);
    let full = send(addr, &post, &exit_body(2));
    assert_shape(&full, 503, "queue_full");
    assert_eq!(full.header("retry-after"), Some("1"));
}

/// Checks `description` (an OpenAPI text) against `routes`: version 3,
/// the same operations, and every error answer in the Error schema (but
/// a gate's 422, which is the refusal's verdict, PROTOCOL.md 8.4).
fn check_description(description: &str, routes: BTreeSet<(String, String)>) {
    let doc: Value = serde_json::from_str(description).expect("the description is JSON");
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3."), "openapi {version:?}");
    assert_eq!(
        operations(&doc),
        routes,
        "the description and the router disagree"
    );
    assert!(routes.contains(&("GET".to_owned(), OPENAPI_PATH.to_owned())));
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}: no success answer"
            );
            for (status, response) in responses.iter().filter(|(s, _)| s.as_str() >= "400") {
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                let verdict = status == "422" && schema == "#/components/schemas/Verdict";
                assert!(
                    verdict || schema == "#/components/schemas/Error",
                    "{method} {path} {status}: {schema}"
                );
            }
        }
    }
}

#[test]
fn each_api_describes_exactly_its_routes() {
    check_description(service::api::OPENAPI, route_list(&service::api::routes()));
    check_description(relay::api::OPENAPI, route_list(&relay::api::routes()));
}

#[test]
fn each_service_serves_its_description() {
    let dir = tempfile::tempdir().unwrap();
    let gate = gate(&dir.path().join("gate"));
    let relayer = relayer(&dir.path().join("relay"));
    for (addr, description) in [
        (gate.addr, service::api::OPENAPI),
        (relayer.addr, relay::api::OPENAPI),
    ] {
        let answer = send(addr, &format!("GET {OPENAPI_PATH} HTTP/1.1"), b"");
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(answer.header("content-type"), Some("application/json"));
        let served: Value = answer.json();
        assert_eq!(served, serde_json::from_str::<Value>(description).unwrap());
    }
}
