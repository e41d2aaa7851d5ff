//! Breakers: the stream's quarantine of a source (on equivocation, or by a
//! threshold of stream guardians, the same at every gate) and this gate's
//! local breaker (its own guardians). Votes are per round, so an old vote
//! cannot be replayed after a trip or a release.

use bulkhead_protocol::messages::guardian_message;

use super::credit::release_held;
use super::effect::Effect;
use super::item::{GuardianAction, GuardianScope};
use super::refusal::{GuardianRefusal, Refusal};
use super::state::{Changes, Evidence, GateState, QuarantineCause};
use crate::signatures;

/// Quarantines `segment` at this gate (every gate does the same). The
/// round moves only when the quarantine takes effect, so evidence against
/// a source already quarantined cannot void the release votes cast so far.
pub(super) fn quarantine(
    state: &mut GateState,
    segment: u64,
    cause: QuarantineCause,
    changes: &mut Changes,
) -> Effect {
    if let Some(source) = state.sources.get_mut(&segment) {
        if source.quarantined.is_some() {
            return Effect::EvidenceRecorded { segment };
        }
        changes.sources.insert(segment);
        source.quarantined = Some(cause.clone());
        source.round = source.round.saturating_add(1);
        source.votes.clear();
    }
    Effect::Quarantined { segment, cause }
}

/// Records new equivocation evidence and quarantines its source.
pub(super) fn record_evidence(
    state: &mut GateState,
    segment: u64,
    evidence: Evidence,
    changes: &mut Changes,
) -> Effect {
    if let Some(source) = state.sources.get_mut(&segment) {
        source.evidence.insert(evidence);
        changes.evidence.push((segment, evidence));
    }
    quarantine(state, segment, QuarantineCause::Equivocation, changes)
}

/// Checks a guardian vote; returns whether it reaches the threshold.
pub(super) fn judge_vote(state: &GateState, g: &GuardianAction) -> Result<bool, Refusal> {
    let bad = Refusal::BadGuardianAction;
    let (guardians, threshold, round, votes_taken) = match g.scope {
        GuardianScope::Stream => {
            let source = state
                .sources
                .get(&g.target)
                .ok_or(Refusal::UnknownSource(g.target))?;
            if source.quarantined.is_some() == g.trip {
                return Err(bad(if g.trip {
                    GuardianRefusal::AlreadyQuarantined
                } else {
                    GuardianRefusal::NotQuarantined
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
                return Err(bad(GuardianRefusal::OtherGate));
            }
            if state.local_tripped == g.trip {
                return Err(bad(if g.trip {
                    GuardianRefusal::AlreadyTripped
                } else {
                    GuardianRefusal::NotTripped
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
        return Err(bad(GuardianRefusal::WrongRound));
    }
    if votes_taken.contains(&g.vote.index) {
        return Err(bad(GuardianRefusal::AlreadyVoted));
    }
    let message = guardian_message(
        state.config.stream_id,
        g.scope.message_byte(),
        g.target,
        g.trip,
        g.round,
    );
    let key = guardians
        .get(g.vote.index)
        .ok_or(bad(GuardianRefusal::UnknownGuardian))?;
    if !signatures::verify(&key.0, &message, &g.vote.signature) {
        return Err(bad(GuardianRefusal::BadSignature));
    }
    Ok(votes_taken.len() + 1 >= threshold)
}

/// Counts a checked vote and, at the threshold, moves the breaker.
pub(super) fn apply_vote(
    state: &mut GateState,
    g: &GuardianAction,
    reached: bool,
    changes: &mut Changes,
) -> Effect {
    match g.scope {
        GuardianScope::Stream => {
            let Some(source) = state.sources.get_mut(&g.target) else {
                return Effect::VoteCounted;
            };
            source.votes.insert(g.vote.index);
            changes.sources.insert(g.target);
            if !reached {
                return Effect::VoteCounted;
            }
            if g.trip {
                return quarantine(state, g.target, QuarantineCause::Guardians, changes);
            }
            source.quarantined = None;
            source.round = source.round.saturating_add(1);
            source.votes.clear();
            // The source may send again in this epoch.
            let epoch = state.epoch;
            source.count_open_epoch(epoch);
            Effect::Released {
                segment: g.target,
                credited: release_held(state, changes),
            }
        }
        GuardianScope::Local => {
            state.local_votes.insert(g.vote.index);
            if !reached {
                return Effect::VoteCounted;
            }
            state.local_round = state.local_round.saturating_add(1);
            state.local_votes.clear();
            state.local_tripped = g.trip;
            if g.trip {
                return Effect::LocalTripped;
            }
            Effect::LocalReleased {
                credited: release_held(state, changes),
            }
        }
    }
}
