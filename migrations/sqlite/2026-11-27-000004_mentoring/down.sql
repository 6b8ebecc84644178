DROP TABLE mentoring_meetings;
DROP TABLE mentoring_matches;
DROP TABLE mentoring_do_not_match;
DROP TABLE mentoring_participants;
DROP TABLE mentoring_programs;
