DROP TABLE survey_responses;
DROP TABLE survey_participation;
DROP TABLE survey_opt_outs;
DROP TABLE survey_window_schools;
DROP TABLE survey_windows;
DROP TABLE survey_items;
DROP TABLE survey_instruments;
