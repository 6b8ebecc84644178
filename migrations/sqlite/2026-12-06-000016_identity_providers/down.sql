ALTER TABLE districts DROP COLUMN student_passwords;
DROP INDEX users_district_email;
DROP TABLE oidc_sign_ins;
DROP TABLE identity_providers;
