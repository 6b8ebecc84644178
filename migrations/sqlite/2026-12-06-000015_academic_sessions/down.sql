ALTER TABLE terms DROP COLUMN parent_id;
ALTER TABLE terms DROP COLUMN session_type;
