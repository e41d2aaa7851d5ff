//! The failures a soundness test expects, stated in halo2's own terms.
//!
//! A soundness test lists every failure MockProver must report, and the
//! list is compared with what it does report as a multiset, through
//! `VerifyFailure`'s own `PartialEq`: a missing failure and an extra one
//! both fail the test, and the message shows both sides. This is how
//! halo2_gadgets tests its chips; unlike halo2_gadgets, a broken
//! constraint is compared without its cell values, which only restate the
//! witness the test built: the constraint and where it broke are the claim.
//!
//! The vocabulary below names what the TINY layout can report:
//!
//! - a [`Rule`] is a named constraint of a named gate; indices are the
//!   order in which `configure` creates gates and their constraints;
//! - a [`Region`] is a region by its index in synthesis order and its name;
//!   every gate here is applied on its region's first row (offset 0);
//! - a [`Link`] is a copy constraint, named by the two cells halo2 reports
//!   when the values on its two sides differ (MockProver walks each
//!   equality class as a cycle and names the cell where the value changes,
//!   in both directions). Broken public inputs, failed range checks and the
//!   fixed flag of the first slot are all links.
//!
//! Adding a gate, a constraint or a region before these moves their
//! indices: the failing test prints the reported failures with their new
//! indices, and only the constants here change.

use halo2_proofs::dev::{FailureLocation, VerifyFailure};
use halo2_proofs::plonk::Any;

use bulkhead_protocol::instance;

/// A named constraint: its gate's index and name, and its own index and
/// name within that gate.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rule {
    gate: (usize, &'static str),
    index: usize,
    name: &'static str,
}

/// The Merkle chip's per-bit gate (circuits/src/chips/merkle.rs).
const PATH_BITS: (usize, &str) = (7, "path bits");
/// The per-slot gate (circuits/src/circuit/config.rs).
const SLOT: (usize, &str) = (9, "slot");
/// The silo and epoch gate (circuits/src/circuit/config.rs).
const BOUNDARY: (usize, &str) = (10, "boundary");

const fn rule(gate: (usize, &'static str), index: usize, name: &'static str) -> Rule {
    Rule { gate, index, name }
}

/// I1: each path bit is 0 or 1.
pub(crate) const I1_PATH_BIT_IS_BOOLEAN: Rule = rule(PATH_BITS, 0, "I1 path bit is boolean");
/// I9: the enabled flag is 0 or 1.
pub(crate) const I9_ENABLED_IS_BOOLEAN: Rule = rule(SLOT, 0, "I9 enabled is boolean");
/// I9: no enabled slot follows a disabled one.
pub(crate) const I9_PREFIX: Rule = rule(SLOT, 1, "I9 enabled slots form a prefix");
/// I3: an enabled slot moves a nonzero amount.
pub(crate) const I3_NONZERO: Rule = rule(SLOT, 2, "I3 enabled amount is nonzero");
/// I9: a disabled slot moves nothing.
pub(crate) const I9_DISABLED_MOVES_NOTHING: Rule = rule(SLOT, 3, "I9 disabled slot moves nothing");
/// I2: the new balance is the old one less the amount.
pub(crate) const I2_EXACT_DEBIT: Rule = rule(SLOT, 4, "I2 exact debit");
/// I2: the new nonce is the old one plus one.
pub(crate) const I2_NONCE_INCREMENTS: Rule = rule(SLOT, 5, "I2 nonce increments");
/// I4: the slot's asset is the batch's ASSET.
pub(crate) const I4_ASSET_SILO: Rule = rule(SLOT, 6, "I4 asset silo");
/// I10: the running total adds the slot's amount.
pub(crate) const I10_RUNNING_TOTAL: Rule = rule(SLOT, 7, "I10 running total");
/// I10: the running count adds the slot's flag.
pub(crate) const I10_RUNNING_COUNT: Rule = rule(SLOT, 8, "I10 running count");
/// I1: the path opens the root the previous slot left.
pub(crate) const I1_MEMBERSHIP: Rule = rule(SLOT, 9, "I1 membership");
/// I9: a disabled slot leaves the accounts root as it was.
pub(crate) const I9_DISABLED_KEEPS_ROOT: Rule = rule(SLOT, 10, "I9 disabled slot changes no root");
/// I8: the exit leaf is the hash of the slot's exit.
pub(crate) const I8_EXIT_LEAF: Rule = rule(SLOT, 11, "I8 exit leaf");
/// I8: sequence numbers follow one another.
pub(crate) const I8_SEQUENCE: Rule = rule(SLOT, 12, "I8 sequence");
/// I8: the exit leaf's account-nonce field is account·2^64 + nonce.
pub(crate) const I8_PACKING: Rule = rule(SLOT, 13, "I8 account-nonce packing");
/// I6: the silo's collateral after the batch is before less TOTAL.
pub(crate) const I6_COLLATERAL_DEBIT: Rule = rule(BOUNDARY, 0, "I6 collateral debit");
/// I6: the silo's path opens position ASSET.
pub(crate) const I6_SILO_POSITION: Rule = rule(BOUNDARY, 1, "I6 silo position");
/// I7: the same-epoch flag is 1 when the epoch difference is 0.
pub(crate) const I7_SAME_EPOCH_FLAG: Rule = rule(BOUNDARY, 3, "I7 same-epoch flag");
/// I7: the same-epoch flag is 0 when the epoch difference is not.
pub(crate) const I7_SAME_EPOCH_EXACT: Rule = rule(BOUNDARY, 4, "I7 same-epoch flag is exact");
/// I7: a new epoch starts the window's outflow from 0.
pub(crate) const I7_WINDOW_RESTARTS: Rule = rule(BOUNDARY, 5, "I7 window restarts on a new epoch");
/// I7: the window's outflow adds TOTAL.
pub(crate) const I7_OUTFLOW_ACCUMULATES: Rule = rule(BOUNDARY, 6, "I7 outflow accumulates");
/// I8: the segment's exit_seq advances by the exit count.
pub(crate) const I8_EXIT_SEQ_ADVANCES: Rule = rule(BOUNDARY, 8, "I8 exit sequence advances");

/// A region of the TINY layout: its index in synthesis order, and its name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Region(usize, &'static str);

/// Slot 0's gate row.
pub(crate) const SLOT_0: Region = Region(24, "slot 0");
/// Slot 1's gate row.
pub(crate) const SLOT_1: Region = Region(46, "slot 1");
/// The boundary gate row.
pub(crate) const BOUNDARY_ROW: Region = Region(79, "boundary");
/// The bits of slot 0's account path.
pub(crate) const SLOT_0_PATH_BITS: Region = Region(10, "path bits: slot 0 account");
/// The exits-root hash (its output is EXITS_ROOT).
const EXITS_ROOT_HASH: Region = Region(47, "poseidon hash of 1 permutations");
/// The hash of the boundary before the batch.
const BOUNDARY_BEFORE_HASH: Region = Region(77, "poseidon hash of 2 permutations");
/// The hash of the boundary after the batch.
const BOUNDARY_AFTER_HASH: Region = Region(78, "poseidon hash of 2 permutations");
/// The range check of TOTAL, whose first cell is TOTAL itself.
const TOTAL_RANGE: Region = Region(54, "u64 range: TOTAL (I10)");

/// A cell that a broken copy constraint names.
#[derive(Clone, Copy, Debug)]
enum Cell {
    /// An advice cell: column, region and offset within it.
    Advice(usize, Region, usize),
    /// A row of the instance column (a public-input offset).
    Instance(usize),
    /// A row of the constants column, outside any region.
    Fixed(usize),
}

impl Cell {
    /// The failure MockProver reports at this cell.
    fn failure(self) -> VerifyFailure {
        let (column, location) = match self {
            Cell::Advice(column, Region(index, name), offset) => (
                (Any::Advice, column),
                FailureLocation::InRegion {
                    region: (index, name).into(),
                    offset,
                },
            ),
            Cell::Instance(row) => ((Any::Instance, 0), FailureLocation::OutsideRegion { row }),
            Cell::Fixed(row) => ((Any::Fixed, 0), FailureLocation::OutsideRegion { row }),
        };
        VerifyFailure::Permutation {
            column: column.into(),
            location,
        }
    }
}

/// A copy constraint, by the two cells halo2 names when it breaks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Link(Cell, Cell);

/// A u64 range check: its running sum's last cell (offset 8 of its region)
/// is copied to a fixed 0 on row `zero_row`; a value of 2^64 or more leaves
/// something else there.
const fn range(region: Region, zero_row: usize) -> Link {
    Link(Cell::Advice(0, region, 8), Cell::Fixed(zero_row))
}

/// I3: slot 0's amount is a u64.
pub(crate) const RANGE_SLOT_0_AMOUNT: Link = range(Region(4, "u64 range: slot 0 amount (I3)"), 2);
/// I3: slot 0's balance after the debit is a u64.
pub(crate) const RANGE_SLOT_0_BALANCE_NEW: Link =
    range(Region(5, "u64 range: slot 0 balance' (I3)"), 3);
/// I2: slot 0's nonce after the debit is a u64.
pub(crate) const RANGE_SLOT_0_NONCE_NEW: Link =
    range(Region(6, "u64 range: slot 0 nonce' (I2)"), 4);
/// I8: slot 0's nonce (packed into its exit leaf) is a u64.
pub(crate) const RANGE_SLOT_0_NONCE: Link = range(Region(7, "u64 range: slot 0 nonce (I8)"), 5);
/// I3: slot 1's balance after the debit is a u64.
pub(crate) const RANGE_SLOT_1_BALANCE_NEW: Link =
    range(Region(27, "u64 range: slot 1 balance' (I3)"), 23);
/// I6: the silo's collateral after the batch is a u64 (covers TOTAL).
pub(crate) const RANGE_COLLATERAL_NEW: Link = range(Region(49, "u64 range: collateral' (I6)"), 39);
/// I7: EPOCH - window_epoch is a u64 (the window never moves back).
pub(crate) const RANGE_EPOCH_DIFF: Link =
    range(Region(50, "u64 range: epoch - window_epoch (I7)"), 40);
/// I7: the window's outflow after the batch is a u64.
pub(crate) const RANGE_OUTFLOW_NEW: Link = range(Region(51, "u64 range: outflow' (I7)"), 41);
/// I7: cap - outflow after the batch is a u64 (the cap holds).
pub(crate) const RANGE_CAP_SLACK: Link = range(Region(52, "u64 range: cap - outflow' (I7)"), 42);
/// I10: TOTAL is a u64.
pub(crate) const RANGE_TOTAL: Link = range(TOTAL_RANGE, 44);

/// I9: slot 0's enabled flag is copied to a fixed 1 (a batch is never
/// empty); the other cell is slot 1's copy of the previous flag.
pub(crate) const FIRST_SLOT_ENABLED: Link = Link(Cell::Advice(0, SLOT_1, 0), Cell::Fixed(19));

/// The binding of public input `offset` to the cell the circuit computes
/// it in. The inputs the circuit reads (SRC, DST, ASSET, EPOCH,
/// ACCOUNTS_BEFORE, FIRST_SEQ) are loaded from the instance column, so
/// their own copies always hold: a wrong value of one of them shows up in
/// a gate or in one of these six computed inputs.
pub(crate) fn public(offset: usize) -> Link {
    let computed = match offset {
        instance::ACCOUNTS_AFTER => Cell::Advice(3, SLOT_1, 3),
        instance::BOUNDARY_BEFORE => Cell::Advice(5, BOUNDARY_BEFORE_HASH, 19),
        instance::BOUNDARY_AFTER => Cell::Advice(17, BOUNDARY_AFTER_HASH, 19),
        instance::EXIT_COUNT => Cell::Advice(0, BOUNDARY_ROW, 3),
        instance::TOTAL => Cell::Advice(0, TOTAL_RANGE, 0),
        instance::EXITS_ROOT => Cell::Advice(5, EXITS_ROOT_HASH, 9),
        other => panic!(
            "{} is read by the circuit, not computed: no binding cell",
            instance::NAMES[other]
        ),
    };
    Link(Cell::Instance(offset), computed)
}

/// Every failure MockProver must report, and nothing else.
#[derive(Debug, Default)]
pub(crate) struct Expected(Vec<VerifyFailure>);

impl Expected {
    /// No failure yet.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// `rule` fails on the first row of `region`.
    pub(crate) fn constraint(mut self, rule: Rule, region: Region) -> Self {
        let Region(index, name) = region;
        self.0.push(VerifyFailure::ConstraintNotSatisfied {
            constraint: (rule.gate.into(), rule.index, rule.name).into(),
            location: FailureLocation::InRegion {
                region: (index, name).into(),
                offset: 0,
            },
            cell_values: vec![],
        });
        self
    }

    /// The copy constraint `link` breaks.
    pub(crate) fn link(mut self, link: Link) -> Self {
        self.0.push(link.0.failure());
        self.0.push(link.1.failure());
        self
    }

    /// The cell the circuit computes public input `offset` in differs from
    /// the claimed value.
    pub(crate) fn public(self, offset: usize) -> Self {
        self.link(public(offset))
    }
}

/// A failure as tests compare it: a broken constraint without its cell
/// values, everything else as reported.
fn normalise(failure: VerifyFailure) -> VerifyFailure {
    match failure {
        VerifyFailure::ConstraintNotSatisfied {
            constraint,
            location,
            ..
        } => VerifyFailure::ConstraintNotSatisfied {
            constraint,
            location,
            cell_values: vec![],
        },
        other => other,
    }
}

/// Asserts that `reported` holds exactly the failures of `expected`, each
/// as many times, in any order.
pub(crate) fn assert_exactly(reported: Vec<VerifyFailure>, expected: Expected) {
    let mut extra: Vec<VerifyFailure> = reported.into_iter().map(normalise).collect();
    let mut missing = Vec::new();
    for want in expected.0 {
        match extra.iter().position(|got| *got == want) {
            Some(i) => {
                extra.swap_remove(i);
            }
            None => missing.push(want),
        }
    }
    let lines = |fs: &[VerifyFailure]| -> String {
        fs.iter()
            .map(|f| format!("  {}", f.to_string().trim_end()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        missing.is_empty() && extra.is_empty(),
        "MockProver's failures differ from the expected ones\n\
         expected, not reported:\n{}\nreported, not expected:\n{}",
        lines(&missing),
        lines(&extra)
    );
}
