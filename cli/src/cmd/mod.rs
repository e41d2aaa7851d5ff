//! One module per command: its clap arguments beside its handler.

pub mod bench;
pub mod bench_batch;
pub mod bench_gate;
pub mod bench_relay;
pub mod demo;
pub mod gate;
pub mod inspect;
pub mod keys;
pub mod prove;
pub mod relay;
pub mod stream;
pub mod verify;
