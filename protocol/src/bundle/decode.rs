//! Decoding untrusted bytes into a [`Bundle`]: one encoding per bundle,
//! every malformation its own [`BundleError`], never a panic.

use super::{Bundle, BundleError, SignedExit, FORMAT_VERSION, MAGIC, MAX_PROOF_BYTES};
use crate::hash::{fp_from_bytes, Fp};
use crate::instance::{self, Instance, NUM_PUBLIC_INPUTS};
use crate::shape::CircuitShape;

impl Bundle {
    /// Parses a complete bundle. Never panics; every malformation has its
    /// own [`BundleError`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BundleError> {
        let mut r = Reader { bytes, at: 0 };
        let bundle = r.public_part()?;
        let stream_id = r.u64("stream id")?;
        let count = r.u16("exit count")? as usize;
        let slots = bundle.shape.batch_size;
        if count as u64 != bundle.instance.exit_count || count > slots as usize {
            return Err(BundleError::ExitCount {
                carried: count,
                claimed: bundle.instance.exit_count,
                slots,
            });
        }
        let depth = bundle.shape.accounts_depth;
        let mut exits = Vec::with_capacity(count);
        for i in 0..count {
            let public_key = r.array("exit public key")?;
            let account = r.u64("exit account")?;
            // depth <= 32 in a validated shape, so the shift cannot overflow.
            if account >> depth != 0 {
                return Err(BundleError::AccountOutOfRange {
                    exit: i,
                    account,
                    depth,
                });
            }
            exits.push(SignedExit {
                public_key,
                account,
                nonce: r.u64("exit nonce")?,
                recipient: r.field(|| format!("exit {i} recipient"))?,
                amount: r.u64("exit amount")?,
                signature: r.array("exit signature")?,
            });
        }
        r.finish()?;
        Ok(Bundle {
            stream_id,
            exits,
            ..bundle
        })
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
        fp_from_bytes(self.array("field element")?)
            .ok_or_else(|| BundleError::NonCanonical { what: what() })
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
        shape.validate().map_err(BundleError::InvalidShape)?;
        let vk_digest = self.array("vk digest")?;
        let mut column = [Fp::from(0); NUM_PUBLIC_INPUTS];
        for (offset, value) in column.iter_mut().enumerate() {
            *value = self.field(|| format!("public input {}", instance::NAMES[offset]))?;
        }
        let instance = Instance::from_halo2_instance(&column)
            .map_err(|offset| BundleError::PublicInputRange(instance::NAMES[offset]))?;
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
            stream_id: 0,
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
