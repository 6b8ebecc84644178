-- Aggregates of a closed survey window per (school, grade), built once after it closes. Every
-- report is assembled from these rows, so its cost does not grow with the number of responses,
-- and it stays the same after participation rows are purged.
CREATE TABLE survey_window_cells (
    window_id TEXT NOT NULL REFERENCES survey_windows (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    grade INTEGER NOT NULL,
    -- Active students offered the window, not opted out, when the aggregates were built.
    eligible INTEGER NOT NULL,
    opted_out INTEGER NOT NULL,
    respondents INTEGER NOT NULL,
    -- JSON: per indicator the additive sums (n, sum, sum of squares, favorable or victimized
    -- count), per item the count of each answer value.
    aggregates TEXT NOT NULL,
    PRIMARY KEY (window_id, school_id, grade)
);

CREATE TABLE survey_window_aggregations (
    window_id TEXT PRIMARY KEY REFERENCES survey_windows (id),
    responses INTEGER NOT NULL,
    built_at TIMESTAMP NOT NULL
);

-- Rendered reports of a closed window (its data no longer change), per scope ("district" or
-- "school:<id>"), as JSON and CSV: a repeated read costs one row fetch.
CREATE TABLE survey_window_reports (
    window_id TEXT NOT NULL REFERENCES survey_windows (id),
    scope TEXT NOT NULL,
    json TEXT NOT NULL,
    csv TEXT NOT NULL,
    PRIMARY KEY (window_id, scope)
);

-- Who read or exported what: append-only (triggers refuse updates and deletes).
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    district_id TEXT NOT NULL REFERENCES districts (id),
    actor_id TEXT NOT NULL REFERENCES users (id),
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    -- JSON object: what was read (report, window, school, format...).
    scope TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_district ON audit_events (district_id, occurred_at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
