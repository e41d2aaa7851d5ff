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
// The authorisation rules live in the protocol; re-exported for callers
// that plan and prove.
pub use bulkhead_protocol::authorise::{
    authorise_exit, check_exit_signature, explain_exit_signature, ExitAuthorisation,
    ExitAuthorisationError, SignedBatch, SignedExitRequest,
};
pub use plan::{plan_admitted_batch, plan_run, plan_signed_run, PlannedBatch};
