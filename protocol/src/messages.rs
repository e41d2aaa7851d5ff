//! The exact bytes each signer signs: account owners (exits), validators
//! (attestations) and guardians (breaker votes, ticks). Every message starts
//! with its own 16-byte domain separator, so a signature for one purpose is
//! never valid for another, and then names the stream id, so where one key
//! serves two streams, a signature made for one never counts on the other. Signing and verifying live with the keys (prover,
//! verifier, testkit); the messages live here so that all of them agree.

use ff::PrimeField;

use crate::hash::Fp;

/// Domain separator of the message an account owner signs for an exit.
/// Version 2 named the account (v1 did not, so one signature could debit
/// every account of its owner); version 3 names the stream, so an exit
/// signed on one stream (a test network's, say) cannot debit the same
/// account on another. No earlier signature verifies under it.
pub const EXIT_SIGNING_DOMAIN: &[u8; 16] = b"bulkhead/exit/v3";
/// Domain separator of validator attestations. Version 2 names the stream
/// (v1 did not).
pub const ATTESTATION_DOMAIN: &[u8; 16] = b"bulkhead/attest2";
/// Domain separator of guardian actions. Version 2 names the stream.
pub const GUARDIAN_DOMAIN: &[u8; 16] = b"bulkhead/guard/2";
/// Domain separator of epoch ticks. Version 2 names the stream.
pub const TICK_DOMAIN: &[u8; 16] = b"bulkhead/tick/v2";
/// Domain tag of an import: its own, so no attestation, tick or vote
/// signature is ever also an import's.
pub const IMPORT_DOMAIN: &[u8; 16] = b"bulkhead/import1";

/// Domain tag of a governance item (a change to a source's boundary by
/// its validators or the stream guardians): its own, so no other
/// signature is ever also a governance item's.
///
/// Version 2 adds the lane position a lane change names and the digest of
/// the validator set a rotation names; no version-1 signature verifies
/// (its message is 40 bytes shorter).
pub const GOVERNANCE_DOMAIN: &[u8; 16] = b"bulkhead/govern2";

/// Bytes of an exit message.
pub const EXIT_MESSAGE_BYTES: usize = 16 + 8 + 32 + 8 + 8 + 32 + 8;

/// The message an owner signs to authorise one debit of one account
/// (rule G4): the domain separator, the stream id, the lane id, the
/// account's index in the accounts tree, its nonce, the recipient and the
/// amount.
///
/// ```text
/// domain "bulkhead/exit/v3" [16] | stream_id u64 LE | lane_id [32] |
/// account u64 LE | nonce u64 LE | recipient [32] | amount u64 LE
///                                                         (112 bytes)
/// ```
pub fn exit_message(
    stream_id: u64,
    lane_id: &Fp,
    account: u64,
    nonce: u64,
    recipient: &Fp,
    amount: u64,
) -> Vec<u8> {
    let mut message = Vec::with_capacity(EXIT_MESSAGE_BYTES);
    message.extend_from_slice(EXIT_SIGNING_DOMAIN);
    message.extend_from_slice(&stream_id.to_le_bytes());
    message.extend_from_slice(lane_id.to_repr().as_ref());
    message.extend_from_slice(&account.to_le_bytes());
    message.extend_from_slice(&nonce.to_le_bytes());
    message.extend_from_slice(recipient.to_repr().as_ref());
    message.extend_from_slice(&amount.to_le_bytes());
    message
}

/// The message validators of `segment` sign to attest `root` at `height`,
/// after `parent` (the root at `height - 1`), on stream `stream_id`.
///
/// ```text
/// domain "bulkhead/attest2" [16] | stream_id u64 LE | segment u64 LE |
/// height u64 LE | parent [32] | root [32]                 (104 bytes)
/// ```
pub fn attestation_message(
    stream_id: u64,
    segment: u64,
    height: u64,
    parent: &Fp,
    root: &Fp,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(16 + 8 + 8 + 8 + 64);
    m.extend_from_slice(ATTESTATION_DOMAIN);
    m.extend_from_slice(&stream_id.to_le_bytes());
    m.extend_from_slice(&segment.to_le_bytes());
    m.extend_from_slice(&height.to_le_bytes());
    m.extend_from_slice(parent.to_repr().as_ref());
    m.extend_from_slice(root.to_repr().as_ref());
    m
}

/// Whose breaker a guardian vote moves, as it is encoded in the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardianScopeByte {
    /// The stream's quarantine of a source (byte 0).
    Stream = 0,
    /// One gate's local breaker (byte 1).
    Local = 1,
}

/// The message a guardian signs: the stream, the scope, the target (source
/// or gate segment), trip (1) or release (0), and the breaker round it
/// applies to (so an old vote cannot be replayed).
///
/// ```text
/// domain "bulkhead/guard/2" [16] | stream_id u64 LE | scope [1] |
/// target u64 LE | trip [1] | round u64 LE                  (42 bytes)
/// ```
pub fn guardian_message(
    stream_id: u64,
    scope: GuardianScopeByte,
    target: u64,
    trip: bool,
    round: u64,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(16 + 8 + 1 + 8 + 1 + 8);
    m.extend_from_slice(GUARDIAN_DOMAIN);
    m.extend_from_slice(&stream_id.to_le_bytes());
    m.push(scope as u8);
    m.extend_from_slice(&target.to_le_bytes());
    m.push(trip as u8);
    m.extend_from_slice(&round.to_le_bytes());
    m
}

/// The message stream guardians sign to open `epoch` at `time` (seconds)
/// on stream `stream_id`.
///
/// ```text
/// domain "bulkhead/tick/v2" [16] | stream_id u64 LE | epoch u64 LE |
/// time u64 LE                                              (40 bytes)
/// ```
pub fn tick_message(stream_id: u64, epoch: u64, time: u64) -> Vec<u8> {
    let mut m = Vec::with_capacity(16 + 8 + 8 + 8);
    m.extend_from_slice(TICK_DOMAIN);
    m.extend_from_slice(&stream_id.to_le_bytes());
    m.extend_from_slice(&epoch.to_le_bytes());
    m.extend_from_slice(&time.to_le_bytes());
    m
}

/// What an import says, as its validators sign it: `segment`'s execution
/// credited `amount` of `asset`, received from other segments, to its
/// accounts, moving them from `parent` (the root at `height - 1`) to
/// `root` at `height`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportStatement<'a> {
    /// The importing segment.
    pub segment: u64,
    /// Height of `root` in the segment's chain.
    pub height: u64,
    /// The accounts root before the credit.
    pub parent: &'a Fp,
    /// The accounts root after it.
    pub root: &'a Fp,
    /// The asset.
    pub asset: u64,
    /// The amount imported.
    pub amount: u64,
}

/// The message validators of the importing segment sign for an import on
/// stream `stream_id`.
///
/// ```text
/// domain "bulkhead/import1" [16] | stream_id u64 LE | segment u64 LE |
/// height u64 LE | parent [32] | root [32] | asset u64 LE |
/// amount u64 LE                                           (120 bytes)
/// ```
pub fn import_message(stream_id: u64, import: &ImportStatement<'_>) -> Vec<u8> {
    let mut m = Vec::with_capacity(16 + 8 * 3 + 64 + 8 * 2);
    m.extend_from_slice(IMPORT_DOMAIN);
    m.extend_from_slice(&stream_id.to_le_bytes());
    m.extend_from_slice(&import.segment.to_le_bytes());
    m.extend_from_slice(&import.height.to_le_bytes());
    m.extend_from_slice(import.parent.to_repr().as_ref());
    m.extend_from_slice(import.root.to_repr().as_ref());
    m.extend_from_slice(&import.asset.to_le_bytes());
    m.extend_from_slice(&import.amount.to_le_bytes());
    m
}

/// What a governance item says, as its signers sign it: change number
/// `seq` of `segment`'s boundary, of kind `kind` (PROTOCOL.md 7.12 lists
/// the kinds and what `asset` and `value` mean for each), signed by the
/// source's validators (`by` 0) or the stream guardians (`by` 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GovernanceStatement {
    /// The source whose boundary changes.
    pub segment: u64,
    /// The source's governance sequence number: the item's place among
    /// its changes, so none replays or reorders.
    pub seq: u64,
    /// The change's kind byte.
    pub kind: u8,
    /// The asset it changes (0 where the kind names none).
    pub asset: u64,
    /// The cap, amount, limit, lane destination or change number it
    /// names.
    pub value: u64,
    /// The lanes-tree position a lane change names (0 for the others).
    pub position: u64,
    /// The digest of the validator set a rotation names
    /// ([`validator_set_digest`]; zeros for the others).
    pub digest: [u8; 32],
    /// Who signs: 0 the source's validators, 1 the stream guardians.
    pub by: u8,
}

/// The message the signers of a governance item sign on stream
/// `stream_id`.
///
/// ```text
/// domain "bulkhead/govern2" [16] | stream_id u64 LE | segment u64 LE |
/// seq u64 LE | kind [1] | asset u64 LE | value u64 LE | position u64 LE |
/// digest [32] | by [1]                                     (98 bytes)
/// ```
pub fn governance_message(stream_id: u64, statement: &GovernanceStatement) -> Vec<u8> {
    let mut m = Vec::with_capacity(16 + 8 * 3 + 1 + 8 * 3 + 32 + 1);
    m.extend_from_slice(GOVERNANCE_DOMAIN);
    m.extend_from_slice(&stream_id.to_le_bytes());
    m.extend_from_slice(&statement.segment.to_le_bytes());
    m.extend_from_slice(&statement.seq.to_le_bytes());
    m.push(statement.kind);
    m.extend_from_slice(&statement.asset.to_le_bytes());
    m.extend_from_slice(&statement.value.to_le_bytes());
    m.extend_from_slice(&statement.position.to_le_bytes());
    m.extend_from_slice(&statement.digest);
    m.push(statement.by);
    m
}

/// The digest of a validator set, as a rotation's message names it:
/// BLAKE2b-256, personalisation `"Bulkhead_vset_1_"`, of
///
/// ```text
/// threshold u64 LE | count u64 LE | key_0 [32] | ... | key_{count-1} [32]
/// ```
pub fn validator_set_digest(threshold: u64, keys: &[[u8; 32]]) -> [u8; 32] {
    let mut state = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"Bulkhead_vset_1_")
        .to_state();
    state.update(&threshold.to_le_bytes());
    state.update(&(keys.len() as u64).to_le_bytes());
    for key in keys {
        state.update(key);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(state.finalize().as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_of_different_purposes_never_share_a_prefix() {
        let (a, b) = (Fp::from(1), Fp::from(2));
        let exit = exit_message(0, &a, 0, 0, &b, 1);
        let attest = attestation_message(0, 0, 1, &a, &b);
        let guard = guardian_message(0, GuardianScopeByte::Stream, 0, true, 0);
        let tick = tick_message(0, 1, 2);
        let import = import_message(0, &statement(&a, &b));
        assert_eq!(import.len(), 120);
        let govern = governance_message(0, &governance());
        assert_eq!(govern.len(), 98);
        let domains = [
            &exit[..16],
            &attest[..16],
            &guard[..16],
            &tick[..16],
            &import[..16],
            &govern[..16],
        ];
        for (i, a) in domains.iter().enumerate() {
            for b in &domains[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_ne!(
            guardian_message(0, GuardianScopeByte::Local, 0, true, 0),
            guard
        );
    }

    #[test]
    fn stream_messages_name_their_stream() {
        let (a, b) = (Fp::from(1), Fp::from(2));
        assert_ne!(
            attestation_message(1, 0, 1, &a, &b),
            attestation_message(2, 0, 1, &a, &b)
        );
        assert_ne!(
            guardian_message(1, GuardianScopeByte::Stream, 0, true, 0),
            guardian_message(2, GuardianScopeByte::Stream, 0, true, 0)
        );
        assert_ne!(tick_message(1, 1, 2), tick_message(2, 1, 2));
        assert_eq!(tick_message(5, 1, 2)[16..24], 5u64.to_le_bytes());
        let import = statement(&a, &b);
        assert_ne!(import_message(1, &import), import_message(2, &import));
        assert_eq!(import_message(5, &import)[16..24], 5u64.to_le_bytes());
        assert_ne!(
            governance_message(1, &governance()),
            governance_message(2, &governance())
        );
        assert_eq!(
            governance_message(5, &governance())[16..24],
            5u64.to_le_bytes()
        );
    }

    fn governance() -> GovernanceStatement {
        GovernanceStatement {
            segment: 3,
            seq: 0,
            kind: 1,
            asset: 1,
            value: 100,
            position: 0,
            digest: [0; 32],
            by: 0,
        }
    }

    fn statement<'a>(parent: &'a Fp, root: &'a Fp) -> ImportStatement<'a> {
        ImportStatement {
            segment: 3,
            height: 4,
            parent,
            root,
            asset: 1,
            amount: 50,
        }
    }

    #[test]
    fn exit_messages_name_the_account() {
        let (lane, recipient) = (Fp::from(1), Fp::from(2));
        let message = exit_message(9, &lane, 3, 4, &recipient, 5);
        assert_eq!(message.len(), EXIT_MESSAGE_BYTES);
        assert_eq!(message[16..24], 9u64.to_le_bytes());
        assert_eq!(message[56..64], 3u64.to_le_bytes());
        assert_eq!(message[64..72], 4u64.to_le_bytes());
        assert_ne!(message, exit_message(9, &lane, 2, 4, &recipient, 5));
        assert_ne!(message, exit_message(8, &lane, 3, 4, &recipient, 5));
    }
}
