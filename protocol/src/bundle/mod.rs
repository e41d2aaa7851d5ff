//! The bundle: a self-describing, canonically encoded exit batch with its
//! proof and plaintext exits, as relayers write it and gates read it.
//!
//! Layout (integers little-endian, field elements as 32-byte canonical
//! little-endian encodings):
//!
//! ```text
//! public part   magic "BULKHEAD" | version u16 = 2
//!               shape: D u8 | S u8 | L u8 | N u16 | chips u8
//!               vk digest [32] | 12 public inputs [12 × 32]
//!               proof length u32 | proof
//! exits part    stream id u64 | exit count u16 |
//!               per exit: public key [32] | account u64 | nonce u64 |
//!               recipient [32] | amount u64 | Ed25519 signature [64]
//! ```
//!
//! A bundle has exactly one encoding: a short read, trailing bytes, a
//! non-canonical field element, a u64 public input out of range, an exit
//! count that disagrees with EXIT_COUNT or an account index outside the
//! shape's accounts tree (`>= 2^D`) reject it. Version 2 added the account
//! index to each exit (the exit leaf and the signed message name it);
//! version 3 the stream id the exits were signed for (every signature
//! names it, and a gate refuses a bundle for another stream). The public
//! part can be sent without the exits part (other lanes' gates need only
//! the proof).

mod decode;
mod error;

use ff::PrimeField;

use crate::hash::{self, Fp};
use crate::instance::{Instance, NUM_PUBLIC_INPUTS};
use crate::merkle::dense_root;
use crate::shape::CircuitShape;

pub use error::BundleError;

/// First bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"BULKHEAD";
/// The bundle format this code writes and reads.
pub const FORMAT_VERSION: u16 = 3;
/// Longest proof a bundle may carry (real proofs are about 6 KiB).
pub const MAX_PROOF_BYTES: usize = 64 * 1024;
/// Bytes of one encoded exit.
pub const EXIT_BYTES: usize = 32 + 8 + 8 + 32 + 8 + 64;

/// One plaintext exit with its owner's signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedExit {
    /// The owner's Ed25519 public key; `owner = H_owner(public_key)`.
    pub public_key: [u8; 32],
    /// The sending account's index in the accounts tree (`< 2^D`).
    pub account: u64,
    /// The account's nonce at this exit.
    pub nonce: u64,
    /// Recipient in the destination segment.
    pub recipient: Fp,
    /// Amount.
    pub amount: u64,
    /// Signature over [`crate::messages::exit_message`].
    pub signature: [u8; 64],
}

impl SignedExit {
    /// The plaintext of the model's exit `record`, with its owner's key and
    /// signature.
    pub fn for_record(
        record: &crate::model::ExitRecord,
        public_key: [u8; 32],
        signature: [u8; 64],
    ) -> Self {
        SignedExit {
            public_key,
            account: record.account,
            nonce: record.nonce,
            recipient: record.recipient,
            amount: record.amount,
            signature,
        }
    }
}

/// An exit batch as it travels between segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// Circuit shape the proof is for.
    pub shape: CircuitShape,
    /// Digest of the verifying key the proof is for.
    pub vk_digest: [u8; 32],
    /// The 12 public inputs.
    pub instance: Instance,
    /// The proof.
    pub proof: Vec<u8>,
    /// The stream the exits were signed for (in the exits part; 0 in a
    /// public part read alone, which carries no exits).
    pub stream_id: u64,
    /// The plaintext exits, in slot order.
    pub exits: Vec<SignedExit>,
}

impl Bundle {
    /// The lane id `H(SRC, DST, ASSET)` of this bundle.
    pub fn lane_id(&self) -> Fp {
        let i = &self.instance;
        hash::lane_id(hash::fp(i.src), hash::fp(i.dst), hash::fp(i.asset))
    }

    /// The exit leaves the plaintext exits hash to, padded to the batch size.
    pub fn exit_leaves(&self) -> Vec<Fp> {
        let lane_id = self.lane_id();
        let mut leaves = vec![Fp::from(0); self.shape.slots()];
        for (i, exit) in self.exits.iter().enumerate().take(leaves.len()) {
            leaves[i] = hash::exit_leaf(
                lane_id,
                // In the field, as the circuit computes FIRST_SEQ + i: a
                // hostile FIRST_SEQ near 2^64 cannot overflow here (such a
                // bundle fails the exits check or the proof instead).
                hash::fp(self.instance.first_seq) + hash::fp(i as u64),
                hash::account_nonce(exit.account, exit.nonce),
                hash::owner_of_key(&exit.public_key),
                exit.recipient,
                hash::fp(exit.amount),
            );
        }
        leaves
    }

    /// Whether the plaintext exits hash to EXITS_ROOT and sum to TOTAL and
    /// EXIT_COUNT (rule G4, signatures aside).
    pub fn exits_match_public_inputs(&self) -> bool {
        let total = self
            .exits
            .iter()
            .try_fold(0u64, |sum, e| sum.checked_add(e.amount));
        total == Some(self.instance.total)
            && self.exits.len() as u64 == self.instance.exit_count
            && self.exits.len() <= self.shape.slots()
            && dense_root(hash::tag::EXIT_NODE, &self.exit_leaves()) == self.instance.exits_root
    }

    /// The length of the canonical encoding of a bundle with a proof of
    /// `proof_len` bytes and `exits` exits.
    pub fn encoded_len(proof_len: usize, exits: usize) -> usize {
        // magic, version, D, S, L, N, chips, digest, public inputs, proof
        // length, proof, stream id, exit count, exits.
        let header = MAGIC.len() + 2 + 1 + 1 + 1 + 2 + 1 + 32;
        header + NUM_PUBLIC_INPUTS * 32 + 4 + proof_len + 8 + 2 + exits * EXIT_BYTES
    }

    /// The longest bundle of `shape` (every slot an exit): what a receiver
    /// can bound before reading a byte.
    pub fn max_encoded_len(shape: &CircuitShape, proof_len: usize) -> usize {
        Self::encoded_len(proof_len, shape.batch_size as usize)
    }

    /// The public part: everything up to and including the proof.
    pub fn public_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(56 + 12 * 32 + 4 + self.proof.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        let s = &self.shape;
        // Shapes are validated, so every dimension fits its field.
        out.push(s.accounts_depth as u8);
        out.push(s.silo_depth as u8);
        out.push(s.lanes_depth as u8);
        out.extend_from_slice(&(s.batch_size as u16).to_le_bytes());
        out.push(s.poseidon_chips as u8);
        out.extend_from_slice(&self.vk_digest);
        for value in self.instance.to_halo2_instance() {
            out.extend_from_slice(value.to_repr().as_ref());
        }
        out.extend_from_slice(&(self.proof.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.proof);
        out
    }

    /// The canonical encoding: public part, then the exits part.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.public_bytes();
        out.extend_from_slice(&self.stream_id.to_le_bytes());
        out.extend_from_slice(&(self.exits.len() as u16).to_le_bytes());
        for exit in &self.exits {
            out.extend_from_slice(&exit.public_key);
            out.extend_from_slice(&exit.account.to_le_bytes());
            out.extend_from_slice(&exit.nonce.to_le_bytes());
            out.extend_from_slice(exit.recipient.to_repr().as_ref());
            out.extend_from_slice(&exit.amount.to_le_bytes());
            out.extend_from_slice(&exit.signature);
        }
        out
    }
}
