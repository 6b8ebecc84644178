//! Classes, their teachers, and enrollments.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{ClassFilter, ClassPatch, EnrollmentFilter, NewClass, NewEnrollment};
use super::models::{Class, ClassRow, Enrollment, School};
use super::queries;
use super::scope;
use crate::accounts::{Authorized, Caller, RosterAdmins};
use crate::authz;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::pagination::Page;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EnrollmentPath {
    /// Class id.
    #[serde(deserialize_with = "crate::extract::object_id")]
    pub id: String,
    /// Student id.
    #[serde(deserialize_with = "crate::extract::object_id")]
    pub student_id: String,
}

/// Ids in order of first mention, without repeats.
fn distinct(ids: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

fn check_class_fields(
    conn: &mut DbConnection,
    caller: &Caller,
    school: &School,
    term_id: &str,
    grade: Option<i32>,
    teacher_ids: Option<&[String]>,
) -> Result<(), ApiError> {
    scope::term(conn, caller, term_id)
        .map_err(|_| ApiError::invalid("term_id", "no such term in your district"))?;
    if let Some(g) = grade.filter(|g| !school.teaches_grade(*g)) {
        return Err(ApiError::invalid(
            "grade",
            format!(
                "{} teaches grades {} to {}, not {g}",
                school.name, school.low_grade, school.high_grade
            ),
        ));
    }
    if let Some(ids) = teacher_ids {
        queries::check_teachers(conn, &school.id, ids)?;
    }
    Ok(())
}

/// Classes in the caller's scope, filtered.
pub fn visible_classes(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &ClassFilter,
) -> Result<Page<Class>, ApiError> {
    let scope = authz::list_scope(caller);
    queries::list_classes(conn, &scope, &caller.district_id, filter)
}

/// Classes in the caller's scope: the district's, the school's, the ones a teacher teaches,
/// or the ones a student is enrolled in.
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(ClassFilter),
    responses((status = 200, body = Page<Class>))
)]
#[get("/classes")]
pub async fn list_classes(
    state: web::Data<AppState>,
    caller: Caller,
    filter: ValidQuery<ClassFilter>,
) -> Result<web::Json<Page<Class>>, ApiError> {
    let page = state
        .db
        .run(move |conn| visible_classes(conn, &caller, &filter.0))
        .await?;
    Ok(web::Json(page))
}

/// Create a class in a school (that school's administrators, or district staff).
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), request_body = NewClass,
    responses(
        (status = 201, body = Class),
        Forbidden,
    )
)]
#[post("/classes")]
pub async fn create_class(
    state: web::Data<AppState>,
    caller: Authorized<RosterAdmins>,
    body: ValidJson<NewClass>,
) -> Result<HttpResponse, ApiError> {
    let new = body.0;
    let class = state
        .db
        .write(move |conn| {
            let school =
                scope::roster_school(conn, &caller, &new.school_id).map_err(|e| match e {
                    ApiError::NotFound(_) => {
                        ApiError::invalid("school_id", "no such school in your scope")
                    }
                    other => other,
                })?;
            check_class_fields(
                conn,
                &caller,
                &school,
                &new.term_id,
                new.grade,
                Some(&new.teacher_ids),
            )?;
            let teacher_ids = distinct(new.teacher_ids);
            let now = db::now();
            let row = ClassRow {
                id: db::new_id(),
                school_id: school.id.clone(),
                term_id: new.term_id,
                name: new.name.trim().to_owned(),
                grade: new.grade,
                active: true,
                created_at: now,
                updated_at: now,
            };
            queries::insert_class(conn, &row, &teacher_ids)?;
            Ok(queries::with_details(conn, vec![row])?.remove(0))
        })
        .await?;
    Ok(HttpResponse::Created().json(class))
}

/// A class the caller can see.
pub fn class_of(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<Class, ApiError> {
    let class = scope::class(conn, caller, id)?;
    queries::class_detail(conn, class)
}

#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = Class),
        NotFound,
    )
)]
#[get("/classes/{id}")]
pub async fn get_class(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<Class>, ApiError> {
    let id = path.into_inner().id;
    let class = state
        .db
        .run(move |conn| class_of(conn, &caller, &id))
        .await?;
    Ok(web::Json(class))
}

/// Rename, re-grade, move to another term, replace teachers, or deactivate a class.
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(IdPath), request_body = ClassPatch,
    responses(
        (status = 200, body = Class),
        Forbidden,
        NotFound,
    )
)]
#[patch("/classes/{id}")]
pub async fn update_class(
    state: web::Data<AppState>,
    caller: Authorized<RosterAdmins>,
    path: web::Path<IdPath>,
    body: ValidJson<ClassPatch>,
) -> Result<web::Json<Class>, ApiError> {
    let id = path.into_inner().id;
    let patch = body.0;
    let class = state
        .db
        .write(move |conn| {
            let class = scope::manage_class(conn, &caller, &id)?;
            let school = scope::school(conn, &caller, &class.school_id)?;
            let mut changed = (*class).clone();
            if let Some(name) = patch.name {
                changed.name = name.trim().to_owned();
            }
            changed.term_id = patch.term_id.unwrap_or(changed.term_id);
            changed.grade = patch.grade.or(changed.grade);
            changed.active = patch.active.unwrap_or(changed.active);
            changed.updated_at = db::now();
            check_class_fields(
                conn,
                &caller,
                &school,
                &changed.term_id,
                changed.grade,
                patch.teacher_ids.as_deref(),
            )?;
            let teacher_ids = patch.teacher_ids.map(distinct);
            queries::update_class(conn, &class, &changed, teacher_ids.as_deref())?;
            Ok(queries::with_details(conn, vec![changed])?.remove(0))
        })
        .await?;
    Ok(web::Json(class))
}

/// The enrollments of a class whose roster the caller may read.
pub fn roster_of(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    filter: &EnrollmentFilter,
) -> Result<Page<Enrollment>, ApiError> {
    let class = scope::class_roster(conn, caller, id)?;
    queries::list_enrollments(conn, &class, filter)
}

/// Students of a class (staff with access to the class; students get 403).
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(IdPath, EnrollmentFilter),
    responses(
        (status = 200, body = Page<Enrollment>),
        Forbidden,
        NotFound,
    )
)]
#[get("/classes/{id}/enrollments")]
pub async fn list_enrollments(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    filter: ValidQuery<EnrollmentFilter>,
) -> Result<web::Json<Page<Enrollment>>, ApiError> {
    let id = path.into_inner().id;
    let filter = filter.0;
    let page = state
        .db
        .run(move |conn| roster_of(conn, &caller, &id, &filter))
        .await?;
    Ok(web::Json(page))
}

/// Enroll a student of the class's school (idempotent: re-enrolling reactivates).
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(IdPath), request_body = NewEnrollment,
    responses(
        (status = 201, description = "Enrolled"),
        (status = 200, description = "Was already enrolled, or re-enrolled"),
        Forbidden,
        NotFound,
    )
)]
#[post("/classes/{id}/enrollments")]
pub async fn create_enrollment(
    state: web::Data<AppState>,
    caller: Authorized<RosterAdmins>,
    path: web::Path<IdPath>,
    body: ValidJson<NewEnrollment>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().id;
    let student_id = body.0.student_id;
    let created = state
        .db
        .write(move |conn| {
            let class = scope::manage_class(conn, &caller, &id)?;
            queries::enroll(conn, &class, &student_id)
        })
        .await?;
    Ok(if created {
        HttpResponse::Created().finish()
    } else {
        HttpResponse::Ok().finish()
    })
}

/// End a student's enrollment (kept as inactive history).
#[utoipa::path(
    tag = "rosters", security(("bearer" = [])), params(EnrollmentPath),
    responses(
        (status = 204, description = "Enrollment ended"),
        Forbidden,
        NotFound,
    )
)]
#[delete("/classes/{id}/enrollments/{student_id}")]
pub async fn delete_enrollment(
    state: web::Data<AppState>,
    caller: Authorized<RosterAdmins>,
    path: web::Path<EnrollmentPath>,
) -> Result<HttpResponse, ApiError> {
    let EnrollmentPath { id, student_id } = path.into_inner();
    state
        .db
        .write(move |conn| {
            let class = scope::manage_class(conn, &caller, &id)?;
            queries::unenroll(conn, &class, &student_id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
