-- Goals: what a school or the district aims for on a figure the product already computes, with
-- its baseline, target, deadline and review cadence; and a student's personal SEL goal, set
-- with a counselor, with the progress the student logs. A goal's history keeps every version.

CREATE TABLE goals (
    id TEXT PRIMARY KEY,
    district_id TEXT NOT NULL REFERENCES districts (id),
    -- 'school', 'district' or 'student'.
    kind TEXT NOT NULL,
    -- The school of a school or student goal; NULL for a district goal.
    school_id TEXT REFERENCES schools (id),
    -- The student of a student goal.
    student_id TEXT REFERENCES users (id),
    title TEXT NOT NULL,
    -- School and district goals: what is measured (JSON, `goals::metric::Metric`) and the
    -- baseline measurement, fixed when the goal is set (JSON, `goals::dto::Measurement`).
    metric TEXT,
    baseline TEXT,
    -- Student goals: what the student logs.
    measure TEXT,
    -- The value aimed for (student goals: per week).
    target REAL NOT NULL,
    deadline DATE,
    cadence TEXT,
    -- Student goals: when the counselor and the student next look at it together.
    review_on DATE,
    owner_id TEXT NOT NULL REFERENCES users (id),
    -- JSON list of `goals::dto::Strategy`.
    strategies TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT goals_kind CHECK (kind IN ('school', 'district', 'student')),
    CONSTRAINT goals_school CHECK ((kind = 'district') = (school_id IS NULL)),
    CONSTRAINT goals_student CHECK ((kind = 'student') = (student_id IS NOT NULL)),
    CONSTRAINT goals_measured CHECK (kind = 'student' OR (metric IS NOT NULL
        AND baseline IS NOT NULL AND deadline IS NOT NULL AND cadence IS NOT NULL
        AND measure IS NULL AND review_on IS NULL)),
    CONSTRAINT goals_logged CHECK (kind <> 'student' OR (measure IS NOT NULL
        AND review_on IS NOT NULL AND metric IS NULL AND baseline IS NULL)),
    CONSTRAINT goals_cadence CHECK (cadence IS NULL OR cadence IN ('monthly', 'quarterly')),
    CONSTRAINT goals_measure CHECK (measure IS NULL OR measure IN ('times_used',
        'minutes_to_calm', 'yes_days')),
    CONSTRAINT goals_state CHECK (state IN ('active', 'closed')),
    CONSTRAINT goals_title CHECK (length(title) BETWEEN 1 AND 200),
    CONSTRAINT goals_version CHECK (version >= 1)
);
CREATE INDEX goals_district_school ON goals (district_id, school_id);
CREATE INDEX goals_student ON goals (student_id);

-- Every version of a goal's changeable fields, the first included.
CREATE TABLE goal_versions (
    goal_id TEXT NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    -- JSON of `goals::dto::GoalTerms`.
    body TEXT NOT NULL,
    changed_by TEXT NOT NULL REFERENCES users (id),
    changed_at TIMESTAMP NOT NULL,
    -- The review that made this version, if a review did.
    review_id TEXT,
    PRIMARY KEY (goal_id, version)
);

CREATE TABLE goal_reviews (
    id TEXT PRIMARY KEY,
    goal_id TEXT NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    -- The review point it answers (NULL: a review nobody was due).
    due_on DATE,
    reviewed_by TEXT NOT NULL REFERENCES users (id),
    reviewed_at TIMESTAMP NOT NULL,
    what_happened TEXT NOT NULL,
    what_changes TEXT NOT NULL,
    -- The goal's status and its metric's latest value when reviewed.
    status TEXT NOT NULL,
    value REAL,
    version_before INTEGER NOT NULL,
    version_after INTEGER NOT NULL,
    CONSTRAINT goal_reviews_happened CHECK (length(what_happened) BETWEEN 1 AND 2000),
    CONSTRAINT goal_reviews_changes CHECK (length(what_changes) BETWEEN 1 AND 2000),
    CONSTRAINT goal_reviews_status CHECK (status IN ('on_track', 'at_risk', 'met', 'not_met',
        'not_measurable', 'logging'))
);
CREATE INDEX goal_reviews_goal ON goal_reviews (goal_id, reviewed_at);

-- What a student logs towards a personal goal: one value per day (a second log replaces it).
CREATE TABLE student_goal_progress (
    id TEXT PRIMARY KEY,
    goal_id TEXT NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    on_day DATE NOT NULL,
    value INTEGER NOT NULL,
    -- The check-in it was logged with, if any.
    check_in_id TEXT REFERENCES check_ins (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT student_goal_progress_one_a_day UNIQUE (goal_id, on_day),
    CONSTRAINT student_goal_progress_value CHECK (value BETWEEN 0 AND 240)
);

-- Whether teachers see their own students' personal goals (otherwise the student and their
-- counselors only).
ALTER TABLE district_support_settings ADD COLUMN teachers_see_student_goals BOOLEAN NOT NULL
    DEFAULT 0;
