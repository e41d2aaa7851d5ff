//! The bundle wire format: round trips, one encoding per bundle, a typed
//! error for every malformation, no panic on random mutations.

use bulkhead_protocol::bundle::{Bundle, BundleError, SignedExit, EXIT_BYTES};
use bulkhead_protocol::{CircuitShape, Fp};
use bulkhead_testkit::sample;
use proptest::prelude::*;

/// A bundle with the exits of a real batch and a stand-in proof (the
/// format does not look inside the proof).
fn bundle() -> Bundle {
    let shape = CircuitShape::TINY;
    let mut state = sample::segment(1, &shape).unwrap();
    let outcome = state
        .apply_exits(&sample::batch(sample::EPOCH, &[(0, 300), (2, 200)]), &shape)
        .unwrap();
    let exits = outcome
        .exits
        .iter()
        .map(|e| SignedExit::for_record(e, sample::public_key(e.account), [7; 64]))
        .collect();
    Bundle {
        shape,
        vk_digest: [9; 32],
        instance: outcome.instance,
        proof: vec![1, 2, 3, 4, 5],
        stream_id: 0x0102_0304_0506_0708,
        exits,
    }
}

#[test]
fn round_trips_and_exits_match_the_public_inputs() {
    let b = bundle();
    assert!(b.exits_match_public_inputs());
    assert_eq!(Bundle::from_bytes(&b.to_bytes()), Ok(b.clone()));
    let public = Bundle::public_from_bytes(&b.public_bytes()).unwrap();
    assert_eq!(public.instance, b.instance);
    assert!(public.exits.is_empty());
}

#[test]
fn a_changed_exit_no_longer_matches() {
    let mut b = bundle();
    b.exits[1].amount += 1;
    assert!(!b.exits_match_public_inputs());
    let mut b = bundle();
    b.exits[0].recipient = Fp::from(5);
    assert!(!b.exits_match_public_inputs());
    // Same owner key, same nonce, another account: another exit leaf.
    let mut b = bundle();
    b.exits[1].account = 4;
    assert!(!b.exits_match_public_inputs());
}

#[test]
fn each_malformation_has_its_error() {
    let bytes = bundle().to_bytes();
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert_eq!(Bundle::from_bytes(&bad), Err(BundleError::BadMagic));
    // A version-1 bundle (exits without their account) is not read.
    let mut bad = bytes.clone();
    bad[8] = 1;
    assert_eq!(
        Bundle::from_bytes(&bad),
        Err(BundleError::UnknownVersion(1))
    );
    let mut bad = bytes.clone();
    bad[13] = 3; // batch size 3
    assert!(matches!(
        Bundle::from_bytes(&bad),
        Err(BundleError::InvalidShape(_))
    ));
    let mut bad = bytes.clone();
    bad.push(0);
    assert_eq!(Bundle::from_bytes(&bad), Err(BundleError::TrailingBytes(1)));
    assert!(matches!(
        Bundle::from_bytes(&bytes[..bytes.len() - 1]),
        Err(BundleError::Truncated { .. })
    ));
    // SRC (first public input) set to p - 1 + 2^255: not canonical.
    let mut bad = bytes.clone();
    bad[48..80].copy_from_slice(&[0xff; 32]);
    assert!(matches!(
        Bundle::from_bytes(&bad),
        Err(BundleError::NonCanonical { .. })
    ));
    // SRC = 2^64: canonical but not a u64.
    let mut bad = bytes.clone();
    bad[48..80].fill(0);
    bad[56] = 1;
    assert_eq!(
        Bundle::from_bytes(&bad),
        Err(BundleError::PublicInputRange("SRC"))
    );
    // Proof length far beyond any proof.
    let at = 48 + 12 * 32;
    let mut bad = bytes.clone();
    bad[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        Bundle::from_bytes(&bad),
        Err(BundleError::OversizedProof(u32::MAX as usize))
    );
    // An account index at 2^D, outside TINY's accounts tree (D = 4).
    let at = bytes.len() - EXIT_BYTES + 32;
    let mut bad = bytes.clone();
    bad[at..at + 8].copy_from_slice(&16u64.to_le_bytes());
    assert_eq!(
        Bundle::from_bytes(&bad),
        Err(BundleError::AccountOutOfRange {
            exit: 1,
            account: 16,
            depth: 4
        })
    );
    bad[at..at + 8].copy_from_slice(&15u64.to_le_bytes());
    assert_eq!(Bundle::from_bytes(&bad).unwrap().exits[1].account, 15);
    // One exit fewer than EXIT_COUNT.
    let mut b = bundle();
    b.exits.pop();
    assert!(matches!(
        Bundle::from_bytes(&b.to_bytes()),
        Err(BundleError::ExitCount {
            carried: 1,
            claimed: 2,
            slots: 2
        })
    ));
}

proptest! {
    #[test]
    fn random_mutations_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        extend in prop::collection::vec(any::<u8>(), 0..4),
    ) {
        let original = bundle().to_bytes();
        let mut bytes = original.clone();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] ^= value | 1;
        }
        let _ = Bundle::from_bytes(&bytes);
        let cut = cut.index(bytes.len());
        let _ = Bundle::from_bytes(&bytes[..cut]);
        bytes.extend_from_slice(&extend);
        // A changed encoding never decodes to the honest bundle.
        if bytes != original {
            prop_assert_ne!(Bundle::from_bytes(&bytes).ok(), Some(bundle()));
        }
    }
}

#[test]
fn a_first_seq_near_2_pow_64_is_a_mismatch_not_a_panic() {
    // FIRST_SEQ + i computed in u64 would overflow for slot 1.
    let mut b = bundle();
    b.instance.first_seq = u64::MAX;
    let decoded = Bundle::from_bytes(&b.to_bytes()).unwrap();
    assert!(!decoded.exits_match_public_inputs());
    // The leaves use FIRST_SEQ + i in the field, as the circuit does.
    let leaves = decoded.exit_leaves();
    assert_eq!(leaves.len(), 2);
    assert_ne!(leaves[0], leaves[1]);
}

#[test]
fn encoded_len_is_the_length_of_the_encoding() {
    let b = bundle();
    assert_eq!(
        Bundle::encoded_len(b.proof.len(), b.exits.len()),
        b.to_bytes().len()
    );
    let full = Bundle::max_encoded_len(&b.shape, b.proof.len());
    assert_eq!(
        full - b.to_bytes().len(),
        (b.shape.batch_size as usize - b.exits.len()) * EXIT_BYTES
    );
}
