//! Rule G8 itself: admitting and applying a governance item, what each
//! tick matures and counts, and the effective cap a bundle must keep.

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::mirror::BoundaryMirror;
use bulkhead_protocol::model::{Lane, Silo};
use ff::Field;

use super::refusal::GovernanceRefusal;
use super::{
    AddedSilo, BoundaryChange, ChangeClass, Governance, PendingChange, Signers, Subject,
    ValidatorSet,
};
use crate::gate::config::check_keys;
use crate::gate::effect::Effect;
use crate::gate::follow::valid_signers;
use crate::gate::refusal::Refusal;
use crate::gate::state::{Changes, GateState, SegmentAsset, SourceState};

/// What an admitted governance item does.
pub(in crate::gate) enum Admitted {
    /// A tighten: the source's new mirror.
    Now(BoundaryMirror),
    /// A loosen, pending until its epoch.
    Pending(PendingChange),
    /// A cancel or a clear.
    Guardians,
}

/// Checks a governance item against G8, the signatures last.
pub(in crate::gate) fn admit_governance(
    state: &GateState,
    item: &Governance,
) -> Result<Admitted, Refusal> {
    let refuse = |r| Err(Refusal::Governance(r));
    let segment = item.segment;
    let (Some(config), Some(source)) = (state.config.source(segment), state.sources.get(&segment))
    else {
        return refuse(GovernanceRefusal::Unregistered(segment));
    };
    let governance = &source.governance;
    if item.seq != governance.seq {
        return refuse(GovernanceRefusal::Sequence {
            seq: item.seq,
            next: governance.seq,
        });
    }
    let class = item.change.class();
    // A lowered inbound limit also holds exits already accepted, and each
    // raise waits for the timelock: the source's own validators, lowering
    // it again at once, could hold them for good. Only the guardians, who
    // can quarantine anyway, lower it.
    let inbound = matches!(item.change, BoundaryChange::LowerInbound { .. });
    if item.by == Signers::Validators && (class != ChangeClass::Tighten || inbound) {
        return refuse(GovernanceRefusal::ValidatorsMayNot);
    }
    if !item.cosigners.is_empty() && !matches!(item.change, BoundaryChange::Rotate { .. }) {
        return refuse(GovernanceRefusal::StrayCosigners);
    }
    // Validators whose source is quarantined (equivocation, or the
    // guardians) do not move its boundary: a withdrawal then could empty
    // the collateral while nothing else about the source is trusted.
    if item.by == Signers::Validators && source.quarantined.is_some() {
        return refuse(GovernanceRefusal::Quarantined(segment));
    }
    let adds_silo = matches!(item.change, BoundaryChange::AddSilo { .. });
    let silo = match item.change.asset() {
        Some(asset) if adds_silo => {
            if source.mirror.silo(asset).is_some() {
                return refuse(GovernanceRefusal::SiloDeclared { asset });
            }
            None
        }
        Some(asset) => match source.mirror.silo(asset) {
            Some(silo) => Some(*silo),
            None => return refuse(GovernanceRefusal::UndeclaredAsset { segment, asset }),
        },
        None => None,
    };
    let admitted = match (&item.change, silo) {
        (&BoundaryChange::LowerCap { cap, .. }, Some(silo)) => {
            if cap >= silo.cap {
                return refuse(GovernanceRefusal::CapDirection {
                    cap,
                    current: silo.cap,
                    direction: "lower",
                });
            }
            Admitted::Now(replaced(source, Silo { cap, ..silo }))
        }
        (&BoundaryChange::Withdraw { amount, .. }, Some(silo)) => {
            if amount == 0 {
                return refuse(GovernanceRefusal::Zero);
            }
            let Some(collateral) = silo.collateral.checked_sub(amount) else {
                return refuse(GovernanceRefusal::ExceedsCollateral {
                    amount,
                    collateral: silo.collateral,
                });
            };
            Admitted::Now(replaced(source, Silo { collateral, ..silo }))
        }
        (&BoundaryChange::RaiseCap { cap, .. }, Some(silo)) => {
            if cap <= silo.cap {
                return refuse(GovernanceRefusal::CapDirection {
                    cap,
                    current: silo.cap,
                    direction: "raise",
                });
            }
            pending(state, &item.change)
        }
        (&BoundaryChange::Deposit { asset, amount }, Some(silo)) => {
            if amount == 0 {
                return refuse(GovernanceRefusal::Zero);
            }
            // Every pending deposit must fit when it matures; only
            // imports raise the collateral meanwhile, and a deposit that
            // then would not fit is dropped at maturity.
            let queued = governance
                .pending
                .values()
                .filter_map(|p| match p.change {
                    BoundaryChange::Deposit { asset: a, amount } if a == asset => Some(amount),
                    _ => None,
                })
                .try_fold(silo.collateral, u64::checked_add);
            if queued.and_then(|c| c.checked_add(amount)).is_none() {
                return refuse(GovernanceRefusal::Overflow {
                    collateral: silo.collateral,
                });
            }
            pending(state, &item.change)
        }
        (BoundaryChange::RemoveLane { .. }, Some(_)) => {
            let mut mirror = source.mirror.clone();
            set_lane(&mut mirror, config.shape.lanes_depth, &item.change, false)?;
            Admitted::Now(mirror)
        }
        (BoundaryChange::AddLane { .. }, Some(_)) => {
            if let Some((change, _)) = governance
                .pending
                .iter()
                .find(|(_, p)| p.change.subject() == Some(Subject::Lanes))
            {
                return refuse(GovernanceRefusal::LanePending { change: *change });
            }
            // Checked now on a copy; nothing else changes the lanes before
            // it matures (a lane tighten voids it, another addition waits).
            let mut mirror = source.mirror.clone();
            set_lane(&mut mirror, config.shape.lanes_depth, &item.change, true)?;
            pending(state, &item.change)
        }
        (&BoundaryChange::LowerInbound { limit }, _) => {
            let current = governance.inbound_limit;
            if current.is_some_and(|c| limit >= c) {
                return refuse(GovernanceRefusal::InboundDirection {
                    limit,
                    current,
                    direction: "lower",
                });
            }
            Admitted::Now(source.mirror.clone())
        }
        (&BoundaryChange::RaiseInbound { limit }, _) => {
            let current = governance.inbound_limit;
            if current.is_none_or(|c| limit <= c) {
                return refuse(GovernanceRefusal::InboundDirection {
                    limit,
                    current,
                    direction: "raise",
                });
            }
            pending(state, &item.change)
        }
        (
            BoundaryChange::Rotate {
                validators,
                threshold,
            },
            _,
        ) => {
            if let Some((change, _)) = governance
                .pending
                .iter()
                .find(|(_, p)| p.change.subject() == Some(Subject::Validators))
            {
                return refuse(GovernanceRefusal::RotationPending { change: *change });
            }
            if validators.len() > super::MAX_VALIDATORS {
                return refuse(GovernanceRefusal::TooManyValidators {
                    keys: validators.len(),
                });
            }
            if let Err(e) = check_keys(
                "change.validators",
                validators,
                *threshold,
                "change.threshold",
            ) {
                return refuse(GovernanceRefusal::ValidatorSet(e));
            }
            pending(state, &item.change)
        }
        (&BoundaryChange::Cancel { change }, _) => {
            if !governance.pending.contains_key(&change) {
                return refuse(GovernanceRefusal::NotPending { change });
            }
            Admitted::Guardians
        }
        (&BoundaryChange::Clear { asset }, _) => {
            if !governance.halved(asset) {
                return refuse(GovernanceRefusal::NotHalved { asset });
            }
            Admitted::Guardians
        }
        (
            &BoundaryChange::AddSilo {
                asset,
                cap,
                ref siblings,
            },
            _,
        ) => {
            let same = |p: &&PendingChange| matches!(p.change, BoundaryChange::AddSilo { asset: a, .. } if a == asset);
            if let Some((change, _)) = governance.pending.iter().find(|(_, p)| same(p)) {
                return refuse(GovernanceRefusal::SiloPending { change: *change });
            }
            let mut mirror = source.mirror.clone();
            if mirror.add_silo(new_silo(asset, cap), siblings).is_err() {
                return refuse(GovernanceRefusal::SiloOpening { asset });
            }
            pending(state, &item.change)
        }
        // Every other kind naming an asset found its silo above.
        (_, None) => return refuse(GovernanceRefusal::Unregistered(segment)),
    };
    let validators = source.validators(config);
    let (keys, threshold) = match item.by {
        Signers::Validators => validators,
        Signers::Guardians => (
            &state.config.stream_guardians[..],
            state.config.stream_threshold,
        ),
    };
    let message = item.message(state.config.stream_id);
    let valid = valid_signers(keys, &item.signatures, &message)?;
    if valid < threshold {
        return refuse(GovernanceRefusal::WeakSignatures { valid, threshold });
    }
    // A rotation also needs the set it replaces: the guardians alone
    // cannot hand a source to keys its validators never agreed to.
    if let BoundaryChange::Rotate { .. } = item.change {
        let (keys, threshold) = validators;
        let valid = valid_signers(keys, &item.cosigners, &message)?;
        if valid < threshold {
            return refuse(GovernanceRefusal::WeakCosigners { valid, threshold });
        }
    }
    Ok(admitted)
}

/// Moves `mirror`'s lanes root by a lane change: a removal empties the
/// lane's position, an addition (`add`) fills an empty one; the change's
/// opening must show the leaf there now.
pub(super) fn set_lane(
    mirror: &mut BoundaryMirror,
    lanes_depth: u32,
    change: &BoundaryChange,
    add: bool,
) -> Result<(), Refusal> {
    let (BoundaryChange::RemoveLane {
        dst,
        asset,
        position,
        siblings,
    }
    | BoundaryChange::AddLane {
        dst,
        asset,
        position,
        siblings,
    }) = change
    else {
        return Ok(());
    };
    let leaf = Lane {
        dst: *dst,
        asset: *asset,
    }
    .leaf();
    let (before, after, expected) = if add {
        (Fp::ZERO, leaf, "an empty position")
    } else {
        (leaf, Fp::ZERO, "the lane")
    };
    mirror
        .set_lane(lanes_depth, *position, before, after, siblings)
        .map(|_| ())
        .map_err(|_| {
            Refusal::Governance(GovernanceRefusal::LaneOpening {
                position: *position,
                expected,
            })
        })
}

/// The silo an addition declares: its cap, no collateral, no outflow.
fn new_silo(asset: u64, cap: u64) -> Silo {
    Silo {
        asset,
        collateral: 0,
        cap,
        window_epoch: 0,
        window_outflow: 0,
    }
}

/// The source's mirror with `silo` in place of its leaf.
fn replaced(source: &SourceState, silo: Silo) -> BoundaryMirror {
    let mut mirror = source.mirror.clone();
    // The silo was found in this mirror: it is declared.
    let _ = mirror.replace_silo(silo);
    mirror
}

/// A loosen, in effect from `timelock` epochs after the stream's epoch.
fn pending(state: &GateState, change: &BoundaryChange) -> Admitted {
    Admitted::Pending(PendingChange {
        change: change.clone(),
        effective_epoch: state.epoch.saturating_add(state.config.governance.timelock),
    })
}

/// Applies an admitted governance item.
pub(in crate::gate) fn apply_governance(
    state: &mut GateState,
    item: &Governance,
    admitted: Admitted,
    changes: &mut Changes,
) -> Effect {
    let segment = item.segment;
    let mut withdrawn = None;
    if let Some(source) = state.sources.get_mut(&segment) {
        let governance = &mut source.governance;
        governance.seq += 1;
        match (admitted, &item.change) {
            (Admitted::Now(mirror), change) => {
                source.mirror = mirror;
                // A tighten voids what was queued to loosen its subject.
                governance
                    .pending
                    .retain(|_, p| p.change.subject() != change.subject());
                match *change {
                    BoundaryChange::Withdraw { asset, amount } => {
                        withdrawn = Some((asset, amount));
                    }
                    BoundaryChange::RemoveLane { position, .. } => {
                        governance.lanes.insert(position, None);
                    }
                    BoundaryChange::LowerInbound { limit } => {
                        governance.inbound_limit = Some(limit);
                    }
                    _ => {}
                }
            }
            (Admitted::Pending(pending), _) => {
                governance.pending.insert(item.seq, pending);
            }
            (Admitted::Guardians, &BoundaryChange::Cancel { change }) => {
                governance.pending.remove(&change);
            }
            (Admitted::Guardians, &BoundaryChange::Clear { asset }) => {
                governance.auto.remove(&asset);
            }
            (Admitted::Guardians, _) => {}
        }
        changes.sources.insert(segment);
    }
    if let Some((asset, amount)) = withdrawn {
        let key = SegmentAsset { segment, asset };
        state.flows.entry(key).or_default().withdrawn += u128::from(amount);
        changes.flows.insert(key);
    }
    Effect::Governed {
        segment,
        seq: item.seq,
        pending: item.change.class() == ChangeClass::Loosen,
    }
}

/// What a tick to `epoch` (from `previous`) does to every source's
/// governance, before anything else reads the new epoch: the automatic
/// rule counts the epoch just closed, then every loosen whose epoch has
/// come takes effect, in sequence order.
pub(in crate::gate) fn on_tick(
    state: &mut GateState,
    previous: u64,
    epoch: u64,
    changes: &mut Changes,
) {
    let auto_epochs = state.config.governance.auto_epochs;
    let mut deposited = Vec::new();
    let config = &state.config;
    for (segment, source) in state.sources.iter_mut() {
        let lanes_depth = config.source(*segment).map_or(0, |c| c.shape.lanes_depth);
        let mut touched = false;
        if auto_epochs > 0 {
            touched |= count_auto(source, previous, epoch, auto_epochs);
        }
        let due: Vec<u64> = source
            .governance
            .pending
            .iter()
            .filter(|(_, p)| p.effective_epoch <= epoch)
            .map(|(seq, _)| *seq)
            .collect();
        for seq in due {
            touched = true;
            let Some(pending) = source.governance.pending.remove(&seq) else {
                continue;
            };
            if let Some((asset, amount)) = mature(source, lanes_depth, pending.change) {
                deposited.push((*segment, asset, amount));
            }
        }
        if touched {
            changes.sources.insert(*segment);
        }
    }
    for (segment, asset, amount) in deposited {
        let key = SegmentAsset { segment, asset };
        state.flows.entry(key).or_default().deposited += u128::from(amount);
        changes.flows.insert(key);
    }
}

/// Counts the epoch `previous` for the automatic rule on every silo of
/// `source`: a streak grows by an epoch whose outflow reached the cap and
/// that the next tick follows directly; anything else ends it. Whether a
/// streak or a halving changed.
fn count_auto(source: &mut SourceState, previous: u64, epoch: u64, auto_epochs: u64) -> bool {
    let mut touched = false;
    for (asset, silo) in source.mirror.silos() {
        let reached =
            silo.cap > 0 && silo.window_epoch == previous && silo.window_outflow >= silo.cap;
        let auto = source.governance.auto.entry(*asset).or_default();
        let before = *auto;
        if reached && epoch == previous.saturating_add(1) {
            auto.streak = auto.streak.saturating_add(1);
        } else {
            auto.streak = 0;
        }
        if auto.streak >= auto_epochs {
            auto.halved = true;
        }
        touched |= *auto != before;
        if *auto == Default::default() {
            source.governance.auto.remove(asset);
        }
    }
    touched
}

/// Puts a matured loosen into effect on `source`'s mirror; the deposit it
/// made, if it was one. A raise below the cap now (several raises
/// matured) leaves the higher cap; a deposit that no longer fits (imports
/// raised the collateral meanwhile) is dropped; a lane addition's opening
/// is still of the lanes root (nothing else changed the lanes since it
/// was admitted), and one that is not is dropped.
fn mature(
    source: &mut SourceState,
    lanes_depth: u32,
    change: BoundaryChange,
) -> Option<(u64, u64)> {
    let governance = &mut source.governance;
    match change {
        BoundaryChange::RaiseInbound { limit } => {
            governance.inbound_limit =
                Some(governance.inbound_limit.map_or(limit, |c| c.max(limit)));
            return None;
        }
        BoundaryChange::AddSilo {
            asset,
            cap,
            siblings,
        } => {
            // The tree moved since admission; the opening's siblings the
            // mirror knows it reads from itself, the rest never change.
            if source
                .mirror
                .add_silo(new_silo(asset, cap), &siblings)
                .is_ok()
            {
                governance.added_silos.push(AddedSilo { asset, siblings });
                // The bound reads the highest cap in force: a cap lowered
                // later does not undo what left under this one.
                let peak = governance.peak_cap.entry(asset).or_insert(cap);
                *peak = (*peak).max(cap);
            }
            return None;
        }
        BoundaryChange::Rotate {
            validators,
            threshold,
        } => {
            governance.validators = Some(ValidatorSet {
                keys: validators,
                threshold,
            });
            return None;
        }
        BoundaryChange::AddLane {
            dst,
            asset,
            position,
            ..
        } => {
            let mut mirror = source.mirror.clone();
            if set_lane(&mut mirror, lanes_depth, &change, true).is_ok() {
                source.mirror = mirror;
                governance.lanes.insert(position, Some(Lane { dst, asset }));
            }
            return None;
        }
        _ => {}
    }
    let asset = change.asset()?;
    let silo = *source.mirror.silo(asset)?;
    match change {
        BoundaryChange::RaiseCap { cap, .. } => {
            let cap = cap.max(silo.cap);
            let _ = source.mirror.replace_silo(Silo { cap, ..silo });
            let peak = source.governance.peak_cap.entry(asset).or_insert(silo.cap);
            *peak = (*peak).max(cap);
            None
        }
        BoundaryChange::Deposit { amount, .. } => {
            let collateral = silo.collateral.checked_add(amount)?;
            let _ = source.mirror.replace_silo(Silo { collateral, ..silo });
            Some((asset, amount))
        }
        _ => None,
    }
}

/// Checks the silo a bundle leaves in `mirror` against its effective cap
/// (the automatic rule's halving), read from the source's governance.
pub fn check_effective_cap(
    source: &SourceState,
    mirror: &BoundaryMirror,
    asset: u64,
) -> Result<(), GovernanceRefusal> {
    let Some(silo) = mirror.silo(asset) else {
        return Ok(());
    };
    let cap = source.governance.effective_cap(asset, silo.cap);
    if silo.window_outflow > cap {
        return Err(GovernanceRefusal::EffectiveCap {
            asset,
            outflow: silo.window_outflow,
            cap,
        });
    }
    Ok(())
}
