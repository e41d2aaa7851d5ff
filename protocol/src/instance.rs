//! The 12 public inputs of the exit-batch statement, in the order of
//! DESIGN.md. These offsets and [`Instance::to_halo2_instance`] are the only
//! place that decides what goes in the instance column.

use ff::{Field, PrimeField};

use crate::hash::Fp;

/// Source segment id.
pub const SRC: usize = 0;
/// Destination segment id.
pub const DST: usize = 1;
/// Asset id.
pub const ASSET: usize = 2;
/// Epoch of the batch.
pub const EPOCH: usize = 3;
/// Accounts root before the batch.
pub const ACCOUNTS_BEFORE: usize = 4;
/// Accounts root after the batch.
pub const ACCOUNTS_AFTER: usize = 5;
/// Boundary root before the batch.
pub const BOUNDARY_BEFORE: usize = 6;
/// Boundary root after the batch.
pub const BOUNDARY_AFTER: usize = 7;
/// Sequence number of the first exit.
pub const FIRST_SEQ: usize = 8;
/// Number of enabled slots.
pub const EXIT_COUNT: usize = 9;
/// Sum of the enabled amounts.
pub const TOTAL: usize = 10;
/// Merkle root over the N exit leaves.
pub const EXITS_ROOT: usize = 11;
/// Number of public inputs.
pub const NUM_PUBLIC_INPUTS: usize = 12;

/// Names of the public inputs, by offset (for errors and docs).
pub const NAMES: [&str; NUM_PUBLIC_INPUTS] = [
    "SRC",
    "DST",
    "ASSET",
    "EPOCH",
    "ACCOUNTS_BEFORE",
    "ACCOUNTS_AFTER",
    "BOUNDARY_BEFORE",
    "BOUNDARY_AFTER",
    "FIRST_SEQ",
    "EXIT_COUNT",
    "TOTAL",
    "EXITS_ROOT",
];

/// The public inputs of one batch, typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance {
    /// Source segment id.
    pub src: u64,
    /// Destination segment id.
    pub dst: u64,
    /// Asset id.
    pub asset: u64,
    /// Epoch of the batch.
    pub epoch: u64,
    /// Accounts root before the batch.
    pub accounts_before: Fp,
    /// Accounts root after the batch.
    pub accounts_after: Fp,
    /// Boundary root before the batch.
    pub boundary_before: Fp,
    /// Boundary root after the batch.
    pub boundary_after: Fp,
    /// Sequence number of the first exit.
    pub first_seq: u64,
    /// Number of enabled slots.
    pub exit_count: u64,
    /// Sum of the enabled amounts.
    pub total: u64,
    /// Merkle root over the N exit leaves.
    pub exits_root: Fp,
}

impl Instance {
    /// The instance column, in offset order.
    pub fn to_halo2_instance(&self) -> [Fp; NUM_PUBLIC_INPUTS] {
        let mut column = [Fp::ZERO; NUM_PUBLIC_INPUTS];
        column[SRC] = Fp::from(self.src);
        column[DST] = Fp::from(self.dst);
        column[ASSET] = Fp::from(self.asset);
        column[EPOCH] = Fp::from(self.epoch);
        column[ACCOUNTS_BEFORE] = self.accounts_before;
        column[ACCOUNTS_AFTER] = self.accounts_after;
        column[BOUNDARY_BEFORE] = self.boundary_before;
        column[BOUNDARY_AFTER] = self.boundary_after;
        column[FIRST_SEQ] = Fp::from(self.first_seq);
        column[EXIT_COUNT] = Fp::from(self.exit_count);
        column[TOTAL] = Fp::from(self.total);
        column[EXITS_ROOT] = self.exits_root;
        column
    }

    /// Reads an instance column back; `None` names the first offset whose
    /// value should be a u64 and is not.
    pub fn from_halo2_instance(column: &[Fp; NUM_PUBLIC_INPUTS]) -> Result<Self, usize> {
        let word = |offset: usize| as_u64(&column[offset]).ok_or(offset);
        Ok(Instance {
            src: word(SRC)?,
            dst: word(DST)?,
            asset: word(ASSET)?,
            epoch: word(EPOCH)?,
            accounts_before: column[ACCOUNTS_BEFORE],
            accounts_after: column[ACCOUNTS_AFTER],
            boundary_before: column[BOUNDARY_BEFORE],
            boundary_after: column[BOUNDARY_AFTER],
            first_seq: word(FIRST_SEQ)?,
            exit_count: word(EXIT_COUNT)?,
            total: word(TOTAL)?,
            exits_root: column[EXITS_ROOT],
        })
    }
}

/// The value of a field element if it is below 2^64.
pub fn as_u64(value: &Fp) -> Option<u64> {
    let repr = value.to_repr();
    let bytes = repr.as_ref();
    if bytes[8..].iter().any(|b| *b != 0) {
        return None;
    }
    let mut low = [0u8; 8];
    low.copy_from_slice(&bytes[..8]);
    Some(u64::from_le_bytes(low))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_round_trips_through_the_column() {
        let instance = Instance {
            src: 1,
            dst: 2,
            asset: 3,
            epoch: 4,
            accounts_before: Fp::from(5),
            accounts_after: Fp::from(6),
            boundary_before: Fp::from(7),
            boundary_after: Fp::from(8),
            first_seq: 9,
            exit_count: 10,
            total: u64::MAX,
            exits_root: -Fp::ONE,
        };
        let column = instance.to_halo2_instance();
        assert_eq!(column[TOTAL], Fp::from(u64::MAX));
        assert_eq!(Instance::from_halo2_instance(&column), Ok(instance));
        let mut bad = column;
        bad[EPOCH] = Fp::from_u128(1 << 64);
        assert_eq!(Instance::from_halo2_instance(&bad), Err(EPOCH));
    }
}
