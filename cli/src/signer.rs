//! Secret key files and the signing every signing command shares.
//!
//! A key file holds one Ed25519 secret key as 64 hex digits (a trailing
//! newline allowed). `key new` makes one from the operating system's
//! random number generator; `gate tick`, `exit sign`, `attest sign` and
//! `vote sign` read it here, so all of them accept the same format and
//! refuse a bad file with the same message. Signatures from other signers'
//! item files (`--add`) are merged here too, one per signer index.

use std::io::Write;
use std::path::{Path, PathBuf};

use bulkhead_protocol::hex::decode_array;
use bulkhead_prover::write_atomically;
use bulkhead_verifier::gate::{IndexedSignature, ItemJson};
use ed25519_dalek::{Signer, SigningKey};
use rand::rand_core::TryRng;
use rand::rngs::SysRng;
use thiserror::Error;

use crate::error::CliError;
use crate::json::read_json;

/// Why a secret key file cannot be read or made.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The file is not 64 hex digits.
    #[error("{}: not an Ed25519 secret key (64 hex digits)", path.display())]
    NotAKey {
        /// The key file.
        path: PathBuf,
    },
    /// `key new` never replaces a key: the old one may be the only copy.
    #[error("{}: already exists; a key file is never overwritten", path.display())]
    Exists {
        /// The key file.
        path: PathBuf,
    },
    /// The operating system gave no randomness; no file was made.
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

/// Reads the secret key in `path`.
pub fn load(path: &Path) -> Result<SigningKey, CliError> {
    let text = std::fs::read_to_string(path).map_err(CliError::io(path))?;
    let secret = decode_array::<32>(text.trim()).ok_or_else(|| KeyFileError::NotAKey {
        path: path.to_path_buf(),
    })?;
    Ok(SigningKey::from_bytes(&secret))
}

/// Makes a new secret key from the operating system's RNG and writes it
/// to `path`, which must not exist (created with mode 0600 on unix, so
/// only its owner reads it). On any failure nothing is left behind.
pub fn create(path: &Path) -> Result<SigningKey, CliError> {
    // Checked first for a clear message; `create_new` below is what makes
    // the refusal race-free.
    if path.exists() {
        return Err(KeyFileError::Exists {
            path: path.to_path_buf(),
        }
        .into());
    }
    let mut secret = [0u8; 32];
    SysRng
        .try_fill_bytes(&mut secret)
        .map_err(|e| KeyFileError::Random(e.to_string()))?;
    write_new(
        path,
        (bulkhead_protocol::hex::encode(secret) + "\n").as_bytes(),
    )?;
    Ok(SigningKey::from_bytes(&secret))
}

/// Writes `bytes` to a file that must not exist yet; removes it again if
/// the write fails part way.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyFileError::Exists {
                path: path.to_path_buf(),
            }
            .into()
        } else {
            CliError::io(path)(e)
        }
    })?;
    let result = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = result {
        drop(file);
        // A half-written key is worse than none: it would read as a
        // different key or not at all.
        let _ = std::fs::remove_file(path);
        return Err(CliError::io(path)(e));
    }
    Ok(())
}

/// `key`'s signature over `message`, as the signer at `index` of its list.
pub fn sign(key: &SigningKey, index: usize, message: &[u8]) -> IndexedSignature {
    IndexedSignature {
        index,
        signature: key.sign(message).to_bytes(),
    }
}

/// Adds `signature` to `signatures`, replacing any earlier one by the same
/// signer (a gate counts one signature per index).
pub fn merge(signatures: &mut Vec<IndexedSignature>, signature: IndexedSignature) {
    signatures.retain(|s| s.index != signature.index);
    signatures.push(signature);
}

/// The signatures carried by the item files `paths`. `same` returns an
/// item's signatures if it signs the same statement as this command, else
/// `None`, and the file is refused as not `what`.
pub fn added_signatures(
    paths: &[PathBuf],
    what: &str,
    same: impl Fn(ItemJson) -> Option<Vec<IndexedSignature>>,
) -> Result<Vec<IndexedSignature>, CliError> {
    let mut signatures = Vec::new();
    for path in paths {
        let found = same(read_json::<ItemJson>(path)?)
            .ok_or_else(|| CliError::Usage(format!("{}: not {what}", path.display())))?;
        for signature in found {
            merge(&mut signatures, signature);
        }
    }
    Ok(signatures)
}

/// Prints `value` as pretty JSON on stdout, or writes it to `out`
/// (replacing the file in one step, so a reader never sees half of it).
pub fn emit_json(value: &impl serde::Serialize, out: Option<&Path>) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Usage(e.to_string()))?;
    match out {
        Some(path) => {
            write_atomically(path, (text + "\n").as_bytes()).map_err(CliError::io(path))?;
            eprintln!("wrote {}", path.display());
        }
        None => println!("{text}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_reads_back_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.key");
        let key = create(&path).unwrap();
        assert_eq!(load(&path).unwrap().to_bytes(), key.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let before = std::fs::read(&path).unwrap();
        let again = create(&path).unwrap_err();
        assert!(matches!(
            again,
            CliError::KeyFile(KeyFileError::Exists { .. })
        ));
        assert_eq!(std::fs::read(&path).unwrap(), before);
        // Two keys from the RNG differ.
        let other = create(&dir.path().join("b.key")).unwrap();
        assert_ne!(other.to_bytes(), key.to_bytes());
    }

    #[test]
    fn a_file_that_is_not_64_hex_digits_is_not_a_key() {
        let dir = tempfile::tempdir().unwrap();
        for text in ["", "zz", &"ab".repeat(31), &"ab".repeat(33)] {
            let path = dir.path().join("bad.key");
            std::fs::write(&path, text).unwrap();
            let error = load(&path).unwrap_err();
            assert!(
                matches!(error, CliError::KeyFile(KeyFileError::NotAKey { .. })),
                "{text:?}: {error}"
            );
        }
    }

    #[test]
    fn merging_keeps_one_signature_per_signer() {
        let key = SigningKey::from_bytes(&[1; 32]);
        let mut signatures = vec![sign(&key, 0, b"a"), sign(&key, 1, b"a")];
        merge(&mut signatures, sign(&key, 0, b"b"));
        assert_eq!(signatures.len(), 2);
        assert_eq!(signatures[1], sign(&key, 0, b"b"));
    }
}
