ALTER TABLE district_support_settings DROP COLUMN teachers_see_student_goals;
DROP TABLE student_goal_progress;
DROP TABLE goal_reviews;
DROP TABLE goal_versions;
DROP TABLE goals;
