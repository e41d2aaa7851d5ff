//! What a gate is told when it is created: the sources it follows (shape,
//! key digest, validators, genesis roots and height, the opening of every
//! declared silo), the stream's guardians and clock, and its own breaker
//! and inbound limit. [`GateConfig::validate`] checks all of it, naming the
//! offending field, before a gate exists.

use std::collections::BTreeSet;

use bulkhead_protocol::hash::{self, tag, Fp};
use bulkhead_protocol::merkle::MerklePath;
use bulkhead_protocol::mirror::{BoundaryMirror, MirrorError};
use bulkhead_protocol::model::Silo;
use bulkhead_protocol::CircuitShape;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::state::{ChainRoot, Evidence, QuarantineCause};

/// The opening of one silo a source declared at registration: the silo
/// leaf's values and its path, which hash (with the lanes root and the
/// sequence number) to the registered boundary root. Collateral and cap
/// bound what the source can ever send in this asset (blast radius).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiloOpening {
    /// Asset; also the silo's leaf index.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub asset: u64,
    /// Collateral: the most that can ever leave in this asset.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub collateral: u64,
    /// Cap per epoch.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub cap: u64,
    /// Epoch of the silo's outflow window.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub window_epoch: u64,
    /// Outflow counted in that window.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub window_outflow: u64,
    /// Siblings of the silo leaf, leaf level first (S of them).
    #[serde(with = "bulkhead_protocol::hex::fp_list")]
    pub siblings: Vec<Fp>,
}

impl SiloOpening {
    /// The silo leaf's values.
    pub fn silo(&self) -> Silo {
        Silo {
            asset: self.asset,
            collateral: self.collateral,
            cap: self.cap,
            window_epoch: self.window_epoch,
            window_outflow: self.window_outflow,
        }
    }

    /// The silo root this opening hashes to (index = asset).
    pub fn silo_root(&self) -> Fp {
        let leaf = self.silo().leaf();
        MerklePath {
            index: self.asset,
            siblings: self.siblings.clone(),
        }
        .root(tag::SILO_NODE, leaf)
    }
}

/// What every gate knows about one source segment from the start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Segment id.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub segment: u64,
    /// The only circuit shape its bundles may use.
    pub shape: CircuitShape,
    /// The verifying-key digest for that shape.
    #[serde(with = "bulkhead_protocol::hex::bytes")]
    pub vk_digest: [u8; 32],
    /// Validator public keys.
    pub validators: Vec<Hex32>,
    /// Distinct validator signatures an attestation needs.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub threshold: usize,
    /// Accounts root at registration (the first tip).
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub accounts_root: Fp,
    /// Height of that root: steps of the accounts-root chain before
    /// registration (0 for a source registered at its genesis).
    #[serde(with = "bulkhead_protocol::decimal")]
    pub genesis_height: u64,
    /// Boundary root at registration.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub boundary_root: Fp,
    /// Lanes root inside the boundary root.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub lanes_root: Fp,
    /// Exits the source has sent before registration: the next sequence
    /// number, and the `exit_seq` inside the boundary root.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub next_seq: u64,
    /// Every silo the source declares; its bundles may move only these
    /// assets.
    pub silos: Vec<SiloOpening>,
    /// What the follow rules hold of the source at registration, for a
    /// source registered after its genesis (absent: a source at its
    /// genesis, whose registered root its validators signed).
    #[serde(default, skip_serializing_if = "RegisteredFollow::is_genesis")]
    pub follow: RegisteredFollow,
}

/// The follow rules' state of a source at the point it is registered:
/// what every gate that followed the source from earlier holds, so that a
/// gate registered later reaches the same verdict on every later item.
/// Read it off any gate that follows the stream (`SourceState::
/// registration`) at the stream position the new gate starts from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisteredFollow {
    /// Whether the registered accounts root was signed by the validators
    /// (or is the source's genesis), rather than proven by a bundle: only
    /// a contradiction of a signed root is equivocation.
    pub root_attested: bool,
    /// The chain's roots below the registered one, down to the evidence
    /// floor (the height of the last step a bundle took), oldest first:
    /// at heights `genesis_height - below.len()` up to `genesis_height - 1`.
    pub below: Vec<ChainRoot>,
    /// The stream's quarantine of the source, if it is quarantined.
    pub quarantined: Option<QuarantineCause>,
    /// The stream breaker's round.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub round: u64,
    /// Stream guardians who voted in that round.
    #[serde(with = "bulkhead_protocol::decimal::seq")]
    pub votes: Vec<usize>,
    /// Equivocation evidence recorded at or above the floor.
    pub evidence: Vec<Evidence>,
    /// The value flowing into the source per asset (inflow and imported,
    /// rule G7), so a gate registered later bounds its imports as every
    /// other gate does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<RegisteredFlow>,
    /// The source's governance as every gate follows it (rule G8): its
    /// next sequence number, pending loosens, the automatic rule.
    #[serde(default, skip_serializing_if = "is_default")]
    pub governance: super::governance::SourceGovernance,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// A source's flow in one asset at registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisteredFlow {
    /// The asset.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub asset: u64,
    /// Value of accepted exits to the source.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub inflow: u128,
    /// Value the source imported.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub imported: u128,
    /// Value deposited into its silo from outside (rule G8).
    #[serde(default, with = "bulkhead_protocol::decimal")]
    pub deposited: u128,
    /// Value withdrawn from its silo out of the system (rule G8).
    #[serde(default, with = "bulkhead_protocol::decimal")]
    pub withdrawn: u128,
}

impl Default for RegisteredFollow {
    /// A source at its genesis: its validators signed the registered root,
    /// nothing below it, open, round 0.
    fn default() -> Self {
        RegisteredFollow {
            root_attested: true,
            below: Vec::new(),
            quarantined: None,
            round: 0,
            votes: Vec::new(),
            evidence: Vec::new(),
            flows: Vec::new(),
            governance: Default::default(),
        }
    }
}

impl RegisteredFollow {
    /// Whether this is the state of a source at its genesis.
    pub fn is_genesis(&self) -> bool {
        *self == RegisteredFollow::default()
    }
}

/// A 32-byte key, hex in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Hex32(#[serde(with = "bulkhead_protocol::hex::bytes")] pub [u8; 32]);

/// The stream's clock: ticks advance the epoch by one, no sooner than
/// `epoch_length` after the previous tick (by the ticks' own signed times).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockConfig {
    /// The stream's epoch when this gate starts following it.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub genesis_epoch: u64,
    /// The time of the tick that opened that epoch (seconds).
    #[serde(with = "bulkhead_protocol::decimal")]
    pub genesis_time: u64,
    /// Shortest time between two ticks (seconds).
    #[serde(with = "bulkhead_protocol::decimal")]
    pub epoch_length: u64,
}

/// A gate's configuration: the sources it follows, the stream's guardians
/// and clock, and its own breaker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    /// The stream this gate follows. Every attestation, tick and guardian
    /// vote is signed over it, so a signature made for another stream
    /// (where the same keys serve two) never counts here.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub stream_id: u64,
    /// This gate's segment id: exits with this DST are credited here.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub segment: u64,
    /// Sources, as every gate registers them.
    pub sources: Vec<SourceConfig>,
    /// Guardians who sign ticks and quarantine or release a source for
    /// all gates.
    pub stream_guardians: Vec<Hex32>,
    /// Guardian signatures a tick, a quarantine or a release needs.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub stream_threshold: usize,
    /// The stream's clock.
    pub clock: ClockConfig,
    /// This gate's own guardians (local breaker).
    pub local_guardians: Vec<Hex32>,
    /// Local guardian actions needed to trip or release.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub local_threshold: usize,
    /// Most this gate credits from one source in one epoch.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub inbound_limit: u64,
    /// The stream's governance parameters (timelock, automatic rule):
    /// part of its genesis, the same at every gate.
    #[serde(default)]
    pub governance: super::governance::GovernanceParams,
}

/// The highest registered height: far below u64::MAX, so that a chain's
/// height never saturates (each attestation or bundle adds one).
pub const MAX_GENESIS_HEIGHT: u64 = u64::MAX / 2;

/// A configuration a gate refuses to start from; `field` names where.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A threshold outside `1..=keys`.
    #[error("{field}: threshold {threshold} is outside 1..={keys}")]
    Threshold {
        /// The threshold field.
        field: String,
        /// Its value.
        threshold: usize,
        /// Keys in the matching list.
        keys: usize,
    },
    /// The same key twice in one list.
    #[error("{field}: duplicate key")]
    DuplicateKey {
        /// The duplicate entry.
        field: String,
    },
    /// A key that is not an Ed25519 curve point, or has small order: no
    /// signature under it ever verifies strictly, so a threshold counting
    /// it could be silently unreachable.
    #[error("{field}: not a usable Ed25519 public key (not a curve point, or of small order)")]
    UnusableKey {
        /// The key entry.
        field: String,
    },
    /// Two sources with one segment id.
    #[error("{field}: segment {segment} is registered twice")]
    DuplicateSource {
        /// The source entry.
        field: String,
        /// Its id.
        segment: u64,
    },
    /// An invalid circuit shape.
    #[error("{field}: {source}")]
    Shape {
        /// The shape field.
        field: String,
        /// Why.
        source: bulkhead_protocol::Error,
    },
    /// A silo opening that does not fit the shape, repeats an asset, or
    /// does not hash to the registered boundary root.
    #[error("{field}: {problem}")]
    Opening {
        /// The opening (or the boundary root it fails to reach).
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// An epoch length of 0 would let the clock run as fast as ticks can
    /// be written; one that overflows the genesis time would stop it.
    #[error("clock.epoch_length: must be at least 1 second, and genesis_time + epoch_length must fit u64")]
    EpochLength,
    /// The openings do not make one boundary mirror (they are not of one
    /// silos tree).
    #[error("sources[{index}].silos: {source}")]
    Mirror {
        /// The source's index.
        index: usize,
        /// Why.
        source: MirrorError,
    },
    /// The governance parameters are refused.
    #[error(transparent)]
    Governance(#[from] super::governance::ParamsError),
}

impl ConfigError {
    /// The openings of source `index` make no mirror.
    pub fn mirror(index: usize, source: MirrorError) -> Self {
        ConfigError::Mirror { index, source }
    }
}

impl GateConfig {
    /// The registration of source `segment`, if it is one.
    pub fn source(&self, segment: u64) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.segment == segment)
    }

    /// Checks every registration rule (DESIGN, "Registration"); the
    /// verifying-key digests are checked against derived keys by
    /// [`super::Gate::new`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_keys(
            "stream_guardians",
            &self.stream_guardians,
            self.stream_threshold,
            "stream_threshold",
        )?;
        check_keys(
            "local_guardians",
            &self.local_guardians,
            self.local_threshold,
            "local_threshold",
        )?;
        if self.clock.epoch_length == 0
            || self
                .clock
                .genesis_time
                .checked_add(self.clock.epoch_length)
                .is_none()
        {
            return Err(ConfigError::EpochLength);
        }
        self.governance.validate()?;
        let mut ids = BTreeSet::new();
        for (i, source) in self.sources.iter().enumerate() {
            let at = |field: &str| format!("sources[{i}].{field}");
            if !ids.insert(source.segment) {
                return Err(ConfigError::DuplicateSource {
                    field: at("segment"),
                    segment: source.segment,
                });
            }
            source.shape.validate().map_err(|e| ConfigError::Shape {
                field: at("shape"),
                source: e,
            })?;
            check_keys(
                &at("validators"),
                &source.validators,
                source.threshold,
                &at("threshold"),
            )?;
            if source.genesis_height > MAX_GENESIS_HEIGHT {
                return Err(ConfigError::Opening {
                    field: at("genesis_height"),
                    problem: format!(
                        "must leave room for the chain to grow (at most {MAX_GENESIS_HEIGHT})"
                    ),
                });
            }
            source.check_openings(&at("silos"))?;
            let mirror = source.mirror().map_err(|e| ConfigError::mirror(i, e))?;
            if mirror.root() != source.boundary_root {
                return Err(ConfigError::Opening {
                    field: at("silos"),
                    problem: "the openings together do not hash to boundary_root".into(),
                });
            }
            source.check_follow(&at("follow"), self)?;
        }
        Ok(())
    }
}

impl SourceConfig {
    /// The evidence floor at registration: attestations below it are
    /// refused by every gate, so no gate needs roots below it.
    pub fn floor(&self) -> u64 {
        self.genesis_height
            .saturating_sub(self.follow.below.len() as u64)
    }

    /// The follow state is one a gate could hold: the roots below the tip
    /// fit above height 0, the votes are distinct stream guardians short
    /// of the threshold (a threshold would have taken effect), and the
    /// evidence lies between the floor and the height after the tip.
    fn check_follow(&self, field: &str, gate: &GateConfig) -> Result<(), ConfigError> {
        let bad = |field: String, problem: String| ConfigError::Opening { field, problem };
        let follow = &self.follow;
        let mut assets = BTreeSet::new();
        for (i, flow) in follow.flows.iter().enumerate() {
            let at = format!("{field}.flows[{i}]");
            if self.silo(flow.asset).is_none() || !assets.insert(flow.asset) {
                return Err(bad(
                    at,
                    format!("asset {} is not a silo declared once", flow.asset),
                ));
            }
            if flow.imported > flow.inflow {
                return Err(bad(at, "imported exceeds inflow".into()));
            }
        }
        super::governance::check_registered(self, field)?;
        if follow.below.len() as u64 > self.genesis_height {
            return Err(bad(
                format!("{field}.below"),
                format!(
                    "{} roots below height {}",
                    follow.below.len(),
                    self.genesis_height
                ),
            ));
        }
        let mut votes = BTreeSet::new();
        for (i, vote) in follow.votes.iter().enumerate() {
            if *vote >= gate.stream_guardians.len() || !votes.insert(*vote) {
                return Err(bad(
                    format!("{field}.votes[{i}]"),
                    format!("guardian {vote} is not a distinct stream guardian"),
                ));
            }
        }
        if follow.votes.len() >= gate.stream_threshold {
            return Err(bad(
                format!("{field}.votes"),
                "a threshold of votes would already have taken effect".into(),
            ));
        }
        let (floor, top) = (self.floor(), self.genesis_height.saturating_add(1));
        for (i, e) in follow.evidence.iter().enumerate() {
            if !(floor..=top).contains(&e.height) {
                return Err(bad(
                    format!("{field}.evidence[{i}]"),
                    format!("height {} outside {floor}..={top}", e.height),
                ));
            }
        }
        Ok(())
    }

    /// Every opening fits the shape, names its asset once, and all of them
    /// hash, with the lanes root and `next_seq`, to the boundary root.
    fn check_openings(&self, field: &str) -> Result<(), ConfigError> {
        let bad = |field: String, problem: String| ConfigError::Opening { field, problem };
        let depth = self.shape.silo_depth;
        let mut assets = BTreeSet::new();
        for (j, opening) in self.silos.iter().enumerate() {
            let at = format!("{field}[{j}]");
            if opening.asset >> depth != 0 {
                return Err(bad(
                    at,
                    format!("asset {} does not fit silo depth {depth}", opening.asset),
                ));
            }
            if opening.siblings.len() != depth as usize {
                return Err(bad(
                    at,
                    format!("{} siblings for silo depth {depth}", opening.siblings.len()),
                ));
            }
            if !assets.insert(opening.asset) {
                return Err(bad(at, format!("asset {} declared twice", opening.asset)));
            }
            let boundary = hash::boundary_root(
                opening.silo_root(),
                self.lanes_root,
                hash::fp(self.next_seq),
            );
            if boundary != self.boundary_root {
                return Err(bad(
                    at,
                    "does not hash (with lanes_root and next_seq) to boundary_root".into(),
                ));
            }
        }
        Ok(())
    }

    /// The boundary mirror at registration, from the openings.
    pub fn mirror(&self) -> Result<BoundaryMirror, MirrorError> {
        BoundaryMirror::new(
            self.shape.silo_depth,
            self.silos.iter().map(|o| (o.silo(), o.siblings.clone())),
            self.lanes_root,
            self.next_seq,
        )
    }

    /// The opening of `asset`, if the source declared it.
    pub fn silo(&self, asset: u64) -> Option<&SiloOpening> {
        self.silos.iter().find(|s| s.asset == asset)
    }
}

/// Checks a key set and its threshold: the threshold in `1..=keys`, each
/// key usable, none twice.
pub(crate) fn check_keys(
    field: &str,
    keys: &[Hex32],
    threshold: usize,
    threshold_field: &str,
) -> Result<(), ConfigError> {
    if !(1..=keys.len()).contains(&threshold) {
        return Err(ConfigError::Threshold {
            field: threshold_field.to_owned(),
            threshold,
            keys: keys.len(),
        });
    }
    let mut seen = BTreeSet::new();
    for (i, key) in keys.iter().enumerate() {
        if !crate::signatures::key_usable(&key.0) {
            return Err(ConfigError::UnusableKey {
                field: format!("{field}[{i}]"),
            });
        }
        if !seen.insert(key) {
            return Err(ConfigError::DuplicateKey {
                field: format!("{field}[{i}]"),
            });
        }
    }
    Ok(())
}
