//! The relayer database's tables and indexes.

/// The database file in a relayer's state directory.
pub(super) const DB_FILE: &str = "relay.sqlite";
/// Bumped on any change to the tables.
pub(super) const SCHEMA_VERSION: &str = "1";

pub(super) const CREATE: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- Every accepted exit request, in acceptance order (the queue's order).
CREATE TABLE exits (
    id          INTEGER PRIMARY KEY,
    received_ms INTEGER NOT NULL,
    dst         INTEGER NOT NULL,
    asset       INTEGER NOT NULL,
    account     INTEGER NOT NULL,
    nonce       INTEGER NOT NULL,
    recipient   BLOB NOT NULL,
    amount      INTEGER NOT NULL,
    public_key  BLOB NOT NULL,
    signature   BLOB NOT NULL,
    batch       INTEGER,            -- NULL while queued
    slot        INTEGER
);
-- One request per account and nonce, ever: a second request at a used
-- nonce is refused; `GET /v1/exits?account=&nonce=` finds an exit by it.
CREATE UNIQUE INDEX exits_by_nonce ON exits (account, nonce);
CREATE INDEX exits_by_batch ON exits (batch);
CREATE TABLE batches (
    id           INTEGER PRIMARY KEY,
    dst          INTEGER NOT NULL,
    asset        INTEGER NOT NULL,
    epoch        INTEGER NOT NULL,
    first_seq    INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    status       TEXT NOT NULL,     -- planned, proven, published, confirmed, superseded
    bundle       TEXT,              -- the bundle file, once proven
    position     INTEGER,           -- its stream position, once published
    note         TEXT,              -- why it was superseded
    planned_ms   INTEGER NOT NULL,
    proven_ms    INTEGER,
    published_ms INTEGER,
    done_ms      INTEGER             -- confirmed or superseded
);
CREATE INDEX batches_by_status ON batches (status);
";

/// Indexes added since version 1 of the tables. An index changes no table,
/// so it does not bump [`SCHEMA_VERSION`]: a store made by an older build
/// gets them when it is opened (`IF NOT EXISTS`), and an older build still
/// reads and writes a store that has them.
pub(super) const INDEXES: &str = "
-- A retried request is the same signed exit: found by its signature (the
-- request names no nonce), then compared field by field.
CREATE INDEX IF NOT EXISTS exits_by_signature ON exits (signature);
";
