//! Following the segment: its own execution moves its state outside the
//! exit statement (an import credited to its accounts, a trade), its
//! validators attest the new root, and an import raises its collateral in
//! every gate's mirror. The relayer notices (its view of the stream moved
//! where none of its batches took it), stops forming batches instead of
//! halting, and waits for a **state feed**: the new state, accepted only if
//! its accounts root is the attested tip on the stream and its boundary is
//! the stream's. It then rebases its queue on it: every exit that still
//! fits keeps its order; one that does not is refused with its reason
//! (reported on `GET /v1/exits/{id}`), never silently dropped.

use bulkhead_protocol::model::{Account, SegmentState, Silo};
use bulkhead_protocol::snapshot::Snapshot;
use serde::Deserialize;
use thiserror::Error;

use super::{BatchStatus, Engine, StreamView};
use crate::error::NodeError;
use crate::relay::store::StoredExit;

/// The segment's state as its own execution left it.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case", deny_unknown_fields)]
pub enum StateFeed {
    /// The whole state.
    Snapshot {
        /// The state.
        snapshot: Snapshot,
    },
    /// The leaves that changed, on top of the relayer's confirmed state.
    Leaves {
        /// Account leaves, set as given.
        #[serde(default)]
        accounts: Vec<AccountLeaf>,
        /// Silo leaves, set as given (an import raises a collateral).
        #[serde(default)]
        silos: Vec<Silo>,
    },
}

/// One account leaf of a [`StateFeed::Leaves`].
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountLeaf {
    /// The account's index.
    #[serde(with = "bulkhead_protocol::decimal")]
    pub index: u64,
    /// Its leaf.
    pub account: Account,
}

/// Why a state feed is refused; the relayer is unchanged.
#[derive(Debug, Error)]
pub enum RebaseRefusal {
    /// The relayer is not behind its segment: its state is the stream's,
    /// and a feed could only make it drop exits the stream will take.
    #[error("the relayer is not behind its segment: its state is the stream's already")]
    NotBehind,
    /// Batches are on the stream and not yet taken or refused: their fate
    /// decides the state the feed must be on.
    #[error(
        "{published} published batches are not confirmed or refused yet: feed the state once \
         the stream has judged them"
    )]
    InFlight {
        /// Published batches.
        published: usize,
    },
    /// A snapshot of another segment or shape.
    #[error("the snapshot is of segment {segment}, shape {shape}; the relayer relays segment {relayed}, shape {relayed_shape}")]
    OtherSegment {
        /// The snapshot's segment.
        segment: u64,
        /// Its shape.
        shape: bulkhead_protocol::CircuitShape,
        /// The relayed segment.
        relayed: u64,
        /// Its shape.
        relayed_shape: bulkhead_protocol::CircuitShape,
    },
    /// The leaves do not make a state (an index or asset beyond the
    /// shape's trees).
    #[error("the update does not apply: {0}")]
    Model(#[from] bulkhead_protocol::Error),
    /// The snapshot does not make a state.
    #[error("the snapshot does not make a state: {0}")]
    Snapshot(#[from] bulkhead_protocol::snapshot::SnapshotError),
    /// The resulting accounts root is not the segment's tip on the stream,
    /// or the tip is not signed by its validators.
    #[error(
        "the resulting accounts root is not the segment's attested tip on the stream (the \
         validators attest the state first, then it is fed)"
    )]
    NotAttested,
    /// The resulting boundary (silos, lanes, exit sequence) is not the
    /// stream's, as every gate's mirror holds it.
    #[error("the resulting boundary root is not the segment's on the stream: its silos, lanes or exit sequence differ from every gate's mirror")]
    OtherBoundary,
}

/// Why a state feed did not rebase the relayer.
#[derive(Debug, Error)]
pub enum RebaseError {
    /// The feed is refused.
    #[error(transparent)]
    Refused(#[from] RebaseRefusal),
    /// The store failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// What a rebase did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rebased {
    /// Live batches superseded (their exits queued again first).
    pub superseded: usize,
    /// Exits queued on the new state, in their order.
    pub queued: usize,
    /// Exits refused, each with its reason.
    pub refused: Vec<(u64, String)>,
}

impl Engine {
    /// Whether the stream's chain for the segment moved where none of the
    /// relayer's batches took it: an import or an attestation of a new
    /// root (its own execution). Not a batch's attested step (validators
    /// attesting the post-exit root before the bundle arrived).
    pub(super) fn segment_moved(&self, view: &StreamView) -> bool {
        let Some((tip, _)) = view.tip else {
            return false;
        };
        if view.next_seq != self.base.exit_seq() {
            return false;
        }
        let step_of_ours = self
            .live
            .iter()
            .any(|b| b.planned.outcome.instance.accounts_after == tip);
        view.boundary != self.base.boundary_root()
            || (tip != self.base.accounts_root() && !step_of_ours)
    }

    /// Why the relayer waits for its segment's state, if it does.
    pub fn behind(&self) -> Option<&str> {
        self.behind.as_deref()
    }

    /// Takes a state feed and rebases on it (see the module).
    pub fn rebase(&mut self, feed: &StateFeed, view: &StreamView) -> Result<Rebased, RebaseError> {
        // Only a segment that moved under the relayer is rebased: a feed of
        // the post-exit root of a live batch (attested before its bundle
        // landed) would otherwise refuse that batch's exits as spent.
        if self.behind.is_none() {
            return Err(RebaseRefusal::NotBehind.into());
        }
        // An open import is on the stream and not judged yet: the
        // reconcile that found the relayer behind drops any other.
        let published = self
            .live
            .iter()
            .filter(|b| b.row.status == BatchStatus::Published)
            .count()
            + usize::from(self.import.is_some());
        if published > 0 {
            return Err(RebaseRefusal::InFlight { published }.into());
        }
        let state = feed.apply(&self.base, self.shape)?;
        if view.tip != Some((state.accounts_root(), true)) {
            return Err(RebaseRefusal::NotAttested.into());
        }
        if state.boundary_root() != view.boundary || state.exit_seq() != view.next_seq {
            return Err(RebaseRefusal::OtherBoundary.into());
        }
        let superseded: Vec<u64> = self.live.iter().map(|b| b.row.id).collect();
        let mut exits: Vec<StoredExit> = self
            .live
            .iter()
            .flat_map(|b| b.exits.iter().cloned())
            .chain(self.queue.iter().cloned())
            .map(|mut e| {
                e.batch = None;
                e
            })
            .collect();
        exits.sort_by_key(|e| e.id);
        let (pending, queue, refused) = super::requeue::readmit(&state, exits);
        let note = "the segment's state moved: rebased on its attested state";
        self.store.rebase(
            &superseded,
            note,
            &refused,
            &Snapshot::from_state(&state, self.shape),
        )?;
        tracing::warn!(
            superseded = superseded.len(),
            queued = queue.len(),
            refused = refused.len(),
            "rebased on the segment's attested state"
        );
        let done = Rebased {
            superseded: superseded.len(),
            queued: queue.len(),
            refused,
        };
        self.base = state.clone();
        self.tip = state;
        self.live.clear();
        self.queue = queue;
        self.pending = pending;
        self.waiting.clear();
        self.behind = None;
        Ok(done)
    }
}

impl StateFeed {
    /// The state this feed describes: a whole snapshot (of `base`'s
    /// segment and `shape`), or the leaves set on `base`.
    pub fn apply(
        &self,
        base: &SegmentState,
        shape: bulkhead_protocol::CircuitShape,
    ) -> Result<SegmentState, RebaseRefusal> {
        match self {
            StateFeed::Snapshot { snapshot } => {
                if snapshot.segment != base.id() || snapshot.shape != shape {
                    return Err(RebaseRefusal::OtherSegment {
                        segment: snapshot.segment,
                        shape: snapshot.shape,
                        relayed: base.id(),
                        relayed_shape: shape,
                    });
                }
                Ok(snapshot.to_state()?)
            }
            StateFeed::Leaves { accounts, silos } => {
                let mut state = base.clone();
                for leaf in accounts {
                    state.set_account(leaf.index, leaf.account)?;
                }
                for silo in silos {
                    state.set_silo(*silo)?;
                }
                Ok(state)
            }
        }
    }
}
