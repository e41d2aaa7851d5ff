//! The relayer database's tables and indexes, as migrations.

use crate::error::CorruptError;
use crate::sqlite::Schema;

/// The database file in a relayer's state directory.
pub(super) const DB_FILE: &str = "relay.sqlite";

/// The store's migrations. A change to the tables or indexes is a new
/// step at the end; a store of a later version is refused rather than
/// misread.
pub(super) const SCHEMA: Schema = Schema {
    steps: &[VERSION_1, VERSION_2, VERSION_3, VERSION_4],
    recorded: ("1", 1),
    refuse: |found| CorruptError::RelaySchema {
        found,
        reads: SCHEMA.latest(),
    },
};

/// Version 1: the queue and the batches. Also records `schema` = 1 in
/// `meta`, for builds before migrations (which read version 2 too: it
/// only adds an index).
const VERSION_1: &str = "
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
INSERT INTO meta (key, value) VALUES ('schema', '1');
";

/// Version 2: an index. `IF NOT EXISTS`: builds before migrations created
/// it at each open, so a store they made may have it already.
const VERSION_2: &str = "
-- A retried request is the same signed exit: found by its signature (the
-- request names no nonce), then compared field by field.
CREATE INDEX IF NOT EXISTS exits_by_signature ON exits (signature);
";

/// Version 3: exits refused after they were accepted. When the segment's
/// own execution moves its state (an import, a trade) and the relayer
/// rebases its queue on the new state, an exit that no longer fits is
/// refused with its reason, kept for `GET /v1/exits/{id}`, and frees its
/// account and nonce for a new request.
const VERSION_3: &str = "
ALTER TABLE exits ADD COLUMN refused TEXT; -- why it was refused after acceptance
DROP INDEX exits_by_nonce;
CREATE UNIQUE INDEX exits_by_nonce ON exits (account, nonce) WHERE refused IS NULL;
";

/// Version 4: the segment's imports, which the relayer publishes in order
/// with its batches. One row per import taken at `POST /v1/imports`; at
/// most one is `queued` or `published` at a time.
const VERSION_4: &str = "
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    received_ms INTEGER NOT NULL,
    after_seq   INTEGER NOT NULL,   -- it goes after every exit below this sequence number
    height      INTEGER NOT NULL,
    item        TEXT NOT NULL,      -- the signed import, as the stream takes it (JSON)
    state       TEXT NOT NULL,      -- the segment's state once credited (a snapshot, JSON)
    status      TEXT NOT NULL,      -- queued, published, landed, dropped
    position    INTEGER,            -- its stream position, once published
    note        TEXT,               -- why it was dropped
    done_ms     INTEGER             -- landed or dropped
);
CREATE UNIQUE INDEX imports_open ON imports ((1)) WHERE status IN ('queued', 'published');
";
