//! `bulkhead key`: the Ed25519 secret key of one signer (an account owner,
//! a validator, a guardian) in a file. Not `bulkhead keys`, which writes a
//! circuit's verification material.

use std::path::PathBuf;

use bulkhead_protocol::hash::owner_of_key;
use bulkhead_protocol::hex::{encode, fp_to_hex};
use clap::{Args, Subcommand};
use ed25519_dalek::SigningKey;

use crate::error::CliError;
use crate::signer;

/// A signer's secret key file (64 hex digits): make one, or show the
/// public key and owner hash of one. (`keys`, plural, writes a circuit's
/// verification material instead.)
#[derive(Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    action: KeyAction,
}

#[derive(Subcommand)]
enum KeyAction {
    /// Make a secret key from the operating system's random number
    /// generator and write it to `--out` (never overwritten; mode 0600 on
    /// unix); print its public key (what a gate configuration lists for a
    /// validator or guardian) and its owner hash (what a segment's account
    /// names as its owner).
    New {
        /// The new key file; must not exist.
        #[arg(long)]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the public key and owner hash of an existing key file.
    Show {
        /// The key file.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs one key action.
pub fn execute(args: KeyArgs) -> Result<(), CliError> {
    match args.action {
        KeyAction::New { out, json } => {
            let key = signer::create(&out)?;
            eprintln!("wrote a new secret key to {}", out.display());
            print_public(&key, json);
        }
        KeyAction::Show { file, json } => print_public(&signer::load(&file)?, json),
    }
    Ok(())
}

/// Prints what may be shared of `key`: never the secret.
fn print_public(key: &SigningKey, json: bool) {
    let public = key.verifying_key().to_bytes();
    let (public_key, owner) = (encode(public), fp_to_hex(&owner_of_key(&public)));
    if json {
        println!(
            "{}",
            serde_json::json!({ "public_key": public_key, "owner": owner })
        );
    } else {
        println!("public_key: {public_key}\nowner: {owner}");
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        key: KeyArgs,
    }

    #[test]
    fn new_needs_out_and_show_needs_a_file() {
        assert!(Cli::try_parse_from(["x", "new"]).is_err());
        assert!(Cli::try_parse_from(["x", "show"]).is_err());
        let cli = Cli::try_parse_from(["x", "new", "--out", "k", "--json"]).unwrap();
        assert!(matches!(cli.key.action, KeyAction::New { json: true, .. }));
        let cli = Cli::try_parse_from(["x", "show", "k"]).unwrap();
        assert!(matches!(
            cli.key.action,
            KeyAction::Show { json: false, .. }
        ));
    }
}
