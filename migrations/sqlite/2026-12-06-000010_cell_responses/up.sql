-- The plain responses of an opened window, one row per (school, grade) cell instead of one per
-- respondent. A row per respondent cost the opening of a large window most of its time (a
-- quarter of a million rows, each with its keys, indexes and foreign-key checks) and gave every
-- response a place of its own (`rowid`) in storage. A cell's respondents are now one JSON array,
-- in a random order; cells too small to report have no row (their responses stay sealed).
CREATE TABLE survey_cell_responses (
    window_id TEXT NOT NULL REFERENCES survey_windows (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    grade INTEGER NOT NULL,
    -- The instrument's items in position order (a JSON array of item ids): the order of every
    -- respondent's values below.
    item_ids TEXT NOT NULL,
    -- One JSON array of values per respondent (null: not answered), respondents in random order.
    answers TEXT NOT NULL,
    respondents INTEGER NOT NULL,
    PRIMARY KEY (window_id, school_id, grade)
);

-- Responses written one per row before this version: grouped into their cells, each cell's
-- respondents in a random order. Indicator scores per response are not kept: they follow from
-- the answers by the published scoring rules, and the window's aggregates hold their sums.
INSERT INTO survey_cell_responses (window_id, school_id, grade, item_ids, answers, respondents)
SELECT r.window_id, r.school_id, r.grade,
       (SELECT json_group_array(i.id ORDER BY i.position)
          FROM survey_items i JOIN survey_windows w ON w.instrument_id = i.instrument_id
         WHERE w.id = r.window_id),
       json_group_array(json(r.vals) ORDER BY random()),
       count(*)
  FROM (SELECT r.window_id, r.school_id, r.grade,
               (SELECT json_group_array(json_extract(r.answers, '$."' || i.id || '"') ORDER BY i.position)
                  FROM survey_items i JOIN survey_windows w ON w.instrument_id = i.instrument_id
                 WHERE w.id = r.window_id) AS vals
          FROM survey_responses r) r
 GROUP BY r.window_id, r.school_id, r.grade;

DROP TABLE survey_responses;

-- Opening a window reads its sealed rows in pages by id: an index on (window, id) serves each
-- page from the index instead of sorting the whole window for every page.
DROP INDEX survey_sealed_responses_window;
CREATE INDEX survey_sealed_responses_window ON survey_sealed_responses (window_id, id);

-- The scoring rules a window's aggregates were built with (they were stored with each response).
ALTER TABLE survey_window_aggregations ADD COLUMN scoring_rules_version TEXT NOT NULL DEFAULT '2026-11-27.1';
