//! The one error type of `bulkhead-protocol`.

use thiserror::Error as ThisError;

/// Everything the native model and the shape check can refuse. Each variant names the rule it protects, so a relayer learns
/// why an exit cannot be proven before any proving work starts.
#[derive(Clone, Debug, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// A tree depth outside `1..=32`.
    #[error("tree depth {depth} is outside 1..=32")]
    InvalidDepth {
        /// The depth asked for.
        depth: u32,
    },
    /// A leaf index beyond the tree's `2^depth` positions.
    #[error("leaf index {index} does not fit a tree of depth {depth}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree's depth.
        depth: u32,
    },
    /// A circuit shape that Bulkhead does not build.
    #[error("invalid circuit shape: {reason}")]
    InvalidShape {
        /// Which bound was broken.
        reason: String,
    },
    /// The segment's tree depths differ from the circuit shape's.
    #[error("segment trees (D={accounts}, S={silos}, L={lanes}) do not match the circuit shape")]
    ShapeMismatch {
        /// Accounts depth of the segment.
        accounts: u32,
        /// Silo depth of the segment.
        silos: u32,
        /// Lanes depth of the segment.
        lanes: u32,
    },
    /// A batch with no exit in it.
    #[error("a batch needs at least one exit")]
    EmptyBatch,
    /// More exits than the circuit has slots (I9).
    #[error("batch of {len} exits is larger than the circuit's {max} slots")]
    BatchTooLarge {
        /// Exits requested.
        len: usize,
        /// Slots in the circuit.
        max: usize,
    },
    /// An amount of 0, or one that does not fit in 64 bits (I3).
    #[error("exit {slot}: amount {amount} is outside 1..2^64")]
    AmountOutOfRange {
        /// Slot of the exit.
        slot: usize,
        /// The amount asked for.
        amount: u128,
    },
    /// No account at the given index (I1).
    #[error("exit {slot}: no account at index {index}")]
    UnknownAccount {
        /// Slot of the exit.
        slot: usize,
        /// Account index.
        index: u64,
    },
    /// The account holds another asset than the batch moves (I4).
    #[error("exit {slot}: account {index} holds asset {account_asset}, the batch moves asset {batch_asset}")]
    WrongAsset {
        /// Slot of the exit.
        slot: usize,
        /// Account index.
        index: u64,
        /// Asset of the account.
        account_asset: u64,
        /// Asset of the batch.
        batch_asset: u64,
    },
    /// The debit would take the balance below zero (I2/I3).
    #[error("exit {slot}: account {index} has balance {balance}, cannot send {amount}")]
    InsufficientBalance {
        /// Slot of the exit.
        slot: usize,
        /// Account index.
        index: u64,
        /// Balance left before this exit.
        balance: u64,
        /// Amount asked for.
        amount: u64,
    },
    /// The account's nonce cannot be incremented within 64 bits.
    #[error("exit {slot}: account {index} has exhausted its nonce")]
    NonceOverflow {
        /// Slot of the exit.
        slot: usize,
        /// Account index.
        index: u64,
    },
    /// The lane `(dst, asset)` is not in the segment's lanes tree (I5).
    #[error("lane to segment {dst} for asset {asset} is not allowed")]
    LaneNotAllowed {
        /// Destination segment.
        dst: u64,
        /// Asset.
        asset: u64,
    },
    /// The segment keeps no silo for the asset (I6).
    #[error("segment has no silo for asset {asset}")]
    NoSilo {
        /// Asset.
        asset: u64,
    },
    /// An asset id that cannot be a silo position in a tree of this depth.
    #[error("asset {asset} does not fit a silo tree of depth {depth}")]
    AssetOutOfRange {
        /// Asset.
        asset: u64,
        /// Silo tree depth.
        depth: u32,
    },
    /// An import would take an account's balance, or the silo's
    /// collateral, past 2^64 - 1.
    #[error("an import would take {what} past 2^64 - 1")]
    ImportOverflow {
        /// What would overflow: `"account N"` or `"the collateral"`.
        what: &'static str,
    },
    /// The sum of the batch's amounts does not fit in 64 bits (I10).
    #[error("batch total overflows 64 bits")]
    TotalOverflow,
    /// The batch would take the silo's collateral below zero (I6).
    #[error("asset {asset}: collateral {collateral} cannot cover a batch of {total}")]
    CollateralExhausted {
        /// Asset.
        asset: u64,
        /// Collateral left.
        collateral: u64,
        /// Batch total.
        total: u64,
    },
    /// The batch would exceed the per-epoch outflow cap (I7).
    #[error("asset {asset}: outflow {outflow} + batch {total} exceeds the epoch cap {cap}")]
    CapExceeded {
        /// Asset.
        asset: u64,
        /// Cap per epoch.
        cap: u64,
        /// Outflow already in this epoch's window.
        outflow: u64,
        /// Batch total.
        total: u64,
    },
    /// The batch's epoch is older than the silo's window (I7).
    #[error("epoch {epoch} is older than the silo window's epoch {window_epoch}")]
    EpochBackwards {
        /// Epoch of the silo's window.
        window_epoch: u64,
        /// Epoch of the batch.
        epoch: u64,
    },
    /// The exit sequence number would overflow 64 bits (I8).
    #[error("exit sequence number overflows 64 bits")]
    SequenceOverflow,
    /// A duplicate lane or an account index already in use.
    #[error("{what} already exists")]
    AlreadyExists {
        /// What was inserted twice.
        what: String,
    },
}
