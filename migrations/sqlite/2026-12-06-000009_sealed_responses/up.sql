-- Sealed responses and frozen windows (the anonymity model in DESIGN.md and the README).
--
-- While a window is open, a response is stored only sealed: encrypted under the window's data
-- key, itself stored here only wrapped by the server's SURVEY_SEAL_KEY (never in the database).
-- When the window closes, one transaction opens the box: it decrypts every sealed response,
-- writes the plain responses in a random order, builds the aggregates and deletes the sealed
-- rows, so neither storage order nor the WAL's commit order relates a response to a
-- participation row.
ALTER TABLE survey_windows ADD COLUMN sealed_key TEXT;
-- When the eligible population was fixed (survey_window_roster), and when the box was opened.
ALTER TABLE survey_windows ADD COLUMN frozen_at TIMESTAMP;
ALTER TABLE survey_windows ADD COLUMN opened_at TIMESTAMP;

-- The window's id is the only thing in clear: no student, no school, no time, no order.
CREATE TABLE survey_sealed_responses (
    id TEXT PRIMARY KEY,
    window_id TEXT NOT NULL REFERENCES survey_windows (id),
    sealed TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX survey_sealed_responses_window ON survey_sealed_responses (window_id);

-- Each student offered a window, with the school and grade they had when it opened: a response
-- counts in this cell whatever happens to the roster afterwards. `settled`: the account and its
-- placement existed SURVEY_SETTLE_DAYS before; a cell is reported only when enough of its
-- respondents were settled (see the README's threat model). `opted_out`: a guardian had opted
-- the student out before the window opened.
CREATE TABLE survey_window_roster (
    window_id TEXT NOT NULL REFERENCES survey_windows (id),
    student_id TEXT NOT NULL REFERENCES users (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    grade INTEGER NOT NULL,
    settled BOOLEAN NOT NULL,
    opted_out BOOLEAN NOT NULL,
    PRIMARY KEY (window_id, student_id)
) WITHOUT ROWID;

ALTER TABLE survey_window_cells ADD COLUMN settled_respondents INTEGER NOT NULL DEFAULT 0;
UPDATE survey_window_cells SET settled_respondents = respondents;

-- When a student's school, grade, role, active flag or password last changed (NULL: never since
-- the account was made): any of them can turn an account into one staff control or place in a
-- cell of their choosing. Kept by the database itself, so no code path can forget it.
ALTER TABLE users ADD COLUMN placed_at TIMESTAMP;
CREATE TRIGGER users_placement AFTER UPDATE OF school_id, grade, role, active, password_hash ON users
    FOR EACH ROW
    WHEN NEW.school_id IS NOT OLD.school_id OR NEW.grade IS NOT OLD.grade OR NEW.role IS NOT OLD.role
        OR NEW.active IS NOT OLD.active OR NEW.password_hash IS NOT OLD.password_hash
BEGIN
    UPDATE users SET placed_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id;
END;

-- Windows whose aggregates were built before sealing existed are opened already.
UPDATE survey_windows SET
    opened_at = (SELECT built_at FROM survey_window_aggregations a WHERE a.window_id = survey_windows.id),
    frozen_at = opens_at
WHERE id IN (SELECT window_id FROM survey_window_aggregations);

-- Responses stored before this migration reached the WAL in submission order: rewrite them all
-- in a random order, in this one transaction.
CREATE TEMPORARY TABLE survey_responses_shuffled AS
    SELECT * FROM survey_responses ORDER BY random();
DELETE FROM survey_responses;
INSERT INTO survey_responses SELECT * FROM survey_responses_shuffled;
DROP TABLE survey_responses_shuffled;
