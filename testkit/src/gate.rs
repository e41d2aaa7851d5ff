//! Gate configurations over seeded segments, and the stream items their
//! validators and guardians sign.

use std::collections::BTreeMap;

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::messages::{attestation_message, guardian_message};
use bulkhead_protocol::model::SegmentState;
use bulkhead_protocol::CircuitShape;
use bulkhead_verifier::gate::{
    Attestation, DeclaredSilo, GateConfig, GuardianAction, GuardianScope, Hex32, IndexedSignature,
    SourceConfig, StreamItem,
};

use crate::keys::{public_key, secret, sign};
use crate::sample;

/// Validators per segment.
pub const VALIDATORS: usize = 4;
/// Validator signatures an attestation needs.
pub const VALIDATOR_THRESHOLD: usize = 3;
/// Guardians of the stream, and of each gate.
pub const GUARDIANS: usize = 3;
/// Guardian votes that move a breaker.
pub const GUARDIAN_THRESHOLD: usize = 2;
/// Most a gate credits from one source per epoch.
pub const INBOUND_LIMIT: u64 = 2_000;

/// The configuration of gate `me` following every segment of `genesis`.
pub fn gate_config(
    seed: u64,
    me: u64,
    shape: CircuitShape,
    digest: [u8; 32],
    genesis: &BTreeMap<u64, SegmentState>,
) -> GateConfig {
    let key = |role: &str, a: u64, b: u64| Hex32(public_key(&secret(seed, role, a, b)));
    GateConfig {
        segment: me,
        sources: genesis
            .iter()
            .map(|(id, state)| SourceConfig {
                segment: *id,
                shape,
                vk_digest: digest,
                validators: (0..VALIDATORS as u64)
                    .map(|v| key("validator", *id, v))
                    .collect(),
                threshold: VALIDATOR_THRESHOLD,
                accounts_root: state.accounts_root(),
                boundary_root: state.boundary_root(),
                silos: [sample::ASSET, sample::OTHER_ASSET]
                    .iter()
                    .filter_map(|a| state.silo(*a))
                    .map(|s| DeclaredSilo {
                        asset: s.asset,
                        collateral: s.collateral,
                        cap: s.cap,
                    })
                    .collect(),
            })
            .collect(),
        stream_guardians: (0..GUARDIANS as u64)
            .map(|g| key("stream-guardian", 0, g))
            .collect(),
        stream_threshold: GUARDIAN_THRESHOLD,
        local_guardians: (0..GUARDIANS as u64)
            .map(|g| key("local-guardian", me, g))
            .collect(),
        local_threshold: GUARDIAN_THRESHOLD,
        inbound_limit: INBOUND_LIMIT,
    }
}

/// An attestation of `root` after `parent` by the first `signers`
/// validators of `segment`.
pub fn attestation(seed: u64, segment: u64, parent: Fp, root: Fp, signers: usize) -> StreamItem {
    let message = attestation_message(segment, &parent, &root);
    let signatures = (0..signers)
        .map(|index| IndexedSignature {
            index,
            signature: sign(&secret(seed, "validator", segment, index as u64), &message),
        })
        .collect();
    StreamItem::Attestation(Attestation {
        segment,
        parent,
        root,
        signatures,
    })
}

/// A vote of guardian `guardian` (of the stream, or of gate `target`) to
/// trip or release a breaker in `round`.
pub fn guardian_vote(
    seed: u64,
    scope: GuardianScope,
    target: u64,
    trip: bool,
    round: u64,
    guardian: usize,
) -> StreamItem {
    let (role, owner) = match scope {
        GuardianScope::Stream => ("stream-guardian", 0),
        GuardianScope::Local => ("local-guardian", target),
    };
    let message = guardian_message(scope.message_byte(), target, trip, round);
    StreamItem::Guardian(GuardianAction {
        scope,
        target,
        trip,
        round,
        vote: IndexedSignature {
            index: guardian,
            signature: sign(&secret(seed, role, owner, guardian as u64), &message),
        },
    })
}
