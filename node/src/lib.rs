//! Bulkhead's long-running services: the gate's ledger (SQLite, one writer)
//! and its HTTP API, and the stream sources a gate follows.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod http;
pub mod json;
pub mod keys;
pub mod ledger;
pub mod lock;
pub mod metrics;
pub mod relay;
pub mod report;
pub mod service;
pub mod sqlite;
pub mod stream;

pub use error::NodeError;
pub use ledger::{Ledger, LedgerReader, Verdict};
