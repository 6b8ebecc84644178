-- Events are recorded in `audit_pending` (one plain insert: no request waits on its district's
-- chain head) and a sealer chains them into `audit_events` in order, in the server every
-- AUDIT_SEAL_INTERVAL_MS and before the trail is listed (`src/audit/chain.rs`).
CREATE TABLE audit_pending (
    pos BIGSERIAL PRIMARY KEY,
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
-- audit verify` can refuse any row that is not.
ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update;
INSERT INTO audit_pending (id, district_id, actor_id, actor_role, action, scope, occurred_at)
    SELECT id, district_id, actor_id, actor_role, action, scope, occurred_at
      FROM audit_events WHERE seq IS NULL ORDER BY occurred_at, id;
DELETE FROM audit_events WHERE seq IS NULL;
ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update;
ALTER TABLE audit_events
    ALTER COLUMN seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL;
