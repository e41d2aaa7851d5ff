//! The boundary mirror: what a gate knows of a source's boundary, its
//! contents and not only its root (DESIGN, "The boundary mirror").
//!
//! A source registers its boundary root with an opening of every silo it
//! declares. From those openings alone a gate can follow the boundary:
//! an accepted bundle moves the silo it spends from exactly as I6 and I7
//! say ([`Silo::after`], the model's own rule) and the exit sequence by its
//! count, and the gate recomputes the root from the mirror. A bundle whose
//! BOUNDARY_AFTER is another root is refused: the model and the circuit
//! disagree, which is a bug to stop at, never to follow. Changes made to a
//! boundary outside a proof (imports, governance) are stream items applied
//! to this mirror, so every gate computes the same new root.
//!
//! The silos tree is known only through the openings ([`OpenedTree`]): the
//! declared leaves, and the sibling hashes their paths carry for the rest.
//! That is enough to recompute the root whenever a declared silo changes,
//! and nothing else can change.

use std::collections::{BTreeMap, BTreeSet};

use ff::Field;
use thiserror::Error;

use crate::hash::{self, fp, tag, Fp};
use crate::instance::Instance;
use crate::merkle;
use crate::model::{Silo, SiloRefusal};

/// Why openings do not make a mirror, or a change does not apply to one.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum MirrorError {
    /// An opening's index does not fit the tree, or its path is not the
    /// tree's depth.
    #[error(
        "opening of leaf {index}: {siblings} siblings or an index beyond a tree of depth {depth}"
    )]
    BadOpening {
        /// The leaf index.
        index: u64,
        /// Siblings given.
        siblings: usize,
        /// The tree's depth.
        depth: u32,
    },
    /// Two openings disagree on a node: they are not of one tree.
    #[error("the openings disagree on a node at height {height}: they are not of one tree")]
    Inconsistent {
        /// The node's height.
        height: u32,
    },
    /// A leaf opened twice.
    #[error("leaf {index} is opened twice")]
    OpenedTwice {
        /// The leaf index.
        index: u64,
    },
    /// A change to a silo the source did not declare.
    #[error("asset {asset} is not a silo the source declared")]
    UndeclaredSilo {
        /// The asset.
        asset: u64,
    },
    /// The silo refuses the outflow (I6, I7).
    #[error("asset {asset}: {refusal}")]
    Silo {
        /// The asset.
        asset: u64,
        /// Why.
        refusal: SiloRefusal,
    },
    /// An import would raise the collateral past 2^64 - 1.
    #[error("asset {asset}: collateral {collateral} + {amount} passes 2^64 - 1")]
    CollateralOverflow {
        /// The asset.
        asset: u64,
        /// The collateral now.
        collateral: u64,
        /// The amount imported.
        amount: u64,
    },
    /// A silo added where one is declared already.
    #[error("asset {asset} is a silo the source declared already")]
    DeclaredSilo {
        /// The asset.
        asset: u64,
    },
    /// A silo opening that does not fit the tree or, with what the tree
    /// knows, does not reach its root from an empty leaf.
    #[error("asset {asset}: the opening does not show an empty leaf under the silos root")]
    SiloOpening {
        /// The asset.
        asset: u64,
    },
    /// Live silos restored onto openings that declare other assets.
    #[error("the live silos are not the declared ones")]
    OtherSilos,
    /// A lane opening that is not of the lanes tree as it is now: its
    /// leaf hashed up its siblings at its position is not the lanes root.
    #[error("lane position {position}: the opening does not hash to the lanes root")]
    LaneOpening {
        /// The position opened.
        position: u64,
    },
    /// The exit sequence would pass 2^64.
    #[error("the exit sequence would pass 2^64")]
    SequenceOverflow,
    /// The change starts from another exit sequence than the mirror's.
    #[error("the change starts at sequence {first_seq}, the mirror is at {exit_seq}")]
    OtherSequence {
        /// Where the change starts.
        first_seq: u64,
        /// The mirror's exit sequence.
        exit_seq: u64,
    },
}

/// A Merkle tree known through openings of some of its leaves: those
/// leaves and every sibling hash their paths carry. An opened leaf can be
/// changed and the root recomputed; no other leaf can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedTree {
    depth: u32,
    node_tag: u64,
    /// Known nodes by (height, index at that height): the opened paths and
    /// their siblings.
    nodes: BTreeMap<(u32, u64), Fp>,
    opened: BTreeSet<u64>,
}

impl OpenedTree {
    /// The tree of depth `depth` (inner nodes hashed in `node_tag`) that
    /// `openings` (leaf index, leaf, siblings from the leaf level up)
    /// open. Refuses openings of another depth, a leaf opened twice, and
    /// openings that are not of one tree.
    pub fn from_openings(
        depth: u32,
        node_tag: u64,
        openings: impl IntoIterator<Item = (u64, Fp, Vec<Fp>)>,
    ) -> Result<Self, MirrorError> {
        let mut tree = Self {
            depth,
            node_tag,
            nodes: BTreeMap::new(),
            opened: BTreeSet::new(),
        };
        for (index, leaf, siblings) in openings {
            let fits = depth >= 64 || index >> depth == 0;
            if siblings.len() != depth as usize || !fits {
                return Err(MirrorError::BadOpening {
                    index,
                    siblings: siblings.len(),
                    depth,
                });
            }
            if !tree.opened.insert(index) {
                return Err(MirrorError::OpenedTwice { index });
            }
            let mut node = leaf;
            for (height, sibling) in (0..depth).zip(siblings) {
                let at = index >> height;
                tree.learn(height, at, node)?;
                tree.learn(height, at ^ 1, sibling)?;
                node = if at & 1 == 0 {
                    merkle::node(node_tag, node, sibling)
                } else {
                    merkle::node(node_tag, sibling, node)
                };
            }
            tree.learn(depth, 0, node)?;
        }
        Ok(tree)
    }

    /// Records a node's value, refusing one that contradicts what is known.
    fn learn(&mut self, height: u32, index: u64, value: Fp) -> Result<(), MirrorError> {
        match self.nodes.insert((height, index), value) {
            Some(known) if known != value => Err(MirrorError::Inconsistent { height }),
            _ => Ok(()),
        }
    }

    /// The root (that of an empty tree of the depth if nothing is opened).
    pub fn root(&self) -> Fp {
        self.nodes
            .get(&(self.depth, 0))
            .copied()
            .unwrap_or_else(|| empty_root(self.depth, self.node_tag))
    }

    /// Opens leaf `index`, which holds `leaf` now, by `siblings` (leaf
    /// level first), all or nothing. A sibling the tree knows is read
    /// from the tree (the one given may be older: it moves with the
    /// opened leaves); one it does not know covers only leaves nobody
    /// opened, which never change, and is taken as given. The path must
    /// reach the root. `false` (and no change) otherwise, or for a leaf
    /// opened already.
    pub fn open(&mut self, index: u64, leaf: Fp, siblings: &[Fp]) -> bool {
        let fits = self.depth < 64 && index >> self.depth == 0;
        if !fits || siblings.len() != self.depth as usize || self.opened.contains(&index) {
            return false;
        }
        let mut path = Vec::with_capacity(self.depth as usize);
        let mut node = leaf;
        for height in 0..self.depth {
            let at = index >> height;
            let sibling = self
                .nodes
                .get(&(height, at ^ 1))
                .copied()
                .unwrap_or(siblings[height as usize]);
            path.push(((height, at), node, (height, at ^ 1), sibling));
            node = if at & 1 == 0 {
                merkle::node(self.node_tag, node, sibling)
            } else {
                merkle::node(self.node_tag, sibling, node)
            };
        }
        if node != self.root() {
            return false;
        }
        for (at, value, sibling_at, sibling) in path {
            self.nodes.insert(at, value);
            self.nodes.insert(sibling_at, sibling);
        }
        self.nodes.insert((self.depth, 0), node);
        self.opened.insert(index);
        true
    }

    /// Whether leaf `index` is opened.
    pub fn is_opened(&self, index: u64) -> bool {
        self.opened.contains(&index)
    }

    /// Sets opened leaf `index` to `leaf` and recomputes its path; `false`
    /// (and no change) for a leaf not opened.
    pub fn set_leaf(&mut self, index: u64, leaf: Fp) -> bool {
        if !self.opened.contains(&index) {
            return false;
        }
        let mut node = leaf;
        for height in 0..self.depth {
            let at = index >> height;
            self.nodes.insert((height, at), node);
            // Every opened path's siblings are known: learned with it.
            let sibling = self.nodes[&(height, at ^ 1)];
            node = if at & 1 == 0 {
                merkle::node(self.node_tag, node, sibling)
            } else {
                merkle::node(self.node_tag, sibling, node)
            };
        }
        self.nodes.insert((self.depth, 0), node);
        true
    }
}

fn empty_root(depth: u32, node_tag: u64) -> Fp {
    (0..depth).fold(Fp::ZERO, |node, _| merkle::node(node_tag, node, node))
}

/// A source's boundary as a gate follows it: every declared silo, the
/// silos tree through their openings, the lanes root and the exit
/// sequence. Its [`BoundaryMirror::root`] is the source's boundary root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundaryMirror {
    silos: BTreeMap<u64, Silo>,
    tree: OpenedTree,
    lanes_root: Fp,
    exit_seq: u64,
}

impl BoundaryMirror {
    /// The mirror a registration gives: each declared silo with its
    /// siblings in a silos tree of depth `silo_depth`, the lanes root and
    /// the exit sequence. The caller checks [`BoundaryMirror::root`]
    /// against the registered boundary root.
    pub fn new(
        silo_depth: u32,
        silos: impl IntoIterator<Item = (Silo, Vec<Fp>)>,
        lanes_root: Fp,
        exit_seq: u64,
    ) -> Result<Self, MirrorError> {
        let silos: Vec<(Silo, Vec<Fp>)> = silos.into_iter().collect();
        let tree = OpenedTree::from_openings(
            silo_depth,
            tag::SILO_NODE,
            silos
                .iter()
                .map(|(silo, siblings)| (silo.asset, silo.leaf(), siblings.clone())),
        )?;
        Ok(Self {
            silos: silos.into_iter().map(|(s, _)| (s.asset, s)).collect(),
            tree,
            lanes_root,
            exit_seq,
        })
    }

    /// The mirror of a source followed since registration: the tree from
    /// the registration's openings, then the silos governance added, in
    /// the order they were added, each by the opening its item carried
    /// (asset, siblings), then each declared silo set to its live leaf
    /// (`live` must declare exactly the same assets) and the sequence to
    /// `exit_seq`. This is how a store brings a mirror back.
    pub fn restore(
        silo_depth: u32,
        registered: impl IntoIterator<Item = (Silo, Vec<Fp>)>,
        added: &[(u64, Vec<Fp>)],
        lanes_root: Fp,
        live: &BTreeMap<u64, Silo>,
        exit_seq: u64,
    ) -> Result<Self, MirrorError> {
        let mut mirror = Self::new(silo_depth, registered, lanes_root, exit_seq)?;
        for (asset, siblings) in added {
            // Empty as added; the live leaf is set below with the others.
            let empty = Silo {
                asset: *asset,
                collateral: 0,
                cap: 0,
                window_epoch: 0,
                window_outflow: 0,
            };
            mirror.add_silo(empty, siblings)?;
        }
        if !mirror.silos.keys().eq(live.keys()) || live.iter().any(|(a, s)| s.asset != *a) {
            return Err(MirrorError::OtherSilos);
        }
        for silo in live.values() {
            mirror.tree.set_leaf(silo.asset, silo.leaf());
        }
        mirror.silos = live.clone();
        Ok(mirror)
    }

    /// The boundary root: `H(silos root, lanes root, exit_seq)`.
    pub fn root(&self) -> Fp {
        hash::boundary_root(self.tree.root(), self.lanes_root, fp(self.exit_seq))
    }

    /// The declared silo of `asset`, as it is now.
    pub fn silo(&self, asset: u64) -> Option<&Silo> {
        self.silos.get(&asset)
    }

    /// Every declared silo, by asset.
    pub fn silos(&self) -> &BTreeMap<u64, Silo> {
        &self.silos
    }

    /// The lanes root.
    pub fn lanes_root(&self) -> Fp {
        self.lanes_root
    }

    /// Sets the lanes-tree leaf at `position` from `before` to `after`
    /// (governance removes or adds a lane), all or nothing: `siblings`
    /// (leaf level first) must open `before` at `position` under the lanes
    /// root now, and the new root hashes `after` up the same path. The
    /// mirror knows the lanes tree by its root alone, so every lane change
    /// carries its opening. Returns the new boundary root.
    pub fn set_lane(
        &mut self,
        lanes_depth: u32,
        position: u64,
        before: Fp,
        after: Fp,
        siblings: &[Fp],
    ) -> Result<Fp, MirrorError> {
        let fits = lanes_depth < 64 && position >> lanes_depth == 0;
        if !fits || siblings.len() != lanes_depth as usize {
            return Err(MirrorError::LaneOpening { position });
        }
        let path = merkle::MerklePath {
            index: position,
            siblings: siblings.to_vec(),
        };
        if path.root(tag::LANE_NODE, before) != self.lanes_root {
            return Err(MirrorError::LaneOpening { position });
        }
        self.lanes_root = path.root(tag::LANE_NODE, after);
        Ok(self.root())
    }

    /// The next exit sequence number.
    pub fn exit_seq(&self) -> u64 {
        self.exit_seq
    }

    /// Moves the mirror by a bundle's public inputs, all or nothing: the
    /// silo of `ASSET` lets `TOTAL` out at `EPOCH` ([`Silo::after`]: I6
    /// collateral never negative, I7 the epoch's cap) and the sequence
    /// moves by `EXIT_COUNT` from `FIRST_SEQ`, which must be the mirror's.
    /// Returns the new root, for the caller to compare with
    /// `BOUNDARY_AFTER`.
    pub fn apply_exits(&mut self, instance: &Instance) -> Result<Fp, MirrorError> {
        if instance.first_seq != self.exit_seq {
            return Err(MirrorError::OtherSequence {
                first_seq: instance.first_seq,
                exit_seq: self.exit_seq,
            });
        }
        let asset = instance.asset;
        let silo = self
            .silos
            .get(&asset)
            .ok_or(MirrorError::UndeclaredSilo { asset })?;
        let after = silo
            .after(instance.epoch, instance.total)
            .map_err(|refusal| MirrorError::Silo { asset, refusal })?;
        let exit_seq = self
            .exit_seq
            .checked_add(instance.exit_count)
            .ok_or(MirrorError::SequenceOverflow)?;
        self.set_silo(after);
        self.exit_seq = exit_seq;
        Ok(self.root())
    }

    /// Raises the collateral of `asset`'s silo by an import of `amount`
    /// (rule G7), all or nothing; the window and cap stay. Returns the new
    /// root.
    pub fn apply_import(&mut self, asset: u64, amount: u64) -> Result<Fp, MirrorError> {
        let silo = *self
            .silos
            .get(&asset)
            .ok_or(MirrorError::UndeclaredSilo { asset })?;
        let collateral =
            silo.collateral
                .checked_add(amount)
                .ok_or(MirrorError::CollateralOverflow {
                    asset,
                    collateral: silo.collateral,
                    amount,
                })?;
        self.set_silo(Silo { collateral, ..silo });
        Ok(self.root())
    }

    /// Declares a new silo (governance adds one, rule G8), all or
    /// nothing: its leaf at index `silo.asset` must be empty now, opened by
    /// `siblings` ([`OpenedTree::open`]: the ones the mirror knows are its
    /// own). Returns the new root.
    pub fn add_silo(&mut self, silo: Silo, siblings: &[Fp]) -> Result<Fp, MirrorError> {
        let asset = silo.asset;
        if self.silos.contains_key(&asset) {
            return Err(MirrorError::DeclaredSilo { asset });
        }
        if !self.tree.open(asset, Fp::ZERO, siblings) {
            return Err(MirrorError::SiloOpening { asset });
        }
        self.set_silo(silo);
        Ok(self.root())
    }

    /// Replaces the leaf of a declared silo by `silo` (governance sets a
    /// cap or a collateral outside a proof), all or nothing. Returns the
    /// new root.
    pub fn replace_silo(&mut self, silo: Silo) -> Result<Fp, MirrorError> {
        if !self.silos.contains_key(&silo.asset) {
            return Err(MirrorError::UndeclaredSilo { asset: silo.asset });
        }
        self.set_silo(silo);
        Ok(self.root())
    }

    /// Replaces a declared silo's leaf (the caller checked it is one).
    fn set_silo(&mut self, silo: Silo) {
        self.tree.set_leaf(silo.asset, silo.leaf());
        self.silos.insert(silo.asset, silo);
    }
}

/// A mirror is written as what it knows: the live silos, the lanes root,
/// the exit sequence and the root they hash to (the tree's siblings come
/// from the registration).
impl serde::Serialize for BoundaryMirror {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("BoundaryMirror", 4)?;
        out.serialize_field("silos", &self.silos.values().collect::<Vec<_>>())?;
        out.serialize_field("lanes_root", &crate::hex::fp_to_hex(&self.lanes_root))?;
        out.serialize_field("exit_seq", &self.exit_seq.to_string())?;
        out.serialize_field("root", &crate::hex::fp_to_hex(&self.root()))?;
        out.end()
    }
}
