DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only;
DROP TABLE survey_window_reports;
DROP TABLE survey_window_aggregations;
DROP TABLE survey_window_cells;
