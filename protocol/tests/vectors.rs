//! Prints or checks the test vectors of `docs/PROTOCOL.md`.
//!
//! The document is the source of truth: this test recomputes every vector
//! from the native model and asserts that each `NAME = 0x...` line of the
//! document's vector block says the same. `BULKHEAD_PRINT_VECTORS=1` prints
//! the block, for updating the document on purpose.

use bulkhead_protocol::hash::{self, tag, Fp};
use bulkhead_protocol::hex::{encode, fp_to_hex};
use bulkhead_protocol::messages::{
    attestation_message, exit_message, governance_message, guardian_message, import_message,
    tick_message, GovernanceStatement, GuardianScopeByte, ImportStatement,
};
use bulkhead_protocol::mirror::BoundaryMirror;
use bulkhead_protocol::{instance, CircuitShape};
use bulkhead_testkit::keys::{public_key, sign};
use bulkhead_testkit::sample;

const SHAPE: CircuitShape = CircuitShape::TINY;

fn vectors() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut put = |name: &str, value: Fp| out.push((name.to_owned(), fp_to_hex(&value)));
    let one = Fp::from(1);
    let two = Fp::from(2);
    put(
        "capacity(tag=1, len=2)",
        hash::capacity(tag::ACCOUNT_NODE, 2),
    );
    put(
        "H_account_node(1, 2)",
        hash::hash(tag::ACCOUNT_NODE, &[one, two]),
    );
    put(
        "H_account_leaf(1, 2, 1, 2)",
        hash::account_leaf(one, two, one, two),
    );
    put("owner_of_key([1; 32])", hash::owner_of_key(&[1; 32]));
    put("account_nonce(3, 4)", hash::account_nonce(3, 4));
    put(
        "H_exit_leaf(1, 2, account_nonce(3, 4), 5, 6, 7)",
        hash::exit_leaf(
            one,
            two,
            hash::account_nonce(3, 4),
            Fp::from(5),
            Fp::from(6),
            Fp::from(7),
        ),
    );

    let mut state = sample::segment(1, &SHAPE).unwrap();
    put("accounts_root (sample segment 1)", state.accounts_root());
    put("boundary_root (sample segment 1)", state.boundary_root());
    // The boundary mirror a gate builds from the registration's openings.
    let mut mirror = BoundaryMirror::new(
        SHAPE.silo_depth,
        state
            .silos()
            .values()
            .map(|s| (*s, state.silo_path(s.asset).unwrap().siblings)),
        state.lanes_root(),
        state.exit_seq(),
    )
    .unwrap();
    let outcome = state
        .apply_exits(&sample::batch(sample::EPOCH, &[(0, 300), (0, 200)]), &SHAPE)
        .unwrap();
    let column = outcome.instance.to_halo2_instance();
    for (offset, value) in column.iter().enumerate() {
        put(&format!("PI[{offset}] {}", instance::NAMES[offset]), *value);
    }
    // The message account 0's owner signs for the batch's first exit.
    let first = outcome.exits[0];
    let lane_id = hash::lane_id(Fp::from(1), Fp::from(sample::DST), Fp::from(sample::ASSET));
    let message = exit_message(
        1,
        &lane_id,
        first.account,
        first.nonce,
        &first.recipient,
        first.amount,
    );
    // Ed25519 (RFC 8032) over that message, with the secret key [7; 32].
    let secret = [7u8; 32];
    let signature = sign(&secret, &message);
    out.push((
        "exit_message(stream 1, lane_id(1, 2, 1), account 0, nonce 0, recipient 100, amount 300)"
            .to_owned(),
        encode(message),
    ));
    out.push((
        "ed25519_public_key([7; 32])".to_owned(),
        encode(public_key(&secret)),
    ));
    out.push((
        "ed25519_sign([7; 32], exit_message(...))".to_owned(),
        encode(signature),
    ));
    // The mirror moved by the batch reaches BOUNDARY_AFTER; an import of
    // 30 of asset 1 then moves it again.
    let after_batch = mirror.apply_exits(&outcome.instance).unwrap();
    out.push((
        "mirror(sample segment 1) after the batch".to_owned(),
        fp_to_hex(&after_batch),
    ));
    out.push((
        "mirror(sample segment 1) after the batch and an import of 30 of asset 1".to_owned(),
        fp_to_hex(&mirror.apply_import(sample::ASSET, 30).unwrap()),
    ));
    // The stream's other signed messages.
    let i = outcome.instance;
    out.push((
        "attestation_message(stream 1, segment 1, height 1, ACCOUNTS_BEFORE, ACCOUNTS_AFTER)"
            .to_owned(),
        encode(attestation_message(
            1,
            1,
            1,
            &i.accounts_before,
            &i.accounts_after,
        )),
    ));
    let import_root = Fp::from(5);
    out.push((
        "import_message(stream 1, segment 1, height 2, ACCOUNTS_AFTER, root 5, asset 1, amount 30)"
            .to_owned(),
        encode(import_message(
            1,
            &ImportStatement {
                segment: 1,
                height: 2,
                parent: &i.accounts_after,
                root: &import_root,
                asset: 1,
                amount: 30,
            },
        )),
    ));
    out.push((
        "governance_message(stream 1, segment 1, seq 0, lower cap (1), asset 1, cap 100, validators (0))"
            .to_owned(),
        encode(governance_message(
            1,
            &GovernanceStatement {
                segment: 1,
                seq: 0,
                kind: 1,
                asset: 1,
                value: 100,
                position: 0,
                digest: [0; 32],
                by: 0,
            },
        )),
    ));
    out.push((
        "governance_message(stream 1, segment 1, seq 1, remove lane (7), asset 1, dst 2, position 0, validators (0))"
            .to_owned(),
        encode(governance_message(
            1,
            &GovernanceStatement {
                segment: 1,
                seq: 1,
                kind: 7,
                asset: 1,
                value: 2,
                position: 0,
                digest: [0; 32],
                by: 0,
            },
        )),
    ));
    let mut capped = mirror.clone();
    let silo = *capped.silo(sample::ASSET).unwrap();
    out.push((
        "mirror(sample segment 1) after the batch, the import and a cap lowered to 100".to_owned(),
        fp_to_hex(
            &capped
                .replace_silo(bulkhead_protocol::model::Silo { cap: 100, ..silo })
                .unwrap(),
        ),
    ));
    let rotated: Vec<[u8; 32]> = (0..3u8).map(|i| [i + 1; 32]).collect();
    out.push((
        "validator_set_digest(threshold 2, keys [01..01], [02..02], [03..03])".to_owned(),
        encode(bulkhead_protocol::messages::validator_set_digest(
            2, &rotated,
        )),
    ));
    // Then the lane (2, 1) at position 0 removed: its leaf set to 0 up the
    // siblings of the sample segment's lanes tree.
    let lane = bulkhead_protocol::model::Lane {
        dst: 2,
        asset: sample::ASSET,
    };
    let position = state.lanes()[&lane];
    let siblings = state.lane_path(position).unwrap().siblings;
    out.push((
        "mirror(sample segment 1) after the batch, the import, the cap and lane (2, 1) removed"
            .to_owned(),
        fp_to_hex(
            &capped
                .set_lane(
                    SHAPE.lanes_depth,
                    position,
                    lane.leaf(),
                    Fp::from(0),
                    &siblings,
                )
                .unwrap(),
        ),
    ));
    out.push((
        "tick_message(stream 1, epoch 7, time 25200)".to_owned(),
        encode(tick_message(1, 7, 25_200)),
    ));
    out.push((
        "guardian_message(stream 1, scope stream, target 1, trip, round 1)".to_owned(),
        encode(guardian_message(1, GuardianScopeByte::Stream, 1, true, 1)),
    ));
    out
}

#[test]
fn protocol_document_vectors_match_the_model() {
    let computed = vectors();
    if std::env::var_os("BULKHEAD_PRINT_VECTORS").is_some() {
        for (name, value) in &computed {
            println!("{name} = 0x{value}");
        }
    }
    let doc = include_str!("../../docs/PROTOCOL.md");
    for (name, value) in &computed {
        let line = format!("{name} = 0x{value}");
        assert!(
            doc.lines().any(|l| l.trim() == line),
            "docs/PROTOCOL.md lacks or disagrees on:\n{line}"
        );
    }
}
