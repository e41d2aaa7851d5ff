//! The receiving gate: follows one ordered stream of items (bundles,
//! attestations, imports, epoch ticks, guardian actions) and decides, for
//! every source segment, whether its chain advances ([`follow`] rules
//! G1–G6, [`import`] rule G7, the same at every gate) and, for exits to this gate's segment, whether they
//! are credited now or held by this gate's breaker ([`credit`] rules,
//! local). [`import`] (rule G7) turns value a segment received into its
//! collateral; every boundary is followed in a mirror
//! ([`bulkhead_protocol::mirror`]). [`breaker`] moves quarantines and the
//! local breaker; [`blast`] bounds what a source can cost this gate.
//!
//! Every transition is atomic without copying the state: each rule first
//! checks the item against the state, read-only, and only an admitted item
//! is applied, by steps that cannot fail. A refused item changes nothing.

mod blast;
mod breaker;
mod config;
mod credit;
mod effect;
mod follow;
mod governance;
mod import;
mod item;
mod refusal;
mod state;

pub use blast::blast_radius;
pub use config::{
    ClockConfig, ConfigError, GateConfig, Hex32, RegisteredFlow, RegisteredFollow, SiloOpening,
    SourceConfig,
};
pub use effect::{Effect, GateError};
pub use follow::moved_mirror;
pub use governance::{
    AddedSilo, AutoCap, BoundaryChange, ChangeClass, GovernanceParams, GovernanceRefusal,
    ParamsError, PendingChange, Signers, SourceGovernance, Subject, ValidatorSet,
    DEFAULT_AUTO_EPOCHS, DEFAULT_TIMELOCK, MAX_VALIDATORS,
};
pub use import::{import_alarms, ImportAlarm, ImportRefusal};
pub use item::{
    Attestation, Governance, GuardianAction, GuardianScope, Import, IndexedSignature, ItemJson,
    StreamItem, Tick,
};
pub use refusal::{GateRule, GuardianRefusal, Refusal};
pub use state::{
    ChainRoot, Changes, Credit, Evidence, Flow, GateState, ItemKind, QuarantineCause, Root,
    SegmentAsset, SourceEpoch, SourceState,
};

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::mirror::BoundaryMirror;

use crate::check::Verified;
use crate::keys::VerifierKeys;
use follow::AttestationVerdict;

/// A receiving gate: configuration, state, verifying keys, and what the
/// last accepted item changed.
pub struct Gate {
    state: GateState,
    keys: Vec<VerifierKeys>,
    changes: Changes,
}

impl Gate {
    /// A fresh gate. The configuration is checked first (every
    /// registration rule), then `keys` must hold, for every source, the
    /// verifying key derived for its shape, whose digest is the registered
    /// one.
    pub fn new(config: GateConfig, keys: Vec<VerifierKeys>) -> Result<Self, GateError> {
        config.validate()?;
        Self::restore(GateState::fresh(config)?, keys)
    }

    /// A gate over saved state (whose configuration was checked when the
    /// gate was created).
    pub fn restore(state: GateState, keys: Vec<VerifierKeys>) -> Result<Self, GateError> {
        for (index, source) in state.config.sources.iter().enumerate() {
            let Some(key) = keys.iter().find(|k| k.shape() == source.shape) else {
                return Err(GateError::MissingKey {
                    index,
                    shape: source.shape,
                });
            };
            if key.vk_digest() != source.vk_digest {
                return Err(GateError::DigestMismatch {
                    index,
                    shape: source.shape,
                });
            }
        }
        Ok(Self {
            state,
            keys,
            changes: Changes::default(),
        })
    }

    /// A gate over saved state without verifying keys, for processes that
    /// only follow attestations, ticks and guardian actions (deriving keys
    /// takes seconds). Every bundle is refused with
    /// [`Refusal::NoVerifyingKeys`], which says so rather than blame the
    /// bundle.
    pub fn without_keys(state: GateState) -> Self {
        Self {
            state,
            keys: Vec::new(),
            changes: Changes::default(),
        }
    }

    /// The current state.
    pub fn state(&self) -> &GateState {
        &self.state
    }

    /// Replaces the state with `state` read back from a store (after a
    /// failed commit, so memory never runs ahead of the disk). It must be
    /// this gate's own state: its configuration was checked at creation.
    pub fn replace_state(&mut self, state: GateState) {
        self.state = state;
        self.changes = Changes::default();
    }

    /// What the last accepted item changed (empty after a refusal, which
    /// changes nothing), for a store that persists the state row by row.
    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    /// The verifying keys, one per registered shape (empty for a gate
    /// opened [`Gate::without_keys`]).
    pub fn keys(&self) -> &[VerifierKeys] {
        &self.keys
    }

    /// Whether a bundle is worth verifying ahead of its turn (in a batch
    /// with others): its source is registered and open, and it is not a
    /// replay. A cheap filter, not a rule: it keeps replayed bundles,
    /// which the rules refuse before any proof check, from costing a
    /// verification in a batch.
    pub fn worth_verifying(&self, bundle: &bulkhead_protocol::bundle::Bundle) -> bool {
        let i = bundle.instance;
        self.state
            .sources
            .get(&i.src)
            .is_some_and(|s| s.quarantined.is_none() && i.first_seq >= s.next_seq())
    }

    /// Applies a bundle whose stateless checks already passed (see
    /// [`crate::check_bundles`]): the follow rules that read the state,
    /// then the same steps as [`Gate::process`]. On refusal nothing
    /// changes.
    pub fn process_verified(&mut self, verified: &Verified) -> Result<Effect, Refusal> {
        self.changes = Changes::default();
        let mirror = follow::admit_verified(&self.state, verified)?;
        Ok(self.take_bundle(verified.bundle(), mirror))
    }

    /// The steps of an admitted bundle, however it was checked: the chain
    /// advances, its exits are received, the bundle is counted.
    fn take_bundle(&mut self, bundle: &Bundle, mirror: BoundaryMirror) -> Effect {
        follow::advance(&mut self.state, bundle, mirror, &mut self.changes);
        let effect = credit::receive(&mut self.state, bundle, &mut self.changes);
        *self.state.accepted.entry(ItemKind::Bundle).or_default() += 1;
        effect
    }

    /// Applies one stream item; on refusal nothing changes.
    pub fn process(&mut self, item: &StreamItem) -> Result<Effect, Refusal> {
        self.changes = Changes::default();
        let state = &mut self.state;
        let changes = &mut self.changes;
        let effect = match item {
            StreamItem::Bundle(bytes) => {
                if self.keys.is_empty() {
                    return Err(Refusal::NoVerifyingKeys);
                }
                let (bundle, mirror) = follow::admit_bundle(state, &self.keys, bytes)?;
                return Ok(self.take_bundle(&bundle, mirror));
            }
            StreamItem::Attestation(a) => match follow::judge_attestation(state, a)? {
                AttestationVerdict::Step => {
                    follow::apply_step(state, a, changes);
                    Effect::Attested { segment: a.segment }
                }
                AttestationVerdict::Equivocation(evidence) => {
                    breaker::record_evidence(state, a.segment, evidence, changes)
                }
            },
            StreamItem::EpochTick(tick) => {
                follow::check_tick(state, tick)?;
                let previous = state.epoch;
                follow::apply_tick(state, tick, changes);
                governance::on_tick(state, previous, tick.epoch, changes);
                Effect::Tick {
                    credited: credit::release_held(state, changes),
                }
            }
            StreamItem::Guardian(g) => {
                let reached = breaker::judge_vote(state, g)?;
                breaker::apply_vote(state, g, reached, changes)
            }
            StreamItem::Import(i) => {
                let mirror = import::admit_import(state, i)?;
                import::apply_import(state, i, mirror, changes)
            }
            StreamItem::Governance(g) => {
                let admitted = governance::admit_governance(state, g)?;
                governance::apply_governance(state, g, admitted, changes)
            }
        };
        *state.accepted.entry(item.kind()).or_default() += 1;
        Ok(effect)
    }
}
