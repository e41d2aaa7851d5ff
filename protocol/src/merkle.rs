//! Binary Poseidon Merkle trees: a sparse tree for the accounts, silos and
//! lanes, and a dense root over a batch's exit leaves.
//!
//! A sparse tree of depth `d` stores only the nodes on paths to non-empty
//! leaves; every absent node at height `h` equals `empty[h]`, precomputed
//! once (`empty[0] = 0`, `empty[h+1] = H(empty[h], empty[h])`). A depth-20
//! tree holding 100,000 accounts therefore never builds 2^20 leaves, and
//! setting a leaf costs `d` hashes.

use std::collections::HashMap;

use ff::Field;

use crate::error::Error;
use crate::hash::{hash, Fp};

/// The deepest tree Bulkhead builds; leaf indices are u64.
pub const MAX_DEPTH: u32 = 32;

/// The hash of an inner node in the domain `node_tag`.
pub fn node(node_tag: u64, left: Fp, right: Fp) -> Fp {
    hash(node_tag, &[left, right])
}

/// A sparse binary Merkle tree with a fixed depth and node domain.
#[derive(Clone, Debug)]
pub struct SparseMerkleTree {
    depth: u32,
    node_tag: u64,
    /// `empty[h]`: the root of an empty subtree of height `h`.
    empty: Vec<Fp>,
    /// Non-empty nodes, keyed by (height, index at that height).
    nodes: HashMap<(u32, u64), Fp>,
}

/// The authentication path of one leaf, from the leaf's sibling upwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerklePath {
    /// Leaf index; bit `h` says whether the node at height `h` is a right child.
    pub index: u64,
    /// Sibling at each height, leaf level first.
    pub siblings: Vec<Fp>,
}

impl MerklePath {
    /// The root reached by hashing `leaf` up this path.
    pub fn root(&self, node_tag: u64, leaf: Fp) -> Fp {
        self.siblings
            .iter()
            .enumerate()
            .fold(leaf, |cur, (h, sib)| {
                if (self.index >> h) & 1 == 1 {
                    node(node_tag, *sib, cur)
                } else {
                    node(node_tag, cur, *sib)
                }
            })
    }

    /// The direction bits of this path as field elements, leaf level first.
    pub fn bits(&self) -> Vec<Fp> {
        (0..self.siblings.len())
            .map(|h| Fp::from((self.index >> h) & 1))
            .collect()
    }
}

impl SparseMerkleTree {
    /// An empty tree of `depth` levels whose inner nodes hash in `node_tag`.
    pub fn new(depth: u32, node_tag: u64) -> Result<Self, Error> {
        if depth == 0 || depth > MAX_DEPTH {
            return Err(Error::InvalidDepth { depth });
        }
        let mut empty = vec![Fp::ZERO];
        for h in 0..depth as usize {
            empty.push(node(node_tag, empty[h], empty[h]));
        }
        Ok(Self {
            depth,
            node_tag,
            empty,
            nodes: HashMap::new(),
        })
    }

    /// Number of levels below the root.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The domain tag of inner nodes.
    pub fn node_tag(&self) -> u64 {
        self.node_tag
    }

    /// Number of leaf positions, `2^depth`.
    pub fn capacity(&self) -> u64 {
        1u64 << self.depth
    }

    fn check_index(&self, index: u64) -> Result<(), Error> {
        if index >= self.capacity() {
            return Err(Error::IndexOutOfRange {
                index,
                depth: self.depth,
            });
        }
        Ok(())
    }

    fn get(&self, height: u32, index: u64) -> Fp {
        self.nodes
            .get(&(height, index))
            .copied()
            .unwrap_or(self.empty[height as usize])
    }

    /// The current root.
    pub fn root(&self) -> Fp {
        self.get(self.depth, 0)
    }

    /// The leaf at `index` (zero when empty).
    pub fn leaf(&self, index: u64) -> Result<Fp, Error> {
        self.check_index(index)?;
        Ok(self.get(0, index))
    }

    /// Sets the leaf at `index` and rehashes its path: `depth` hashes.
    pub fn set_leaf(&mut self, index: u64, leaf: Fp) -> Result<(), Error> {
        self.check_index(index)?;
        let mut cur = leaf;
        let mut idx = index;
        for height in 0..self.depth {
            self.store(height, idx, cur);
            let sibling = self.get(height, idx ^ 1);
            cur = if idx & 1 == 1 {
                node(self.node_tag, sibling, cur)
            } else {
                node(self.node_tag, cur, sibling)
            };
            idx >>= 1;
        }
        self.store(self.depth, 0, cur);
        Ok(())
    }

    fn store(&mut self, height: u32, index: u64, value: Fp) {
        // Keep the map sparse: a node equal to the empty subtree is implied.
        if value == self.empty[height as usize] {
            self.nodes.remove(&(height, index));
        } else {
            self.nodes.insert((height, index), value);
        }
    }

    /// The authentication path of the leaf at `index`.
    pub fn path(&self, index: u64) -> Result<MerklePath, Error> {
        self.check_index(index)?;
        let siblings = (0..self.depth)
            .map(|h| self.get(h, (index >> h) ^ 1))
            .collect();
        Ok(MerklePath { index, siblings })
    }
}

/// The root of a dense tree over `leaves`, whose length must be a power of
/// two (a single leaf is its own root).
pub fn dense_root(node_tag: u64, leaves: &[Fp]) -> Fp {
    assert!(
        leaves.len().is_power_of_two(),
        "a dense tree has a power-of-two number of leaves"
    );
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| node(node_tag, pair[0], pair[1]))
            .collect();
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::tag;
    use proptest::prelude::*;

    /// A reference root: hash every leaf position, no sparseness.
    fn naive_root(depth: u32, leaves: &HashMap<u64, Fp>) -> Fp {
        let level: Vec<Fp> = (0..1u64 << depth)
            .map(|i| leaves.get(&i).copied().unwrap_or(Fp::ZERO))
            .collect();
        dense_root(tag::ACCOUNT_NODE, &level)
    }

    proptest! {
        #[test]
        fn sparse_tree_matches_naive_tree(writes in prop::collection::vec((0u64..64, 0u64..5), 1..20)) {
            let mut tree = SparseMerkleTree::new(6, tag::ACCOUNT_NODE).unwrap();
            let mut reference = HashMap::new();
            for (index, value) in writes {
                tree.set_leaf(index, Fp::from(value)).unwrap();
                reference.insert(index, Fp::from(value));
                let path = tree.path(index).unwrap();
                prop_assert_eq!(path.root(tag::ACCOUNT_NODE, Fp::from(value)), tree.root());
            }
            prop_assert_eq!(tree.root(), naive_root(6, &reference));
        }
    }

    #[test]
    fn clearing_a_leaf_restores_the_empty_root_and_frees_nodes() {
        let mut tree = SparseMerkleTree::new(20, tag::ACCOUNT_NODE).unwrap();
        let empty = tree.root();
        tree.set_leaf(77, Fp::from(3)).unwrap();
        assert_ne!(tree.root(), empty);
        assert_eq!(tree.nodes.len(), 21);
        tree.set_leaf(77, Fp::ZERO).unwrap();
        assert_eq!(tree.root(), empty);
        assert!(tree.nodes.is_empty());
    }

    #[test]
    fn out_of_range_index_and_bad_depth_are_typed_errors() {
        let tree = SparseMerkleTree::new(3, tag::LANE_NODE).unwrap();
        assert_eq!(
            tree.path(8),
            Err(Error::IndexOutOfRange { index: 8, depth: 3 })
        );
        assert!(matches!(
            SparseMerkleTree::new(0, tag::LANE_NODE),
            Err(Error::InvalidDepth { depth: 0 })
        ));
        assert!(matches!(
            SparseMerkleTree::new(33, tag::LANE_NODE),
            Err(Error::InvalidDepth { depth: 33 })
        ));
    }

    #[test]
    fn a_large_sparse_tree_stays_small() {
        let mut tree = SparseMerkleTree::new(20, tag::ACCOUNT_NODE).unwrap();
        for i in 0..1000u64 {
            tree.set_leaf(i * 997 % (1 << 20), Fp::from(i + 1)).unwrap();
        }
        // At most depth+1 nodes per leaf, far below the 2^21 of a dense tree.
        assert!(tree.nodes.len() <= 1000 * 21);
    }
}
