-- Lesson library: a plan is an identity; its content lives in versions. Published versions are
-- immutable; at most one draft per plan (enforced by the application) is the working copy.
CREATE TABLE lesson_plans (
    id TEXT PRIMARY KEY,
    district_id TEXT NOT NULL REFERENCES districts (id),
    -- School of school-level plans and of teachers' private plans; NULL for district plans.
    school_id TEXT REFERENCES schools (id),
    owner_level TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    archived BOOLEAN NOT NULL DEFAULT 0,
    -- Newest published version number; NULL until first published.
    latest_version INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT lesson_plans_owner_level CHECK (owner_level IN ('district', 'school', 'private')),
    CONSTRAINT lesson_plans_school_scope CHECK ((owner_level = 'district') = (school_id IS NULL))
);
CREATE INDEX lesson_plans_district ON lesson_plans (district_id, owner_level);

CREATE TABLE lesson_plan_versions (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES lesson_plans (id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    competency TEXT NOT NULL,
    component TEXT NOT NULL,
    grade_band TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    -- JSON arrays (objectives, materials: strings; steps: {title, minutes, instructions}).
    objectives TEXT NOT NULL,
    materials TEXT NOT NULL,
    steps TEXT NOT NULL,
    reflection_prompt TEXT NOT NULL,
    -- Lower-cased title, summary and objectives: portable full-text search with LIKE.
    search_text TEXT NOT NULL,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT lesson_plan_versions_status CHECK (status IN ('draft', 'published')),
    CONSTRAINT lesson_plan_versions_number UNIQUE (plan_id, version)
);
CREATE INDEX lesson_plan_versions_filters ON lesson_plan_versions (status, grade_band, competency);

CREATE TABLE assignments (
    id TEXT PRIMARY KEY,
    class_id TEXT NOT NULL REFERENCES classes (id),
    plan_id TEXT NOT NULL REFERENCES lesson_plans (id),
    -- The exact version assigned: later edits to the plan never change an assignment.
    plan_version_id TEXT NOT NULL REFERENCES lesson_plan_versions (id),
    assigned_by TEXT NOT NULL REFERENCES users (id),
    scheduled_on DATE NOT NULL,
    due_on DATE,
    status TEXT NOT NULL,
    delivered_on DATE,
    teacher_note TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT assignments_status CHECK (status IN ('scheduled', 'delivered', 'cancelled'))
);
CREATE INDEX assignments_class ON assignments (class_id, scheduled_on);

CREATE TABLE lesson_completions (
    assignment_id TEXT NOT NULL REFERENCES assignments (id),
    student_id TEXT NOT NULL REFERENCES users (id),
    emotion TEXT,
    reflection TEXT,
    completed_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (assignment_id, student_id)
);
CREATE INDEX lesson_completions_student ON lesson_completions (student_id);
