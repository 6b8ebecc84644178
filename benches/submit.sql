-- pgbench script: the statements the API issues for one survey submission (src/surveys/
-- responses.rs: the scope check, the frozen roster with the account's placement and any opt-out
-- in one query, the participation row in a savepoint, the sealed response), in the same order
-- and transaction shape, with the same concurrency.
-- Variables (-D): i=0, offset, clients, window, sealed (a sealed answer sheet as the API stored
-- one; the API's own work, encryption included, is what the comparison measures).
-- (The items of the window's published instrument are read once per server process: publishing
-- freezes them.) The only extra statement is the lookup of the next unused student in bench_queue (a primary-key
-- read), which the API does not need because the student comes from the access token.
\set i :i + 1
\set n :offset + :client_id + 1 + (:i - 1) * :clients
SELECT student_id FROM bench_queue WHERE n = :n \gset
-- Authentication middleware: the caller's account.
SELECT id, district_id, role, school_id, grade AS student_grade, active FROM users WHERE id = :student_id LIMIT 1 \gset
BEGIN;
SELECT id, district_id, instrument_id, title, opens_at, closes_at, grades, min_cell_size, created_by, created_at,
       sealed_key, frozen_at, opened_at
  FROM survey_windows WHERE id = :window LIMIT 1;
SELECT EXISTS (SELECT window_id, student_id, school_id, grade, settled, opted_out FROM survey_window_roster
  WHERE window_id = :window AND student_id = :student_id);
SELECT r.school_id, r.grade, r.settled, r.opted_out, u.created_at, u.placed_at,
       EXISTS (SELECT window_id, student_id, recorded_by, created_at FROM survey_opt_outs
               WHERE window_id = :window AND student_id = :student_id)
  FROM survey_window_roster r INNER JOIN users u ON u.id = r.student_id
  WHERE r.window_id = :window AND r.student_id = :student_id LIMIT 1;
SAVEPOINT diesel_savepoint_1;
INSERT INTO survey_participation (window_id, student_id, idempotency_key_hash) VALUES (:window, :student_id, NULL);
RELEASE SAVEPOINT diesel_savepoint_1;
INSERT INTO survey_sealed_responses (id, window_id, sealed) VALUES (gen_random_uuid()::text, :window, :sealed);
COMMIT;
