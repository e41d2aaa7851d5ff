//! The governance a late registration carries (rule G8): it must be one a
//! gate following the stream since the start could hold, or a later item
//! would be judged otherwise here than at the other gates.

use std::collections::BTreeSet;

use super::{BoundaryChange, ChangeClass, Subject, MAX_VALIDATORS};
use crate::gate::config::{check_keys, ConfigError, SourceConfig};
use crate::gate::refusal::Refusal;

/// Checks `source`'s carried governance (`field` names it): pending
/// changes are loosens of declared silos numbered below the next sequence
/// number, at most one lane addition and one rotation, each admissible as
/// it stands (a lane addition's opening of an empty position under the
/// registered lanes root, a silo addition's of an empty leaf, a rotation's
/// key set); a rotated set in force is one a registration could name; the
/// automatic rule, peak caps and silos added so far name declared silos.
pub(in crate::gate) fn check_registered(
    source: &SourceConfig,
    field: &str,
) -> Result<(), ConfigError> {
    let bad = |problem: String| ConfigError::Opening {
        field: format!("{field}.governance"),
        problem,
    };
    let governance = &source.follow.governance;
    let mut one_at_a_time = BTreeSet::new();
    for (seq, pending) in &governance.pending {
        let change = &pending.change;
        // A silo addition names an asset not declared yet; every other
        // change names a declared one, or none.
        let adds_silo = matches!(change, BoundaryChange::AddSilo { .. });
        let declared = change
            .asset()
            .is_none_or(|asset| source.silo(asset).is_some() != adds_silo);
        if *seq >= governance.seq || change.class() != ChangeClass::Loosen || !declared {
            return Err(bad(format!(
                "pending change {seq} is not a loosen of a declared silo numbered below {}",
                governance.seq
            )));
        }
        let subject = change.subject();
        if matches!(subject, Some(Subject::Lanes | Subject::Validators))
            && !one_at_a_time.insert(subject)
        {
            return Err(bad(format!(
                "pending change {seq}: a second lane addition or rotation pending"
            )));
        }
        match change {
            BoundaryChange::Rotate {
                validators,
                threshold,
            } => {
                let at = format!("{field}.governance.pending");
                if validators.len() > MAX_VALIDATORS {
                    return Err(bad(format!(
                        "pending change {seq}: more than {MAX_VALIDATORS} keys"
                    )));
                }
                check_keys(&at, validators, *threshold, &at)?;
            }
            BoundaryChange::AddSilo {
                asset,
                cap,
                siblings,
            } => {
                let mut mirror = source.mirror().map_err(|_| {
                    bad(format!("pending change {seq}: the openings make no mirror"))
                })?;
                let silo = bulkhead_protocol::model::Silo {
                    asset: *asset,
                    collateral: 0,
                    cap: *cap,
                    window_epoch: 0,
                    window_outflow: 0,
                };
                if mirror.add_silo(silo, siblings).is_err() {
                    return Err(bad(format!(
                        "pending change {seq}: no empty leaf for asset {asset} under the silos root"
                    )));
                }
            }
            BoundaryChange::AddLane { .. } => {
                let mut mirror = source.mirror().map_err(|_| {
                    bad(format!("pending change {seq}: the openings make no mirror"))
                })?;
                let opened =
                    super::rule::set_lane(&mut mirror, source.shape.lanes_depth, change, true);
                if let Err(Refusal::Governance(refusal)) = opened {
                    return Err(bad(format!("pending change {seq}: {refusal}")));
                }
            }
            _ => {}
        }
    }
    if let Some(set) = &governance.validators {
        let at = format!("{field}.governance.validators");
        if set.keys.len() > MAX_VALIDATORS {
            return Err(bad(format!("validators: more than {MAX_VALIDATORS} keys")));
        }
        check_keys(&at, &set.keys, set.threshold, &at)?;
    }
    // Silos added before this registration are among its openings.
    let added = governance.added_silos.iter().map(|a| &a.asset);
    let assets = governance
        .auto
        .keys()
        .chain(governance.peak_cap.keys())
        .chain(added);
    if let Some(asset) = assets.into_iter().find(|a| source.silo(**a).is_none()) {
        return Err(bad(format!("asset {asset} is not a declared silo")));
    }
    Ok(())
}
