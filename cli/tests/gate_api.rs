//! `bulkhead gate serve` over HTTP as clients use it, hostile ones
//! included: verdicts with their rule, reads beside the writer, one
//! writer per directory, bodies refused unread, a bounded queue, tokens
//! beyond loopback, one credit for many submissions of one bundle.

mod service;

use std::sync::{Arc, Barrier};

use bulkhead_protocol::hex::fp_to_hex;
use bulkhead_protocol::Fp;
use bulkhead_testkit::chain::{bundles, tick, EPOCH};
use bulkhead_testkit::http::{self, Answer};
use bulkhead_verifier::gate::StreamItem;
use service::*;

fn json_item(item: &StreamItem) -> Vec<u8> {
    serde_json::to_vec(&item.to_json().unwrap()).unwrap()
}

fn post_json(addr: std::net::SocketAddr, item: &StreamItem) -> Answer {
    http::post(addr, "/v1/items", "application/json", "", &json_item(item))
}

fn post_bundle(addr: std::net::SocketAddr, index: usize) -> Answer {
    http::post(
        addr,
        "/v1/items",
        "application/octet-stream",
        "",
        &bundles()[index].to_bytes(),
    )
}

#[test]
fn verdicts_reads_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    create_gate(dir.path());
    let service = serve(dir.path(), &[]);
    let addr = service.addr;

    let tick = post_json(addr, &tick(EPOCH));
    assert_eq!(tick.status, 200, "{}", tick.text());
    assert_eq!(tick.json()["verdict"], "accepted");
    let accepted = post_bundle(addr, 0);
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    let effect = &accepted.json()["effect"];
    assert_eq!(effect["effect"], "bundle_accepted");
    assert_eq!(effect["credited"].as_array().unwrap().len(), 2);
    assert_eq!(
        effect["credited"][0]["amount"], "10",
        "u64 as a decimal string"
    );

    let replay = post_bundle(addr, 0);
    assert_eq!(replay.status, 422, "{}", replay.text());
    let verdict = replay.json();
    assert_eq!(verdict["verdict"], "refused");
    assert_eq!(verdict["rule"], "G2");
    assert!(verdict["reason"].as_str().unwrap().contains("replay"));

    let garbage = http::post(
        addr,
        "/v1/items",
        "application/json",
        "",
        b"{\"type\":\"x\"}",
    );
    assert_eq!(garbage.status, 400, "{}", garbage.text());
    let truncated = &bundles()[1].to_bytes()[..100];
    let malformed = http::post(addr, "/v1/items", "application/octet-stream", "", truncated);
    assert_eq!(malformed.status, 422);
    assert_eq!(malformed.json()["label"], "malformed");

    let status = http::get(addr, "/v1/status").json();
    assert_eq!(status["epoch"], EPOCH.to_string());
    assert_eq!(status["credited_exits"], "2");
    let source = http::get(addr, "/v1/sources/1");
    assert_eq!(source.status, 200);
    assert_eq!(source.json()["next_seq"], "2");
    assert_eq!(http::get(addr, "/v1/sources/9").status, 404);
    assert_eq!(http::get(addr, "/v1/sources/x").status, 400);

    // Credits by recipient, paged.
    let recipient = fp_to_hex(&Fp::from(500));
    let page = http::get(addr, &format!("/v1/credits?recipient={recipient}")).json();
    assert_eq!(page["credits"].as_array().unwrap().len(), 1);
    assert_eq!(page["credits"][0]["credit"]["amount"], "10");
    let first = http::get(addr, "/v1/credits?limit=1").json();
    assert_eq!(first["credits"].as_array().unwrap().len(), 1);
    let next = first["next"].as_str().unwrap();
    let second = http::get(addr, &format!("/v1/credits?after={next}&limit=1")).json();
    assert_eq!(second["credits"][0]["credit"]["amount"], "20");
    assert_eq!(http::get(addr, "/v1/credits?limit=0").status, 400);
    assert_eq!(http::get(addr, "/v1/credits?recipient=zz").status, 400);

    let blast = http::get(addr, "/v1/blast-radius").json();
    assert_eq!(blast["sources"][0]["segment"], "1");
    assert_eq!(blast["sources"][0]["credited"]["1"], "30");

    let metrics = http::get(addr, "/metrics").text();
    for line in [
        "bulkhead_gate_items_total{kind=\"bundle\",verdict=\"accepted\"} 1",
        "bulkhead_gate_items_total{kind=\"bundle\",verdict=\"refused\"} 2",
        "bulkhead_gate_items_total{kind=\"tick\",verdict=\"accepted\"} 1",
        "bulkhead_gate_refusals_total{rule=\"G2\",reason=\"G2 replay\"} 1",
        "bulkhead_gate_credited{source=\"1\",asset=\"1\"} 30",
        "bulkhead_gate_item_seconds_count 4",
    ] {
        assert!(metrics.contains(line), "missing {line:?} in\n{metrics}");
    }

    // Read-only commands work beside the service; a second writer is
    // refused, naming the holder.
    let status = gate(dir.path(), &["status", "--json"]);
    assert!(status.status.success());
    let export = gate(dir.path(), &["export", "--json"]);
    assert!(export.status.success());
    let export: serde_json::Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(export["credits"].as_array().unwrap().len(), 2);
    let credits = gate(dir.path(), &["credits", "--limit", "5"]);
    assert!(credits.status.success());
    let writer = gate(dir.path(), &["attest", "/nonexistent.json"]);
    assert_eq!(writer.status.code(), Some(2));
    let items = dir.path().join("tick.json");
    std::fs::write(&items, json_item(&bulkhead_testkit::chain::tick(EPOCH + 1))).unwrap();
    let second = gate(dir.path(), &["accept", items.to_str().unwrap()]);
    assert_eq!(second.status.code(), Some(2));
    let message = String::from_utf8_lossy(&second.stderr);
    let pid = service.child.id().to_string();
    assert!(message.contains(&format!("pid {pid}")), "{message}");
    assert_eq!(
        http::get(addr, "/v1/status").json()["epoch"],
        EPOCH.to_string()
    );

    // SIGTERM stops it cleanly; the lock goes with it.
    assert!(service.terminate().success());
    let after = gate(dir.path(), &["accept", items.to_str().unwrap()]);
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
}

#[test]
fn oversized_bodies_are_refused_before_they_are_read() {
    let dir = tempfile::tempdir().unwrap();
    create_gate(dir.path());
    let service = serve(dir.path(), &[]);
    // A Content-Length of a gigabyte and no body: answered at once.
    let answer = http::raw(
        service.addr,
        "POST /v1/items HTTP/1.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000000",
        &[],
    )
    .unwrap();
    assert_eq!(answer.status, 413);
    // Just past the largest valid item: refused too; a full bundle fits.
    let big = vec![0u8; 1 << 20];
    let answer = http::post(
        service.addr,
        "/v1/items",
        "application/octet-stream",
        "",
        &big,
    );
    assert_eq!(answer.status, 413);
    assert_eq!(post_json(service.addr, &tick(EPOCH)).status, 200);
    assert_eq!(post_bundle(service.addr, 0).status, 200);
}

#[test]
fn a_full_queue_answers_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    create_gate(dir.path());
    let service = serve(dir.path(), &["--queue", "1"]);
    assert_eq!(post_json(service.addr, &tick(EPOCH)).status, 200);
    // Bundles whose proof is wrong pass every cheap check and cost the
    // writer a full verification each: the queue fills.
    let mut bytes = bundles()[0].to_bytes();
    let in_proof = bundles()[0].public_bytes().len() - 10;
    bytes[in_proof] ^= 1;
    let threads = 24;
    let barrier = Arc::new(Barrier::new(threads));
    let answers: Vec<Answer> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = barrier.clone();
                let bytes = bytes.clone();
                let addr = service.addr;
                s.spawn(move || {
                    barrier.wait();
                    http::post(addr, "/v1/items", "application/octet-stream", "", &bytes)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let busy: Vec<&Answer> = answers.iter().filter(|a| a.status == 503).collect();
    assert!(
        !busy.is_empty(),
        "a queue of 1 cannot hold {threads} submissions"
    );
    assert!(busy.iter().all(|a| a.header("retry-after") == Some("1")));
    for answer in &answers {
        assert!(
            answer.status == 503 || (answer.status == 422 && answer.json()["rule"] == "G1"),
            "{} {}",
            answer.status,
            answer.text()
        );
    }
    // Nothing was credited, and the service still answers.
    assert_eq!(
        http::get(service.addr, "/v1/status").json()["credited_exits"],
        "0"
    );
}

#[test]
fn beyond_loopback_writes_need_the_token() {
    let dir = tempfile::tempdir().unwrap();
    create_gate(dir.path());
    match start(dir.path(), &["--listen", "0.0.0.0:0"], &[]) {
        Started::Exited(code, stderr) => {
            assert_eq!(code, Some(2));
            assert!(stderr.contains("token"), "{stderr}");
        }
        Started::Listening(_) => panic!("served beyond loopback without a token"),
    }
    let service = match start(
        dir.path(),
        &["--listen", "0.0.0.0:0"],
        &[("BULKHEAD_GATE_TOKEN", "s3cret")],
    ) {
        Started::Listening(service) => service,
        Started::Exited(code, stderr) => panic!("{code:?} {stderr}"),
    };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], service.addr.port()));
    let body = json_item(&tick(EPOCH));
    let none = http::post(addr, "/v1/items", "application/json", "", &body);
    assert_eq!(none.status, 401);
    let wrong = http::post(
        addr,
        "/v1/items",
        "application/json",
        "Authorization: Bearer s3cres",
        &body,
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(
        http::get(addr, "/v1/status").json()["epoch"],
        (EPOCH - 1).to_string()
    );
    let right = http::post(
        addr,
        "/v1/items",
        "application/json",
        "Authorization: Bearer s3cret",
        &body,
    );
    assert_eq!(right.status, 200, "{}", right.text());
}

#[test]
fn concurrent_submissions_of_one_bundle_credit_it_once() {
    let dir = tempfile::tempdir().unwrap();
    create_gate(dir.path());
    let service = serve(dir.path(), &["--queue", "64"]);
    assert_eq!(post_json(service.addr, &tick(EPOCH)).status, 200);
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let statuses: Vec<(u16, serde_json::Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = barrier.clone();
                let addr = service.addr;
                s.spawn(move || {
                    barrier.wait();
                    let a = post_bundle(addr, 0);
                    (a.status, a.json())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let accepted = statuses.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(accepted, 1, "{statuses:?}");
    assert!(statuses
        .iter()
        .filter(|(s, _)| *s != 200)
        .all(|(s, v)| *s == 422 && v["rule"] == "G2"));
    let export = gate(dir.path(), &["export", "--json"]);
    let export: serde_json::Value = serde_json::from_slice(&export.stdout).unwrap();
    let seqs: Vec<&str> = export["credits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["seq"].as_str().unwrap())
        .collect();
    assert_eq!(seqs, ["0", "1"], "each exit credited once");
}

#[test]
fn a_following_gate_takes_items_only_from_its_stream() {
    let dir = tempfile::tempdir().unwrap();
    create_gate(dir.path());
    let stream = dir.path().join("stream");
    std::fs::create_dir_all(&stream).unwrap();
    let service = serve(dir.path(), &["--follow", stream.to_str().unwrap()]);
    // Submissions would interleave with the stream in arrival order and
    // part this gate from every other: refused.
    let posted = post_json(service.addr, &tick(EPOCH));
    assert_eq!(posted.status, 409, "{}", posted.text());
    // A tick copied in slowly: half of it first. The follower waits for the
    // file to settle rather than skip the position for good.
    let bytes = json_item(&tick(EPOCH));
    let entry = stream.join("0000000001.item");
    std::fs::write(&entry, &bytes[..bytes.len() / 2]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::write(&entry, &bytes).unwrap();
    // Then a bundle, appended the safe way.
    let file = dir.path().join("b0.bundle");
    std::fs::write(&file, bundles()[0].to_bytes()).unwrap();
    let appended = bulkhead()
        .args(["stream", "--stream"])
        .arg(&stream)
        .arg("append")
        .arg(&file)
        .output()
        .unwrap();
    assert!(appended.status.success());
    assert_eq!(
        String::from_utf8_lossy(&appended.stdout).trim(),
        format!("{}: position 2", file.display())
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let status = http::get(service.addr, "/v1/status").json();
        if status["stream_position"] == "2" {
            assert_eq!(
                status["epoch"],
                EPOCH.to_string(),
                "the tick was applied, not skipped"
            );
            assert_eq!(status["credited_exits"], "2");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{status}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(service.terminate().success());
    // A one-shot writer cannot slip an item past the stream either.
    let items = dir.path().join("tick.json");
    std::fs::write(&items, json_item(&tick(EPOCH + 1))).unwrap();
    let direct = gate(dir.path(), &["accept", items.to_str().unwrap()]);
    assert_eq!(direct.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&direct.stderr).contains("follows a stream"));
}

#[test]
fn unknown_content_types_and_lowercase_bearer() {
    let dir = tempfile::tempdir().unwrap();
    create_gate(dir.path());
    let service = match start(dir.path(), &[], &[("BULKHEAD_GATE_TOKEN", "t0ken")]) {
        Started::Listening(service) => service,
        Started::Exited(code, stderr) => panic!("{code:?} {stderr}"),
    };
    let body = json_item(&tick(EPOCH));
    let xml = http::post(
        service.addr,
        "/v1/items",
        "text/xml",
        "Authorization: Bearer t0ken",
        &body,
    );
    assert_eq!(xml.status, 415, "{}", xml.text());
    let ok = http::post(
        service.addr,
        "/v1/items",
        "application/json; charset=utf-8",
        "Authorization: bearer t0ken",
        &body,
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
}
