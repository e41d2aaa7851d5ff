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

use bulkhead_prover::{write_atomically, ParamsCache};
use bulkhead_verifier::gate::{Gate, GateConfig, GateState, ItemJson, StreamItem};

use crate::error::CliError;
use crate::params::verifier_keys;

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
    pub fn init(&self, config: GateConfig) -> Result<GateState, CliError> {
        if self.state_path().exists() {
            return Err(CliError::Usage(format!(
                "{} already holds a gate",
                self.dir.display()
            )));
        }
        fs::create_dir_all(&self.dir).map_err(CliError::io(&self.dir))?;
        // Keys are derived and checked against the config on every open.
        let state = GateState::fresh(config);
        self.save(&state)?;
        Ok(state)
    }

    /// Reads the state without deriving keys (for `status`).
    pub fn load_state(&self) -> Result<GateState, CliError> {
        crate::json::read_json(&self.state_path())
    }

    /// Opens the gate: reads the state and derives the verifying key of
    /// every registered shape.
    pub fn open(&self, cache: &ParamsCache) -> Result<Gate, CliError> {
        let state = self.load_state()?;
        let shapes: BTreeSet<_> = state.config.sources.iter().map(|s| s.shape).collect();
        let keys = shapes
            .into_iter()
            .map(|shape| verifier_keys(shape, cache))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Gate::restore(state, keys)?)
    }

    /// Writes `state` atomically.
    pub fn save(&self, state: &GateState) -> Result<(), CliError> {
        let path = self.state_path();
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| CliError::Json {
            path: path.clone(),
            field: "(top level)".into(),
            message: e.to_string(),
        })?;
        write_atomically(&path, &bytes).map_err(CliError::io(path))
    }
}

/// Reads a stream item file: `*.bundle` is a bundle, `*.json` one of the
/// JSON items (attestation, tick, guardian action).
pub fn read_item(path: &Path) -> Result<StreamItem, CliError> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("bundle") => Ok(StreamItem::Bundle(
            fs::read(path).map_err(CliError::io(path))?,
        )),
        Some("json") => crate::json::read_json::<ItemJson>(path).map(StreamItem::from),
        _ => Err(CliError::Usage(format!(
            "{}: expected a .bundle or .json stream item",
            path.display()
        ))),
    }
}

/// Writes a stream item to `dir` as `NNNN-label.bundle` or `.json`.
pub fn write_item(
    dir: &Path,
    index: usize,
    label: &str,
    item: &StreamItem,
) -> Result<PathBuf, CliError> {
    let label: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let (ext, bytes) = match item {
        StreamItem::Bundle(bytes) => ("bundle", bytes.clone()),
        // `Some(json)` serializes as the JSON item itself.
        other => (
            "json",
            serde_json::to_vec_pretty(&other.to_json())
                .map_err(|e| CliError::Usage(e.to_string()))?,
        ),
    };
    let path = dir.join(format!("{index:04}-{label}.{ext}"));
    write_atomically(&path, &bytes).map_err(CliError::io(&path))?;
    Ok(path)
}
