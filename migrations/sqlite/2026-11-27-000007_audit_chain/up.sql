-- A hash chain per district over the audit trail: each event stores its position and the hash of
-- the previous event, so a changed, removed or inserted row breaks the chain (`securebase audit
-- verify`). Events recorded before this migration have no position and are reported as unchained.
ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_events_chain ON audit_events (district_id, seq);

-- The head of each district's chain. Updating it serializes the district's appends.
CREATE TABLE audit_chains (
    district_id TEXT PRIMARY KEY REFERENCES districts (id),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
