ALTER TABLE survey_window_aggregations DROP COLUMN scoring_rules_version;
-- Back to one row per respondent. Per-response indicator scores were not kept and come back
-- empty ('{}'); the aggregates are unchanged.
CREATE TABLE survey_responses (
    id TEXT PRIMARY KEY,
    window_id TEXT NOT NULL REFERENCES survey_windows (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    grade INTEGER NOT NULL,
    answers TEXT NOT NULL,
    scores TEXT NOT NULL,
    scoring_rules_version TEXT NOT NULL
);
CREATE INDEX survey_responses_cells ON survey_responses (window_id, school_id, grade);
INSERT INTO survey_responses (id, window_id, school_id, grade, answers, scores, scoring_rules_version)
SELECT lower(hex(randomblob(16))), c.window_id, c.school_id, c.grade,
       (SELECT json_group_object(ids.value, v.value)
          FROM json_each(c.item_ids) AS ids JOIN json_each(r.value) AS v ON v.key = ids.key
         WHERE v.type <> 'null'),
       '{}', '2026-11-27.1'
  FROM survey_cell_responses c, json_each(c.answers) AS r;
DROP TABLE survey_cell_responses;
DROP INDEX survey_sealed_responses_window;
CREATE INDEX survey_sealed_responses_window ON survey_sealed_responses (window_id);
