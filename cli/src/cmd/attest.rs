//! `bulkhead attest sign` and `bulkhead attest import`: a validator's
//! signature on a segment's new accounts root, as the attestation or the
//! import (rule G7) item every gate follows.

use std::path::PathBuf;

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::hex::fp_from_hex;
use bulkhead_protocol::messages::{attestation_message, import_message};
use bulkhead_verifier::gate::{Attestation, Import, IndexedSignature, ItemJson};
use clap::{Args, Subcommand};

use crate::error::CliError;
use crate::signer;

/// Validator attestations.
#[derive(Args)]
pub struct AttestArgs {
    #[command(subcommand)]
    action: AttestAction,
}

#[derive(Subcommand)]
enum AttestAction {
    /// Sign an attestation of `--root` at `--height` after `--parent` as
    /// validator `--index` of `--segment`, adding the signatures of
    /// `--add` files (other validators' attestations of the same root),
    /// and print the item (`gate accept`, `stream append`, POST
    /// /v1/items). A gate accepts it once a threshold of validators has
    /// signed; pass it on with `--out` for the next validator.
    Sign(SignArgs),
    /// Sign an import as validator `--index` of `--segment`: the
    /// segment's execution credited `--amount` of `--asset`, received from
    /// other segments, to its accounts, moving them from `--parent` to
    /// `--root` at `--height`. Every gate raises the segment's silo
    /// collateral by the amount once a threshold has signed (rule G7: at
    /// most what accepted bundles sent the segment in that asset).
    Import(ImportArgs),
}

/// Flags of `attest import`.
#[derive(Args)]
struct ImportArgs {
    #[command(flatten)]
    step: SignArgs,
    /// The asset imported: one of the segment's declared silos.
    #[arg(long)]
    asset: u64,
    /// The amount imported.
    #[arg(long)]
    amount: u64,
}

/// Flags of `attest sign`, and of the step an import takes.
#[derive(Args)]
struct SignArgs {
    /// The validator's secret key file (64 hex digits; `key new`).
    #[arg(long)]
    key: PathBuf,
    /// The validator's index in the segment's `validators` list of the
    /// gate configuration.
    #[arg(long)]
    index: usize,
    /// The stream the attestation is for (the gates' `stream_id`).
    #[arg(long)]
    stream_id: u64,
    /// The segment attested.
    #[arg(long)]
    segment: u64,
    /// The height of `--root`: steps of the segment's chain since its
    /// genesis (attestations and accepted bundles).
    #[arg(long)]
    height: u64,
    /// The root at `height - 1` (64 hex digits).
    #[arg(long, value_parser = parse_root)]
    parent: Fp,
    /// The new accounts root (64 hex digits).
    #[arg(long, value_parser = parse_root)]
    root: Fp,
    /// Attestations of the same root by other validators: their
    /// signatures are added to this one.
    #[arg(long)]
    add: Vec<PathBuf>,
    /// Write the item here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn parse_root(text: &str) -> Result<Fp, String> {
    fp_from_hex(text).ok_or_else(|| format!("{text:?} is not 64 hex digits of a field element"))
}

/// Runs one attestation action.
pub fn execute(args: AttestArgs) -> Result<(), CliError> {
    match args.action {
        AttestAction::Sign(args) => sign_attestation(args),
        AttestAction::Import(args) => sign_import(args),
    }
}

fn sign_attestation(args: SignArgs) -> Result<(), CliError> {
    let what = format!(
        "an attestation of segment {} at height {} with the same parent and root",
        args.segment, args.height
    );
    let message = attestation_message(
        args.stream_id,
        args.segment,
        args.height,
        &args.parent,
        &args.root,
    );
    let signatures = signed(&args, &what, &message, |item| match item {
        ItemJson::Attestation(other)
            if other.segment == args.segment
                && other.height == args.height
                && other.parent == args.parent
                && other.root == args.root =>
        {
            Some(other.signatures)
        }
        _ => None,
    })?;
    let item = ItemJson::Attestation(Attestation {
        segment: args.segment,
        height: args.height,
        parent: args.parent,
        root: args.root,
        signatures,
    });
    signer::emit_json(&item, args.out.as_deref())
}

fn sign_import(args: ImportArgs) -> Result<(), CliError> {
    let step = &args.step;
    let mut import = Import {
        segment: step.segment,
        height: step.height,
        parent: step.parent,
        root: step.root,
        asset: args.asset,
        amount: args.amount,
        signatures: Vec::new(),
    };
    let what = format!(
        "an import of {} of asset {} by segment {} at height {} with the same roots",
        args.amount, args.asset, step.segment, step.height
    );
    let message = import_message(step.stream_id, &import.statement());
    import.signatures = signed(step, &what, &message, |item| match item {
        ItemJson::Import(other) if other.statement() == import.statement() => {
            Some(other.signatures)
        }
        _ => None,
    })?;
    signer::emit_json(&ItemJson::Import(import), step.out.as_deref())
}

/// This validator's signature on `message`, merged with those of the
/// `--add` files (each must be `what`, which `same` recognises).
fn signed(
    args: &SignArgs,
    what: &str,
    message: &[u8],
    same: impl Fn(ItemJson) -> Option<Vec<IndexedSignature>>,
) -> Result<Vec<IndexedSignature>, CliError> {
    let key = signer::load(&args.key)?;
    let mut signatures = signer::added_signatures(&args.add, what, same)?;
    signer::merge(&mut signatures, signer::sign(&key, args.index, message));
    eprintln!(
        "validator {} signed segment {}'s root at height {} ({} signatures)",
        args.index,
        args.segment,
        args.height,
        signatures.len()
    );
    Ok(signatures)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        attest: AttestArgs,
    }

    #[test]
    fn roots_must_be_field_elements_and_add_repeats() {
        let root = "00".repeat(32);
        let argv = |parent: &str| {
            vec![
                "x",
                "sign",
                "--key",
                "k",
                "--index",
                "2",
                "--stream-id",
                "1",
                "--segment",
                "1",
                "--height",
                "1",
                "--parent",
                parent,
                "--root",
                root.as_str(),
                "--add",
                "a.json",
                "--add",
                "b.json",
            ]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
        };
        let cli = Cli::try_parse_from(argv(&root)).unwrap();
        let AttestAction::Sign(args) = cli.attest.action else {
            panic!("not sign")
        };
        assert_eq!((args.index, args.add.len()), (2, 2));
        // All ones is above the field's modulus: not a canonical encoding.
        let e = Cli::try_parse_from(argv(&"ff".repeat(32))).err().unwrap();
        assert!(e.to_string().contains("--parent"), "{e}");
    }
}
