//! `bulkhead gate` as an operator uses it: `init` refuses a configuration
//! that breaks a registration rule, naming the field, and writes nothing;
//! `tick` signs a tick with stream-guardian keys, collects signatures from
//! other guardians' files, and the gate accepts it only when it is the
//! next epoch, late enough, and signed by a threshold; a first guardian's
//! partly signed tick written with `--out` exits 0.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bulkhead_testkit::keys::secret;

/// The examples are built with this seed.
const SEED: u64 = 1;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn bulkhead(params: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulkhead"));
    command.arg("--params-dir").arg(params);
    command
}

fn gate(params: &Path, state: &Path, args: &[&str]) -> Output {
    bulkhead(params)
        .args(["gate", "--state"])
        .arg(state)
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes stream guardian `index`'s secret key (hex) to a file.
fn guardian_key(dir: &Path, index: u64) -> String {
    let path = dir.join(format!("guardian-{index}.key"));
    let key = secret(SEED, "stream-guardian", 0, index);
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(&path, hex + "\n").unwrap();
    format!("{index}:{}", path.display())
}

/// A change to a configuration file.
type Edit = dyn Fn(&mut serde_json::Value);

#[test]
fn init_refuses_a_config_that_breaks_registration_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let params = tmp.path().join("params");
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(examples_dir().join("gate-config.json")).unwrap())
            .unwrap();
    let cases: [(&str, &Edit); 5] = [
        ("unknown field `colour`", &|c| c["colour"] = "red".into()),
        ("sources[0].threshold", &|c| {
            c["sources"][0]["threshold"] = 9.into()
        }),
        ("sources[0].validators[1]: duplicate key", &|c| {
            c["sources"][0]["validators"][1] = c["sources"][0]["validators"][0].clone()
        }),
        ("sources[0].silos[0]: does not hash", &|c| {
            c["sources"][0]["silos"][0]["collateral"] = 1.into()
        }),
        ("sources[0].vk_digest", &|c| {
            c["sources"][0]["vk_digest"] = "00".repeat(32).into()
        }),
    ];
    for (expected, edit) in cases {
        let mut bad = config.clone();
        edit(&mut bad);
        let file = tmp.path().join("config.json");
        std::fs::write(&file, bad.to_string()).unwrap();
        let state = tmp.path().join("gate");
        let out = gate(
            &params,
            &state,
            &["init", "--config", file.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(2), "{expected}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{expected}: {}",
            stderr(&out)
        );
        assert!(!state.exists(), "{expected}: a refused config wrote a gate");
    }
}

#[test]
fn tick_signs_collects_and_submits_only_a_valid_next_tick() {
    let tmp = tempfile::tempdir().unwrap();
    let params = tmp.path().join("params");
    let state = tmp.path().join("gate");
    let config = examples_dir().join("gate-config.json");
    let init = gate(
        &params,
        &state,
        &["init", "--config", config.to_str().unwrap()],
    );
    assert!(init.status.success(), "{}", stderr(&init));
    let (g0, g1) = (guardian_key(tmp.path(), 0), guardian_key(tmp.path(), 1));
    // The examples' clock: genesis epoch 6 at 6 h, epochs of one hour.
    let (epoch, time) = ("7", (7 * 3600).to_string());
    let half = tmp.path().join("half.json");

    // `gate tick --epoch E --time T` with `extra` flags.
    let tick = |epoch: &str, time: &str, extra: &[&str]| {
        let mut args = vec!["tick", "--epoch", epoch, "--time", time];
        args.extend_from_slice(extra);
        gate(&params, &state, &args)
    };
    let (half_path, full_path) = (half.to_str().unwrap(), tmp.path().join("tick.json"));
    let full = full_path.to_str().unwrap();

    // One guardian is below the threshold of two: the partly signed tick
    // is written for the next guardian, which is the documented flow, so
    // it exits 0; the gate does not move.
    let out = tick(epoch, &time, &["--guardian", &g0, "--out", half_path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("with 1 of the 2 guardian signatures it needs") && said.contains("--add"),
        "{said}"
    );
    assert!(half.exists());
    let status = gate(&params, &state, &["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["epoch"], "6", "a partial tick moved the gate");
    // Too few without --out is still a refusal, and so is a signature that
    // does not verify (guardian 0's key at index 1), --out or not.
    let out = tick(epoch, &time, &["--guardian", &g0]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("needs 2"), "{}", stderr(&out));
    let wrong = format!("1:{}", g0.split_once(':').unwrap().1);
    let stray = tmp.path().join("stray.json");
    let out = tick(
        epoch,
        &time,
        &["--guardian", &wrong, "--out", stray.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("0 valid guardian signatures"),
        "{}",
        stderr(&out)
    );
    // Not the next epoch, or too early: refused.
    let both = ["--guardian", &g0, "--guardian", &g1];
    let out = tick("8", &time, &both);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("next epoch is 7"), "{}", stderr(&out));
    let out = tick(epoch, &(7 * 3600 - 1).to_string(), &both);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("before"), "{}", stderr(&out));
    // A bad key file is a usage error.
    let junk = tmp.path().join("junk.key");
    std::fs::write(&junk, "not a key").unwrap();
    let out = tick(
        epoch,
        &time,
        &["--guardian", &format!("0:{}", junk.display())],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // The second guardian adds its signature to the first's: accepted.
    let out = tick(
        epoch,
        &time,
        &["--guardian", &g1, "--add", half_path, "--out", full],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let status = gate(&params, &state, &["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["epoch"], "7", "integers are decimal strings");
    // The same tick again is not the next one.
    let again = gate(&params, &state, &["accept", full]);
    assert_eq!(again.status.code(), Some(1));
}
