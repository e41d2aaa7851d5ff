//! The bundle: a self-describing, canonically encoded exit batch with its
//! proof and plaintext exits, as relayers write it and gates read it.
//!
//! Layout (integers little-endian, field elements as 32-byte canonical
//! little-endian encodings):
//!
//! ```text
//! public part   magic "BULKHEAD" | version u16 = 1
//!               shape: D u8 | S u8 | L u8 | N u16 | chips u8
//!               vk digest [32] | 12 public inputs [12 × 32]
//!               proof length u32 | proof
//! exits part    exit count u16 | per exit: public key [32] | nonce u64 |
//!               recipient [32] | amount u64 | Ed25519 signature [64]
//! ```
//!
//! A bundle has exactly one encoding: a short read, trailing bytes, a
//! non-canonical field element, a u64 public input out of range or an exit
//! count that disagrees with EXIT_COUNT reject it. The public part can be
//! sent without the exits part (other lanes' gates need only the proof).

use ff::PrimeField;
use thiserror::Error as ThisError;

use crate::hash::{self, Fp};
use crate::instance::{Instance, NUM_PUBLIC_INPUTS};
use crate::merkle::dense_root;
use crate::shape::CircuitShape;

/// First bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"BULKHEAD";
/// The bundle format this code writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Longest proof a bundle may carry (real proofs are about 6 KiB).
pub const MAX_PROOF_BYTES: usize = 64 * 1024;
/// Bytes of one encoded exit.
pub const EXIT_BYTES: usize = 32 + 8 + 32 + 8 + 64;
/// Domain separator of the message an account owner signs for an exit.
pub const EXIT_SIGNING_DOMAIN: &[u8; 16] = b"bulkhead/exit/v1";

/// One plaintext exit with its owner's signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedExit {
    /// The owner's Ed25519 public key; `owner = H_owner(public_key)`.
    pub public_key: [u8; 32],
    /// The owner's nonce at this exit.
    pub nonce: u64,
    /// Recipient in the destination segment.
    pub recipient: Fp,
    /// Amount.
    pub amount: u64,
    /// Signature over [`exit_message`].
    pub signature: [u8; 64],
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
    /// The plaintext exits, in slot order.
    pub exits: Vec<SignedExit>,
}

/// Why bytes are not a bundle.
#[derive(Clone, Debug, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum BundleError {
    /// The first 8 bytes are not "BULKHEAD".
    #[error("not a bundle (bad magic)")]
    BadMagic,
    /// A format version this code does not read.
    #[error("unknown bundle format version {0}")]
    UnknownVersion(u16),
    /// The shape is outside what Bulkhead builds.
    #[error("bundle names an invalid shape: {0}")]
    InvalidShape(String),
    /// The bytes end before `what`.
    #[error("bundle truncated in {what}")]
    Truncated {
        /// The field being read.
        what: &'static str,
    },
    /// Bytes remain after the last exit.
    #[error("{0} trailing bytes after the bundle")]
    TrailingBytes(usize),
    /// A field element that is not canonical.
    #[error("{what} is not a canonical field element")]
    NonCanonical {
        /// The field being read.
        what: String,
    },
    /// A public input that must be a u64 is not.
    #[error("public input {0} is not a 64-bit integer")]
    PublicInputRange(&'static str),
    /// A proof length beyond [`MAX_PROOF_BYTES`].
    #[error("proof of {0} bytes is longer than any Bulkhead proof")]
    OversizedProof(usize),
    /// The number of exits differs from EXIT_COUNT or exceeds the batch size.
    #[error("bundle carries {carried} exits, EXIT_COUNT is {claimed} (batch size {slots})")]
    ExitCount {
        /// Exits in the bundle.
        carried: usize,
        /// EXIT_COUNT.
        claimed: u64,
        /// Slots of the shape.
        slots: u32,
    },
}

/// The message an owner signs to authorise one exit: the domain separator,
/// the lane id, the nonce, the recipient and the amount.
pub fn exit_message(lane_id: &Fp, nonce: u64, recipient: &Fp, amount: u64) -> Vec<u8> {
    let mut message = Vec::with_capacity(16 + 32 + 8 + 32 + 8);
    message.extend_from_slice(EXIT_SIGNING_DOMAIN);
    message.extend_from_slice(lane_id.to_repr().as_ref());
    message.extend_from_slice(&nonce.to_le_bytes());
    message.extend_from_slice(recipient.to_repr().as_ref());
    message.extend_from_slice(&amount.to_le_bytes());
    message
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
                hash::fp(self.instance.first_seq + i as u64),
                hash::owner_of_key(&exit.public_key),
                hash::fp(exit.nonce),
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
        out.extend_from_slice(&(self.exits.len() as u16).to_le_bytes());
        for exit in &self.exits {
            out.extend_from_slice(&exit.public_key);
            out.extend_from_slice(&exit.nonce.to_le_bytes());
            out.extend_from_slice(exit.recipient.to_repr().as_ref());
            out.extend_from_slice(&exit.amount.to_le_bytes());
            out.extend_from_slice(&exit.signature);
        }
        out
    }

    /// Parses a complete bundle. Never panics; every malformation has its
    /// own [`BundleError`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BundleError> {
        let mut r = Reader { bytes, at: 0 };
        let bundle = r.public_part()?;
        let count = r.u16("exit count")? as usize;
        let slots = bundle.shape.batch_size;
        if count as u64 != bundle.instance.exit_count || count > slots as usize {
            return Err(BundleError::ExitCount {
                carried: count,
                claimed: bundle.instance.exit_count,
                slots,
            });
        }
        let mut exits = Vec::with_capacity(count);
        for i in 0..count {
            exits.push(SignedExit {
                public_key: r.array("exit public key")?,
                nonce: r.u64("exit nonce")?,
                recipient: r.field(|| format!("exit {i} recipient"))?,
                amount: r.u64("exit amount")?,
                signature: r.array("exit signature")?,
            });
        }
        r.finish()?;
        Ok(Bundle { exits, ..bundle })
    }

    /// Parses a public part alone (no exits).
    pub fn public_from_bytes(bytes: &[u8]) -> Result<Self, BundleError> {
        let mut r = Reader { bytes, at: 0 };
        let bundle = r.public_part()?;
        r.finish()?;
        Ok(bundle)
    }
}

/// A cursor over untrusted bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, len: usize, what: &'static str) -> Result<&[u8], BundleError> {
        let end = self
            .at
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(BundleError::Truncated { what })?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], BundleError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, BundleError> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, BundleError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, BundleError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, BundleError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    fn field(&mut self, what: impl Fn() -> String) -> Result<Fp, BundleError> {
        let bytes: [u8; 32] = self.array("field element")?;
        let mut repr = <Fp as PrimeField>::Repr::default();
        repr.as_mut().copy_from_slice(&bytes);
        Option::from(Fp::from_repr(repr)).ok_or_else(|| BundleError::NonCanonical { what: what() })
    }

    fn public_part(&mut self) -> Result<Bundle, BundleError> {
        if self.take(8, "magic")? != MAGIC {
            return Err(BundleError::BadMagic);
        }
        let version = self.u16("version")?;
        if version != FORMAT_VERSION {
            return Err(BundleError::UnknownVersion(version));
        }
        let shape = CircuitShape {
            accounts_depth: self.u8("shape")? as u32,
            silo_depth: self.u8("shape")? as u32,
            lanes_depth: self.u8("shape")? as u32,
            batch_size: self.u16("shape")? as u32,
            poseidon_chips: self.u8("shape")? as u32,
        };
        shape
            .validate()
            .map_err(|e| BundleError::InvalidShape(e.to_string()))?;
        let vk_digest = self.array("vk digest")?;
        let mut column = [Fp::from(0); NUM_PUBLIC_INPUTS];
        for (offset, value) in column.iter_mut().enumerate() {
            *value = self.field(|| format!("public input {}", crate::instance::NAMES[offset]))?;
        }
        let instance = Instance::from_halo2_instance(&column)
            .map_err(|offset| BundleError::PublicInputRange(crate::instance::NAMES[offset]))?;
        let proof_len = self.u32("proof length")? as usize;
        if proof_len > MAX_PROOF_BYTES {
            return Err(BundleError::OversizedProof(proof_len));
        }
        let proof = self.take(proof_len, "proof")?.to_vec();
        Ok(Bundle {
            shape,
            vk_digest,
            instance,
            proof,
            exits: Vec::new(),
        })
    }

    fn finish(&self) -> Result<(), BundleError> {
        match self.bytes.len() - self.at {
            0 => Ok(()),
            extra => Err(BundleError::TrailingBytes(extra)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;
    use proptest::prelude::*;

    /// A bundle with the exits of a real batch and a stand-in proof (the
    /// format does not look inside the proof).
    fn bundle() -> Bundle {
        let shape = CircuitShape::TINY;
        let mut state = sample::segment(1, &shape).unwrap();
        let outcome = state
            .apply_exits(&sample::batch(sample::EPOCH, &[(0, 300), (2, 200)]), &shape)
            .unwrap();
        let exits = outcome
            .exits
            .iter()
            .zip([0u64, 2])
            .map(|(e, account)| SignedExit {
                public_key: sample::public_key(account),
                nonce: e.nonce,
                recipient: e.recipient,
                amount: e.amount,
                signature: [7; 64],
            })
            .collect();
        Bundle {
            shape,
            vk_digest: [9; 32],
            instance: outcome.instance,
            proof: vec![1, 2, 3, 4, 5],
            exits,
        }
    }

    #[test]
    fn round_trips_and_exits_match_the_public_inputs() {
        let b = bundle();
        assert!(b.exits_match_public_inputs());
        assert_eq!(Bundle::from_bytes(&b.to_bytes()), Ok(b.clone()));
        let public = Bundle::public_from_bytes(&b.public_bytes()).unwrap();
        assert_eq!(public.instance, b.instance);
        assert!(public.exits.is_empty());
    }

    #[test]
    fn a_changed_exit_no_longer_matches() {
        let mut b = bundle();
        b.exits[1].amount += 1;
        assert!(!b.exits_match_public_inputs());
        let mut b = bundle();
        b.exits[0].recipient = Fp::from(5);
        assert!(!b.exits_match_public_inputs());
    }

    #[test]
    fn each_malformation_has_its_error() {
        let bytes = bundle().to_bytes();
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert_eq!(Bundle::from_bytes(&bad), Err(BundleError::BadMagic));
        let mut bad = bytes.clone();
        bad[8] = 2;
        assert_eq!(
            Bundle::from_bytes(&bad),
            Err(BundleError::UnknownVersion(2))
        );
        let mut bad = bytes.clone();
        bad[13] = 3; // batch size 3
        assert!(matches!(
            Bundle::from_bytes(&bad),
            Err(BundleError::InvalidShape(_))
        ));
        let mut bad = bytes.clone();
        bad.push(0);
        assert_eq!(Bundle::from_bytes(&bad), Err(BundleError::TrailingBytes(1)));
        assert!(matches!(
            Bundle::from_bytes(&bytes[..bytes.len() - 1]),
            Err(BundleError::Truncated { .. })
        ));
        // SRC (first public input) set to p - 1 + 2^255: not canonical.
        let mut bad = bytes.clone();
        bad[48..80].copy_from_slice(&[0xff; 32]);
        assert!(matches!(
            Bundle::from_bytes(&bad),
            Err(BundleError::NonCanonical { .. })
        ));
        // SRC = 2^64: canonical but not a u64.
        let mut bad = bytes.clone();
        bad[48..80].fill(0);
        bad[56] = 1;
        assert_eq!(
            Bundle::from_bytes(&bad),
            Err(BundleError::PublicInputRange("SRC"))
        );
        // Proof length far beyond any proof.
        let at = 48 + 12 * 32;
        let mut bad = bytes.clone();
        bad[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            Bundle::from_bytes(&bad),
            Err(BundleError::OversizedProof(u32::MAX as usize))
        );
        // One exit fewer than EXIT_COUNT.
        let mut b = bundle();
        b.exits.pop();
        assert!(matches!(
            Bundle::from_bytes(&b.to_bytes()),
            Err(BundleError::ExitCount {
                carried: 1,
                claimed: 2,
                slots: 2
            })
        ));
    }

    proptest! {
        #[test]
        fn random_mutations_never_panic(
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            extend in prop::collection::vec(any::<u8>(), 0..4),
        ) {
            let original = bundle().to_bytes();
            let mut bytes = original.clone();
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] ^= value | 1;
            }
            let _ = Bundle::from_bytes(&bytes);
            let cut = cut.index(bytes.len());
            let _ = Bundle::from_bytes(&bytes[..cut]);
            bytes.extend_from_slice(&extend);
            // A changed encoding never decodes to the honest bundle.
            if bytes != original {
                prop_assert_ne!(Bundle::from_bytes(&bytes).ok(), Some(bundle()));
            }
        }
    }
}
