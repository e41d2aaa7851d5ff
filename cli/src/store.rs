//! A gate's persistent state on disk, and stream items as files.
//!
//! `DIR/state.json` holds the whole [`GateState`]; every accepted item
//! rewrites it atomically (temporary file, fsync, rename), so after a crash
//! the file is the state before or after that item, never in between: an
//! accepted bundle is never lost and never credited twice, and a refused
//! one never touches the file.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use bulkhead_circuits::keys::{write_atomically, ParamsCache};
use bulkhead_verifier::gate::{Gate, GateConfig, GateState, ItemJson, StreamItem};
use bulkhead_verifier::VerifierKeys;

/// Errors of the store name the file involved.
pub type StoreResult<T> = Result<T, String>;

const STATE_FILE: &str = "state.json";

/// A gate directory.
pub struct GateStore {
    dir: PathBuf,
}

impl GateStore {
    /// The store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    /// Creates the directory with a fresh gate for `config`; refuses to
    /// overwrite an existing gate.
    pub fn init(&self, config: GateConfig) -> StoreResult<GateState> {
        if self.state_path().exists() {
            return Err(format!("{} already holds a gate", self.dir.display()));
        }
        fs::create_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        // Keys are derived and checked against the config on every open.
        let state = Gate::fresh_state(config);
        self.save(&state)?;
        Ok(state)
    }

    /// Reads the state without deriving keys (for `status`).
    pub fn load_state(&self) -> StoreResult<GateState> {
        let path = self.state_path();
        let bytes = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Opens the gate: reads the state and derives the verifying key of
    /// every registered shape.
    pub fn open(&self, cache: &ParamsCache) -> StoreResult<Gate> {
        let state = self.load_state()?;
        let shapes: BTreeSet<_> = state.config.sources.iter().map(|s| s.shape).collect();
        let keys = shapes
            .into_iter()
            .map(|shape| VerifierKeys::load(shape, cache).map_err(|e| e.to_string()))
            .collect::<StoreResult<Vec<_>>>()?;
        Gate::restore(state, keys)
    }

    /// Writes `state` atomically.
    pub fn save(&self, state: &GateState) -> StoreResult<()> {
        let path = self.state_path();
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| e.to_string())?;
        write_atomically(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Reads a stream item file: `*.bundle` is a bundle, `*.json` one of the
/// JSON items (attestation, tick, guardian action).
pub fn read_item(path: &Path) -> StoreResult<StreamItem> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("bundle") => Ok(StreamItem::Bundle(bytes)),
        Some("json") => serde_json::from_slice::<ItemJson>(&bytes)
            .map(StreamItem::from)
            .map_err(|e| format!("{}: {e}", path.display())),
        _ => Err(format!(
            "{}: expected a .bundle or .json stream item",
            path.display()
        )),
    }
}

/// Writes a stream item to `dir` as `NNNN-label.bundle` or `.json`.
pub fn write_item(
    dir: &Path,
    index: usize,
    label: &str,
    item: &StreamItem,
) -> StoreResult<PathBuf> {
    let (ext, bytes) = match item {
        StreamItem::Bundle(bytes) => ("bundle", bytes.clone()),
        other => (
            "json",
            serde_json::to_vec_pretty(&other.to_json().expect("not a bundle"))
                .map_err(|e| e.to_string())?,
        ),
    };
    let label: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let path = dir.join(format!("{index:04}-{label}.{ext}"));
    write_atomically(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}
