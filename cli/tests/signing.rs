//! Keys and signed items from the command line alone: `key new` makes a
//! key file once, `exit sign` makes the request `relay serve` takes (the
//! example's, byte for byte) and refuses an account the key does not own,
//! `attest sign` and `vote sign` make items the example gate follows once
//! a threshold has signed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bulkhead_node::relay::engine::ExitSubmission;
use bulkhead_protocol::hash::{self, Fp};
use bulkhead_protocol::hex::{encode, fp_from_hex, fp_to_hex};
use bulkhead_prover::{check_exit_signature, ExitAuthorisation, ExitAuthorisationError};
use bulkhead_testkit::keys::secret;

/// The examples are built with this seed (see tests/examples.rs).
const SEED: u64 = 1;
/// The examples' stream.
const STREAM: &str = "1";

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn run(params: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .arg("--params-dir")
        .arg(params)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes the seeded secret key of (`role`, `a`, `b`) to a file, as an
/// operator's key file holds it.
fn key_file(dir: &Path, role: &str, a: u64, b: u64) -> String {
    let path = dir.join(format!("{role}-{a}-{b}.key"));
    std::fs::write(&path, encode(secret(SEED, role, a, b)) + "\n").unwrap();
    path.to_str().unwrap().to_owned()
}

/// `public_key` and `owner` from `key new` / `key show` output.
fn public_of(out: &Output) -> ([u8; 32], Fp) {
    assert!(out.status.success(), "{}", stderr(out));
    let text = stdout(out);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .to_owned()
    };
    let key = bulkhead_protocol::hex::decode_array(&field("public_key: ")).unwrap();
    (key, fp_from_hex(&field("owner: ")).unwrap())
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn key_new_writes_an_owner_only_file_once_and_show_agrees() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("owner.key");
    let path = file.to_str().unwrap();
    let made = run(tmp.path(), &["key", "new", "--out", path]);
    let (public_key, owner) = public_of(&made);
    assert_eq!(owner, hash::owner_of_key(&public_key));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "a secret key readable by others");
    }
    assert_eq!(
        public_of(&run(tmp.path(), &["key", "show", path])),
        (public_key, owner)
    );

    // An existing file is never replaced: it may be the only copy.
    let before = std::fs::read(&file).unwrap();
    let again = run(tmp.path(), &["key", "new", "--out", path]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert!(stdout(&again).is_empty());
    assert_eq!(std::fs::read(&file).unwrap(), before);

    // Show refuses a file that is not a key, by name.
    let junk = tmp.path().join("junk.key");
    std::fs::write(&junk, "not a key").unwrap();
    let out = run(tmp.path(), &["key", "show", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("junk.key: not an Ed25519 secret key"),
        "{}",
        stderr(&out)
    );
}

/// `exit sign` of the example request (account 0 of segment 1, 300 of
/// asset 1 to segment 2) with `extra` flags; a flag given in `extra`
/// replaces the example's.
fn sign_example_exit(tmp: &Path, key: &str, extra: &[&str]) -> Output {
    let recipient = fp_to_hex(&Fp::from(7001));
    let example = [
        ("--stream-id", STREAM),
        ("--dst", "2"),
        ("--asset", "1"),
        ("--account", "0"),
        ("--recipient", &recipient),
        ("--amount", "300"),
    ];
    let mut args = vec!["exit", "sign", "--key", key];
    for (flag, value) in example {
        if !extra.contains(&flag) {
            args.extend_from_slice(&[flag, value]);
        }
    }
    args.extend_from_slice(extra);
    run(tmp, &args)
}

#[test]
fn exit_sign_makes_the_example_request_relay_serve_takes() {
    let tmp = tempfile::tempdir().unwrap();
    let owner = key_file(tmp.path(), "account", 1, 0);
    let snapshot = examples_dir().join("segment.json");
    let expected = std::fs::read_to_string(examples_dir().join("exit-request.json")).unwrap();

    // From the snapshot (nonce and segment read there), and from flags.
    let out = sign_example_exit(
        tmp.path(),
        &owner,
        &["--snapshot", snapshot.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected);
    let out = sign_example_exit(tmp.path(), &owner, &["--src", "1", "--nonce", "0"]);
    assert_eq!(stdout(&out), expected);
    // What the relayer's intake parses (unknown fields are refused there).
    let submission: ExitSubmission = serde_json::from_str(&expected).unwrap();
    assert_eq!(submission.amount, 300);

    // Another stream is another signature: it counts only where signed.
    let out = sign_example_exit(
        tmp.path(),
        &owner,
        &["--src", "1", "--nonce", "0", "--stream-id", "2"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(stdout(&out), expected);
}

#[test]
fn a_key_from_key_new_signs_exits_the_relayer_authorises() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("mine.key");
    let key = key.to_str().unwrap();
    let (public_key, owner) = public_of(&run(tmp.path(), &["key", "new", "--out", key]));

    // The example segment with account 0 handed to the new key, four
    // exits in.
    let mut snapshot = read_json(&examples_dir().join("segment.json"));
    snapshot["accounts"][0]["owner"] = fp_to_hex(&owner).into();
    snapshot["accounts"][0]["nonce"] = 4.into();
    let snapshot_file = tmp.path().join("segment.json");
    std::fs::write(&snapshot_file, snapshot.to_string()).unwrap();
    let snapshot_path = snapshot_file.to_str().unwrap();

    let out_file = tmp.path().join("exit.json");
    let out = sign_example_exit(
        tmp.path(),
        key,
        &[
            "--snapshot",
            snapshot_path,
            "--out",
            out_file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "--out takes the request");
    let request: ExitSubmission =
        serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(request.public_key, public_key);

    // The relayer's check, as its intake makes it for stream 1.
    let exit = |nonce| ExitAuthorisation {
        stream_id: 1,
        lane_id: hash::lane_id(Fp::from(1), Fp::from(2), Fp::from(1)),
        owner,
        account: 0,
        nonce,
        recipient: Fp::from(7001),
        amount: 300,
    };
    assert_eq!(
        check_exit_signature(&exit(4), &request.public_key, &request.signature),
        Ok(())
    );
    assert_eq!(
        check_exit_signature(&exit(3), &request.public_key, &request.signature),
        Err(ExitAuthorisationError::BadSignature),
        "signed for the snapshot's nonce, not another"
    );

    // A later nonce (exits queued since the snapshot) may be given; a
    // used one is refused before signing.
    let out = sign_example_exit(
        tmp.path(),
        key,
        &["--snapshot", snapshot_path, "--nonce", "6"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let later: ExitSubmission = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        check_exit_signature(&exit(6), &later.public_key, &later.signature),
        Ok(())
    );
    let out = sign_example_exit(
        tmp.path(),
        key,
        &["--snapshot", snapshot_path, "--nonce", "3"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("account 0's nonce 3 is used: its next nonce is 4"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_key_that_does_not_own_the_account_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    // Account 1's owner key, signing for account 0.
    let other = key_file(tmp.path(), "account", 1, 1);
    let snapshot = examples_dir().join("segment.json");
    let out_file = tmp.path().join("exit.json");
    let out = sign_example_exit(
        tmp.path(),
        &other,
        &[
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--out",
            out_file.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not own account 0 of segment 1"),
        "{}",
        stderr(&out)
    );
    assert!(!out_file.exists(), "a refused exit wrote a request");

    // No such account, another asset, another segment's snapshot.
    let owner = key_file(tmp.path(), "account", 1, 0);
    let snapshot = snapshot.to_str().unwrap();
    let cases: [(&[&str], i32, &str); 2] = [
        (
            &["--snapshot", snapshot, "--src", "3"],
            2,
            "segment 1's snapshot",
        ),
        (
            &["--snapshot", snapshot, "--asset", "2"],
            1,
            "account 0 holds asset 1, not asset 2",
        ),
    ];
    for (extra, code, expected) in cases {
        let out = sign_example_exit(tmp.path(), &owner, extra);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{expected}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(expected),
            "{expected}: {}",
            stderr(&out)
        );
    }
}

/// A gate created from examples/gate-config.json in `dir`.
fn example_gate(tmp: &Path) -> (PathBuf, PathBuf) {
    let (params, state) = (tmp.join("params"), tmp.join("gate"));
    let config = examples_dir().join("gate-config.json");
    let out = gate(
        &params,
        &state,
        &["init", "--config", config.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    (params, state)
}

fn gate(params: &Path, state: &Path, args: &[&str]) -> Output {
    let mut all = vec!["gate", "--state", state.to_str().unwrap()];
    all.extend_from_slice(args);
    run(params, &all)
}

#[test]
fn attestations_and_votes_signed_by_a_threshold_move_the_example_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let (params, state) = example_gate(tmp.path());
    let config = read_json(&examples_dir().join("gate-config.json"));
    let source = &config["sources"][0];

    // The validators' key files hold the keys the configuration lists.
    let validators: Vec<String> = (0..3)
        .map(|i| key_file(tmp.path(), "validator", 1, i))
        .collect();
    for (i, key) in validators.iter().enumerate() {
        let (public_key, _) = public_of(&run(&params, &["key", "show", key]));
        assert_eq!(source["validators"][i], encode(public_key));
    }

    // Segment 1's next root, signed by one validator after another, each
    // adding the previous file's signatures.
    let parent = source["accounts_root"].as_str().unwrap().to_owned();
    let root = fp_to_hex(&Fp::from(12345));
    let attest = |index: usize, add: Option<&str>, out: &Path, stream: &str| {
        let mut args = vec![
            "attest",
            "sign",
            "--key",
            &validators[index],
            "--stream-id",
            stream,
            "--segment",
            "1",
            "--height",
            "1",
            "--parent",
            &parent,
            "--root",
            &root,
            "--out",
            out.to_str().unwrap(),
        ];
        let index = index.to_string();
        args.extend_from_slice(&["--index", &index]);
        if let Some(add) = add {
            args.extend_from_slice(&["--add", add]);
        }
        let result = run(&params, &args);
        assert!(result.status.success(), "{}", stderr(&result));
    };
    let files: Vec<PathBuf> = (0..3)
        .map(|i| tmp.path().join(format!("attest-{i}.json")))
        .collect();
    let name = |i: usize| files[i].to_str().unwrap();
    attest(0, None, &files[0], STREAM);
    attest(1, Some(name(0)), &files[1], STREAM);
    assert_eq!(
        read_json(&files[1])["signatures"].as_array().unwrap().len(),
        2
    );
    // Two of three: refused, the gate unchanged.
    let out = gate(&params, &state, &["attest", name(1)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("2 valid signatures, needs 3"),
        "{}",
        stderr(&out)
    );
    // A third signed for another stream does not count here.
    let stray = tmp.path().join("stray.json");
    attest(2, Some(name(1)), &stray, "2");
    let out = gate(&params, &state, &["attest", stray.to_str().unwrap()]);
    assert!(
        stderr(&out).contains("2 valid signatures, needs 3"),
        "{}",
        stderr(&out)
    );
    // The threshold on this stream: accepted.
    attest(2, Some(name(1)), &files[2], STREAM);
    let out = gate(&params, &state, &["attest", name(2)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("segment 1's tip moves"),
        "{}",
        stdout(&out)
    );
    // An --add file of another statement is refused by name.
    let other_root = fp_to_hex(&Fp::from(1));
    let out = run(
        &params,
        &[
            "attest",
            "sign",
            "--key",
            &validators[0],
            "--index",
            "0",
            "--stream-id",
            STREAM,
            "--segment",
            "1",
            "--height",
            "1",
            "--parent",
            &parent,
            "--root",
            &other_root,
            "--add",
            name(2),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("attest-2.json: not an attestation"),
        "{}",
        stderr(&out)
    );

    // This gate's (segment 2's) local guardians trip its breaker: one
    // vote is counted, the second trips it.
    let vote = |index: u64| {
        let key = key_file(tmp.path(), "local-guardian", 2, index);
        let file = tmp.path().join(format!("vote-{index}.json"));
        let index = index.to_string();
        let out = run(
            &params,
            &[
                "vote",
                "sign",
                "--key",
                &key,
                "--index",
                &index,
                "--stream-id",
                STREAM,
                "--scope",
                "local",
                "--target",
                "2",
                "--trip",
                "--round",
                "0",
                "--out",
                file.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        file
    };
    let out = gate(&params, &state, &["trip", vote(0).to_str().unwrap()]);
    assert!(
        stdout(&out).contains("guardian vote counted"),
        "{}",
        stderr(&out)
    );
    let out = gate(&params, &state, &["trip", vote(1).to_str().unwrap()]);
    assert!(stdout(&out).contains("breaker tripped"), "{}", stderr(&out));
}

#[test]
fn an_import_signed_by_a_threshold_is_judged_by_g7_and_status_shows_the_live_silos() {
    let tmp = tempfile::tempdir().unwrap();
    let (params, state) = example_gate(tmp.path());
    let config = read_json(&examples_dir().join("gate-config.json"));
    let source = &config["sources"][0];
    let parent = source["accounts_root"].as_str().unwrap().to_owned();
    let root = fp_to_hex(&Fp::from(777));
    let files: Vec<PathBuf> = (0..3)
        .map(|i| tmp.path().join(format!("import-{i}.json")))
        .collect();
    for (i, file) in files.iter().enumerate() {
        let key = key_file(tmp.path(), "validator", 1, i as u64);
        let index = i.to_string();
        let mut args = vec![
            "attest",
            "import",
            "--key",
            &key,
            "--index",
            &index,
            "--stream-id",
            STREAM,
            "--segment",
            "1",
            "--height",
            "1",
            "--parent",
            &parent,
            "--root",
            &root,
            "--asset",
            "1",
            "--amount",
            "5",
            "--out",
            file.to_str().unwrap(),
        ];
        let previous = i
            .checked_sub(1)
            .map(|p| files[p].to_str().unwrap().to_owned());
        if let Some(previous) = &previous {
            args.extend_from_slice(&["--add", previous]);
        }
        let out = run(&params, &args);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let item = read_json(&files[2]);
    assert_eq!(item["type"], "import");
    assert_eq!(item["signatures"].as_array().unwrap().len(), 3);
    // Nothing arrived at segment 1 yet: the import is refused by G7, by
    // name, and the gate is unchanged.
    let before = stdout(&gate(&params, &state, &["status", "--json"]));
    let out = gate(
        &params,
        &state,
        &["accept", "--json", files[2].to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let verdict: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(verdict["rule"], "G7");
    assert_eq!(verdict["label"], "G7 inflow");
    let after = stdout(&gate(&params, &state, &["status", "--json"]));
    let strip = |s: &str| {
        let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
        v["stream_position"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&before), strip(&after));
    // Status reads live silos and flows from the mirror.
    let status = strip(&after);
    let silo = &status["sources"][0]["silos"][0];
    assert_eq!(silo["collateral"], source["silos"][0]["collateral"]);
    assert_eq!(status["sources"][0]["flows"][0]["inflow"], "0");
    assert_eq!(status["import_alarms"], serde_json::json!({}));
}

/// `govern` by signers `0..n` of `role` (owner `owner`), each adding the
/// previous file: the last item.
fn govern_signed(
    tmp: &Path,
    params: &Path,
    name: &str,
    role: (&str, u64, &str),
    n: usize,
    change: &[&str],
) -> PathBuf {
    let files: Vec<PathBuf> = (0..n)
        .map(|i| tmp.join(format!("{name}-{i}.json")))
        .collect();
    for (i, file) in files.iter().enumerate() {
        let key = key_file(tmp, role.0, role.1, i as u64);
        let index = i.to_string();
        let mut args = vec![
            "govern",
            "--key",
            &key,
            "--index",
            &index,
            "--by",
            role.2,
            "--stream-id",
            STREAM,
            "--segment",
            "1",
            "--out",
            file.to_str().unwrap(),
        ];
        args.extend_from_slice(change);
        let previous = i
            .checked_sub(1)
            .map(|p| files[p].to_str().unwrap().to_owned());
        if let Some(previous) = &previous {
            args.extend_from_slice(&["--add", previous]);
        }
        let out = run(params, &args);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    files[n - 1].clone()
}

#[test]
fn governance_signed_by_a_threshold_moves_the_boundary_and_status_shows_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (params, state) = example_gate(tmp.path());
    let config = read_json(&examples_dir().join("gate-config.json"));
    let cap: u64 = config["sources"][0]["silos"][0]["cap"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let lower = (cap - 1).to_string();
    let validators = ("validator", 1, "validators");
    let guardians = ("stream-guardian", 0, "guardians");
    // A change that names no value is refused before anything is signed.
    let out = run(
        &params,
        &[
            "govern",
            "--key",
            "k",
            "--index",
            "0",
            "--by",
            "validators",
            "--stream-id",
            STREAM,
            "--segment",
            "1",
            "--seq",
            "0",
            "--change",
            "lower-cap",
            "--asset",
            "1",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--value"), "{}", stderr(&out));

    // The validators lower the cap: at once.
    let tighten = govern_signed(
        tmp.path(),
        &params,
        "lower",
        validators,
        3,
        &[
            "--seq",
            "0",
            "--change",
            "lower-cap",
            "--asset",
            "1",
            "--value",
            &lower,
        ],
    );
    assert_eq!(read_json(&tighten)["type"], "governance");
    let out = gate(
        &params,
        &state,
        &["accept", "--json", tighten.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // The validators may not loosen.
    let loosen = govern_signed(
        tmp.path(),
        &params,
        "raise-v",
        validators,
        3,
        &[
            "--seq",
            "1",
            "--change",
            "raise-cap",
            "--asset",
            "1",
            "--value",
            "999999",
        ],
    );
    let out = gate(
        &params,
        &state,
        &["accept", "--json", loosen.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let verdict: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        (verdict["rule"].as_str(), verdict["label"].as_str()),
        (Some("G8"), Some("G8 signers"))
    );
    // The guardians may, after the timelock: status shows it pending.
    let raise = govern_signed(
        tmp.path(),
        &params,
        "raise-g",
        guardians,
        2,
        &[
            "--seq",
            "1",
            "--change",
            "raise-cap",
            "--asset",
            "1",
            "--value",
            "999999",
        ],
    );
    let out = gate(
        &params,
        &state,
        &["accept", "--json", raise.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let status: serde_json::Value =
        serde_json::from_str(&stdout(&gate(&params, &state, &["status", "--json"]))).unwrap();
    let source = &status["sources"][0];
    assert_eq!(source["silos"][0]["cap"], lower.as_str());
    let governance = &source["governance"];
    assert_eq!(governance["seq"], "2");
    assert_eq!(governance["pending"][0]["seq"], "1");
    let epoch: u64 = status["epoch"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        governance["pending"][0]["effective_epoch"],
        (epoch + bulkhead_verifier::gate::DEFAULT_TIMELOCK).to_string()
    );

    // The validators remove the lane (2, 1), opened in the segment's
    // state: at once, and status names the emptied position.
    let snapshot = examples_dir().join("segment.json");
    let lane = |name: &str, seq: &str, dst: &str| {
        govern_signed(
            tmp.path(),
            &params,
            name,
            validators,
            3,
            &[
                "--seq",
                seq,
                "--change",
                "remove-lane",
                "--asset",
                "1",
                "--dst",
                dst,
                "--snapshot",
                snapshot.to_str().unwrap(),
            ],
        )
    };
    let removal = lane("remove-lane", "2", "2");
    let out = gate(
        &params,
        &state,
        &["accept", "--json", removal.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let status: serde_json::Value =
        serde_json::from_str(&stdout(&gate(&params, &state, &["status", "--json"]))).unwrap();
    let governance = &status["sources"][0]["governance"];
    assert_eq!(governance["seq"], "3");
    assert_eq!(governance["lanes"][0]["position"], "0");
    assert!(governance["lanes"][0]["lane"].is_null());
    // The same removal again no longer opens the lanes tree: refused by
    // name, nothing changed.
    let again = lane("remove-again", "3", "2");
    let out = gate(
        &params,
        &state,
        &["accept", "--json", again.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let verdict: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(verdict["label"], "G8 lane opening");
    // A lane the segment does not have is refused before anything is
    // signed.
    let out = run(
        &params,
        &[
            "govern",
            "--key",
            "k",
            "--index",
            "0",
            "--by",
            "validators",
            "--stream-id",
            STREAM,
            "--segment",
            "1",
            "--seq",
            "3",
            "--change",
            "remove-lane",
            "--asset",
            "1",
            "--dst",
            "9",
            "--snapshot",
            snapshot.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no lane to segment 9"),
        "{}",
        stderr(&out)
    );

    // The guardians rotate segment 1's validators, cosigned by them:
    // pending until the timelock, shown with the new set.
    let keys: Vec<String> = (0..3)
        .map(|i| {
            encode(bulkhead_testkit::keys::public_key(&secret(
                SEED, "new", 1, i,
            )))
        })
        .collect();
    let mut rotate = vec!["--seq", "3", "--change", "rotate", "--value", "2"];
    for key in &keys {
        rotate.extend_from_slice(&["--new-validator", key]);
    }
    let by_guardians = govern_signed(tmp.path(), &params, "rotate-g", guardians, 2, &rotate);
    let mut cosign = rotate.clone();
    let by_guardians = by_guardians.to_str().unwrap().to_owned();
    cosign.extend_from_slice(&["--add", &by_guardians]);
    let rotation = govern_signed(tmp.path(), &params, "rotate-v", validators, 3, &cosign);
    let item = read_json(&rotation);
    assert_eq!(
        (
            item["signatures"].as_array().unwrap().len(),
            item["cosigners"].as_array().unwrap().len()
        ),
        (2, 3)
    );
    let out = gate(
        &params,
        &state,
        &["accept", "--json", rotation.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let status: serde_json::Value =
        serde_json::from_str(&stdout(&gate(&params, &state, &["status", "--json"]))).unwrap();
    let pending = &status["sources"][0]["governance"]["pending"];
    let rotation = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["change"]["kind"] == "rotate")
        .expect("the rotation is pending");
    assert_eq!(rotation["change"]["validators"][2], keys[2].as_str());

    // The guardians add a silo for asset 9, opened in the segment's
    // state: pending, empty.
    let silo = govern_signed(
        tmp.path(),
        &params,
        "add-silo",
        guardians,
        2,
        &[
            "--seq",
            "4",
            "--change",
            "add-silo",
            "--asset",
            "9",
            "--value",
            "50",
            "--snapshot",
            snapshot.to_str().unwrap(),
        ],
    );
    let out = gate(
        &params,
        &state,
        &["accept", "--json", silo.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let status: serde_json::Value =
        serde_json::from_str(&stdout(&gate(&params, &state, &["status", "--json"]))).unwrap();
    let governance = &status["sources"][0]["governance"];
    assert!(governance["validators"].is_null(), "{governance}");
    assert_eq!(governance["added_silos"], serde_json::json!([]));
    let pending = &governance["pending"];
    assert!(
        pending
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["change"]["kind"] == "add_silo" && p["change"]["asset"] == "9"),
        "{pending}"
    );
}
