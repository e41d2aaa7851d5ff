//! `bulkhead govern`: one signer's signature on a change to a source's
//! boundary (rule G8), as the governance item every gate follows.

use std::path::PathBuf;

use bulkhead_verifier::gate::{BoundaryChange, Governance, ItemJson, Signers};
use clap::{Args, ValueEnum};

use crate::error::CliError;
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
    /// Who signs: the source's validators (tightens only) or the stream
    /// guardians.
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
    /// The change: `lower-cap` and `withdraw` take effect at once;
    /// `raise-cap` and `deposit` after the stream's timelock; `cancel`
    /// drops a pending loosen; `clear` ends the automatic halving.
    #[arg(long, value_enum)]
    change: Kind,
    /// The asset changed (every change but `cancel`).
    #[arg(long)]
    asset: Option<u64>,
    /// The new cap (`lower-cap`, `raise-cap`) or the amount (`withdraw`,
    /// `deposit`).
    #[arg(long)]
    value: Option<u64>,
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
        })
    }
}

/// Signs the change and prints the item (`gate accept`, `stream append`,
/// POST /v1/items); a gate accepts it once a threshold has signed.
pub fn execute(args: GovernArgs) -> Result<(), CliError> {
    let mut item = Governance {
        segment: args.segment,
        seq: args.seq,
        change: args.change()?,
        by: match args.by {
            By::Validators => Signers::Validators,
            By::Guardians => Signers::Guardians,
        },
        signatures: Vec::new(),
    };
    let message = item.message(args.stream_id);
    let what = format!(
        "governance item {} of segment {} with the same change and signers",
        args.seq, args.segment
    );
    let key = signer::load(&args.key)?;
    let statement = item.statement();
    let mut signatures = signer::added_signatures(&args.add, &what, |other| match other {
        ItemJson::Governance(other) if other.statement() == statement => Some(other.signatures),
        _ => None,
    })?;
    signer::merge(&mut signatures, signer::sign(&key, args.index, &message));
    eprintln!(
        "signer {} signed change {} of segment {} ({} signatures)",
        args.index,
        args.seq,
        args.segment,
        signatures.len()
    );
    item.signatures = signatures;
    signer::emit_json(&ItemJson::Governance(item), args.out.as_deref())
}
