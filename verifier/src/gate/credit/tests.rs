//! The credit rules on a state built by hand (no proofs needed: crediting
//! reads only the held queue, the epoch and the sources' quarantine), over
//! random queues and limits: no exit stops the exits behind it for longer
//! than the limit requires, no epoch pays a source more than the limit, and
//! every exit reaches its recipient whole, in parts numbered from 0.

use std::collections::BTreeMap;

use bulkhead_protocol::hash::Fp;
use bulkhead_protocol::CircuitShape;
use proptest::prelude::*;

use super::release_held;
use crate::gate::config::{ClockConfig, GateConfig, SourceConfig};
use crate::gate::state::{Changes, Credit, GateState, SourceEpoch, SourceState};

const SOURCES: [u64; 2] = [1, 3];

fn source(segment: u64) -> SourceConfig {
    SourceConfig {
        segment,
        shape: CircuitShape::TINY,
        vk_digest: [0; 32],
        validators: Vec::new(),
        threshold: 1,
        accounts_root: Fp::from(0),
        genesis_height: 0,
        boundary_root: Fp::from(0),
        lanes_root: Fp::from(0),
        next_seq: 0,
        silos: Vec::new(),
        follow: Default::default(),
    }
}

/// A gate of segment 2 following [`SOURCES`], with `limit`.
fn state(limit: u64) -> GateState {
    let mut state = GateState::fresh(GateConfig {
        stream_id: 1,
        segment: 2,
        sources: Vec::new(),
        stream_guardians: Vec::new(),
        stream_threshold: 1,
        clock: ClockConfig {
            genesis_epoch: 0,
            genesis_time: 0,
            epoch_length: 1,
        },
        local_guardians: Vec::new(),
        local_threshold: 1,
        inbound_limit: limit,
        governance: Default::default(),
    })
    .unwrap();
    for id in SOURCES {
        state
            .sources
            .insert(id, SourceState::registered(&source(id)).unwrap());
    }
    state
}

/// Queues one exit as `receive` does, then releases.
fn arrive(state: &mut GateState, src: u64, seq: u64, amount: u64) -> Vec<Credit> {
    let position = state.next_held;
    state.next_held += 1;
    state.held.insert(
        position,
        Credit {
            src,
            seq,
            asset: 0,
            epoch: state.epoch,
            recipient: Fp::from(seq),
            amount,
            part: 0,
        },
    );
    release_held(state, &mut Changes::default())
}

/// Opens the next epoch, then releases.
fn tick(state: &mut GateState) -> Vec<Credit> {
    state.epoch += 1;
    release_held(state, &mut Changes::default())
}

#[test]
fn an_exit_larger_than_the_limit_is_credited_in_parts_and_the_rest_follow() {
    // The review's case: limit 2,000, an exit of 2,001, then small ones.
    let mut s = state(2_000);
    let first = arrive(&mut s, 1, 0, 2_001);
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].amount, first[0].part), (2_000, 0));
    assert!(arrive(&mut s, 1, 1, 5).is_empty(), "waits its turn");
    // Another source is not held up at all.
    assert_eq!(arrive(&mut s, 3, 0, 7).len(), 1);
    let next = tick(&mut s);
    let parts: Vec<(u64, u64, u64)> = next.iter().map(|c| (c.seq, c.amount, c.part)).collect();
    assert_eq!(parts, [(0, 1, 1), (1, 5, 0)]);
    assert!(s.held.is_empty());
    assert_eq!(s.credited_exits, 3);
}

#[test]
fn hostile_amounts_neither_overflow_nor_pass_the_limit() {
    let mut s = state(10);
    let first = arrive(&mut s, 1, 0, u64::MAX);
    assert_eq!((first[0].amount, first[0].part), (10, 0));
    assert_eq!(
        s.held.values().next().map(|c| c.amount),
        Some(u64::MAX - 10)
    );
    let mut all = state(u64::MAX);
    assert_eq!(arrive(&mut all, 1, 0, u64::MAX)[0].amount, u64::MAX);
    // Nothing more fits this epoch, not even 1.
    assert!(arrive(&mut all, 1, 1, 1).is_empty());
    assert_eq!(tick(&mut all).len(), 1);
}

#[test]
fn a_quarantined_source_gets_no_part() {
    let mut s = state(10);
    s.sources.get_mut(&1).unwrap().quarantined =
        Some(crate::gate::state::QuarantineCause::Guardians);
    assert!(arrive(&mut s, 1, 0, 25).is_empty());
    assert!(tick(&mut s).is_empty());
    assert_eq!(
        s.held.values().next().map(|c| (c.amount, c.part)),
        Some((25, 0))
    );
}

/// One step of a random stream: an exit arrives, or an epoch begins.
#[derive(Clone, Debug)]
enum Step {
    Exit { src_index: usize, amount: u64 },
    Tick,
}

fn steps(limit: u64) -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        3 => (0..SOURCES.len(), 1..=limit.saturating_mul(4))
            .prop_map(|(src_index, amount)| Step::Exit { src_index, amount }),
        1 => Just(Step::Tick),
    ];
    prop::collection::vec(step, 1..60)
}

proptest! {
    #[test]
    fn no_exit_stops_the_exits_behind_it(
        (limit, steps) in (1u64..50).prop_flat_map(|l| (Just(l), steps(l)))
    ) {
        let mut s = state(limit);
        let mut sent: BTreeMap<(u64, u64), u64> = BTreeMap::new();
        let mut next_seq: BTreeMap<u64, u64> = BTreeMap::new();
        let mut records: Vec<(u64, Credit)> = Vec::new();
        for step in &steps {
            let credited = match *step {
                Step::Exit { src_index, amount } => {
                    let src = SOURCES[src_index];
                    let seq = next_seq.entry(src).or_default();
                    sent.insert((src, *seq), amount);
                    *seq += 1;
                    let epoch = s.epoch;
                    let seq = *seq - 1;
                    arrive(&mut s, src, seq, amount).into_iter().map(|c| (epoch, c)).collect::<Vec<_>>()
                }
                Step::Tick => {
                    let epoch = s.epoch + 1;
                    tick(&mut s).into_iter().map(|c| (epoch, c)).collect()
                }
            };
            records.extend(credited);
        }
        // With no more arrivals, the queue drains within the epochs the
        // limit needs for what is held of each source, one more per exit
        // (a part that waits for the next epoch's room).
        let held_by_source: BTreeMap<u64, (u64, u64)> =
            s.held.values().fold(BTreeMap::new(), |mut m, c| {
                let e = m.entry(c.src).or_insert((0, 0));
                e.0 += c.amount;
                e.1 += 1;
                m
            });
        let bound = held_by_source
            .values()
            .map(|(amount, count)| amount.div_ceil(limit) + count)
            .max()
            .unwrap_or(0);
        for _ in 0..bound {
            let epoch = s.epoch + 1;
            records.extend(tick(&mut s).into_iter().map(|c| (epoch, c)));
        }
        prop_assert!(s.held.is_empty(), "still held after {bound} epochs: {:?}", s.held);
        // No epoch pays a source more than the limit, and the gate's own
        // totals say the same.
        let mut per_epoch: BTreeMap<SourceEpoch, u64> = BTreeMap::new();
        for (epoch, c) in &records {
            *per_epoch.entry(SourceEpoch { src: c.src, epoch: *epoch }).or_default() += c.amount;
        }
        for (key, total) in &per_epoch {
            prop_assert!(*total <= limit, "{key:?} paid {total} > {limit}");
            prop_assert_eq!(s.inbound.get(key), Some(total));
        }
        // Every exit whole, in parts 0, 1, ..., and each source's exits in
        // sequence order.
        let mut paid: BTreeMap<(u64, u64), (u64, u64)> = BTreeMap::new();
        let mut last: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
        for (_, c) in &records {
            let entry = paid.entry((c.src, c.seq)).or_default();
            prop_assert_eq!(c.part, entry.1, "parts numbered in order");
            entry.0 += c.amount;
            entry.1 += 1;
            if let Some(previous) = last.insert(c.src, (c.seq, c.part)) {
                prop_assert!(previous < (c.seq, c.part), "order within a source");
            }
        }
        let totals: BTreeMap<(u64, u64), u64> = paid.iter().map(|(k, v)| (*k, v.0)).collect();
        prop_assert_eq!(totals, sent.clone());
        prop_assert_eq!(s.credited_exits, sent.len() as u64);
    }
}
