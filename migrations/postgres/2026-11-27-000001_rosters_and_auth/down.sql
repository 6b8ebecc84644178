DROP TABLE refresh_tokens;
DROP TABLE enrollments;
DROP TABLE class_teachers;
DROP TABLE classes;
DROP TABLE users;
DROP TABLE terms;
DROP TABLE schools;
DROP TABLE districts;
