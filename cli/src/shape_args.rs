//! The circuit-shape flags every proving or measuring command takes.

use bulkhead_protocol::CircuitShape;
use clap::Args;

/// `--depth --batch --chips --silo-depth --lanes-depth`, defaulting to
/// [`CircuitShape::DEFAULT`].
#[derive(Args, Clone, Debug)]
pub struct ShapeArgs {
    /// Accounts tree depth D.
    #[arg(long, default_value_t = CircuitShape::DEFAULT.accounts_depth)]
    pub depth: u32,
    /// Exits per batch N (a power of two).
    #[arg(long, default_value_t = CircuitShape::DEFAULT.batch_size)]
    pub batch: u32,
    /// Poseidon chips side by side (1-8).
    #[arg(long, default_value_t = CircuitShape::DEFAULT.poseidon_chips)]
    pub chips: u32,
    /// Silo tree depth S.
    #[arg(long, default_value_t = CircuitShape::DEFAULT.silo_depth)]
    pub silo_depth: u32,
    /// Lanes tree depth L.
    #[arg(long, default_value_t = CircuitShape::DEFAULT.lanes_depth)]
    pub lanes_depth: u32,
}

impl ShapeArgs {
    /// The shape the flags name (not yet validated).
    pub fn shape(&self) -> CircuitShape {
        CircuitShape {
            accounts_depth: self.depth,
            silo_depth: self.silo_depth,
            lanes_depth: self.lanes_depth,
            batch_size: self.batch,
            poseidon_chips: self.chips,
        }
    }
}
