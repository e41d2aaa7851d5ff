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
pub use config::{DeclaredSilo, GateConfig, Hex32, SourceConfig};
pub use item::{
    Attestation, GuardianAction, GuardianScope, IndexedSignature, ItemJson, StreamItem,
};
pub use refusal::{Effect, GateError, GuardianRefusal, Refusal};
pub use state::{Credit, GateState, ItemKind, QuarantineCause, Root, SourceEpoch, SourceState};

use crate::keys::VerifierKeys;
use follow::AttestationVerdict;

/// A receiving gate: configuration, state, and verifying keys.
pub struct Gate {
    state: GateState,
    keys: Vec<VerifierKeys>,
}

impl Gate {
    /// A fresh gate. `keys` must hold a verifying key for every source's
    /// registered shape with the registered digest.
    pub fn new(config: GateConfig, keys: Vec<VerifierKeys>) -> Result<Self, GateError> {
        Self::restore(GateState::fresh(config), keys)
    }

    /// A gate over saved state.
    pub fn restore(state: GateState, keys: Vec<VerifierKeys>) -> Result<Self, GateError> {
        for source in &state.config.sources {
            if !keys.iter().any(|k| k.is(source.shape, &source.vk_digest)) {
                return Err(GateError::MissingKey {
                    segment: source.segment,
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
                AttestationVerdict::Equivocation => {
                    breaker::quarantine(state, a.segment, QuarantineCause::Equivocation)
                }
            },
            StreamItem::EpochTick(epoch) => {
                follow::check_tick(state, *epoch)?;
                follow::apply_tick(state, *epoch);
                Effect::Tick {
                    credited: credit::release_held(state, false),
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
