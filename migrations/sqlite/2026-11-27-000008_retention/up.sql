-- How long each district keeps what it no longer needs (NULL: keep). Applied by `securebase purge`.
CREATE TABLE district_retention (
    district_id TEXT PRIMARY KEY REFERENCES districts (id),
    -- Days after a survey window closes that participation rows (who took it, who opted out)
    -- are kept. Aggregates and anonymous responses stay.
    participation_days INTEGER,
    -- Days a deactivated student account keeps its personal data before it is anonymized.
    deactivated_account_days INTEGER,
    -- Days a lesson reflection's text is kept after it was written.
    reflection_days INTEGER,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT district_retention_ranges CHECK (
        (participation_days IS NULL OR participation_days BETWEEN 1 AND 3650)
        AND (deactivated_account_days IS NULL OR deactivated_account_days BETWEEN 1 AND 3650)
        AND (reflection_days IS NULL OR reflection_days BETWEEN 1 AND 3650))
);

ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMP;
ALTER TABLE users ADD COLUMN anonymized_at TIMESTAMP;
UPDATE users SET deactivated_at = updated_at WHERE active = 0;

-- System actions (a purge, a command-line import) have no acting account. SQLite cannot drop a
-- NOT NULL constraint: the table is rebuilt, with its indexes and append-only triggers.
CREATE TABLE audit_events_rebuilt (
    id TEXT PRIMARY KEY,
    district_id TEXT NOT NULL REFERENCES districts (id),
    actor_id TEXT REFERENCES users (id),
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    scope TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    seq INTEGER,
    prev_hash TEXT,
    hash TEXT
);
INSERT INTO audit_events_rebuilt (id, district_id, actor_id, actor_role, action, scope, occurred_at, seq, prev_hash, hash)
    SELECT id, district_id, actor_id, actor_role, action, scope, occurred_at, seq, prev_hash, hash FROM audit_events;
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
