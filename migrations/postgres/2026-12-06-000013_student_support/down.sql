ALTER TABLE district_retention DROP COLUMN closed_help_request_days;
ALTER TABLE district_retention DROP COLUMN check_in_note_days;
DROP TABLE support_figures;
DROP TABLE help_request_notes;
DROP TABLE help_requests;
DROP TABLE check_ins;
DROP TABLE district_support_settings;
