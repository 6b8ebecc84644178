//! `/api/v1/survey-windows`: administering an instrument to schools and grades, guardian
//! opt-outs, and participation counts (never names, never answers).

use actix_web::{get, post, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::{NewOptOut, NewWindow};
use super::models::{Window, WindowRow, WindowState};
use super::queries;
use crate::auth::{Authorized, DistrictAdmins, Role, SchoolStaff, Staff};
use crate::authz;
use crate::db;
use crate::error::{ApiError, Problem};
use crate::extract::{ValidJson, ValidQuery};
use crate::pagination::{Page, PageQuery};
use crate::rosters::org::IdPath;
use crate::state::AppState;

/// Survey windows of the district (school staff: those including their school).
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, body = Page<Window>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/survey-windows")]
pub async fn list_windows(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    query: ValidQuery<PageQuery>,
) -> Result<web::Json<Page<Window>>, ApiError> {
    let paging = query.0.paging();
    let page = state
        .db
        .run(move |conn| queries::list_windows(conn, &caller, paging, db::now()))
        .await?;
    Ok(web::Json(page))
}

/// Open a survey window (district administrators): a published instrument, schools of the
/// district, grades the instrument is written for, and a minimum reporting cell size (≥ 5).
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), request_body = NewWindow,
    responses(
        (status = 201, body = Window),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The instrument is not published", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/survey-windows")]
pub async fn create_window(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    body: ValidJson<NewWindow>,
) -> Result<HttpResponse, ApiError> {
    let new = body.0;
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
            let row = WindowRow {
                id: db::new_id(),
                district_id: caller.district_id.clone(),
                instrument_id: instrument.id.clone(),
                title: new.title.trim().to_owned(),
                opens_at: db::truncate(new.opens_at.naive_utc()),
                closes_at: db::truncate(new.closes_at.naive_utc()),
                grades: serde_json::to_string(&grades).unwrap_or_else(|_| "[]".into()),
                min_cell_size: new.min_cell_size.unwrap_or(10),
                created_by: caller.user_id.clone(),
                created_at: db::now(),
            };
            queries::insert_window(conn, &row, &school_ids)?;
            queries::window_view(conn, &row, db::now())
        })
        .await?;
    Ok(HttpResponse::Created().json(window))
}

#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = Window),
        (status = 404, body = Problem, content_type = "application/problem+json"),
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
/// the survey. Idempotent.
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(IdPath), request_body = NewOptOut,
    responses(
        (status = 201, description = "Opt-out recorded"),
        (status = 200, description = "Already recorded"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The student already took the survey", body = Problem, content_type = "application/problem+json"),
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
            let student = authz::user(conn, &caller, &student_id)
                .map_err(|_| ApiError::invalid("student_id", "no such student in your scope"))?;
            let eligible = student.role() == Role::Student
                && student.grade.is_some_and(|g| window.grades().contains(&g))
                && match &student.school_id {
                    Some(school) => queries::window_includes_school(conn, &window.id, school)?,
                    None => false,
                };
            if !eligible {
                return Err(ApiError::invalid(
                    "student_id",
                    "the student is not offered this survey",
                ));
            }
            if queries::has_participated(conn, &window.id, &student.id)? {
                return Err(ApiError::conflict(
                    Some("student_id"),
                    "the student has already taken this survey",
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
    pub grade: i32,
    /// Active students offered the survey (opted-out students excluded).
    pub eligible: i64,
    pub responded: i64,
    pub response_rate: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SchoolParticipation {
    pub school_id: String,
    pub eligible: i64,
    pub responded: i64,
    pub response_rate: Option<f64>,
    pub grades: Vec<ParticipationCell>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassParticipation {
    pub class_id: String,
    pub class_name: String,
    pub eligible: i64,
    pub responded: i64,
    pub response_rate: Option<f64>,
}

/// Counts only: who answered is never shown, and answers are not readable here at all.
#[derive(Debug, Serialize, ToSchema)]
pub struct Participation {
    pub window_id: String,
    pub state: WindowState,
    pub schools: Vec<SchoolParticipation>,
    /// For teachers: their own classes.
    pub classes: Vec<ClassParticipation>,
}

fn rate(responded: i64, eligible: i64) -> Option<f64> {
    (eligible > 0).then(|| responded as f64 / eligible as f64)
}

/// Participation counts and response rates: per school and grade for administrators and
/// counselors, per own class for teachers.
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = Participation),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/survey-windows/{id}/participation")]
pub async fn participation(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    path: web::Path<IdPath>,
) -> Result<web::Json<Participation>, ApiError> {
    let id = path.into_inner().id;
    let participation = state
        .db
        .run(move |conn| {
            let window = authz::window(conn, &caller, &id)?;
            let view = queries::window_view(conn, &window, db::now())?;
            let mut out = Participation {
                window_id: window.id.clone(),
                state: view.state,
                schools: Vec::new(),
                classes: Vec::new(),
            };
            if caller.role == Role::Teacher {
                for (class_id, class_name, eligible, responded) in
                    queries::participation_by_class(conn, &window, &caller.user_id)?
                {
                    out.classes.push(ClassParticipation {
                        class_id,
                        class_name,
                        eligible,
                        responded,
                        response_rate: rate(responded, eligible),
                    });
                }
                return Ok(out);
            }
            let schools: Vec<String> = match caller.role {
                Role::DistrictAdmin => view.school_ids.clone(),
                _ => caller
                    .school()
                    .map(|s| vec![s.to_owned()])
                    .unwrap_or_default(),
            };
            let cells = queries::participation_cells(conn, &window, &schools)?;
            for school_id in schools {
                let grades: Vec<ParticipationCell> = cells
                    .iter()
                    .filter(|((s, _), _)| *s == school_id)
                    .map(|((_, grade), (eligible, responded))| ParticipationCell {
                        grade: *grade,
                        eligible: *eligible,
                        responded: *responded,
                        response_rate: rate(*responded, *eligible),
                    })
                    .collect();
                let eligible = grades.iter().map(|g| g.eligible).sum();
                let responded = grades.iter().map(|g| g.responded).sum();
                out.schools.push(SchoolParticipation {
                    school_id,
                    eligible,
                    responded,
                    response_rate: rate(responded, eligible),
                    grades,
                });
            }
            Ok(out)
        })
        .await?;
    Ok(web::Json(participation))
}
