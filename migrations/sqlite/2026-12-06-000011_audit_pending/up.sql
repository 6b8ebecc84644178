-- Events are recorded in `audit_pending` (one plain insert: no request waits on its district's
-- chain head) and a sealer chains them into `audit_events` in order, in the server every
-- AUDIT_SEAL_INTERVAL_MS and before the trail is listed (`src/audit/chain.rs`).
CREATE TABLE audit_pending (
    pos INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    district_id TEXT NOT NULL,
    actor_id TEXT,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    scope TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);

-- Events recorded before the chain existed are chained once, here: they move to audit_pending in
-- the order they happened, and the sealer appends them to their district's chain. From here on
-- every row of audit_events is in its chain (the columns below are NOT NULL), so `securebase
-- audit verify` can refuse any row that is not. SQLite cannot add NOT NULL to a column: the
-- table is rebuilt, with its indexes and append-only triggers.
INSERT INTO audit_pending (id, district_id, actor_id, actor_role, action, scope, occurred_at)
    SELECT id, district_id, actor_id, actor_role, action, scope, occurred_at
      FROM audit_events WHERE seq IS NULL ORDER BY occurred_at, id;
CREATE TABLE audit_events_rebuilt (
    id TEXT PRIMARY KEY,
    district_id TEXT NOT NULL REFERENCES districts (id),
    actor_id TEXT REFERENCES users (id),
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    scope TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    seq INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_events_rebuilt (id, district_id, actor_id, actor_role, action, scope, occurred_at, seq, prev_hash, hash)
    SELECT id, district_id, actor_id, actor_role, action, scope, occurred_at, seq, prev_hash, hash
      FROM audit_events WHERE seq IS NOT NULL;
DROP TABLE audit_events;
ALTER TABLE audit_events_rebuilt RENAME TO audit_events;
CREATE INDEX audit_events_district ON audit_events (district_id, occurred_at);
CREATE UNIQUE INDEX audit_events_chain ON audit_events (district_id, seq);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
