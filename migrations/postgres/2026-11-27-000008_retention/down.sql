ALTER TABLE audit_events ALTER COLUMN actor_id SET NOT NULL;
ALTER TABLE users DROP COLUMN anonymized_at;
ALTER TABLE users DROP COLUMN deactivated_at;
DROP TABLE district_retention;
