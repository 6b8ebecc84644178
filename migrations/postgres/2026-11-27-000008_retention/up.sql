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
UPDATE users SET deactivated_at = updated_at WHERE NOT active;

-- System actions (a purge, a command-line import) have no acting account.
ALTER TABLE audit_events ALTER COLUMN actor_id DROP NOT NULL;
