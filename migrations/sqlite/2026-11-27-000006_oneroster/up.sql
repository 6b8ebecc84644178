-- OneRoster import: every imported row keeps the sourcedId of the student information system
-- (so a re-import updates instead of duplicating) and the dateLastModified it was written from
-- (so a stale delta row cannot overwrite a newer one). Rows created by hand keep NULL.
ALTER TABLE districts ADD COLUMN source_id TEXT;
ALTER TABLE schools ADD COLUMN source_id TEXT;
ALTER TABLE schools ADD COLUMN source_modified_at TIMESTAMP;
CREATE UNIQUE INDEX schools_source ON schools (district_id, source_id);
ALTER TABLE terms ADD COLUMN source_id TEXT;
ALTER TABLE terms ADD COLUMN source_modified_at TIMESTAMP;
CREATE UNIQUE INDEX terms_source ON terms (district_id, source_id);
ALTER TABLE users ADD COLUMN source_id TEXT;
ALTER TABLE users ADD COLUMN source_modified_at TIMESTAMP;
CREATE UNIQUE INDEX users_source ON users (district_id, source_id);
ALTER TABLE classes ADD COLUMN source_id TEXT;
ALTER TABLE classes ADD COLUMN source_modified_at TIMESTAMP;
CREATE INDEX classes_source ON classes (source_id);
ALTER TABLE enrollments ADD COLUMN source_id TEXT;
ALTER TABLE enrollments ADD COLUMN source_modified_at TIMESTAMP;
ALTER TABLE class_teachers ADD COLUMN source_id TEXT;
ALTER TABLE class_teachers ADD COLUMN source_modified_at TIMESTAMP;

-- One-time codes with which an imported account sets its first password. Only a SHA-256 hash
-- is stored: the code itself is shown once, to the staff member who generated it.
CREATE TABLE activation_codes (
    code_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX activation_codes_user ON activation_codes (user_id);
