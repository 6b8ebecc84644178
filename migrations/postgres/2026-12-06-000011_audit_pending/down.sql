ALTER TABLE audit_events
    ALTER COLUMN seq DROP NOT NULL,
    ALTER COLUMN prev_hash DROP NOT NULL,
    ALTER COLUMN hash DROP NOT NULL;
-- Events not chained yet go back unchained, as events were before the chain.
INSERT INTO audit_events (id, district_id, actor_id, actor_role, action, scope, occurred_at)
    SELECT id, district_id, actor_id, actor_role, action, scope, occurred_at FROM audit_pending;
DROP TABLE audit_pending;
