//! The relayer's reads: where an exit is, the relayer's status and its
//! gauges, answered from a connection of their own and the engine's last
//! [`EngineSnapshot`], so a read never waits for planning, proving or a
//! request being admitted.

use std::path::Path;
use std::sync::{Mutex, RwLock};

use serde_json::Value;

use super::engine::{report, EngineSnapshot};
use super::store::RelayStore;
use crate::error::NodeError;

/// The read side of a running relayer.
pub struct RelayReader {
    /// A query-only connection. Reads take turns on it; none waits for the
    /// engine's writes (WAL).
    store: Mutex<RelayStore>,
    /// What the engine last published.
    engine: RwLock<EngineSnapshot>,
}

impl RelayReader {
    /// Reads the store in `dir` beside its engine, which said `engine`
    /// last.
    pub fn open(dir: &Path, engine: EngineSnapshot) -> Result<Self, NodeError> {
        Ok(Self {
            store: Mutex::new(RelayStore::open_reader(dir)?),
            engine: RwLock::new(engine),
        })
    }

    /// Replaces what the engine said last.
    pub fn publish(&self, engine: EngineSnapshot) {
        *self.engine.write().unwrap_or_else(|e| e.into_inner()) = engine;
    }

    /// What the engine said last.
    pub fn engine(&self) -> EngineSnapshot {
        self.engine
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn with_store<R>(
        &self,
        read: impl FnOnce(&RelayStore, &EngineSnapshot) -> Result<R, NodeError>,
    ) -> Result<R, NodeError> {
        let engine = self.engine();
        // A panic while reading left nothing half-written: the connection
        // only reads.
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        store.snapshot_read(|store| read(store, &engine))
    }

    /// Where exit `id` is ([`report::exit_status`]).
    pub fn exit_status(&self, id: u64) -> Result<Option<Value>, NodeError> {
        self.with_store(|store, engine| report::exit_status(store, engine, id))
    }

    /// Where the exit spending `nonce` of `account` is
    /// ([`report::exit_at_nonce`]).
    pub fn exit_at_nonce(&self, account: u64, nonce: u64) -> Result<Option<Value>, NodeError> {
        self.with_store(|store, engine| report::exit_at_nonce(store, engine, account, nonce))
    }

    /// Where import `id` is ([`report::import_status`]).
    pub fn import_status(&self, id: u64) -> Result<Option<Value>, NodeError> {
        self.with_store(|store, _| report::import_status(store, id))
    }

    /// The relayer's state ([`report::status`]).
    pub fn status(&self) -> Result<Value, NodeError> {
        self.with_store(report::status)
    }
}
