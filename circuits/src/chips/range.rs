//! 64-bit range checks by lookup: a value is split into eight 8-bit words
//! (a running sum, `z_{i+1} = (z_i - w_i) / 2^8`), each word is looked up in
//! a 256-row table, and the last running sum is constrained to 0 — so the
//! value is exactly `sum w_i 2^(8i)` with every `w_i < 2^8`, i.e. `< 2^64`.
//!
//! 8-bit words divide 64 exactly (no short final word, no extra shift
//! gate) and keep the table at 256 rows, far below any circuit's `2^k`.

use halo2_gadgets::utilities::lookup_range_check::{LookupRangeCheck, LookupRangeCheckConfig};
use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::{Advice, Column, ConstraintSystem, Error, TableColumn},
};

use super::Cell;
use bulkhead_protocol::hash::Fp;

/// Bits per looked-up word.
pub const WORD_BITS: usize = 8;
/// Words in a u64.
pub const U64_WORDS: usize = 64 / WORD_BITS;

/// Configuration of the u64 range-check chip.
#[derive(Clone, Copy, Debug)]
pub struct U64RangeConfig {
    lookup: LookupRangeCheckConfig<Fp, WORD_BITS>,
    running_sum: Column<Advice>,
    table: TableColumn,
}

impl U64RangeConfig {
    /// Configures the lookup on `running_sum`, which other chips may share:
    /// the lookup only reads rows where its own selectors are enabled.
    pub fn configure(meta: &mut ConstraintSystem<Fp>, running_sum: Column<Advice>) -> Self {
        let table = meta.lookup_table_column();
        let lookup = LookupRangeCheckConfig::configure(meta, running_sum, table);
        Self {
            lookup,
            running_sum,
            table,
        }
    }

    /// Loads the table of all 8-bit words.
    pub fn load_table(&self, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
        layouter.assign_table(
            || "8-bit words",
            |mut table| {
                for word in 0..1usize << WORD_BITS {
                    table.assign_cell(
                        || "word",
                        self.table,
                        word,
                        || Value::known(Fp::from(word as u64)),
                    )?;
                }
                Ok(())
            },
        )
    }

    /// Constrains `value < 2^64`. The region is named after `what`, so a
    /// failing check names the value it guards.
    pub fn check_u64(
        &self,
        layouter: &mut impl Layouter<Fp>,
        what: &str,
        value: &Cell,
    ) -> Result<(), Error> {
        layouter.assign_region(
            || format!("u64 range: {what}"),
            |mut region| {
                let z0 = value.copy_advice(|| "z_0", &mut region, self.running_sum, 0)?;
                self.lookup
                    .range_check(&mut region, z0, U64_WORDS, true)
                    .map(|_| ())
            },
        )
    }
}
