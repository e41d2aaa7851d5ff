//! The ledger's tables. Every u64 is stored in an INTEGER column by
//! bit-cast (SQLite integers are i64), see [`crate::sqlite::int`]; roots and
//! recipients are their 32-byte canonical encodings.

use crate::error::CorruptError;
use crate::sqlite::Schema;

/// The ledger's migrations. A change to the tables is a new step at the
/// end; a ledger of a later version is refused rather than misread.
pub const SCHEMA: Schema = Schema {
    steps: &[VERSION_1, VERSION_2, VERSION_3, VERSION_4, VERSION_5],
    recorded: ("2", 2),
    refuse: |found| CorruptError::LedgerSchema {
        found,
        reads: SCHEMA.latest(),
    },
};

/// Version 1, the tables of a gate whose stream's signed messages did not
/// name the stream. No gate accepts such a stream any more, so version 2
/// is not reached from it (a database made before migrations that
/// records version 1 is refused); the empty step keeps the versions
/// numbered as those databases record them.
const VERSION_1: &str = "";

/// Version 2: credit parts, the last bundle's step, the stream id in the
/// configuration. Also records `schema` = 2 in `meta`, for builds before
/// migrations.
const VERSION_2: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- The gate's own scalars: one row.
CREATE TABLE gate (
    id             INTEGER PRIMARY KEY CHECK (id = 0),
    epoch          INTEGER NOT NULL,
    epoch_time     INTEGER NOT NULL,
    local_tripped  INTEGER NOT NULL,
    local_round    INTEGER NOT NULL,
    local_votes    TEXT NOT NULL,   -- JSON list of guardian indices
    accepted       TEXT NOT NULL,   -- JSON map item kind -> count
    credited_exits INTEGER NOT NULL,
    next_held      INTEGER NOT NULL,
    position       INTEGER NOT NULL -- last stream position applied (0: none)
);
CREATE TABLE sources (
    segment       INTEGER PRIMARY KEY,
    tip           BLOB NOT NULL,
    height        INTEGER NOT NULL,
    boundary      BLOB NOT NULL,
    next_seq      INTEGER NOT NULL,
    last_epoch    INTEGER,
    quarantined   TEXT,             -- cause, or NULL when open
    round         INTEGER NOT NULL,
    votes         TEXT NOT NULL,    -- JSON list of guardian indices
    accepted      INTEGER NOT NULL,
    credited      TEXT NOT NULL,    -- JSON map asset -> amount (decimal strings)
    open_epochs   INTEGER NOT NULL,
    counted_epoch INTEGER,
    bundle_height INTEGER NOT NULL  -- height of the last step a bundle took
) WITHOUT ROWID;
-- Each source's chain of roots by height (attestation heights).
CREATE TABLE roots (
    segment  INTEGER NOT NULL,
    height   INTEGER NOT NULL,
    root     BLOB NOT NULL,
    attested INTEGER NOT NULL,
    PRIMARY KEY (segment, height)
) WITHOUT ROWID;
CREATE TABLE evidence (
    segment INTEGER NOT NULL,
    height  INTEGER NOT NULL,
    parent  BLOB NOT NULL,
    root    BLOB NOT NULL,
    PRIMARY KEY (segment, height, parent, root)
) WITHOUT ROWID;
CREATE TABLE inbound (
    segment INTEGER NOT NULL,
    epoch   INTEGER NOT NULL,
    amount  INTEGER NOT NULL,
    PRIMARY KEY (segment, epoch)
) WITHOUT ROWID;
-- The held queue, by arrival position.
CREATE TABLE held (
    position  INTEGER PRIMARY KEY,
    src       INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    asset     INTEGER NOT NULL,
    epoch     INTEGER NOT NULL,
    recipient BLOB NOT NULL,
    amount    INTEGER NOT NULL,   -- still held
    part      INTEGER NOT NULL    -- index of the next part to credit
);
-- Every exit credited here, in order (id is the order), an exit larger
-- than the inbound limit in parts. History: the rules never read it, so it
-- only grows at the end.
CREATE TABLE credits (
    id        INTEGER PRIMARY KEY,
    src       INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    asset     INTEGER NOT NULL,
    epoch     INTEGER NOT NULL,
    recipient BLOB NOT NULL,
    amount    INTEGER NOT NULL,
    part      INTEGER NOT NULL,
    UNIQUE (src, seq, part)
);
CREATE INDEX credits_by_recipient ON credits (recipient, id);
INSERT INTO meta (key, value) VALUES ('schema', '2');
";

/// Version 3: the boundary mirror and the flows of two-way boundaries.
/// Each source row records its live silo leaves (NULL in a ledger written
/// before: readable only while no source accepted a bundle, when they are
/// still the registered openings), and `flows` counts, per destination
/// segment and asset, the value of accepted bundles and of imports (u128
/// sums, stored as decimal text: SQLite integers are 64-bit).
const VERSION_3: &str = "
ALTER TABLE sources ADD COLUMN silos TEXT; -- JSON list of the live silo leaves
CREATE TABLE flows (
    segment  INTEGER NOT NULL,
    asset    INTEGER NOT NULL,
    inflow   TEXT NOT NULL,
    imported TEXT NOT NULL,
    PRIMARY KEY (segment, asset)
) WITHOUT ROWID;
";

/// Version 4: governance of boundaries (rule G8). Each source row records
/// its governance (next sequence number, pending loosens, the automatic
/// rule; JSON, NULL before: none), and each flow what was deposited into
/// the silo from outside and withdrawn out of the system (u128 sums as
/// decimal text).
const VERSION_4: &str = "
ALTER TABLE sources ADD COLUMN governance TEXT; -- JSON SourceGovernance
ALTER TABLE flows ADD COLUMN deposited TEXT NOT NULL DEFAULT '0';
ALTER TABLE flows ADD COLUMN withdrawn TEXT NOT NULL DEFAULT '0';
";

/// Version 5: governance removes and adds lanes (rule G8), so each source
/// row records its live lanes root (NULL before: the registered one).
const VERSION_5: &str = "
ALTER TABLE sources ADD COLUMN lanes_root BLOB;
";
