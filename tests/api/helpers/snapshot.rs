//! Database snapshots: every row of a set of tables, rendered in full, to check that a refused
//! request left the database as it was.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use securebase::accounts::UserRow;
use securebase::auth::oidc::models::{ProviderRow, SignInRow};
use securebase::db::schema::{
    assignments, check_ins, class_teachers, classes, district_support_settings, districts,
    enrollments, goal_reviews, goal_versions, goals, help_request_notes, help_requests,
    lesson_completions, lesson_plan_versions, lesson_plans, mentoring_do_not_match,
    mentoring_matches, mentoring_meetings, mentoring_participants, mentoring_programs,
    refresh_tokens, schools, student_goal_progress, survey_cell_responses, survey_instruments,
    survey_items, survey_opt_outs, survey_participation, survey_window_schools, survey_windows,
    terms, users,
};
use securebase::db::schema::{identity_providers, oidc_sign_ins};
use securebase::db::DbConnection;
use securebase::goals::models::{
    GoalRow, ProgressRow as GoalProgressRow, ReviewRow as GoalReviewRow,
    VersionRow as GoalVersionRow,
};
use securebase::lessons::models::{AssignmentRow, CompletionRow, PlanRow, VersionRow};
use securebase::mentoring::models::{
    MatchRow as MentoringMatch, MeetingRow as MentoringMeeting,
    ParticipantRow as MentoringParticipant, ProgramRow as MentoringProgram,
};
use securebase::rosters::models::{ClassRow, District, School, Term};
use securebase::support::models::{CheckInRow, HelpNoteRow, HelpRequestRow, SettingsRow};
use securebase::surveys::models::{InstrumentRow, ItemRow, WindowRow};

/// Rows keyed by table and primary key (`"user <id>"`), each rendered in full (its `Debug`
/// form, timestamps included); rows of tables without a single-column key are keyed by their
/// whole rendering.
#[derive(Clone, PartialEq)]
pub struct Snapshot(BTreeMap<String, String>);

fn rows<T: std::fmt::Debug>(loaded: QueryResult<Vec<T>>) -> Vec<String> {
    loaded
        .expect("snapshot query")
        .iter()
        .map(|r| format!("{r:?}"))
        .collect()
}

impl Snapshot {
    /// The roster: districts, schools, terms, users, classes, class teachers and enrollments.
    pub fn roster(conn: &mut DbConnection) -> Snapshot {
        let mut out = BTreeMap::new();
        for r in districts::table
            .select(District::as_select())
            .load(conn)
            .unwrap()
        {
            out.insert(format!("district {}", r.id), format!("{r:?}"));
        }
        for r in schools::table
            .select(School::as_select())
            .load(conn)
            .unwrap()
        {
            out.insert(format!("school {}", r.id), format!("{r:?}"));
        }
        for r in terms::table.select(Term::as_select()).load(conn).unwrap() {
            out.insert(format!("term {}", r.id), format!("{r:?}"));
        }
        for r in users::table
            .select(UserRow::as_select())
            .load(conn)
            .unwrap()
        {
            out.insert(format!("user {}", r.id), format!("{r:?}"));
        }
        for r in classes::table
            .select(ClassRow::as_select())
            .load(conn)
            .unwrap()
        {
            out.insert(format!("class {}", r.id), format!("{r:?}"));
        }
        for (c, t) in class_teachers::table
            .select((class_teachers::class_id, class_teachers::teacher_id))
            .load::<(String, String)>(conn)
            .unwrap()
        {
            out.insert(format!("class_teacher {c} {t}"), String::new());
        }
        for (c, s, active, created, updated) in enrollments::table
            .select((
                enrollments::class_id,
                enrollments::student_id,
                enrollments::active,
                enrollments::created_at,
                enrollments::updated_at,
            ))
            .load::<(String, String, bool, NaiveDateTime, NaiveDateTime)>(conn)
            .unwrap()
        {
            out.insert(
                format!("enrollment {c} {s}"),
                format!("active: {active}, created_at: {created:?}, updated_at: {updated:?}"),
            );
        }
        Snapshot(out)
    }

    /// Every table a write route under /api/v1 changes: the roster, sign-in sessions, lessons,
    /// surveys and mentoring.
    pub fn writable(conn: &mut DbConnection) -> Snapshot {
        let mut snapshot = Snapshot::roster(conn);
        let tables = vec![
            (
                "refresh_tokens",
                rows(
                    refresh_tokens::table
                        .order(refresh_tokens::token_hash)
                        .select((
                            refresh_tokens::token_hash,
                            refresh_tokens::used_at,
                            refresh_tokens::revoked,
                        ))
                        .load::<(String, Option<chrono::NaiveDateTime>, bool)>(conn),
                ),
            ),
            (
                "lesson_plans",
                rows(
                    lesson_plans::table
                        .order(lesson_plans::id)
                        .select(PlanRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "lesson_plan_versions",
                rows(
                    lesson_plan_versions::table
                        .order(lesson_plan_versions::id)
                        .select(VersionRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "assignments",
                rows(
                    assignments::table
                        .order(assignments::id)
                        .select(AssignmentRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "lesson_completions",
                rows(
                    lesson_completions::table
                        .order((
                            lesson_completions::assignment_id,
                            lesson_completions::student_id,
                        ))
                        .select(CompletionRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "survey_instruments",
                rows(
                    survey_instruments::table
                        .order(survey_instruments::id)
                        .select(InstrumentRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "survey_items",
                rows(
                    survey_items::table
                        .order(survey_items::id)
                        .select(ItemRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "survey_windows",
                rows(
                    survey_windows::table
                        .order(survey_windows::id)
                        .select(WindowRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "survey_window_schools",
                rows(
                    survey_window_schools::table
                        .order((
                            survey_window_schools::window_id,
                            survey_window_schools::school_id,
                        ))
                        .select((
                            survey_window_schools::window_id,
                            survey_window_schools::school_id,
                        ))
                        .load::<(String, String)>(conn),
                ),
            ),
            (
                "survey_opt_outs",
                rows(
                    survey_opt_outs::table
                        .order((survey_opt_outs::window_id, survey_opt_outs::student_id))
                        .select((
                            survey_opt_outs::window_id,
                            survey_opt_outs::student_id,
                            survey_opt_outs::recorded_by,
                            survey_opt_outs::created_at,
                        ))
                        .load::<(String, String, String, chrono::NaiveDateTime)>(conn),
                ),
            ),
            (
                "survey_participation",
                rows(
                    survey_participation::table
                        .order((
                            survey_participation::window_id,
                            survey_participation::student_id,
                        ))
                        .select((
                            survey_participation::window_id,
                            survey_participation::student_id,
                            survey_participation::idempotency_key_hash,
                        ))
                        .load::<(String, String, Option<String>)>(conn),
                ),
            ),
            (
                "survey_cell_responses",
                rows(
                    survey_cell_responses::table
                        .order((
                            survey_cell_responses::window_id,
                            survey_cell_responses::school_id,
                            survey_cell_responses::grade,
                        ))
                        .select((
                            survey_cell_responses::window_id,
                            survey_cell_responses::school_id,
                            survey_cell_responses::grade,
                            survey_cell_responses::item_ids,
                            survey_cell_responses::answers,
                            survey_cell_responses::respondents,
                        ))
                        .load::<(String, String, i32, String, String, i32)>(conn),
                ),
            ),
            (
                "mentoring_programs",
                rows(
                    mentoring_programs::table
                        .order(mentoring_programs::id)
                        .select(MentoringProgram::as_select())
                        .load(conn),
                ),
            ),
            (
                "mentoring_participants",
                rows(
                    mentoring_participants::table
                        .order(mentoring_participants::id)
                        .select(MentoringParticipant::as_select())
                        .load(conn),
                ),
            ),
            (
                "mentoring_do_not_match",
                rows(
                    mentoring_do_not_match::table
                        .order(mentoring_do_not_match::id)
                        .select((
                            mentoring_do_not_match::id,
                            mentoring_do_not_match::student_a,
                            mentoring_do_not_match::student_b,
                        ))
                        .load::<(String, String, String)>(conn),
                ),
            ),
            (
                "mentoring_matches",
                rows(
                    mentoring_matches::table
                        .order(mentoring_matches::id)
                        .select(MentoringMatch::as_select())
                        .load(conn),
                ),
            ),
            (
                "mentoring_meetings",
                rows(
                    mentoring_meetings::table
                        .order(mentoring_meetings::id)
                        .select(MentoringMeeting::as_select())
                        .load(conn),
                ),
            ),
            (
                "check_ins",
                rows(
                    check_ins::table
                        .order(check_ins::id)
                        .select(CheckInRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "help_requests",
                rows(
                    help_requests::table
                        .order(help_requests::id)
                        .select(HelpRequestRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "help_request_notes",
                rows(
                    help_request_notes::table
                        .order(help_request_notes::id)
                        .select(HelpNoteRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "goals",
                rows(
                    goals::table
                        .order(goals::id)
                        .select(GoalRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "goal_versions",
                rows(
                    goal_versions::table
                        .order((goal_versions::goal_id, goal_versions::version))
                        .select(GoalVersionRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "goal_reviews",
                rows(
                    goal_reviews::table
                        .order(goal_reviews::id)
                        .select(GoalReviewRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "student_goal_progress",
                rows(
                    student_goal_progress::table
                        .order(student_goal_progress::id)
                        .select(GoalProgressRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "identity_providers",
                rows(
                    identity_providers::table
                        .order(identity_providers::id)
                        .select(ProviderRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "oidc_sign_ins",
                rows(
                    oidc_sign_ins::table
                        .order(oidc_sign_ins::state_hash)
                        .select(SignInRow::as_select())
                        .load(conn),
                ),
            ),
            (
                "district_support_settings",
                rows(
                    district_support_settings::table
                        .order(district_support_settings::district_id)
                        .select(SettingsRow::as_select())
                        .load(conn),
                ),
            ),
        ];
        for (table, rows) in tables {
            for row in rows {
                snapshot.0.insert(format!("{table} {row}"), String::new());
            }
        }
        snapshot
    }

    /// Every row that is not as it was in `self` (added, removed or changed), with both
    /// versions; rows in `touched` (allowed no-op writes) may carry a new `updated_at`, but every
    /// other column of theirs must still match.
    pub fn changes(&self, after: &Snapshot, touched: &HashSet<String>) -> Vec<String> {
        let mut keys: Vec<&String> = self.0.keys().chain(after.0.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut out = Vec::new();
        for key in keys {
            let (b, a) = (self.0.get(key), after.0.get(key));
            let same = match (b, a) {
                (Some(b), Some(a)) if touched.contains(key) => {
                    b.split("updated_at").next() == a.split("updated_at").next()
                }
                (b, a) => b == a,
            };
            if !same {
                out.push(format!("{key}\n    before: {b:?}\n    after:  {a:?}"));
            }
        }
        out
    }
}
