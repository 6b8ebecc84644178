//! `/api/v1/survey-windows`: administering an instrument to schools and grades, and guardian
//! opt-outs. Participation counts are reported by `reports::participation`.

use actix_web::{get, post, web, HttpResponse};

use super::dto::{NewOptOut, NewWindow, WindowFilter};
use super::models::{Window, WindowRow, WindowState};
use super::queries;
use super::roster;
use super::scope;
use crate::accounts::{Authorized, DistrictAdmins, Role, SchoolStaff, Staff};
use crate::authz;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::pagination::Page;
use crate::rosters;
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
                scope::instrument(conn, &caller, &new.instrument_id).map_err(|_| {
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
                rosters::scope::school(conn, &caller, id).map_err(|_| {
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
                    "opens_at": crate::dates::format_utc(row.opens_at),
                    "closes_at": crate::dates::format_utc(row.closes_at),
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
    caller: crate::accounts::Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<Window>, ApiError> {
    let id = path.into_inner().id;
    let window = state
        .db
        .run(move |conn| {
            let row = scope::window(conn, &caller, &id)?;
            queries::window_view(conn, &row, db::now())
        })
        .await?;
    Ok(web::Json(window))
}

/// Records a guardian's opt-out of a student from an open or upcoming window (true when new).
pub fn opt_out(
    conn: &mut DbConnection,
    caller: &Authorized<SchoolStaff>,
    id: &str,
    student_id: &str,
) -> Result<bool, ApiError> {
    let window = scope::window(conn, caller, id)?;
    if window.state_at(db::now()) == WindowState::Closed {
        return Err(ApiError::conflict(
            None,
            "this window has closed; opt-outs apply to open and upcoming windows",
        ));
    }
    let student = authz::user(conn, caller, student_id)
        .map_err(|_| ApiError::invalid("student_id", "no such student in your scope"))?;
    // Once frozen, the window is offered to its roster; before, to the current placement.
    let offered = student.role == Role::Student
        && if window.frozen_at.is_some() {
            roster::is_on_roster(conn, &window.id, &student.id)?
        } else {
            student.grade.is_some_and(|g| window.grades().contains(&g))
                && match &student.school_id {
                    Some(school) => queries::window_includes_school(conn, &window.id, school)?,
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
            &**caller,
            "survey.opt_out",
            serde_json::json!({"window_id": window.id, "student_id": student.id}),
        )?;
    }
    Ok(created)
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
        .write(move |conn| opt_out(conn, &caller, &id, &student_id))
        .await?;
    Ok(if created {
        HttpResponse::Created().finish()
    } else {
        HttpResponse::Ok().finish()
    })
}
