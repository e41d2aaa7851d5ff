//! Rule G7, imports: value that arrived at a segment becomes its
//! collateral, so it can leave again (DESIGN, "Two-way boundaries").
//!
//! Every gate counts, per destination and asset, the TOTAL of the bundles
//! it accepted ([`super::state::Flow::inflow`]) and what the destination
//! imported. An import is bounded by that inflow alone, never by what any
//! one gate credited: follow rules read only the stream, so every gate
//! reaches the same verdict and computes the same new boundary. A segment's
//! own gate compares the segment's imports with what it actually credited
//! and raises an alarm ([`import_alarms`]) rather than refuse.

use std::collections::BTreeMap;

use bulkhead_protocol::messages::import_message;
use bulkhead_protocol::mirror::{BoundaryMirror, MirrorError};
use serde::Serialize;
use thiserror::Error;

use super::effect::Effect;
use super::follow::valid_signers;
use super::item::Import;
use super::refusal::Refusal;
use super::state::{Changes, GateState, Root, SegmentAsset};

/// Why an import is refused (rule G7). A refused import changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ImportRefusal {
    /// The segment is not registered.
    #[error("segment {0} is not registered")]
    Unregistered(u64),
    /// The segment is quarantined: nothing moves its boundary until it is
    /// released.
    #[error("segment {0} is quarantined")]
    Quarantined(u64),
    /// The asset is not one of the segment's declared silos.
    #[error("asset {asset} is not a silo segment {segment} declared")]
    UndeclaredAsset {
        /// The segment.
        segment: u64,
        /// The asset.
        asset: u64,
    },
    /// An import of nothing: it would move the accounts tip without
    /// moving value, which is an attestation's job.
    #[error("an import of 0")]
    Zero,
    /// This import is already in the chain (the same root at its height):
    /// a replay.
    #[error("replay: the import at height {height} is already in the chain")]
    Replay {
        /// The height.
        height: u64,
    },
    /// The height is not one above the tip.
    #[error("height {height}, but the tip is at {tip}")]
    NotNext {
        /// The import's height.
        height: u64,
        /// The tip's height.
        tip: u64,
    },
    /// The parent is not the tip.
    #[error("the parent is not the segment's accounts tip")]
    OtherParent,
    /// More would be imported than accepted exits sent the segment.
    #[error("imported {imported} + {amount} exceeds the inflow {inflow} of asset {asset}")]
    ExceedsInflow {
        /// The asset.
        asset: u64,
        /// Imported so far.
        imported: u128,
        /// This import.
        amount: u64,
        /// Inflow so far.
        inflow: u128,
    },
    /// The collateral would pass 2^64 - 1.
    #[error("collateral {collateral} + {amount} passes 2^64 - 1")]
    Overflow {
        /// The collateral now.
        collateral: u64,
        /// This import.
        amount: u64,
    },
    /// Fewer valid signatures of the segment's validators than its
    /// threshold (a signature made for another stream or another message
    /// is not valid here).
    #[error("{valid} valid validator signatures, threshold {threshold}")]
    WeakSignatures {
        /// Valid signatures.
        valid: usize,
        /// The threshold.
        threshold: usize,
    },
}

impl ImportRefusal {
    /// A short stable label, `G7 ...`.
    pub fn label(&self) -> &'static str {
        match self {
            ImportRefusal::Unregistered(_) => "G7 unregistered",
            ImportRefusal::Quarantined(_) => "G7 quarantined",
            ImportRefusal::UndeclaredAsset { .. } => "G7 undeclared asset",
            ImportRefusal::Zero => "G7 zero",
            ImportRefusal::Replay { .. } => "G7 replay",
            ImportRefusal::NotNext { .. } => "G7 height",
            ImportRefusal::OtherParent => "G7 parent",
            ImportRefusal::ExceedsInflow { .. } => "G7 inflow",
            ImportRefusal::Overflow { .. } => "G7 overflow",
            ImportRefusal::WeakSignatures { .. } => "G7 signatures",
        }
    }
}

/// Checks an import against G7, cheapest first and the signatures last;
/// returns the segment's mirror with the import applied.
pub(super) fn admit_import(state: &GateState, import: &Import) -> Result<BoundaryMirror, Refusal> {
    let refuse = |r| Err(Refusal::Import(r));
    let segment = import.segment;
    let (Some(config), Some(source)) = (state.config.source(segment), state.sources.get(&segment))
    else {
        return refuse(ImportRefusal::Unregistered(segment));
    };
    if source.quarantined.is_some() {
        return refuse(ImportRefusal::Quarantined(segment));
    }
    let asset = import.asset;
    if source.mirror.silo(asset).is_none() {
        return refuse(ImportRefusal::UndeclaredAsset { segment, asset });
    }
    if import.amount == 0 {
        return refuse(ImportRefusal::Zero);
    }
    let at_height = source.roots.get(&import.height);
    if at_height.is_some_and(|known| known.root == Root::from(&import.root)) {
        return refuse(ImportRefusal::Replay {
            height: import.height,
        });
    }
    if source.height.checked_add(1) != Some(import.height) {
        return refuse(ImportRefusal::NotNext {
            height: import.height,
            tip: source.height,
        });
    }
    if import.parent != source.tip {
        return refuse(ImportRefusal::OtherParent);
    }
    let flow = state.flow(segment, asset);
    if flow.imported + u128::from(import.amount) > flow.inflow {
        return refuse(ImportRefusal::ExceedsInflow {
            asset,
            imported: flow.imported,
            amount: import.amount,
            inflow: flow.inflow,
        });
    }
    let mut mirror = source.mirror.clone();
    match mirror.apply_import(asset, import.amount) {
        Ok(_) => {}
        Err(MirrorError::CollateralOverflow {
            collateral, amount, ..
        }) => return refuse(ImportRefusal::Overflow { collateral, amount }),
        // The silo was found above; no other error is possible.
        Err(_) => return refuse(ImportRefusal::UndeclaredAsset { segment, asset }),
    }
    let message = import_message(state.config.stream_id, &import.statement());
    let (keys, threshold) = source.validators(config);
    let valid = valid_signers(keys, &import.signatures, &message)?;
    if valid < threshold {
        return refuse(ImportRefusal::WeakSignatures { valid, threshold });
    }
    Ok(mirror)
}

/// Applies an admitted import: the segment's boundary becomes `mirror`,
/// its accounts tip the import's root (signed by its validators, so an
/// attested root), and the import is counted against the inflow.
pub(super) fn apply_import(
    state: &mut GateState,
    import: &Import,
    mirror: BoundaryMirror,
    changes: &mut Changes,
) -> Effect {
    let key = SegmentAsset {
        segment: import.segment,
        asset: import.asset,
    };
    state.flows.entry(key).or_default().imported += u128::from(import.amount);
    changes.flows.insert(key);
    if let Some(source) = state.sources.get_mut(&import.segment) {
        source.mirror = mirror;
        source.extend_chain(import.height, import.root, true);
        changes.sources.insert(import.segment);
        changes.roots.insert((import.segment, import.height));
    }
    Effect::Imported {
        segment: import.segment,
        asset: import.asset,
        amount: import.amount,
    }
}

/// One asset in which this gate's own segment imported more than this
/// gate credited it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ImportAlarm {
    /// What the segment imported, as every gate counts it.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub imported: u128,
    /// What this gate credited to the segment's recipients, from every
    /// source.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub credited: u128,
}

/// The assets in which this gate's own segment imported more than this
/// gate has credited (DESIGN: an alarm, not a refusal, because which
/// credits an import covers is the segment's own business and the follow
/// rules must give the same verdict at every gate). Empty when all is
/// well.
pub fn import_alarms(state: &GateState) -> BTreeMap<u64, ImportAlarm> {
    let own = state.config.segment;
    let mut credited: BTreeMap<u64, u128> = BTreeMap::new();
    for source in state.sources.values() {
        for (asset, amount) in &source.credited {
            *credited.entry(*asset).or_default() += u128::from(*amount);
        }
    }
    state
        .flows
        .iter()
        .filter(|(key, _)| key.segment == own)
        .filter_map(|(key, flow)| {
            let credited = credited.get(&key.asset).copied().unwrap_or(0);
            (flow.imported > credited).then_some((
                key.asset,
                ImportAlarm {
                    imported: flow.imported,
                    credited,
                },
            ))
        })
        .collect()
}
