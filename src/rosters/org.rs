//! Districts, schools and terms.

use actix_web::{get, patch, post, web, HttpResponse};

use super::dto::{
    dates_ordered, grades_ordered, DistrictPatch, NewSchool, NewTerm, SchoolFilter, SchoolPatch,
    TermFilter, TermPatch,
};
use super::models::{District, School, Term};
use super::queries;
use super::scope;
use crate::accounts::{Authorized, Caller, DistrictAdmins, Role};
use crate::db;
use crate::error::{ApiError, Conflict, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::pagination::Page;
use crate::state::AppState;

/// The caller's district.
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = District),
        (status = 404, description = "Not your district"),
    )
)]
#[get("/districts/{id}")]
pub async fn get_district(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<District>, ApiError> {
    let id = path.into_inner().id;
    let district = state
        .db
        .run(move |conn| scope::district(conn, &caller, &id))
        .await?;
    Ok(web::Json(district.into_inner()))
}

/// Rename the district, or turn password sign-in for its students off or on (district
/// administrators). A change of `student_passwords` is in the audit trail.
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(IdPath), request_body = DistrictPatch,
    responses(
        (status = 200, body = District),
        Forbidden,
        NotFound,
        (status = 409, description = "Student passwords turned off while no identity provider is enabled"),
    )
)]
#[patch("/districts/{id}")]
pub async fn update_district(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<IdPath>,
    body: ValidJson<DistrictPatch>,
) -> Result<web::Json<District>, ApiError> {
    let id = path.into_inner().id;
    let patch = body.0;
    let district = state
        .db
        .write(move |conn| {
            let district = scope::manage_district(conn, &caller, &id)?;
            let mut changed = (*district).clone();
            if let Some(name) = patch.name {
                changed.name = name.trim().to_owned();
            }
            if let Some(allowed) = patch.student_passwords {
                crate::auth::queries::lock_sign_in_settings(conn, &district.id)?;
                let enabled_providers = crate::auth::oidc::queries::providers_of(conn, &district.id)?
                    .iter()
                    .filter(|p| p.enabled)
                    .count();
                if !allowed && district.student_passwords && enabled_providers == 0 {
                    return Err(ApiError::conflict(
                        Some("student_passwords"),
                        "students could not sign in at all: register and enable an identity provider first",
                    ));
                }
                changed.student_passwords = allowed;
            }
            changed.updated_at = db::now();
            queries::update_district(conn, &district, &changed)?;
            if changed.student_passwords != district.student_passwords {
                // Off: sessions students began with a password end now (they sign in again
                // with the district's provider).
                if !changed.student_passwords {
                    crate::auth::queries::revoke_student_sessions(conn, &district.id)?;
                }
                crate::audit::record_in_transaction(
                    conn,
                    &caller.caller,
                    "district.student_passwords_changed",
                    serde_json::json!({
                        "district_id": district.id,
                        "student_passwords": changed.student_passwords,
                    }),
                )?;
            }
            Ok(changed)
        })
        .await?;
    Ok(web::Json(district))
}

/// Schools the caller may see: every school of the district for district staff, otherwise one's own.
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(SchoolFilter),
    responses((status = 200, body = Page<School>))
)]
#[get("/schools")]
pub async fn list_schools(
    state: web::Data<AppState>,
    caller: Caller,
    filter: ValidQuery<SchoolFilter>,
) -> Result<web::Json<Page<School>>, ApiError> {
    let page = state
        .db
        .run(move |conn| {
            let only = match caller.role {
                Role::DistrictAdmin => None,
                _ => caller.school(),
            };
            queries::list_schools(conn, &caller.district_id, only, &filter.0)
        })
        .await?;
    Ok(web::Json(page))
}

/// Add a school to the district (district administrators).
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), request_body = NewSchool,
    responses(
        (status = 201, body = School),
        Forbidden,
        (status = 409, description = "Name already used in the district"),
    )
)]
#[post("/schools")]
pub async fn create_school(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    body: ValidJson<NewSchool>,
) -> Result<HttpResponse, ApiError> {
    let new = body.0;
    let now = db::now();
    let school = School {
        id: db::new_id(),
        district_id: caller.district_id.clone(),
        name: new.name.trim().to_owned(),
        low_grade: new.low_grade,
        high_grade: new.high_grade,
        active: true,
        created_at: now,
        updated_at: now,
    };
    let school = state
        .db
        .write(move |conn| queries::insert_school(conn, &school).map(|_| school))
        .await?;
    Ok(HttpResponse::Created().json(school))
}

#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = School),
        NotFound,
    )
)]
#[get("/schools/{id}")]
pub async fn get_school(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<School>, ApiError> {
    let id = path.into_inner().id;
    let school = state
        .db
        .run(move |conn| scope::school(conn, &caller, &id))
        .await?;
    Ok(web::Json(school.into_inner()))
}

/// Rename, change grades, deactivate or reactivate a school (district administrators).
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(IdPath), request_body = SchoolPatch,
    responses(
        (status = 200, body = School),
        Forbidden,
        NotFound,
        Conflict,
    )
)]
#[patch("/schools/{id}")]
pub async fn update_school(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    body: ValidJson<SchoolPatch>,
) -> Result<web::Json<School>, ApiError> {
    let id = path.into_inner().id;
    let patch = body.0;
    let school = state
        .db
        .write(move |conn| {
            let school = scope::manage_school(conn, &caller, &id)?;
            let mut changed = (*school).clone();
            if let Some(name) = patch.name {
                changed.name = name.trim().to_owned();
            }
            changed.low_grade = patch.low_grade.unwrap_or(changed.low_grade);
            changed.high_grade = patch.high_grade.unwrap_or(changed.high_grade);
            changed.active = patch.active.unwrap_or(changed.active);
            changed.updated_at = db::now();
            grades_ordered(changed.low_grade, changed.high_grade).map_err(|_| {
                ApiError::invalid("low_grade", "low_grade must not exceed high_grade")
            })?;
            queries::update_school(conn, &school, &changed)?;
            Ok(changed)
        })
        .await?;
    Ok(web::Json(school))
}

/// Terms (school-year periods) of the caller's district, newest first: the terms classes are
/// in and those made here; with `include_parents=true` also the imported sessions no class is
/// in (a school year around its semesters, grading periods).
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(TermFilter),
    responses((status = 200, body = Page<Term>))
)]
#[get("/terms")]
pub async fn list_terms(
    state: web::Data<AppState>,
    caller: Caller,
    filter: ValidQuery<TermFilter>,
) -> Result<web::Json<Page<Term>>, ApiError> {
    let parents = filter.0.include_parents.unwrap_or(false);
    let paging = filter.0.paging();
    let page = state
        .db
        .run(move |conn| queries::list_terms(conn, &caller.district_id, parents, paging))
        .await?;
    Ok(web::Json(page))
}

/// Add a term (district administrators).
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), request_body = NewTerm,
    responses(
        (status = 201, body = Term),
        Forbidden,
        Conflict,
    )
)]
#[post("/terms")]
pub async fn create_term(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    body: ValidJson<NewTerm>,
) -> Result<HttpResponse, ApiError> {
    let new = body.0;
    let now = db::now();
    let term = Term {
        id: db::new_id(),
        district_id: caller.district_id.clone(),
        name: new.name.trim().to_owned(),
        starts_on: new.starts_on,
        ends_on: new.ends_on,
        created_at: now,
        updated_at: now,
        session_type: None,
        parent_id: None,
    };
    let term = state
        .db
        .write(move |conn| queries::insert_term(conn, &term).map(|_| term))
        .await?;
    Ok(HttpResponse::Created().json(term))
}

#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = Term),
        NotFound,
    )
)]
#[get("/terms/{id}")]
pub async fn get_term(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<Term>, ApiError> {
    let id = path.into_inner().id;
    let term = state
        .db
        .run(move |conn| scope::term(conn, &caller, &id))
        .await?;
    Ok(web::Json(term.into_inner()))
}

/// Rename or re-date a term (district administrators).
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(IdPath), request_body = TermPatch,
    responses(
        (status = 200, body = Term),
        Forbidden,
        NotFound,
        Conflict,
    )
)]
#[patch("/terms/{id}")]
pub async fn update_term(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    body: ValidJson<TermPatch>,
) -> Result<web::Json<Term>, ApiError> {
    let id = path.into_inner().id;
    let patch = body.0;
    let term = state
        .db
        .write(move |conn| {
            let term = scope::manage_term(conn, &caller, &id)?;
            let mut changed = (*term).clone();
            if let Some(name) = patch.name {
                changed.name = name.trim().to_owned();
            }
            changed.starts_on = patch.starts_on.unwrap_or(changed.starts_on);
            changed.ends_on = patch.ends_on.unwrap_or(changed.ends_on);
            changed.updated_at = db::now();
            dates_ordered(changed.starts_on, changed.ends_on).map_err(|_| {
                ApiError::invalid("starts_on", "starts_on must not be after ends_on")
            })?;
            queries::update_term(conn, &term, &changed)?;
            Ok(changed)
        })
        .await?;
    Ok(web::Json(term))
}
