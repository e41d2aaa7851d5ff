//! The command's one error type and the exit codes it maps to:
//! 0 success, 1 input refused by a protocol rule (a bundle, an exit, a
//! stream item, a demo attack that got through), 2 usage, file or set-up
//! errors.

use std::path::PathBuf;

use bulkhead_protocol::snapshot::SnapshotError;
use bulkhead_prover::ProverError;
use bulkhead_verifier::gate::GateError;
use bulkhead_verifier::{BundleRefusal, VerifyError};
use thiserror::Error;

/// Why a command failed.
#[derive(Debug, Error)]
pub enum CliError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A JSON file does not parse; names the field path.
    #[error("{}: {field}: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The field path (`(top level)` for the document).
        field: String,
        /// serde's message.
        message: String,
    },
    /// A snapshot whose entries the model refuses.
    #[error("{}: {source}", path.display())]
    Snapshot {
        /// The snapshot file.
        path: PathBuf,
        /// The entry and the model's reason.
        source: SnapshotError,
    },
    /// A state update (`prove --state`) that does not apply to the
    /// snapshot, or does not reach the attested root.
    #[error("{}: {source}", path.display())]
    StateUpdate {
        /// The update file.
        path: PathBuf,
        /// Why.
        source: bulkhead_node::relay::engine::RebaseRefusal,
    },
    /// An invalid shape or other protocol-level argument.
    #[error(transparent)]
    Protocol(#[from] bulkhead_protocol::Error),
    /// The circuit or its size report could not be built.
    #[error(transparent)]
    Circuit(#[from] bulkhead_circuits::Error),
    /// Parameters or proving keys could not be made, or proving failed.
    #[error(transparent)]
    Prover(#[from] ProverError),
    /// Verifying keys could not be derived.
    #[error(transparent)]
    Verifier(#[from] VerifyError),
    /// A gate could not be opened over its state.
    #[error(transparent)]
    Gate(#[from] GateError),
    /// The gate's ledger, lock, service or stream.
    #[error(transparent)]
    Node(#[from] bulkhead_node::NodeError),
    /// A measurement (`bench`, the halo2 half of `inspect`) failed.
    #[error(transparent)]
    Bench(#[from] bulkhead_benches::BenchError),
    /// Arguments or files that make no sense together.
    #[error("{0}")]
    Usage(String),
    /// The native model refuses the signed exits of a file: nothing proven.
    #[error("{}: {source}", path.display())]
    ExitsRefused {
        /// The exits file.
        path: PathBuf,
        /// The model's or the authorisation check's reason.
        source: ProverError,
    },
    /// A bundle fails a stateless check.
    #[error(transparent)]
    BundleRefused(#[from] BundleRefusal),
    /// Stream items a gate refused (each named on stderr as it happened).
    #[error("{0} item(s) refused")]
    ItemsRefused(usize),
    /// A secret key file that cannot be read or made.
    #[error(transparent)]
    KeyFile(#[from] crate::signer::KeyFileError),
    /// An exit the segment's snapshot shows the relayer would refuse.
    #[error(transparent)]
    AccountRefused(#[from] crate::cmd::exit::AccountRefusal),
    /// The demo saw an honest step fail or an attack get through.
    #[error("an honest step failed or an attack got through")]
    DemoFailed,
}

impl CliError {
    /// The documented exit code: 1 for a refusal, 2 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::ExitsRefused { .. }
            | CliError::StateUpdate { .. }
            | CliError::BundleRefused(_)
            | CliError::ItemsRefused(_)
            | CliError::AccountRefused(_)
            | CliError::DemoFailed => 1,
            _ => 2,
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| CliError::Io { path, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_exit_1_and_everything_else_2() {
        assert_eq!(CliError::ItemsRefused(3).exit_code(), 1);
        assert_eq!(CliError::DemoFailed.exit_code(), 1);
        assert_eq!(
            CliError::BundleRefused(BundleRefusal::InvalidProof).exit_code(),
            1
        );
        assert_eq!(CliError::Usage("x".into()).exit_code(), 2);
        let io = CliError::io("/nowhere")(std::io::ErrorKind::NotFound.into());
        assert_eq!(io.exit_code(), 2);
        assert!(io.to_string().starts_with("/nowhere: "));
    }
}
