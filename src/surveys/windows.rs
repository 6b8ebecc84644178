//! `/api/v1/survey-windows`: administering an instrument to schools and grades, guardian
//! opt-outs, and participation counts (never names, never answers).

use actix_web::{get, post, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::{NewOptOut, NewWindow, WindowFilter};
use super::models::{Window, WindowRow, WindowState};
use super::queries;
use super::roster;
use crate::auth::{Authorized, DistrictAdmins, Role, SchoolStaff, Staff};
use crate::authz;
use crate::db;
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{ValidJson, ValidQuery};
use crate::pagination::Page;
use crate::reports::disclosure::{protect_with_public, Grid, Suppression};
use crate::rosters::org::IdPath;
use crate::state::AppState;

/// Survey windows of the district (school staff: those including their school), newest first;
/// `state` keeps those upcoming, open or closed now.
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(WindowFilter),
    responses(
        (status = 200, body = Page<Window>),
        Forbidden,
    )
)]
#[get("/survey-windows")]
pub async fn list_windows(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    query: ValidQuery<WindowFilter>,
) -> Result<web::Json<Page<Window>>, ApiError> {
    let filter = query.0;
    let paging = filter.paging();
    let page = state
        .db
        .run(move |conn| queries::list_windows(conn, &caller, filter.state, paging, db::now()))
        .await?;
    Ok(web::Json(page))
}

/// Open a survey window (district administrators): a published instrument, schools of the
/// district, grades the instrument is written for, and a minimum reporting cell size (≥ 5).
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), request_body = NewWindow,
    responses(
        (status = 201, body = Window),
        Forbidden,
        (status = 409, description = "The instrument is not published"),
    )
)]
#[post("/survey-windows")]
pub async fn create_window(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    body: ValidJson<NewWindow>,
) -> Result<HttpResponse, ApiError> {
    let new = body.0;
    let (keys, settle) = (state.seal_keys.clone(), state.config.settle_period());
    let window = state
        .db
        .write(move |conn| {
            let instrument =
                authz::instrument(conn, &caller, &new.instrument_id).map_err(|_| {
                    ApiError::invalid("instrument_id", "no such instrument in your district")
                })?;
            if !instrument.is_published() {
                return Err(ApiError::conflict(
                    Some("instrument_id"),
                    "publish the instrument before opening a window",
                ));
            }
            for (i, grade) in new.grades.iter().enumerate() {
                if !(instrument.grade_min..=instrument.grade_max).contains(grade) {
                    return Err(ApiError::invalid(
                        format!("grades[{i}]"),
                        format!(
                            "the instrument is written for grades {} to {}",
                            instrument.grade_min, instrument.grade_max
                        ),
                    ));
                }
            }
            let mut school_ids = Vec::new();
            for (i, id) in new.school_ids.iter().enumerate() {
                authz::school(conn, &caller, id).map_err(|_| {
                    ApiError::invalid(
                        format!("school_ids[{i}]"),
                        "no such school in your district",
                    )
                })?;
                if !school_ids.contains(id) {
                    school_ids.push(id.clone());
                }
            }
            let mut grades = new.grades.clone();
            grades.sort_unstable();
            grades.dedup();
            let now = db::now();
            if new.closes_at.naive_utc() <= now {
                return Err(ApiError::invalid(
                    "closes_at",
                    "a window must close in the future",
                ));
            }
            let row = WindowRow::new(
                db::new_id(),
                &caller.district_id,
                &instrument.id,
                new.title.trim().to_owned(),
                db::truncate(new.opens_at.naive_utc()),
                db::truncate(new.closes_at.naive_utc()),
                &grades,
                new.min_cell_size.unwrap_or(10),
                &caller.user_id,
                now,
            );
            queries::insert_window(conn, &row, &school_ids)?;
            // A window that opens now is frozen now; a later one when it opens.
            if row.opens_at <= now {
                roster::freeze(conn, &row, &keys, settle, now)?;
            }
            crate::audit::record_in_transaction(
                conn,
                &caller,
                "survey_window.created",
                serde_json::json!({
                    "window_id": row.id, "instrument_id": row.instrument_id,
                    "school_ids": school_ids, "grades": grades,
                    "opens_at": crate::timefmt::format_utc(row.opens_at),
                    "closes_at": crate::timefmt::format_utc(row.closes_at),
                    "min_cell_size": row.min_cell_size,
                }),
            )?;
            queries::window_view(conn, &row, now)
        })
        .await?;
    Ok(HttpResponse::Created().json(window))
}

#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = Window),
        NotFound,
    )
)]
#[get("/survey-windows/{id}")]
pub async fn get_window(
    state: web::Data<AppState>,
    caller: crate::auth::Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<Window>, ApiError> {
    let id = path.into_inner().id;
    let window = state
        .db
        .run(move |conn| {
            let row = authz::window(conn, &caller, &id)?;
            queries::window_view(conn, &row, db::now())
        })
        .await?;
    Ok(web::Json(window))
}

/// Record a guardian's opt-out (PPRA) for a student of your school: the student is not offered
/// the survey from now on. Idempotent. Answered alike whether or not the student has already
/// answered (the opt-out then applies to what is left: nothing), so that this route tells
/// nobody who took the survey; refused alike for everyone once the window has closed.
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(IdPath), request_body = NewOptOut,
    responses(
        (status = 201, description = "Opt-out recorded"),
        (status = 200, description = "Already recorded"),
        Forbidden,
        NotFound,
        (status = 409, description = "The window has closed"),
        (status = 422, description = "See the problem document"),
    )
)]
#[post("/survey-windows/{id}/opt-outs")]
pub async fn create_opt_out(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    path: web::Path<IdPath>,
    body: ValidJson<NewOptOut>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().id;
    let student_id = body.0.student_id;
    let created = state
        .db
        .write(move |conn| {
            let window = authz::window(conn, &caller, &id)?;
            if window.state_at(db::now()) == WindowState::Closed {
                return Err(ApiError::conflict(
                    None,
                    "this window has closed; opt-outs apply to open and upcoming windows",
                ));
            }
            let student = authz::user(conn, &caller, &student_id)
                .map_err(|_| ApiError::invalid("student_id", "no such student in your scope"))?;
            // Once frozen, the window is offered to its roster; before, to the current placement.
            let offered = student.role() == Role::Student
                && if window.frozen_at.is_some() {
                    roster::is_on_roster(conn, &window.id, &student.id)?
                } else {
                    student.grade.is_some_and(|g| window.grades().contains(&g))
                        && match &student.school_id {
                            Some(school) => {
                                queries::window_includes_school(conn, &window.id, school)?
                            }
                            None => false,
                        }
                };
            if !offered {
                return Err(ApiError::invalid(
                    "student_id",
                    "the student is not offered this survey",
                ));
            }
            let created = queries::record_opt_out(conn, &window, &student.id, &caller.user_id)?;
            if created {
                crate::audit::record_in_transaction(
                    conn,
                    &caller,
                    "survey.opt_out",
                    serde_json::json!({"window_id": window.id, "student_id": student.id}),
                )?;
            }
            Ok(created)
        })
        .await?;
    Ok(if created {
        HttpResponse::Created().finish()
    } else {
        HttpResponse::Ok().finish()
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipationCell {
    #[schema(minimum = 0, maximum = 12)]
    pub grade: i32,
    /// Students offered the survey when the window opened, less those a guardian had opted out
    /// by then. Fixed when the window opens.
    #[schema(minimum = 0)]
    pub eligible: i64,
    /// Null when withheld (`suppressed`); while the window is open, rounded down to a multiple
    /// of 5 (`rounded`).
    #[schema(minimum = 0)]
    pub responded: Option<i64>,
    /// Responded ÷ eligible (classes: ÷ enrolled), in percent (0–100, one decimal).
    #[schema(minimum = 0, maximum = 100, example = 62.5)]
    pub response_percent: Option<f64>,
    /// Deprecated: the same value as `response_percent` (0–100), under a name that by the API's
    /// conventions means a fraction (0–1); removed in the next release.
    #[schema(deprecated, minimum = 0, maximum = 100)]
    pub response_rate: Option<f64>,
    pub suppressed: Option<Suppression>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SchoolParticipation {
    pub school_id: String,
    #[schema(minimum = 0)]
    pub eligible: i64,
    #[schema(minimum = 0)]
    pub responded: Option<i64>,
    /// Responded ÷ eligible (classes: ÷ enrolled), in percent (0–100, one decimal).
    #[schema(minimum = 0, maximum = 100, example = 62.5)]
    pub response_percent: Option<f64>,
    /// Deprecated: the same value as `response_percent` (0–100), under a name that by the API's
    /// conventions means a fraction (0–1); removed in the next release.
    #[schema(deprecated, minimum = 0, maximum = 100)]
    pub response_rate: Option<f64>,
    pub suppressed: Option<Suppression>,
    pub grades: Vec<ParticipationCell>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassParticipation {
    pub class_id: String,
    pub class_name: String,
    /// Students of the class on the window's roster (opted out or not).
    #[schema(minimum = 0)]
    pub enrolled: i64,
    #[schema(minimum = 0)]
    pub responded: Option<i64>,
    /// Responded ÷ eligible (classes: ÷ enrolled), in percent (0–100, one decimal).
    #[schema(minimum = 0, maximum = 100, example = 62.5)]
    pub response_percent: Option<f64>,
    /// Deprecated: the same value as `response_percent` (0–100), under a name that by the API's
    /// conventions means a fraction (0–1); removed in the next release.
    #[schema(deprecated, minimum = 0, maximum = 100)]
    pub response_rate: Option<f64>,
    pub suppressed: Option<Suppression>,
}

/// Counts only, never names; answers are not readable here at all. While the window is open,
/// counts below its minimum cell size are withheld, with complementary suppression across the
/// window's schools and grades, and shown counts are rounded down to a multiple of 5 (a count
/// steps once every fifth submission). Once the window is closed, the counts are exactly those
/// its reports publish (withheld where they are), and teachers see none.
#[derive(Debug, Serialize, ToSchema)]
pub struct Participation {
    pub window_id: String,
    pub state: WindowState,
    #[schema(minimum = 5, maximum = 1000)]
    pub min_cell_size: i32,
    /// Shown counts are rounded down to a multiple of 5 (while the window is open).
    pub rounded: bool,
    pub schools: Vec<SchoolParticipation>,
    /// For teachers, while the window is open: their own classes that existed when it opened.
    pub classes: Vec<ClassParticipation>,
}

/// A count as published: withheld when suppressed, rounded down to a multiple of 5 when asked.
fn shown(count: i64, suppressed: Option<Suppression>, round: bool) -> Option<i64> {
    match suppressed {
        Some(_) => None,
        None if round => Some(count - count % 5),
        None => Some(count),
    }
}

fn rate(responded: Option<i64>, eligible: i64) -> Option<f64> {
    responded
        .filter(|_| eligible > 0)
        .map(|r| (r as f64 * 1000.0 / eligible as f64).round() / 10.0)
}

/// Participation counts and response rates: per school and grade for administrators and
/// counselors, per own class for teachers (see `Participation` for what is withheld).
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = Participation),
        Forbidden,
        NotFound,
    )
)]
#[get("/survey-windows/{id}/participation")]
pub async fn participation(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    path: web::Path<IdPath>,
) -> Result<web::Json<Participation>, ApiError> {
    let id = path.into_inner().id;
    let (keys, settle) = (state.seal_keys.clone(), state.config.settle_period());
    let participation = state
        .db
        .run(move |conn| {
            let window = authz::window(conn, &caller, &id)?;
            roster::ensure_frozen(conn, &window, &keys, settle)?;
            let view = queries::window_view(conn, &window, db::now())?;
            let k = window.min_cell_size.max(1);
            let round = view.state == WindowState::Open;
            let mut out = Participation {
                window_id: window.id.clone(),
                state: view.state,
                min_cell_size: window.min_cell_size,
                rounded: round,
                schools: Vec::new(),
                classes: Vec::new(),
            };
            let mine: Option<&str> = match caller.role {
                Role::DistrictAdmin => None,
                _ => caller.school(),
            };
            if view.state == WindowState::Closed {
                // Who answered is forgotten once the box is opened: a closed window's counts are
                // its reports' (teachers read none).
                if caller.role != Role::Teacher {
                    let closed = crate::reports::aggregates::closed(&window, db::now())?;
                    let cells = crate::reports::aggregates::cells_of(conn, &closed, &keys)?;
                    let shown = crate::reports::climate::shown_respondents(cells, k);
                    for (school_id, (eligible, responded, suppressed), grades) in shown.schools {
                        if mine.is_some_and(|m| m != school_id) {
                            continue;
                        }
                        out.schools.push(SchoolParticipation {
                            school_id,
                            eligible,
                            responded,
                            response_percent: rate(responded, eligible),
                            response_rate: rate(responded, eligible),
                            suppressed,
                            grades: grades
                                .into_iter()
                                .map(|(grade, (eligible, responded, suppressed))| {
                                    ParticipationCell {
                                        grade,
                                        eligible,
                                        responded,
                                        response_percent: rate(responded, eligible),
                                        response_rate: rate(responded, eligible),
                                        suppressed,
                                    }
                                })
                                .collect(),
                        });
                    }
                }
                return Ok(out);
            }
            if caller.role == Role::Teacher {
                for (class_id, class_name, enrolled, responded) in
                    queries::participation_by_class(conn, &window, &caller.user_id)?
                {
                    let suppressed = (responded < i64::from(k)).then_some(Suppression::SmallCell);
                    let responded = shown(responded, suppressed, round);
                    out.classes.push(ClassParticipation {
                        class_id,
                        class_name,
                        enrolled,
                        responded,
                        response_percent: rate(responded, enrolled),
                        response_rate: rate(responded, enrolled),
                        suppressed,
                    });
                }
                return Ok(out);
            }
            // One pattern over the whole window, whoever asks: a district administrator and a
            // school administrator comparing notes see numbers cut from the same table.
            let cells = queries::roster_cells(conn, &window, &view.school_ids)?;
            let grades = window.grades();
            let grid = Grid {
                cells: view
                    .school_ids
                    .iter()
                    .map(|s| {
                        grades
                            .iter()
                            .map(|g| {
                                cells
                                    .get(&(s.clone(), *g))
                                    .map_or(0, |c| c.responded as u64)
                            })
                            .collect()
                    })
                    .collect(),
            };
            let count = |r: usize, c: usize| {
                cells
                    .get(&(view.school_ids[r].clone(), grades[c]))
                    .copied()
                    .unwrap_or_default()
            };
            let pattern = protect_with_public(
                &grid,
                |r, c| {
                    let cell = count(r, c);
                    cell.eligible == 0 && cell.responded == 0
                },
                k as u64,
            );
            for (r, school_id) in view.school_ids.iter().enumerate() {
                if mine.is_some_and(|m| m != school_id) {
                    continue;
                }
                let grades: Vec<ParticipationCell> = grades
                    .iter()
                    .enumerate()
                    .map(|(c, grade)| {
                        let cell = count(r, c);
                        let suppressed = pattern.cells[r][c];
                        let responded = shown(cell.responded, suppressed, round);
                        ParticipationCell {
                            grade: *grade,
                            eligible: cell.eligible,
                            responded,
                            response_percent: rate(responded, cell.eligible),
                            response_rate: rate(responded, cell.eligible),
                            suppressed,
                        }
                    })
                    .collect();
                let eligible = grades.iter().map(|g| g.eligible).sum();
                let total = (0..grades.len()).map(|c| count(r, c).responded).sum();
                let suppressed = pattern.rows[r];
                let responded = shown(total, suppressed, round);
                out.schools.push(SchoolParticipation {
                    school_id: school_id.clone(),
                    eligible,
                    responded,
                    response_percent: rate(responded, eligible),
                    response_rate: rate(responded, eligible),
                    suppressed,
                    grades,
                });
            }
            Ok(out)
        })
        .await?;
    Ok(web::Json(participation))
}
