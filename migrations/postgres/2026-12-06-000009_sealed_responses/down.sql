DROP TRIGGER users_placement ON users;
DROP FUNCTION users_track_placement();
ALTER TABLE users DROP COLUMN placed_at;
ALTER TABLE survey_window_cells DROP COLUMN settled_respondents;
DROP TABLE survey_window_roster;
DROP TABLE survey_sealed_responses;
ALTER TABLE survey_windows DROP COLUMN opened_at;
ALTER TABLE survey_windows DROP COLUMN frozen_at;
ALTER TABLE survey_windows DROP COLUMN sealed_key;
