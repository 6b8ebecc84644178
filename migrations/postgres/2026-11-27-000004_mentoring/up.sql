-- Peer mentoring: school programs, their participants, do-not-match pairs, matches and meetings.
CREATE TABLE mentoring_programs (
    id TEXT PRIMARY KEY,
    district_id TEXT NOT NULL REFERENCES districts (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    name TEXT NOT NULL,
    goals TEXT NOT NULL,
    -- JSON arrays of grades.
    mentor_grades TEXT NOT NULL,
    mentee_grades TEXT NOT NULL,
    min_grade_gap INTEGER NOT NULL,
    preferred_grade_gap INTEGER NOT NULL,
    mentor_capacity INTEGER NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT mentoring_programs_capacity CHECK (mentor_capacity BETWEEN 1 AND 4),
    CONSTRAINT mentoring_programs_dates CHECK (starts_on <= ends_on)
);
CREATE INDEX mentoring_programs_school ON mentoring_programs (school_id);

CREATE TABLE mentoring_participants (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES mentoring_programs (id),
    student_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    -- Mentees a mentor may take (at most the program's capacity); 0 for mentees.
    capacity INTEGER NOT NULL,
    -- JSON arrays from the vocabularies in src/mentoring/vocab.rs.
    interests TEXT NOT NULL,
    availability TEXT NOT NULL,
    enrolled_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    -- Touched by every match change of this participant: the row lock serializes capacity checks.
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT mentoring_participants_role CHECK (role IN ('mentor', 'mentee')),
    CONSTRAINT mentoring_participants_once UNIQUE (program_id, student_id)
);
CREATE INDEX mentoring_participants_student ON mentoring_participants (student_id);

-- Pairs of students who must never be matched (known conflict or bullying history), per school;
-- stored with student_a < student_b so a pair has one row.
CREATE TABLE mentoring_do_not_match (
    id TEXT PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools (id),
    student_a TEXT NOT NULL REFERENCES users (id),
    student_b TEXT NOT NULL REFERENCES users (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT mentoring_do_not_match_ordered CHECK (student_a < student_b),
    CONSTRAINT mentoring_do_not_match_once UNIQUE (student_a, student_b)
);
CREATE INDEX mentoring_do_not_match_school ON mentoring_do_not_match (school_id);

CREATE TABLE mentoring_matches (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES mentoring_programs (id),
    mentor_id TEXT NOT NULL REFERENCES users (id),
    mentee_id TEXT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    -- Compatibility breakdown (JSON) when the match came from a suggestion.
    score TEXT,
    started_on DATE,
    closed_on DATE,
    closure_reason TEXT,
    closure_note TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT mentoring_matches_status CHECK (status IN ('proposed', 'active', 'closed')),
    CONSTRAINT mentoring_matches_reason CHECK (closure_reason IS NULL OR closure_reason IN
        ('program_ended', 'student_moved', 'mismatch', 'safety_concern', 'other')),
    CONSTRAINT mentoring_matches_closed CHECK ((status = 'closed') = (closed_on IS NOT NULL AND closure_reason IS NOT NULL)),
    CONSTRAINT mentoring_matches_started CHECK (status <> 'active' OR started_on IS NOT NULL)
);
-- One open (proposed or active) mentor per mentee per program, whatever the requests race.
CREATE UNIQUE INDEX mentoring_matches_one_open_per_mentee
    ON mentoring_matches (program_id, mentee_id) WHERE status <> 'closed';
CREATE INDEX mentoring_matches_mentor ON mentoring_matches (program_id, mentor_id);
CREATE INDEX mentoring_matches_mentee ON mentoring_matches (mentee_id);

CREATE TABLE mentoring_meetings (
    id TEXT PRIMARY KEY,
    match_id TEXT NOT NULL REFERENCES mentoring_matches (id),
    met_on DATE NOT NULL,
    minutes INTEGER NOT NULL,
    -- JSON array of topics from src/mentoring/vocab.rs.
    topics TEXT NOT NULL,
    -- For the counselor only; never shown to the mentee.
    note TEXT,
    logged_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT mentoring_meetings_minutes CHECK (minutes BETWEEN 1 AND 600)
);
CREATE INDEX mentoring_meetings_match ON mentoring_meetings (match_id, met_on);
