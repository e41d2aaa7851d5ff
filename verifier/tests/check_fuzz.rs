//! `check_bundle` on hostile bytes: arbitrary byte strings, and field-level
//! mutations of a valid bundle (every public input, every exit field, the
//! shape, the digest, the proof), including hostile numbers such as
//! 2^64 - 1. Nothing panics; every change is refused. Bounded case counts
//! keep this in CI; raise `PROPTEST_CASES` to fuzz longer.

mod common;

use std::sync::OnceLock;

use bulkhead_protocol::bundle::Bundle;
use bulkhead_protocol::hash::Fp;
use bulkhead_verifier::{check_bundle, VerifierKeys};
use common::*;
use proptest::prelude::*;

fn keys() -> &'static VerifierKeys {
    static KEYS: OnceLock<VerifierKeys> = OnceLock::new();
    KEYS.get_or_init(verifier_keys)
}

/// A hostile u64: small, near 2^64, or anything.
fn hostile() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..4,
        Just(u64::MAX),
        Just(u64::MAX - 1),
        Just(1 << 63),
        any::<u64>(),
    ]
}

/// Applies mutation `which` with `value` to a copy of `bundle`.
fn mutate(bundle: &Bundle, which: u8, value: u64) -> Bundle {
    let mut b = bundle.clone();
    let i = &mut b.instance;
    match which % 16 {
        0 => i.src = value,
        1 => i.dst = value,
        2 => i.asset = value,
        3 => i.epoch = value,
        4 => i.first_seq = value,
        5 => i.exit_count = value,
        6 => i.total = value,
        7 => i.accounts_after = Fp::from(value),
        8 => i.boundary_after = Fp::from(value),
        9 => i.exits_root = Fp::from(value),
        10 => b.exits[0].amount = value,
        11 => b.exits[1].nonce = value,
        12 => b.exits[0].recipient = Fp::from(value),
        13 => b.exits[1].public_key[(value % 32) as usize] ^= 1 | value as u8,
        14 => {
            let at = (value as usize) % b.proof.len();
            b.proof[at] ^= 1 | (value >> 8) as u8;
        }
        _ => b.vk_digest[(value % 32) as usize] ^= 1 | value as u8,
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_are_refused_without_a_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..6_000),
    ) {
        prop_assert!(check_bundle(&bytes, keys()).is_err());
    }

    #[test]
    fn a_valid_bundle_with_one_field_changed_is_refused(which in any::<u8>(), value in hostile()) {
        let honest = &bundles()[0];
        let mutated = mutate(honest, which, value);
        let result = check_bundle(&mutated.to_bytes(), keys());
        if mutated == *honest {
            prop_assert!(result.is_ok());
        } else {
            prop_assert!(result.is_err(), "accepted a changed bundle: {which} = {value}");
        }
    }

    #[test]
    fn random_byte_windows_of_a_valid_bundle_are_refused(
        at in any::<prop::sample::Index>(),
        window in prop::collection::vec(any::<u8>(), 1..48),
    ) {
        let honest = bundles()[0].to_bytes();
        let mut bytes = honest.clone();
        let start = at.index(bytes.len());
        for (k, b) in window.iter().enumerate() {
            if let Some(slot) = bytes.get_mut(start + k) {
                *slot = *b;
            }
        }
        if bytes != honest {
            prop_assert!(check_bundle(&bytes, keys()).is_err());
        }
    }

    #[test]
    fn truncated_or_extended_encodings_are_refused(cut in any::<prop::sample::Index>(), extra in prop::collection::vec(any::<u8>(), 1..64)) {
        let bytes = bundles()[0].to_bytes();
        prop_assert!(check_bundle(&bytes[..cut.index(bytes.len())], keys()).is_err());
        let mut longer = bytes.clone();
        longer.extend_from_slice(&extra);
        prop_assert!(check_bundle(&longer, keys()).is_err());
    }
}

#[test]
fn the_honest_bundle_passes_every_check() {
    check_bundle(&bundles()[0].to_bytes(), keys()).unwrap();
}
