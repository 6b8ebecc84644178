ALTER TABLE survey_items DROP COLUMN bullying_form;
