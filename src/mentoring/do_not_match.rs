//! Do-not-match pairs: two students of a school who must never be matched (a known conflict or
//! bullying history), a hard constraint of every program of the school.

use actix_web::{get, post, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::NewDoNotMatch;
use super::models::StudentRef;
use super::programs::school_student;
use super::queries;
use super::scope;
use crate::accounts::{Authorized, SchoolStaff};
use crate::db;
use crate::error::{ApiError, Forbidden};
use crate::extract::ValidJson;
use crate::state::AppState;

/// Two students who must never be matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct DoNotMatch {
    pub id: String,
    pub student_a: StudentRef,
    pub student_b: StudentRef,
    /// Open matches between the two (in any program), to close with reason `safety_concern`.
    pub open_match_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DoNotMatchList {
    pub items: Vec<DoNotMatch>,
}

/// Your school's do-not-match pairs (counselors and school administrators).
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])),
    responses(
        (status = 200, body = DoNotMatchList),
        Forbidden,
    )
)]
#[get("/mentoring/do-not-match")]
pub async fn list_do_not_match(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
) -> Result<web::Json<DoNotMatchList>, ApiError> {
    let list = state
        .db
        .run(move |conn| {
            let school = scope::mentoring_school(&caller)?;
            let rows = queries::list_do_not_match(conn, &school)?;
            let ids = rows
                .iter()
                .flat_map(|r| [r.1.clone(), r.2.clone()])
                .collect();
            let refs = queries::student_refs(conn, &ids)?;
            let mut items = Vec::new();
            for (id, a, b, _, _) in rows {
                items.push(DoNotMatch {
                    id,
                    open_match_ids: queries::open_matches_between(conn, &a, &b)?,
                    student_a: refs
                        .get(&a)
                        .cloned()
                        .unwrap_or_else(|| StudentRef::unknown(&a)),
                    student_b: refs
                        .get(&b)
                        .cloned()
                        .unwrap_or_else(|| StudentRef::unknown(&b)),
                });
            }
            Ok(DoNotMatchList { items })
        })
        .await?;
    Ok(web::Json(list))
}

/// Record that two students of your school must never be matched (a known conflict or bullying
/// history). Suggestions and new matches respect it at once; an existing open match between
/// them is listed so it can be closed.
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), request_body = NewDoNotMatch,
    responses(
        (status = 201, body = DoNotMatch),
        Forbidden,
        (status = 409, description = "The pair is already recorded"),
        (status = 422, description = "See the problem document"),
    )
)]
#[post("/mentoring/do-not-match")]
pub async fn create_do_not_match(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    body: ValidJson<NewDoNotMatch>,
) -> Result<HttpResponse, ApiError> {
    let new = body.0;
    let created = state
        .db
        .write(move |conn| {
            let school = scope::mentoring_school(&caller)?;
            let a = school_student(conn, &caller, &school, &new.student_a_id, "student_a_id")?;
            let b = school_student(conn, &caller, &school, &new.student_b_id, "student_b_id")?;
            if a.id == b.id {
                return Err(ApiError::invalid(
                    "student_b_id",
                    "must differ from student_a_id",
                ));
            }
            if queries::is_do_not_match(conn, &a.id, &b.id)? {
                return Err(ApiError::conflict(None, "this pair is already recorded"));
            }
            let (first, second) = if a.id < b.id { (&a, &b) } else { (&b, &a) };
            let id = db::new_id();
            queries::insert_do_not_match(
                conn,
                &id,
                &school,
                (&first.id, &second.id),
                &caller.user_id,
                db::now(),
            )?;
            Ok(DoNotMatch {
                id,
                open_match_ids: queries::open_matches_between(conn, &a.id, &b.id)?,
                student_a: StudentRef::of(&a),
                student_b: StudentRef::of(&b),
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(created))
}
