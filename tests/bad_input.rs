//! Malformed and invalid input on every write route under /api/v1 (and the list queries):
//! each case must get the right problem document, never a 500, and must leave the database
//! exactly as it was.
//!
//! The checks are table-driven. Each test collects every failing case and reports them all at
//! the end, each named by route and case, so one run shows the whole picture.

mod common;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use std::collections::HashMap;

use common::*;
use diesel::prelude::*;
use securebase::db::schema::{
    assignments, class_teachers, classes, districts, enrollments, lesson_completions,
    lesson_plan_versions, lesson_plans, mentoring_do_not_match, mentoring_matches,
    mentoring_meetings, mentoring_participants, mentoring_programs, refresh_tokens, schools,
    survey_cell_responses, survey_instruments, survey_items, survey_opt_outs, survey_participation,
    survey_window_schools, survey_windows, terms, users,
};
use securebase::db::DbConnection;
use securebase::lessons::models::{AssignmentRow, CompletionRow, PlanRow, VersionRow};
use securebase::mentoring::models::{
    MatchRow as MentoringMatch, MeetingRow as MentoringMeeting,
    ParticipantRow as MentoringParticipant, ProgramRow as MentoringProgram,
};
use securebase::surveys::models::{InstrumentRow, ItemRow, WindowRow};
use securebase::surveys::vocab::Scale;
use serde_json::{json, Value};

/// Who sends the requests: the district administrator by default; a teacher of the lesson
/// class and a student enrolled in it for the teacher and student routes; a Riverbend counselor
/// for guardian opt-outs. The student (a Riverbend 7th grader) also answers the open demo survey.
const ADMIN: &str = "denise.whitfield";
const TEACHER: &str = "samuel.ortega";
const STUDENT: &str = "andreg197";
const COUNSELOR: &str = "daniel.kim";
/// A Riverbend school administrator: may not publish survey instruments.
const PRINCIPAL: &str = "gregory.tan";
/// Samuel Ortega's class that Andre Green is enrolled in.
const LESSON_CLASS: &str = "Health & Wellness 7";

const DEFAULT_LIMIT: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Database snapshot: what a refused request must not change
// ---------------------------------------------------------------------------------------------

/// Every row of every table, rendered as text, in primary-key order.
#[derive(PartialEq)]
struct Snapshot(Vec<(&'static str, Vec<String>)>);

fn rows<T: std::fmt::Debug>(loaded: QueryResult<Vec<T>>) -> Vec<String> {
    loaded
        .expect("snapshot query")
        .iter()
        .map(|r| format!("{r:?}"))
        .collect()
}

fn snapshot(conn: &mut DbConnection) -> Snapshot {
    Snapshot(vec![
        (
            "districts",
            rows(
                districts::table
                    .order(districts::id)
                    .select((districts::id, districts::name, districts::updated_at))
                    .load::<(String, String, chrono::NaiveDateTime)>(conn),
            ),
        ),
        (
            "schools",
            rows(
                schools::table
                    .order(schools::id)
                    .select((
                        schools::id,
                        schools::name,
                        schools::low_grade,
                        schools::high_grade,
                        schools::active,
                        schools::updated_at,
                    ))
                    .load::<(String, String, i32, i32, bool, chrono::NaiveDateTime)>(conn),
            ),
        ),
        (
            "terms",
            rows(
                terms::table
                    .order(terms::id)
                    .select((
                        terms::id,
                        terms::name,
                        terms::starts_on,
                        terms::ends_on,
                        terms::updated_at,
                    ))
                    .load::<(
                        String,
                        String,
                        chrono::NaiveDate,
                        chrono::NaiveDate,
                        chrono::NaiveDateTime,
                    )>(conn),
            ),
        ),
        (
            "users",
            rows(
                users::table
                    .order(users::id)
                    .select((
                        (
                            users::id,
                            users::school_id,
                            users::role,
                            users::username,
                            users::email,
                            users::given_name,
                            users::family_name,
                        ),
                        (
                            users::grade,
                            users::password_hash,
                            users::active,
                            users::failed_logins,
                            users::locked_until,
                            users::updated_at,
                        ),
                    ))
                    .load::<(
                        (
                            String,
                            Option<String>,
                            String,
                            String,
                            Option<String>,
                            String,
                            String,
                        ),
                        (
                            Option<i32>,
                            Option<String>,
                            bool,
                            i32,
                            Option<chrono::NaiveDateTime>,
                            chrono::NaiveDateTime,
                        ),
                    )>(conn),
            ),
        ),
        (
            "classes",
            rows(
                classes::table
                    .order(classes::id)
                    .select((
                        classes::id,
                        classes::school_id,
                        classes::term_id,
                        classes::name,
                        classes::grade,
                        classes::active,
                        classes::updated_at,
                    ))
                    .load::<(
                        String,
                        String,
                        String,
                        String,
                        Option<i32>,
                        bool,
                        chrono::NaiveDateTime,
                    )>(conn),
            ),
        ),
        (
            "class_teachers",
            rows(
                class_teachers::table
                    .order((class_teachers::class_id, class_teachers::teacher_id))
                    .select((class_teachers::class_id, class_teachers::teacher_id))
                    .load::<(String, String)>(conn),
            ),
        ),
        (
            "enrollments",
            rows(
                enrollments::table
                    .order((enrollments::class_id, enrollments::student_id))
                    .select((
                        enrollments::class_id,
                        enrollments::student_id,
                        enrollments::active,
                        enrollments::updated_at,
                    ))
                    .load::<(String, String, bool, chrono::NaiveDateTime)>(conn),
            ),
        ),
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
    ])
}

impl Snapshot {
    /// Which tables differ: row counts before → after and the first differing row.
    fn diff(&self, after: &Snapshot) -> String {
        let mut out = Vec::new();
        for ((table, a), (_, b)) in self.0.iter().zip(&after.0) {
            if a != b {
                let first = a
                    .iter()
                    .zip(b)
                    .find(|(x, y)| x != y)
                    .map(|(x, y)| format!(", first change {x} → {y}"))
                    .unwrap_or_default();
                out.push(format!("{table}: {} → {} rows{first}", a.len(), b.len()));
            }
        }
        out.join("; ")
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures and the write routes
// ---------------------------------------------------------------------------------------------

struct Fx {
    district: String,
    riverbend: String,
    fall: String,
    /// A Riverbend 7th grader: the PATCH /users target.
    student: String,
    /// A Riverbend 7th grader not in Advisory 7A: the enrollment body.
    newcomer: String,
    samuel: String,
    class: String,
    /// A published district plan: the POST /classes/{id}/assignments body assigns it.
    plan: String,
    /// Another published district plan: the PATCH /lesson-plans/{id} target.
    edited_plan: String,
    /// The same starter plan in Harbor Point's library.
    other_district_plan: String,
    /// Health & Wellness 7: taught by Samuel Ortega, Andre Green enrolled.
    lesson_class: String,
    /// A scheduled assignment of that class that Andre has not completed yet (the PATCH
    /// /assignments/{id} and PUT /assignments/{id}/completion target).
    assignment: String,
    /// The open demo survey window for grades 6-12 (Riverbend and Lakeview): the opt-out and
    /// response target.
    survey_window: String,
    /// Its instrument (the published starter questionnaire for grades 6-12) and that
    /// questionnaire's lineage.
    survey_instrument: String,
    survey_lineage: String,
    /// Harbor Point's copy of the same starter questionnaire, and its lineage.
    other_district_instrument: String,
    other_district_lineage: String,
    other_district_school: String,
    other_district_student: String,
    /// An item of the grades 3-5 starter questionnaire: not an item of the window's survey.
    foreign_item: String,
    /// A Riverbend 6th grader (not the student who answers): the opt-out body.
    opted_out: String,
    /// A Lakeview High student: outside the Riverbend counselor's school.
    lakeview_student: String,
    /// Every item of the window's questionnaire, in order, each with a valid answer
    /// (`{item_id, value}`): the response body.
    answer_sheet: Vec<Value>,
    /// The position in `answer_sheet` of a yes/no item.
    yes_no_item: usize,
    mentoring: MentoringFx,
}

/// The demo Riverbend mentoring program and what its write routes take.
struct MentoringFx {
    program: String,
    /// A Riverbend 6th grader not in the program: the participant body.
    newcomer: String,
    /// Two Riverbend students not yet a do-not-match pair.
    pair: (String, String),
    /// A mentor with an open place and an unmatched mentee they may be matched with.
    mentor: String,
    mentee: String,
    /// The program's proposed match (the PATCH target) and an active match (meetings).
    proposed_match: String,
    active_match: String,
    /// Yesterday: a meeting date every active demo match accepts.
    yesterday: String,
}

fn mentoring_fixtures(conn: &mut DbConnection, riverbend: &str) -> MentoringFx {
    let program: String = mentoring_programs::table
        .filter(mentoring_programs::school_id.eq(riverbend))
        .select(mentoring_programs::id)
        .first(conn)
        .expect("the demo Riverbend program");
    let participants: Vec<MentoringParticipant> = mentoring_participants::table
        .filter(mentoring_participants::program_id.eq(&program))
        .order(mentoring_participants::id)
        .select(MentoringParticipant::as_select())
        .load(conn)
        .unwrap();
    let matches: Vec<MentoringMatch> = mentoring_matches::table
        .filter(mentoring_matches::program_id.eq(&program))
        .order(mentoring_matches::id)
        .select(MentoringMatch::as_select())
        .load(conn)
        .unwrap();
    let blocked: Vec<(String, String)> = mentoring_do_not_match::table
        .select((
            mentoring_do_not_match::student_a,
            mentoring_do_not_match::student_b,
        ))
        .load(conn)
        .unwrap();
    let is_blocked = |a: &str, b: &str| {
        blocked
            .iter()
            .any(|(x, y)| (x == a && y == b) || (x == b && y == a))
    };
    let open = |id: &str| {
        matches
            .iter()
            .filter(|m| m.status.as_str() != "closed" && (m.mentor_id == id || m.mentee_id == id))
            .count() as i32
    };
    let (mentor, mentee) = participants
        .iter()
        .filter(|p| p.role.as_str() == "mentor" && open(&p.student_id) < p.capacity)
        .flat_map(|m| {
            participants
                .iter()
                .filter(|p| p.role.as_str() == "mentee" && open(&p.student_id) == 0)
                .map(move |e| (m.student_id.clone(), e.student_id.clone()))
        })
        .find(|(m, e)| !is_blocked(m, e))
        .expect("a free mentor and mentee in the demo program");
    let enrolled: Vec<&str> = participants.iter().map(|p| p.student_id.as_str()).collect();
    let sixth: Vec<String> = users::table
        .filter(users::school_id.eq(riverbend))
        .filter(users::grade.eq(6))
        .order(users::username)
        .select(users::id)
        .load(conn)
        .unwrap();
    let newcomer = sixth
        .iter()
        .find(|id| !enrolled.contains(&id.as_str()))
        .expect("a 6th grader outside the program")
        .clone();
    let pair = (sixth[0].clone(), sixth[1].clone());
    assert!(!is_blocked(&pair.0, &pair.1));
    let by_status = |status: &str| {
        matches
            .iter()
            .find(|m| m.status.as_str() == status)
            .unwrap_or_else(|| panic!("a {status} demo match"))
            .id
            .clone()
    };
    MentoringFx {
        proposed_match: by_status("proposed"),
        active_match: by_status("active"),
        program,
        newcomer,
        pair,
        mentor,
        mentee,
        yesterday: (chrono::Utc::now().date_naive() - chrono::TimeDelta::days(1)).to_string(),
    }
}

/// A district's published starter questionnaire for grades from `grade_min`: (id, lineage).
fn starter_instrument(conn: &mut DbConnection, district: &str, grade_min: i32) -> (String, String) {
    survey_instruments::table
        .filter(survey_instruments::district_id.eq(district))
        .filter(survey_instruments::grade_min.eq(grade_min))
        .filter(survey_instruments::status.eq("published"))
        .order(survey_instruments::id)
        .select((survey_instruments::id, survey_instruments::lineage_id))
        .first(conn)
        .unwrap_or_else(|e| panic!("starter instrument from grade {grade_min}: {e}"))
}

/// Every item of an instrument in questionnaire order with a valid answer (the middle option
/// of its scale), and its scale.
fn answer_sheet(conn: &mut DbConnection, instrument: &str) -> Vec<(Value, Scale)> {
    survey_items::table
        .filter(survey_items::instrument_id.eq(instrument))
        .order(survey_items::position)
        .select((survey_items::id, survey_items::scale))
        .load::<(String, String)>(conn)
        .unwrap()
        .into_iter()
        .map(|(id, scale)| {
            let scale = Scale::parse(&scale).unwrap_or_else(|| panic!("scale {scale}"));
            let options = scale.options();
            let value = options[options.len() / 2].0;
            (json!({"item_id": id, "value": value}), scale)
        })
        .collect()
}

/// A plan of a district's starter library, by the title of its published version.
fn starter_plan(conn: &mut DbConnection, district: &str, title: &str) -> String {
    lesson_plans::table
        .inner_join(lesson_plan_versions::table)
        .filter(lesson_plans::district_id.eq(district))
        .filter(lesson_plan_versions::title.eq(title))
        .select(lesson_plans::id)
        .first(conn)
        .unwrap_or_else(|e| panic!("starter plan {title}: {e}"))
}

fn fixtures(conn: &mut DbConnection) -> Fx {
    let id_of_user = |conn: &mut DbConnection, username: &str| -> String {
        users::table
            .filter(users::username.eq(username))
            .select(users::id)
            .first(conn)
            .unwrap()
    };
    let district = securebase::seed::district_id("Maple Valley Unified School District");
    let riverbend: String = schools::table
        .filter(schools::name.eq(MIDDLE))
        .select(schools::id)
        .first(conn)
        .unwrap();
    let fall: String = terms::table
        .filter(terms::district_id.eq(&district))
        .filter(terms::name.eq("Fall 2026"))
        .select(terms::id)
        .first(conn)
        .unwrap();
    let class: String = classes::table
        .filter(classes::name.eq("Advisory 7A"))
        .select(classes::id)
        .first(conn)
        .unwrap();
    let in_class = enrollments::table
        .filter(enrollments::class_id.eq(class.clone()))
        .select(enrollments::student_id);
    let newcomer: String = users::table
        .filter(users::school_id.eq(&riverbend))
        .filter(users::role.eq("student"))
        .filter(users::grade.eq(7))
        .filter(users::id.ne_all(in_class))
        .order(users::id)
        .select(users::id)
        .first(conn)
        .unwrap();
    let lesson_class: String = classes::table
        .filter(classes::name.eq(LESSON_CLASS))
        .select(classes::id)
        .first(conn)
        .unwrap();
    let andre = id_of_user(conn, STUDENT);
    let completed_by_andre = lesson_completions::table
        .filter(lesson_completions::student_id.eq(andre))
        .select(lesson_completions::assignment_id);
    let assignment: String = assignments::table
        .filter(assignments::class_id.eq(&lesson_class))
        .filter(assignments::status.eq("scheduled"))
        .filter(
            assignments::scheduled_on.le(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()),
        )
        .filter(assignments::id.ne_all(completed_by_andre))
        .order(assignments::id)
        .select(assignments::id)
        .first(conn)
        .unwrap();
    let harbor = securebase::seed::district_id("Harbor Point School District");
    let breathing = "Box Breathing: A Reset You Can Use Anywhere";
    let riverbend_windows = survey_window_schools::table
        .filter(survey_window_schools::school_id.eq(riverbend.clone()))
        .select(survey_window_schools::window_id);
    let (survey_window, survey_instrument): (String, String) = survey_windows::table
        .filter(survey_windows::district_id.eq(&district))
        .filter(survey_windows::id.eq_any(riverbend_windows))
        // The open one: the demo also has closed windows with answers.
        .filter(survey_windows::closes_at.gt(securebase::db::now()))
        .order(survey_windows::id)
        .select((survey_windows::id, survey_windows::instrument_id))
        .first(conn)
        .expect("the open demo survey window of Riverbend");
    let (starter, survey_lineage) = starter_instrument(conn, &district, 6);
    assert_eq!(
        starter, survey_instrument,
        "the Riverbend window uses the 6-12 starter"
    );
    let (other_district_instrument, other_district_lineage) = starter_instrument(conn, &harbor, 6);
    let (elementary_instrument, _) = starter_instrument(conn, &district, 3);
    let foreign_item = answer_sheet(conn, &elementary_instrument)[0].0["item_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sheet = answer_sheet(conn, &survey_instrument);
    let yes_no_item = sheet
        .iter()
        .position(|(_, scale)| *scale == Scale::YesNo)
        .expect("a yes/no item in the 6-12 questionnaire");
    let opted_out: String = users::table
        .filter(users::school_id.eq(&riverbend))
        .filter(users::role.eq("student"))
        .filter(users::grade.eq(6))
        .order(users::id)
        .select(users::id)
        .first(conn)
        .unwrap();
    let lakeview: String = schools::table
        .filter(schools::name.eq(HIGH))
        .select(schools::id)
        .first(conn)
        .unwrap();
    let lakeview_student: String = users::table
        .filter(users::school_id.eq(lakeview))
        .filter(users::role.eq("student"))
        .order(users::id)
        .select(users::id)
        .first(conn)
        .unwrap();
    let other_district_school: String = schools::table
        .filter(schools::district_id.eq(&harbor))
        .select(schools::id)
        .first(conn)
        .unwrap();
    Fx {
        survey_window,
        survey_instrument,
        survey_lineage,
        other_district_instrument,
        other_district_lineage,
        other_district_school,
        other_district_student: id_of_user(conn, "hp.student"),
        foreign_item,
        opted_out,
        lakeview_student,
        answer_sheet: sheet.into_iter().map(|(answer, _)| answer).collect(),
        mentoring: mentoring_fixtures(conn, &riverbend),
        yes_no_item,
        student: id_of_user(conn, "amaraa251"),
        samuel: id_of_user(conn, "samuel.ortega"),
        plan: starter_plan(conn, &district, breathing),
        edited_plan: starter_plan(
            conn,
            &district,
            "More Than Mad, Sad, or Fine: Building an Emotion Vocabulary",
        ),
        other_district_plan: starter_plan(conn, &harbor, breathing),
        district,
        riverbend,
        fall,
        newcomer,
        class,
        lesson_class,
        assignment,
    }
}

/// A route that takes a JSON body.
struct Route {
    /// `METHOD /template`, for messages.
    label: &'static str,
    method: &'static str,
    path: String,
    /// Whose token is sent (a demo username), or none.
    caller: Option<&'static str>,
    /// A body the route would accept; every case below differs from it in one way.
    valid: Value,
    /// Fields whose absence is refused.
    required: &'static [&'static str],
}

impl Route {
    /// The valid body with some fields replaced.
    fn with(&self, changes: Value) -> Value {
        let mut body = self.valid.clone();
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    }

    fn without(&self, field: &str) -> Value {
        let mut body = self.valid.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    }
}

fn write_routes(fx: &Fx) -> Vec<Route> {
    vec![
        Route {
            label: "POST /api/v1/auth/login",
            method: "POST",
            path: "/api/v1/auth/login".into(),
            caller: None,
            valid: json!({"username": "denise.whitfield", "password": DEMO_PASSWORD}),
            required: &["username", "password"],
        },
        Route {
            label: "POST /api/v1/auth/refresh",
            method: "POST",
            path: "/api/v1/auth/refresh".into(),
            caller: None,
            valid: json!({"refresh_token": "r".repeat(43)}),
            required: &["refresh_token"],
        },
        Route {
            label: "POST /api/v1/auth/logout",
            method: "POST",
            path: "/api/v1/auth/logout".into(),
            caller: None,
            valid: json!({"refresh_token": "r".repeat(43)}),
            required: &["refresh_token"],
        },
        Route {
            label: "POST /api/v1/me/password",
            method: "POST",
            path: "/api/v1/me/password".into(),
            caller: Some(ADMIN),
            valid: json!({"current_password": DEMO_PASSWORD, "new_password": "another-long-password"}),
            required: &["current_password", "new_password"],
        },
        Route {
            label: "PATCH /api/v1/districts/{id}",
            method: "PATCH",
            path: format!("/api/v1/districts/{}", fx.district),
            caller: Some(ADMIN),
            valid: json!({"name": "Maple Valley USD"}),
            required: &[],
        },
        Route {
            label: "POST /api/v1/auth/activate",
            method: "POST",
            path: "/api/v1/auth/activate".into(),
            caller: None,
            valid: json!({"code": "AAAA-BBBB-CCCC", "password": "river-stones-42"}),
            required: &["code", "password"],
        },
        Route {
            label: "POST /api/v1/schools/{id}/activation-codes",
            method: "POST",
            path: format!("/api/v1/schools/{}/activation-codes", fx.riverbend),
            caller: Some(ADMIN),
            valid: json!({"grade": 7, "include_activated": false, "expires_in_days": 14}),
            required: &[],
        },
        Route {
            label: "POST /api/v1/users/{id}/activation-code",
            method: "POST",
            path: format!("/api/v1/users/{}/activation-code", fx.student),
            caller: Some(ADMIN),
            valid: json!({"expires_in_days": 7}),
            required: &[],
        },
        Route {
            label: "PUT /api/v1/districts/{id}/retention",
            method: "PUT",
            path: format!("/api/v1/districts/{}/retention", fx.district),
            caller: Some(ADMIN),
            valid: json!({"participation_days": 365, "deactivated_account_days": 730, "reflection_days": 365}),
            required: &[],
        },
        Route {
            label: "POST /api/v1/schools",
            method: "POST",
            path: "/api/v1/schools".into(),
            caller: Some(ADMIN),
            valid: json!({"name": "Probe School", "low_grade": 0, "high_grade": 5}),
            required: &["name", "low_grade", "high_grade"],
        },
        Route {
            label: "PATCH /api/v1/schools/{id}",
            method: "PATCH",
            path: format!("/api/v1/schools/{}", fx.riverbend),
            caller: Some(ADMIN),
            valid: json!({"name": "Riverbend MS", "low_grade": 6, "high_grade": 8, "active": true}),
            required: &[],
        },
        Route {
            label: "POST /api/v1/terms",
            method: "POST",
            path: "/api/v1/terms".into(),
            caller: Some(ADMIN),
            valid: json!({"name": "Probe Term", "starts_on": "2027-08-16", "ends_on": "2027-12-17"}),
            required: &["name", "starts_on", "ends_on"],
        },
        Route {
            label: "PATCH /api/v1/terms/{id}",
            method: "PATCH",
            path: format!("/api/v1/terms/{}", fx.fall),
            caller: Some(ADMIN),
            valid: json!({"name": "Autumn 2026", "starts_on": "2026-08-18", "ends_on": "2026-12-17"}),
            required: &[],
        },
        Route {
            label: "POST /api/v1/users",
            method: "POST",
            path: "/api/v1/users".into(),
            caller: Some(ADMIN),
            valid: json!({
                "username": "probe.user", "role": "student", "school_id": fx.riverbend, "grade": 7,
                "given_name": "Pro", "family_name": "Be", "email": "probe@maplevalley.example.org",
                "password": "a-long-enough-password",
            }),
            required: &["username", "role", "given_name", "family_name"],
        },
        Route {
            label: "PATCH /api/v1/users/{id}",
            method: "PATCH",
            path: format!("/api/v1/users/{}", fx.student),
            caller: Some(ADMIN),
            valid: json!({
                "given_name": "Amara", "family_name": "Abdi", "email": "amara@maplevalley.example.org",
                "grade": 8, "active": true, "school_id": fx.riverbend, "role": "student",
            }),
            required: &[],
        },
        Route {
            label: "POST /api/v1/classes",
            method: "POST",
            path: "/api/v1/classes".into(),
            caller: Some(ADMIN),
            valid: json!({
                "school_id": fx.riverbend, "term_id": fx.fall, "name": "Probe Class", "grade": 7,
                "teacher_ids": [fx.samuel],
            }),
            required: &["school_id", "term_id", "name"],
        },
        Route {
            label: "PATCH /api/v1/classes/{id}",
            method: "PATCH",
            path: format!("/api/v1/classes/{}", fx.class),
            caller: Some(ADMIN),
            valid: json!({
                "name": "Advisory 7-A", "term_id": fx.fall, "grade": 7, "active": true,
                "teacher_ids": [fx.samuel],
            }),
            required: &[],
        },
        Route {
            label: "POST /api/v1/classes/{id}/enrollments",
            method: "POST",
            path: format!("/api/v1/classes/{}/enrollments", fx.class),
            caller: Some(ADMIN),
            valid: json!({"student_id": fx.newcomer}),
            required: &["student_id"],
        },
        Route {
            label: "POST /api/v1/lesson-plans",
            method: "POST",
            path: "/api/v1/lesson-plans".into(),
            caller: Some(ADMIN),
            valid: json!({
                "title": "Probe Plan", "summary": "A short probe lesson.",
                "competency": "self_awareness", "component": "emotional_regulation",
                "grade_band": "6-8", "duration_minutes": 20,
                "objectives": ["Name one feeling"], "materials": ["Paper"],
                "steps": [
                    {"title": "Check in", "minutes": 5, "instructions": "Share one word."},
                    {"title": "Practice", "minutes": 15, "instructions": "Try it in pairs."},
                ],
                "reflection_prompt": "How do you feel now?",
            }),
            required: &[
                "title",
                "summary",
                "competency",
                "component",
                "grade_band",
                "duration_minutes",
                "objectives",
                "materials",
                "steps",
                "reflection_prompt",
            ],
        },
        Route {
            label: "PATCH /api/v1/lesson-plans/{id}",
            method: "PATCH",
            path: format!("/api/v1/lesson-plans/{}", fx.edited_plan),
            caller: Some(ADMIN),
            valid: json!({
                "title": "Beyond Mad, Sad, or Fine", "summary": "Naming feelings precisely.",
                "competency": "self_awareness", "component": "emotional_regulation",
                "grade_band": "6-8", "duration_minutes": 35,
                "objectives": ["Name three shades of anger"], "materials": ["Feelings wheel"],
                "steps": [
                    {"title": "Warm-up", "minutes": 10, "instructions": "Sort feeling words."},
                    {"title": "Practice", "minutes": 25, "instructions": "Describe a scene."},
                ],
                "reflection_prompt": "Which new word fits today?", "archived": false,
            }),
            required: &[],
        },
        Route {
            label: "POST /api/v1/classes/{id}/assignments",
            method: "POST",
            path: format!("/api/v1/classes/{}/assignments", fx.lesson_class),
            caller: Some(TEACHER),
            valid: json!({"plan_id": fx.plan, "scheduled_on": "2026-12-01", "due_on": "2026-12-04"}),
            required: &["plan_id", "scheduled_on"],
        },
        Route {
            label: "PATCH /api/v1/assignments/{id}",
            method: "PATCH",
            path: format!("/api/v1/assignments/{}", fx.assignment),
            caller: Some(TEACHER),
            valid: json!({
                "scheduled_on": "2026-11-24", "due_on": "2026-12-02", "status": "scheduled",
                "delivered_on": "2026-11-25", "teacher_note": "Good discussion.",
            }),
            required: &[],
        },
        Route {
            label: "PUT /api/v1/assignments/{id}/completion",
            method: "PUT",
            path: format!("/api/v1/assignments/{}/completion", fx.assignment),
            caller: Some(STUDENT),
            valid: json!({"emotion": "calm", "reflection": "Breathing in squares helped."}),
            required: &[],
        },
        Route {
            label: "POST /api/v1/survey-instruments",
            method: "POST",
            path: "/api/v1/survey-instruments".into(),
            caller: Some(ADMIN),
            valid: json!({
                "title": "Probe pulse", "description": "Two quick questions.",
                "grade_min": 6, "grade_max": 8, "lineage_id": fx.survey_lineage,
                "sections": [{"title": "Pulse", "items": [
                    {"prompt": "I feel I belong at this school.", "scale": "agreement_5",
                     "indicator": "belonging", "reverse_scored": false, "required": true,
                     "ppra_areas": []},
                    {"prompt": "Another student teased me in a hurtful way.",
                     "scale": "frequency_5", "indicator": "bullying_victimization",
                     "required": false, "ppra_areas": ["illegal_or_antisocial_behavior"]},
                ]}],
            }),
            required: &["title", "description", "grade_min", "grade_max", "sections"],
        },
        Route {
            label: "POST /api/v1/survey-windows",
            method: "POST",
            path: "/api/v1/survey-windows".into(),
            caller: Some(ADMIN),
            valid: json!({
                "instrument_id": fx.survey_instrument, "title": "Probe window",
                "opens_at": "2027-01-11T08:00:00Z", "closes_at": "2027-01-29T16:00:00Z",
                "school_ids": [fx.riverbend], "grades": [6, 7], "min_cell_size": 10,
            }),
            required: &[
                "instrument_id",
                "title",
                "opens_at",
                "closes_at",
                "school_ids",
                "grades",
            ],
        },
        Route {
            label: "POST /api/v1/survey-windows/{id}/opt-outs",
            method: "POST",
            path: format!("/api/v1/survey-windows/{}/opt-outs", fx.survey_window),
            caller: Some(COUNSELOR),
            valid: json!({"student_id": fx.opted_out}),
            required: &["student_id"],
        },
        Route {
            label: "POST /api/v1/survey-windows/{id}/responses",
            method: "POST",
            path: format!("/api/v1/survey-windows/{}/responses", fx.survey_window),
            caller: Some(STUDENT),
            valid: json!({"answers": fx.answer_sheet}),
            required: &["answers"],
        },
        Route {
            label: "POST /api/v1/mentoring/programs",
            method: "POST",
            path: "/api/v1/mentoring/programs".into(),
            caller: Some(COUNSELOR),
            valid: json!({
                "name": "Probe Program", "goals": "Belonging in sixth grade",
                "mentor_grades": [8], "mentee_grades": [6], "min_grade_gap": 2,
                "preferred_grade_gap": 2, "mentor_capacity": 2,
                "starts_on": "2026-09-01", "ends_on": "2027-06-15",
            }),
            required: &[
                "name",
                "mentor_grades",
                "mentee_grades",
                "mentor_capacity",
                "starts_on",
                "ends_on",
            ],
        },
        Route {
            label: "POST /api/v1/mentoring/programs/{id}/participants",
            method: "POST",
            path: format!(
                "/api/v1/mentoring/programs/{}/participants",
                fx.mentoring.program
            ),
            caller: Some(COUNSELOR),
            valid: json!({
                "student_id": fx.mentoring.newcomer, "role": "mentee",
                "interests": ["music", "animals"],
                "availability": [{"day": "monday", "period": "lunch"}],
            }),
            required: &["student_id", "role", "availability"],
        },
        Route {
            label: "POST /api/v1/mentoring/do-not-match",
            method: "POST",
            path: "/api/v1/mentoring/do-not-match".into(),
            caller: Some(COUNSELOR),
            valid: json!({"student_a_id": fx.mentoring.pair.0, "student_b_id": fx.mentoring.pair.1}),
            required: &["student_a_id", "student_b_id"],
        },
        Route {
            label: "POST /api/v1/mentoring/programs/{id}/matches",
            method: "POST",
            path: format!(
                "/api/v1/mentoring/programs/{}/matches",
                fx.mentoring.program
            ),
            caller: Some(COUNSELOR),
            valid: json!({"matches": [{"mentor_id": fx.mentoring.mentor, "mentee_id": fx.mentoring.mentee}]}),
            required: &["matches"],
        },
        Route {
            label: "PATCH /api/v1/mentoring/matches/{id}",
            method: "PATCH",
            path: format!("/api/v1/mentoring/matches/{}", fx.mentoring.proposed_match),
            caller: Some(COUNSELOR),
            valid: json!({"status": "active"}),
            required: &["status"],
        },
        Route {
            label: "POST /api/v1/mentoring/matches/{id}/meetings",
            method: "POST",
            path: format!(
                "/api/v1/mentoring/matches/{}/meetings",
                fx.mentoring.active_match
            ),
            caller: Some(COUNSELOR),
            valid: json!({
                "met_on": fx.mentoring.yesterday, "minutes": 30,
                "topics": ["friendships"], "note": "Planned the next check-in.",
            }),
            required: &["met_on", "minutes", "topics"],
        },
    ]
}

fn route<'a>(routes: &'a [Route], label: &str) -> &'a Route {
    routes
        .iter()
        .find(|r| r.label == label)
        .unwrap_or_else(|| panic!("no route {label}"))
}

/// The body if it (with an extra field) fits in `limit` bytes; otherwise the same body with its
/// lists cut to their first element (a survey answer sheet is larger than a small limit).
fn fitting(body: &Value, limit: usize) -> Value {
    let room = limit - r#","zzz_extra":1"#.len();
    if serde_json::to_vec(body).unwrap().len() <= room {
        return body.clone();
    }
    let mut small = body.clone();
    for value in small.as_object_mut().unwrap().values_mut() {
        if let Value::Array(items) = value {
            items.truncate(1);
        }
    }
    assert!(
        serde_json::to_vec(&small).unwrap().len() <= room,
        "no small enough variant of {body}"
    );
    small
}

/// A body padded with trailing JSON whitespace to exactly `len` bytes.
fn padded(body: &Value, len: usize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(body).unwrap();
    assert!(bytes.len() <= len, "body already longer than {len}");
    bytes.resize(len, b' ');
    bytes
}

// ---------------------------------------------------------------------------------------------
// The bench: sends a case, checks the answer and the database, records failures
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Want<'a> {
    /// A problem document with this status.
    Problem(u16),
    /// 422 naming this field.
    Invalid(&'a str),
    /// 422 naming one of these fields (where either is a fair answer).
    InvalidOneOf(&'a [&'a str]),
    /// 422 naming this field, its message listing this allowed value (and not the sent one:
    /// ``unknown value, expected one of `a`, `b` ``).
    InvalidListing(&'a str, &'a str),
    /// An empty list (200, total 0), or 422 naming this parameter.
    EmptyOrInvalid(&'a str),
    /// A problem document with one of these statuses.
    ProblemOneOf(&'a [u16]),
    /// Anything but a server error; a refusal must still leave the database alone.
    NoServerError,
}

impl Want<'_> {
    fn expects_refusal(&self) -> bool {
        !matches!(self, Want::NoServerError | Want::EmptyOrInvalid(_))
    }
}

const JSON: &[(&str, &str)] = &[("Content-Type", "application/json")];

struct Bench {
    app: TestApp,
    /// The district administrator's token.
    token: String,
    /// Tokens by username, signed in on first use.
    tokens: HashMap<String, String>,
    conn: DbConnection,
    /// The database as the previous case left it (nothing else writes between cases).
    last: Option<Snapshot>,
    cases: usize,
    failures: Vec<String>,
}

impl Bench {
    fn new(app: TestApp) -> Bench {
        let token = app.login(ADMIN);
        let conn = app.conn();
        Bench {
            app,
            tokens: HashMap::from([(ADMIN.to_owned(), token.clone())]),
            token,
            conn,
            last: None,
            cases: 0,
            failures: Vec::new(),
        }
    }

    fn fixtures(&mut self) -> Fx {
        fixtures(&mut self.conn)
    }

    /// Call after writing outside the bench, so the next case takes a fresh snapshot.
    fn forget(&mut self) {
        self.last = None;
    }

    /// The caller's token, signing in on first use (a sign-in writes a refresh token, so the
    /// next case takes a fresh snapshot).
    fn token_for(&mut self, caller: Option<&str>) -> Option<String> {
        let user = caller?;
        if let Some(token) = self.tokens.get(user) {
            return Some(token.clone());
        }
        let token = self.app.login(user);
        self.tokens.insert(user.to_owned(), token.clone());
        self.forget();
        Some(token)
    }

    /// Sends a JSON body to a route.
    fn json(&mut self, route: &Route, case: &str, body: &[u8], want: Want) {
        self.send(
            &format!("{} [{case}]", route.label),
            route.method,
            &route.path,
            route.caller,
            JSON,
            Some(body),
            want,
        );
    }

    fn value(&mut self, route: &Route, case: &str, body: &Value, want: Want) {
        self.json(route, case, &serde_json::to_vec(body).unwrap(), want);
    }

    #[allow(clippy::too_many_arguments)]
    fn send(
        &mut self,
        what: &str,
        method: &str,
        path: &str,
        caller: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        want: Want,
    ) {
        self.exchange(what, caller, want, |app, token| {
            let r = app.request(method, path, token, headers, body);
            let content_type = r.header("content-type").map(str::to_owned);
            (r.status, content_type, r.text)
        });
    }

    /// Sends a body without Content-Length (chunked transfer encoding).
    fn chunked(&mut self, route: &Route, case: &str, body: &[u8], want: Want) {
        let what = format!("{} [{case}]", route.label);
        self.exchange(&what, route.caller, want, |app, token| {
            send_chunked(app, route.method, &route.path, token.unwrap_or(""), body)
        });
    }

    /// Runs one exchange, checks the answer, and checks that a refusal wrote nothing.
    fn exchange(
        &mut self,
        what: &str,
        caller: Option<&str>,
        want: Want,
        call: impl FnOnce(&TestApp, Option<&str>) -> (u16, Option<String>, String),
    ) {
        let token = self.token_for(caller);
        let before = match self.last.take() {
            Some(s) => s,
            None => snapshot(&mut self.conn),
        };
        let (status, content_type, text) = call(&self.app, token.as_deref());
        self.cases += 1;
        let mut problems = check_response(status, content_type.as_deref(), &text, want);
        let after = snapshot(&mut self.conn);
        if (status >= 400 || want.expects_refusal()) && after != before {
            problems.push(format!(
                "the database changed (answered {status}): {}",
                before.diff(&after)
            ));
        }
        self.last = Some(after);
        if !problems.is_empty() {
            self.failures
                .push(format!("{what}: {}", problems.join("; ")));
        }
    }

    fn finish(self, test: &str) {
        eprintln!("{test}: {} cases checked", self.cases);
        if !self.failures.is_empty() {
            let mut report = format!(
                "{test}: {} of {} cases failed:\n",
                self.failures.len(),
                self.cases
            );
            for f in &self.failures {
                let _ = writeln!(report, "  - {f}");
            }
            panic!("{report}");
        }
    }
}

fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Everything wrong with a response, given what was wanted.
fn check_response(status: u16, content_type: Option<&str>, text: &str, want: Want) -> Vec<String> {
    let mut problems = Vec::new();
    if status >= 500 {
        problems.push(format!("server error {status}: {text}"));
        return problems;
    }
    let body: Option<Value> = serde_json::from_str(text).ok();
    if status >= 400 {
        if content_type != Some("application/problem+json") {
            problems.push(format!(
                "{status} with Content-Type {content_type:?}, not application/problem+json"
            ));
        }
        match &body {
            Some(b) => {
                let typed = b["type"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("urn:securebase:problem:"));
                if b["status"] != status
                    || !typed
                    || !b["title"].is_string()
                    || !b["detail"].is_string()
                {
                    problems.push(format!("malformed problem document: {text}"));
                }
            }
            None => problems.push(format!("{status} body is not JSON: {text:?}")),
        }
    }
    let fields = body.as_ref().map(error_fields).unwrap_or_default();
    let invalid = |names: &[&str], problems: &mut Vec<String>| {
        if status != 422 {
            problems.push(format!(
                "expected 422 naming {names:?}, got {status}: {text}"
            ));
        } else if !fields.iter().any(|f| names.contains(&f.as_str())) {
            problems.push(format!(
                "expected 422 naming {names:?}, but it names {fields:?}: {text}"
            ));
        }
    };
    match want {
        Want::Problem(expected) => {
            if status != expected {
                problems.push(format!("expected {expected}, got {status}: {text}"));
            }
        }
        Want::ProblemOneOf(allowed) => {
            if !allowed.contains(&status) {
                problems.push(format!("expected one of {allowed:?}, got {status}: {text}"));
            }
        }
        Want::Invalid(field) => invalid(&[field], &mut problems),
        Want::InvalidOneOf(names) => invalid(names, &mut problems),
        Want::InvalidListing(field, allowed) => {
            invalid(&[field], &mut problems);
            let listed = body
                .as_ref()
                .and_then(|b| b["errors"].as_array())
                .is_some_and(|errors| {
                    errors.iter().any(|e| {
                        e["field"] == field
                            && e["message"].as_str().is_some_and(|m| {
                                m.starts_with("unknown value, expected ")
                                    && m.contains(&format!("`{allowed}`"))
                            })
                    })
                });
            if status == 422 && !listed {
                problems.push(format!(
                    "the message on {field} is not \"unknown value, expected …`{allowed}`…\": {text}"
                ));
            }
        }
        Want::EmptyOrInvalid(field) => {
            if status == 200 {
                let total = body.as_ref().map(|b| b["total"].clone());
                if total != Some(json!(0)) {
                    problems.push(format!(
                        "expected an empty list or 422 naming {field}, got 200 with total {total:?}"
                    ));
                }
            } else {
                invalid(&[field], &mut problems);
            }
        }
        Want::NoServerError => {}
    }
    problems
}

/// Sends a request with a chunked body (no Content-Length) over a raw connection.
fn send_chunked(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: &[u8],
) -> (u16, Option<String>, String) {
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    // The server may answer and stop reading early; write errors are expected then.
    let _ = stream.write_all(head.as_bytes());
    for chunk in body.chunks(512) {
        let sent = stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .and_then(|_| stream.write_all(chunk))
            .and_then(|_| stream.write_all(b"\r\n"));
        if sent.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, text) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {raw:?}"));
    let content_type = head.lines().find_map(|l| {
        l.split_once(':')
            .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.trim().to_owned())
    });
    (status, content_type, text.to_owned())
}

// ---------------------------------------------------------------------------------------------
// The tables themselves: every write route is covered, and every base body is valid
// ---------------------------------------------------------------------------------------------

#[test]
fn the_tables_cover_every_write_route_of_the_openapi_document() {
    let db = TestDb::create();
    let mut conn = securebase::db::establish(db.url()).expect("connect to the test database");
    let fx = fixtures(&mut conn);
    let mut covered: Vec<String> = write_routes(&fx)
        .iter()
        .map(|r| r.label.to_owned())
        .collect();
    // The write routes without a body, covered by their own tests below.
    covered.push("DELETE /api/v1/classes/{id}/enrollments/{student_id}".to_owned());
    covered.push("POST /api/v1/lesson-plans/{id}/publish".to_owned());
    covered.push("POST /api/v1/survey-instruments/{id}/publish".to_owned());
    // A multipart upload, not JSON: its malformed bundles are covered in tests/oneroster.rs.
    covered.push("POST /api/v1/districts/{id}/imports/oneroster".to_owned());
    covered.sort();
    let doc = serde_json::to_value(securebase::app::openapi()).unwrap();
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["post", "patch", "put", "delete"].contains(&method.as_str())
                && path.starts_with("/api/v1/")
            {
                documented.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    documented.sort();
    assert_eq!(
        covered, documented,
        "add new write routes to write_routes() so bad input is checked on them"
    );
}

#[test]
fn every_base_body_of_the_tables_is_accepted() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let fx = fixtures(&mut conn);
    let tokens: HashMap<&str, String> = [ADMIN, TEACHER, STUDENT, COUNSELOR]
        .into_iter()
        .map(|user| (user, app.login(user)))
        .collect();
    #[rustfmt::skip]
    let expected: &[(&str, u16)] = &[
        ("POST /api/v1/auth/login", 200),
        ("POST /api/v1/auth/refresh", 401), // a well-formed but unknown token
        ("POST /api/v1/auth/logout", 204),
        ("PATCH /api/v1/districts/{id}", 200),
        ("POST /api/v1/schools", 201),
        ("PATCH /api/v1/schools/{id}", 200),
        ("POST /api/v1/terms", 201),
        ("PATCH /api/v1/terms/{id}", 200),
        ("POST /api/v1/users", 201),
        ("PATCH /api/v1/users/{id}", 200),
        ("POST /api/v1/classes", 201),
        ("PATCH /api/v1/classes/{id}", 200),
        ("POST /api/v1/classes/{id}/enrollments", 201),
        ("POST /api/v1/lesson-plans", 201),
        ("PATCH /api/v1/lesson-plans/{id}", 200),
        ("POST /api/v1/classes/{id}/assignments", 201),
        ("PATCH /api/v1/assignments/{id}", 200),
        ("PUT /api/v1/assignments/{id}/completion", 201), // the first completion
        ("POST /api/v1/survey-instruments", 201), // version 2 of the starter questionnaire
        ("POST /api/v1/survey-windows", 201),
        ("POST /api/v1/survey-windows/{id}/opt-outs", 201), // the first opt-out
        ("POST /api/v1/survey-windows/{id}/responses", 201), // the first answer
        ("POST /api/v1/mentoring/programs", 201),
        ("POST /api/v1/mentoring/programs/{id}/participants", 201),
        ("POST /api/v1/mentoring/do-not-match", 201),
        ("POST /api/v1/mentoring/programs/{id}/matches", 201),
        ("PATCH /api/v1/mentoring/matches/{id}", 200),
        ("POST /api/v1/mentoring/matches/{id}/meetings", 201),
        ("POST /api/v1/me/password", 204),
        // A well-formed but unknown code.
        ("POST /api/v1/auth/activate", 422),
        ("POST /api/v1/schools/{id}/activation-codes", 201),
        ("POST /api/v1/users/{id}/activation-code", 201),
        ("PUT /api/v1/districts/{id}/retention", 200),
    ];
    let routes = write_routes(&fx);
    assert_eq!(expected.len(), routes.len());
    for (label, status) in expected {
        let route = route(&routes, label);
        let r = app.send(
            route.method,
            &route.path,
            route.caller.map(|user| tokens[user].as_str()),
            &route.valid,
        );
        assert_eq!(r.status, *status, "{label} with its base body: {}", r.text);
    }
}

// ---------------------------------------------------------------------------------------------
// Malformed JSON → 400
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_json_is_400_on_every_write_route() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    for route in &write_routes(&fx) {
        let valid = serde_json::to_string(&route.valid).unwrap();
        let first = route
            .valid
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        #[rustfmt::skip]
        let bodies: Vec<(&str, Vec<u8>)> = vec![
            ("empty body",           Vec::new()),
            ("whitespace only",      b"  \n ".to_vec()),
            ("truncated",            valid.as_bytes()[..valid.len() - 1].to_vec()),
            ("unclosed string",      format!("{{\"{first}\": \"abc").into_bytes()),
            ("missing value",        format!("{{\"{first}\": }}").into_bytes()),
            ("trailing comma",       format!("{},}}", &valid[..valid.len() - 1]).into_bytes()),
            ("single quotes",        format!("{{'{first}': 'x'}}").into_bytes()),
            ("unquoted key",         format!("{{{first}: \"x\"}}").into_bytes()),
            ("bare word",            b"hello".to_vec()),
            ("NaN literal",          format!("{{\"{first}\": NaN}}").into_bytes()),
            ("trailing garbage",     format!("{valid} x").into_bytes()),
            ("two documents",        format!("{valid}{valid}").into_bytes()),
            ("lone surrogate",       format!("{{\"{first}\": \"\\ud800\"}}").into_bytes()),
            ("raw control char",     format!("{{\"{first}\": \"a\u{1}b\"}}").into_bytes()),
            ("invalid UTF-8",        [format!("{{\"{first}\": \"").as_bytes(), b"\xff\xfe", b"\"}"].concat()),
            ("UTF-16 with BOM",      b"\xff\xfe{\x00}\x00".to_vec()),
        ];
        for (case, body) in bodies {
            bench.json(route, case, &body, Want::Problem(400));
        }
    }
    bench.finish("malformed JSON");
}

// ---------------------------------------------------------------------------------------------
// Wrong JSON types → 422 naming the field
// ---------------------------------------------------------------------------------------------

/// Values of the wrong JSON type for a field whose valid value is `v`.
fn wrong_types(v: &Value) -> Vec<(&'static str, Value)> {
    match v {
        Value::String(_) => vec![
            ("number for string", json!(42)),
            ("object for string", json!({"x": 1})),
        ],
        Value::Number(_) => vec![
            ("string for integer", json!("7")),
            ("float for integer", json!(7.5)),
        ],
        Value::Bool(_) => vec![
            ("string for boolean", json!("true")),
            ("number for boolean", json!(1)),
        ],
        Value::Array(_) => vec![
            ("string for list", json!("x")),
            ("object for list", json!({"0": "x"})),
        ],
        _ => vec![],
    }
}

#[test]
fn wrong_json_types_are_422_naming_the_field() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let routes = write_routes(&fx);
    for route in &routes {
        for (field, value) in route.valid.as_object().unwrap() {
            for (case, wrong) in wrong_types(value) {
                let body = route.with(json!({ field: wrong }));
                bench.value(
                    route,
                    &format!("{field}: {case}"),
                    &body,
                    Want::Invalid(field),
                );
            }
        }
        for field in route.required {
            let body = route.with(json!({ *field: null }));
            bench.value(
                route,
                &format!("{field}: null"),
                &body,
                Want::Invalid(field),
            );
        }
        // The body itself of the wrong type.
        for (case, body) in [
            ("array", json!([])),
            ("string", json!("x")),
            ("number", json!(1)),
            ("null", json!(null)),
        ] {
            bench.value(route, &format!("body is {case}"), &body, Want::Problem(422));
        }
    }
    // Elements of a list are named by index.
    let classes = route(&routes, "POST /api/v1/classes");
    let body = classes.with(json!({"teacher_ids": [fx.samuel, 7]}));
    bench.value(
        classes,
        "teacher_ids element of wrong type",
        &body,
        Want::Invalid("teacher_ids[1]"),
    );
    let patch = route(&routes, "PATCH /api/v1/classes/{id}");
    let body = patch.with(json!({"teacher_ids": [null]}));
    bench.value(
        patch,
        "teacher_ids element null",
        &body,
        Want::Invalid("teacher_ids[0]"),
    );
    // Integers that do not fit.
    let schools = route(&routes, "POST /api/v1/schools");
    for (case, n) in [
        ("2^31", json!(2_147_483_648_i64)),
        ("-2^63", json!(i64::MIN)),
        ("u64 max", json!(u64::MAX)),
    ] {
        let body = schools.with(json!({"low_grade": n}));
        bench.value(
            schools,
            &format!("low_grade {case}"),
            &body,
            Want::Invalid("low_grade"),
        );
    }
    bench.finish("wrong JSON types");
}

// ---------------------------------------------------------------------------------------------
// Unknown and missing fields → 422 naming the field
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_fields_are_422_naming_the_field() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    for route in &write_routes(&fx) {
        let first = route
            .valid
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        let shouting = first.to_uppercase();
        #[rustfmt::skip]
        let extras: Vec<(String, Value)> = vec![
            ("zzz_extra".into(),  json!(true)),
            ("id".into(),         json!("00000000-0000-0000-0000-000000000000")),
            ("created_at".into(), json!("2020-01-01T00:00:00Z")),
            ("district_id".into(), json!("someone-else")),
            (shouting,            json!("x")),
        ];
        for (extra, value) in extras {
            let body = route.with(json!({ extra.clone(): value }));
            bench.value(
                route,
                &format!("unknown field {extra}"),
                &body,
                Want::Invalid(&extra),
            );
        }
    }
    bench.finish("unknown fields");
}

#[test]
fn missing_required_fields_are_422_naming_the_field() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    for route in &write_routes(&fx) {
        for field in route.required {
            let body = route.without(field);
            bench.value(
                route,
                &format!("without {field}"),
                &body,
                Want::Invalid(field),
            );
        }
        if !route.required.is_empty() {
            bench.value(
                route,
                "empty object",
                &json!({}),
                Want::InvalidOneOf(route.required),
            );
        }
    }
    bench.finish("missing fields");
}

// ---------------------------------------------------------------------------------------------
// Size limits → 413; media types → 415
// ---------------------------------------------------------------------------------------------

#[test]
fn bodies_over_the_default_limit_are_413() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    for route in &write_routes(&fx) {
        // One byte over, and far over.
        bench.json(
            route,
            "64 KiB + 1",
            &padded(&route.valid, DEFAULT_LIMIT + 1),
            Want::Problem(413),
        );
        bench.json(
            route,
            "1 MiB",
            &padded(&route.valid, 1024 * 1024),
            Want::Problem(413),
        );
        // Exactly at the limit the body is read: this one is refused for its unknown field.
        let at_limit = padded(&route.with(json!({"zzz_extra": 1})), DEFAULT_LIMIT);
        bench.json(
            route,
            "exactly 64 KiB",
            &at_limit,
            Want::Invalid("zzz_extra"),
        );
        // Without Content-Length (chunked), the limit holds while reading.
        if route.caller.is_some() {
            let body = padded(&route.valid, DEFAULT_LIMIT + 1);
            bench.chunked(route, "chunked, 64 KiB + 1", &body, Want::Problem(413));
        }
    }
    bench.finish("default body limit");
}

#[test]
fn a_configured_smaller_limit_is_enforced_at_its_boundary() {
    let app = TestApp::spawn_with(|c| c.max_json_body = 1024);
    let mut bench = Bench::new(app);
    let fx = bench.fixtures();
    let routes = write_routes(&fx);
    for route in &routes {
        let base = fitting(&route.valid, 1024);
        if base != route.valid {
            // A full answer sheet is itself over this limit.
            bench.json(
                route,
                "full base body over 1024 bytes",
                &serde_json::to_vec(&route.valid).unwrap(),
                Want::Problem(413),
            );
        }
        let with_extra = |body: &Value| {
            let mut body = body.clone();
            body["zzz_extra"] = json!(1);
            body
        };
        bench.json(
            route,
            "1025 bytes",
            &padded(&base, 1025),
            Want::Problem(413),
        );
        let at_limit = padded(&with_extra(&base), 1024);
        bench.json(
            route,
            "exactly 1024 bytes",
            &at_limit,
            Want::Invalid("zzz_extra"),
        );
        if route.caller.is_some() {
            bench.chunked(
                route,
                "chunked, 1025 bytes",
                &padded(&base, 1025),
                Want::Problem(413),
            );
            let at_limit = padded(&with_extra(&base), 1024);
            bench.chunked(
                route,
                "chunked, exactly 1024 bytes",
                &at_limit,
                Want::Invalid("zzz_extra"),
            );
        }
    }
    // The 413 names the configured limit.
    let token = bench.token.clone();
    let schools = route(&routes, "POST /api/v1/schools");
    let body = padded(&schools.valid, 2000);
    let r = bench
        .app
        .request("POST", "/api/v1/schools", Some(&token), JSON, Some(&body));
    let problem = r.problem(413);
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("1024"),
        "the 413 names the limit: {problem}"
    );

    // A valid body of exactly the limit is accepted, with or without Content-Length.
    let before: i64 = schools::table.count().get_result(&mut bench.conn).unwrap();
    let body = padded(
        &json!({"name": "Boundary School", "low_grade": 0, "high_grade": 5}),
        1024,
    );
    let r = bench
        .app
        .request("POST", "/api/v1/schools", Some(&token), JSON, Some(&body));
    assert_eq!(
        r.status, 201,
        "a 1024-byte body under a 1024-byte limit: {}",
        r.text
    );
    let body = padded(
        &json!({"name": "Chunked School", "low_grade": 0, "high_grade": 5}),
        1024,
    );
    let (status, _, text) = send_chunked(&bench.app, "POST", "/api/v1/schools", &token, &body);
    assert_eq!(status, 201, "a chunked 1024-byte body: {text}");
    let after: i64 = schools::table.count().get_result(&mut bench.conn).unwrap();
    assert_eq!(after, before + 2, "both schools were stored");
    bench.forget();
    bench.finish("configured body limit");
}

#[test]
fn bodies_that_are_not_json_are_415() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    #[rustfmt::skip]
    let media_types: &[Option<&str>] = &[
        None,
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=xyz"),
        Some("application/xml"),
        Some("text/json"),
        Some("application/jsonp"),
        Some("application/octet-stream"),
        Some(""),
    ];
    for route in &write_routes(&fx) {
        let body = serde_json::to_vec(&route.valid).unwrap();
        for media_type in media_types {
            let headers: Vec<(&str, &str)> =
                media_type.iter().map(|m| ("Content-Type", *m)).collect();
            bench.send(
                &format!("{} [Content-Type {media_type:?}]", route.label),
                route.method,
                &route.path,
                route.caller,
                &headers,
                Some(&body),
                Want::Problem(415),
            );
        }
    }
    bench.finish("non-JSON media types");
}

#[test]
fn json_media_types_with_parameters_or_odd_case_are_accepted() {
    let app = TestApp::spawn();
    let token = app.login("denise.whitfield");
    let mut conn = app.conn();
    let fx = fixtures(&mut conn);
    for (i, media_type) in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
        "application/problem+json",
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("Riverbend Middle School {i}");
        let body = serde_json::to_vec(&json!({ "name": name })).unwrap();
        let r = app.request(
            "PATCH",
            &format!("/api/v1/schools/{}", fx.riverbend),
            Some(&token),
            &[("Content-Type", media_type)],
            Some(&body),
        );
        assert_eq!(r.status, 200, "Content-Type {media_type}: {}", r.text);
        let stored: String = schools::table
            .find(&fx.riverbend)
            .select(schools::name)
            .first(&mut conn)
            .unwrap();
        assert_eq!(stored, name, "Content-Type {media_type}");
    }
}

// ---------------------------------------------------------------------------------------------
// Invalid values → 422 naming the field
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_enum_values_are_422_naming_the_field() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let routes = write_routes(&fx);
    for label in ["POST /api/v1/users", "PATCH /api/v1/users/{id}"] {
        let route = route(&routes, label);
        for role in [
            "wizard",
            "Teacher",
            "TEACHER",
            "district-admin",
            " student",
            "",
            "admin",
        ] {
            let body = route.with(json!({ "role": role }));
            bench.value(
                route,
                &format!("role {role:?}"),
                &body,
                Want::Invalid("role"),
            );
        }
    }
    // The lesson vocabularies: a near miss is refused, naming the field and listing the
    // allowed values.
    #[rustfmt::skip]
    let lesson_enums: &[(&str, &str, &[&str], &str)] = &[
        ("competency", "self_awareness", &["self-awareness", "Self_Awareness", "empathy", "", "self_awareness "], "POST /api/v1/lesson-plans"),
        ("component", "emotional_regulation", &["emotional-regulation", "regulation", "SAFE_COMMUNICATION"], "POST /api/v1/lesson-plans"),
        ("grade_band", "K-2", &["K2", "k-2", "6–8", "6 - 8", "13-14", "PK"], "POST /api/v1/lesson-plans"),
        ("competency", "self_awareness", &["self awareness", "grit"], "PATCH /api/v1/lesson-plans/{id}"),
        ("component", "emotional_regulation", &["trust"], "PATCH /api/v1/lesson-plans/{id}"),
        ("grade_band", "K-2", &["9-11", "K-12"], "PATCH /api/v1/lesson-plans/{id}"),
        ("emotion", "calm", &["Calm", "ecstatic", "meh", "", "happy "], "PUT /api/v1/assignments/{id}/completion"),
        ("status", "cancelled", &["delivered", "Cancelled", "canceled", "done"], "PATCH /api/v1/assignments/{id}"),
    ];
    for (field, allowed, wrongs, label) in lesson_enums {
        let route = route(&routes, label);
        for wrong in *wrongs {
            let body = route.with(json!({ *field: wrong }));
            let case = format!("{field} {wrong:?}");
            bench.value(route, &case, &body, Want::InvalidListing(field, allowed));
        }
    }
    // The survey vocabularies, inside the items of a new questionnaire.
    let instruments = route(&routes, "POST /api/v1/survey-instruments");
    #[rustfmt::skip]
    let survey_enums: &[(&str, &str, &[&str])] = &[
        ("scale", "agreement_5", &["agreement5", "Agreement_5", "likert_5", "yes-no", "", "frequency_5 "]),
        ("indicator", "belonging", &["Belonging", "bullying", "wellbeing", "safety ", "peer-support"]),
    ];
    for (field, allowed, wrongs) in survey_enums {
        for wrong in *wrongs {
            let mut body = instruments.valid.clone();
            body["sections"][0]["items"][0][*field] = json!(wrong);
            let path = format!("sections[0].items[0].{field}");
            let case = format!("{field} {wrong:?}");
            bench.value(
                instruments,
                &case,
                &body,
                Want::InvalidListing(&path, allowed),
            );
        }
    }
    for wrong in ["politics", "Income", "mental_health", ""] {
        let mut body = instruments.valid.clone();
        body["sections"][0]["items"][1]["ppra_areas"] = json!(["income", wrong]);
        bench.value(
            instruments,
            &format!("ppra_areas {wrong:?}"),
            &body,
            Want::InvalidListing("sections[0].items[1].ppra_areas[1]", "income"),
        );
    }
    for query in ["role=wizard", "role=Teacher", "role=", "role=student%20"] {
        bench.send(
            &format!("GET /api/v1/users?{query}"),
            "GET",
            &format!("/api/v1/users?{query}"),
            Some(ADMIN),
            &[],
            None,
            Want::Invalid("role"),
        );
    }
    bench.finish("unknown enum values");
}

#[test]
fn out_of_range_and_invalid_values_are_422_naming_the_field() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let routes = write_routes(&fx);
    let long = |n: usize| "x".repeat(n);
    let many_ids: Vec<String> = (0..21).map(|i| format!("teacher-{i}")).collect();
    #[rustfmt::skip]
    let cases: Vec<(&str, &str, Value, &[&str])> = vec![
        ("POST /api/v1/schools", "low_grade -1",       json!({"low_grade": -1}), &["low_grade"]),
        ("POST /api/v1/schools", "high_grade 13",      json!({"high_grade": 13}), &["high_grade"]),
        ("POST /api/v1/schools", "low above high",     json!({"low_grade": 5, "high_grade": 2}), &["low_grade", "high_grade"]),
        ("POST /api/v1/schools", "empty name",         json!({"name": ""}), &["name"]),
        ("POST /api/v1/schools", "blank name",         json!({"name": "   "}), &["name"]),
        ("POST /api/v1/schools", "201-char name",      json!({"name": long(201)}), &["name"]),
        ("PATCH /api/v1/schools/{id}", "low_grade -1",   json!({"low_grade": -1}), &["low_grade"]),
        ("PATCH /api/v1/schools/{id}", "high_grade 13",  json!({"high_grade": 13}), &["high_grade"]),
        ("PATCH /api/v1/schools/{id}", "low above high", json!({"low_grade": 9, "high_grade": 8}), &["low_grade", "high_grade"]),
        ("PATCH /api/v1/schools/{id}", "blank name",     json!({"name": " \t "}), &["name"]),
        ("PATCH /api/v1/schools/{id}", "201-char name",  json!({"name": long(201)}), &["name"]),
        ("POST /api/v1/terms", "starts after it ends",   json!({"starts_on": "2027-12-18"}), &["starts_on", "ends_on"]),
        ("POST /api/v1/terms", "month 13",               json!({"starts_on": "2026-13-01"}), &["starts_on"]),
        ("POST /api/v1/terms", "February 30",            json!({"starts_on": "2026-02-30"}), &["starts_on"]),
        ("POST /api/v1/terms", "not a date",             json!({"starts_on": "tomorrow"}), &["starts_on"]),
        ("POST /api/v1/terms", "a timestamp",            json!({"ends_on": "2027-12-17T00:00:00Z"}), &["ends_on"]),
        ("POST /api/v1/terms", "US date",                json!({"ends_on": "12/17/2027"}), &["ends_on"]),
        ("POST /api/v1/terms", "empty name",             json!({"name": ""}), &["name"]),
        ("POST /api/v1/terms", "blank name",             json!({"name": "  "}), &["name"]),
        ("POST /api/v1/terms", "101-char name",          json!({"name": long(101)}), &["name"]),
        ("PATCH /api/v1/terms/{id}", "starts after it ends", json!({"starts_on": "2027-01-01", "ends_on": "2026-12-31"}), &["starts_on", "ends_on"]),
        ("PATCH /api/v1/terms/{id}", "bad date",         json!({"ends_on": "2026-12-32"}), &["ends_on"]),
        ("PATCH /api/v1/terms/{id}", "blank name",       json!({"name": " "}), &["name"]),
        ("POST /api/v1/users", "grade 13",               json!({"grade": 13}), &["grade"]),
        ("POST /api/v1/users", "grade -1",               json!({"grade": -1}), &["grade"]),
        ("POST /api/v1/users", "username too short",     json!({"username": "ab"}), &["username"]),
        ("POST /api/v1/users", "username too long",      json!({"username": long(65)}), &["username"]),
        ("POST /api/v1/users", "username uppercase",     json!({"username": "Probe.User"}), &["username"]),
        ("POST /api/v1/users", "username with space",    json!({"username": "probe user"}), &["username"]),
        ("POST /api/v1/users", "username with slash",    json!({"username": "probe/user"}), &["username"]),
        ("POST /api/v1/users", "bad email",              json!({"email": "not-an-email"}), &["email"]),
        ("POST /api/v1/users", "email without domain",   json!({"email": "probe@"}), &["email"]),
        ("POST /api/v1/users", "short password",         json!({"password": "short"}), &["password"]),
        ("POST /api/v1/users", "129-char password",      json!({"password": long(129)}), &["password"]),
        ("POST /api/v1/users", "empty given name",       json!({"given_name": ""}), &["given_name"]),
        ("POST /api/v1/users", "blank family name",      json!({"family_name": "  "}), &["family_name"]),
        ("POST /api/v1/users", "101-char family name",   json!({"family_name": long(101)}), &["family_name"]),
        ("POST /api/v1/users", "empty school_id",        json!({"school_id": ""}), &["school_id"]),
        ("POST /api/v1/users", "65-char school_id",      json!({"school_id": long(65)}), &["school_id"]),
        ("PATCH /api/v1/users/{id}", "grade 13",         json!({"grade": 13}), &["grade"]),
        ("PATCH /api/v1/users/{id}", "grade -1",         json!({"grade": -1}), &["grade"]),
        ("PATCH /api/v1/users/{id}", "bad email",        json!({"email": "nope"}), &["email"]),
        ("PATCH /api/v1/users/{id}", "blank given name", json!({"given_name": " "}), &["given_name"]),
        ("PATCH /api/v1/users/{id}", "empty school_id",  json!({"school_id": ""}), &["school_id"]),
        ("POST /api/v1/classes", "grade 13",             json!({"grade": 13}), &["grade"]),
        ("POST /api/v1/classes", "grade -1",             json!({"grade": -1}), &["grade"]),
        ("POST /api/v1/classes", "empty name",           json!({"name": ""}), &["name"]),
        ("POST /api/v1/classes", "blank name",           json!({"name": "   "}), &["name"]),
        ("POST /api/v1/classes", "21 teachers",          json!({"teacher_ids": many_ids}), &["teacher_ids"]),
        ("POST /api/v1/classes", "empty teacher id",     json!({"teacher_ids": [""]}), &["teacher_ids"]),
        ("POST /api/v1/classes", "empty school_id",      json!({"school_id": ""}), &["school_id"]),
        ("POST /api/v1/classes", "65-char term_id",      json!({"term_id": long(65)}), &["term_id"]),
        ("PATCH /api/v1/classes/{id}", "grade 13",       json!({"grade": 13}), &["grade"]),
        ("PATCH /api/v1/classes/{id}", "blank name",     json!({"name": " "}), &["name"]),
        ("PATCH /api/v1/classes/{id}", "21 teachers",    json!({"teacher_ids": many_ids}), &["teacher_ids"]),
        ("PATCH /api/v1/classes/{id}", "empty term_id",  json!({"term_id": ""}), &["term_id"]),
        ("POST /api/v1/classes/{id}/enrollments", "empty student_id",   json!({"student_id": ""}), &["student_id"]),
        ("POST /api/v1/classes/{id}/enrollments", "65-char student_id", json!({"student_id": long(65)}), &["student_id"]),
        ("PATCH /api/v1/districts/{id}", "empty name",    json!({"name": ""}), &["name"]),
        ("PATCH /api/v1/districts/{id}", "blank name",    json!({"name": "   "}), &["name"]),
        ("PATCH /api/v1/districts/{id}", "tab and newline name", json!({"name": "\t\n"}), &["name"]),
        ("PATCH /api/v1/districts/{id}", "201-char name", json!({"name": long(201)}), &["name"]),
        ("POST /api/v1/auth/login", "empty username",     json!({"username": ""}), &["username"]),
        ("POST /api/v1/auth/login", "empty password",     json!({"password": ""}), &["password"]),
        ("POST /api/v1/auth/login", "255-char username",  json!({"username": long(255)}), &["username"]),
        ("POST /api/v1/auth/login", "1025-char password", json!({"password": long(1025)}), &["password"]),
        ("POST /api/v1/auth/refresh", "empty token",      json!({"refresh_token": ""}), &["refresh_token"]),
        ("POST /api/v1/auth/refresh", "513-char token",   json!({"refresh_token": long(513)}), &["refresh_token"]),
        ("POST /api/v1/auth/logout", "empty token",       json!({"refresh_token": ""}), &["refresh_token"]),
        ("POST /api/v1/auth/logout", "513-char token",    json!({"refresh_token": long(513)}), &["refresh_token"]),
        ("POST /api/v1/me/password", "short new password",    json!({"new_password": "short"}), &["new_password"]),
        ("POST /api/v1/me/password", "129-char new password", json!({"new_password": long(129)}), &["new_password"]),
        ("POST /api/v1/me/password", "empty current password", json!({"current_password": ""}), &["current_password"]),
        ("POST /api/v1/lesson-plans", "empty title",             json!({"title": ""}), &["title"]),
        ("POST /api/v1/lesson-plans", "blank title",             json!({"title": "  \t"}), &["title"]),
        ("POST /api/v1/lesson-plans", "201-char title",          json!({"title": long(201)}), &["title"]),
        ("POST /api/v1/lesson-plans", "blank summary",           json!({"summary": " "}), &["summary"]),
        ("POST /api/v1/lesson-plans", "2001-char summary",       json!({"summary": long(2001)}), &["summary"]),
        ("POST /api/v1/lesson-plans", "steps add up to less",    json!({"duration_minutes": 25}), &["duration_minutes"]),
        ("POST /api/v1/lesson-plans", "steps add up to more",    json!({"duration_minutes": 15}), &["duration_minutes"]),
        ("POST /api/v1/lesson-plans", "duration 0",              json!({"duration_minutes": 0, "steps": []}), &["duration_minutes", "steps"]),
        ("POST /api/v1/lesson-plans", "duration 481",            json!({"duration_minutes": 481}), &["duration_minutes"]),
        ("POST /api/v1/lesson-plans", "duration -20",            json!({"duration_minutes": -20}), &["duration_minutes"]),
        ("POST /api/v1/lesson-plans", "no steps",                json!({"steps": []}), &["steps"]),
        ("POST /api/v1/lesson-plans", "21 steps",                json!({"duration_minutes": 21, "steps": vec![json!({"title": "s", "minutes": 1, "instructions": "i"}); 21]}), &["steps"]),
        ("POST /api/v1/lesson-plans", "step of 0 minutes",       json!({"steps": [{"title": "a", "minutes": 0, "instructions": "i"}, {"title": "b", "minutes": 20, "instructions": "i"}]}), &["steps[0].minutes"]),
        ("POST /api/v1/lesson-plans", "step of 241 minutes",     json!({"duration_minutes": 241, "steps": [{"title": "a", "minutes": 241, "instructions": "i"}]}), &["steps[0].minutes"]),
        ("POST /api/v1/lesson-plans", "step with blank title",   json!({"steps": [{"title": " ", "minutes": 20, "instructions": "i"}]}), &["steps[0].title"]),
        ("POST /api/v1/lesson-plans", "step without instructions", json!({"steps": [{"title": "a", "minutes": 20}]}), &["steps[0].instructions"]),
        ("POST /api/v1/lesson-plans", "step with unknown field", json!({"steps": [{"title": "a", "minutes": 20, "instructions": "i", "order": 1}]}), &["steps[0].order"]),
        ("POST /api/v1/lesson-plans", "step minutes as string",  json!({"steps": [{"title": "a", "minutes": "20", "instructions": "i"}]}), &["steps[0].minutes"]),
        ("POST /api/v1/lesson-plans", "no objectives",           json!({"objectives": []}), &["objectives"]),
        ("POST /api/v1/lesson-plans", "11 objectives",           json!({"objectives": vec!["o"; 11]}), &["objectives"]),
        ("POST /api/v1/lesson-plans", "blank objective",         json!({"objectives": ["ok", "  "]}), &["objectives"]),
        ("POST /api/v1/lesson-plans", "501-char objective",      json!({"objectives": [long(501)]}), &["objectives"]),
        ("POST /api/v1/lesson-plans", "21 materials",            json!({"materials": vec!["m"; 21]}), &["materials"]),
        ("POST /api/v1/lesson-plans", "empty material",          json!({"materials": [""]}), &["materials"]),
        ("POST /api/v1/lesson-plans", "blank reflection prompt", json!({"reflection_prompt": " "}), &["reflection_prompt"]),
        ("POST /api/v1/lesson-plans", "501-char reflection prompt", json!({"reflection_prompt": long(501)}), &["reflection_prompt"]),
        ("PATCH /api/v1/lesson-plans/{id}", "steps add up to less", json!({"duration_minutes": 40}), &["duration_minutes"]),
        ("PATCH /api/v1/lesson-plans/{id}", "blank title",       json!({"title": " "}), &["title"]),
        ("PATCH /api/v1/lesson-plans/{id}", "201-char title",    json!({"title": long(201)}), &["title"]),
        ("PATCH /api/v1/lesson-plans/{id}", "no steps",          json!({"steps": []}), &["steps"]),
        ("PATCH /api/v1/lesson-plans/{id}", "step of 0 minutes", json!({"steps": [{"title": "a", "minutes": 0, "instructions": "i"}, {"title": "b", "minutes": 35, "instructions": "i"}]}), &["steps[0].minutes"]),
        ("PATCH /api/v1/lesson-plans/{id}", "no objectives",     json!({"objectives": []}), &["objectives"]),
        ("PATCH /api/v1/lesson-plans/{id}", "duration 481",      json!({"duration_minutes": 481}), &["duration_minutes"]),
        ("PATCH /api/v1/lesson-plans/{id}", "archived null",     json!({"archived": null, "title": ""}), &["title"]),
        ("POST /api/v1/classes/{id}/assignments", "scheduled before the term", json!({"scheduled_on": "2026-08-16"}), &["scheduled_on"]),
        ("POST /api/v1/classes/{id}/assignments", "scheduled after the term",  json!({"scheduled_on": "2026-12-19", "due_on": null}), &["scheduled_on"]),
        ("POST /api/v1/classes/{id}/assignments", "scheduled next term",       json!({"scheduled_on": "2027-01-12", "due_on": null}), &["scheduled_on"]),
        ("POST /api/v1/classes/{id}/assignments", "due after the term",        json!({"due_on": "2026-12-19"}), &["due_on"]),
        ("POST /api/v1/classes/{id}/assignments", "due before scheduled",      json!({"due_on": "2026-11-30"}), &["due_on"]),
        ("POST /api/v1/classes/{id}/assignments", "February 30",               json!({"scheduled_on": "2026-02-30"}), &["scheduled_on"]),
        ("POST /api/v1/classes/{id}/assignments", "a timestamp",               json!({"due_on": "2026-12-04T00:00:00Z"}), &["due_on"]),
        ("POST /api/v1/classes/{id}/assignments", "US date",                   json!({"scheduled_on": "12/01/2026"}), &["scheduled_on"]),
        ("POST /api/v1/classes/{id}/assignments", "empty plan_id",             json!({"plan_id": ""}), &["plan_id"]),
        ("POST /api/v1/classes/{id}/assignments", "65-char plan_id",           json!({"plan_id": long(65)}), &["plan_id"]),
        ("POST /api/v1/classes/{id}/assignments", "unknown plan_id",           json!({"plan_id": "no-such-plan"}), &["plan_id"]),
        ("PATCH /api/v1/assignments/{id}", "scheduled before the term", json!({"scheduled_on": "2026-08-01"}), &["scheduled_on"]),
        ("PATCH /api/v1/assignments/{id}", "scheduled after the term",  json!({"scheduled_on": "2026-12-21", "due_on": "2026-12-22"}), &["scheduled_on"]),
        ("PATCH /api/v1/assignments/{id}", "due after the term",        json!({"due_on": "2027-01-04"}), &["due_on"]),
        ("PATCH /api/v1/assignments/{id}", "due before scheduled",      json!({"due_on": "2026-11-23"}), &["due_on"]),
        ("PATCH /api/v1/assignments/{id}", "delivered in the future",   json!({"delivered_on": "2099-01-01"}), &["delivered_on"]),
        ("PATCH /api/v1/assignments/{id}", "not a date",                json!({"delivered_on": "yesterday"}), &["delivered_on"]),
        ("PATCH /api/v1/assignments/{id}", "blank note",                json!({"teacher_note": "  "}), &["teacher_note"]),
        ("PATCH /api/v1/assignments/{id}", "2001-char note",            json!({"teacher_note": long(2001)}), &["teacher_note"]),
        ("PUT /api/v1/assignments/{id}/completion", "1001-char reflection", json!({"reflection": long(1001)}), &["reflection"]),
        ("PUT /api/v1/assignments/{id}/completion", "1001 emoji",           json!({"reflection": "😀".repeat(1001)}), &["reflection"]),
    ];
    for (label, case, changes, fields) in cases {
        let route = route(&routes, label);
        let body = route.with(changes);
        bench.value(route, case, &body, Want::InvalidOneOf(fields));
    }

    // The survey routes.
    let sheet = &fx.answer_sheet;
    let item0 = sheet[0]["item_id"].clone();
    let yes_no = fx.yes_no_item;
    let yes_no_value = format!("answers[{yes_no}].value");
    let answers_with = |i: usize, answer: Value| {
        let mut answers = sheet.clone();
        answers[i] = answer;
        json!({ "answers": answers })
    };
    let one_item = |changes: Value| {
        let mut item =
            json!({"prompt": "I feel safe here.", "scale": "agreement_5", "indicator": "safety"});
        for (k, v) in changes.as_object().unwrap() {
            item[k] = v.clone();
        }
        json!({"sections": [{"title": "Pulse", "items": [item]}]})
    };
    let small_item = json!({"prompt": "p", "scale": "yes_no", "indicator": "safety"});
    let section = json!({"title": "S", "items": [small_item]});
    let school_ids: Vec<String> = (0..101).map(|i| format!("school-{i}")).collect();
    let instruments = "POST /api/v1/survey-instruments";
    let windows = "POST /api/v1/survey-windows";
    let opt_outs = "POST /api/v1/survey-windows/{id}/opt-outs";
    let responses = "POST /api/v1/survey-windows/{id}/responses";
    #[rustfmt::skip]
    let survey_cases: Vec<(&str, &str, Value, Vec<&str>)> = vec![
        (instruments, "grade_min 13",              json!({"grade_min": 13}), vec!["grade_min"]),
        (instruments, "grade_max -1",              json!({"grade_max": -1}), vec!["grade_max"]),
        (instruments, "grade_min above grade_max", json!({"grade_min": 8, "grade_max": 6}), vec!["grade_min", "grade_max"]),
        (instruments, "empty title",               json!({"title": ""}), vec!["title"]),
        (instruments, "blank title",               json!({"title": "  "}), vec!["title"]),
        (instruments, "201-char title",            json!({"title": long(201)}), vec!["title"]),
        (instruments, "blank description",         json!({"description": "\t"}), vec!["description"]),
        (instruments, "2001-char description",     json!({"description": long(2001)}), vec!["description"]),
        (instruments, "no sections",               json!({"sections": []}), vec!["sections"]),
        (instruments, "21 sections",               json!({"sections": vec![section.clone(); 21]}), vec!["sections"]),
        (instruments, "section without items",     json!({"sections": [{"title": "S", "items": []}]}), vec!["sections[0].items"]),
        (instruments, "101 items in a section",    json!({"sections": [{"title": "S", "items": vec![small_item.clone(); 101]}]}), vec!["sections[0].items"]),
        (instruments, "blank section title",       json!({"sections": [{"title": " ", "items": [small_item]}]}), vec!["sections[0].title"]),
        (instruments, "201-char section title",    json!({"sections": [{"title": long(201), "items": [small_item]}]}), vec!["sections[0].title"]),
        (instruments, "blank prompt",              one_item(json!({"prompt": " \n"})), vec!["sections[0].items[0].prompt"]),
        (instruments, "501-char prompt",           one_item(json!({"prompt": long(501)})), vec!["sections[0].items[0].prompt"]),
        (instruments, "9 PPRA areas",              one_item(json!({"ppra_areas": vec!["income"; 9]})), vec!["sections[0].items[0].ppra_areas"]),
        (instruments, "item without scale",        json!({"sections": [{"title": "S", "items": [{"prompt": "p", "indicator": "safety"}]}]}), vec!["sections[0].items[0].scale"]),
        (instruments, "item without indicator",    json!({"sections": [{"title": "S", "items": [{"prompt": "p", "scale": "yes_no"}]}]}), vec!["sections[0].items[0].indicator"]),
        (instruments, "item with unknown field",   one_item(json!({"weight": 2})), vec!["sections[0].items[0].weight"]),
        (instruments, "reverse_scored as string",  one_item(json!({"reverse_scored": "yes"})), vec!["sections[0].items[0].reverse_scored"]),
        (instruments, "required as null",          one_item(json!({"required": null})), vec!["sections[0].items[0].required"]),
        (instruments, "empty lineage_id",          json!({"lineage_id": ""}), vec!["lineage_id"]),
        (instruments, "65-char lineage_id",        json!({"lineage_id": long(65)}), vec!["lineage_id"]),
        (instruments, "unknown lineage_id",        json!({"lineage_id": "no-such-lineage"}), vec!["lineage_id"]),
        (instruments, "lineage of another district", json!({"lineage_id": fx.other_district_lineage}), vec!["lineage_id"]),
        (windows, "min_cell_size 0",               json!({"min_cell_size": 0}), vec!["min_cell_size"]),
        (windows, "min_cell_size -5",              json!({"min_cell_size": -5}), vec!["min_cell_size"]),
        (windows, "min_cell_size 1001",            json!({"min_cell_size": 1001}), vec!["min_cell_size"]),
        (windows, "closes before it opens",        json!({"closes_at": "2027-01-10T08:00:00Z"}), vec!["closes_at", "opens_at"]),
        (windows, "closes when it opens",          json!({"closes_at": "2027-01-11T08:00:00Z"}), vec!["closes_at", "opens_at"]),
        (windows, "a date, not an instant",        json!({"opens_at": "2027-01-11"}), vec!["opens_at"]),
        (windows, "no time zone",                  json!({"closes_at": "2027-01-29T16:00:00"}), vec!["closes_at"]),
        (windows, "not a timestamp",               json!({"opens_at": "next monday"}), vec!["opens_at"]),
        (windows, "February 30",                   json!({"opens_at": "2027-02-30T08:00:00Z"}), vec!["opens_at"]),
        (windows, "no schools",                    json!({"school_ids": []}), vec!["school_ids"]),
        (windows, "101 schools",                   json!({"school_ids": school_ids}), vec!["school_ids"]),
        (windows, "unknown school",                json!({"school_ids": [fx.riverbend, "no-such-school"]}), vec!["school_ids[1]"]),
        (windows, "school of another district",    json!({"school_ids": [fx.other_district_school]}), vec!["school_ids[0]"]),
        (windows, "no grades",                     json!({"grades": []}), vec!["grades"]),
        (windows, "grade 13",                      json!({"grades": [7, 13]}), vec!["grades", "grades[1]"]),
        (windows, "grade -1",                      json!({"grades": [-1]}), vec!["grades", "grades[0]"]),
        (windows, "14 grades",                     json!({"grades": vec![7; 14]}), vec!["grades"]),
        (windows, "a grade the instrument is not for", json!({"grades": [6, 5]}), vec!["grades[1]"]),
        (windows, "empty instrument_id",           json!({"instrument_id": ""}), vec!["instrument_id"]),
        (windows, "65-char instrument_id",         json!({"instrument_id": long(65)}), vec!["instrument_id"]),
        (windows, "unknown instrument_id",         json!({"instrument_id": "no-such-instrument"}), vec!["instrument_id"]),
        (windows, "instrument of another district", json!({"instrument_id": fx.other_district_instrument}), vec!["instrument_id"]),
        (windows, "blank title",                   json!({"title": " "}), vec!["title"]),
        (windows, "201-char title",                json!({"title": long(201)}), vec!["title"]),
        (opt_outs, "empty student_id",             json!({"student_id": ""}), vec!["student_id"]),
        (opt_outs, "65-char student_id",           json!({"student_id": long(65)}), vec!["student_id"]),
        (opt_outs, "unknown student",              json!({"student_id": "no-such-student"}), vec!["student_id"]),
        (opt_outs, "a teacher, not a student",     json!({"student_id": fx.samuel}), vec!["student_id"]),
        (opt_outs, "a student of another school",  json!({"student_id": fx.lakeview_student}), vec!["student_id"]),
        (opt_outs, "a student of another district", json!({"student_id": fx.other_district_student}), vec!["student_id"]),
        (responses, "no answers",                  json!({"answers": []}), vec!["answers"]),
        (responses, "201 answers",                 json!({"answers": vec![sheet[0].clone(); 201]}), vec!["answers"]),
        (responses, "empty item_id",               answers_with(0, json!({"item_id": "", "value": 3})), vec!["answers[0].item_id"]),
        (responses, "65-char item_id",             answers_with(0, json!({"item_id": long(65), "value": 3})), vec!["answers[0].item_id"]),
        (responses, "an item of another survey",   answers_with(0, json!({"item_id": fx.foreign_item, "value": 3})), vec!["answers[0].item_id"]),
        (responses, "value as string",             answers_with(0, json!({"item_id": item0, "value": "3"})), vec!["answers[0].value"]),
        (responses, "value as float",              answers_with(0, json!({"item_id": item0, "value": 3.5})), vec!["answers[0].value"]),
        (responses, "value 0",                     answers_with(0, json!({"item_id": item0, "value": 0})), vec!["answers[0].value"]),
        (responses, "value 2^31",                  answers_with(0, json!({"item_id": item0, "value": 2_147_483_648_i64})), vec!["answers[0].value"]),
        (responses, "a yes/no item answered 3",    answers_with(yes_no, json!({"item_id": sheet[yes_no]["item_id"], "value": 3})), vec![yes_no_value.as_str()]),
        (responses, "an answer without value",     answers_with(0, json!({"item_id": item0})), vec!["answers[0].value"]),
        (responses, "an answer with a note",       answers_with(0, json!({"item_id": item0, "value": 3, "note": "x"})), vec!["answers[0].note"]),
    ];
    for (label, case, changes, fields) in survey_cases {
        let route = route(&routes, label);
        let body = route.with(changes);
        bench.value(route, case, &body, Want::InvalidOneOf(&fields));
    }
    bench.finish("out-of-range and invalid values");
}

// ---------------------------------------------------------------------------------------------
// Query strings of the list routes → 422 naming the parameter
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_query_parameters_are_422_naming_the_parameter() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let enrollments = format!("/api/v1/classes/{}/enrollments", fx.class);
    let assignments = format!("/api/v1/classes/{}/assignments", fx.lesson_class);
    #[rustfmt::skip]
    let lists: Vec<(&str, String, &str)> = vec![
        ("GET /api/v1/schools", "/api/v1/schools".into(), ADMIN),
        ("GET /api/v1/terms", "/api/v1/terms".into(), ADMIN),
        ("GET /api/v1/users", "/api/v1/users".into(), ADMIN),
        ("GET /api/v1/classes", "/api/v1/classes".into(), ADMIN),
        ("GET /api/v1/classes/{id}/enrollments", enrollments, ADMIN),
        ("GET /api/v1/lesson-plans", "/api/v1/lesson-plans".into(), ADMIN),
        ("GET /api/v1/classes/{id}/assignments", assignments, TEACHER),
        ("GET /api/v1/me/assignments", "/api/v1/me/assignments".into(), STUDENT),
        ("GET /api/v1/survey-instruments", "/api/v1/survey-instruments".into(), ADMIN),
        ("GET /api/v1/survey-windows", "/api/v1/survey-windows".into(), ADMIN),
    ];
    // Not paginated: only the term is asked for.
    let progress = (
        "GET /api/v1/schools/{id}/lesson-progress",
        format!("/api/v1/schools/{}/lesson-progress", fx.riverbend),
        ADMIN,
    );
    let q201 = "q".repeat(201);
    #[rustfmt::skip]
    let paging: &[(&str, &str)] = &[
        ("page=0", "page"), ("page=-1", "page"), ("page=abc", "page"), ("page=1.5", "page"),
        ("page=", "page"), ("page=1000001", "page"), ("page=99999999999999999999", "page"),
        ("limit=0", "limit"), ("limit=201", "limit"), ("limit=500", "limit"), ("limit=-5", "limit"),
        ("limit=ten", "limit"), ("limit=1e2", "limit"),
        ("foo=1", "foo"), ("Page=2", "Page"), ("limit=10&limit=20", "limit"),
    ];
    let q101 = "q".repeat(101);
    let id65 = "i".repeat(65);
    #[rustfmt::skip]
    let specific: Vec<(&str, String, &str)> = vec![
        ("GET /api/v1/schools", "active=maybe".into(), "active"),
        ("GET /api/v1/schools", "active=1".into(), "active"),
        ("GET /api/v1/terms", "active=true".into(), "active"),
        ("GET /api/v1/users", "grade=abc".into(), "grade"),
        ("GET /api/v1/users", "grade=13".into(), "grade"),
        ("GET /api/v1/users", "grade=-1".into(), "grade"),
        ("GET /api/v1/users", "grade=2.5".into(), "grade"),
        ("GET /api/v1/users", "grade=".into(), "grade"),
        ("GET /api/v1/users", "grade=1&grade=2".into(), "grade"),
        ("GET /api/v1/users", "active=maybe".into(), "active"),
        ("GET /api/v1/users", "active=".into(), "active"),
        ("GET /api/v1/users", format!("q={q101}"), "q"),
        ("GET /api/v1/users", format!("school_id={id65}"), "school_id"),
        ("GET /api/v1/users", "school_id=".into(), "school_id"),
        ("GET /api/v1/classes", "grade=abc".into(), "grade"),
        ("GET /api/v1/classes", "grade=13".into(), "grade"),
        ("GET /api/v1/classes", "active=maybe".into(), "active"),
        ("GET /api/v1/classes", format!("q={q101}"), "q"),
        ("GET /api/v1/classes", format!("term_id={id65}"), "term_id"),
        ("GET /api/v1/classes", format!("teacher_id={id65}"), "teacher_id"),
        ("GET /api/v1/classes", format!("school_id={id65}"), "school_id"),
        ("GET /api/v1/classes", "role=teacher".into(), "role"),
        ("GET /api/v1/classes/{id}/enrollments", "active=maybe".into(), "active"),
        ("GET /api/v1/classes/{id}/enrollments", "grade=7".into(), "grade"),
        ("GET /api/v1/lesson-plans", "competency=wizard".into(), "competency"),
        ("GET /api/v1/lesson-plans", "competency=self-awareness".into(), "competency"),
        ("GET /api/v1/lesson-plans", "competency=".into(), "competency"),
        ("GET /api/v1/lesson-plans", "component=trust".into(), "component"),
        ("GET /api/v1/lesson-plans", "grade_band=K2".into(), "grade_band"),
        ("GET /api/v1/lesson-plans", "grade_band=6%E2%80%938".into(), "grade_band"),
        ("GET /api/v1/lesson-plans", "grade_band=K-2&grade_band=3-5".into(), "grade_band"),
        ("GET /api/v1/lesson-plans", "max_duration=0".into(), "max_duration"),
        ("GET /api/v1/lesson-plans", "max_duration=481".into(), "max_duration"),
        ("GET /api/v1/lesson-plans", "max_duration=abc".into(), "max_duration"),
        ("GET /api/v1/lesson-plans", "max_duration=-5".into(), "max_duration"),
        ("GET /api/v1/lesson-plans", "owner=everyone".into(), "owner"),
        ("GET /api/v1/lesson-plans", "status=archived".into(), "status"),
        ("GET /api/v1/lesson-plans", "archived=maybe".into(), "archived"),
        ("GET /api/v1/lesson-plans", "q=".into(), "q"),
        ("GET /api/v1/lesson-plans", format!("q={q201}"), "q"),
        ("GET /api/v1/lesson-plans", "emotion=calm".into(), "emotion"),
        ("GET /api/v1/me/assignments", "state=late".into(), "state"),
        ("GET /api/v1/me/assignments", "state=Done".into(), "state"),
        ("GET /api/v1/me/assignments", "state=".into(), "state"),
        ("GET /api/v1/classes/{id}/assignments", "state=due".into(), "state"),
        ("GET /api/v1/schools/{id}/lesson-progress", "term_id=".into(), "term_id"),
        ("GET /api/v1/schools/{id}/lesson-progress", format!("term_id={id65}"), "term_id"),
        ("GET /api/v1/schools/{id}/lesson-progress", "term_id=no-such-term".into(), "term_id"),
        ("GET /api/v1/schools/{id}/lesson-progress", "page=2".into(), "page"),
    ];
    for (label, path, caller) in &lists {
        for (query, field) in paging {
            bench.send(
                &format!("{label}?{query}"),
                "GET",
                &format!("{path}?{query}"),
                Some(caller),
                &[],
                None,
                Want::Invalid(field),
            );
        }
    }
    for (label, query, field) in &specific {
        let (_, path, caller) = lists
            .iter()
            .chain([&progress])
            .find(|(l, _, _)| l == label)
            .unwrap();
        bench.send(
            &format!("{label}?{query}"),
            "GET",
            &format!("{path}?{query}"),
            Some(caller),
            &[],
            None,
            Want::Invalid(field),
        );
    }
    bench.finish("bad query parameters");
}

// ---------------------------------------------------------------------------------------------
// NUL bytes and odd values: never a 500
// ---------------------------------------------------------------------------------------------

#[test]
fn nul_characters_in_ids_names_and_queries_never_cause_a_server_error() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let routes = write_routes(&fx);
    let class = fx.class.clone();
    // Lookups by an id holding NUL: there is no such object.
    #[rustfmt::skip]
    let lookups: Vec<(&str, String, Option<Value>)> = vec![
        ("GET",    "/api/v1/users/%00".into(), None),
        ("GET",    "/api/v1/schools/a%00b".into(), None),
        ("GET",    "/api/v1/terms/%00".into(), None),
        ("GET",    "/api/v1/classes/%00".into(), None),
        ("GET",    "/api/v1/classes/%00/enrollments".into(), None),
        ("GET",    "/api/v1/districts/%00".into(), None),
        ("PATCH",  "/api/v1/schools/%00".into(), Some(json!({"name": "x"}))),
        ("PATCH",  "/api/v1/terms/%00".into(), Some(json!({"name": "x"}))),
        ("PATCH",  "/api/v1/users/%00".into(), Some(json!({"given_name": "x"}))),
        ("PATCH",  "/api/v1/classes/%00".into(), Some(json!({"name": "x"}))),
        ("POST",   "/api/v1/classes/%00/enrollments".into(), Some(json!({"student_id": fx.newcomer}))),
        ("DELETE", format!("/api/v1/classes/{class}/enrollments/%00"), None),
        ("DELETE", format!("/api/v1/classes/%00/enrollments/{}", fx.newcomer), None),
        ("GET",    "/api/v1/lesson-plans/%00".into(), None),
        ("PATCH",  "/api/v1/lesson-plans/%00".into(), Some(json!({"title": "x"}))),
        ("POST",   "/api/v1/lesson-plans/%00/publish".into(), None),
        ("GET",    "/api/v1/classes/%00/assignments".into(), None),
        ("POST",   "/api/v1/classes/%00/assignments".into(), Some(json!({"plan_id": fx.plan, "scheduled_on": "2026-12-01"}))),
        ("GET",    "/api/v1/classes/%00/lesson-progress".into(), None),
        ("GET",    "/api/v1/schools/%00/lesson-progress".into(), None),
        ("GET",    "/api/v1/assignments/%00".into(), None),
        ("PATCH",  "/api/v1/assignments/%00".into(), Some(json!({"teacher_note": "x"}))),
        ("PUT",    "/api/v1/assignments/%00/completion".into(), Some(json!({"emotion": "calm"}))),
        ("GET",    "/api/v1/assignments/%00/completions".into(), None),
        ("GET",    "/api/v1/assignments/%00/progress".into(), None),
        ("GET",    "/api/v1/survey-instruments/%00".into(), None),
        ("POST",   "/api/v1/survey-instruments/%00/publish".into(), None),
        ("GET",    "/api/v1/public/survey-instruments/%00".into(), None),
        ("GET",    "/api/v1/survey-windows/%00".into(), None),
        ("GET",    "/api/v1/survey-windows/a%00b/questionnaire".into(), None),
        ("GET",    "/api/v1/survey-windows/%00/participation".into(), None),
        ("POST",   "/api/v1/survey-windows/%00/opt-outs".into(), Some(json!({"student_id": fx.opted_out}))),
        ("POST",   "/api/v1/survey-windows/%00/responses".into(), Some(json!({"answers": fx.answer_sheet}))),
    ];
    for (method, path, body) in lookups {
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
        let headers: &[(&str, &str)] = if bytes.is_some() { JSON } else { &[] };
        bench.send(
            &format!("{method} {path}"),
            method,
            &path,
            Some(ADMIN),
            headers,
            bytes.as_deref(),
            Want::Problem(404),
        );
    }
    // Filters holding NUL match nothing (or are refused).
    #[rustfmt::skip]
    let filters: &[(&str, &str)] = &[
        ("/api/v1/users?q=%00", "q"),
        ("/api/v1/users?q=a%00", "q"),
        ("/api/v1/users?school_id=%00", "school_id"),
        ("/api/v1/classes?q=%00", "q"),
        ("/api/v1/classes?term_id=%00", "term_id"),
        ("/api/v1/classes?teacher_id=%00", "teacher_id"),
        ("/api/v1/lesson-plans?q=%00", "q"),
        ("/api/v1/lesson-plans?q=breathing%00", "q"),
    ];
    for (path, field) in filters {
        bench.send(
            &format!("GET {path}"),
            "GET",
            path,
            Some(ADMIN),
            &[],
            None,
            Want::EmptyOrInvalid(field),
        );
    }
    // References and names holding NUL in bodies are refused, naming the field.
    let nul = "a\u{0}b";
    #[rustfmt::skip]
    let bodies: Vec<(&str, Value, &str)> = vec![
        ("POST /api/v1/schools", json!({"name": nul}), "name"),
        ("PATCH /api/v1/schools/{id}", json!({"name": nul}), "name"),
        ("POST /api/v1/terms", json!({"name": nul}), "name"),
        ("PATCH /api/v1/districts/{id}", json!({"name": nul}), "name"),
        ("POST /api/v1/users", json!({"given_name": nul}), "given_name"),
        ("POST /api/v1/users", json!({"school_id": nul}), "school_id"),
        ("PATCH /api/v1/users/{id}", json!({"family_name": nul}), "family_name"),
        ("PATCH /api/v1/users/{id}", json!({"school_id": nul}), "school_id"),
        ("POST /api/v1/classes", json!({"name": nul}), "name"),
        ("POST /api/v1/classes", json!({"school_id": nul}), "school_id"),
        ("POST /api/v1/classes", json!({"term_id": nul}), "term_id"),
        ("POST /api/v1/classes", json!({"teacher_ids": [nul]}), "teacher_ids[0]"),
        ("PATCH /api/v1/classes/{id}", json!({"term_id": nul}), "term_id"),
        ("POST /api/v1/classes/{id}/enrollments", json!({"student_id": nul}), "student_id"),
        ("POST /api/v1/lesson-plans", json!({"title": nul}), "title"),
        ("POST /api/v1/lesson-plans", json!({"objectives": ["ok", nul]}), "objectives[1]"),
        ("POST /api/v1/lesson-plans", json!({"steps": [{"title": nul, "minutes": 20, "instructions": "i"}]}), "steps[0].title"),
        ("PATCH /api/v1/lesson-plans/{id}", json!({"reflection_prompt": nul}), "reflection_prompt"),
        ("PATCH /api/v1/lesson-plans/{id}", json!({"materials": [nul]}), "materials[0]"),
        ("POST /api/v1/classes/{id}/assignments", json!({"plan_id": nul}), "plan_id"),
        ("PATCH /api/v1/assignments/{id}", json!({"teacher_note": nul}), "teacher_note"),
        ("PUT /api/v1/assignments/{id}/completion", json!({"reflection": nul}), "reflection"),
        ("PUT /api/v1/assignments/{id}/completion", json!({"emotion": nul}), "emotion"),
        ("POST /api/v1/survey-instruments", json!({"title": nul}), "title"),
        ("POST /api/v1/survey-instruments", json!({"lineage_id": nul}), "lineage_id"),
        ("POST /api/v1/survey-instruments", json!({"sections": [{"title": nul, "items": []}]}), "sections[0].title"),
        ("POST /api/v1/survey-instruments", json!({"sections": [{"title": "S", "items": [{"prompt": nul, "scale": "yes_no", "indicator": "safety"}]}]}), "sections[0].items[0].prompt"),
        ("POST /api/v1/survey-windows", json!({"instrument_id": nul}), "instrument_id"),
        ("POST /api/v1/survey-windows", json!({"title": nul}), "title"),
        ("POST /api/v1/survey-windows", json!({"school_ids": [fx.riverbend, nul]}), "school_ids[1]"),
        ("POST /api/v1/survey-windows/{id}/opt-outs", json!({"student_id": nul}), "student_id"),
        ("POST /api/v1/survey-windows/{id}/responses", json!({"answers": [{"item_id": nul, "value": 3}]}), "answers[0].item_id"),
    ];
    for (label, changes, field) in bodies {
        let route = route(&routes, label);
        let body = route.with(changes);
        bench.value(
            route,
            &format!("NUL in {field}"),
            &body,
            Want::Invalid(field),
        );
    }
    // Sign-in and token routes: refused as usual, not with a 500.
    let login = route(&routes, "POST /api/v1/auth/login");
    bench.value(
        login,
        "NUL in username",
        &login.with(json!({"username": nul})),
        Want::ProblemOneOf(&[401, 422]),
    );
    let refresh = route(&routes, "POST /api/v1/auth/refresh");
    bench.value(
        refresh,
        "NUL in token",
        &refresh.with(json!({"refresh_token": nul})),
        Want::ProblemOneOf(&[401, 422]),
    );
    bench.finish("NUL characters");
}

#[test]
fn odd_but_well_formed_values_never_cause_a_server_error() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    #[rustfmt::skip]
    let odd: Vec<(&str, Value)> = vec![
        ("SQL",            json!("' OR '1'='1'; DROP TABLE users; --")),
        ("LIKE wildcards", json!("%_%\\")),
        ("path",           json!("../../etc/passwd")),
        ("emoji",          json!("😀🏫")),
        ("RTL override",   json!("\u{202e}evil")),
        ("10k chars",      json!("x".repeat(10_000))),
        ("empty",          json!("")),
        ("whitespace",     json!(" \t\n ")),
        ("i32 max",        json!(i32::MAX)),
        ("i32 min",        json!(i32::MIN)),
        ("huge float",     json!(1e300)),
        ("negative zero",  json!(-0.0)),
        ("nested",         json!({"a": [1, {"b": null}]})),
        ("long list",      json!(vec!["x"; 1000])),
        ("deep list",      serde_json::from_str::<Value>(&format!("{}{}", "[".repeat(100), "]".repeat(100))).unwrap()),
    ];
    for route in &write_routes(&fx) {
        // Changing one's own password mid-run would only add noise.
        if route.label == "POST /api/v1/me/password" {
            continue;
        }
        for field in route.valid.as_object().unwrap().keys() {
            // A wrong password is meant to count against the account (a write by design).
            if route.label == "POST /api/v1/auth/login" && field == "password" {
                continue;
            }
            for (case, value) in &odd {
                let body = route.with(json!({ field: value }));
                bench.value(
                    route,
                    &format!("{field}: {case}"),
                    &body,
                    Want::NoServerError,
                );
            }
        }
    }
    // Deep nesting inside a field the server must skip or refuse.
    let deep = format!("{{\"name\": {}1{}}}", "[".repeat(5000), "]".repeat(5000));
    for route in write_routes(&fx)
        .iter()
        .filter(|r| r.valid.get("name").is_some())
    {
        bench.json(
            route,
            "5000-deep nesting",
            deep.as_bytes(),
            Want::ProblemOneOf(&[400, 422]),
        );
    }
    bench.finish("odd values");
}

// ---------------------------------------------------------------------------------------------
// Routes that do not exist; DELETE with unknown ids
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_routes_are_404_problem_documents() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let body = serde_json::to_vec(&json!({"name": "x"})).unwrap();
    #[rustfmt::skip]
    let unknown: Vec<(&str, String)> = vec![
        ("GET",    "/api/v1/nope".into()),
        ("GET",    "/api/v1".into()),
        ("GET",    "/api/v1/".into()),
        ("GET",    "/api/v2/users".into()),
        ("GET",    "/nope".into()),
        ("GET",    format!("/api/v1/users/{}/extra", fx.student)),
        ("GET",    format!("/api/v1/classes/{}/enrollments/{}/x", fx.class, fx.newcomer)),
        ("POST",   "/api/v1/nope".into()),
        ("POST",   "/api/v1/enrollments".into()),
        ("DELETE", "/api/v1/nope".into()),
    ];
    #[rustfmt::skip]
    let wrong_method: Vec<(&str, String)> = vec![
        ("DELETE", format!("/api/v1/users/{}", fx.student)),
        ("DELETE", format!("/api/v1/schools/{}", fx.riverbend)),
        ("DELETE", format!("/api/v1/classes/{}", fx.class)),
        ("PUT",    format!("/api/v1/schools/{}", fx.riverbend)),
        ("POST",   format!("/api/v1/users/{}", fx.student)),
        ("PATCH",  "/api/v1/users".into()),
        ("PATCH",  format!("/api/v1/classes/{}/enrollments/{}", fx.class, fx.newcomer)),
        ("GET",    format!("/api/v1/classes/{}/enrollments/{}", fx.class, fx.newcomer)),
        ("GET",    "/api/v1/auth/login".into()),
        ("DELETE", format!("/api/v1/lesson-plans/{}", fx.plan)),
        ("PUT",    format!("/api/v1/lesson-plans/{}", fx.plan)),
        ("GET",    format!("/api/v1/lesson-plans/{}/publish", fx.plan)),
        ("PATCH",  format!("/api/v1/lesson-plans/{}/publish", fx.plan)),
        ("DELETE", format!("/api/v1/assignments/{}", fx.assignment)),
        ("POST",   format!("/api/v1/assignments/{}/completion", fx.assignment)),
        ("PATCH",  format!("/api/v1/assignments/{}/completion", fx.assignment)),
        ("DELETE", format!("/api/v1/assignments/{}/completion", fx.assignment)),
        ("POST",   "/api/v1/me/assignments".into()),
        ("DELETE", format!("/api/v1/survey-instruments/{}", fx.survey_instrument)),
        ("PATCH",  format!("/api/v1/survey-instruments/{}", fx.survey_instrument)),
        ("GET",    format!("/api/v1/survey-instruments/{}/publish", fx.survey_instrument)),
        ("POST",   format!("/api/v1/public/survey-instruments/{}", fx.survey_instrument)),
        ("PATCH",  format!("/api/v1/survey-windows/{}", fx.survey_window)),
        ("DELETE", format!("/api/v1/survey-windows/{}", fx.survey_window)),
        ("GET",    format!("/api/v1/survey-windows/{}/opt-outs", fx.survey_window)),
        ("DELETE", format!("/api/v1/survey-windows/{}/opt-outs", fx.survey_window)),
        // Nobody reads individual responses: there is no such route.
        ("GET",    format!("/api/v1/survey-windows/{}/responses", fx.survey_window)),
        ("PUT",    format!("/api/v1/survey-windows/{}/responses", fx.survey_window)),
        ("POST",   format!("/api/v1/survey-windows/{}/participation", fx.survey_window)),
        ("POST",   "/api/v1/me/surveys".into()),
    ];
    for caller in [Some(ADMIN), None] {
        let who = if caller.is_some() {
            "signed in"
        } else {
            "anonymous"
        };
        for (method, path) in &unknown {
            bench.send(
                &format!("{method} {path} ({who})"),
                method,
                path,
                caller,
                JSON,
                Some(&body),
                Want::Problem(404),
            );
        }
        for (method, path) in &wrong_method {
            bench.send(
                &format!("{method} {path} ({who})"),
                method,
                path,
                caller,
                JSON,
                Some(&body),
                Want::ProblemOneOf(&[404, 405]),
            );
        }
    }
    bench.finish("unknown routes");
}

#[test]
fn ending_an_enrollment_with_unknown_ids_is_404_and_writes_nothing() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let other_class: String = classes::table
        .filter(classes::name.eq("Advisory 7"))
        .select(classes::id)
        .first(&mut bench.conn)
        .unwrap();
    let other_student: String = users::table
        .filter(users::username.eq("hp.student"))
        .select(users::id)
        .first(&mut bench.conn)
        .unwrap();
    let enrolled: String = enrollments::table
        .filter(enrollments::class_id.eq(&fx.class))
        .select(enrollments::student_id)
        .first(&mut bench.conn)
        .unwrap();
    #[rustfmt::skip]
    let cases: Vec<(&str, String, String)> = vec![
        ("unknown class",                   "no-such-class".into(), enrolled.clone()),
        ("class of another district",       other_class.clone(),    other_student.clone()),
        ("unknown student",                 fx.class.clone(),       "no-such-student".into()),
        ("student never enrolled",          fx.class.clone(),       fx.newcomer.clone()),
        ("student of another district",     fx.class.clone(),       other_student.clone()),
        ("a teacher, not a student",        fx.class.clone(),       fx.samuel.clone()),
        ("very long ids",                   "c".repeat(5000),       "s".repeat(5000)),
    ];
    for (case, class, student) in cases {
        let path = format!("/api/v1/classes/{class}/enrollments/{student}");
        bench.send(
            &format!("DELETE enrollment [{case}]"),
            "DELETE",
            &path,
            Some(ADMIN),
            &[],
            None,
            Want::Problem(404),
        );
        // A body on DELETE is not read: garbage with any media type changes nothing.
        bench.send(
            &format!("DELETE enrollment [{case}, with a text/plain body]"),
            "DELETE",
            &path,
            Some(ADMIN),
            &[("Content-Type", "text/plain")],
            Some(b"{not json"),
            Want::Problem(404),
        );
    }
    bench.finish("DELETE enrollment");
}

// ---------------------------------------------------------------------------------------------
// Publishing a lesson plan: a write route without a body
// ---------------------------------------------------------------------------------------------

#[test]
fn publishing_reads_no_body_and_refuses_unknown_plans_and_empty_drafts_writing_nothing() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let publish = |id: &str| format!("/api/v1/lesson-plans/{id}/publish");
    #[rustfmt::skip]
    let cases: Vec<(&str, Option<&str>, String, Want)> = vec![
        ("unknown plan",                  Some(ADMIN),   "no-such-plan".into(),          Want::Problem(404)),
        ("plan of another district",      Some(ADMIN),   fx.other_district_plan.clone(), Want::Problem(404)),
        ("very long id",                  Some(ADMIN),   "p".repeat(5000),               Want::Problem(404)),
        ("published plan without draft",  Some(ADMIN),   fx.plan.clone(),                Want::Problem(409)),
        ("a teacher, district plan",      Some(TEACHER), fx.plan.clone(),                Want::Problem(403)),
        ("a student",                     Some(STUDENT), fx.plan.clone(),                Want::ProblemOneOf(&[403, 404])),
        ("anonymous",                     None,          fx.plan.clone(),                Want::Problem(401)),
    ];
    for (case, caller, id, want) in &cases {
        let path = publish(id);
        bench.send(
            &format!("publish [{case}]"),
            "POST",
            &path,
            *caller,
            &[],
            None,
            *want,
        );
        // A body is not read: garbage, or JSON asking for something, changes nothing.
        bench.send(
            &format!("publish [{case}, with a text/plain body]"),
            "POST",
            &path,
            *caller,
            &[("Content-Type", "text/plain")],
            Some(b"{not json"),
            *want,
        );
        bench.send(
            &format!("publish [{case}, with a JSON body]"),
            "POST",
            &path,
            *caller,
            JSON,
            Some(br#"{"version": 7, "status": "published"}"#),
            *want,
        );
    }

    // A fresh draft publishes once, whatever body comes along; then there is nothing to publish.
    let routes = write_routes(&fx);
    let create = route(&routes, "POST /api/v1/lesson-plans");
    let token = bench.token.clone();
    let r = bench
        .app
        .send("POST", &create.path, Some(&token), &create.valid);
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let r = bench.app.request(
        "POST",
        &publish(&id),
        Some(&token),
        &[("Content-Type", "text/plain")],
        Some(b"{not json"),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["published"]["version"], 1, "{}", r.text);
    bench.forget();
    bench.send(
        "publish [just published]",
        "POST",
        &publish(&id),
        Some(ADMIN),
        &[],
        None,
        Want::Problem(409),
    );
    bench.finish("publish");
}

// ---------------------------------------------------------------------------------------------
// Publishing a survey instrument: a write route without a body
// ---------------------------------------------------------------------------------------------

#[test]
fn publishing_an_instrument_reads_no_body_and_refuses_unknown_foreign_and_published_ones() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let publish = |id: &str| format!("/api/v1/survey-instruments/{id}/publish");
    let routes = write_routes(&fx);
    let create = route(&routes, "POST /api/v1/survey-instruments");
    let new_draft = |bench: &mut Bench, who: &str, body: &Value| -> String {
        let token = bench.token_for(Some(who)).unwrap();
        let r = bench
            .app
            .send("POST", "/api/v1/survey-instruments", Some(&token), body);
        assert_eq!(r.status, 201, "{who} creates a draft: {}", r.text);
        assert_eq!(r.json()["status"], "draft", "{}", r.text);
        bench.forget();
        r.json()["id"].as_str().unwrap().to_owned()
    };
    // A draft of this district, and one of Harbor Point (its own questionnaire, no lineage).
    let draft = new_draft(&mut bench, ADMIN, &create.valid);
    let other_draft = new_draft(&mut bench, "hp.admin", &create.without("lineage_id"));
    #[rustfmt::skip]
    let cases: Vec<(&str, Option<&str>, String, Want)> = vec![
        ("unknown instrument",                    Some(ADMIN),     "no-such-instrument".into(),          Want::Problem(404)),
        ("very long id",                          Some(ADMIN),     "i".repeat(5000),                     Want::Problem(404)),
        ("published instrument of another district", Some(ADMIN),  fx.other_district_instrument.clone(), Want::Problem(404)),
        ("draft of another district",             Some(ADMIN),     other_draft.clone(),                  Want::Problem(404)),
        ("already published",                     Some(ADMIN),     fx.survey_instrument.clone(),         Want::Problem(409)),
        ("a school administrator, draft",         Some(PRINCIPAL), draft.clone(),                        Want::Problem(403)),
        ("a school administrator, published",     Some(PRINCIPAL), fx.survey_instrument.clone(),         Want::Problem(403)),
        ("a counselor, draft",                    Some(COUNSELOR), draft.clone(),                        Want::Problem(403)),
        ("a student, draft",                      Some(STUDENT),   draft.clone(),                        Want::Problem(403)),
        ("anonymous, draft",                      None,            draft.clone(),                        Want::Problem(401)),
        ("anonymous, unknown instrument",         None,            "no-such-instrument".into(),          Want::Problem(401)),
    ];
    for (case, caller, id, want) in &cases {
        let path = publish(id);
        bench.send(
            &format!("publish instrument [{case}]"),
            "POST",
            &path,
            *caller,
            &[],
            None,
            *want,
        );
        // A body is not read: garbage, or JSON asking for something, changes nothing.
        bench.send(
            &format!("publish instrument [{case}, with a text/plain body]"),
            "POST",
            &path,
            *caller,
            &[("Content-Type", "text/plain")],
            Some(b"{not json"),
            *want,
        );
        bench.send(
            &format!("publish instrument [{case}, with a JSON body]"),
            "POST",
            &path,
            *caller,
            JSON,
            Some(br#"{"status": "published", "district_id": "x", "version": 9}"#),
            *want,
        );
    }

    // The draft publishes once, whatever body comes along; then there is nothing to publish.
    let token = bench.token.clone();
    let r = bench.app.request(
        "POST",
        &publish(&draft),
        Some(&token),
        &[("Content-Type", "text/plain")],
        Some(b"{not json"),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let published = r.json();
    assert_eq!(published["status"], "published", "{published}");
    assert_eq!(published["version"], 2, "{published}");
    assert!(published["published_at"].is_string(), "{published}");
    bench.forget();
    bench.send(
        "publish instrument [just published]",
        "POST",
        &publish(&draft),
        Some(ADMIN),
        &[],
        None,
        Want::Problem(409),
    );
    // Harbor Point's draft is still a draft: the refusals above wrote nothing.
    let status: String = survey_instruments::table
        .find(&other_draft)
        .select(survey_instruments::status)
        .first(&mut bench.conn)
        .unwrap();
    assert_eq!(status, "draft");
    bench.finish("publish instrument");
}
