//! The segment's imports, published by its relayer in order with its
//! batches (DESIGN, "Two-way boundaries"). The segment's validators sign
//! an import on the relayer's tip (the accounts root once every live batch
//! is paid) and hand it over with the account leaves it credits; the
//! relayer checks that those leaves make the import's root, raises the
//! silo's collateral as every gate will, and plans every later batch on
//! that state, so its next proof starts from the boundary the gates will
//! hold. It publishes the import once the stream has taken every batch
//! before it, and publishes the batches after it only once the import is
//! in the chain. Nobody else publishes the segment's imports, so nothing
//! moves the boundary under a bundle in flight.
//!
//! An import the stream refuses (rule G7), or whose parent can no longer
//! be the tip (the batches before it were superseded, the segment moved
//! under the relayer), is dropped with its reason; the batches planned on
//! it go back to the queue, and an exit that only fitted with the import's
//! credit is refused with its reason, never silently lost.

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::hex::fp_to_hex;
use bulkhead_protocol::model::{PendingExits, SegmentState, StaleQueue};
use bulkhead_protocol::snapshot::Snapshot;
use bulkhead_verifier::gate::Import;
use serde::Deserialize;
use thiserror::Error;

use super::rebase::AccountLeaf;
use super::{Engine, HaltReason, StreamView};
use crate::error::{CorruptError, NodeError};
use crate::relay::store::ImportRow;

/// An import as `POST /v1/imports` takes it: the signed item, and the
/// account leaves it credits, set on the relayer's tip.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSubmission {
    /// The import, signed by the segment's validators.
    pub import: Import,
    /// The account leaves the credit sets.
    #[serde(default)]
    pub accounts: Vec<AccountLeaf>,
}

/// The import the relayer publishes next, with the state it credits.
#[derive(Clone, Debug)]
pub struct PendingImport {
    /// Its id in the store.
    pub id: u64,
    /// It goes after every exit below this sequence number, and before
    /// every exit from it on.
    pub after_seq: u64,
    /// The signed import.
    pub item: Import,
    /// The segment's state once credited: the import's root, the silo
    /// raised by its amount.
    pub state: SegmentState,
    /// Its stream position, once published.
    pub position: Option<u64>,
}

impl PendingImport {
    pub(super) fn from_row(row: ImportRow) -> Result<Self, NodeError> {
        let state = row
            .state
            .to_state()
            .map_err(|source| CorruptError::Snapshot {
                what: "import state",
                source,
            })?;
        Ok(Self {
            id: row.id,
            after_seq: row.after_seq,
            item: row.item,
            state,
            position: row.position,
        })
    }
}

/// Why an import is not taken; nothing changed.
#[derive(Debug, Error)]
pub enum ImportRefusal {
    /// Another import waits to be published: one at a time, each signed
    /// on the tip the one before it leaves.
    #[error("import {id} is not in the stream's chain yet: one import at a time")]
    Open {
        /// The import waiting.
        id: u64,
    },
    /// The relayer stopped forming batches for its operator.
    #[error("the relayer is halted: {0}")]
    Halted(HaltReason),
    /// The relayer waits for its segment's state: its tip is not known.
    #[error("the relayer is behind its segment: feed its state first (POST /v1/state)")]
    Behind,
    /// An import of another segment.
    #[error("the import is of segment {segment}; the relayer relays segment {relayed}")]
    OtherSegment {
        /// The import's segment.
        segment: u64,
        /// The relayed one.
        relayed: u64,
    },
    /// The parent is not the relayer's tip.
    #[error(
        "the parent {} is not the relayer's tip {} (the accounts root once its {live} live \
         batches are paid): sign the import on the tip",
        fp_to_hex(parent),
        fp_to_hex(tip)
    )]
    OtherParent {
        /// The import's parent.
        parent: Fp,
        /// The relayer's tip.
        tip: Fp,
        /// Live batches before it.
        live: usize,
    },
    /// The height is not the one the import will have in the chain.
    #[error("height {height}, but the import would be at height {expected} in the chain")]
    Height {
        /// The import's height.
        height: u64,
        /// Where it would be.
        expected: u64,
    },
    /// An import of nothing.
    #[error("an import of 0")]
    Zero,
    /// The segment declares no silo for the asset.
    #[error("the segment has no silo for asset {asset}")]
    NoSilo {
        /// The asset.
        asset: u64,
    },
    /// The collateral would pass 2^64 - 1.
    #[error("collateral {collateral} + {amount} passes 2^64 - 1")]
    Overflow {
        /// The silo's collateral at the tip.
        collateral: u64,
        /// The import.
        amount: u64,
    },
    /// A leaf does not fit the shape's trees.
    #[error("the account leaves do not apply: {0}")]
    Leaves(#[from] bulkhead_protocol::Error),
    /// The leaves set on the tip do not make the import's root.
    #[error("the account leaves set on the relayer's tip do not make the import's root")]
    OtherRoot,
    /// The queue, admitted against the tip, would not fit the credited
    /// state (the leaves took from an account with exits waiting).
    #[error("exits waiting in the queue do not fit the credited state: {0}")]
    Queue(StaleQueue),
}

impl ImportRefusal {
    /// A short code for the cause, as the HTTP API names it.
    pub fn label(&self) -> &'static str {
        match self {
            ImportRefusal::Open { .. } => "import_open",
            ImportRefusal::Halted(_) => "halted",
            ImportRefusal::Behind => "behind",
            ImportRefusal::OtherSegment { .. } => "other_segment",
            ImportRefusal::OtherParent { .. } => "other_parent",
            ImportRefusal::Height { .. } => "height",
            ImportRefusal::Zero => "zero",
            ImportRefusal::NoSilo { .. } => "no_silo",
            ImportRefusal::Overflow { .. } => "overflow",
            ImportRefusal::Leaves(_) => "bad_leaves",
            ImportRefusal::OtherRoot => "other_root",
            ImportRefusal::Queue(_) => "queue_stale",
        }
    }
}

/// Why an import was not taken.
#[derive(Debug, Error)]
pub enum ImportError {
    /// Refused; nothing changed.
    #[error(transparent)]
    Refused(#[from] ImportRefusal),
    /// The store failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// An import taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportReceipt {
    /// Its id.
    pub id: u64,
    /// It goes after every exit below this sequence number.
    pub after_seq: u64,
    /// The same import was taken before: nothing changed.
    pub repeat: bool,
}

impl Engine {
    /// The import waiting to be published or to land, if any.
    pub fn pending_import(&self) -> Option<&PendingImport> {
        self.import.as_ref()
    }

    /// Where the segment's validators sign their next import: the
    /// relayer's tip (the accounts root once every live batch is paid)
    /// and, when the stream's chain ends at the relayer's confirmed state,
    /// the height the import will have (each live batch takes one step).
    pub fn import_point(&self, view: &StreamView) -> (Fp, Option<u64>) {
        let at_base = view
            .tip
            .is_some_and(|(root, _)| root == self.base.accounts_root());
        let height = at_base
            .then(|| view.height.checked_add(self.live.len() as u64 + 1))
            .flatten();
        (self.tip.accounts_root(), height)
    }

    /// Takes an import to publish in order with the batches: checked
    /// against the relayer's tip, stored durably, and every later batch
    /// planned on the state it credits. The same import sent again is
    /// answered with its receipt and changes nothing.
    pub fn take_import(
        &mut self,
        submission: &ImportSubmission,
        view: &StreamView,
    ) -> Result<ImportReceipt, ImportError> {
        let item = &submission.import;
        if let Some(row) = self.store.import_at(item.height, item)? {
            return Ok(ImportReceipt {
                id: row.id,
                after_seq: row.after_seq,
                repeat: true,
            });
        }
        let state = self.credited(submission, view)?;
        let after_seq = self.tip.exit_seq();
        // Admitted against the credited tip from now on: what waits must
        // still fit it.
        let pending = PendingExits::rebuild(
            &state,
            self.queue.iter().map(|e| (e.request.intent(), e.nonce)),
        )
        .map_err(ImportRefusal::Queue)?;
        let id =
            self.store
                .insert_import(after_seq, item, &Snapshot::from_state(&state, self.shape))?;
        tracing::info!(
            import = id,
            after_seq,
            asset = item.asset,
            amount = item.amount,
            "import taken"
        );
        self.tip = state.clone();
        self.pending = pending;
        self.waiting.clear();
        self.import = Some(PendingImport {
            id,
            after_seq,
            item: item.clone(),
            state,
            position: None,
        });
        Ok(ImportReceipt {
            id,
            after_seq,
            repeat: false,
        })
    }

    /// The state `submission` credits on the relayer's tip, or why it is
    /// refused.
    fn credited(
        &self,
        submission: &ImportSubmission,
        view: &StreamView,
    ) -> Result<SegmentState, ImportRefusal> {
        let item = &submission.import;
        if let Some(open) = &self.import {
            return Err(ImportRefusal::Open { id: open.id });
        }
        if let Some(reason) = self.halted() {
            return Err(ImportRefusal::Halted(reason.clone()));
        }
        if self.behind.is_some() {
            return Err(ImportRefusal::Behind);
        }
        if item.segment != self.segment() {
            return Err(ImportRefusal::OtherSegment {
                segment: item.segment,
                relayed: self.segment(),
            });
        }
        let (tip, height) = self.import_point(view);
        if item.parent != tip {
            return Err(ImportRefusal::OtherParent {
                parent: item.parent,
                tip,
                live: self.live.len(),
            });
        }
        if let Some(expected) = height.filter(|h| *h != item.height) {
            return Err(ImportRefusal::Height {
                height: item.height,
                expected,
            });
        }
        if item.amount == 0 {
            return Err(ImportRefusal::Zero);
        }
        let mut silo = *self
            .tip
            .silo(item.asset)
            .ok_or(ImportRefusal::NoSilo { asset: item.asset })?;
        silo.collateral =
            silo.collateral
                .checked_add(item.amount)
                .ok_or(ImportRefusal::Overflow {
                    collateral: silo.collateral,
                    amount: item.amount,
                })?;
        let mut state = self.tip.clone();
        for leaf in &submission.accounts {
            state.set_account(leaf.index, leaf.account)?;
        }
        if state.accounts_root() != item.root {
            return Err(ImportRefusal::OtherRoot);
        }
        state.set_silo(silo)?;
        Ok(state)
    }

    /// The open import, if it is its turn to be published: every batch
    /// before it is in the stream's chain, which ends at its parent, and
    /// nothing holds publication back.
    pub(super) fn import_turn(&self, view: &StreamView) -> Option<(u64, Import)> {
        let import = self.import.as_ref()?;
        let ready = import.position.is_none()
            && self
                .live
                .iter()
                .all(|b| b.row.first_seq >= import.after_seq)
            && view.next_seq == import.after_seq
            && view.tip.is_some_and(|(root, _)| root == import.item.parent)
            && !view.quarantined
            && self.behind.is_none()
            && self.halted.is_none();
        ready.then(|| (import.id, import.item.clone()))
    }

    /// Records that import `id` was published at `position`; nothing if
    /// it is no longer open.
    pub fn import_published(&mut self, id: u64, position: u64) -> Result<(), NodeError> {
        let Some(import) = self.import.as_mut().filter(|i| i.id == id) else {
            return Ok(());
        };
        self.store.import_published(id, position)?;
        import.position = Some(position);
        Ok(())
    }

    /// Follows the open import in the stream: folded into the confirmed
    /// state once the chain holds it; published again after a quarantine
    /// refused it; dropped when the stream refused it for anything else.
    pub(super) fn follow_import(&mut self, view: &StreamView) -> Result<(), NodeError> {
        let Some(import) = &self.import else {
            return Ok(());
        };
        // In the chain: the tip is its root, signed, at its sequence. The
        // boundary is not compared: governance may have moved the silos
        // since (rule G8), which the relayer then follows from the new
        // base ([`Engine::follow_governance`]).
        let landed = self
            .live
            .iter()
            .all(|b| b.row.first_seq >= import.after_seq)
            && view.next_seq == import.after_seq
            && view.tip == Some((import.item.root, true));
        if landed {
            let state = import.state.clone();
            self.store
                .import_landed(import.id, &Snapshot::from_state(&state, self.shape))?;
            tracing::info!(import = import.id, "import in the stream's chain");
            self.base = state;
            self.import = None;
            return Ok(());
        }
        let judged = import.position.is_some_and(|p| p <= view.position);
        if !judged {
            return Ok(());
        }
        if view.quarantined {
            let id = import.id;
            self.store.import_unpublished(id)?;
            if let Some(import) = &mut self.import {
                import.position = None;
            }
            tracing::warn!(
                import = id,
                "import refused under quarantine; kept for the release"
            );
            return Ok(());
        }
        self.requeue_all(
            "the import they were planned on was refused",
            Some("the stream refused it: see a gate's status for the rule (G7)"),
        )
    }

    /// Whether the open import's publication is judged by `view` (or
    /// there is none published).
    pub(super) fn import_judged(&self, view: &StreamView) -> bool {
        self.import
            .as_ref()
            .and_then(|i| i.position)
            .is_none_or(|p| p <= view.position)
    }
}

/// Swaps `tip` for the import's credited state, once `tip` is where the
/// import was signed (its parent, at its sequence number).
pub(super) fn enter_import(
    tip: &mut SegmentState,
    import: &PendingImport,
) -> Result<(), NodeError> {
    if tip.accounts_root() != import.item.parent || tip.exit_seq() != import.after_seq {
        return Err(CorruptError::ImportReplay { import: import.id }.into());
    }
    *tip = import.state.clone();
    Ok(())
}
