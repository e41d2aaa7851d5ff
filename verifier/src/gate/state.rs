//! The gate's whole persistent state, with typed keys: `(source, epoch)`
//! for inbound totals, roots for attested steps, item kinds for counters.

use std::collections::{BTreeMap, BTreeSet};

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::mirror::{BoundaryMirror, MirrorError};
use ff::PrimeField;
use serde::{Deserialize, Serialize};

use super::config::{ConfigError, GateConfig, Hex32, SourceConfig};

/// One exit credited, or held, at this gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    /// Source segment.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub src: u64,
    /// Exit sequence number at the source.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub seq: u64,
    /// Asset.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub asset: u64,
    /// Epoch of the batch.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub epoch: u64,
    /// Recipient.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub recipient: Fp,
    /// Amount: of this credit record, or still held of the exit.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub amount: u64,
    /// Which part of the exit: an exit larger than the inbound limit is
    /// credited in parts across epochs. On a credit record, this part's
    /// index (0 for the first part, or for an exit credited whole); on a
    /// held exit, the index of its next part.
    #[serde(default)]
    #[serde(with = "bulkhead_protocol::decimal")]
    pub part: u64,
}

/// Why a source is quarantined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuarantineCause {
    /// Its validators attested two roots for one parent, or a root whose
    /// parent is not the tip.
    Equivocation,
    /// A threshold of stream guardians.
    Guardians,
}

/// An accounts root as a map key: its canonical encoding, ordered
/// bytewise, written as hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Root(#[serde(with = "bulkhead_protocol::hex::bytes")] pub [u8; 32]);

impl From<&Fp> for Root {
    fn from(value: &Fp) -> Self {
        Root(value.to_repr())
    }
}

/// The key of per-source, per-epoch totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourceEpoch {
    /// Source segment.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub src: u64,
    /// Stream epoch.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub epoch: u64,
}

/// The kinds of stream item, for per-kind counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A bundle.
    Bundle,
    /// A validator attestation.
    Attestation,
    /// An epoch tick.
    Tick,
    /// A guardian vote.
    Guardian,
    /// A segment's import.
    Import,
    /// A change to a source's boundary (rule G8).
    Governance,
}

impl ItemKind {
    /// The kind's one name, as serde writes it: metric labels, NATS
    /// subjects and stream listings all use this.
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Bundle => "bundle",
            ItemKind::Attestation => "attestation",
            ItemKind::Tick => "tick",
            ItemKind::Guardian => "guardian",
            ItemKind::Import => "import",
            ItemKind::Governance => "governance",
        }
    }
}

/// Equivocation evidence: a validly signed attestation that contradicts
/// the chain (another root at an attested height, or a parent that is not
/// the root one height below). Recorded once; the same evidence again is
/// refused as known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Evidence {
    /// The height the attestation claims.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub height: u64,
    /// The parent it names.
    pub parent: Root,
    /// The root it attests.
    pub root: Root,
}

/// One root of a source's accounts-root chain, and whether its validators
/// signed it (an attestation, or the registered root) or a proof moved the
/// chain there (a bundle's ACCOUNTS_AFTER). Only a contradiction of a
/// validator-signed root is equivocation: an honest attestation that
/// races a bundle contradicts a proven root, and is merely refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainRoot {
    /// The root.
    pub root: Root,
    /// Signed by a threshold of the source's validators (or registered).
    pub attested: bool,
}

/// What a gate tracks per source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceState {
    /// Accounts-root tip (attested or proven).
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub tip: Fp,
    /// Height of the tip: steps of the chain (attestations and accepted
    /// bundles) since the source's genesis.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub height: u64,
    /// Every root of the chain since registration, by height.
    pub roots: BTreeMap<u64, ChainRoot>,
    /// Height of the last step a bundle took (its ACCOUNTS_AFTER), or the
    /// registration's floor: a later bundle can only take a step above it,
    /// so an attested step is taken by at most one bundle; and it is the
    /// evidence floor, below which every gate refuses attestations unread
    /// (so a gate registered later judges exactly as the others do).
    #[serde(default)]
    #[serde(with = "bulkhead_protocol::decimal")]
    pub bundle_height: u64,
    /// The boundary as every gate follows it: live silos, lanes root,
    /// exit sequence; its root is the source's boundary root.
    pub mirror: BoundaryMirror,
    /// Epoch of the last accepted bundle.
    #[serde(default, with = "bulkhead_protocol::decimal::option")]
    pub last_epoch: Option<u64>,
    /// Quarantine, if any.
    pub quarantined: Option<QuarantineCause>,
    /// Breaker round (bumped when a quarantine or release takes effect).
    #[serde(with = "bulkhead_protocol::decimal")]
    pub round: u64,
    /// Guardians who voted in this round.
    #[serde(with = "bulkhead_protocol::decimal::seq")]
    pub votes: BTreeSet<usize>,
    /// Equivocation evidence seen, each recorded once.
    pub evidence: BTreeSet<Evidence>,
    /// Bundles accepted.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub accepted: u64,
    /// Value credited at this gate from this source, per asset.
    #[serde(with = "bulkhead_protocol::decimal::values")]
    pub credited: BTreeMap<u64, u64>,
    /// Stream epochs in which the source was open (not quarantined) at
    /// some point: the epochs it could send in, and this gate credit it in.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub open_epochs: u64,
    /// The last epoch counted in `open_epochs`.
    #[serde(default, with = "bulkhead_protocol::decimal::option")]
    pub counted_epoch: Option<u64>,
    /// Governance of the source's boundary (rule G8).
    #[serde(default)]
    pub governance: super::governance::SourceGovernance,
}

impl SourceState {
    /// The source's validator keys and threshold now: a rotation's (rule
    /// G8) once one took effect, else the registration's.
    pub fn validators<'a>(&'a self, registration: &'a SourceConfig) -> (&'a [Hex32], usize) {
        match &self.governance.validators {
            Some(set) => (&set.keys, set.threshold),
            None => (&registration.validators, registration.threshold),
        }
    }

    /// A source at its registration: its roots from the evidence floor to
    /// the registered one, its boundary from the openings, breaker and
    /// evidence.
    pub fn registered(config: &super::config::SourceConfig) -> Result<Self, MirrorError> {
        let follow = &config.follow;
        let floor = config.floor();
        let tip = ChainRoot {
            root: Root::from(&config.accounts_root),
            attested: follow.root_attested,
        };
        let roots = (floor..)
            .zip(follow.below.iter().chain([&tip]).copied())
            .collect();
        Ok(SourceState {
            tip: config.accounts_root,
            height: config.genesis_height,
            roots,
            bundle_height: floor,
            mirror: config.mirror()?,
            last_epoch: None,
            quarantined: follow.quarantined.clone(),
            round: follow.round,
            votes: follow.votes.iter().copied().collect(),
            evidence: follow.evidence.iter().copied().collect(),
            accepted: 0,
            credited: BTreeMap::new(),
            open_epochs: 0,
            counted_epoch: None,
            governance: follow.governance.clone(),
        })
    }

    /// The boundary root now.
    pub fn boundary(&self) -> Fp {
        self.mirror.root()
    }

    /// The next exit sequence number expected.
    pub fn next_seq(&self) -> u64 {
        self.mirror.exit_seq()
    }

    /// Moves the tip to `root` at `height`, the chain's next root, signed
    /// by the validators (`attested`) or proven by a bundle.
    pub fn extend_chain(&mut self, height: u64, root: Fp, attested: bool) {
        self.height = height;
        self.roots.insert(
            height,
            ChainRoot {
                root: Root::from(&root),
                attested,
            },
        );
        self.tip = root;
    }

    /// The step a bundle from `before` to `after` takes (G3), by the height
    /// of its new root: the tip's next height when `before` is the tip;
    /// otherwise an attested step above the last bundle's whose parent is
    /// `before` and whose root is `after` (the validators attested the
    /// post-exit root before the bundle reached the stream), the lowest if
    /// the chain holds several. `None`: the bundle extends nothing.
    pub fn bundle_step(&self, before: &Fp, after: &Fp) -> Option<u64> {
        if *before == self.tip {
            return self.height.checked_add(1);
        }
        let (before, after) = (Root::from(before), Root::from(after));
        self.roots
            .range(self.bundle_height..self.height)
            .find(|(height, parent)| {
                parent.root == before
                    && self
                        .roots
                        .get(&(**height + 1))
                        .is_some_and(|next| next.attested && next.root == after)
            })
            .map(|(height, _)| height + 1)
    }

    /// What a gate registering this source now must be told to judge
    /// every later item as this gate does (see
    /// [`super::config::RegisteredFollow`]), with the tip, its height,
    /// the boundary root and the next sequence number.
    pub fn registration(&self) -> super::config::RegisteredFollow {
        let root_attested = self.roots.get(&self.height).is_none_or(|r| r.attested);
        super::config::RegisteredFollow {
            root_attested,
            below: self
                .roots
                .range(self.bundle_height..self.height)
                .map(|(_, r)| *r)
                .collect(),
            quarantined: self.quarantined.clone(),
            round: self.round,
            votes: self.votes.iter().copied().collect(),
            evidence: self
                .evidence
                .iter()
                .filter(|e| e.height >= self.bundle_height)
                .copied()
                .collect(),
            flows: Vec::new(),
            governance: self.governance.clone(),
        }
    }

    /// Raises the evidence floor to `height` (a bundle took the step
    /// there): roots and evidence below it are never read again, by any
    /// gate, so they are dropped and the state does not grow with history.
    pub fn raise_floor(&mut self, height: u64) {
        self.bundle_height = height;
        self.roots = self.roots.split_off(&height);
        self.evidence.retain(|e| e.height >= height);
    }

    /// Counts `epoch` as one the source could send in, once, if it is open.
    pub fn count_open_epoch(&mut self, epoch: u64) {
        if self.quarantined.is_none() && self.counted_epoch != Some(epoch) {
            self.open_epochs = self.open_epochs.saturating_add(1);
            self.counted_epoch = Some(epoch);
        }
    }
}

/// The key of per-segment, per-asset flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SegmentAsset {
    /// The segment value flows into.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub segment: u64,
    /// The asset.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub asset: u64,
}

/// Value in one asset flowing into one segment, as every gate follows it:
/// what accepted bundles sent it (`inflow`) and what it imported into its
/// silo (`imported`). `inflow - imported` is in flight; rule G7 keeps
/// `imported <= inflow`. Sums of u64 amounts over any number of sources,
/// so u128: they never saturate, and conservation is exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// Value of accepted exits to the segment.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub inflow: u128,
    /// Value the segment imported.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub imported: u128,
    /// Value deposited into its silo from outside the system (rule G8).
    #[serde(default, with = "bulkhead_protocol::decimal")]
    pub deposited: u128,
    /// Value withdrawn from its silo out of the system (rule G8).
    #[serde(default, with = "bulkhead_protocol::decimal")]
    pub withdrawn: u128,
}

impl Flow {
    /// Accepted but not yet imported.
    pub fn in_flight(&self) -> u128 {
        self.inflow - self.imported
    }
}

/// The gate's whole persistent state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GateState {
    /// The configuration.
    pub config: GateConfig,
    /// Current epoch of the stream.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub epoch: u64,
    /// Signed time of the tick that opened the current epoch.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub epoch_time: u64,
    /// Per-source state, by segment id.
    pub sources: BTreeMap<u64, SourceState>,
    /// How many exits were credited here. The credits themselves are
    /// history, not state the rules read: they are reported in each
    /// item's [`Changes`] for a ledger to append, so memory and the cost of
    /// an item do not grow with them.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub credited_exits: u64,
    /// Exits held by this gate's breaker, by arrival position (the queue's
    /// order).
    pub held: BTreeMap<u64, Credit>,
    /// Arrival position of the next held exit.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub next_held: u64,
    /// Credited per (source, epoch). JSON has no compound map keys, so
    /// this map is written as a list of `[key, amount]` entries.
    #[serde(with = "entries")]
    pub inbound: BTreeMap<SourceEpoch, u64>,
    /// Whether this gate's guardians tripped its breaker.
    pub local_tripped: bool,
    /// Local breaker round.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub local_round: u64,
    /// Local guardians who voted in this round.
    #[serde(with = "bulkhead_protocol::decimal::seq")]
    pub local_votes: BTreeSet<usize>,
    /// Items accepted, by kind.
    #[serde(with = "bulkhead_protocol::decimal::values")]
    pub accepted: BTreeMap<ItemKind, u64>,
    /// Inflow and imports per (segment, asset), for every segment.
    #[serde(with = "pairs")]
    pub flows: BTreeMap<SegmentAsset, Flow>,
}

impl GateState {
    /// The state of a gate that has followed nothing yet: every source at
    /// its registration, the clock at its genesis epoch (counted as open
    /// for every source). Refuses openings that make no boundary mirror;
    /// [`GateConfig::validate`] checks the rest.
    pub fn fresh(config: GateConfig) -> Result<Self, ConfigError> {
        let epoch = config.clock.genesis_epoch;
        let mut sources = BTreeMap::new();
        let mut flows = BTreeMap::new();
        for (index, s) in config.sources.iter().enumerate() {
            let mut source =
                SourceState::registered(s).map_err(|e| ConfigError::mirror(index, e))?;
            source.count_open_epoch(epoch);
            sources.insert(s.segment, source);
            // A source registered later: the flows into it so far.
            for flow in &s.follow.flows {
                let key = SegmentAsset {
                    segment: s.segment,
                    asset: flow.asset,
                };
                let value = Flow {
                    inflow: flow.inflow,
                    imported: flow.imported,
                    deposited: flow.deposited,
                    withdrawn: flow.withdrawn,
                };
                flows.insert(key, value);
            }
        }
        Ok(GateState {
            epoch,
            epoch_time: config.clock.genesis_time,
            config,
            sources,
            credited_exits: 0,
            held: BTreeMap::new(),
            next_held: 0,
            inbound: BTreeMap::new(),
            local_tripped: false,
            local_round: 0,
            local_votes: BTreeSet::new(),
            accepted: BTreeMap::new(),
            flows,
        })
    }

    /// What a gate registering source `src` now must be told to judge
    /// every later item as this gate does ([`SourceState::registration`]
    /// with the flows into the source, which rule G7 reads).
    pub fn registration(&self, src: u64) -> Option<super::config::RegisteredFollow> {
        let mut follow = self.sources.get(&src)?.registration();
        follow.flows = self
            .flows
            .iter()
            .filter(|(key, flow)| key.segment == src && **flow != Flow::default())
            .map(|(key, flow)| super::config::RegisteredFlow {
                asset: key.asset,
                inflow: flow.inflow,
                imported: flow.imported,
                deposited: flow.deposited,
                withdrawn: flow.withdrawn,
            })
            .collect();
        Some(follow)
    }

    /// The flow into `segment` in `asset` (zero if none yet).
    pub fn flow(&self, segment: u64, asset: u64) -> Flow {
        self.flows
            .get(&SegmentAsset { segment, asset })
            .copied()
            .unwrap_or_default()
    }

    /// Credited from `src` in the current epoch.
    pub fn inbound_now(&self, src: u64) -> u64 {
        let key = SourceEpoch {
            src,
            epoch: self.epoch,
        };
        self.inbound.get(&key).copied().unwrap_or(0)
    }

    /// Held at this gate from `src`, in total (saturating: amounts of
    /// several assets may add past u64).
    pub fn held_from(&self, src: u64) -> u64 {
        self.held
            .values()
            .filter(|c| c.src == src)
            .fold(0u64, |sum, c| sum.saturating_add(c.amount))
    }
}

/// What one accepted item changed, row by row, for a store that persists
/// the state incrementally: its cost follows the item, never the history.
/// The gate's own scalars (epoch, clock, local breaker, counters) are
/// small and always rewritten, so they are not listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Sources whose own fields changed (tip, height, boundary, sequence,
    /// breaker, votes, credited totals, open epochs).
    pub sources: BTreeSet<u64>,
    /// Roots added to a source's chain: (source, height).
    pub roots: BTreeSet<(u64, u64)>,
    /// Equivocation evidence recorded: (source, evidence).
    pub evidence: Vec<(u64, Evidence)>,
    /// Inbound totals that changed.
    pub inbound: BTreeSet<SourceEpoch>,
    /// Flows that changed.
    pub flows: BTreeSet<SegmentAsset>,
    /// Exits credited, in order.
    pub credited: Vec<Credit>,
    /// Held exits queued, by arrival position.
    pub held_added: BTreeSet<u64>,
    /// Held exits that left the queue (credited), by arrival position.
    pub held_removed: BTreeSet<u64>,
    /// Held exits still queued whose amount and part changed (a part was
    /// credited), by arrival position.
    pub held_changed: BTreeSet<u64>,
}

/// A map as a JSON list of `[key, value]` pairs, for keys that are not
/// strings; unsigned values as decimal strings.
mod entries {
    use std::collections::BTreeMap;

    use bulkhead_protocol::decimal::{Decimal, Unsigned};
    use serde::{Serialize, Serializer};

    pub fn serialize<K: Serialize, V: Unsigned, S: Serializer>(
        map: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter().map(|(k, v)| (k, Decimal(*v))))
    }
}

/// A map as a JSON list of `[key, value]` pairs, for keys that are not
/// strings.
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Serialize, Serializer};

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }
}
