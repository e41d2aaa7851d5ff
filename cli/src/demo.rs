//! `bulkhead demo`: three segments, their gates, a stream of honest
//! bundles, and the attacks a malicious relayer or segment would try, each
//! played for real (forged witnesses proven, bundles altered, attestations
//! forged) so that what stops it is the proof system or a gate check.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use bulkhead_circuits::bundle::Bundle;
use bulkhead_circuits::hash::{self, Fp};
use bulkhead_circuits::instance::Instance;
use bulkhead_circuits::keys::ParamsCache;
use bulkhead_circuits::merkle::dense_root;
use bulkhead_circuits::model::{Account, BatchRequest, ExitRequest, SegmentState, Silo};
use bulkhead_circuits::witness::BatchWitness;
use bulkhead_circuits::{sample, CircuitShape};
use bulkhead_prover::{
    plan_signed_run, public_key, sign_exit, PlannedBatch, ProverKeys, SignedBatch,
    SignedExitRequest,
};
use bulkhead_verifier::gate::{
    blast_radius, Attestation, DeclaredSilo, Effect, Gate, GateConfig, Hex32, IndexedSignature,
    Refusal, SourceConfig, StreamItem,
};
use bulkhead_verifier::signatures::attestation_message;
use bulkhead_verifier::VerifierKeys;
use ed25519_dalek::{Signer, SigningKey};

use crate::store::{write_item, GateStore};

/// Demo settings.
pub struct DemoOptions {
    /// Circuit shape of every segment.
    pub shape: CircuitShape,
    /// Seed of every key.
    pub seed: u64,
    /// Where to leave the stream and the gates' state.
    pub out: Option<PathBuf>,
    /// Parameter cache.
    pub cache: ParamsCache,
    /// Proofs in flight.
    pub in_flight: usize,
    /// Proving threads (0 = one per core).
    pub threads: usize,
}

const SEGMENTS: [u64; 3] = [1, 2, 3];
const VALIDATORS: usize = 4;
const VALIDATOR_THRESHOLD: usize = 3;
const GUARDIANS: usize = 3;
const GUARDIAN_THRESHOLD: usize = 2;
/// Most a gate credits from one source per epoch.
const INBOUND_LIMIT: u64 = 2_000;
/// Segment 3's collateral in asset 1: small, so "beyond collateral" is
/// reachable before the cap.
const SEGMENT3_COLLATERAL: u64 = 4_000;

/// A secret key derived from the seed, a role and two indices (segment,
/// account or validator): every key of the demo is reproducible.
pub fn secret(seed: u64, role: &str, a: u64, b: u64) -> [u8; 32] {
    let hash = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"Bulkhead_DemoKey")
        .to_state()
        .update(&seed.to_le_bytes())
        .update(role.as_bytes())
        .update(&a.to_le_bytes())
        .update(&b.to_le_bytes())
        .finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(hash.as_bytes());
    out
}

fn sign(secret: &[u8; 32], message: &[u8]) -> [u8; 64] {
    SigningKey::from_bytes(secret).sign(message).to_bytes()
}

/// One line of the attack report.
struct Outcome {
    what: String,
    ok: bool,
    detail: String,
}

struct World {
    opts: DemoOptions,
    prover: ProverKeys,
    states: BTreeMap<u64, SegmentState>,
    gates: BTreeMap<u64, Gate>,
    stream: Vec<(String, StreamItem)>,
    refused: BTreeMap<String, u64>,
    accepted_bundles: u64,
    report: Vec<Outcome>,
}

impl World {
    fn sign_batch(
        &self,
        segment: u64,
        state: &SegmentState,
        request: &BatchRequest,
    ) -> SignedBatch {
        sign_batch(self.opts.seed, &self.opts.shape, segment, state, request)
    }

    /// Offers `item` to every gate; returns the follow verdict (which all
    /// gates must share) and each gate's effect.
    fn submit(&mut self, label: &str, item: StreamItem) -> Result<Vec<(u64, Effect)>, Refusal> {
        let mut verdicts = Vec::new();
        for (id, gate) in &mut self.gates {
            verdicts.push((*id, gate.process(&item)));
        }
        self.stream.push((label.to_owned(), item.clone()));
        let first = verdicts[0].1.clone().map(|_| ());
        assert!(
            verdicts.iter().all(|(_, v)| v.clone().map(|_| ()) == first),
            "gates disagree on {label}: {verdicts:?}"
        );
        match first {
            Ok(()) => {
                if matches!(item, StreamItem::Bundle(_)) {
                    self.accepted_bundles += 1;
                }
                Ok(verdicts
                    .into_iter()
                    .map(|(id, v)| (id, v.expect("all accepted")))
                    .collect())
            }
            Err(refusal) => {
                *self.refused.entry(refusal.label().to_owned()).or_default() += 1;
                Err(refusal)
            }
        }
    }

    fn expect_accepted(&mut self, label: &str, item: StreamItem) {
        self.expect_accepted_as("honest", label, item)
    }

    fn expect_accepted_as(&mut self, kind: &str, label: &str, item: StreamItem) {
        let result = self.submit(label, item);
        self.report.push(Outcome {
            what: format!("{kind}: {label}"),
            ok: result.is_ok(),
            detail: match result {
                Ok(_) => "accepted by every gate".into(),
                Err(r) => format!("REFUSED: {r}"),
            },
        });
    }

    fn expect_stopped(&mut self, what: &str, label: &str, item: StreamItem, expected: &str) {
        let result = self.submit(label, item);
        let (ok, detail) = match result {
            Ok(_) => (false, "ACCEPTED — the attack got through".to_owned()),
            Err(r) => (r.label() == expected, format!("stopped by {r}")),
        };
        self.report.push(Outcome {
            what: format!("attack: {what}"),
            ok,
            detail,
        });
    }

    fn attestation(&self, segment: u64, parent: Fp, root: Fp, signers: usize) -> StreamItem {
        attestation(self.opts.seed, segment, parent, root, signers)
    }
}

/// Signs `request` from `segment` as the account owners (keys from
/// [`secret`]) would, with the nonces the accounts will have, found by
/// applying the request to a copy of `state`.
///
/// # Panics
/// If the model refuses `request` on that copy: callers sign only batches
/// they have checked, or forge on a copy whose limits they raised.
pub fn sign_batch(
    seed: u64,
    shape: &CircuitShape,
    segment: u64,
    state: &SegmentState,
    request: &BatchRequest,
) -> SignedBatch {
    let mut scratch = state.clone();
    let outcome = scratch
        .apply_exits(request, shape)
        .expect("a signed batch is valid on the signer's copy");
    let lane_id = hash::lane_id(
        Fp::from(segment),
        Fp::from(request.dst),
        Fp::from(request.asset),
    );
    let exits = request
        .exits
        .iter()
        .zip(&outcome.exits)
        .map(|(exit, record)| {
            let secret = secret(seed, "account", segment, exit.account);
            SignedExitRequest {
                request: *exit,
                public_key: public_key(&secret),
                signature: sign_exit(
                    &secret,
                    &lane_id,
                    record.nonce,
                    &record.recipient,
                    record.amount,
                ),
            }
        })
        .collect();
    SignedBatch {
        dst: request.dst,
        asset: request.asset,
        epoch: request.epoch,
        exits,
    }
}

/// The sample segment `id` of the demo, owned by keys from [`secret`].
pub fn segment(seed: u64, id: u64, shape: &CircuitShape) -> Result<SegmentState, String> {
    let owners: Vec<[u8; 32]> = (0..sample::ACCOUNTS)
        .map(|i| public_key(&secret(seed, "account", id, i)))
        .collect();
    sample::segment_with_owners(id, shape, &owners).map_err(|e| e.to_string())
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
            .keys()
            .map(|id| {
                let state = &genesis[id];
                SourceConfig {
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
                }
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

/// A forged proof job: what a cheating prover claims and what it witnesses.
struct Forgery {
    instance: Instance,
    witness: BatchWitness,
    exits: PlannedBatch,
}

/// Runs the demo; returns the text report and whether every honest step
/// succeeded and every attack was stopped.
pub fn run(opts: DemoOptions) -> Result<(String, bool), String> {
    let shape = opts.shape;
    let mut out = String::new();
    let started = Instant::now();
    let prover = ProverKeys::load(shape, &opts.cache).map_err(|e| e.to_string())?;
    let keys_time = started.elapsed();
    let verifier = || {
        VerifierKeys::from_key(
            shape,
            prover.params().clone(),
            prover.verifying_key().clone(),
        )
        .map_err(|e| e.to_string())
    };

    // Genesis: three segments with real owner keys.
    let mut genesis = BTreeMap::new();
    for id in SEGMENTS {
        let mut state = segment(opts.seed, id, &shape)?;
        if id == 3 {
            let silo = *state.silo(sample::ASSET).expect("sample silo");
            state
                .set_silo(Silo {
                    collateral: SEGMENT3_COLLATERAL,
                    ..silo
                })
                .map_err(|e| e.to_string())?;
        }
        genesis.insert(id, state);
    }
    let mut gates = BTreeMap::new();
    for id in SEGMENTS {
        let config = gate_config(opts.seed, id, shape, prover.vk_digest(), &genesis);
        gates.insert(id, Gate::new(config, vec![verifier()?])?);
    }
    let mut world = World {
        opts,
        prover,
        states: genesis.clone(),
        gates,
        stream: Vec::new(),
        refused: BTreeMap::new(),
        accepted_bundles: 0,
        report: Vec::new(),
    };
    let epoch = sample::EPOCH;
    let n = shape.batch_size as u64;
    let exits = |dst: u64, asset: u64, accounts: &[u64], base: u128| BatchRequest {
        dst,
        asset,
        epoch,
        exits: (0..n)
            .map(|i| ExitRequest {
                account: accounts[i as usize % accounts.len()],
                recipient: Fp::from(1000 + i),
                amount: base + i as u128,
            })
            .collect(),
    };

    // ---- Plan every batch natively (honest and forged), then prove all.
    let mut plans: Vec<(u64, String, PlannedBatch)> = Vec::new();
    let honest: [(u64, Vec<BatchRequest>); 3] = [
        (
            1,
            vec![exits(2, 1, &[0, 2, 4, 6], 10), exits(3, 1, &[0, 2], 5)],
        ),
        (
            2,
            vec![exits(3, 1, &[0, 2, 4, 6], 20), exits(1, 1, &[4, 6], 7)],
        ),
        (3, vec![exits(1, 1, &[0, 2, 4, 6], 12)]),
    ];
    for (segment, requests) in &honest {
        let mut state = world.states[segment].clone();
        let mut signed = Vec::new();
        let mut scratch = state.clone();
        for request in requests {
            signed.push(world.sign_batch(*segment, &scratch, request));
            scratch
                .apply_exits(request, &shape)
                .map_err(|e| e.to_string())?;
        }
        let planned = plan_signed_run(&mut state, &signed, &shape).map_err(|e| e.to_string())?;
        for (k, p) in planned.into_iter().enumerate() {
            plans.push((*segment, format!("s{segment}-batch{k}"), p));
        }
        world.states.insert(*segment, state);
    }

    // Forgeries: each starts from the real state, raises a limit on a
    // private copy to get a witness the model would refuse, then claims
    // the real public roots — exactly what a cheating prover can do.
    let forge = |world: &World,
                 segment: u64,
                 request: BatchRequest,
                 edit: &dyn Fn(&mut SegmentState),
                 patch: &dyn Fn(&mut BatchWitness, &SegmentState)|
     -> Result<Forgery, String> {
        let real = &world.states[&segment];
        let mut copy = real.clone();
        edit(&mut copy);
        let signed = world.sign_batch(segment, &copy, &request);
        let mut planned =
            plan_signed_run(&mut copy.clone(), &[signed], &shape).map_err(|e| e.to_string())?;
        let batch = planned.remove(0);
        let mut instance = batch.outcome.instance;
        instance.boundary_before = real.boundary_root();
        instance.accounts_before = real.accounts_root();
        let mut witness = batch.outcome.witness.clone();
        patch(&mut witness, real);
        Ok(Forgery {
            instance,
            witness,
            exits: batch,
        })
    };
    let single = |dst, asset, account, amount| BatchRequest {
        dst,
        asset,
        epoch,
        exits: vec![ExitRequest {
            account,
            recipient: Fp::from(666),
            amount,
        }],
    };
    // Lane (3, asset 2) is not among segment 2's lanes.
    let lane_forgery = forge(
        &world,
        2,
        single(3, 2, 1, 100),
        &|s| {
            s.allow_lane(bulkhead_circuits::model::Lane { dst: 3, asset: 2 })
                .expect("new lane");
        },
        &|_, _| {},
    )?;
    // Just beyond segment 3's collateral left, within its cap.
    let silo = *world.states[&3].silo(1).expect("silo");
    let beyond_collateral = silo.collateral as u128 + 100;
    if silo.collateral + 100 > silo.cap - silo.window_outflow {
        return Err(format!(
            "the demo's batches do not fit shape {shape}: use N <= 32"
        ));
    }
    let collateral_forgery = forge(
        &world,
        3,
        single(1, 1, 6, beyond_collateral),
        &|s| {
            let silo = *s.silo(1).expect("silo");
            s.set_silo(Silo {
                collateral: 1_000_000,
                ..silo
            })
            .expect("silo");
        },
        &|w, real| {
            w.boundary.collateral = Fp::from(real.silo(1).expect("silo").collateral);
        },
    )?;
    // Just beyond what segment 2 may still send this epoch.
    let silo = *world.states[&2].silo(1).expect("silo");
    let beyond_cap = (silo.cap - silo.window_outflow) as u128 + 100;
    let cap_forgery = forge(
        &world,
        2,
        single(3, 1, 6, beyond_cap),
        &|s| {
            let silo = *s.silo(1).expect("silo");
            s.set_silo(Silo {
                cap: 1_000_000,
                ..silo
            })
            .expect("silo");
        },
        &|w, real| {
            w.boundary.cap = Fp::from(real.silo(1).expect("silo").cap);
        },
    )?;

    // The compromised segment 3: its validators mint an account holding a
    // fortune, attest the new root, and drain it with *valid* proofs; the
    // silo's collateral and cap bound what the proofs allow.
    let attacker = secret(world.opts.seed, "attacker", 3, 0);
    let mut minted = world.states[&3].clone();
    let minted_parent = minted.accounts_root();
    minted
        .open_account(
            sample::ACCOUNTS,
            Account {
                owner: hash::owner_of_key(&public_key(&attacker)),
                asset: 1,
                balance: 1_000_000,
                nonce: 0,
            },
        )
        .map_err(|e| e.to_string())?;
    let minted_root = minted.accounts_root();
    let silo3 = *minted.silo(1).expect("silo");
    // Two exits that together pass the receiving gate's inbound limit,
    // well within the silo's collateral and cap.
    let drain_amount = 1_250u64;
    if 2 * drain_amount + 500 > silo3.collateral.min(silo3.cap - silo3.window_outflow) {
        return Err(format!(
            "the demo's batches do not fit shape {shape}: use N <= 32"
        ));
    }
    let lane_id = hash::lane_id(Fp::from(3), Fp::from(1), Fp::from(1));
    let drain_signed = SignedBatch {
        dst: 1,
        asset: 1,
        epoch,
        exits: (0..2u64)
            .map(|nonce| SignedExitRequest {
                request: ExitRequest {
                    account: sample::ACCOUNTS,
                    recipient: Fp::from(666),
                    amount: drain_amount as u128,
                },
                public_key: public_key(&attacker),
                signature: sign_exit(&attacker, &lane_id, nonce, &Fp::from(666), drain_amount),
            })
            .collect(),
    };
    let drain = plan_signed_run(&mut minted, &[drain_signed], &shape)
        .map_err(|e| e.to_string())?
        .remove(0);
    // A second drain in the next epoch, which quarantine must stop.
    let drain2_signed = SignedBatch {
        dst: 1,
        asset: 1,
        epoch: epoch + 1,
        exits: vec![SignedExitRequest {
            request: ExitRequest {
                account: sample::ACCOUNTS,
                recipient: Fp::from(666),
                amount: 500,
            },
            public_key: public_key(&attacker),
            signature: sign_exit(&attacker, &lane_id, 2, &Fp::from(666), 500),
        }],
    };
    let drain2 = plan_signed_run(&mut minted, &[drain2_signed], &shape)
        .map_err(|e| e.to_string())?
        .remove(0);

    let forged = [&lane_forgery, &collateral_forgery, &cap_forgery];
    let mut jobs: Vec<(&Instance, &BatchWitness)> = plans
        .iter()
        .map(|(_, _, p)| (&p.outcome.instance, &p.outcome.witness))
        .collect();
    jobs.extend(forged.iter().map(|f| (&f.instance, &f.witness)));
    jobs.push((&drain.outcome.instance, &drain.outcome.witness));
    jobs.push((&drain2.outcome.instance, &drain2.outcome.witness));
    let total_jobs = jobs.len();
    let started = Instant::now();
    let proofs = world
        .prover
        .prove_jobs(&jobs, world.opts.in_flight, world.opts.threads, |i| {
            eprintln!("  proved {}/{total_jobs}", i + 1)
        })
        .map_err(|e| e.to_string())?;
    let prove_time = started.elapsed();
    let mut proofs = proofs.into_iter();
    let mut bundles: Vec<(u64, String, Bundle)> = Vec::new();
    for (segment, label, plan) in &plans {
        let proof = proofs.next().expect("one proof per job");
        bundles.push((*segment, label.clone(), world.prover.bundle(plan, proof)));
    }
    let forged_bundle = |world: &World, f: &Forgery, proof: Vec<u8>| Bundle {
        instance: f.instance,
        ..world.prover.bundle(&f.exits, proof)
    };
    let lane_bundle = forged_bundle(&world, &lane_forgery, proofs.next().expect("proof"));
    let collateral_bundle =
        forged_bundle(&world, &collateral_forgery, proofs.next().expect("proof"));
    let cap_bundle = forged_bundle(&world, &cap_forgery, proofs.next().expect("proof"));
    let drain_bundle = world.prover.bundle(&drain, proofs.next().expect("proof"));
    let drain2_bundle = world.prover.bundle(&drain2, proofs.next().expect("proof"));

    // ---- The stream.
    world.expect_accepted("tick to epoch 7", StreamItem::EpochTick(epoch));
    // Segment 2's second batch is held back for the tampering attack.
    let withheld = bundles
        .iter()
        .position(|(s, l, _)| *s == 2 && l.ends_with("batch1"))
        .expect("segment 2 has two batches");
    let (_, withheld_label, withheld_bundle) = bundles.remove(withheld);
    let first_bytes = bundles[0].2.to_bytes();
    for (_, label, bundle) in &bundles {
        world.expect_accepted(label, StreamItem::Bundle(bundle.to_bytes()));
    }

    // A relayer raises an amount and makes TOTAL and EXITS_ROOT agree.
    let mut tampered = withheld_bundle.clone();
    tampered.exits[0].amount += 1_000;
    tampered.instance.total += 1_000;
    tampered.instance.exits_root = dense_root(hash::tag::EXIT_NODE, &tampered.exit_leaves());
    world.expect_stopped(
        "tampered amount (relayer re-hashes the exits)",
        "s2-tampered",
        StreamItem::Bundle(tampered.to_bytes()),
        "G4 signature",
    );
    world.expect_accepted(
        &withheld_label,
        StreamItem::Bundle(withheld_bundle.to_bytes()),
    );
    world.expect_stopped(
        "replayed bundle",
        "s1-replay",
        StreamItem::Bundle(first_bytes),
        "G2 replay",
    );
    for (what, label, bundle) in [
        (
            "exit on a lane not allowed (forged witness)",
            "s2-forged-lane",
            lane_bundle,
        ),
        (
            "withdrawal beyond collateral (forged witness)",
            "s3-forged-collateral",
            collateral_bundle,
        ),
        (
            "cap exceeded in one epoch (forged witness)",
            "s2-forged-cap",
            cap_bundle,
        ),
    ] {
        world.expect_stopped(
            what,
            label,
            StreamItem::Bundle(bundle.to_bytes()),
            "G1 invalid proof",
        );
    }

    // Compromised segment 3. Two validators alone cannot move the tip.
    let weak = world.attestation(3, minted_parent, minted_root, VALIDATOR_THRESHOLD - 1);
    world.expect_stopped(
        "attestation below the validator threshold",
        "s3-weak-attest",
        weak,
        "attestation",
    );
    // A threshold of compromised validators attests the minted root: the
    // gates cannot tell, and the drain that follows carries a valid proof.
    let minted_attest = world.attestation(3, minted_parent, minted_root, VALIDATOR_THRESHOLD);
    world.expect_accepted_as(
        "compromised",
        "s3 validators attest a minted root",
        minted_attest,
    );
    world.expect_accepted_as(
        "compromised",
        "s3 drains with valid proofs (gate 1 holds what exceeds its inbound limit)",
        StreamItem::Bundle(drain_bundle.to_bytes()),
    );
    world.expect_accepted("tick to epoch 8", StreamItem::EpochTick(epoch + 1));
    // Then they fork: a second root for the same parent.
    let fork_root = hash::hash(hash::tag::ACCOUNT_NODE, &[minted_root, Fp::from(1)]);
    let fork = world.attestation(3, minted_parent, fork_root, VALIDATOR_THRESHOLD);
    let verdict = world.submit("s3-fork-attest", fork);
    let quarantined = matches!(
        verdict.as_deref(),
        Ok([(_, Effect::Quarantined { segment: 3, .. }), ..])
    );
    world.report.push(Outcome {
        what: "attack: segment 3 validators attest a forked root".into(),
        ok: quarantined,
        detail: if quarantined {
            "equivocation: segment 3 quarantined at every gate".into()
        } else {
            format!("NOT quarantined: {verdict:?}")
        },
    });
    world.expect_stopped(
        "compromised segment keeps draining after quarantine",
        "s3-drain-2",
        StreamItem::Bundle(drain2_bundle.to_bytes()),
        "G6 quarantined",
    );

    // ---- Report.
    let mut all_ok = world.report.iter().all(|o| o.ok);
    writeln!(
        out,
        "bulkhead demo: shape {shape}, seed {}",
        world.opts.seed
    )
    .ok();
    writeln!(
        out,
        "keys derived in {keys_time:.1?}; {total_jobs} proofs (honest and forged) in {prove_time:.1?}\n"
    )
    .ok();
    for o in &world.report {
        writeln!(
            out,
            "  [{}] {} — {}",
            if o.ok { "ok" } else { "FAILED" },
            o.what,
            o.detail
        )
        .ok();
    }
    writeln!(out, "\nbundles accepted: {}", world.accepted_bundles).ok();
    let refused: Vec<String> = world
        .refused
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    writeln!(out, "items refused by reason: {}", refused.join(", ")).ok();
    writeln!(
        out,
        "\n  gate | from | credited | held | bound (asset 1) | within bound"
    )
    .ok();
    for (id, gate) in &world.gates {
        let state = gate.state();
        for src in SEGMENTS.iter().filter(|s| *s != id) {
            let credited = state.sources[src]
                .credited
                .get(&sample::ASSET)
                .copied()
                .unwrap_or(0);
            let held: u64 = state
                .held
                .iter()
                .filter(|c| c.src == *src)
                .map(|c| c.amount)
                .sum();
            let bound = blast_radius(state, *src)
                .get(&sample::ASSET)
                .copied()
                .unwrap_or(0);
            let within = credited + held <= bound;
            all_ok &= within;
            writeln!(
                out,
                "  {id:>4} | {src:>4} | {credited:>8} | {held:>4} | {bound:>15} | {}",
                if within { "yes" } else { "NO" }
            )
            .ok();
        }
    }
    if let Some(dir) = &world.opts.out {
        save(&world, dir)?;
        writeln!(out, "\nstream and gate states written to {}", dir.display()).ok();
    }
    Ok((out, all_ok))
}

fn save(world: &World, dir: &std::path::Path) -> Result<(), String> {
    let bundles = dir.join("bundles");
    std::fs::create_dir_all(&bundles).map_err(|e| format!("{}: {e}", bundles.display()))?;
    for (i, (label, item)) in world.stream.iter().enumerate() {
        write_item(&bundles, i, label, item)?;
    }
    for (id, gate) in &world.gates {
        let store = GateStore::new(dir.join("gates").join(id.to_string()));
        std::fs::create_dir_all(dir.join("gates").join(id.to_string()))
            .map_err(|e| e.to_string())?;
        store.save(gate.state())?;
        let config = serde_json::to_vec_pretty(&gate.state().config).map_err(|e| e.to_string())?;
        let path = dir.join("gates").join(id.to_string()).join("config.json");
        std::fs::write(&path, config).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}
