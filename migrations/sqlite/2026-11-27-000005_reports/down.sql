DROP TABLE audit_events;
DROP TABLE survey_window_reports;
DROP TABLE survey_window_aggregations;
DROP TABLE survey_window_cells;
