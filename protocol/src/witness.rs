//! The private witness of one batch, as the circuit consumes it.
//!
//! Every value is a field element, not a u64: honest witnesses come from
//! [`crate::model::SegmentState::apply_exits`], and soundness tests edit
//! single values here to play a cheating prover (an amount of 2^64, a
//! non-boolean path bit) that the typed model could not even express.

use ff::Field;

use crate::hash::Fp;

/// One exit slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotWitness {
    /// 1 for an exit, 0 for padding.
    pub enabled: Fp,
    /// Sender's owner field (hash of the public key).
    pub owner: Fp,
    /// Sender leaf's asset.
    pub asset: Fp,
    /// Sender's balance before this slot.
    pub balance: Fp,
    /// Sender's nonce before this slot (the nonce the exit carries).
    pub nonce: Fp,
    /// Amount sent.
    pub amount: Fp,
    /// Recipient in the destination segment.
    pub recipient: Fp,
    /// Direction bits of the sender's leaf, leaf level first. They spell
    /// the sender's account index, which the exit leaf carries (I8).
    pub path_bits: Vec<Fp>,
    /// Siblings of the sender's leaf, leaf level first.
    pub siblings: Vec<Fp>,
}

/// The boundary state the batch reads and rewrites.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundaryWitness {
    /// Silo collateral before the batch.
    pub collateral: Fp,
    /// Silo cap per epoch.
    pub cap: Fp,
    /// Epoch of the silo's outflow window.
    pub window_epoch: Fp,
    /// Outflow counted in that window.
    pub window_outflow: Fp,
    /// Direction bits of the silo leaf (the bits of ASSET).
    pub silo_bits: Vec<Fp>,
    /// Siblings of the silo leaf.
    pub silo_siblings: Vec<Fp>,
    /// Direction bits of the lane leaf.
    pub lane_bits: Vec<Fp>,
    /// Siblings of the lane leaf.
    pub lane_siblings: Vec<Fp>,
}

/// The complete private witness of one batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchWitness {
    /// One entry per slot; enabled slots first.
    pub slots: Vec<SlotWitness>,
    /// The silo and lane the batch uses.
    pub boundary: BoundaryWitness,
}

impl SlotWitness {
    /// A disabled slot: zero amount, a dummy leaf of the batch's asset.
    pub fn padding(asset: Fp, depth: usize) -> Self {
        SlotWitness {
            enabled: Fp::ZERO,
            owner: Fp::ZERO,
            asset,
            balance: Fp::ZERO,
            nonce: Fp::ZERO,
            amount: Fp::ZERO,
            recipient: Fp::ZERO,
            path_bits: vec![Fp::ZERO; depth],
            siblings: vec![Fp::ZERO; depth],
        }
    }
}
