//! The one error type of `bulkhead-benches`.

use std::path::PathBuf;

use bulkhead_node::NodeError;
use bulkhead_prover::ProverError;
use bulkhead_verifier::gate::Refusal;
use bulkhead_verifier::{BundleRefusal, VerifyError};
use thiserror::Error;

/// Why a measurement could not be made. A measurement refuses to report
/// on work that failed (a proof that does not verify, a bundle a check
/// refuses, a service that answers an error), so each such case is here.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BenchError {
    /// An invalid shape, or a batch the native model refuses.
    #[error(transparent)]
    Protocol(#[from] bulkhead_protocol::Error),
    /// The circuit could not be laid out.
    #[error(transparent)]
    Circuit(#[from] bulkhead_circuits::Error),
    /// Parameters, keys or a proof could not be made.
    #[error(transparent)]
    Prover(#[from] ProverError),
    /// Verifying keys could not be derived, or a proof did not verify.
    #[error(transparent)]
    Verifier(#[from] VerifyError),
    /// A gate's ledger, a relayer's store or a stream.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// Synthetic rows could not be written.
    #[error("synthetic ledger: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A file, a directory or a child process.
    #[error("{}: {source}", path.display())]
    Io {
        /// What was read, written or run.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A record or a request body could not be written or read as JSON.
    #[error("{what}: {source}")]
    Json {
        /// Which document.
        what: &'static str,
        /// serde_json's error.
        source: serde_json::Error,
    },
    /// The plot could not be drawn.
    #[error("{}: {source}", path.display())]
    Plot {
        /// The SVG file.
        path: PathBuf,
        /// The drawing backend's error.
        source: plotters::drawing::DrawingAreaErrorKind<std::io::Error>,
    },
    /// halo2's `CircuitCost` report lacks a field this crate reads: the
    /// pinned halo2 version changed underneath us.
    #[error("CircuitCost has no {0}")]
    CostField(&'static str),
    /// halo2's row count differs from the circuit's own layout pass.
    #[error("row count {layout} disagrees with CircuitCost's {halo2}")]
    Rows {
        /// Rows the circuit's layout pass counts.
        layout: usize,
        /// Rows `CircuitCost` reports.
        halo2: usize,
    },
    /// Bundles of more than one shape or key, measured as one batch.
    #[error("the bundles are not all of one shape and key")]
    MixedBundles,
    /// A bundle the bench measures failed its stateless checks.
    #[error("a bench bundle failed its checks: {0}")]
    BundleRefused(BundleRefusal),
    /// A gate refused an item of the bench's own stream.
    #[error("bench stream refused: {0}")]
    StreamRefused(Refusal),
    /// A child process did not say where it listens.
    #[error("{command} did not start: {said:?}")]
    DidNotStart {
        /// The command (`gate serve`, `relay serve`).
        command: &'static str,
        /// Its first line of output.
        said: String,
    },
    /// A child process exited with an error.
    #[error("{command}: {stderr}")]
    ChildFailed {
        /// The command and its arguments.
        command: String,
        /// What it wrote on stderr.
        stderr: String,
    },
    /// A service answered a request with an error.
    #[error("{request}: HTTP {status}: {body}")]
    Answered {
        /// The request (`POST /v1/items`).
        request: String,
        /// The HTTP status.
        status: u16,
        /// The answer's body.
        body: String,
    },
    /// The relayer halted during the run.
    #[error("the relayer halted: {0}")]
    RelayHalted(serde_json::Value),
    /// The gate did not apply the stream within the bench's patience.
    #[error("the gate did not catch up in {0} s")]
    CatchUp(u64),
    /// A bench's arguments that cannot make a run.
    #[error("{0}")]
    Arguments(&'static str),
}

impl BenchError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| BenchError::Io { path, source }
    }

    /// A JSON error on the document `what`.
    pub fn json(what: &'static str) -> impl FnOnce(serde_json::Error) -> Self {
        move |source| BenchError::Json { what, source }
    }
}
