//! Follow rules: whether an item advances a source's chain or the stream's
//! clock. They read only the stream (never this gate's local breaker), so
//! every gate reaches the same verdict. Each rule is a pure check on the
//! state, followed by an apply step that cannot fail, so a refused item
//! changes nothing.

use std::collections::BTreeSet;

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::messages::{attestation_message, tick_message};
use bulkhead_protocol::mirror::BoundaryMirror;

use super::config::{Hex32, SourceConfig};
use super::item::{Attestation, IndexedSignature, Tick};
use super::refusal::Refusal;
use super::state::{Changes, Evidence, GateState, Root, SegmentAsset};
use crate::check::{check_decoded, BundleRefusal, Verified};
use crate::keys::VerifierKeys;
use crate::signatures;

/// Decodes a bundle and checks G1–G6 against the state, cheapest first:
/// G6 before anything (a quarantined source's bundles stay valid to
/// resubmit), then registration and the declared asset, sequence, roots and
/// epoch, then the stateless checks shared with every verifier (proof
/// length, exits, signatures, proof), and last the boundary after
/// ([`moved_mirror`]). Returns the bundle and the source's boundary mirror
/// moved by it.
pub(super) fn admit_bundle(
    state: &GateState,
    keys: &[VerifierKeys],
    bytes: &[u8],
) -> Result<(Bundle, BoundaryMirror), Refusal> {
    let bundle = Bundle::from_bytes(bytes).map_err(BundleRefusal::from)?;
    let config = admit_on_state(state, &bundle)?;
    let keys = keys
        .iter()
        .find(|k| k.is(config.shape, &config.vk_digest))
        .ok_or(Refusal::Unregistered(bundle.instance.src))?;
    check_decoded(&bundle, keys)?;
    let mirror = moved_mirror(state, &bundle)?;
    Ok((bundle, mirror))
}

/// G1–G6 for a bundle whose stateless checks already passed (in a batch):
/// only the rules that read the state run. The `Verified` was checked
/// against the key whose digest the bundle names, and the state rules
/// require that digest to be the source's registered one.
pub(super) fn admit_verified(
    state: &GateState,
    verified: &Verified,
) -> Result<BoundaryMirror, Refusal> {
    admit_on_state(state, verified.bundle())?;
    moved_mirror(state, verified.bundle())
}

/// The follow rules that read the state, in the order `admit_bundle`
/// documents, up to the proof; returns the source's registration.
fn admit_on_state<'a>(state: &'a GateState, bundle: &Bundle) -> Result<&'a SourceConfig, Refusal> {
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
    // Its exits were signed for another stream (a test network's, say):
    // their signatures name that stream, so they authorise nothing here.
    if bundle.stream_id != state.config.stream_id {
        return Err(Refusal::OtherStream {
            stream_id: bundle.stream_id,
            expected: state.config.stream_id,
        });
    }
    if config.silo(i.asset).is_none() {
        return Err(Refusal::UndeclaredAsset {
            src: i.src,
            asset: i.asset,
        });
    }
    let next_seq = source.next_seq();
    if i.first_seq < next_seq {
        return Err(Refusal::Replay {
            first_seq: i.first_seq,
            next_seq,
        });
    }
    if i.first_seq > next_seq {
        return Err(Refusal::Gap {
            first_seq: i.first_seq,
            next_seq,
        });
    }
    // Sequence numbers are u64 end to end: a batch whose last exit would
    // pass 2^64 - 1 can never be credited with distinct numbers.
    if i.first_seq.checked_add(i.exit_count).is_none() {
        return Err(Refusal::SequenceExhausted {
            first_seq: i.first_seq,
            exit_count: i.exit_count,
        });
    }
    if i.boundary_before != source.boundary() {
        return Err(Refusal::BoundaryMismatch);
    }
    if source
        .bundle_step(&i.accounts_before, &i.accounts_after)
        .is_none()
    {
        return Err(Refusal::NotAttestedTip);
    }
    // G5: the batch's cap window is the stream's epoch, so a source moves at
    // most its cap per stream epoch however long it was idle.
    if i.epoch < state.epoch {
        return Err(Refusal::StaleEpoch {
            epoch: i.epoch,
            current: state.epoch,
        });
    }
    if i.epoch > state.epoch {
        return Err(Refusal::EpochInFuture {
            epoch: i.epoch,
            current: state.epoch,
        });
    }
    Ok(config)
}

/// G2, the boundary after, for a bundle whose proof verified (a relayer
/// also asks it for the boundary its next batch starts from): SRC's mirror
/// moved as I6 and I7 say must reach BOUNDARY_AFTER. A valid proof always
/// does, so a refusal here is a disagreement between the model and the
/// circuit, stopped and never followed. It runs after the proof so that a
/// forged or tampered bundle is refused by the proof system, as before.
pub fn moved_mirror(state: &GateState, bundle: &Bundle) -> Result<BoundaryMirror, Refusal> {
    let i = bundle.instance;
    let source = state
        .sources
        .get(&i.src)
        .ok_or(Refusal::UnknownSource(i.src))?;
    let mut mirror = source.mirror.clone();
    let after = mirror.apply_exits(&i).map_err(Refusal::BoundaryModel)?;
    if after != i.boundary_after {
        return Err(Refusal::BoundaryAfter);
    }
    super::governance::check_effective_cap(source, &mirror, i.asset)
        .map_err(Refusal::Governance)?;
    Ok(mirror)
}

/// Advances SRC's chain past an admitted bundle: its ACCOUNTS_AFTER is the
/// next root of the chain, one height up, or the bundle takes the attested
/// step it matches (the tip stays where the validators moved it); its
/// boundary becomes `mirror` (the admitted move); its TOTAL flows into
/// DST.
pub(super) fn advance(
    state: &mut GateState,
    bundle: &Bundle,
    mirror: BoundaryMirror,
    changes: &mut Changes,
) {
    let i = bundle.instance;
    let key = SegmentAsset {
        segment: i.dst,
        asset: i.asset,
    };
    let flow = state.flows.entry(key).or_default();
    // u128 over u64 totals: 2^64 bundles of 2^64 - 1 each still fit.
    flow.inflow += u128::from(i.total);
    changes.flows.insert(key);
    if let Some(source) = state.sources.get_mut(&i.src) {
        let next = source.height.saturating_add(1);
        let step = source
            .bundle_step(&i.accounts_before, &i.accounts_after)
            .unwrap_or(next);
        if step == next {
            source.extend_chain(next, i.accounts_after, false);
            changes.roots.insert((i.src, next));
        }
        source.raise_floor(step);
        changes.sources.insert(i.src);
        source.mirror = mirror;
        source.last_epoch = Some(i.epoch);
        source.accepted = source.accepted.saturating_add(1);
    }
}

/// Counts the distinct valid signatures of `signatures` over `message` by
/// `keys`. A list longer than the key set is refused before any signature
/// is checked (it can only be padding meant to cost the gate CPU), and so
/// is an index outside the key set (a signer that does not exist is a
/// malformed item, not a signature to skip).
pub(super) fn valid_signers(
    keys: &[Hex32],
    signatures: &[IndexedSignature],
    message: &[u8],
) -> Result<usize, Refusal> {
    if signatures.len() > keys.len() {
        return Err(Refusal::TooManySignatures {
            count: signatures.len(),
            signers: keys.len(),
        });
    }
    if let Some(s) = signatures.iter().find(|s| s.index >= keys.len()) {
        return Err(Refusal::UnknownSigner {
            index: s.index,
            signers: keys.len(),
        });
    }
    let valid: BTreeSet<usize> = signatures
        .iter()
        .filter(|s| signatures::verify(&keys[s.index].0, message, &s.signature))
        .map(|s| s.index)
        .collect();
    Ok(valid.len())
}

/// What a validly signed attestation means for its source.
pub(super) enum AttestationVerdict {
    /// The next root of the chain: the tip moves.
    Step,
    /// Another root at an attested height, or a parent that is not the
    /// root one height below: new evidence that the validators forked.
    Equivocation(Evidence),
}

/// Checks an attestation's signatures against the source's validators and
/// classifies it against the chain of roots by height.
pub(super) fn judge_attestation(
    state: &GateState,
    a: &Attestation,
) -> Result<AttestationVerdict, Refusal> {
    let config = state
        .config
        .source(a.segment)
        .ok_or(Refusal::UnknownSource(a.segment))?;
    let message = attestation_message(
        state.config.stream_id,
        a.segment,
        a.height,
        &a.parent,
        &a.root,
    );
    let source = state
        .sources
        .get(&a.segment)
        .ok_or(Refusal::UnknownSource(a.segment))?;
    let (keys, threshold) = source.validators(config);
    let valid = valid_signers(keys, &a.signatures, &message)?;
    if valid < threshold {
        return Err(Refusal::WeakAttestation { valid, threshold });
    }
    let (parent, root) = (Root::from(&a.parent), Root::from(&a.root));
    let evidence = Evidence {
        height: a.height,
        parent,
        root,
    };
    let next = source.height.saturating_add(1);
    if a.height > next {
        return Err(Refusal::AttestationGap {
            height: a.height,
            tip: source.height,
        });
    }
    // Below the evidence floor nothing is judged, at any gate: a gate
    // registered later holds no roots there. At the floor only the root
    // is compared, for the same reason (its parent is below the floor).
    let floor = source.bundle_height;
    if a.height < floor {
        return Err(Refusal::BelowFloor {
            segment: a.segment,
            height: a.height,
            floor,
        });
    }
    let at = source.roots.get(&a.height);
    let below = (a.height > floor)
        .then(|| source.roots.get(&(a.height - 1)))
        .flatten();
    let root_differs = at.filter(|known| known.root != root);
    let parent_differs = below.filter(|known| known.root != parent);
    // Contradicting what the validators signed is equivocation; contradicting
    // only a proven root is an honest race with a bundle (the validators
    // attest on top of the proven root next time).
    if root_differs.is_some_and(|k| k.attested) || parent_differs.is_some_and(|k| k.attested) {
        if source.evidence.contains(&evidence) {
            return Err(Refusal::KnownEvidence(a.segment));
        }
        return Ok(AttestationVerdict::Equivocation(evidence));
    }
    if root_differs.is_some() || parent_differs.is_some() {
        return Err(Refusal::Superseded {
            segment: a.segment,
            height: a.height,
        });
    }
    if a.height == next {
        Ok(AttestationVerdict::Step)
    } else {
        // The same root and parent again.
        Err(Refusal::StaleAttestation)
    }
}

/// Moves the source's tip to an attested root, one height up.
pub(super) fn apply_step(state: &mut GateState, a: &Attestation, changes: &mut Changes) {
    if let Some(source) = state.sources.get_mut(&a.segment) {
        source.extend_chain(a.height, a.root, true);
        changes.sources.insert(a.segment);
        changes.roots.insert((a.segment, a.height));
    }
}

/// Checks that a tick opens the next epoch, no sooner than the epoch
/// length after the previous tick, signed by a threshold of stream
/// guardians.
pub(super) fn check_tick(state: &GateState, tick: &Tick) -> Result<(), Refusal> {
    let next = state.epoch.checked_add(1);
    if next != Some(tick.epoch) {
        return Err(Refusal::TickNotNext {
            tick: tick.epoch,
            next: next.unwrap_or(u64::MAX),
        });
    }
    // Checked, not saturating: a clock at the end of time stays there
    // rather than letting every later tick through at once.
    let earliest = state
        .epoch_time
        .checked_add(state.config.clock.epoch_length);
    if earliest.is_none_or(|earliest| tick.time < earliest) {
        return Err(Refusal::TickTooEarly {
            time: tick.time,
            earliest: earliest.unwrap_or(u64::MAX),
        });
    }
    let message = tick_message(state.config.stream_id, tick.epoch, tick.time);
    let valid = valid_signers(&state.config.stream_guardians, &tick.signatures, &message)?;
    if valid < state.config.stream_threshold {
        return Err(Refusal::WeakTick {
            valid,
            threshold: state.config.stream_threshold,
        });
    }
    Ok(())
}

/// Enters a checked epoch; every open source may send in it.
pub(super) fn apply_tick(state: &mut GateState, tick: &Tick, changes: &mut Changes) {
    state.epoch = tick.epoch;
    state.epoch_time = tick.time;
    for (id, source) in state.sources.iter_mut() {
        source.count_open_epoch(tick.epoch);
        changes.sources.insert(*id);
    }
}
