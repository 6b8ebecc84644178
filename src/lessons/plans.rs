//! `/api/v1/lesson-plans`: the library, drafts, publishing and archiving.

use actix_web::{get, patch, post, web, HttpResponse};
use validator::Validate;

use super::dto::{PlanFilter, PlanPatch};
use super::models::{LessonPlan, PlanContent, PlanRow, PlanSummary, VersionStatus};
use super::queries;
use super::scope;
use crate::accounts::{Authorized, Staff};
use crate::db;
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::pagination::Page;
use crate::state::AppState;

/// Search the lesson library: the district's plans, the caller's school's plans and the
/// caller's own, filtered by competency, component, grade band, duration, owner and words.
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(PlanFilter),
    responses(
        (status = 200, body = Page<PlanSummary>, example = json!({
            "items": [{
                "plan_id": "a65d4c19-13a5-573a-9c85-6412a87eba05",
                "version_id": "b109e5a4-50eb-590b-9b9b-da7ff615a662",
                "version": 1,
                "status": "published",
                "owner_level": "district",
                "archived": false,
                "title": "5-4-3-2-1: Using My Senses to Come Back to Calm",
                "summary": "Students learn the 5-4-3-2-1 grounding routine: noticing five things they see, four they feel, three they hear, two they smell, and one they taste.",
                "competency": "self_management",
                "component": "emotional_regulation",
                "grade_band": "3-5",
                "duration_minutes": 25
            }],
            "page": 1,
            "limit": 1,
            "total": 23
        })),
        (status = 403, description = "Students read lessons through their assignments"),
    )
)]
#[get("/lesson-plans")]
pub async fn search_plans(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    filter: ValidQuery<PlanFilter>,
) -> Result<web::Json<Page<PlanSummary>>, ApiError> {
    let page = state
        .db
        .run(move |conn| queries::search(conn, &caller, &filter.0))
        .await?;
    Ok(web::Json(page))
}

/// Write a new plan as a draft. District administrators write the district library, school
/// administrators and counselors their school's plans, teachers private plans.
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), request_body = PlanContent,
    responses(
        (status = 201, body = LessonPlan),
        Forbidden,
    )
)]
#[post("/lesson-plans")]
pub async fn create_plan(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    body: ValidJson<PlanContent>,
) -> Result<HttpResponse, ApiError> {
    let content = body.0;
    let plan = state
        .db
        .write(move |conn| {
            let level = queries::owner_level_for(caller.role);
            let now = db::now();
            let plan = PlanRow {
                id: db::new_id(),
                district_id: caller.district_id.clone(),
                school_id: match level {
                    super::models::OwnerLevel::District => None,
                    _ => caller.school().map(str::to_owned),
                },
                owner_level: level,
                created_by: caller.user_id.clone(),
                archived: false,
                latest_version: None,
                created_at: now,
                updated_at: now,
            };
            let version = queries::version_row(&plan.id, 1, VersionStatus::Draft, &content);
            queries::insert_plan(conn, &plan, &version)?;
            queries::plan_view(conn, &plan, true)
        })
        .await?;
    Ok(HttpResponse::Created().json(plan))
}

/// A plan: its newest published version, and its draft for those who may edit it.
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = LessonPlan),
        NotFound,
    )
)]
#[get("/lesson-plans/{id}")]
pub async fn get_plan(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    path: web::Path<IdPath>,
) -> Result<web::Json<LessonPlan>, ApiError> {
    let id = path.into_inner().id;
    let plan = state
        .db
        .run(move |conn| {
            let (plan, editable) = scope::lesson_plan(conn, &caller, &id)?;
            queries::plan_view(conn, &plan, editable)
        })
        .await?;
    Ok(web::Json(plan))
}

/// Edit a plan's draft (starting a new draft version when the plan is published), or archive
/// and unarchive it. Published versions never change, so existing assignments are unaffected.
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(IdPath), request_body = PlanPatch,
    responses(
        (status = 200, body = LessonPlan),
        Forbidden,
        NotFound,
    )
)]
#[patch("/lesson-plans/{id}")]
pub async fn update_plan(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    path: web::Path<IdPath>,
    body: ValidJson<PlanPatch>,
) -> Result<web::Json<LessonPlan>, ApiError> {
    let id = path.into_inner().id;
    let patch = body.0;
    let plan = state
        .db
        .write(move |conn| {
            let plan = scope::edit_lesson_plan(conn, &caller, &id)?;
            if let Some(archived) = patch.archived {
                queries::set_archived(conn, &plan, archived)?;
            }
            if patch.changes_content() {
                let (published, draft) = queries::plan_versions(conn, &plan)?;
                let base = draft
                    .or(published)
                    .map(|v| v.content())
                    .ok_or_else(|| ApiError::internal("plan without any version"))?;
                let content = patch.apply(base);
                content.validate()?;
                queries::save_draft(conn, &plan, &content)?;
            }
            let (plan, editable) = scope::lesson_plan(conn, &caller, &id)?;
            queries::plan_view(conn, &plan, editable)
        })
        .await?;
    Ok(web::Json(plan))
}

/// Publish the draft as a new immutable version (409 when there is no draft).
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = LessonPlan),
        Forbidden,
        NotFound,
        (status = 409, description = "Nothing to publish"),
    )
)]
#[post("/lesson-plans/{id}/publish")]
pub async fn publish_plan(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    path: web::Path<IdPath>,
) -> Result<web::Json<LessonPlan>, ApiError> {
    let id = path.into_inner().id;
    let plan = state
        .db
        .write(move |conn| {
            let plan = scope::edit_lesson_plan(conn, &caller, &id)?;
            queries::publish(conn, &plan)?;
            let (plan, editable) = scope::lesson_plan(conn, &caller, &id)?;
            queries::plan_view(conn, &plan, editable)
        })
        .await?;
    Ok(web::Json(plan))
}
