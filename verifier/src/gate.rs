//! The receiving gate: follows one ordered stream of items (bundles,
//! attestations, epoch ticks, guardian actions) and decides, for every
//! source segment, whether its chain advances (follow rules G1–G6, the same
//! at every gate) and, for exits to this gate's segment, whether they are
//! credited now or held by this gate's breaker (credit rules, local).
//!
//! Every transition is atomic: [`Gate::process`] works on a copy of the
//! state and swaps it in only on success, so a refused item changes
//! nothing, byte for byte.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bulkhead_circuits::bundle::Bundle;
use bulkhead_circuits::hash::{to_hex, Fp};
use bulkhead_circuits::CircuitShape;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::serde_fp;
use crate::signatures::{self, attestation_message, guardian_message};
use crate::VerifierKeys;

/// A silo a source segment declared at registration (public genesis data),
/// used to report the blast-radius bound.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredSilo {
    /// Asset.
    pub asset: u64,
    /// Collateral at genesis: the most that can ever leave in this asset.
    pub collateral: u64,
    /// Cap per epoch.
    pub cap: u64,
}

/// What every gate knows about one source segment from the start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceConfig {
    /// Segment id.
    pub segment: u64,
    /// The only circuit shape its bundles may use.
    pub shape: CircuitShape,
    /// The verifying-key digest for that shape.
    #[serde(with = "serde_fp::bytes32")]
    pub vk_digest: [u8; 32],
    /// Validator public keys.
    pub validators: Vec<Hex32>,
    /// Distinct validator signatures an attestation needs.
    pub threshold: usize,
    /// Accounts root at genesis (the first attested tip).
    #[serde(with = "serde_fp")]
    pub accounts_root: Fp,
    /// Boundary root at genesis.
    #[serde(with = "serde_fp")]
    pub boundary_root: Fp,
    /// Silos declared at genesis.
    pub silos: Vec<DeclaredSilo>,
}

/// A 32-byte key, hex in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Hex32(#[serde(with = "serde_fp::bytes32")] pub [u8; 32]);

/// A gate's configuration: the sources it follows, the stream's guardians,
/// and its own breaker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateConfig {
    /// This gate's segment id: exits with this DST are credited here.
    pub segment: u64,
    /// Sources, as every gate registers them.
    pub sources: Vec<SourceConfig>,
    /// Guardians whose actions quarantine or release a source for all gates.
    pub stream_guardians: Vec<Hex32>,
    /// Guardian actions needed to quarantine or release.
    pub stream_threshold: usize,
    /// This gate's own guardians (local breaker).
    pub local_guardians: Vec<Hex32>,
    /// Local guardian actions needed to trip or release.
    pub local_threshold: usize,
    /// Most this gate credits from one source in one epoch.
    pub inbound_limit: u64,
}

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
    #[serde(with = "serde_fp")]
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

/// What a gate tracks per source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    /// Attested accounts-root tip.
    #[serde(with = "serde_fp")]
    pub tip: Fp,
    /// Boundary root.
    #[serde(with = "serde_fp")]
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
    /// Every (parent -> root) step seen, by hex of the parent.
    pub steps: BTreeMap<String, String>,
    /// Bundles accepted.
    pub accepted: u64,
    /// Value credited at this gate from this source, per asset.
    pub credited: BTreeMap<u64, u64>,
    /// Epoch at which it was first quarantined, if ever.
    pub quarantined_at: Option<u64>,
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
    /// Credited per (source, epoch).
    pub inbound: BTreeMap<String, u64>,
    /// Whether this gate's guardians tripped its breaker.
    pub local_tripped: bool,
    /// Local breaker round.
    pub local_round: u64,
    /// Local guardians who voted in this round.
    pub local_votes: BTreeSet<usize>,
    /// Items accepted, by kind.
    pub accepted: BTreeMap<String, u64>,
}

/// A validator attestation of a new accounts root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// Segment attested.
    pub segment: u64,
    /// Previous root.
    #[serde(with = "serde_fp")]
    pub parent: Fp,
    /// New root.
    #[serde(with = "serde_fp")]
    pub root: Fp,
    /// (validator index, signature) pairs.
    pub signatures: Vec<IndexedSignature>,
}

/// A signature by the signer at `index` of a known key list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedSignature {
    /// Index into the validator or guardian list.
    pub index: usize,
    /// Ed25519 signature.
    #[serde(with = "serde_fp::bytes64")]
    pub signature: [u8; 64],
}

/// Whose breaker a guardian action moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GuardianScope {
    /// Quarantine of source `target`, at every gate (stream guardians).
    Stream,
    /// The local breaker of gate `target` (that gate's guardians).
    Local,
}

/// One guardian's vote to trip or release a breaker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardianAction {
    /// Which breaker.
    pub scope: GuardianScope,
    /// Source segment (stream scope) or gate segment (local scope).
    pub target: u64,
    /// Trip (true) or release (false).
    pub trip: bool,
    /// Breaker round the vote is for.
    pub round: u64,
    /// The guardian and its signature.
    pub vote: IndexedSignature,
}

/// One item of the stream every gate follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamItem {
    /// An encoded bundle.
    Bundle(Vec<u8>),
    /// A validator attestation.
    Attestation(Attestation),
    /// The stream enters an epoch.
    EpochTick(u64),
    /// A guardian vote.
    Guardian(GuardianAction),
}

/// Why an item was refused. Follow-rule reasons name their check.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The bytes are not a bundle.
    #[error("malformed bundle: {0}")]
    Malformed(String),
    /// G1: the source is not registered.
    #[error("G1: unknown source segment {0}")]
    UnknownSource(u64),
    /// G1: the shape or VK digest is not the one registered for SRC.
    #[error("G1: shape or verifying key not registered for segment {0}")]
    Unregistered(u64),
    /// G1: the proof does not verify.
    #[error("G1: proof does not verify")]
    InvalidProof,
    /// G2: FIRST_SEQ already accepted (a replay).
    #[error("G2: replay: sequence {first_seq} already accepted (next is {next_seq})")]
    Replay {
        /// FIRST_SEQ of the bundle.
        first_seq: u64,
        /// Next expected.
        next_seq: u64,
    },
    /// G2: FIRST_SEQ beyond the next expected (a gap or reordering).
    #[error("G2: gap: sequence {first_seq} but next is {next_seq}")]
    Gap {
        /// FIRST_SEQ of the bundle.
        first_seq: u64,
        /// Next expected.
        next_seq: u64,
    },
    /// G2: BOUNDARY_BEFORE is not the tracked boundary root.
    #[error("G2: boundary root does not match")]
    BoundaryMismatch,
    /// G3: ACCOUNTS_BEFORE is not the attested tip.
    #[error("G3: accounts root is not the attested tip")]
    NotAttestedTip,
    /// G4: the plaintext exits do not hash to EXITS_ROOT, TOTAL, EXIT_COUNT.
    #[error("G4: plaintext exits do not match the public inputs")]
    ExitsMismatch,
    /// G4: an exit signature does not verify.
    #[error("G4: signature of exit {0} does not verify")]
    BadSignature(usize),
    /// G5: EPOCH before the last accepted epoch of SRC.
    #[error("G5: epoch {epoch} is before {last}, the last accepted")]
    EpochBackwards {
        /// Bundle epoch.
        epoch: u64,
        /// Last accepted.
        last: u64,
    },
    /// G5: EPOCH after the stream's current epoch.
    #[error("G5: epoch {epoch} is after the stream's epoch {current}")]
    EpochInFuture {
        /// Bundle epoch.
        epoch: u64,
        /// Stream epoch.
        current: u64,
    },
    /// G6: SRC is quarantined.
    #[error("G6: segment {0} is quarantined")]
    Quarantined(u64),
    /// An attestation without a threshold of valid validator signatures.
    #[error("attestation has {valid} valid signatures, needs {threshold}")]
    WeakAttestation {
        /// Distinct valid signatures.
        valid: usize,
        /// Needed.
        threshold: usize,
    },
    /// An attestation already applied.
    #[error("attestation already seen")]
    StaleAttestation,
    /// An epoch tick that does not move forward.
    #[error("epoch tick {tick} does not advance the stream's epoch {current}")]
    StaleTick {
        /// Tick.
        tick: u64,
        /// Current.
        current: u64,
    },
    /// A guardian action that is invalid, repeated or for another round.
    #[error("guardian action refused: {0}")]
    BadGuardianAction(String),
}

impl Refusal {
    /// A short stable label for counting refusals by reason.
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::Malformed(_) => "malformed",
            Refusal::UnknownSource(_) | Refusal::Unregistered(_) => "G1 unregistered",
            Refusal::InvalidProof => "G1 invalid proof",
            Refusal::Replay { .. } => "G2 replay",
            Refusal::Gap { .. } => "G2 gap",
            Refusal::BoundaryMismatch => "G2 boundary",
            Refusal::NotAttestedTip => "G3 not attested",
            Refusal::ExitsMismatch => "G4 exits",
            Refusal::BadSignature(_) => "G4 signature",
            Refusal::EpochBackwards { .. } | Refusal::EpochInFuture { .. } => "G5 epoch",
            Refusal::Quarantined(_) => "G6 quarantined",
            Refusal::WeakAttestation { .. } | Refusal::StaleAttestation => "attestation",
            Refusal::StaleTick { .. } => "tick",
            Refusal::BadGuardianAction(_) => "guardian",
        }
    }
}

/// What an accepted item did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effect {
    /// A bundle advanced SRC's chain.
    BundleAccepted {
        /// Source.
        src: u64,
        /// Exits credited here now.
        credited: Vec<Credit>,
        /// Exits held by this gate's breaker.
        held: Vec<Credit>,
    },
    /// The tip of a source moved.
    Attested {
        /// Source.
        segment: u64,
    },
    /// A source was quarantined (equivocation or guardians).
    Quarantined {
        /// Source.
        segment: u64,
        /// Why.
        cause: QuarantineCause,
    },
    /// A source was released.
    Released {
        /// Source.
        segment: u64,
    },
    /// A guardian vote was counted without reaching the threshold.
    VoteCounted,
    /// This gate's breaker tripped.
    LocalTripped,
    /// This gate's breaker was released.
    LocalReleased {
        /// Held exits credited on release.
        credited: Vec<Credit>,
    },
    /// The epoch advanced.
    Tick {
        /// Held exits credited because the new epoch had room.
        credited: Vec<Credit>,
    },
}

/// A receiving gate: configuration, state, and verifying keys.
pub struct Gate {
    state: GateState,
    keys: Vec<VerifierKeys>,
}

impl Gate {
    /// A fresh gate. `keys` must hold a verifying key for every source's
    /// registered shape with the registered digest.
    pub fn new(config: GateConfig, keys: Vec<VerifierKeys>) -> Result<Self, String> {
        Self::restore(Self::fresh_state(config), keys)
    }

    /// The state of a gate that has followed nothing yet.
    pub fn fresh_state(config: GateConfig) -> GateState {
        let sources = config
            .sources
            .iter()
            .map(|s| {
                (
                    s.segment,
                    SourceState {
                        tip: s.accounts_root,
                        boundary: s.boundary_root,
                        next_seq: 0,
                        last_epoch: 0,
                        quarantined: None,
                        round: 0,
                        votes: BTreeSet::new(),
                        steps: BTreeMap::new(),
                        accepted: 0,
                        credited: BTreeMap::new(),
                        quarantined_at: None,
                    },
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

    /// A gate over saved state.
    pub fn restore(state: GateState, keys: Vec<VerifierKeys>) -> Result<Self, String> {
        for source in &state.config.sources {
            if !keys
                .iter()
                .any(|k| k.shape() == source.shape && k.vk_digest() == source.vk_digest)
            {
                return Err(format!(
                    "no verifying key with the registered digest for segment {} (shape {})",
                    source.segment, source.shape
                ));
            }
        }
        Ok(Self { state, keys })
    }

    /// The current state.
    pub fn state(&self) -> &GateState {
        &self.state
    }

    /// Applies one stream item; on refusal nothing changes.
    pub fn process(&mut self, item: &StreamItem) -> Result<Effect, Refusal> {
        let (state, effect) = self.process_pure(item)?;
        self.state = state;
        Ok(effect)
    }

    /// Computes the state after `item` without changing the gate.
    pub fn process_pure(&self, item: &StreamItem) -> Result<(GateState, Effect), Refusal> {
        let mut next = self.state.clone();
        let (kind, effect) = match item {
            StreamItem::Bundle(bytes) => ("bundle", self.bundle(&mut next, bytes)?),
            StreamItem::Attestation(a) => ("attestation", attest(&mut next, a)?),
            StreamItem::EpochTick(epoch) => ("tick", tick(&mut next, *epoch)?),
            StreamItem::Guardian(g) => ("guardian", guardian(&mut next, g)?),
        };
        *next.accepted.entry(kind.to_owned()).or_default() += 1;
        Ok((next, effect))
    }

    fn bundle(&self, next: &mut GateState, bytes: &[u8]) -> Result<Effect, Refusal> {
        let bundle = Bundle::from_bytes(bytes).map_err(|e| Refusal::Malformed(e.to_string()))?;
        let i = bundle.instance;
        let config = next
            .config
            .sources
            .iter()
            .find(|s| s.segment == i.src)
            .ok_or(Refusal::UnknownSource(i.src))?
            .clone();
        let current_epoch = next.epoch;
        let source = next
            .sources
            .get_mut(&i.src)
            .ok_or(Refusal::UnknownSource(i.src))?;
        // G6 first: a quarantined source's bundles stay valid to resubmit.
        if source.quarantined.is_some() {
            return Err(Refusal::Quarantined(i.src));
        }
        if bundle.shape != config.shape || bundle.vk_digest != config.vk_digest {
            return Err(Refusal::Unregistered(i.src));
        }
        if i.first_seq < source.next_seq {
            return Err(Refusal::Replay {
                first_seq: i.first_seq,
                next_seq: source.next_seq,
            });
        }
        if i.first_seq > source.next_seq {
            return Err(Refusal::Gap {
                first_seq: i.first_seq,
                next_seq: source.next_seq,
            });
        }
        if i.boundary_before != source.boundary {
            return Err(Refusal::BoundaryMismatch);
        }
        if i.accounts_before != source.tip {
            return Err(Refusal::NotAttestedTip);
        }
        if i.epoch < source.last_epoch {
            return Err(Refusal::EpochBackwards {
                epoch: i.epoch,
                last: source.last_epoch,
            });
        }
        if i.epoch > current_epoch {
            return Err(Refusal::EpochInFuture {
                epoch: i.epoch,
                current: current_epoch,
            });
        }
        if !bundle.exits_match_public_inputs() {
            return Err(Refusal::ExitsMismatch);
        }
        signatures::verify_exit_signatures(&bundle).map_err(Refusal::BadSignature)?;
        let keys = self
            .keys
            .iter()
            .find(|k| k.shape() == config.shape && k.vk_digest() == config.vk_digest)
            .ok_or(Refusal::Unregistered(i.src))?;
        keys.verify(&i, &bundle.proof)
            .map_err(|_| Refusal::InvalidProof)?;

        // Follow: the chain advances.
        source
            .steps
            .insert(to_hex(&i.accounts_before), to_hex(&i.accounts_after));
        source.tip = i.accounts_after;
        source.boundary = i.boundary_after;
        source.next_seq += i.exit_count;
        source.last_epoch = i.epoch;
        source.accepted += 1;

        // Credit: only exits to this gate's segment, in order.
        let mut incoming: Vec<Credit> = Vec::new();
        if i.dst == next.config.segment {
            incoming = bundle
                .exits
                .iter()
                .enumerate()
                .map(|(k, e)| Credit {
                    src: i.src,
                    seq: i.first_seq + k as u64,
                    asset: i.asset,
                    epoch: i.epoch,
                    recipient: e.recipient,
                    amount: e.amount,
                })
                .collect();
        }
        next.held.extend(incoming);
        let before = next.credited.len();
        release_held(next, false);
        let credited = next.credited[before..].to_vec();
        let held = next
            .held
            .iter()
            .filter(|c| c.src == i.src && c.seq >= i.first_seq)
            .cloned()
            .collect();
        Ok(Effect::BundleAccepted {
            src: i.src,
            credited,
            held,
        })
    }
}

fn inbound_key(src: u64, epoch: u64) -> String {
    format!("{src}@{epoch}")
}

/// Credits held exits in order while the local breaker is closed and each
/// source's inbound limit for the current epoch has room. An exit that does
/// not fit stops its source's queue (order is kept per source). A release
/// by the gate's guardians (`by_guardians`) credits everything held: an
/// exit larger than the whole per-epoch limit would otherwise wait forever.
fn release_held(state: &mut GateState, by_guardians: bool) {
    if state.local_tripped {
        return;
    }
    let mut blocked: BTreeSet<u64> = BTreeSet::new();
    let mut still_held = VecDeque::new();
    while let Some(credit) = state.held.pop_front() {
        let key = inbound_key(credit.src, state.epoch);
        let used = state.inbound.get(&key).copied().unwrap_or(0);
        let fits = by_guardians
            || used
                .checked_add(credit.amount)
                .is_some_and(|total| total <= state.config.inbound_limit);
        if blocked.contains(&credit.src) || !fits {
            blocked.insert(credit.src);
            still_held.push_back(credit);
            continue;
        }
        state
            .inbound
            .insert(key, used.saturating_add(credit.amount));
        if let Some(source) = state.sources.get_mut(&credit.src) {
            *source.credited.entry(credit.asset).or_default() += credit.amount;
        }
        state.credited.push(credit);
    }
    state.held = still_held;
}

fn quarantine(state: &mut GateState, segment: u64, cause: QuarantineCause) -> Effect {
    let epoch = state.epoch;
    let source = state
        .sources
        .get_mut(&segment)
        .expect("caller checked the source");
    source.quarantined = Some(cause.clone());
    source.quarantined_at.get_or_insert(epoch);
    source.round += 1;
    source.votes.clear();
    Effect::Quarantined { segment, cause }
}

fn attest(state: &mut GateState, a: &Attestation) -> Result<Effect, Refusal> {
    let config = state
        .config
        .sources
        .iter()
        .find(|s| s.segment == a.segment)
        .ok_or(Refusal::UnknownSource(a.segment))?;
    let message = attestation_message(a.segment, &a.parent, &a.root);
    let valid: BTreeSet<usize> = a
        .signatures
        .iter()
        .filter(|s| {
            config
                .validators
                .get(s.index)
                .is_some_and(|key| signatures::verify(&key.0, &message, &s.signature))
        })
        .map(|s| s.index)
        .collect();
    if valid.len() < config.threshold {
        return Err(Refusal::WeakAttestation {
            valid: valid.len(),
            threshold: config.threshold,
        });
    }
    let source = state
        .sources
        .get_mut(&a.segment)
        .ok_or(Refusal::UnknownSource(a.segment))?;
    let (parent, root) = (to_hex(&a.parent), to_hex(&a.root));
    match source.steps.get(&parent) {
        Some(known) if *known == root => return Err(Refusal::StaleAttestation),
        // Two different roots after one parent: the validators forked.
        Some(_) => return Ok(quarantine(state, a.segment, QuarantineCause::Equivocation)),
        None if a.parent != source.tip => {
            return Ok(quarantine(state, a.segment, QuarantineCause::Equivocation));
        }
        None => {}
    }
    source.steps.insert(parent, root);
    source.tip = a.root;
    Ok(Effect::Attested { segment: a.segment })
}

fn tick(state: &mut GateState, epoch: u64) -> Result<Effect, Refusal> {
    if epoch <= state.epoch {
        return Err(Refusal::StaleTick {
            tick: epoch,
            current: state.epoch,
        });
    }
    state.epoch = epoch;
    state.first_epoch.get_or_insert(epoch);
    let before = state.credited.len();
    release_held(state, false);
    Ok(Effect::Tick {
        credited: state.credited[before..].to_vec(),
    })
}

fn guardian(state: &mut GateState, g: &GuardianAction) -> Result<Effect, Refusal> {
    let bad = |why: &str| Refusal::BadGuardianAction(why.to_owned());
    let (guardians, threshold, round, votes_taken) = match g.scope {
        GuardianScope::Stream => {
            let source = state
                .sources
                .get(&g.target)
                .ok_or(Refusal::UnknownSource(g.target))?;
            if source.quarantined.is_some() == g.trip {
                return Err(bad(if g.trip {
                    "source already quarantined"
                } else {
                    "source not quarantined"
                }));
            }
            (
                &state.config.stream_guardians,
                state.config.stream_threshold,
                source.round,
                &source.votes,
            )
        }
        GuardianScope::Local => {
            if g.target != state.config.segment {
                return Err(bad("vote for another gate's breaker"));
            }
            if state.local_tripped == g.trip {
                return Err(bad(if g.trip {
                    "breaker already tripped"
                } else {
                    "breaker not tripped"
                }));
            }
            (
                &state.config.local_guardians,
                state.config.local_threshold,
                state.local_round,
                &state.local_votes,
            )
        }
    };
    if g.round != round {
        return Err(bad("vote for another breaker round"));
    }
    if votes_taken.contains(&g.vote.index) {
        return Err(bad("guardian already voted this round"));
    }
    let scope = match g.scope {
        GuardianScope::Stream => 0,
        GuardianScope::Local => 1,
    };
    let message = guardian_message(scope, g.target, g.trip, g.round);
    let key = guardians
        .get(g.vote.index)
        .ok_or_else(|| bad("unknown guardian"))?;
    if !signatures::verify(&key.0, &message, &g.vote.signature) {
        return Err(bad("signature does not verify"));
    }
    let reached = votes_taken.len() + 1 >= threshold;
    match g.scope {
        GuardianScope::Stream => {
            let source = state.sources.get_mut(&g.target).expect("checked above");
            source.votes.insert(g.vote.index);
            if !reached {
                return Ok(Effect::VoteCounted);
            }
            if g.trip {
                return Ok(quarantine(state, g.target, QuarantineCause::Guardians));
            }
            source.quarantined = None;
            source.round += 1;
            source.votes.clear();
            Ok(Effect::Released { segment: g.target })
        }
        GuardianScope::Local => {
            state.local_votes.insert(g.vote.index);
            if !reached {
                return Ok(Effect::VoteCounted);
            }
            state.local_round += 1;
            state.local_votes.clear();
            state.local_tripped = g.trip;
            if g.trip {
                return Ok(Effect::LocalTripped);
            }
            let before = state.credited.len();
            release_held(state, true);
            Ok(Effect::LocalReleased {
                credited: state.credited[before..].to_vec(),
            })
        }
    }
}

/// The blast-radius bound of one source at this gate, per asset:
/// `min(collateral, cap × epochs it could send)` where the epochs run from
/// the stream's first epoch to its quarantine (or to now), and never more
/// than this gate's inbound limit per epoch over the same epochs.
pub fn blast_radius(state: &GateState, src: u64) -> BTreeMap<u64, u64> {
    let Some(config) = state.config.sources.iter().find(|s| s.segment == src) else {
        return BTreeMap::new();
    };
    let source = &state.sources[&src];
    let epochs = source
        .quarantined_at
        .unwrap_or(state.epoch)
        .saturating_add(1);
    config
        .silos
        .iter()
        .map(|silo| {
            let by_source = silo.collateral.min(silo.cap.saturating_mul(epochs));
            let by_gate = state.config.inbound_limit.saturating_mul(epochs);
            (silo.asset, by_source.min(by_gate))
        })
        .collect()
}

/// A stream item other than a bundle, as a JSON file (`"type"` names it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ItemJson {
    /// A validator attestation.
    Attestation(Attestation),
    /// An epoch tick.
    Tick {
        /// The epoch the stream enters.
        epoch: u64,
    },
    /// A guardian vote.
    Guardian(GuardianAction),
}

impl From<ItemJson> for StreamItem {
    fn from(item: ItemJson) -> Self {
        match item {
            ItemJson::Attestation(a) => StreamItem::Attestation(a),
            ItemJson::Tick { epoch } => StreamItem::EpochTick(epoch),
            ItemJson::Guardian(g) => StreamItem::Guardian(g),
        }
    }
}

impl StreamItem {
    /// The JSON form of a non-bundle item (`None` for a bundle).
    pub fn to_json(&self) -> Option<ItemJson> {
        match self {
            StreamItem::Bundle(_) => None,
            StreamItem::Attestation(a) => Some(ItemJson::Attestation(a.clone())),
            StreamItem::EpochTick(epoch) => Some(ItemJson::Tick { epoch: *epoch }),
            StreamItem::Guardian(g) => Some(ItemJson::Guardian(g.clone())),
        }
    }
}
