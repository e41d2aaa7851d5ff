//! `bulkhead govern`: one signer's signature on a change to a source's
//! boundary (rule G8), as the governance item every gate follows.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bulkhead_protocol::hex::decode_array;
use bulkhead_protocol::model::{Lane, SegmentState};
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_verifier::gate::{BoundaryChange, Governance, Hex32, ItemJson, Signers};
use clap::{Args, ValueEnum};

use crate::error::CliError;
use crate::json::read_json;
use crate::signer;

/// Flags of `govern`.
#[derive(Args)]
pub struct GovernArgs {
    /// The signer's secret key file (64 hex digits; `key new`).
    #[arg(long)]
    key: PathBuf,
    /// The signer's index in the list `--by` names (the source's
    /// `validators`, or the gates' `stream_guardians`).
    #[arg(long)]
    index: usize,
    /// Who signs: the source's validators (tightens only, and a
    /// rotation's cosignature) or the stream guardians.
    #[arg(long, value_enum)]
    by: By,
    /// The stream the item is for (the gates' `stream_id`).
    #[arg(long)]
    stream_id: u64,
    /// The source whose boundary changes.
    #[arg(long)]
    segment: u64,
    /// The source's next governance sequence number (`governance.seq` in
    /// a gate's `/v1/sources/{id}`).
    #[arg(long)]
    seq: u64,
    /// The change: `lower-cap`, `withdraw`, `remove-lane` and
    /// `lower-inbound` take effect at once; `raise-cap`, `deposit`,
    /// `add-lane` and `raise-inbound` after the stream's timelock;
    /// `cancel` drops a pending loosen; `clear` ends the automatic halving.
    #[arg(long, value_enum)]
    change: Kind,
    /// The asset changed (every change but `cancel` and the inbound
    /// limit's).
    #[arg(long)]
    asset: Option<u64>,
    /// The new cap (`lower-cap`, `raise-cap`), the amount (`withdraw`,
    /// `deposit`) or the new inbound limit (`lower-inbound`,
    /// `raise-inbound`).
    #[arg(long)]
    value: Option<u64>,
    /// The lane's destination segment (`remove-lane`, `add-lane`).
    #[arg(long)]
    dst: Option<u64>,
    /// The segment's state (`segment.json`) whose lanes tree the lane
    /// change opens (`remove-lane`, `add-lane`; its lanes root must be the
    /// one every gate's mirror holds), or whose silos tree opens the empty
    /// leaf of an `add-silo`.
    #[arg(long)]
    snapshot: Option<PathBuf>,
    /// The empty lanes-tree position an `add-lane` takes (default: the
    /// lowest one free).
    #[arg(long)]
    position: Option<u64>,
    /// A key of the new validator set (`rotate`; 64 hex digits, once per
    /// key, in order); `--value` is its threshold.
    #[arg(long = "new-validator", value_parser = parse_key)]
    new_validators: Vec<Hex32>,
    /// The pending change a `cancel` drops (its sequence number).
    #[arg(long = "cancels")]
    cancels: Option<u64>,
    /// Items of the same change signed by others: their signatures are
    /// added to this one.
    #[arg(long)]
    add: Vec<PathBuf>,
    /// Write the item here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Who signs.
#[derive(Clone, Copy, ValueEnum)]
enum By {
    Validators,
    Guardians,
}

/// The kinds of change.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    LowerCap,
    Withdraw,
    RaiseCap,
    Deposit,
    Cancel,
    Clear,
    RemoveLane,
    AddLane,
    LowerInbound,
    RaiseInbound,
    Rotate,
    AddSilo,
}

fn parse_key(text: &str) -> Result<Hex32, String> {
    decode_array::<32>(text)
        .map(Hex32)
        .ok_or_else(|| format!("{text:?} is not 64 hex digits"))
}

impl GovernArgs {
    /// The change the flags name, or which flag is missing.
    fn change(&self) -> Result<BoundaryChange, CliError> {
        let missing = |flag: &str| CliError::Usage(format!("this --change needs {flag}"));
        let asset = || self.asset.ok_or_else(|| missing("--asset"));
        let value = || self.value.ok_or_else(|| missing("--value"));
        Ok(match self.change {
            Kind::LowerCap => BoundaryChange::LowerCap {
                asset: asset()?,
                cap: value()?,
            },
            Kind::Withdraw => BoundaryChange::Withdraw {
                asset: asset()?,
                amount: value()?,
            },
            Kind::RaiseCap => BoundaryChange::RaiseCap {
                asset: asset()?,
                cap: value()?,
            },
            Kind::Deposit => BoundaryChange::Deposit {
                asset: asset()?,
                amount: value()?,
            },
            Kind::Cancel => BoundaryChange::Cancel {
                change: self.cancels.ok_or_else(|| missing("--cancels"))?,
            },
            Kind::Clear => BoundaryChange::Clear { asset: asset()? },
            Kind::LowerInbound => BoundaryChange::LowerInbound { limit: value()? },
            Kind::RaiseInbound => BoundaryChange::RaiseInbound { limit: value()? },
            Kind::RemoveLane | Kind::AddLane => self.lane_change(asset()?)?,
            Kind::AddSilo => self.silo_addition(asset()?, value()?)?,
            Kind::Rotate => {
                if self.new_validators.is_empty() {
                    return Err(missing("--new-validator"));
                }
                BoundaryChange::Rotate {
                    validators: self.new_validators.clone(),
                    threshold: usize::try_from(value()?)
                        .map_err(|_| CliError::Usage("--value: threshold out of range".into()))?,
                }
            }
        })
    }

    /// A silo addition, opened in the silos tree of `--snapshot`.
    fn silo_addition(&self, asset: u64, cap: u64) -> Result<BoundaryChange, CliError> {
        let state = self.snapshot_state()?;
        if state.silo(asset).is_some() {
            return Err(CliError::Usage(format!(
                "--snapshot already has a silo for asset {asset}"
            )));
        }
        let siblings = state
            .silo_path(asset)
            .map_err(|e| CliError::Usage(format!("--asset {asset}: {e}")))?
            .siblings;
        Ok(BoundaryChange::AddSilo {
            asset,
            cap,
            siblings,
        })
    }

    /// The segment's state `--snapshot` names.
    fn snapshot_state(&self) -> Result<SegmentState, CliError> {
        let path = self
            .snapshot
            .as_ref()
            .ok_or_else(|| CliError::Usage("this --change needs --snapshot".into()))?;
        let snapshot: Snapshot = read_json(path)?;
        snapshot.to_state().map_err(|source| CliError::Snapshot {
            path: path.clone(),
            source,
        })
    }

    /// A lane change, opened in the lanes tree of `--snapshot`.
    fn lane_change(&self, asset: u64) -> Result<BoundaryChange, CliError> {
        let missing = |flag: &str| CliError::Usage(format!("this --change needs {flag}"));
        let dst = self.dst.ok_or_else(|| missing("--dst"))?;
        let state = self.snapshot_state()?;
        let lane = Lane { dst, asset };
        let held = state.lanes().get(&lane).copied();
        let position = match (self.change, held) {
            (Kind::RemoveLane, Some(position)) => position,
            (Kind::RemoveLane, None) => {
                return Err(CliError::Usage(format!(
                    "--snapshot has no lane to segment {dst} for asset {asset}"
                )))
            }
            (_, Some(position)) => {
                return Err(CliError::Usage(format!(
                "--snapshot already has the lane to segment {dst} for asset {asset} at {position}"
            )))
            }
            (_, None) => match self.position {
                Some(position) => position,
                None => {
                    let taken: BTreeSet<u64> = state.lanes().values().copied().collect();
                    (0..).find(|p| !taken.contains(p)).unwrap_or(0)
                }
            },
        };
        let opening = state
            .lane_path(position)
            .map_err(|e| CliError::Usage(format!("--position {position}: {e}")))?;
        let siblings = opening.siblings;
        Ok(if self.change == Kind::RemoveLane {
            BoundaryChange::RemoveLane {
                dst,
                asset,
                position,
                siblings,
            }
        } else {
            BoundaryChange::AddLane {
                dst,
                asset,
                position,
                siblings,
            }
        })
    }
}

/// Signs the change and prints the item (`gate accept`, `stream append`,
/// POST /v1/items); a gate accepts it once a threshold has signed. A
/// rotation is the guardians' item: a current validator's signature
/// (`--by validators`) goes into its cosignatures.
pub fn execute(args: GovernArgs) -> Result<(), CliError> {
    let change = args.change()?;
    let rotation = matches!(change, BoundaryChange::Rotate { .. });
    let cosign = rotation && matches!(args.by, By::Validators);
    let mut item = Governance {
        segment: args.segment,
        seq: args.seq,
        change,
        by: match args.by {
            By::Guardians => Signers::Guardians,
            By::Validators if rotation => Signers::Guardians,
            By::Validators => Signers::Validators,
        },
        signatures: Vec::new(),
        cosigners: Vec::new(),
    };
    let message = item.message(args.stream_id);
    let what = format!(
        "governance item {} of segment {} with the same change and signers",
        args.seq, args.segment
    );
    let key = signer::load(&args.key)?;
    let statement = item.statement();
    let same = |other: &ItemJson| match other {
        ItemJson::Governance(other) if other.statement() == statement => Some(other.clone()),
        _ => None,
    };
    let mut signatures =
        signer::added_signatures(&args.add, &what, |o| same(&o).map(|g| g.signatures))?;
    let mut cosigners =
        signer::added_signatures(&args.add, &what, |o| same(&o).map(|g| g.cosigners))?;
    let signature = signer::sign(&key, args.index, &message);
    if cosign {
        signer::merge(&mut cosigners, signature);
    } else {
        signer::merge(&mut signatures, signature);
    }
    eprintln!(
        "signer {} signed change {} of segment {} ({} signatures, {} cosignatures)",
        args.index,
        args.seq,
        args.segment,
        signatures.len(),
        cosigners.len()
    );
    item.signatures = signatures;
    item.cosigners = cosigners;
    signer::emit_json(&ItemJson::Governance(item), args.out.as_deref())
}
