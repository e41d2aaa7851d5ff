//! A small, fully specified segment used by the test vectors, the tests of
//! every crate and the demo: the same accounts, silos and lanes for any
//! shape whose trees are deep enough (D >= 3, S >= 2, L >= 2).

use bulkhead_protocol::hash::{owner_of_key, Fp};
use bulkhead_protocol::model::{Account, BatchRequest, ExitRequest, Lane, SegmentState, Silo};
use bulkhead_protocol::{CircuitShape, Error};

/// Asset id of the sample's main asset.
pub const ASSET: u64 = 1;
/// Asset id of the sample's second asset.
pub const OTHER_ASSET: u64 = 2;
/// Destination segment of the sample's main lane.
pub const DST: u64 = 2;
/// Epoch the sample's silos start in.
pub const EPOCH: u64 = 7;

/// The public key of sample account `i` (its bytes are all `i + 1`).
pub fn public_key(i: u64) -> [u8; 32] {
    [i as u8 + 1; 32]
}

/// The sample segment `id` with placeholder owner keys ([`public_key`]).
pub fn segment(id: u64, shape: &CircuitShape) -> Result<SegmentState, Error> {
    let keys: Vec<[u8; 32]> = (0..ACCOUNTS).map(public_key).collect();
    segment_with_owners(id, shape, &keys)
}

/// Accounts in a sample segment.
pub const ACCOUNTS: u64 = 8;

/// The sample segment `id`: eight accounts (indices 0..8, account `i`
/// owned by `owner_keys[i]`, holding `1000·(i+1)` of asset 1 for even `i`,
/// of asset 2 for odd `i`), silos for both assets (collateral 20,000, cap
/// 6,000 per epoch, window at epoch 7 with 1,000 already out) and lanes
/// `(a, 1)`, `(b, 1)`, `(a, 2)` where `a < b` are the two other segments
/// of 1, 2, 3 (for segment 1: `(2, 1)`, `(3, 1)`, `(2, 2)`).
pub fn segment_with_owners(
    id: u64,
    shape: &CircuitShape,
    owner_keys: &[[u8; 32]],
) -> Result<SegmentState, Error> {
    let mut state = SegmentState::new(id, shape)?;
    for (i, key) in (0..ACCOUNTS).zip(owner_keys) {
        state.open_account(
            i,
            Account {
                owner: owner_of_key(key),
                asset: if i % 2 == 0 { ASSET } else { OTHER_ASSET },
                balance: 1000 * (i + 1),
                nonce: 0,
            },
        )?;
    }
    for asset in [ASSET, OTHER_ASSET] {
        state.set_silo(Silo {
            asset,
            collateral: 20_000,
            cap: 6_000,
            window_epoch: EPOCH,
            window_outflow: 1_000,
        })?;
    }
    let mut others = (1..=3).filter(|other| *other != id);
    let (a, b) = (others.next().unwrap_or(2), others.next().unwrap_or(3));
    for (dst, asset) in [(a, ASSET), (b, ASSET), (a, OTHER_ASSET)] {
        state.allow_lane(Lane { dst, asset })?;
    }
    Ok(state)
}

/// A request on the main lane in `epoch`: `(account, amount)` pairs, each
/// paid to recipient `100 + account`.
pub fn batch(epoch: u64, exits: &[(u64, u128)]) -> BatchRequest {
    BatchRequest {
        dst: DST,
        asset: ASSET,
        epoch,
        exits: exits
            .iter()
            .map(|(account, amount)| ExitRequest {
                account: *account,
                recipient: Fp::from(100 + account),
                amount: *amount,
            })
            .collect(),
    }
}

/// A full batch of `n` exits on the sample segment's main lane, cycling
/// through its four asset-1 accounts with amounts 1 to 7.
pub fn full_batch(n: u32) -> BatchRequest {
    batch(
        EPOCH,
        &(0..n as u64)
            .map(|i| (2 * (i % 4), 1 + (i % 7) as u128))
            .collect::<Vec<_>>(),
    )
}
