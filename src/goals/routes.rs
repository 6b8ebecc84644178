//! School and district goals: set, listed with the district roll-up, read with their history,
//! and changed (each change a new version).

use actix_web::{get, patch, post, web, HttpResponse};
use serde_json::json;

use super::dto::{
    BaselineInput, Goal, GoalDetail, GoalInput, GoalList, GoalPatch, GoalTerms, GoalsQuery,
    Measurement, StatusCounts,
};
use super::history::to_json;
use super::measure::{self, Place, Windows};
use super::metric::{Metric, MetricKind};
use super::models::GoalRow;
use super::view::{self, Reading};
use super::vocab::{GoalKind, GoalState, GoalStatus};
use super::{history, queries, scope, terms};
use crate::accounts::{Authorized, Caller, Role, SchoolStaff};
use crate::audit;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::rosters::models::School;
use crate::seal::SealKeys;
use crate::state::AppState;

/// Today in the district's time zone.
pub fn today(conn: &mut DbConnection, district_id: &str) -> Result<chrono::NaiveDate, ApiError> {
    Ok(crate::support::queries::settings(conn, district_id)?
        .clock()
        .local_day(db::now()))
}

/// The baseline of a new goal, measured now from a closed window or an ended term.
pub(crate) fn baseline(
    conn: &mut DbConnection,
    caller: &Caller,
    keys: &SealKeys,
    place: Place,
    metric: &Metric,
    input: &BaselineInput,
    today: chrono::NaiveDate,
) -> Result<Measurement, ApiError> {
    match (metric.climate(), &input.window_id, &input.term_id) {
        (Some(c), Some(window_id), None) => {
            let window =
                crate::surveys::scope::window(conn, caller, window_id).map_err(|e| match e {
                    ApiError::NotFound(_) => ApiError::invalid(
                        "baseline.window_id",
                        "no such survey window in your scope",
                    ),
                    other => other,
                })?;
            if window.closes_at > db::now() {
                return Err(ApiError::invalid(
                    "baseline.window_id",
                    "the window is still open; a baseline comes from a closed window",
                ));
            }
            if queries::window_lineage(conn, &window.id)?.as_deref() != Some(&c.lineage_id) {
                return Err(ApiError::invalid(
                    "baseline.window_id",
                    "this window's questionnaire is not of metric.lineage_id",
                ));
            }
            let m = measure::climate_in(conn, &mut Windows::default(), keys, &window, place, &c)?;
            match m.withheld.as_deref() {
                None => Ok(m),
                Some(measure::NOT_OFFERED) => Err(ApiError::invalid(
                    "baseline.window_id",
                    measure::NOT_OFFERED,
                )),
                Some(measure::NOT_ASKED_GRADES) => Err(ApiError::invalid(
                    "metric.grades",
                    measure::NOT_ASKED_GRADES,
                )),
                Some(measure::NOT_ASKED_INDICATOR) => Err(ApiError::invalid(
                    "metric.indicator",
                    measure::NOT_ASKED_INDICATOR,
                )),
                Some(why) => Err(ApiError::invalid(
                    "baseline.window_id",
                    format!("the baseline would be {why}; choose another window or a larger group"),
                )),
            }
        }
        (Some(_), _, _) => Err(ApiError::invalid(
            "baseline.window_id",
            "a climate goal's baseline is a closed survey window: give window_id only",
        )),
        (_, None, Some(term_id)) => {
            let term = crate::rosters::scope::term(conn, caller, term_id)
                .map_err(|_| {
                    ApiError::invalid("baseline.term_id", "no such term in your district")
                })?
                .into_inner();
            if term.ends_on >= today {
                return Err(ApiError::invalid(
                    "baseline.term_id",
                    "the term has not ended; a baseline comes from an ended term",
                ));
            }
            let m = measure::term_figure(conn, place, &term, metric, today)?;
            match &m.withheld {
                None => Ok(m),
                Some(why) => Err(ApiError::invalid(
                    "baseline.term_id",
                    format!("this term has no value to start from: {why}"),
                )),
            }
        }
        _ => Err(ApiError::invalid(
            "baseline.term_id",
            "a lesson or mentoring goal's baseline is an ended term: give term_id only",
        )),
    }
}

/// The grades a school teaches, for a climate goal's grade group.
fn grades_taught(school: Option<&School>, metric: &Metric) -> Result<(), ApiError> {
    if let (Some(school), Some(c)) = (school, metric.climate()) {
        if let Some(g) = c
            .grades
            .iter()
            .find(|g| !(school.low_grade..=school.high_grade).contains(*g))
        {
            return Err(ApiError::invalid(
                "metric.grades",
                format!(
                    "this school teaches grades {} to {}, not {g}",
                    school.low_grade, school.high_grade
                ),
            ));
        }
    }
    Ok(())
}

pub(crate) fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    keys: &SealKeys,
    input: GoalInput,
) -> Result<Goal, ApiError> {
    let today = today(conn, &caller.district_id)?;
    let school =
        scope::new_goal_place(conn, caller, input.school_id.as_deref())?.map(|s| s.into_inner());
    let mut metric = input.metric.normalized();
    if metric.kind == MetricKind::Climate && metric.lineage_id.is_none() {
        // The baseline window names the lineage; a client need not look it up.
        if let Some(window) = &input.baseline.window_id {
            metric.lineage_id = queries::window_lineage(conn, window)?;
        }
    }
    metric
        .check()
        .map_err(|(field, message)| ApiError::invalid(field, message))?;
    grades_taught(school.as_ref(), &metric)?;
    let school_id = school.as_ref().map(|s| s.id.clone());
    let place = Place {
        district_id: &caller.district_id,
        school_id: school_id.as_deref(),
    };
    let baseline = baseline(conn, caller, keys, place, &metric, &input.baseline, today)?;
    terms::measured(&metric, &baseline, input.target, input.deadline)?;
    terms::deadline_ahead(input.deadline, today)?;
    let kind = if school.is_some() {
        GoalKind::School
    } else {
        GoalKind::District
    };
    let owner_id = input.owner_id.unwrap_or_else(|| caller.user_id.clone());
    terms::owner(
        conn,
        &caller.district_id,
        kind,
        school_id.as_deref(),
        &owner_id,
    )?;
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
        kind,
        school_id,
        student_id: None,
        title: input.title,
        metric: Some(to_json(&metric)?),
        baseline: Some(to_json(&baseline)?),
        measure: None,
        target: input.target,
        deadline: Some(input.deadline),
        cadence: Some(input.cadence),
        review_on: None,
        owner_id,
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
        json!({"goal_id": row.id, "kind": row.kind, "school_id": row.school_id}),
    )?;
    view::goal(conn, &mut Reading::new(caller, keys, today), row)
}

/// Set a goal for a school (its administrators and counselors, or district administrators) or
/// for the district (district administrators): a metric the product already computes, its
/// baseline from a closed window or an ended term, a target and deadline, a review cadence, an
/// owner and the strategies it relies on.
#[utoipa::path(
    tag = "goals", security(("bearer" = [])), request_body = GoalInput,
    responses(
        (status = 201, body = Goal),
        Forbidden,
        (status = 422, description = "A metric that does not exist for the school or grades, a baseline from an open window or a term under way or withheld, a deadline before the baseline, a target on the wrong side of the baseline, an owner who may not own it"),
    )
)]
#[post("/goals")]
pub async fn create_goal(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    body: ValidJson<GoalInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.0;
    let caller = caller.caller;
    let keys = state.seal_keys.clone();
    let goal = state
        .db
        .write(move |conn| create(conn, &caller, &keys, input))
        .await?;
    Ok(HttpResponse::Created().json(goal))
}

/// Counts goals by status, per school and for the district's own.
fn rollup(goals: &[Goal], names: &std::collections::HashMap<String, String>) -> Vec<StatusCounts> {
    let mut by: std::collections::BTreeMap<Option<String>, StatusCounts> = Default::default();
    for g in goals.iter().filter(|g| g.state == GoalState::Active) {
        let entry = by
            .entry(g.school_id.clone())
            .or_insert_with(|| StatusCounts {
                school_id: g.school_id.clone(),
                name: match &g.school_id {
                    Some(s) => names.get(s).cloned().unwrap_or_else(|| s.clone()),
                    None => "District".to_owned(),
                },
                ..Default::default()
            });
        match g.progress.as_ref().map(|p| p.status) {
            Some(GoalStatus::OnTrack) => entry.on_track += 1,
            Some(GoalStatus::AtRisk) => entry.at_risk += 1,
            Some(GoalStatus::Met) => entry.met += 1,
            Some(GoalStatus::NotMet) => entry.not_met += 1,
            _ => entry.not_measurable += 1,
        }
    }
    let mut out: Vec<StatusCounts> = by.into_values().collect();
    out.sort_by(|a, b| {
        (a.school_id.is_some(), &a.name, &a.school_id).cmp(&(
            b.school_id.is_some(),
            &b.name,
            &b.school_id,
        ))
    });
    out
}

/// The school the caller's goal lists cover: district administrators any (or all), school
/// staff their own.
pub fn listed_school(caller: &Caller, asked: Option<String>) -> Result<Option<String>, ApiError> {
    match caller.role {
        Role::DistrictAdmin => Ok(asked),
        _ => {
            let own = caller
                .school()
                .ok_or_else(|| ApiError::forbidden("your account has no school"))?;
            match asked {
                Some(s) if s != own => Err(ApiError::invalid(
                    "school_id",
                    "no such school in your scope",
                )),
                _ => Ok(Some(own.to_owned())),
            }
        }
    }
}

/// The school and district goals in your scope with their progress, and the roll-up: active
/// goals per school by status. District administrators see every school's and the district's;
/// school administrators and counselors their school's.
#[utoipa::path(
    tag = "goals", security(("bearer" = [])), params(GoalsQuery),
    responses(
        (status = 200, body = GoalList),
        Forbidden,
        (status = 422, description = "A school outside your scope"),
    )
)]
#[get("/goals")]
pub async fn list_goals(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    query: ValidQuery<GoalsQuery>,
) -> Result<web::Json<GoalList>, ApiError> {
    let query = query.0;
    let caller = caller.caller;
    let keys = state.seal_keys.clone();
    let list = state
        .db
        .write(move |conn| {
            let school = listed_school(&caller, query.school_id)?;
            let today = today(conn, &caller.district_id)?;
            let rows =
                queries::measured_goals(conn, &caller.district_id, school.as_deref(), query.state)?;
            // School staff never see the district's own goals (district figures are not theirs).
            let rows: Vec<GoalRow> = rows
                .into_iter()
                .filter(|r| r.kind == GoalKind::School || caller.role == Role::DistrictAdmin)
                .collect();
            let goals = view::goals(conn, &mut Reading::new(&caller, &keys, today), rows)?;
            let names = queries::school_names(conn, &caller.district_id)?;
            audit::record(
                conn,
                &caller,
                "goals.read",
                json!({"school_id": school, "goals": goals.len()}),
            )?;
            Ok(GoalList {
                rollup: rollup(&goals, &names),
                goals,
            })
        })
        .await?;
    Ok(web::Json(list))
}

/// A goal with its progress (or, for a student goal, its weekly trend), every version of it,
/// and its reviews. Reads of a student's goal by staff are in the audit trail.
#[utoipa::path(
    tag = "goals", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = GoalDetail),
        NotFound,
    )
)]
#[get("/goals/{id}")]
pub async fn get_goal(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<GoalDetail>, ApiError> {
    let id = path.into_inner().id;
    let keys = state.seal_keys.clone();
    let detail = state
        .db
        .write(move |conn| {
            let settings = crate::support::queries::settings(conn, &caller.district_id)?;
            let row = scope::goal(conn, &caller, &id, &settings)?.into_inner();
            let today = settings.clock().local_day(db::now());
            history::audit_read(conn, &caller, &row)?;
            let (versions, mut reviews) = history::of(conn, &row.id)?;
            if caller.role == Role::Teacher {
                // What a counselor and a student said at a review stays between them.
                reviews.clear();
            }
            let goal = view::goal(conn, &mut Reading::new(&caller, &keys, today), row)?;
            Ok(GoalDetail {
                goal,
                history: versions,
                reviews,
            })
        })
        .await?;
    Ok(web::Json(detail))
}

/// The goal's terms with a patch applied.
fn patched(
    conn: &mut DbConnection,
    caller: &Caller,
    row: &GoalRow,
    patch: GoalPatch,
) -> Result<GoalTerms, ApiError> {
    let mut t = row.terms()?;
    if let Some(v) = patch.title {
        t.title = v;
    }
    if let Some(v) = patch.target {
        t.target = v;
    }
    let student = row.kind == GoalKind::Student;
    if let Some(v) = patch.deadline {
        if student {
            return Err(ApiError::invalid(
                "deadline",
                "a student goal has review_on instead",
            ));
        }
        t.deadline = Some(v);
    }
    if let Some(v) = patch.cadence {
        if student {
            return Err(ApiError::invalid(
                "cadence",
                "a student goal has review_on instead",
            ));
        }
        t.cadence = Some(v);
    }
    if let Some(v) = patch.review_on {
        if !student {
            return Err(ApiError::invalid(
                "review_on",
                "reviews of this goal follow its cadence",
            ));
        }
        t.review_on = Some(v);
    }
    if let Some(v) = patch.owner_id {
        t.owner_id = v;
    }
    if let Some(v) = patch.strategies {
        t.strategies = terms::strategies(conn, caller, row.school_id.as_deref(), &v, "strategies")?;
    }
    if let Some(v) = patch.state {
        t.state = v;
    }
    Ok(t)
}

/// Change a goal's title, target, deadline, cadence (or a student goal's review day), owner,
/// strategies or state. What it measures and its baseline never change. Each change is a new
/// version in its history. School goals: the school's administrators and counselors and
/// district administrators; district goals: district administrators; student goals: the
/// school's counselors.
#[utoipa::path(
    tag = "goals", security(("bearer" = [])), params(IdPath), request_body = GoalPatch,
    responses(
        (status = 200, body = Goal),
        Forbidden,
        NotFound,
        (status = 409, description = "The goal was changed meanwhile"),
        (status = 422, description = "A target on the wrong side of the baseline, a deadline before it, an owner who may not own the goal, a strategy that does not exist"),
    )
)]
#[patch("/goals/{id}")]
pub async fn update_goal(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    body: ValidJson<GoalPatch>,
) -> Result<web::Json<Goal>, ApiError> {
    let id = path.into_inner().id;
    let patch = body.0;
    let keys = state.seal_keys.clone();
    let goal = state
        .db
        .write(move |conn| {
            let settings = crate::support::queries::settings(conn, &caller.district_id)?;
            let row = scope::manage_goal(conn, &caller, &id, &settings)?.into_inner();
            let today = settings.clock().local_day(db::now());
            // The answer shows the goal: a read, whether or not anything changes.
            history::audit_read(conn, &caller, &row)?;
            let terms = patched(conn, &caller, &row, patch)?;
            let row = history::change(conn, &caller, row, &terms, today, None, "review_on")?;
            view::goal(conn, &mut Reading::new(&caller, &keys, today), row)
        })
        .await?;
    Ok(web::Json(goal))
}
