//! Students' personal SEL goals: set by a counselor with the student, logged by the student
//! (from their account, or with a check-in), read as a weekly trend by the student, their
//! counselors and, where the district allows it, their teachers. Never aggregated.

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use serde_json::json;

use super::dto::{Goal, MyGoals, ProgressInput, StudentGoalInput, StudentGoals};
use super::history::{self, to_json};
use super::models::{GoalRow, ProgressRow};
use super::view::{self, Reading};
use super::vocab::{GoalKind, GoalState};
use super::{queries, scope, terms};
use crate::accounts::{Authorized, Caller, Students};
use crate::audit;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson};
use crate::rosters::models::PersonRef;
use crate::state::AppState;
use crate::support::check_ins::week_of;
use crate::support::settings::SupportSettings;

pub fn who_can_see(settings: &SupportSettings) -> String {
    if settings.teachers_see_student_goals {
        "You, your school's counselors and your teachers can see your goals and what you log. \
         Nobody adds them up with other students' goals."
    } else {
        "You and your school's counselors can see your goals and what you log. Nobody adds them \
         up with other students' goals."
    }
    .to_owned()
}

/// A student's goals, newest first, with their weekly trend: the counselors of the student's
/// school and, where the district allows it, the student's teachers. Each read is in the audit
/// trail.
#[utoipa::path(
    tag = "goals", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = StudentGoals),
        Forbidden,
        NotFound,
    )
)]
#[get("/students/{id}/goals")]
pub async fn student_goals(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<StudentGoals>, ApiError> {
    let id = path.into_inner().id;
    let keys = state.seal_keys.clone();
    let found = state
        .db
        .run(move |conn| {
            let settings = crate::support::queries::settings(conn, &caller.district_id)?;
            let student = scope::student_goals(conn, &caller, &id, &settings)?.into_inner();
            let today = settings.clock().local_day(db::now());
            let rows = queries::student_goals(conn, &student.id)?;
            let rows = scope::visible_to_teacher(conn, &caller, rows)?;
            let goals = view::goals(conn, &mut Reading::new(&caller, &keys, today), rows)?;
            // By goal id only, as help requests are: the trail, which district staff read,
            // does not list which students have personal goals.
            let ids: Vec<&str> = goals.iter().map(|g| g.id.as_str()).collect();
            audit::record(
                conn,
                &caller,
                "student_goals.read",
                json!({"goal_ids": ids}),
            )?;
            Ok(StudentGoals {
                student: PersonRef {
                    id: student.id,
                    given_name: student.given_name,
                    family_name: student.family_name,
                },
                goals,
            })
        })
        .await?;
    Ok(web::Json(found))
}

pub(crate) fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    keys: &crate::seal::SealKeys,
    student_id: &str,
    input: StudentGoalInput,
) -> Result<Goal, ApiError> {
    let settings = crate::support::queries::settings(conn, &caller.district_id)?;
    let student = scope::goal_student(conn, caller, student_id)?.into_inner();
    let today = settings.clock().local_day(db::now());
    terms::weekly_target(
        input.measure,
        f64::from(input.weekly_target),
        "weekly_target",
    )?;
    terms::review_on(input.review_on, today, "review_on")?;
    let school_id = student.school_id.clone();
    let strategies = terms::strategies(
        conn,
        caller,
        school_id.as_deref(),
        &input.strategies,
        "strategies",
    )?;
    let now = db::now();
    let row = GoalRow {
        id: db::new_id(),
        district_id: caller.district_id.clone(),
        kind: GoalKind::Student,
        school_id,
        student_id: Some(student.id.clone()),
        title: input.title,
        metric: None,
        baseline: None,
        measure: Some(input.measure),
        target: f64::from(input.weekly_target),
        deadline: None,
        cadence: None,
        review_on: Some(input.review_on),
        owner_id: caller.user_id.clone(),
        strategies: to_json(&strategies)?,
        state: GoalState::Active,
        version: 1,
        created_by: caller.user_id.clone(),
        created_at: now,
        updated_at: now,
    };
    history::create(
        conn,
        caller,
        &row,
        json!({"goal_id": row.id, "kind": row.kind}),
    )?;
    view::goal(conn, &mut Reading::new(caller, keys, today), row)
}

/// Set a personal goal with a student: a counselor of the student's school. The student sees it
/// at `GET /me/goals` and logs progress there.
#[utoipa::path(
    tag = "goals", security(("bearer" = [])), params(IdPath), request_body = StudentGoalInput,
    responses(
        (status = 201, body = Goal),
        Forbidden,
        NotFound,
        (status = 422, description = "A title missing or too long, a weekly target outside the measure's range, a review day not after today"),
    )
)]
#[post("/students/{id}/goals")]
pub async fn create_student_goal(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    body: ValidJson<StudentGoalInput>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().id;
    let input = body.0;
    let keys = state.seal_keys.clone();
    let goal = state
        .db
        .write(move |conn| create(conn, &caller, &keys, &id, input))
        .await?;
    Ok(HttpResponse::Created().json(goal))
}

fn mine(
    conn: &mut DbConnection,
    caller: &Caller,
    keys: &crate::seal::SealKeys,
    settings: &SupportSettings,
) -> Result<MyGoals, ApiError> {
    let today = settings.clock().local_day(db::now());
    let rows = queries::student_goals(conn, &caller.user_id)?;
    Ok(MyGoals {
        who_can_see: who_can_see(settings),
        goals: view::goals(conn, &mut Reading::new(caller, keys, today), rows)?,
    })
}

/// Your goals with their weekly trend, and who can see them.
#[utoipa::path(
    tag = "goals", security(("bearer" = [])),
    responses(
        (status = 200, body = MyGoals),
        (status = 403, description = "Only students have personal goals"),
    )
)]
#[get("/me/goals")]
pub async fn my_goals(
    state: web::Data<AppState>,
    caller: Authorized<Students>,
) -> Result<web::Json<MyGoals>, ApiError> {
    let caller = caller.caller;
    let keys = state.seal_keys.clone();
    let goals = state
        .db
        .run(move |conn| {
            let settings = crate::support::queries::settings(conn, &caller.district_id)?;
            mine(conn, &caller, &keys, &settings)
        })
        .await?;
    Ok(web::Json(goals))
}

/// One of the caller's own active goals; someone else's is 404, one answer for "no such goal".
fn own_goal(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<GoalRow, ApiError> {
    let row = queries::goal(conn, id)?
        .filter(|g| g.student_id.as_deref() == Some(caller.user_id.as_str()))
        .ok_or(ApiError::NotFound("goal"))?;
    if !row.state.is_active() {
        return Err(ApiError::conflict(
            None,
            "this goal is closed; talk with your counselor to take it up again",
        ));
    }
    Ok(row)
}

/// Logs a day's value towards one's own goal (a second log that day replaces the first).
pub fn log(
    conn: &mut DbConnection,
    goal: &GoalRow,
    on: NaiveDate,
    value: i32,
    check_in_id: Option<String>,
    field: &str,
) -> Result<(), ApiError> {
    let measure = goal
        .measure
        .ok_or_else(|| ApiError::internal("a student goal without a measure"))?;
    if !(0..=measure.max_per_day()).contains(&value) {
        return Err(ApiError::invalid(
            field,
            format!(
                "must be 0 to {} for {}",
                measure.max_per_day(),
                measure.as_str()
            ),
        ));
    }
    let now = db::now();
    queries::record_progress(
        conn,
        &ProgressRow {
            id: db::new_id(),
            goal_id: goal.id.clone(),
            on_day: on,
            value,
            check_in_id,
            created_at: now,
            updated_at: now,
        },
    )?;
    Ok(())
}

/// Log today's progress towards one of your goals (or an earlier day of this week); a second log
/// the same day replaces the first.
#[utoipa::path(
    tag = "goals", security(("bearer" = [])), params(IdPath), request_body = ProgressInput,
    responses(
        (status = 200, body = Goal),
        (status = 403, description = "Only students log progress"),
        (status = 404, description = "No such goal of yours"),
        (status = 409, description = "The goal is closed"),
        (status = 422, description = "A value outside the measure's range, or a day in the future or of an ended week"),
    )
)]
#[post("/me/goals/{id}/progress")]
pub async fn log_progress(
    state: web::Data<AppState>,
    caller: Authorized<Students>,
    path: web::Path<IdPath>,
    body: ValidJson<ProgressInput>,
) -> Result<web::Json<Goal>, ApiError> {
    let id = path.into_inner().id;
    let input = body.0;
    let caller = caller.caller;
    let keys = state.seal_keys.clone();
    let goal = state
        .db
        .write(move |conn| {
            let settings = crate::support::queries::settings(conn, &caller.district_id)?;
            let today = settings.clock().local_day(db::now());
            let goal = own_goal(conn, &caller, &id)?;
            let on = input.on.unwrap_or(today);
            if on > today {
                return Err(ApiError::invalid("on", "must not be in the future"));
            }
            if on < week_of(today) {
                return Err(ApiError::invalid(
                    "on",
                    format!("must be a day of this week (from {})", week_of(today)),
                ));
            }
            let check_in = if input.with_check_in {
                let found = crate::support::queries::check_ins_of(conn, &caller.user_id, on, on)?;
                let Some(c) = found.into_iter().next() else {
                    return Err(ApiError::invalid(
                        "with_check_in",
                        format!("you have no check-in on {on}; check in first"),
                    ));
                };
                Some(c.id)
            } else {
                None
            };
            log(conn, &goal, on, input.value, check_in, "value")?;
            view::goal(conn, &mut Reading::new(&caller, &keys, today), goal)
        })
        .await?;
    Ok(web::Json(goal))
}
