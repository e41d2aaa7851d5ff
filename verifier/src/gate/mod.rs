//! The receiving gate: follows one ordered stream of items (bundles,
//! attestations, epoch ticks, guardian actions) and decides, for every
//! source segment, whether its chain advances ([`follow`] rules G1–G6, the
//! same at every gate) and, for exits to this gate's segment, whether they
//! are credited now or held by this gate's breaker ([`credit`] rules,
//! local). [`breaker`] moves quarantines and the local breaker;
//! [`blast`] bounds what a source can cost this gate.
//!
//! Every transition is atomic without copying the state: each rule first
//! checks the item against the state, read-only, and only an admitted item
//! is applied, by steps that cannot fail. A refused item changes nothing.

mod blast;
mod breaker;
mod config;
mod credit;
mod follow;
mod item;
mod refusal;
mod state;

pub use blast::blast_radius;
pub use config::{ClockConfig, ConfigError, GateConfig, Hex32, SiloOpening, SourceConfig};
pub use item::{
    Attestation, GuardianAction, GuardianScope, IndexedSignature, ItemJson, StreamItem, Tick,
};
pub use refusal::{Effect, GateError, GuardianRefusal, Refusal};
pub use state::{
    ChainRoot, Credit, Evidence, GateState, ItemKind, QuarantineCause, Root, SourceEpoch,
    SourceState,
};

use crate::keys::VerifierKeys;
use follow::AttestationVerdict;

/// A receiving gate: configuration, state, and verifying keys.
pub struct Gate {
    state: GateState,
    keys: Vec<VerifierKeys>,
}

impl Gate {
    /// A fresh gate. The configuration is checked first (every
    /// registration rule), then `keys` must hold, for every source, the
    /// verifying key derived for its shape, whose digest is the registered
    /// one.
    pub fn new(config: GateConfig, keys: Vec<VerifierKeys>) -> Result<Self, GateError> {
        config.validate()?;
        Self::restore(GateState::fresh(config), keys)
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
        Ok(Self { state, keys })
    }

    /// The current state.
    pub fn state(&self) -> &GateState {
        &self.state
    }

    /// Applies one stream item; on refusal nothing changes.
    pub fn process(&mut self, item: &StreamItem) -> Result<Effect, Refusal> {
        let state = &mut self.state;
        let effect = match item {
            StreamItem::Bundle(bytes) => {
                let bundle = follow::admit_bundle(state, &self.keys, bytes)?;
                follow::advance(state, &bundle);
                credit::receive(state, &bundle)
            }
            StreamItem::Attestation(a) => match follow::judge_attestation(state, a)? {
                AttestationVerdict::Step => {
                    follow::apply_step(state, a);
                    Effect::Attested { segment: a.segment }
                }
                AttestationVerdict::Equivocation(evidence) => {
                    breaker::record_evidence(state, a.segment, evidence)
                }
            },
            StreamItem::EpochTick(tick) => {
                follow::check_tick(state, tick)?;
                follow::apply_tick(state, tick);
                Effect::Tick {
                    credited: credit::release_held(state),
                }
            }
            StreamItem::Guardian(g) => {
                let reached = breaker::judge_vote(state, g)?;
                breaker::apply_vote(state, g, reached)
            }
        };
        *state.accepted.entry(item.kind()).or_default() += 1;
        Ok(effect)
    }
}
