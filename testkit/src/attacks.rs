//! What attackers build: forged witnesses (a cheating prover claiming the
//! real public roots for a witness the model would refuse) and a
//! compromised segment minting itself a fortune and draining it with valid
//! proofs. The proofs are made by the caller; these are the jobs.

use bulkhead_protocol::hash::{self, owner_of_key, Fp};
use bulkhead_protocol::instance::Instance;
use bulkhead_protocol::model::{Account, BatchRequest, ExitRequest, Lane, SegmentState, Silo};
use bulkhead_protocol::witness::BatchWitness;
use bulkhead_protocol::{CircuitShape, Error};
use bulkhead_prover::{plan_signed_run, PlannedBatch, ProverError, SignedBatch, SignedExitRequest};

use crate::keys::{public_key, secret, sign_exit};
use crate::sample;
use crate::signed::sign_batch;

/// Recipient of every attacker's exit.
pub const ATTACKER_RECIPIENT: u64 = 666;

/// A forged proof job: what a cheating prover claims and what it witnesses,
/// with the plaintext exits its bundle carries.
#[derive(Clone, Debug)]
pub struct Forgery {
    /// The claimed public inputs (the real roots before the batch).
    pub instance: Instance,
    /// The witness, valid only for the attacker's private copy.
    pub witness: BatchWitness,
    /// The signed exits, as planned on the private copy.
    pub exits: PlannedBatch,
}

/// One exit of `amount` from `account` on lane `(dst, asset)` in `epoch`.
pub fn single_exit(dst: u64, asset: u64, epoch: u64, account: u64, amount: u128) -> BatchRequest {
    BatchRequest {
        dst,
        asset,
        epoch,
        exits: vec![ExitRequest {
            account,
            recipient: Fp::from(ATTACKER_RECIPIENT),
            amount,
        }],
    }
}

/// Starts from the real state, raises a limit on a private copy (`edit`)
/// to get a witness the model would refuse, then claims the real public
/// roots, with `patch` restoring the real values the circuit reads.
pub fn forge(
    seed: u64,
    shape: &CircuitShape,
    real: &SegmentState,
    request: &BatchRequest,
    edit: impl Fn(&mut SegmentState) -> Result<(), Error>,
    patch: impl Fn(&mut BatchWitness, &SegmentState),
) -> Result<Forgery, ProverError> {
    let mut copy = real.clone();
    edit(&mut copy)?;
    let signed = sign_batch(seed, shape, real.id(), &copy, request);
    let batch = plan_signed_run(&mut copy, &[signed], shape)?.remove(0);
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
}

/// An exit on lane `(dst, asset)`, which `real` does not allow (I5).
pub fn lane_forgery(
    seed: u64,
    shape: &CircuitShape,
    real: &SegmentState,
    request: &BatchRequest,
) -> Result<Forgery, ProverError> {
    let lane = Lane {
        dst: request.dst,
        asset: request.asset,
    };
    forge(
        seed,
        shape,
        real,
        request,
        |s| s.allow_lane(lane).map(|_| ()),
        |_, _| {},
    )
}

/// An exit beyond the silo's collateral (I6): the copy's collateral is
/// raised, the witness claims the real one.
pub fn collateral_forgery(
    seed: u64,
    shape: &CircuitShape,
    real: &SegmentState,
    request: &BatchRequest,
) -> Result<Forgery, ProverError> {
    silo_forgery(
        seed,
        shape,
        real,
        request,
        |silo| &mut silo.collateral,
        |w| &mut w.boundary.collateral,
    )
}

/// An exit beyond the epoch's cap (I7): the copy's cap is raised, the
/// witness claims the real one.
pub fn cap_forgery(
    seed: u64,
    shape: &CircuitShape,
    real: &SegmentState,
    request: &BatchRequest,
) -> Result<Forgery, ProverError> {
    silo_forgery(
        seed,
        shape,
        real,
        request,
        |silo| &mut silo.cap,
        |w| &mut w.boundary.cap,
    )
}

/// Raises one limit of the request's silo on a private copy, then puts the
/// real value of that limit back into the witness, where the circuit reads
/// it against the real boundary root.
fn silo_forgery(
    seed: u64,
    shape: &CircuitShape,
    real: &SegmentState,
    request: &BatchRequest,
    limit: fn(&mut Silo) -> &mut u64,
    claimed: fn(&mut BatchWitness) -> &mut Fp,
) -> Result<Forgery, ProverError> {
    let asset = request.asset;
    let mut real_silo = *real.silo(asset).ok_or(Error::NoSilo { asset })?;
    let real_limit = *limit(&mut real_silo);
    forge(
        seed,
        shape,
        real,
        request,
        |s| {
            let mut raised = real_silo;
            *limit(&mut raised) = RAISED_LIMIT;
            s.set_silo(raised)
        },
        |w, _| *claimed(w) = Fp::from(real_limit),
    )
}

/// What a forger raises a limit to on its private copy: far beyond any
/// exit the demo or the tests ask for.
const RAISED_LIMIT: u64 = 1_000_000;

/// A compromised segment's validators minted an account holding a fortune
/// (the one thing no proof prevents); the gates see only the new root.
#[derive(Clone, Debug)]
pub struct Mint {
    /// The accounts root before the mint.
    pub parent: Fp,
    /// The accounts root with the minted account.
    pub root: Fp,
    /// The segment after the mint (and after any drains planned so far).
    pub state: SegmentState,
    /// The attacker's secret key, owner of the minted account.
    pub attacker: [u8; 32],
    /// Index of the minted account.
    pub account: u64,
    /// The minted account's next nonce.
    pub nonce: u64,
}

/// Mints an account of `balance` in `asset` on a copy of `real`, owned by
/// the seeded attacker key.
pub fn mint(seed: u64, real: &SegmentState, asset: u64, balance: u64) -> Result<Mint, Error> {
    let attacker = secret(seed, "attacker", real.id(), 0);
    let mut state = real.clone();
    let parent = state.accounts_root();
    let account = sample::ACCOUNTS;
    state.open_account(
        account,
        Account {
            owner: owner_of_key(&public_key(&attacker)),
            asset,
            balance,
            nonce: 0,
        },
    )?;
    Ok(Mint {
        parent,
        root: state.accounts_root(),
        state,
        attacker,
        account,
        nonce: 0,
    })
}

impl Mint {
    /// Plans a drain of the minted account: one exit per amount, signed by
    /// the attacker, valid in every respect the proof checks.
    pub fn drain(
        &mut self,
        shape: &CircuitShape,
        dst: u64,
        asset: u64,
        epoch: u64,
        amounts: &[u64],
    ) -> Result<PlannedBatch, ProverError> {
        let lane_id = hash::lane_id(Fp::from(self.state.id()), Fp::from(dst), Fp::from(asset));
        let recipient = Fp::from(ATTACKER_RECIPIENT);
        let exits = amounts
            .iter()
            .zip(self.nonce..)
            .map(|(amount, nonce)| SignedExitRequest {
                request: ExitRequest {
                    account: self.account,
                    recipient,
                    amount: u128::from(*amount),
                },
                public_key: public_key(&self.attacker),
                signature: sign_exit(
                    &self.attacker,
                    &lane_id,
                    self.account,
                    nonce,
                    &recipient,
                    *amount,
                ),
            })
            .collect();
        let signed = SignedBatch {
            stream_id: crate::gate::STREAM_ID,
            dst,
            asset,
            epoch,
            exits,
        };
        let planned = plan_signed_run(&mut self.state, &[signed], shape)?.remove(0);
        self.nonce += amounts.len() as u64;
        Ok(planned)
    }
}
