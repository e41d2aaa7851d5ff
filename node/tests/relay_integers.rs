//! The relayer's API takes every integer as a JSON number or a decimal
//! string (issue 20, item 5), and refuses anything else naming the field,
//! in words of its own: no serde internals ("untagged enum", "variant").

mod common;

use std::path::Path;
use std::time::Duration;

use bulkhead_node::http::HttpLimits;
use bulkhead_node::relay;
use bulkhead_node::relay::actor::EngineHandle;
use bulkhead_node::relay::api::RelayApi;
use bulkhead_node::relay::engine::{BatchPolicy, Engine, ExitSubmission};
use bulkhead_protocol::hash::Fp;
use bulkhead_testkit::chain::SEED;
use bulkhead_testkit::http;
use bulkhead_testkit::sample::ASSET;
use bulkhead_testkit::signed::exit_request_json;
use common::{until, view, Server};
use serde_json::{json, Value};

const SRC: u64 = 1;

fn engine(dir: &Path) -> Engine {
    let policy = BatchPolicy {
        deadline: Duration::from_secs(60),
        max_queued: 100,
        max_queued_per_account: 10,
    };
    common::relay_engine(dir, policy)
}

/// Account `account`'s signed exit of `amount` at nonce 0, integers as
/// the test kit writes them (decimal strings).
fn exit(account: u64, amount: u64) -> Value {
    exit_request_json(SEED, SRC, 2, ASSET, account, 0, Fp::from(900), amount)
}

/// `request` with every integer field written as a JSON number.
fn as_numbers(mut request: Value) -> Value {
    for field in ["dst", "asset", "account", "amount"] {
        let n: u64 = request[field].as_str().unwrap().parse().unwrap();
        request[field] = json!(n);
    }
    request
}

#[test]
fn both_forms_are_read_and_a_malformed_integer_names_its_field() {
    // The same request either way is one exit: numbers and strings agree.
    let numbers: ExitSubmission = serde_json::from_value(as_numbers(exit(0, 10))).unwrap();
    let strings: ExitSubmission = serde_json::from_value(exit(0, 10)).unwrap();
    assert_eq!(numbers, strings);

    let dir = tempfile::tempdir().unwrap();
    let api = RelayApi::new(
        EngineHandle::start(engine(dir.path()), view()).unwrap().0,
        None,
    );
    let server = Server::start(|listener, stopped| {
        relay::serve_api(listener, api, HttpLimits::default(), until(stopped))
    });
    let post = |body: &Value| {
        let body = serde_json::to_vec(body).unwrap();
        http::post(server.addr, "/v1/exits", "application/json", "", &body)
    };
    // `"account":0` and `"account":"0"`: accepted, then found again as
    // the same exit (a retry in the other form is still a retry).
    let first = post(&as_numbers(exit(0, 10)));
    assert_eq!(first.status, 202, "{}", first.text());
    let again = post(&exit(0, 10));
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(post(&exit(2, 10)).status, 202);

    // (field, its JSON text, the reason's start)
    let cases = [
        (
            "account",
            "-1",
            "account: expected an unsigned integer (a number or a decimal string), found -1",
        ),
        (
            "account",
            r#""x""#,
            r#"account: "x" is not a decimal integer"#,
        ),
        (
            "account",
            r#"" 4""#,
            r#"account: " 4" is not a decimal integer"#,
        ),
        (
            "dst",
            "null",
            "dst: expected an unsigned integer (a number or a decimal string), found null",
        ),
        (
            "asset",
            "1.5",
            "asset: expected an unsigned integer (a number or a decimal string), found 1.5",
        ),
        (
            "amount",
            r#""18446744073709551616""#,
            "amount: 18446744073709551616 is out of range for a u64",
        ),
        (
            "amount",
            "18446744073709551616",
            "amount: 18446744073709552000 is out of range for a u64",
        ),
    ];
    for (field, text, words) in cases {
        let mut request = exit(4, 10);
        request[field] = json!("@@");
        let body = request.to_string().replace(r#""@@""#, text);
        let refused = http::post(
            server.addr,
            "/v1/exits",
            "application/json",
            "",
            body.as_bytes(),
        );
        assert_eq!(refused.status, 400, "{body}: {}", refused.text());
        let answer = refused.json();
        assert_eq!(answer["error"], "malformed", "{answer}");
        let reason = answer["reason"].as_str().unwrap();
        assert!(reason.starts_with(words), "{body}: {reason}");
        for internal in ["untagged", "variant", "Either"] {
            assert!(!reason.contains(internal), "{reason}");
        }
    }
    drop(server);
}
