-- Student support: daily check-ins and help requests. Both are about a named child and are
-- never joined with the survey tables; who reads them is set per district below.

-- A district's support settings (a district without a row uses the defaults of the API).
CREATE TABLE district_support_settings (
    district_id TEXT PRIMARY KEY REFERENCES districts (id),
    -- Whether teachers read their own students' individual check-ins (otherwise class totals).
    teachers_see_check_ins BOOLEAN NOT NULL DEFAULT FALSE,
    -- IANA time zone of the district's schools: what "today" and school hours mean.
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    -- School hours, in minutes after local midnight, Monday to Friday.
    school_day_start_minute INTEGER NOT NULL DEFAULT 480,
    school_day_end_minute INTEGER NOT NULL DEFAULT 900,
    -- A "this week" request is acknowledged by the end of this many school days after the day
    -- it was made; a "today" request within this many school hours.
    acknowledge_school_days INTEGER NOT NULL DEFAULT 1,
    today_school_hours INTEGER NOT NULL DEFAULT 2,
    -- Shown with every help request and check-in: the API is not an emergency service.
    crisis_message TEXT NOT NULL,
    -- Smallest count shown in check-in and help-request figures.
    reporting_threshold INTEGER NOT NULL DEFAULT 10,
    -- The "students to notice" rule.
    notice_intensity INTEGER NOT NULL DEFAULT 4,
    notice_days INTEGER NOT NULL DEFAULT 3,
    notice_lookback_days INTEGER NOT NULL DEFAULT 7,
    notice_sudden_change BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT district_support_settings_ranges CHECK (
        school_day_start_minute BETWEEN 0 AND 1439
        AND school_day_end_minute BETWEEN 1 AND 1440
        AND school_day_start_minute < school_day_end_minute
        AND acknowledge_school_days BETWEEN 0 AND 10
        AND today_school_hours BETWEEN 1 AND 12
        AND reporting_threshold BETWEEN 5 AND 100
        AND notice_intensity BETWEEN 1 AND 5
        AND notice_days BETWEEN 1 AND 14
        AND notice_lookback_days BETWEEN notice_days AND 28)
);

CREATE TABLE check_ins (
    id TEXT PRIMARY KEY,
    student_id TEXT NOT NULL REFERENCES users (id),
    -- The student's school and grade on the day, for class, grade and school figures.
    school_id TEXT NOT NULL REFERENCES schools (id),
    grade INTEGER NOT NULL,
    -- The student's local calendar day.
    on_day DATE NOT NULL,
    emotion TEXT NOT NULL,
    intensity INTEGER NOT NULL,
    note TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT check_ins_one_a_day UNIQUE (student_id, on_day),
    CONSTRAINT check_ins_intensity CHECK (intensity BETWEEN 1 AND 5),
    CONSTRAINT check_ins_note CHECK (note IS NULL OR length(note) BETWEEN 1 AND 500),
    CONSTRAINT check_ins_emotion CHECK (emotion IN ('calm', 'happy', 'proud', 'hopeful',
        'curious', 'tired', 'worried', 'sad', 'angry', 'frustrated', 'overwhelmed', 'lonely'))
);
CREATE INDEX check_ins_school_day ON check_ins (school_id, on_day);

CREATE TABLE help_requests (
    id TEXT PRIMARY KEY,
    student_id TEXT NOT NULL REFERENCES users (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    -- The trusted adult the student chose; NULL: the school's counselors.
    recipient_id TEXT REFERENCES users (id),
    topic TEXT NOT NULL,
    urgency TEXT NOT NULL,
    message TEXT,
    state TEXT NOT NULL,
    -- The check-in it was asked from, if any.
    check_in_id TEXT REFERENCES check_ins (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    -- When it must be acknowledged by, fixed when it is made (district settings of that day).
    acknowledge_by TIMESTAMP NOT NULL,
    acknowledged_at TIMESTAMP,
    acknowledged_by TEXT REFERENCES users (id),
    meeting_at TIMESTAMP,
    met_at TIMESTAMP,
    closed_at TIMESTAMP,
    closing_reason TEXT,
    withdrawn_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT help_requests_topic CHECK (topic IN ('friends', 'family',
        'feeling_down_or_worried', 'school_work', 'someone_is_hurting_me', 'something_else')),
    CONSTRAINT help_requests_urgency CHECK (urgency IN ('today', 'this_week')),
    CONSTRAINT help_requests_state CHECK (state IN ('new', 'acknowledged', 'met', 'closed',
        'withdrawn')),
    CONSTRAINT help_requests_closing CHECK ((state = 'closed') = (closing_reason IS NOT NULL)),
    CONSTRAINT help_requests_reason CHECK (closing_reason IS NULL OR closing_reason IN (
        'resolved', 'ongoing_support', 'referred', 'could_not_reach', 'other')),
    CONSTRAINT help_requests_message CHECK (message IS NULL OR length(message) BETWEEN 1 AND 1000)
);
CREATE INDEX help_requests_school ON help_requests (school_id, state, acknowledge_by);
CREATE INDEX help_requests_student ON help_requests (student_id, created_at);

-- Staff notes on a help request; never shown to the student.
CREATE TABLE help_request_notes (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES help_requests (id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT help_request_notes_body CHECK (length(body) BETWEEN 1 AND 2000)
);
CREATE INDEX help_request_notes_request ON help_request_notes (request_id, created_at);

-- Figures of an ended period (a class's week of check-ins, a school's month of help requests…),
-- kept as first computed after the period ended, so that later roster changes, retention or
-- polling never show a difference that gives one student's entry away.
CREATE TABLE support_figures (
    kind TEXT NOT NULL,
    scope_id TEXT NOT NULL,
    period DATE NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, scope_id, period)
);

-- Retention of check-in notes and of closed or withdrawn help requests.
ALTER TABLE district_retention ADD COLUMN check_in_note_days INTEGER
    CHECK (check_in_note_days IS NULL OR check_in_note_days BETWEEN 1 AND 3650);
ALTER TABLE district_retention ADD COLUMN closed_help_request_days INTEGER
    CHECK (closed_help_request_days IS NULL OR closed_help_request_days BETWEEN 1 AND 3650);
