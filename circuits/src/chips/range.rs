//! 64-bit range checks by lookup: a value is split into eight 8-bit words
//! (a running sum, `z_{i+1} = (z_i - w_i) / 2^8`), each word is looked up in
//! a 256-row table, and the last running sum is constrained to 0 — so the
//! value is exactly `sum w_i 2^(8i)` with every `w_i < 2^8`, i.e. `< 2^64`.
//!
//! 8-bit words divide 64 exactly (no short final word, no extra shift
//! gate) and keep the table at 256 rows, far below any circuit's `2^k`.
//!
//! One region per checked value, on the shared running-sum column:
//!
//! ```text
//! row | running_sum (a0)                 | q_lookup, q_running
//! ----+----------------------------------+--------------------
//!  0  | z_0 = value (copy)               | 1: looks up z_0 - 2^8·z_1
//!  i  | z_i = (z_{i-1} - w_{i-1}) / 2^8  | 1: looks up z_i - 2^8·z_{i+1}
//!  8  | z_8 = 0 (fixed constant)         |
//! ```
//!
//! for `i = 1..7`.
//!
//! [`U64RangeInstructions`] is what the rest of the circuit may ask of this
//! chip; [`U64RangeConfig`] implements it.

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

/// What the u64 range-check chip offers: a constraint that a cell holds an
/// integer below `2^64`.
///
/// # Soundness
///
/// - [`Self::check_u64`] constrains the *cell* it is given (it is copied
///   into the running sum), and so every cell copied to or from it. The
///   caller must check the cell a gate reads, or a copy of it, never a
///   value recomputed beside it.
/// - It is what makes field arithmetic safe as integer arithmetic: a
///   difference `x - y` of two values below `2^64` that would be negative
///   as an integer is `p - (y - x)` in the field, far above `2^64`, so
///   range-checking the difference rejects it. Sums are safe only while
///   their operands are themselves range-checked and few enough not to
///   reach `p`.
/// - [`Self::load_table`] must run once in every synthesis (key generation
///   and proving alike), before any proof relies on a check: without the
///   table, honest words have nothing to match.
pub trait U64RangeInstructions {
    /// Loads the table of all 8-bit words.
    fn load_table(&self, layouter: &mut impl Layouter<Fp>) -> Result<(), Error>;

    /// Constrains `value < 2^64`. The region is named `u64 range: {what}`,
    /// so a failing check names the value it guards.
    fn check_u64(
        &self,
        layouter: &mut impl Layouter<Fp>,
        what: &str,
        value: &Cell,
    ) -> Result<(), Error>;
}

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
}

impl U64RangeInstructions for U64RangeConfig {
    fn load_table(&self, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
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

    fn check_u64(
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
