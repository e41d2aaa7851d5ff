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

use bulkhead_protocol::CircuitShape;
use bulkhead_prover::{write_atomically, ParamsCache};
use bulkhead_verifier::gate::{Gate, GateConfig, GateError, GateState, ItemJson, StreamItem};
use bulkhead_verifier::VerifierKeys;

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
    /// overwrite an existing gate, and refuses a configuration that breaks
    /// a registration rule (checked against the verifying keys derived for
    /// its shapes) before writing anything.
    pub fn init(&self, config: GateConfig, cache: &ParamsCache) -> Result<(), CliError> {
        if self.state_path().exists() {
            return Err(CliError::Usage(format!(
                "{} already holds a gate",
                self.dir.display()
            )));
        }
        // `Gate::new` checks the configuration too; checking it first means
        // a bad file is refused before seconds of key derivation.
        config.validate().map_err(GateError::from)?;
        let keys = keys_for(&config_shapes(&config), cache)?;
        let gate = Gate::new(config, keys)?;
        fs::create_dir_all(&self.dir).map_err(CliError::io(&self.dir))?;
        self.save(gate.state())
    }

    /// Reads the state without deriving keys (for `status`).
    pub fn load_state(&self) -> Result<GateState, CliError> {
        crate::json::read_json(&self.state_path())
    }

    /// Opens the gate: reads the state and derives the verifying key of
    /// every registered shape.
    pub fn open(&self, cache: &ParamsCache) -> Result<Gate, CliError> {
        let state = self.load_state()?;
        let keys = keys_for(&config_shapes(&state.config), cache)?;
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

fn config_shapes(config: &GateConfig) -> BTreeSet<CircuitShape> {
    config.sources.iter().map(|s| s.shape).collect()
}

fn keys_for(
    shapes: &BTreeSet<CircuitShape>,
    cache: &ParamsCache,
) -> Result<Vec<VerifierKeys>, CliError> {
    shapes
        .iter()
        .map(|shape| verifier_keys(*shape, cache))
        .collect()
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
