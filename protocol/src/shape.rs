//! The circuit shape: which exit-batch circuit, of the family, is meant.

use std::fmt;

use crate::error::Error;

/// The parameters that select one exit-batch circuit. Two circuits with the
/// same shape have the same verifying key; a bundle names its shape so a
/// verifier can refuse unknown shapes before deriving any key.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
// A misspelt field would otherwise fall back to nothing and be refused as
// missing, or worse, be silently ignored beside a correct one.
#[serde(deny_unknown_fields)]
pub struct CircuitShape {
    /// Depth `D` of the accounts tree.
    #[serde(with = "crate::decimal")]
    pub accounts_depth: u32,
    /// Depth `S` of the silo tree (assets are `< 2^S`).
    #[serde(with = "crate::decimal")]
    pub silo_depth: u32,
    /// Depth `L` of the lanes tree.
    #[serde(with = "crate::decimal")]
    pub lanes_depth: u32,
    /// Slots `N` per batch; a power of two so the exits tree is full.
    #[serde(with = "crate::decimal")]
    pub batch_size: u32,
    /// Poseidon chips side by side in separate columns: more columns, fewer
    /// rows. The old and new Merkle paths of a slot go to different chips.
    #[serde(with = "crate::decimal")]
    pub poseidon_chips: u32,
}

impl CircuitShape {
    /// The production shape: D=20, S=8, L=8, N=32 on two Poseidon chips.
    ///
    /// Chosen by `bulkhead bench --quick` (docs/PERFORMANCE.md): with two
    /// chips, N=32 fills k=15 (32,282 of 32,759 rows) where N=16 left it
    /// half empty, so it proves an exit in 0.41 s against 0.74 s (N=16) and
    /// 0.47 s (three chips, N=16, k=14) at 2 threads, with the smallest proof.
    pub const DEFAULT: CircuitShape = CircuitShape {
        accounts_depth: 20,
        silo_depth: 8,
        lanes_depth: 8,
        batch_size: 32,
        poseidon_chips: 2,
    };

    /// A small shape for tests: D=4, S=4, L=2, N=2.
    pub const TINY: CircuitShape = CircuitShape {
        accounts_depth: 4,
        silo_depth: 4,
        lanes_depth: 2,
        batch_size: 2,
        poseidon_chips: 2,
    };

    /// Largest accounts depth (leaf indices are u64 and paths stay short).
    pub const MAX_ACCOUNTS_DEPTH: u32 = 32;
    /// Largest silo or lanes depth.
    pub const MAX_SMALL_DEPTH: u32 = 16;
    /// Largest batch.
    pub const MAX_BATCH: u32 = 256;
    /// Most Poseidon chips side by side.
    pub const MAX_CHIPS: u32 = 8;

    /// Checks every bound; verifiers call this before deriving keys, so an
    /// attacker-chosen shape cannot make them build a huge circuit.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |reason: String| Err(Error::InvalidShape { reason });
        if !(1..=Self::MAX_ACCOUNTS_DEPTH).contains(&self.accounts_depth) {
            return bad(format!(
                "accounts depth {} not in 1..=32",
                self.accounts_depth
            ));
        }
        if !(1..=Self::MAX_SMALL_DEPTH).contains(&self.silo_depth) {
            return bad(format!("silo depth {} not in 1..=16", self.silo_depth));
        }
        if !(1..=Self::MAX_SMALL_DEPTH).contains(&self.lanes_depth) {
            return bad(format!("lanes depth {} not in 1..=16", self.lanes_depth));
        }
        if !self.batch_size.is_power_of_two() || self.batch_size > Self::MAX_BATCH {
            return bad(format!(
                "batch size {} is not a power of two up to 256",
                self.batch_size
            ));
        }
        if !(1..=Self::MAX_CHIPS).contains(&self.poseidon_chips) {
            return bad(format!(
                "{} Poseidon chips not in 1..={}",
                self.poseidon_chips,
                Self::MAX_CHIPS
            ));
        }
        Ok(())
    }

    /// Slots per batch as a `usize`.
    pub fn slots(&self) -> usize {
        self.batch_size as usize
    }
}

impl Default for CircuitShape {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for CircuitShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "D={} S={} L={} N={} chips={}",
            self.accounts_depth,
            self.silo_depth,
            self.lanes_depth,
            self.batch_size,
            self.poseidon_chips
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_tiny_are_valid() {
        CircuitShape::DEFAULT.validate().unwrap();
        CircuitShape::TINY.validate().unwrap();
    }

    #[test]
    fn out_of_bounds_shapes_are_refused() {
        let d = CircuitShape::DEFAULT;
        for bad in [
            CircuitShape {
                accounts_depth: 0,
                ..d
            },
            CircuitShape {
                accounts_depth: 33,
                ..d
            },
            CircuitShape {
                silo_depth: 17,
                ..d
            },
            CircuitShape {
                lanes_depth: 0,
                ..d
            },
            CircuitShape { batch_size: 3, ..d },
            CircuitShape {
                batch_size: 512,
                ..d
            },
            CircuitShape {
                poseidon_chips: 0,
                ..d
            },
            CircuitShape {
                poseidon_chips: CircuitShape::MAX_CHIPS + 1,
                ..d
            },
        ] {
            assert!(
                matches!(bad.validate(), Err(Error::InvalidShape { .. })),
                "{bad} was accepted"
            );
        }
    }
}
