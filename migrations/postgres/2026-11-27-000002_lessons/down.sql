DROP TABLE lesson_completions;
DROP TABLE assignments;
DROP TABLE lesson_plan_versions;
DROP TABLE lesson_plans;
