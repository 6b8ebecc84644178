-- Imported academic sessions keep their OneRoster type and parent (a semester's school year, a
-- grading period's semester). Terms made here have neither. Only terms that hold classes, and
-- terms made here, are offered as "the term" (lists, the current term); the rest are kept as
-- parents.
ALTER TABLE terms ADD COLUMN session_type TEXT
    CHECK (session_type IS NULL OR session_type IN ('schoolYear', 'semester', 'term', 'gradingPeriod'));
-- A term's id (the import writes only ids of the district's terms). Not declared a foreign key
-- here: SQLite cannot drop a column that is one, and the migration must revert.
ALTER TABLE terms ADD COLUMN parent_id TEXT;
