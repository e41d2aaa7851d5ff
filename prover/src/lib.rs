//! The relayer side of Bulkhead: the IPA parameter cache on disk, proving
//! keys for a circuit shape, planning runs of signed batches, the parallel
//! proving engine, and bundle writing.
//!
//! A run is planned natively first (every intermediate state, public input
//! and witness, which is cheap), then its batches are proven side by side
//! on a rayon pool; each proof also uses halo2's own multicore paths.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod atomic_file;
mod error;
mod keys;
pub mod params_cache;
mod plan;
pub mod requests;

pub use atomic_file::write_atomically;
pub use error::ProverError;
pub use keys::{check_parallelism, ProverKeys, MAX_IN_FLIGHT, MAX_THREADS_PER_CORE};
pub use params_cache::{ParamsCache, ParamsSource};
pub use plan::{
    authorise_exit, check_exit_signature, explain_exit_signature, plan_run, plan_signed_run,
    ExitAuthorisation, ExitAuthorisationError, PlannedBatch, SignedBatch, SignedExitRequest,
};
