//! The files under `examples/` are documented inputs of `bulkhead prove`
//! and `bulkhead gate init`; this test keeps them current (set
//! `BULKHEAD_WRITE_EXAMPLES=1` to rewrite them on purpose) and runs the
//! relayer-to-gate round trip on them: prove -> verify -> gate accept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bulkhead_circuits::keys::{k_for, verifying_key, vk_digest};
use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::model::{BatchRequest, ExitRequest};
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_protocol::CircuitShape;
use bulkhead_prover::requests::ExitsFile;
use bulkhead_prover::ParamsCache;
use bulkhead_testkit::chain::SHAPE_FLAGS;
use bulkhead_testkit::gate::{gate_config, tick, STREAM_ID};
use bulkhead_testkit::sample;
use bulkhead_testkit::signed::{exit_request_json, segment, sign_batch};
use bulkhead_verifier::BundleVerifier;

const SEED: u64 = 1;
const SHAPE: CircuitShape = CircuitShape::TINY;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn expected(params: &Path) -> Vec<(&'static str, String)> {
    let state = segment(SEED, 1, &SHAPE).unwrap();
    let mut scratch = state.clone();
    let batches: Vec<_> = [(0u64, 300u128), (2, 200)]
        .iter()
        .map(|(account, amount)| {
            let request = BatchRequest {
                dst: 2,
                asset: sample::ASSET,
                epoch: sample::EPOCH,
                exits: vec![
                    ExitRequest {
                        account: *account,
                        recipient: Fp::from(7001),
                        amount: *amount,
                    },
                    ExitRequest {
                        account: *account,
                        recipient: Fp::from(7002),
                        amount: 1,
                    },
                ],
            };
            let signed = sign_batch(SEED, &SHAPE, 1, &scratch, &request);
            scratch.apply_exits(&request, &SHAPE).unwrap();
            signed
        })
        .collect();
    let (ipa, _) = ParamsCache::new(params)
        .load_or_create(k_for(SHAPE).unwrap())
        .unwrap();
    let digest = vk_digest(&verifying_key(&ipa, SHAPE).unwrap());
    let genesis = BTreeMap::from([(1, state.clone())]);
    let json = |v: serde_json::Value| serde_json::to_string_pretty(&v).unwrap() + "\n";
    vec![
        (
            "segment.json",
            json(serde_json::to_value(Snapshot::from_state(&state, SHAPE)).unwrap()),
        ),
        (
            "exits.json",
            json(serde_json::to_value(ExitsFile::from_batches(STREAM_ID, &batches)).unwrap()),
        ),
        (
            "gate-config.json",
            json(serde_json::to_value(gate_config(SEED, 2, SHAPE, digest, &genesis)).unwrap()),
        ),
        (
            // A second receiving segment on the same stream (the README's
            // two gates on NATS): it follows segment 1 and credits what
            // segment 1 sends to segment 3.
            "gate-3-config.json",
            json(serde_json::to_value(gate_config(SEED, 3, SHAPE, digest, &genesis)).unwrap()),
        ),
        (
            "tick.json",
            json(serde_json::to_value(tick(SEED, sample::EPOCH).to_json()).unwrap()),
        ),
        (
            // What a client posts to `relay serve` (README): account 0's
            // first exit, as in exits.json.
            "exit-request.json",
            json(exit_request_json(
                SEED,
                1,
                2,
                sample::ASSET,
                0,
                0,
                Fp::from(7001),
                300,
            )),
        ),
    ]
    .into_iter()
    .chain(example_keys())
    .collect()
}

/// The secret keys behind the examples (the README's walk-throughs sign
/// with them): account 0's owner, two of segment 1's validators, two
/// stream guardians and one of gate 2's guardians. They are the tests'
/// seeded keys, published on purpose: never use them for anything real.
fn example_keys() -> Vec<(&'static str, String)> {
    use bulkhead_testkit::keys::secret;
    let key = |role: &str, a: u64, b: u64| {
        bulkhead_protocol::hex::encode(secret(SEED, role, a, b)) + "\n"
    };
    vec![
        ("keys/owner-1-0.key", key("account", 1, 0)),
        ("keys/validator-1-0.key", key("validator", 1, 0)),
        ("keys/validator-1-1.key", key("validator", 1, 1)),
        ("keys/stream-guardian-0.key", key("stream-guardian", 0, 0)),
        ("keys/stream-guardian-1.key", key("stream-guardian", 0, 1)),
        ("keys/gate-2-guardian-0.key", key("local-guardian", 2, 0)),
    ]
}

/// `bulkhead prove` on the example snapshot with `exits`, into `out`.
fn prove(params: &Path, exits: &Path, out: &Path) -> std::process::Output {
    prove_from(
        params,
        &examples_dir().join("segment.json"),
        exits,
        out,
        &[],
    )
}

/// `bulkhead prove` on `snapshot` with `exits`, into `out`, with `extra`
/// flags.
fn prove_from(
    params: &Path,
    snapshot: &Path,
    exits: &Path,
    out: &Path,
    extra: &[&str],
) -> std::process::Output {
    bulkhead(params)
        .arg("prove")
        .arg("--snapshot")
        .arg(snapshot)
        .arg("--exits")
        .arg(exits)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn bulkhead(params: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulkhead"));
    command.arg("--params-dir").arg(params);
    command
}

#[test]
fn examples_are_current_and_round_trip_from_prove_to_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let params = tmp.path().join("params");
    let dir = examples_dir();
    for (name, text) in expected(&params) {
        let path = dir.join(name);
        if std::env::var_os("BULKHEAD_WRITE_EXAMPLES").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            text,
            "{name} is stale: run with BULKHEAD_WRITE_EXAMPLES=1"
        );
    }

    let out = tmp.path().join("bundles");
    let prove = prove(&params, &dir.join("exits.json"), &out);
    assert!(
        prove.status.success(),
        "{}",
        String::from_utf8_lossy(&prove.stderr)
    );
    // Progress, one plain line per bundle as it is written (stderr is not
    // a terminal here).
    let progress = String::from_utf8_lossy(&prove.stderr);
    assert_eq!(progress.matches("proved ").count(), 2, "{progress}");
    assert!(progress.contains("proved 2/2"), "{progress}");
    let next: Snapshot =
        serde_json::from_slice(&std::fs::read(out.join("snapshot.json")).unwrap()).unwrap();
    assert_eq!(next.exit_seq, 4);
    assert_eq!(next.accounts[0].balance, 1000 - 301);

    // The same signed exits again, on the snapshot they advanced: every
    // nonce is used, and the refusal says so (not "bad signature").
    let again = prove_from(
        &params,
        &out.join("snapshot.json"),
        &dir.join("exits.json"),
        &tmp.path().join("again"),
        &[],
    );
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("nonce 0, which this account has already used (its next nonce is 2)"),
        "{stderr}"
    );

    let mut bundles: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bundle"))
        .collect();
    bundles.sort();
    assert_eq!(bundles.len(), 2);
    for bundle in &bundles {
        let status = bulkhead(&params)
            .arg("verify")
            .arg(bundle)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0));
    }

    // What an embedded verifier is set up from: `bulkhead keys` writes it,
    // and a verifier from those bytes alone accepts the bundles.
    let keys = tmp.path().join("keys");
    let written = bulkhead(&params)
        .arg("keys")
        .args(SHAPE_FLAGS)
        .arg("--out")
        .arg(&keys)
        .output()
        .unwrap();
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let read = |name: &str| std::fs::read(keys.join(name)).unwrap();
    let shape: CircuitShape = serde_json::from_slice(&read("shape.json")).unwrap();
    assert_eq!(shape, SHAPE);
    let digest =
        bulkhead_protocol::hex::decode_array(std::str::from_utf8(&read("digest.txt")).unwrap())
            .unwrap();
    let embedded =
        BundleVerifier::with_key(&read("params.bin"), shape, &read("key.bin"), digest).unwrap();
    for bundle in &bundles {
        let bytes = std::fs::read(bundle).unwrap();
        assert_eq!(
            embedded.verify_bundle(&bytes).unwrap().bundle().vk_digest,
            digest
        );
    }

    let gate = tmp.path().join("gate");
    let init = bulkhead(&params)
        .args(["gate", "--state"])
        .arg(&gate)
        .arg("init")
        .arg("--config")
        .arg(dir.join("gate-config.json"))
        .status()
        .unwrap();
    assert!(init.success());
    let accept = bulkhead(&params)
        .args(["gate", "--state"])
        .arg(&gate)
        .arg("accept")
        .arg(dir.join("tick.json"))
        .args(&bundles)
        .output()
        .unwrap();
    assert!(
        accept.status.success(),
        "{}",
        String::from_utf8_lossy(&accept.stderr)
    );
    let status = bulkhead(&params)
        .args(["gate", "--state"])
        .arg(&gate)
        .args(["status", "--json"])
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["sources"][0]["next_seq"], "4");
    assert_eq!(status["credited_exits"], "4");
}

#[test]
fn absurd_flags_and_an_unwritable_out_are_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = examples_dir();
    let snapshot = dir.join("segment.json");
    let exits = dir.join("exits.json");
    let out = tmp.path().join("out");
    for (flags, says) in [
        (
            &["--threads", "100000"][..],
            "threads = 100000 is outside 0..=",
        ),
        (&["--in-flight", "0"][..], "in_flight = 0 is outside 1..=64"),
        (
            &["--in-flight", "65"][..],
            "in_flight = 65 is outside 1..=64",
        ),
    ] {
        let run = prove_from(tmp.path(), &snapshot, &exits, &out, flags);
        assert_eq!(run.status.code(), Some(2), "{flags:?}");
        assert!(
            String::from_utf8_lossy(&run.stderr).contains(says),
            "{flags:?}"
        );
        assert!(!out.exists(), "{flags:?} wrote something");
    }
    // --out naming a file: refused before planning or proving.
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"keep me").unwrap();
    let run = prove_from(tmp.path(), &snapshot, &exits, &file, &[]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("is not a directory"));
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
    assert!(!tmp.path().join("params").exists(), "no keys were derived");
}

#[test]
fn keys_for_a_k_embedded_verifiers_refuse_are_not_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("keys");
    // N=256 at depth 32 on one chip needs k = 18: refused before any
    // parameter work.
    let run = bulkhead(tmp.path())
        .args([
            "keys", "--batch", "256", "--depth", "32", "--chips", "1", "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("needs k = 18"));
    assert!(!out.exists());
}

#[test]
fn a_refused_exit_writes_nothing_and_bad_json_names_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = examples_dir();
    // Spend more than account 0 holds: the model refuses before proving.
    let mut exits: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("exits.json")).unwrap()).unwrap();
    exits["batches"][0]["exits"][0]["amount"] = serde_json::json!(5000);
    let file = tmp.path().join("exits.json");
    std::fs::write(&file, exits.to_string()).unwrap();
    let out = tmp.path().join("out");
    let run = prove(tmp.path(), &file, &out);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("cannot send 5000"));
    assert!(!out.exists(), "nothing is written for a refused run");
    // The same amount as a decimal string reads the same (the one integer
    // convention: a number or a string in).
    exits["batches"][0]["exits"][0]["amount"] = serde_json::json!("5000");
    std::fs::write(&file, exits.to_string()).unwrap();
    let run = prove(tmp.path(), &file, &out);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("cannot send 5000"));

    exits["batches"][0]["exits"][0]["amount"] = serde_json::json!("many");
    std::fs::write(&file, exits.to_string()).unwrap();
    let run = prove(tmp.path(), &file, &out);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("batches[0].exits[0].amount"), "{stderr}");
    assert!(
        stderr.contains(r#""many" is not a decimal integer"#),
        "{stderr}"
    );
    assert!(
        !stderr.contains("untagged") && !stderr.contains("variant"),
        "{stderr}"
    );
}

#[test]
fn prove_takes_the_segments_own_update_only_at_its_attested_root() {
    let tmp = tempfile::tempdir().unwrap();
    let params = tmp.path().join("params");
    let dir = examples_dir();
    let snapshot: Snapshot =
        serde_json::from_slice(&std::fs::read(dir.join("segment.json")).unwrap()).unwrap();
    // The segment imports 30 of asset 1 into account 4.
    let mut updated = snapshot.to_state().unwrap();
    updated.import(1, &[(4, 30)]).unwrap();
    let update = tmp.path().join("update.json");
    let account = updated.account(4).unwrap();
    let silo = updated.silo(1).unwrap();
    std::fs::write(
        &update,
        serde_json::to_vec(&serde_json::json!({
            "form": "leaves",
            "accounts": [{ "index": "4", "account": account }],
            "silos": [silo],
        }))
        .unwrap(),
    )
    .unwrap();
    let run = |root: &Fp, out: &Path| {
        let root = bulkhead_protocol::hex::fp_to_hex(root);
        let update = update.to_str().unwrap();
        prove_from(
            &params,
            &dir.join("segment.json"),
            &dir.join("exits.json"),
            out,
            &["--state", update, "--attested-root", &root],
        )
    };
    // Another root than the update reaches: refused, nothing written.
    let refused_out = tmp.path().join("refused");
    let refused = run(&snapshot.to_state().unwrap().accounts_root(), &refused_out);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("update.json") && stderr.contains("attested tip"),
        "{stderr}"
    );
    assert!(!refused_out.exists());
    // The attested root: the exits are proven on the updated state.
    let out = tmp.path().join("out");
    let done = run(&updated.accounts_root(), &out);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let next: Snapshot =
        serde_json::from_slice(&std::fs::read(out.join("snapshot.json")).unwrap()).unwrap();
    let next = next.to_state().unwrap();
    assert_eq!(next.account(4).unwrap().balance, account.balance);
    // Exactly the model's run of the exits on the updated state.
    let exits: ExitsFile =
        serde_json::from_slice(&std::fs::read(dir.join("exits.json")).unwrap()).unwrap();
    let mut expected = updated.clone();
    bulkhead_prover::plan_signed_run(&mut expected, &exits.to_batches(), &snapshot.shape).unwrap();
    assert_eq!(next.boundary_root(), expected.boundary_root());
    assert_eq!(next.accounts_root(), expected.accounts_root());
}
