//! The contract-style module run for real in wasmi with fuel metering:
//! it imports nothing, verifies a real TINY bundle, refuses every tampered
//! case with the native verifier's code and never traps on one, refuses
//! bad setup inputs with a code, and a call that runs out of fuel traps
//! without harming the host. Fuel and wall time are printed (they are
//! measurements, not assertions).

use std::sync::OnceLock;

use bulkhead_testkit::chain::prover;
use bulkhead_testkit::embedded::{cases, key_bytes, params_bytes};
use bulkhead_verifier::BundleVerifier;
use bulkhead_wasm::contract;
use bulkhead_wasm_host::fixtures::{native_verdict, shape_json};
use bulkhead_wasm_host::{build_module, ContractHost, Flavour, HostError};

/// The contract module's bytes, built once per test binary.
fn module() -> &'static [u8] {
    static MODULE: OnceLock<Vec<u8>> = OnceLock::new();
    MODULE.get_or_init(|| {
        let path = build_module(Flavour::Contract).expect("wasm/build.sh contract");
        std::fs::read(path).unwrap()
    })
}

fn ready_host() -> ContractHost {
    let mut host = ContractHost::load(module()).unwrap();
    let (status, cost) = host
        .init(
            &params_bytes(),
            &key_bytes(),
            shape_json().as_bytes(),
            &prover().vk_digest(),
        )
        .unwrap();
    assert_eq!(status, 0, "init with the registered key");
    eprintln!(
        "wasmi TINY init (key from bytes): {} fuel, {:?}",
        cost.fuel, cost.wall
    );
    host
}

#[test]
fn the_module_imports_nothing() {
    let engine = wasmi::Engine::default();
    let loaded = wasmi::Module::new(&engine, module()).unwrap();
    let imports: Vec<_> = loaded
        .imports()
        .map(|i| format!("{}::{}", i.module(), i.name()))
        .collect();
    assert!(imports.is_empty(), "imports: {imports:?}");
    eprintln!("contract module: {} bytes", module().len());
}

#[test]
fn the_module_judges_every_case_as_the_native_verifier_does() {
    let mut host = ready_host();
    let native = BundleVerifier::with_key(
        &params_bytes(),
        bulkhead_testkit::chain::SHAPE,
        &key_bytes(),
        prover().vk_digest(),
    )
    .unwrap();
    let mut accepted = 0;
    for (name, bytes) in cases() {
        let (status, cost) = host
            .verify(&bytes)
            .unwrap_or_else(|e| panic!("{name} trapped: {e}"));
        let expected = native_verdict(&native, &bytes);
        assert_eq!(
            i64::from(status),
            expected["code"].as_i64().unwrap(),
            "{name}"
        );
        if status == 0 {
            accepted += 1;
        }
        eprintln!(
            "wasmi TINY verify {name}: status {status}, {} fuel, {:?}",
            cost.fuel, cost.wall
        );
    }
    assert_eq!(accepted, 2, "both real bundles pass");
}

#[test]
fn setup_inputs_are_refused_with_a_code() {
    let params = params_bytes();
    let key = key_bytes();
    let shape = shape_json();
    let digest = prover().vk_digest();
    let status = |params: &[u8], key: &[u8], shape: &[u8], digest: &[u8; 32]| {
        let mut host = ContractHost::load(module()).unwrap();
        host.init(params, key, shape, digest).unwrap().0
    };
    let mut other = digest;
    other[0] ^= 1;
    assert_eq!(
        status(&params, &key, shape.as_bytes(), &other),
        contract::DIGEST_MISMATCH
    );
    let mut bad_key = key.clone();
    bad_key.truncate(key.len() - 3);
    assert_eq!(
        status(&params, &bad_key, shape.as_bytes(), &digest),
        contract::BAD_KEY
    );
    assert_eq!(
        status(&params[..100], &key, shape.as_bytes(), &digest),
        contract::BAD_PARAMS
    );
    assert_eq!(
        status(&params, &key, b"{\"accounts_depth\":", &digest),
        contract::BAD_SHAPE
    );

    // verify before init, and init twice.
    let mut host = ContractHost::load(module()).unwrap();
    assert_eq!(
        host.verify(&cases()[0].1).unwrap().0,
        contract::NOT_INITIALISED
    );
    let mut host = ready_host();
    assert_eq!(
        host.init(&params, &key, shape.as_bytes(), &digest)
            .unwrap()
            .0,
        contract::ALREADY_INITIALISED
    );
    assert_eq!(
        host.verify(&cases()[0].1).unwrap().0,
        0,
        "the first setup stands"
    );
}

#[test]
fn deriving_the_key_inside_the_module_gives_the_same_verdicts() {
    let mut host = ContractHost::load(module()).unwrap();
    let (status, cost) = host
        .init(
            &params_bytes(),
            &[],
            shape_json().as_bytes(),
            &prover().vk_digest(),
        )
        .unwrap();
    assert_eq!(status, 0);
    eprintln!(
        "wasmi TINY init (key derived): {} fuel, {:?}",
        cost.fuel, cost.wall
    );
    for (name, bytes) in cases().into_iter().take(3) {
        let expected = if name.starts_with("accepted") { 0 } else { 6 };
        assert_eq!(host.verify(&bytes).unwrap().0, expected, "{name}");
    }
}

#[test]
fn a_call_that_runs_out_of_fuel_traps_and_the_host_goes_on() {
    let mut host = ready_host();
    let (_, cost) = host.verify(&cases()[0].1).unwrap();
    // Give the module one tenth of what a verification costs: it traps
    // (a runaway contract stops), and the host can still load a fresh one.
    let err = host
        .verify_with_fuel(&cases()[0].1, cost.fuel / 10)
        .unwrap_err();
    assert!(err.to_string().to_lowercase().contains("fuel"), "{err}");
    // The trapped instance is refused from then on.
    assert!(matches!(
        host.verify(&cases()[0].1),
        Err(HostError::Poisoned)
    ));
    let mut fresh = ready_host();
    assert_eq!(fresh.verify(&cases()[0].1).unwrap().0, 0);
}
