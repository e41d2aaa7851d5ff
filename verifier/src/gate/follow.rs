//! Follow rules: whether an item advances a source's chain. They read only
//! the stream (never this gate's local breaker), so every gate reaches the
//! same verdict. Each rule is a pure check on the state, followed by an
//! apply step that cannot fail, so a refused item changes nothing.

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::messages::attestation_message;

use super::item::Attestation;
use super::refusal::Refusal;
use super::state::{GateState, Root};
use crate::check::{check_decoded, BundleRefusal};
use crate::keys::VerifierKeys;
use crate::signatures;

/// Decodes a bundle and checks G1–G6 against the state, cheapest first:
/// G6 before anything (a quarantined source's bundles stay valid to
/// resubmit), then registration, sequence, roots and epoch, and last the
/// stateless checks shared with every verifier (exits, signatures, proof).
pub(super) fn admit_bundle(
    state: &GateState,
    keys: &[VerifierKeys],
    bytes: &[u8],
) -> Result<Bundle, Refusal> {
    let bundle = Bundle::from_bytes(bytes).map_err(BundleRefusal::from)?;
    let i = bundle.instance;
    let config = state
        .config
        .source(i.src)
        .ok_or(Refusal::UnknownSource(i.src))?;
    let source = state
        .sources
        .get(&i.src)
        .ok_or(Refusal::UnknownSource(i.src))?;
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
    if i.epoch > state.epoch {
        return Err(Refusal::EpochInFuture {
            epoch: i.epoch,
            current: state.epoch,
        });
    }
    let keys = keys
        .iter()
        .find(|k| k.is(config.shape, &config.vk_digest))
        .ok_or(Refusal::Unregistered(i.src))?;
    check_decoded(&bundle, keys)?;
    Ok(bundle)
}

/// Advances SRC's chain past an admitted bundle.
pub(super) fn advance(state: &mut GateState, bundle: &Bundle) {
    let i = bundle.instance;
    if let Some(source) = state.sources.get_mut(&i.src) {
        source.steps.insert(
            Root::from(&i.accounts_before),
            Root::from(&i.accounts_after),
        );
        source.tip = i.accounts_after;
        source.boundary = i.boundary_after;
        source.next_seq = source.next_seq.saturating_add(i.exit_count);
        source.last_epoch = i.epoch;
        source.accepted += 1;
    }
}

/// What a validly signed attestation means for its source.
pub(super) enum AttestationVerdict {
    /// The next step of the chain: the tip moves.
    Step,
    /// A second root for a known parent, or a parent that is not the tip:
    /// the validators forked, and the source is quarantined.
    Equivocation,
}

/// Checks an attestation's signatures against the source's validators and
/// classifies it.
pub(super) fn judge_attestation(
    state: &GateState,
    a: &Attestation,
) -> Result<AttestationVerdict, Refusal> {
    let config = state
        .config
        .source(a.segment)
        .ok_or(Refusal::UnknownSource(a.segment))?;
    let message = attestation_message(a.segment, &a.parent, &a.root);
    let valid: std::collections::BTreeSet<usize> = a
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
        .get(&a.segment)
        .ok_or(Refusal::UnknownSource(a.segment))?;
    match source.steps.get(&Root::from(&a.parent)) {
        Some(known) if *known == Root::from(&a.root) => Err(Refusal::StaleAttestation),
        Some(_) => Ok(AttestationVerdict::Equivocation),
        None if a.parent != source.tip => Ok(AttestationVerdict::Equivocation),
        None => Ok(AttestationVerdict::Step),
    }
}

/// Moves the source's tip to an attested root.
pub(super) fn apply_step(state: &mut GateState, a: &Attestation) {
    if let Some(source) = state.sources.get_mut(&a.segment) {
        source
            .steps
            .insert(Root::from(&a.parent), Root::from(&a.root));
        source.tip = a.root;
    }
}

/// Checks that a tick moves the stream's epoch forward.
pub(super) fn check_tick(state: &GateState, epoch: u64) -> Result<(), Refusal> {
    if epoch <= state.epoch {
        return Err(Refusal::StaleTick {
            tick: epoch,
            current: state.epoch,
        });
    }
    Ok(())
}

/// Enters a checked epoch.
pub(super) fn apply_tick(state: &mut GateState, epoch: u64) {
    state.epoch = epoch;
    state.first_epoch.get_or_insert(epoch);
}
