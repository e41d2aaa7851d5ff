//! The library behind the `bulkhead` command: the demo world and the
//! gate's on-disk store, shared by the binary and its tests.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bench;
pub mod demo;
pub mod snapshot;
pub mod store;
