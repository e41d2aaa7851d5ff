//! What the contract module costs in wasmi at any shape: set-up (key read
//! from bytes, and with `--derive` the key derived inside the module) and
//! each verification, in fuel and wall time, as JSON lines. A measurement,
//! not a test:
//!
//! ```sh
//! bulkhead keys --out /tmp/keys            # the default shape
//! bulkhead demo --out /tmp/demo            # default-shape bundles
//! # the stream's bundles: the positions labelled as batches
//! cargo run --release -p bulkhead-wasm-host --bin wasm-cost -- /tmp/keys \
//!     $(awk '/batch/ {print "/tmp/demo/stream/" $1 ".item"}' /tmp/demo/stream-labels.txt)
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bulkhead_wasm_host::{build_module, ContractHost, Cost, Flavour, FuelBudget, HostError};

fn main() -> ExitCode {
    let mut args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let derive = args.iter().any(|a| a == Path::new("--derive"));
    args.retain(|a| a != Path::new("--derive"));
    let Some((keys, bundles)) = args.split_first() else {
        eprintln!("usage: wasm-cost [--derive] KEYS_DIR BUNDLE...");
        return ExitCode::from(2);
    };
    match run(keys, bundles, derive) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(keys: &Path, bundles: &[PathBuf], derive: bool) -> Result<(), HostError> {
    let read =
        |path: PathBuf| std::fs::read(&path).map_err(|source| HostError::Read { path, source });
    let params = read(keys.join("params.bin"))?;
    let key = read(keys.join("key.bin"))?;
    let shape = read(keys.join("shape.json"))?;
    let digest_hex = read(keys.join("digest.txt"))?;
    let digest: [u8; 32] =
        bulkhead_protocol::hex::decode_array(String::from_utf8_lossy(&digest_hex).trim())
            .ok_or_else(|| HostError::BadDigest {
                path: keys.join("digest.txt"),
            })?;
    let module = read(build_module(Flavour::Contract)?)?;
    println!("{{\"module_bytes\": {}}}", module.len());

    let mut host = ContractHost::load(&module)?;
    let (status, cost) = host.init(&params, &key, &shape, &digest)?;
    line("init_key_read", status, cost);
    for bundle in bundles {
        let (status, cost) = host.verify(&read(bundle.clone())?)?;
        line(&format!("verify {}", bundle.display()), status, cost);
    }
    if derive {
        // Deriving the key costs far more than the default budget allows.
        let budget = FuelBudget {
            init: u64::MAX / 2,
            ..FuelBudget::DEFAULT
        };
        let mut host = ContractHost::load_with(&module, budget)?;
        let (status, cost) = host.init(&params, &[], &shape, &digest)?;
        line("init_key_derived", status, cost);
    }
    Ok(())
}

fn line(what: &str, status: i32, cost: Cost) {
    println!(
        "{{\"what\": \"{what}\", \"status\": {status}, \"fuel\": {}, \"seconds\": {:.3}}}",
        cost.fuel,
        cost.wall.as_secs_f64()
    );
}
