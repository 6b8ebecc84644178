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
SELECT gen_random_uuid()::text, c.window_id, c.school_id, c.grade,
       (SELECT coalesce(json_object_agg(ids.id, v.value), '{}')
          FROM json_array_elements_text(c.item_ids::json) WITH ORDINALITY AS ids (id, n)
          JOIN json_array_elements(r.value) WITH ORDINALITY AS v (value, n) USING (n)
         WHERE json_typeof(v.value) <> 'null')::text,
       '{}', '2026-11-27.1'
  FROM survey_cell_responses c, json_array_elements(c.answers::json) AS r (value);
DROP TABLE survey_cell_responses;
DROP INDEX survey_sealed_responses_window;
CREATE INDEX survey_sealed_responses_window ON survey_sealed_responses (window_id);
