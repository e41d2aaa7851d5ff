//! The relayer's view of the stream: a gate ledger that follows the
//! stream as every gate does (every registered source, every item), so
//! the relayer knows the stream's epoch and, by the follow rules every
//! gate applies, which of its bundles the stream took and what its
//! segment's boundary is. Other segments' bundles are verified too: their
//! exits to this segment are the inflow its imports are bounded by (rule
//! G7), so a watcher that skipped them would refuse an import every gate
//! accepts and lose sight of the segment's boundary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_verifier::gate::GateConfig;
use bulkhead_verifier::VerifierKeys;

use super::engine::StreamView;
use crate::error::{CorruptError, NodeError, UsageError};
use crate::ledger::{Ledger, Verdict};
use crate::stream::settle::Settling;
use crate::stream::{EntryDigest, StreamEntry, StreamIdentity, StreamSource};

/// The watcher's state directory inside the relayer's.
pub fn watch_dir(dir: &Path) -> PathBuf {
    dir.join("watch")
}

/// The gate configuration the watcher follows: `registry`, as the gate of
/// `snapshot`'s segment. Refused unless the segment's registration is
/// exactly the snapshot's state (same shape, roots and next sequence
/// number), or every bundle the relayer makes would be refused.
pub fn watch_config(registry: &GateConfig, snapshot: &Snapshot) -> Result<GateConfig, NodeError> {
    let segment = snapshot.segment;
    let source = registry
        .source(segment)
        .ok_or(UsageError::Unregistered { segment })?;
    let state = snapshot.to_state().map_err(UsageError::Snapshot)?;
    let mismatch = if source.shape != snapshot.shape {
        Some("circuit shape")
    } else if source.next_seq != state.exit_seq() {
        Some("next sequence number")
    } else if source.boundary_root != state.boundary_root() {
        Some("boundary root")
    } else if source.accounts_root != state.accounts_root() {
        Some("accounts root")
    } else {
        None
    };
    if let Some(what) = mismatch {
        return Err(UsageError::Registration { segment, what }.into());
    }
    let mut config = registry.clone();
    // The watcher judges as this segment's gate would; what it credits
    // is never paid anywhere (the segment's own gate pays).
    config.segment = segment;
    Ok(config)
}

/// The stream the watcher in `dir` follows (its configuration's), which
/// the relayer publishes to and every exit signature names.
pub fn stream_id(dir: &Path) -> Result<u64, NodeError> {
    let reader = crate::ledger::LedgerReader::open(&watch_dir(dir))?;
    Ok(reader
        .state(crate::ledger::Depth::Summary)?
        .0
        .config
        .stream_id)
}

/// Creates the watcher's ledger.
pub fn create(dir: &Path, config: GateConfig, keys: VerifierKeys) -> Result<(), NodeError> {
    Ledger::create(&watch_dir(dir), config, vec![keys])
}

/// The watcher.
pub struct Watcher {
    ledger: Ledger,
    segment: u64,
    /// The entry that did not decode, waited on until it settles.
    settling: Settling,
    /// The stream's identity, bound while it was empty: completed with
    /// the first entry's digest before that entry is applied.
    first_unknown: Option<StreamIdentity>,
}

impl Watcher {
    /// Opens the watcher of the relayer in `dir` for `segment`.
    pub fn open(dir: &Path, segment: u64, keys: VerifierKeys) -> Result<Self, NodeError> {
        let ledger = Ledger::open(&watch_dir(dir), |_| Ok(Some(vec![keys])))?;
        if !ledger.state().sources.contains_key(&segment) {
            return Err(CorruptError::WatcherSegment { segment }.into());
        }
        Ok(Self {
            ledger,
            segment,
            settling: Settling::default(),
            first_unknown: None,
        })
    }

    /// Binds the watcher's ledger, and so the relayer's state directory,
    /// to `found` ([`Ledger::bind_stream`]): refused if it follows another
    /// stream. Call it before the relayer follows or publishes.
    pub fn bind_stream(&mut self, found: &StreamIdentity) -> Result<(), NodeError> {
        let kept = self.ledger.bind_stream(found)?;
        self.first_unknown = kept.first.is_none().then_some(kept);
        Ok(())
    }

    /// The stream the watcher follows, if it has followed one.
    pub fn stream(&self) -> Result<Option<StreamIdentity>, NodeError> {
        self.ledger.stream()
    }

    /// The last stream position applied.
    pub fn position(&self) -> u64 {
        self.ledger.position()
    }

    /// What the watcher has seen.
    pub fn view(&self) -> StreamView {
        let state = self.ledger.state();
        let source = &state.sources[&self.segment];
        StreamView {
            position: self.ledger.position(),
            epoch: state.epoch,
            next_seq: source.next_seq(),
            quarantined: source.quarantined.is_some(),
            boundary: source.boundary(),
            height: source.height,
            boundary_silos: std::sync::Arc::new(
                source
                    .mirror
                    .silos()
                    .values()
                    .map(|silo| {
                        let cap = source.governance.effective_cap(silo.asset, silo.cap);
                        (silo.asset, (*silo, cap))
                    })
                    .collect(),
            ),
            governed_lanes: std::sync::Arc::new(source.governance.lanes.clone()),
            tip: Some((
                source.tip,
                source
                    .roots
                    .get(&source.height)
                    .is_some_and(|root| root.attested),
            )),
        }
    }

    /// Applies the stream's next entry, if there is one, in one
    /// transaction of the watcher's ledger, and says whether it did. One
    /// entry at a time: the relayer reconciles after each, so what it
    /// reads in the view is the stream's state right after that entry (the
    /// quarantine and the epoch a refused bundle met), and a crash between
    /// the two leaves the watcher exactly there. An entry that does not
    /// decode may be a file still being copied in: like a gate, the
    /// watcher takes it as final only once it has stayed the same for
    /// [`SETTLE`](crate::stream::settle::SETTLE) ([`Settling`]).
    pub fn step(&mut self, source: &dyn StreamSource) -> Result<bool, NodeError> {
        let position = self.ledger.position().saturating_add(1);
        let Some(entry) = source.entry(position)? else {
            return Ok(false);
        };
        if let Some(identity) = &self.first_unknown {
            // Bound while the stream was empty: its first entry is
            // recorded before it is applied.
            if let Some(first) = source.raw(1)? {
                let mut identity = identity.clone();
                identity.first = Some(EntryDigest::of(&first));
                self.ledger.bind_stream(&identity)?;
                self.first_unknown = None;
            }
        }
        if !entry.is_well_formed() {
            if !self.settling.is_final(position, &entry, Instant::now()) {
                return Ok(false);
            }
            self.ledger.skip(position)?;
        } else {
            match entry {
                StreamEntry::Item(item) => {
                    if let Verdict::Refused(refusal) = self.ledger.apply(&item, Some(position))? {
                        tracing::debug!(position, %refusal, "stream item refused");
                    }
                }
                StreamEntry::Malformed(_) => self.ledger.skip(position)?,
            }
        }
        self.settling.clear();
        source.applied(position);
        Ok(true)
    }
}
