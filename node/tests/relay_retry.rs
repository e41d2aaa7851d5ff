//! Retries find their exit (review, issue 20, item 4): a request the
//! relayer accepted before is answered 200 with its receipt and where the
//! exit is now, changing nothing; an exit is found by account and nonce;
//! and each refusal has its own code, `unauthorised` being left to the
//! bearer token.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bulkhead_node::http::HttpLimits;
use bulkhead_node::relay;
use bulkhead_node::relay::actor::EngineHandle;
use bulkhead_node::relay::api::RelayApi;
use bulkhead_node::relay::engine::{BatchPolicy, Engine, ExitStage, ExitSubmission};
use bulkhead_node::relay::store::{now_ms, BatchStatus, RelayStore};
use bulkhead_protocol::hash::Fp;
use bulkhead_testkit::chain::SEED;
use bulkhead_testkit::http::{self, Answer};
use bulkhead_testkit::sample::ASSET;
use bulkhead_testkit::signed::exit_request_json;
use common::{until, view, Server};
use serde_json::{json, Value};

const SRC: u64 = 1;
const TOKEN: &str = "sesame";
const BEARER: &str = "Authorization: Bearer sesame";

/// An engine over a new store in `dir` (or the one there), forming a
/// batch as soon as anything is queued.
fn engine(dir: &Path) -> Engine {
    let policy = BatchPolicy {
        deadline: Duration::ZERO,
        max_queued: 100,
        max_queued_per_account: 100,
    };
    common::relay_engine(dir, policy)
}

/// Account `account`'s (of asset 1, holding 1000) exit of `amount` to
/// segment 2 at `nonce`, as JSON.
fn exit_json(account: u64, nonce: u64, amount: u64) -> Value {
    exit_request_json(SEED, SRC, 2, ASSET, account, nonce, Fp::from(900), amount)
}

fn exit(account: u64, nonce: u64, amount: u64) -> ExitSubmission {
    serde_json::from_value(exit_json(account, nonce, amount)).unwrap()
}

/// The relayer's API on a loopback port, with the bearer token
/// [`TOKEN`], over `engine`; stopped when dropped.
struct Served {
    addr: SocketAddr,
    engine: EngineHandle,
    /// Serves until dropped.
    _server: Server,
}

impl Served {
    fn new(engine: Engine) -> Self {
        let (engine, _) = EngineHandle::start(engine, view()).unwrap();
        let api = RelayApi::new(engine.clone(), Some(Arc::from(TOKEN)));
        let server = Server::start(|listener, stopped| {
            relay::serve_api(listener, api, HttpLimits::default(), until(stopped))
        });
        Self {
            addr: server.addr,
            engine,
            _server: server,
        }
    }

    /// Runs `work` on the served engine's thread.
    fn engine<R: Send + 'static>(&self, work: impl FnOnce(&mut Engine) -> R + Send + 'static) -> R {
        self.engine.with_engine(work).unwrap()
    }

    /// Posts `body` with the token line `auth` (empty: none).
    fn post_with(&self, body: &Value, auth: &str) -> Answer {
        let body = serde_json::to_vec(body).unwrap();
        http::post(self.addr, "/v1/exits", "application/json", auth, &body)
    }

    fn post(&self, body: &Value) -> Answer {
        self.post_with(body, BEARER)
    }

    fn get(&self, path: &str) -> Answer {
        http::get(self.addr, path)
    }
}

/// Asserts `answer` is `status` with exactly `body`.
fn assert_answer(answer: &Answer, status: u16, body: Value) {
    assert_eq!(answer.status, status, "{}", answer.text());
    assert_eq!(answer.json(), body);
}

#[test]
fn a_retry_is_answered_with_its_receipt_wherever_the_exit_is_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::new(engine(dir.path()));
    // Account 0 sends its whole balance.
    let whole = exit_json(0, 0, 1000);
    let receipt = json!({"id": "1", "nonce": "0", "status": "queued"});
    assert_answer(&served.post(&whole), 202, receipt.clone());
    // Sent again (the client did not hear back): the same receipt, 200.
    // Its nonce is used and its balance spent; neither is asked again.
    for _ in 0..3 {
        assert_answer(&served.post(&whole), 200, receipt.clone());
    }
    let status = served.get("/v1/status").json();
    assert_eq!(
        (status["queued"].as_str(), status["accepted_exits"].as_str()),
        (Some("1"), Some("1"))
    );
    // The retries spent nothing: the first exit took the whole balance.
    assert_answer(
        &served.post(&exit_json(0, 1, 1)),
        422,
        json!({
            "error": "insufficient_balance",
            "reason": "account 0 has 0 left after its queued exits; 1 asked",
        }),
    );

    // Batched, proven, published: a retry says where it is now.
    let path = dir.path().join("b1.bundle");
    let formed = served.engine(|engine| engine.form_batches(&view(), now_ms()).unwrap());
    assert_eq!(formed, 1);
    assert_answer(
        &served.post(&whole),
        200,
        json!({"id": "1", "nonce": "0", "status": "in_batch"}),
    );
    std::fs::write(&path, b"").unwrap();
    let recorded = path.clone();
    assert!(served.engine(move |engine| engine.finish_proof(1, &recorded).unwrap()));
    assert_answer(
        &served.post(&whole),
        200,
        json!({"id": "1", "nonce": "0", "status": "proven"}),
    );
    served.engine(|engine| engine.published(1, 4).unwrap());
    assert_answer(
        &served.post(&whole),
        200,
        json!({"id": "1", "nonce": "0", "status": "published"}),
    );
    let status = served.get("/v1/status").json();
    assert_eq!(status["accepted_exits"], "1", "nothing stored twice");
    assert_eq!(status["batches"], json!({"published": "1"}));
}

#[test]
fn a_different_exit_at_a_used_nonce_is_still_refused() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::new(engine(dir.path()));
    assert_eq!(served.post(&exit_json(0, 0, 10)).status, 202);
    // The same nonce, another amount: signed by the owner, but another
    // exit. So is one whose fields are the first's but whose signature
    // is not (a signature is only ever compared with its own fields).
    let reason = "account 0: the signature is for nonce 0, which this account has already \
                  used (its next nonce is 1): a replayed or duplicated request";
    assert_answer(
        &served.post(&exit_json(0, 0, 11)),
        422,
        json!({"error": "nonce_used", "reason": reason}),
    );
    let mut other_recipient = exit_json(0, 0, 10);
    other_recipient["recipient"] =
        exit_request_json(SEED, SRC, 2, ASSET, 0, 0, Fp::from(901), 10)["recipient"].clone();
    let refused = served.post(&other_recipient);
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(refused.json()["error"], "bad_signature");
    assert_eq!(served.get("/v1/status").json()["accepted_exits"], "1");
}

#[test]
fn each_refusal_has_its_own_code_and_unauthorised_is_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::new(engine(dir.path()));
    let first = exit_json(0, 0, 10);
    let token_needed = json!({
        "error": "unauthorised",
        "reason": "write requests need `Authorization: Bearer <token>`",
    });
    assert_answer(&served.post_with(&first, ""), 401, token_needed.clone());
    assert_answer(
        &served.post_with(&first, "Authorization: Bearer open-sesame"),
        401,
        token_needed,
    );
    assert_answer(
        &served.post(&exit_json(0, 2, 10)),
        422,
        json!({
            "error": "nonce_skipped",
            "reason": "account 0: the signature is for nonce 2, but this account's next \
                       nonce is 0: the requests for nonces 0 to 1 are missing",
        }),
    );
    let mut forged = first.clone();
    let signature = forged["signature"].as_str().unwrap();
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    forged["signature"] = json!(format!("{flipped}{}", &signature[1..]));
    assert_answer(
        &served.post(&forged),
        422,
        json!({
            "error": "bad_signature",
            "reason": "account 0: the signature does not verify (not for this lane, account, \
                       recipient and amount at any nearby nonce)",
        }),
    );
    let mut stolen = first.clone();
    stolen["public_key"] = exit_json(2, 0, 10)["public_key"].clone();
    assert_answer(
        &served.post(&stolen),
        422,
        json!({"error": "not_owner", "reason": "account 0: the key does not own the account"}),
    );
    assert_eq!(served.post(&first).status, 202);
    assert_eq!(served.post(&first).status, 200, "a retry, not a used nonce");
}

#[test]
fn an_exit_is_found_by_account_and_nonce() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::new(engine(dir.path()));
    assert_eq!(served.post(&exit_json(0, 0, 10)).status, 202);
    assert_eq!(served.post(&exit_json(2, 0, 20)).status, 202);
    assert_eq!(served.post(&exit_json(0, 1, 30)).status, 202);
    let found = served.get("/v1/exits?account=0&nonce=1");
    assert_eq!(found.status, 200, "{}", found.text());
    assert_eq!(found.json(), served.get("/v1/exits/3").json(), "as by id");
    assert_eq!(
        (found.json()["id"].as_str(), found.json()["amount"].as_str()),
        (Some("3"), Some("30"))
    );
    assert_eq!(found.json()["status"], "queued");
    assert_eq!(served.get("/v1/exits?nonce=0&account=2").json()["id"], "2");
    assert_answer(
        &served.get("/v1/exits?account=2&nonce=1"),
        404,
        json!({"error": "unknown", "reason": "no exit of account 2 at nonce 1"}),
    );
    let malformed = json!({
        "error": "malformed",
        "reason": "ask for an exit as ?account=<u64>&nonce=<u64>",
    });
    for query in [
        "",
        "?account=0",
        "?account=zero&nonce=0",
        "?account=0&nonce=-1",
        "?account=0&nonce=0&id=1",
    ] {
        assert_answer(
            &served.get(&format!("/v1/exits{query}")),
            400,
            malformed.clone(),
        );
    }
}

#[test]
fn a_store_made_before_the_signature_index_gets_it_and_finds_retries() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = engine(dir.path());
    let receipt = engine.submit(&exit(0, 0, 10)).unwrap();
    assert_eq!((receipt.stage, receipt.repeat), (ExitStage::Queued, false));
    drop(engine);
    // As an older build left it: no index on the signatures, no column
    // of exits refused after acceptance (version 3), no imports (version
    // 4), and no `user_version` (builds before migrations left it 0).
    let conn = rusqlite::Connection::open(RelayStore::path(dir.path())).unwrap();
    conn.execute_batch(
        "DROP INDEX exits_by_nonce;
         ALTER TABLE exits DROP COLUMN refused;
         CREATE UNIQUE INDEX exits_by_nonce ON exits (account, nonce);
         DROP INDEX exits_by_signature;
         DROP TABLE imports;
         PRAGMA user_version = 0;",
    )
    .unwrap();
    drop(conn);
    let mut engine = self::engine(dir.path());
    let again = engine.submit(&exit(0, 0, 10)).unwrap();
    assert_eq!((again.id, again.nonce), (receipt.id, 0));
    assert_eq!((again.stage, again.repeat), (ExitStage::Queued, true));
    assert_eq!(engine.queued(), 1, "nothing queued by the retry");
    assert!(engine.form_batches(&view(), now_ms()).unwrap() > 0);
    assert_eq!(
        engine.submit(&exit(0, 0, 10)).unwrap().stage,
        ExitStage::Batched(BatchStatus::Planned)
    );
    drop(engine);
    let conn = rusqlite::Connection::open(RelayStore::path(dir.path())).unwrap();
    let indexed: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'exits_by_signature'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(indexed, 1, "made again when opened");
}

/// Reads answer from their own connection and the engine's last
/// snapshot: while the engine's thread is busy (here held on purpose, as
/// planning or a slow disk would hold it), status and exit lookups still
/// answer, and say what the engine last committed.
#[test]
fn reads_answer_while_the_engine_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::new(engine(dir.path()));
    assert_eq!(served.post(&exit_json(0, 0, 10)).status, 202);
    let (release, held) = std::sync::mpsc::channel::<()>();
    let (started, busy) = std::sync::mpsc::channel::<()>();
    let engine = served.engine.clone();
    let holder = std::thread::spawn(move || {
        engine
            .with_engine(move |_| {
                started.send(()).unwrap();
                // Held until the reads below are answered.
                held.recv().unwrap();
            })
            .unwrap();
    });
    busy.recv().unwrap();
    let status = served.get("/v1/status");
    assert_eq!(status.status, 200, "{}", status.text());
    assert_eq!(status.json()["queued"], "1");
    let exit = served.get("/v1/exits/1");
    assert_eq!(exit.json()["status"], "queued");
    assert_eq!(served.get("/metrics").status, 200);
    release.send(()).unwrap();
    holder.join().unwrap();
    // Writes go through the engine again once it is free.
    assert_eq!(served.post(&exit_json(0, 1, 10)).status, 202);
}
