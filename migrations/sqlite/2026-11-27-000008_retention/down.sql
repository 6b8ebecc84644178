-- The NOT NULL on audit_events.actor_id is not restored (SQLite would need another rebuild).
ALTER TABLE users DROP COLUMN anonymized_at;
ALTER TABLE users DROP COLUMN deactivated_at;
DROP TABLE district_retention;
