//! The SQL of goals.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::models::{GoalRow, ProgressRow, ReviewRow, VersionRow};
use super::vocab::{GoalKind, GoalState};
use crate::db::schema::{
    class_teachers, enrollments, goal_reviews, goal_versions, goals, lesson_plan_versions,
    mentoring_programs, schools, student_goal_progress, survey_instruments, survey_windows, terms,
    users,
};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::lessons::models::VersionStatus;
use crate::rosters::models::{PersonRef, Term};

pub fn school_ids(conn: &mut DbConnection, district_id: &str) -> Result<Vec<String>, ApiError> {
    Ok(schools::table
        .filter(schools::district_id.eq(district_id))
        .order(schools::id.asc())
        .select(schools::id)
        .load(conn)?)
}

pub fn school_names(
    conn: &mut DbConnection,
    district_id: &str,
) -> Result<HashMap<String, String>, ApiError> {
    let rows: Vec<(String, String)> = schools::table
        .filter(schools::district_id.eq(district_id))
        .select((schools::id, schools::name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The district's terms that started after `after` and by `today`, oldest first.
pub fn terms_after(
    conn: &mut DbConnection,
    district_id: &str,
    after: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<Term>, ApiError> {
    Ok(terms::table
        .filter(terms::district_id.eq(district_id))
        .filter(terms::starts_on.gt(after))
        .filter(terms::starts_on.le(today))
        .order((terms::starts_on.asc(), terms::id.asc()))
        .select(Term::as_select())
        .load(conn)?)
}

pub fn window_closes_at(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<NaiveDateTime>, ApiError> {
    Ok(survey_windows::table
        .find(id)
        .select(survey_windows::closes_at)
        .first(conn)
        .optional()?)
}

/// The questionnaire lineage of a window.
pub fn window_lineage(
    conn: &mut DbConnection,
    window_id: &str,
) -> Result<Option<String>, ApiError> {
    Ok(survey_windows::table
        .inner_join(survey_instruments::table)
        .filter(survey_windows::id.eq(window_id))
        .select(survey_instruments::lineage_id)
        .first(conn)
        .optional()?)
}

pub fn term_starts_on(conn: &mut DbConnection, id: &str) -> Result<Option<NaiveDate>, ApiError> {
    Ok(terms::table
        .find(id)
        .select(terms::starts_on)
        .first(conn)
        .optional()?)
}

pub fn people(
    conn: &mut DbConnection,
    ids: &[&str],
) -> Result<HashMap<String, PersonRef>, ApiError> {
    let found: Vec<PersonRef> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::given_name, users::family_name))
        .load(conn)?;
    Ok(found.into_iter().map(|p| (p.id.clone(), p)).collect())
}

/// A plan's title: its latest published version's, or (for those who may edit it) its latest.
pub fn plan_title(
    conn: &mut DbConnection,
    plan_id: &str,
    editable: bool,
) -> Result<Option<String>, ApiError> {
    let published: Option<String> = lesson_plan_versions::table
        .filter(lesson_plan_versions::plan_id.eq(plan_id))
        .filter(lesson_plan_versions::status.eq(VersionStatus::Published))
        .order(lesson_plan_versions::version.desc())
        .select(lesson_plan_versions::title)
        .first(conn)
        .optional()?;
    if published.is_some() || !editable {
        return Ok(published);
    }
    Ok(lesson_plan_versions::table
        .filter(lesson_plan_versions::plan_id.eq(plan_id))
        .order(lesson_plan_versions::version.desc())
        .select(lesson_plan_versions::title)
        .first(conn)
        .optional()?)
}

/// Whether a teacher has taught the student, in a class of theirs with an active enrollment
/// made by `at`.
pub fn taught_by(
    conn: &mut DbConnection,
    teacher_id: &str,
    student_id: &str,
    at: NaiveDateTime,
) -> Result<bool, ApiError> {
    Ok(diesel::select(diesel::dsl::exists(
        enrollments::table
            .inner_join(
                class_teachers::table.on(class_teachers::class_id.eq(enrollments::class_id)),
            )
            .filter(class_teachers::teacher_id.eq(teacher_id))
            .filter(enrollments::student_id.eq(student_id))
            .filter(enrollments::active.eq(true))
            .filter(enrollments::created_at.le(at)),
    ))
    .get_result(conn)?)
}

/// A mentoring program of the district (of the school, if given) with its name, if any.
pub fn program_name(
    conn: &mut DbConnection,
    district_id: &str,
    school_id: Option<&str>,
    program_id: &str,
) -> Result<Option<String>, ApiError> {
    let mut q = mentoring_programs::table
        .filter(mentoring_programs::id.eq(program_id))
        .filter(mentoring_programs::district_id.eq(district_id))
        .into_boxed::<crate::db::DbBackend>();
    if let Some(s) = school_id {
        q = q.filter(mentoring_programs::school_id.eq(s.to_owned()));
    }
    Ok(q.select(mentoring_programs::name).first(conn).optional()?)
}

pub fn insert_goal(conn: &mut DbConnection, row: &GoalRow) -> Result<(), ApiError> {
    diesel::insert_into(goals::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn insert_version(conn: &mut DbConnection, row: &VersionRow) -> Result<(), ApiError> {
    diesel::insert_into(goal_versions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Stores a goal's new terms as the next version, if nobody changed it meanwhile (409).
pub fn update_terms(
    conn: &mut DbConnection,
    row: &GoalRow,
    expected_version: i32,
) -> Result<(), ApiError> {
    let changed = diesel::update(
        goals::table
            .filter(goals::id.eq(&row.id))
            .filter(goals::version.eq(expected_version)),
    )
    .set((
        goals::title.eq(&row.title),
        goals::target.eq(row.target),
        goals::deadline.eq(row.deadline),
        goals::cadence.eq(row.cadence),
        goals::review_on.eq(row.review_on),
        goals::owner_id.eq(&row.owner_id),
        goals::strategies.eq(&row.strategies),
        goals::state.eq(row.state),
        goals::version.eq(row.version),
        goals::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(ApiError::conflict(
            None,
            "the goal was changed meanwhile; read it again",
        ));
    }
    Ok(())
}

pub fn goal(conn: &mut DbConnection, id: &str) -> Result<Option<GoalRow>, ApiError> {
    Ok(goals::table
        .find(id)
        .select(GoalRow::as_select())
        .first(conn)
        .optional()?)
}

/// The district's school and district goals (of one school, if given), by school then title.
pub fn measured_goals(
    conn: &mut DbConnection,
    district_id: &str,
    school_id: Option<&str>,
    state: Option<GoalState>,
) -> Result<Vec<GoalRow>, ApiError> {
    let mut q = goals::table
        .filter(goals::district_id.eq(district_id.to_owned()))
        .filter(goals::kind.ne(GoalKind::Student))
        .into_boxed::<crate::db::DbBackend>();
    if let Some(s) = school_id {
        q = q.filter(goals::school_id.eq(s.to_owned()));
    }
    if let Some(st) = state {
        q = q.filter(goals::state.eq(st));
    }
    Ok(
        q.order((goals::school_id.asc(), goals::title.asc(), goals::id.asc()))
            .select(GoalRow::as_select())
            .load(conn)?,
    )
}

/// A student's goals, newest first.
pub fn student_goals(conn: &mut DbConnection, student_id: &str) -> Result<Vec<GoalRow>, ApiError> {
    Ok(goals::table
        .filter(goals::student_id.eq(student_id))
        .order((goals::created_at.desc(), goals::id.asc()))
        .select(GoalRow::as_select())
        .load(conn)?)
}

/// The active student goals a counselor owns.
pub fn owned_student_goals(
    conn: &mut DbConnection,
    owner_id: &str,
) -> Result<Vec<GoalRow>, ApiError> {
    Ok(goals::table
        .filter(goals::owner_id.eq(owner_id))
        .filter(goals::kind.eq(GoalKind::Student))
        .filter(goals::state.eq(GoalState::Active))
        .order((goals::review_on.asc(), goals::id.asc()))
        .select(GoalRow::as_select())
        .load(conn)?)
}

pub fn versions(conn: &mut DbConnection, goal_id: &str) -> Result<Vec<VersionRow>, ApiError> {
    Ok(goal_versions::table
        .filter(goal_versions::goal_id.eq(goal_id))
        .order(goal_versions::version.asc())
        .select(VersionRow::as_select())
        .load(conn)?)
}

pub fn reviews(conn: &mut DbConnection, goal_id: &str) -> Result<Vec<ReviewRow>, ApiError> {
    Ok(goal_reviews::table
        .filter(goal_reviews::goal_id.eq(goal_id))
        .order((goal_reviews::reviewed_at.desc(), goal_reviews::id.asc()))
        .select(ReviewRow::as_select())
        .load(conn)?)
}

/// The last review of each of some goals.
pub fn last_reviews(
    conn: &mut DbConnection,
    goal_ids: &[&str],
) -> Result<HashMap<String, NaiveDateTime>, ApiError> {
    let rows: Vec<(String, Option<NaiveDateTime>)> = goal_reviews::table
        .filter(goal_reviews::goal_id.eq_any(goal_ids))
        .group_by(goal_reviews::goal_id)
        .select((
            goal_reviews::goal_id,
            diesel::dsl::max(goal_reviews::reviewed_at),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, at)| at.map(|a| (id, a)))
        .collect())
}

pub fn insert_review(conn: &mut DbConnection, row: &ReviewRow) -> Result<(), ApiError> {
    diesel::insert_into(goal_reviews::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Logs a day's value, replacing that day's earlier log.
pub fn record_progress(conn: &mut DbConnection, row: &ProgressRow) -> Result<(), ApiError> {
    let earlier: Option<String> = student_goal_progress::table
        .filter(student_goal_progress::goal_id.eq(&row.goal_id))
        .filter(student_goal_progress::on_day.eq(row.on_day))
        .select(student_goal_progress::id)
        .first(conn)
        .optional()?;
    match earlier {
        None => {
            diesel::insert_into(student_goal_progress::table)
                .values(row)
                .execute(conn)?;
        }
        Some(id) => {
            diesel::update(student_goal_progress::table.find(id))
                .set((
                    student_goal_progress::value.eq(row.value),
                    student_goal_progress::check_in_id.eq(&row.check_in_id),
                    student_goal_progress::updated_at.eq(row.updated_at),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The logs of some goals from a day on.
pub fn progress_of(
    conn: &mut DbConnection,
    goal_ids: &[&str],
    from: NaiveDate,
) -> Result<Vec<ProgressRow>, ApiError> {
    Ok(student_goal_progress::table
        .filter(student_goal_progress::goal_id.eq_any(goal_ids))
        .filter(student_goal_progress::on_day.ge(from))
        .order(student_goal_progress::on_day.asc())
        .select(ProgressRow::as_select())
        .load(conn)?)
}
