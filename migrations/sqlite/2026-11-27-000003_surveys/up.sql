-- Climate surveys. (SQLite: the participation and response tables are WITHOUT ROWID, so rows
-- are stored and dumped in primary-key order, never in insertion order.)
-- The anonymity model (DESIGN.md) is structural here:
-- survey_participation says WHO took a window and survey_responses says WHAT was answered;
-- no column, key, timestamp or sequence joins the two.

CREATE TABLE survey_instruments (
    id TEXT PRIMARY KEY,
    district_id TEXT NOT NULL REFERENCES districts (id),
    -- Versions of one questionnaire share a lineage (for trends across windows).
    lineage_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    grade_min INTEGER NOT NULL,
    grade_max INTEGER NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT survey_instruments_status CHECK (status IN ('draft', 'published')),
    CONSTRAINT survey_instruments_version UNIQUE (lineage_id, version)
);

CREATE TABLE survey_items (
    id TEXT PRIMARY KEY,
    instrument_id TEXT NOT NULL REFERENCES survey_instruments (id),
    position INTEGER NOT NULL,
    section TEXT NOT NULL,
    prompt TEXT NOT NULL,
    scale TEXT NOT NULL,
    indicator TEXT NOT NULL,
    reverse_scored BOOLEAN NOT NULL,
    required BOOLEAN NOT NULL,
    -- JSON array of PPRA protected-area codes.
    ppra_areas TEXT NOT NULL,
    CONSTRAINT survey_items_position UNIQUE (instrument_id, position)
);

CREATE TABLE survey_windows (
    id TEXT PRIMARY KEY,
    district_id TEXT NOT NULL REFERENCES districts (id),
    instrument_id TEXT NOT NULL REFERENCES survey_instruments (id),
    title TEXT NOT NULL,
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    -- JSON array of grades offered the survey.
    grades TEXT NOT NULL,
    min_cell_size INTEGER NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT survey_windows_cell CHECK (min_cell_size >= 5),
    CONSTRAINT survey_windows_dates CHECK (opens_at < closes_at)
);

CREATE TABLE survey_window_schools (
    window_id TEXT NOT NULL REFERENCES survey_windows (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    PRIMARY KEY (window_id, school_id)
);

-- Guardian opt-outs (PPRA): these students are not offered the window.
CREATE TABLE survey_opt_outs (
    window_id TEXT NOT NULL REFERENCES survey_windows (id),
    student_id TEXT NOT NULL REFERENCES users (id),
    recorded_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (window_id, student_id)
);

-- Who answered: one row per student and window, no ordering column, no timestamp.
-- The optional idempotency key hash lets a retried submission be answered as the first was.
CREATE TABLE survey_participation (
    window_id TEXT NOT NULL REFERENCES survey_windows (id),
    student_id TEXT NOT NULL REFERENCES users (id),
    idempotency_key_hash TEXT,
    PRIMARY KEY (window_id, student_id)
) WITHOUT ROWID;

-- What was answered: random UUIDv4 id, no student, no timestamp, no sequence.
CREATE TABLE survey_responses (
    id TEXT PRIMARY KEY,
    window_id TEXT NOT NULL REFERENCES survey_windows (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    grade INTEGER NOT NULL,
    -- JSON object item id -> value, and indicator scores computed at submit time.
    answers TEXT NOT NULL,
    scores TEXT NOT NULL,
    scoring_rules_version TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX survey_responses_cells ON survey_responses (window_id, school_id, grade);
