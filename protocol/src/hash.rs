//! Native Poseidon hashing with Bulkhead's domain separation.
//!
//! Every hash in the protocol is Poseidon P128Pow5T3 over the Pallas base
//! field with rate 2, and every *use* has its own domain: the sponge's
//! capacity element starts at `L·2^64 + TAG·2^96`, where `L` is the input
//! length and `TAG` the use's tag below. `ConstantLength<L>` from
//! `halo2_poseidon` is the special case `TAG = 0`, so no Bulkhead hash can
//! collide with a plain constant-length Poseidon hash, nor with another use,
//! and separation costs no extra permutation (a leading tag input would).
//!
//! The same domains drive the in-circuit sponge ([`Tagged`]), so the
//! native model and the circuit agree by construction; tests check the
//! native sponge against `halo2_poseidon` for `TAG = 0`.

use std::sync::OnceLock;

use ff::{Field, PrimeField};
use halo2_poseidon::{Domain, Mds, P128Pow5T3, Spec};
use pasta_curves::pallas;

/// The field every Bulkhead value lives in: the Pallas base field.
pub type Fp = pallas::Base;

/// Poseidon width (state size).
pub const WIDTH: usize = 3;
/// Poseidon rate (field elements absorbed per permutation).
pub const RATE: usize = 2;

/// Domain tags, one per hash use. Written down in `docs/PROTOCOL.md`.
pub mod tag {
    /// Inner node of the accounts tree: `H(left, right)`.
    pub const ACCOUNT_NODE: u64 = 1;
    /// Account leaf: `H(owner, asset, balance, nonce)`.
    pub const ACCOUNT_LEAF: u64 = 2;
    /// Inner node of the silo tree.
    pub const SILO_NODE: u64 = 3;
    /// Silo leaf: `H(asset, collateral, cap, window_epoch, window_outflow)`.
    pub const SILO_LEAF: u64 = 4;
    /// Inner node of the lanes tree.
    pub const LANE_NODE: u64 = 5;
    /// Lane leaf: `H(dst, asset)`.
    pub const LANE_LEAF: u64 = 6;
    /// Lane id: `H(src, dst, asset)`.
    pub const LANE_ID: u64 = 7;
    /// Boundary root: `H(silo_root, lanes_root, exit_seq)`.
    pub const BOUNDARY: u64 = 8;
    /// Exit leaf: `H(lane_id, seq, account_nonce, owner, recipient,
    /// amount)`, with `account_nonce` = [`super::account_nonce`].
    pub const EXIT_LEAF: u64 = 9;
    /// Inner node of the per-batch exits tree.
    pub const EXIT_NODE: u64 = 10;
    /// Account owner: `H(key_lo, key_hi)` over a 32-byte public key.
    pub const OWNER: u64 = 11;
}

/// The initial capacity element for a hash use: `len·2^64 + tag·2^96`.
pub fn capacity(tag: u64, len: usize) -> Fp {
    // Both halves fit well inside 128 bits: len < 2^32, tag < 2^32.
    debug_assert!(len < (1 << 32) && tag < (1 << 32));
    Fp::from_u128(((len as u128) << 64) | ((tag as u128) << 96))
}

/// The in-circuit domain of a hash use: tag `TAG`, exactly `L` inputs.
///
/// Used by the circuit's Poseidon chip (`bulkhead-circuits`); padding is the same zero
/// padding to a multiple of the rate as `ConstantLength`.
#[derive(Clone, Copy, Debug)]
pub struct Tagged<const TAG: u64, const L: usize>;

impl<const TAG: u64, const L: usize> Domain<Fp, RATE> for Tagged<TAG, L> {
    type Padding = std::iter::RepeatN<Fp>;

    fn name() -> String {
        format!("Bulkhead<tag={TAG}, len={L}>")
    }

    fn initial_capacity_element() -> Fp {
        capacity(TAG, L)
    }

    fn padding(input_len: usize) -> Self::Padding {
        assert_eq!(input_len, L, "a Tagged domain hashes exactly L inputs");
        std::iter::repeat_n(Fp::ZERO, L.div_ceil(RATE) * RATE - L)
    }
}

/// Round constants and MDS matrix, generated once per process.
///
/// `Spec::constants()` rebuilds these tables on every call, which is what
/// makes the library's per-call `Hash` slow in tight native loops.
struct Constants {
    round_constants: Vec<[Fp; WIDTH]>,
    mds: Mds<Fp, WIDTH>,
}

fn constants() -> &'static Constants {
    static CONSTANTS: OnceLock<Constants> = OnceLock::new();
    CONSTANTS.get_or_init(|| {
        let (round_constants, mds, _) = <P128Pow5T3 as Spec<Fp, WIDTH, RATE>>::constants();
        Constants {
            round_constants,
            mds,
        }
    })
}

fn pow5(x: Fp) -> Fp {
    x.square().square() * x
}

/// The Poseidon permutation (full, partial, full rounds) on a width-3 state.
fn permute(state: &mut [Fp; WIDTH]) {
    let c = constants();
    let half_full = <P128Pow5T3 as Spec<Fp, WIDTH, RATE>>::full_rounds() / 2;
    let partial = <P128Pow5T3 as Spec<Fp, WIDTH, RATE>>::partial_rounds();
    for (round, rc) in c.round_constants.iter().enumerate() {
        let is_full = round < half_full || round >= half_full + partial;
        for (word, rc) in state.iter_mut().zip(rc) {
            *word += rc;
        }
        if is_full {
            for word in state.iter_mut() {
                *word = pow5(*word);
            }
        } else {
            state[0] = pow5(state[0]);
        }
        let old = *state;
        for (row, out) in c.mds.iter().zip(state.iter_mut()) {
            *out = row[0] * old[0] + row[1] * old[1] + row[2] * old[2];
        }
    }
}

/// Hashes `inputs` in the domain `tag` (the sponge described in the module
/// docs). `inputs` must not be empty.
pub fn hash(tag: u64, inputs: &[Fp]) -> Fp {
    assert!(!inputs.is_empty(), "Bulkhead never hashes an empty input");
    let mut state = [Fp::ZERO, Fp::ZERO, capacity(tag, inputs.len())];
    for chunk in inputs.chunks(RATE) {
        for (word, input) in state.iter_mut().zip(chunk) {
            *word += input;
        }
        permute(&mut state);
    }
    state[0]
}

/// Account leaf `H(owner, asset, balance, nonce)`.
pub fn account_leaf(owner: Fp, asset: Fp, balance: Fp, nonce: Fp) -> Fp {
    hash(tag::ACCOUNT_LEAF, &[owner, asset, balance, nonce])
}

/// Silo leaf `H(asset, collateral, cap, window_epoch, window_outflow)`.
pub fn silo_leaf(asset: Fp, collateral: Fp, cap: Fp, window_epoch: Fp, window_outflow: Fp) -> Fp {
    hash(
        tag::SILO_LEAF,
        &[asset, collateral, cap, window_epoch, window_outflow],
    )
}

/// Lane leaf `H(dst, asset)`.
pub fn lane_leaf(dst: Fp, asset: Fp) -> Fp {
    hash(tag::LANE_LEAF, &[dst, asset])
}

/// Lane id `H(src, dst, asset)`, bound into every exit leaf.
pub fn lane_id(src: Fp, dst: Fp, asset: Fp) -> Fp {
    hash(tag::LANE_ID, &[src, dst, asset])
}

/// Boundary root `H(silo_root, lanes_root, exit_seq)`.
pub fn boundary_root(silo_root: Fp, lanes_root: Fp, exit_seq: Fp) -> Fp {
    hash(tag::BOUNDARY, &[silo_root, lanes_root, exit_seq])
}

/// Bits the nonce takes in [`account_nonce`].
pub const NONCE_BITS: u32 = 64;

/// The sender's account index and nonce packed into one field element,
/// `account·2^64 + nonce`, as the exit leaf carries them.
///
/// Injective on u64 pairs (the packing is below 2^128, far from the field's
/// modulus), so an exit leaf names exactly one account and one nonce. The
/// circuit packs the index its Merkle path bits spell (below 2^D, D <= 32)
/// with the range-checked nonce (below 2^64).
pub fn account_nonce(account: u64, nonce: u64) -> Fp {
    Fp::from_u128((u128::from(account) << NONCE_BITS) | u128::from(nonce))
}

/// Exit leaf `H(lane_id, seq, account_nonce, owner, recipient, amount)`:
/// six inputs, three permutations, with `account_nonce` from
/// [`account_nonce`].
pub fn exit_leaf(
    lane_id: Fp,
    seq: Fp,
    account_nonce: Fp,
    owner: Fp,
    recipient: Fp,
    amount: Fp,
) -> Fp {
    hash(
        tag::EXIT_LEAF,
        &[lane_id, seq, account_nonce, owner, recipient, amount],
    )
}

/// The owner field of an account: `H(lo, hi)` over the two little-endian
/// 128-bit halves of a 32-byte public key (each half is a canonical field
/// element, so the encoding is injective).
pub fn owner_of_key(public_key: &[u8; 32]) -> Fp {
    let half = |bytes: &[u8]| {
        let mut buf = [0u8; 16];
        buf.copy_from_slice(bytes);
        Fp::from_u128(u128::from_le_bytes(buf))
    };
    hash(
        tag::OWNER,
        &[half(&public_key[..16]), half(&public_key[16..])],
    )
}

/// A u64 as a field element.
pub fn fp(value: u64) -> Fp {
    Fp::from(value)
}

/// The field element whose canonical little-endian encoding is `bytes`;
/// `None` for a non-canonical encoding (a value at or above p). Every
/// decoder of untrusted field elements goes through here.
pub fn fp_from_bytes(bytes: [u8; 32]) -> Option<Fp> {
    Option::from(Fp::from_repr(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_poseidon::{ConstantLength, Hash};

    fn library<const L: usize>(inputs: [Fp; L]) -> Fp {
        Hash::<Fp, P128Pow5T3, ConstantLength<L>, WIDTH, RATE>::init().hash(inputs)
    }

    #[test]
    fn tag_zero_is_the_library_constant_length_hash() {
        let x = |v: u64| Fp::from(v * 7919 + 13);
        assert_eq!(hash(0, &[x(1)]), library([x(1)]));
        assert_eq!(hash(0, &[x(1), x(2)]), library([x(1), x(2)]));
        assert_eq!(hash(0, &[x(1), x(2), x(3)]), library([x(1), x(2), x(3)]));
        assert_eq!(
            hash(0, &[x(1), x(2), x(3), x(4), x(5), x(6)]),
            library([x(1), x(2), x(3), x(4), x(5), x(6)])
        );
    }

    #[test]
    fn account_nonce_packs_injectively() {
        assert_eq!(account_nonce(0, 7), Fp::from(7));
        assert_eq!(account_nonce(1, 0), Fp::from_u128(1 << 64));
        assert_ne!(account_nonce(1, 0), account_nonce(0, u64::MAX));
        assert_eq!(
            account_nonce(u64::MAX, u64::MAX),
            Fp::from_u128(u128::MAX),
            "the largest packing is below 2^128, so it never wraps"
        );
    }

    #[test]
    fn uses_with_equal_inputs_do_not_collide() {
        let (a, b) = (Fp::from(5), Fp::from(9));
        let tags = [
            tag::ACCOUNT_NODE,
            tag::SILO_NODE,
            tag::LANE_NODE,
            tag::LANE_LEAF,
        ];
        let outs: Vec<Fp> = tags.iter().map(|t| hash(*t, &[a, b])).collect();
        for i in 0..outs.len() {
            for j in i + 1..outs.len() {
                assert_ne!(outs[i], outs[j], "tags {} and {}", tags[i], tags[j]);
            }
        }
        assert_ne!(
            hash(tag::LANE_ID, &[a, b]),
            hash(tag::LANE_ID, &[a, b, Fp::ZERO])
        );
    }
}
