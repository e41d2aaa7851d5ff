//! `bulkhead verify`: every stateless check of one bundle, through the same
//! stateless checks the gate uses (`bulkhead_verifier::check`).

use std::path::PathBuf;

use bulkhead_protocol::bundle::Bundle;
use bulkhead_prover::ParamsCache;
use bulkhead_verifier::check::check_decoded;
use bulkhead_verifier::BundleRefusal;
use clap::Args;

use crate::error::CliError;
use bulkhead_node::keys::verifier_keys;

/// Check one bundle without any gate state: proof, exits, signatures.
#[derive(Args)]
pub struct VerifyArgs {
    /// The bundle file.
    bundle: PathBuf,
}

/// Exit 0 valid, 1 refused (reason on stderr), 2 usage or I/O error.
pub fn execute(args: VerifyArgs, cache: &ParamsCache) -> Result<(), CliError> {
    let bytes = std::fs::read(&args.bundle).map_err(CliError::io(&args.bundle))?;
    // The shape is read (and validated) before any key work, so a hostile
    // file cannot make us derive keys for a huge circuit.
    let bundle = Bundle::from_bytes(&bytes).map_err(BundleRefusal::from)?;
    let keys = verifier_keys(bundle.shape, cache)?;
    check_decoded(&bundle, &keys)?;
    let i = bundle.instance;
    println!(
        "valid: segment {} -> {}, asset {}, epoch {}, exits {}..{}, total {}",
        i.src,
        i.dst,
        i.asset,
        i.epoch,
        i.first_seq,
        i.first_seq + i.exit_count,
        i.total
    );
    Ok(())
}
