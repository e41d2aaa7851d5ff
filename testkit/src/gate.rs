//! Gate configurations over seeded segments, and the stream items their
//! validators and guardians sign.

use std::collections::BTreeMap;

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::messages::{
    attestation_message, guardian_message, import_message, tick_message,
};
use bulkhead_protocol::model::{Lane, SegmentState};
use bulkhead_protocol::CircuitShape;
use bulkhead_verifier::gate::{
    Attestation, BoundaryChange, ClockConfig, GateConfig, Governance, GuardianAction,
    GuardianScope, Hex32, Import, IndexedSignature, Signers, SiloOpening, SourceConfig, StreamItem,
    Tick,
};

use crate::keys::{public_key, secret, sign};
use crate::sample;

/// Validators per segment.
pub const VALIDATORS: usize = 4;
/// Validator signatures an attestation needs.
pub const VALIDATOR_THRESHOLD: usize = 3;
/// Guardians of the stream, and of each gate.
pub const GUARDIANS: usize = 3;
/// Guardian votes that move a breaker or sign a tick.
pub const GUARDIAN_THRESHOLD: usize = 2;
/// Most a gate credits from one source per epoch.
pub const INBOUND_LIMIT: u64 = 2_000;
/// The sample stream's id, which every sample attestation, tick and vote
/// is signed over.
pub const STREAM_ID: u64 = 1;
/// Seconds between ticks.
pub const EPOCH_LENGTH: u64 = 3_600;
/// The stream's epoch when the sample gates start: the first tick opens
/// the sample's epoch, [`sample::EPOCH`].
pub const GENESIS_EPOCH: u64 = sample::EPOCH - 1;

/// The registration of `state` as every gate sees it: shape and digest,
/// seeded validators, the current roots (height 0), and the opening of
/// each sample silo against the boundary root.
pub fn source_config(
    seed: u64,
    shape: CircuitShape,
    digest: [u8; 32],
    state: &SegmentState,
) -> SourceConfig {
    let id = state.id();
    SourceConfig {
        segment: id,
        shape,
        vk_digest: digest,
        validators: (0..VALIDATORS as u64)
            .map(|v| Hex32(public_key(&secret(seed, "validator", id, v))))
            .collect(),
        threshold: VALIDATOR_THRESHOLD,
        accounts_root: state.accounts_root(),
        genesis_height: 0,
        boundary_root: state.boundary_root(),
        lanes_root: state.lanes_root(),
        next_seq: state.exit_seq(),
        silos: state
            .silos()
            .values()
            .filter_map(|s| {
                let path = state.silo_path(s.asset).ok()?;
                Some(SiloOpening {
                    asset: s.asset,
                    collateral: s.collateral,
                    cap: s.cap,
                    window_epoch: s.window_epoch,
                    window_outflow: s.window_outflow,
                    siblings: path.siblings,
                })
            })
            .collect(),
        follow: Default::default(),
    }
}

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
        stream_id: STREAM_ID,
        segment: me,
        sources: genesis
            .values()
            .map(|state| source_config(seed, shape, digest, state))
            .collect(),
        stream_guardians: (0..GUARDIANS as u64)
            .map(|g| key("stream-guardian", 0, g))
            .collect(),
        stream_threshold: GUARDIAN_THRESHOLD,
        clock: ClockConfig {
            genesis_epoch: GENESIS_EPOCH,
            genesis_time: tick_time(GENESIS_EPOCH),
            epoch_length: EPOCH_LENGTH,
        },
        local_guardians: (0..GUARDIANS as u64)
            .map(|g| key("local-guardian", me, g))
            .collect(),
        local_threshold: GUARDIAN_THRESHOLD,
        inbound_limit: INBOUND_LIMIT,
        governance: Default::default(),
    }
}

/// The time of the sample clock's tick into `epoch`: one epoch length per
/// epoch.
pub fn tick_time(epoch: u64) -> u64 {
    epoch.saturating_mul(EPOCH_LENGTH)
}

/// A tick into `epoch` at `time`, signed by the first `signers` stream
/// guardians.
pub fn signed_tick(seed: u64, epoch: u64, time: u64, signers: usize) -> StreamItem {
    signed_tick_on(STREAM_ID, seed, epoch, time, signers)
}

/// [`signed_tick`] on stream `stream_id` (the same guardian keys serving
/// another stream).
pub fn signed_tick_on(
    stream_id: u64,
    seed: u64,
    epoch: u64,
    time: u64,
    signers: usize,
) -> StreamItem {
    let message = tick_message(stream_id, epoch, time);
    StreamItem::EpochTick(Tick {
        epoch,
        time,
        signatures: (0..signers)
            .map(|index| IndexedSignature {
                index,
                signature: sign(&secret(seed, "stream-guardian", 0, index as u64), &message),
            })
            .collect(),
    })
}

/// The sample clock's tick into `epoch`, signed by a threshold.
pub fn tick(seed: u64, epoch: u64) -> StreamItem {
    signed_tick(seed, epoch, tick_time(epoch), GUARDIAN_THRESHOLD)
}

/// An attestation of `root` at `height` after `parent` by the first
/// `signers` validators of `segment`.
pub fn attestation(
    seed: u64,
    segment: u64,
    height: u64,
    parent: Fp,
    root: Fp,
    signers: usize,
) -> StreamItem {
    let message = attestation_message(STREAM_ID, segment, height, &parent, &root);
    let signatures = (0..signers)
        .map(|index| IndexedSignature {
            index,
            signature: sign(&secret(seed, "validator", segment, index as u64), &message),
        })
        .collect();
    StreamItem::Attestation(Attestation {
        segment,
        height,
        parent,
        root,
        signatures,
    })
}

/// An import by `segment` of `amount` of `asset`, moving its accounts from
/// `parent` to `root` at `height`, signed on stream `stream_id` by the
/// first `signers` validators of the segment.
#[allow(clippy::too_many_arguments)]
pub fn import_on(
    stream_id: u64,
    seed: u64,
    segment: u64,
    height: u64,
    parent: Fp,
    root: Fp,
    asset: u64,
    amount: u64,
    signers: usize,
) -> Import {
    let mut import = Import {
        segment,
        height,
        parent,
        root,
        asset,
        amount,
        signatures: Vec::new(),
    };
    let message = import_message(stream_id, &import.statement());
    import.signatures = (0..signers)
        .map(|index| IndexedSignature {
            index,
            signature: sign(&secret(seed, "validator", segment, index as u64), &message),
        })
        .collect();
    import
}

/// An import by `segment` of `amount` of `asset`, one height above its
/// tip as `state` (a gate's) holds it, to the root `root_base + height` (a
/// stand-in root, distinct per height), signed by the first `signers`
/// validators (seeded by `seed`).
pub fn import_above_tip(
    seed: u64,
    state: &bulkhead_verifier::gate::GateState,
    segment: u64,
    root_base: u64,
    asset: u64,
    amount: u64,
    signers: usize,
) -> StreamItem {
    let source = &state.sources[&segment];
    let height = source.height + 1;
    StreamItem::Import(import_on(
        STREAM_ID,
        seed,
        segment,
        height,
        source.tip,
        Fp::from(root_base + height),
        asset,
        amount,
        signers,
    ))
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
    let message = guardian_message(STREAM_ID, scope.message_byte(), target, trip, round);
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

/// Governance item `seq` of `segment`: `change`, signed on stream
/// `stream_id` by the first `signers` of the source's validators or of the
/// stream guardians (seeded by `seed`).
pub fn governance_on(
    stream_id: u64,
    seed: u64,
    segment: u64,
    seq: u64,
    change: BoundaryChange,
    by: Signers,
    signers: usize,
) -> StreamItem {
    let mut item = Governance {
        segment,
        seq,
        change,
        by,
        signatures: Vec::new(),
        cosigners: Vec::new(),
    };
    let message = item.message(stream_id);
    let (role, owner) = match by {
        Signers::Validators => ("validator", segment),
        Signers::Guardians => ("stream-guardian", 0),
    };
    item.signatures = (0..signers)
        .map(|index| IndexedSignature {
            index,
            signature: sign(&secret(seed, role, owner, index as u64), &message),
        })
        .collect();
    StreamItem::Governance(item)
}

/// A lane change that flips lanes-tree position `position` of a source
/// registered as `registered`, with the lane positions its governance
/// changed so far (`governed`, the gate's record) applied: it removes the
/// lane there, or adds `fresh` where the position is empty, opened in the
/// lanes tree as it is now, so a gate admits it unless another rule (the
/// signers, a pending addition) refuses it.
pub fn lane_flip(
    registered: &SegmentState,
    governed: &BTreeMap<u64, Option<Lane>>,
    position: u64,
    fresh: Lane,
) -> BoundaryChange {
    let mut state = registered.clone();
    for (at, lane) in governed {
        // A duplicate lane the gates took (they know roots, not lanes)
        // leaves this model behind: its items are then refused, which
        // an adversarial stream wants too.
        let _ = state.set_lane_at(*at, *lane);
    }
    let siblings = state
        .lane_path(position)
        .map(|path| path.siblings)
        .unwrap_or_default();
    let held = state.lanes().iter().find(|(_, p)| **p == position);
    match held {
        Some((lane, _)) => BoundaryChange::RemoveLane {
            dst: lane.dst,
            asset: lane.asset,
            position,
            siblings,
        },
        None => BoundaryChange::AddLane {
            dst: fresh.dst,
            asset: fresh.asset,
            position,
            siblings,
        },
    }
}

/// A rotation `change` of `segment` at `seq` on stream `stream_id`,
/// signed by a threshold of the stream guardians of `seed` and cosigned
/// by the first `cosigners` validators of `segment` under `cosign_seed`.
pub fn rotation_on(
    stream_id: u64,
    seed: u64,
    segment: u64,
    seq: u64,
    change: BoundaryChange,
    cosign_seed: u64,
    cosigners: usize,
) -> StreamItem {
    let StreamItem::Governance(mut item) = governance_on(
        stream_id,
        seed,
        segment,
        seq,
        change,
        Signers::Guardians,
        GUARDIAN_THRESHOLD,
    ) else {
        unreachable!("governance_on makes a governance item")
    };
    let message = item.message(stream_id);
    item.cosigners = (0..cosigners)
        .map(|index| IndexedSignature {
            index,
            signature: sign(
                &secret(cosign_seed, "validator", segment, index as u64),
                &message,
            ),
        })
        .collect();
    StreamItem::Governance(item)
}

/// The keys of `count` validators of `segment` under `seed`: a set a
/// rotation hands the segment to.
pub fn validator_keys(seed: u64, segment: u64, count: usize) -> Vec<Hex32> {
    (0..count as u64)
        .map(|i| Hex32(public_key(&secret(seed, "validator", segment, i))))
        .collect()
}
