//! The gate's whole persistent state, with typed keys: `(source, epoch)`
//! for inbound totals, roots for attested steps, item kinds for counters.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bulkhead_protocol::hash::Fp;
use ff::PrimeField;
use serde::{Deserialize, Serialize};

use super::config::GateConfig;

/// One exit credited, or held, at this gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    /// Source segment.
    pub src: u64,
    /// Exit sequence number at the source.
    pub seq: u64,
    /// Asset.
    pub asset: u64,
    /// Epoch of the batch.
    pub epoch: u64,
    /// Recipient.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub recipient: Fp,
    /// Amount.
    pub amount: u64,
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
    pub src: u64,
    /// Stream epoch.
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
}

/// What a gate tracks per source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    /// Attested accounts-root tip.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub tip: Fp,
    /// Boundary root.
    #[serde(with = "bulkhead_protocol::hex::fp")]
    pub boundary: Fp,
    /// Next exit sequence number expected.
    pub next_seq: u64,
    /// Last epoch accepted.
    pub last_epoch: u64,
    /// Quarantine, if any.
    pub quarantined: Option<QuarantineCause>,
    /// Breaker round (bumped on every quarantine or release).
    pub round: u64,
    /// Guardians who voted in this round.
    pub votes: BTreeSet<usize>,
    /// Every attested or proven step seen: parent root -> root.
    pub steps: BTreeMap<Root, Root>,
    /// Bundles accepted.
    pub accepted: u64,
    /// Value credited at this gate from this source, per asset.
    pub credited: BTreeMap<u64, u64>,
    /// Epoch at which it was first quarantined, if ever.
    pub quarantined_at: Option<u64>,
}

impl SourceState {
    /// A source at its registered genesis roots.
    pub fn genesis(tip: Fp, boundary: Fp) -> Self {
        SourceState {
            tip,
            boundary,
            next_seq: 0,
            last_epoch: 0,
            quarantined: None,
            round: 0,
            votes: BTreeSet::new(),
            steps: BTreeMap::new(),
            accepted: 0,
            credited: BTreeMap::new(),
            quarantined_at: None,
        }
    }
}

/// The gate's whole persistent state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateState {
    /// The configuration.
    pub config: GateConfig,
    /// Current epoch of the stream.
    pub epoch: u64,
    /// The stream's first epoch (from its first tick).
    pub first_epoch: Option<u64>,
    /// Per-source state, by segment id.
    pub sources: BTreeMap<u64, SourceState>,
    /// Exits credited here, in order.
    pub credited: Vec<Credit>,
    /// Exits held by this gate's breaker, in order.
    pub held: VecDeque<Credit>,
    /// Credited per (source, epoch). JSON has no compound map keys, so
    /// this map is written as a list of `[key, amount]` entries.
    #[serde(with = "entries")]
    pub inbound: BTreeMap<SourceEpoch, u64>,
    /// Whether this gate's guardians tripped its breaker.
    pub local_tripped: bool,
    /// Local breaker round.
    pub local_round: u64,
    /// Local guardians who voted in this round.
    pub local_votes: BTreeSet<usize>,
    /// Items accepted, by kind.
    pub accepted: BTreeMap<ItemKind, u64>,
}

impl GateState {
    /// The state of a gate that has followed nothing yet.
    pub fn fresh(config: GateConfig) -> Self {
        let sources = config
            .sources
            .iter()
            .map(|s| {
                (
                    s.segment,
                    SourceState::genesis(s.accounts_root, s.boundary_root),
                )
            })
            .collect();
        GateState {
            config,
            epoch: 0,
            first_epoch: None,
            sources,
            credited: Vec::new(),
            held: VecDeque::new(),
            inbound: BTreeMap::new(),
            local_tripped: false,
            local_round: 0,
            local_votes: BTreeSet::new(),
            accepted: BTreeMap::new(),
        }
    }

    /// Credited from `src` in the current epoch.
    pub fn inbound_now(&self, src: u64) -> u64 {
        let key = SourceEpoch {
            src,
            epoch: self.epoch,
        };
        self.inbound.get(&key).copied().unwrap_or(0)
    }

    /// Held at this gate from `src`, in total.
    pub fn held_from(&self, src: u64) -> u64 {
        self.held
            .iter()
            .filter(|c| c.src == src)
            .map(|c| c.amount)
            .sum()
    }
}

/// A map as a JSON list of `[key, value]` pairs, for keys that are not
/// strings.
mod entries {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K, V, D>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}
