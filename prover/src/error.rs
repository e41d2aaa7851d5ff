//! The one error type of `bulkhead-prover`.

/// Everything that can stop proving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProverError {
    /// The native model refused (an invalid shape, a bad request).
    #[error(transparent)]
    Protocol(#[from] bulkhead_protocol::Error),
    /// The circuit or its keys could not be built.
    #[error(transparent)]
    Circuit(#[from] bulkhead_circuits::Error),
    /// Batch `index` of a run was refused by the native model.
    #[error("batch {index}: {source}")]
    Batch {
        /// Position of the batch in the run.
        index: usize,
        /// The model's reason.
        source: bulkhead_protocol::Error,
    },
    /// Exit `slot` of batch `batch` is signed by a key that does not own
    /// the account, or its signature does not verify.
    #[error("batch {batch}, exit {slot}: {reason}")]
    Unauthorised {
        /// Position of the batch in the run.
        batch: usize,
        /// Slot of the exit.
        slot: usize,
        /// Which check failed, and why where it can be told (a nonce
        /// already used, or one that skips ahead).
        reason: crate::ExitAuthorisationError,
    },
    /// An admitted exit lands on another nonce than the one its signature
    /// was verified at: the state is not the one it was admitted against.
    #[error("exit {slot}: admitted at nonce {admitted:?}, the model spends nonce {planned}")]
    NonceMoved {
        /// Slot of the exit.
        slot: usize,
        /// The nonce its signature was verified at (none: no nonce given
        /// for the slot).
        admitted: Option<u64>,
        /// The nonce the model spends.
        planned: u64,
    },
    /// A run of one batch planned none.
    #[error("a run of one batch planned none")]
    EmptyRun,
    /// halo2 failed to build a key or a proof.
    #[error("halo2 proving failed: {0}")]
    Halo2(#[from] halo2_proofs::plonk::Error),
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    Pool(#[from] rayon::ThreadPoolBuildError),
    /// A thread count or a number of proofs in flight that makes no sense
    /// on this machine (a pool of 100,000 threads, or no proof at all).
    #[error("{what} = {value} is outside {min}..={max} on this machine ({cores} cores)")]
    Parallelism {
        /// `threads` or `in_flight`.
        what: &'static str,
        /// The value asked for.
        value: usize,
        /// The smallest accepted.
        min: usize,
        /// The largest accepted.
        max: usize,
        /// The cores the operating system reports.
        cores: usize,
    },
    /// A `k` outside what the parameter cache builds.
    #[error("k = {k} is outside 1..={max}")]
    InvalidK {
        /// The k asked for.
        k: u32,
        /// The largest k built.
        max: u32,
    },
    /// Reading or writing cached parameters failed.
    #[error("parameter cache at {}: {source}", path.display())]
    ParamsCache {
        /// The file or directory involved.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}
