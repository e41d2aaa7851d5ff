//! `bulkhead keys`: the key material an embedded verifier is set up from
//! (a segment contract, the wasm module, a web page), written as files.

use std::path::PathBuf;

use bulkhead_circuits::keys::{k_for, pinned_params_digest};
use bulkhead_prover::{write_atomically, ParamsCache};
use bulkhead_verifier::embedded::key_files;
use clap::Args;

use crate::error::CliError;
use crate::shape_args::ShapeArgs;

/// Write a shape's verification material for embedded verifiers.
#[derive(Args)]
pub struct KeysArgs {
    #[command(flatten)]
    shape: ShapeArgs,
    /// Directory to write params.bin, key.bin, shape.json and digest.txt
    /// into (created if missing; existing files are replaced atomically).
    #[arg(long)]
    out: PathBuf,
}

/// Derives the shape's verifying key once and writes what
/// `BundleVerifier::with_key` (and the wasm module's `init` / `withKey`)
/// takes: halo2's IPA parameters, the verifying key's commitments, the
/// shape as JSON and the digest the key must have.
pub fn execute(args: KeysArgs, cache: &ParamsCache) -> Result<(), CliError> {
    let shape = args.shape.shape();
    shape.validate()?;
    // Refuse a k embedded verifiers do not take before generating
    // parameters for it (minutes at k = 18).
    let k = k_for(shape)?;
    if pinned_params_digest(k).is_none() {
        return Err(CliError::Usage(format!(
            "shape {shape} needs k = {k}; embedded verifiers take k = 8 to 16 \
             (halo2's parameters are pinned by digest for those)"
        )));
    }
    let keys = bulkhead_node::keys::verifier_keys(shape, cache)?;
    let files = key_files(&keys).map_err(|e| {
        CliError::Usage(format!(
            "shape {shape} (k = {k}): embedded verifiers would refuse its key files: {e}"
        ))
    })?;
    std::fs::create_dir_all(&args.out).map_err(CliError::io(&args.out))?;
    for (name, bytes) in &files {
        let path = args.out.join(name);
        write_atomically(&path, bytes).map_err(CliError::io(&path))?;
    }
    let digest = bulkhead_protocol::hex::encode(keys.vk_digest());
    println!(
        "wrote {} (shape {shape}, k = {k}, verifying key {digest})",
        args.out.display()
    );
    Ok(())
}
