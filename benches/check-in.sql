-- pgbench script: the statements the API issues for one morning check-in (src/support/
-- check_ins.rs and queries.rs: the caller's account, then in one transaction the district's
-- support settings, the student's check-in of the day (none yet), the new row), in the same
-- order and transaction shape, at the same concurrency.
-- Variables (-D): i=0, offset, clients, day (the district's today), district.
-- The only extra statement is the lookup of the next student in bench_queue (a primary-key
-- read), which the API does not need because the student comes from the access token.
\set i :i + 1
\set n :offset + :client_id + 1 + (:i - 1) * :clients
SELECT student_id FROM bench_queue WHERE n = :n \gset
-- Authentication middleware: the caller's account.
SELECT id, district_id, role, school_id, grade AS student_grade, active FROM users WHERE id = :student_id LIMIT 1 \gset
BEGIN;
SELECT district_id, teachers_see_check_ins, time_zone, school_day_start_minute, school_day_end_minute,
       acknowledge_school_days, today_school_hours, crisis_message, reporting_threshold, notice_intensity,
       notice_days, notice_lookback_days, notice_sudden_change, updated_at
  FROM district_support_settings WHERE district_id = :district LIMIT 1;
SELECT id, created_at FROM check_ins WHERE student_id = :student_id AND on_day = :day LIMIT 1;
INSERT INTO check_ins (id, student_id, school_id, grade, on_day, emotion, intensity, note, created_at, updated_at)
  VALUES (gen_random_uuid()::text, :student_id, :school_id, :student_grade, :day, 'calm', 3, NULL,
          now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC');
COMMIT;
