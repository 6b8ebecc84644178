//! Reviews: at each cadence point (or a student goal's review day) the owner records what
//! happened and what changes; a change of target, deadline or strategies made at a review is a
//! new version of the goal, linked to it.

use actix_web::{get, post, web, HttpResponse};
use serde_json::json;

use super::dto::{DueReview, Review, ReviewInput, Reviews, ReviewsDue, ReviewsDueQuery};
use super::history;
use super::models::{GoalRow, ReviewRow};
use super::routes::{listed_school, today};
use super::view::{self, Reading};
use super::vocab::{GoalKind, GoalState, GoalStatus};
use super::{queries, scope};
use crate::accounts::{Authorized, Caller, Role, SchoolStaff};
use crate::audit;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::seal::SealKeys;
use crate::state::AppState;

/// A goal's reviews, newest first.
#[utoipa::path(
    tag = "goals", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = Reviews),
        NotFound,
    )
)]
#[get("/goals/{id}/reviews")]
pub async fn list_reviews(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<Reviews>, ApiError> {
    let id = path.into_inner().id;
    let reviews = state
        .db
        .write(move |conn| {
            let settings = crate::support::queries::settings(conn, &caller.district_id)?;
            let row = scope::goal(conn, &caller, &id, &settings)?.into_inner();
            history::audit_read(conn, &caller, &row)?;
            // What a counselor and a student said at a review stays between them.
            let reviews = if caller.role == Role::Teacher {
                Vec::new()
            } else {
                history::of(conn, &row.id)?.1
            };
            Ok(Reviews { reviews })
        })
        .await?;
    Ok(web::Json(reviews))
}

pub(crate) fn review(
    conn: &mut DbConnection,
    caller: &Caller,
    keys: &SealKeys,
    id: &str,
    input: ReviewInput,
) -> Result<Review, ApiError> {
    let settings = crate::support::queries::settings(conn, &caller.district_id)?;
    let row = scope::review_goal(conn, caller, id, &settings)?.into_inner();
    let today = settings.clock().local_day(db::now());
    let now = db::now();
    // The status and value as they stood when reviewed, before any change.
    let seen = view::goal(conn, &mut Reading::new(caller, keys, today), row.clone())?;
    let (status, value) = match &seen.progress {
        Some(p) => (p.status, p.latest.as_ref().and_then(|m| m.value)),
        None => (GoalStatus::Logging, None),
    };
    let mut terms = row.terms()?;
    if let Some(t) = input.target {
        terms.target = t;
    }
    let student = row.kind == GoalKind::Student;
    if let Some(d) = input.deadline {
        if student {
            return Err(ApiError::invalid(
                "deadline",
                "a student goal has next_review_on instead",
            ));
        }
        terms.deadline = Some(d);
    }
    if let Some(d) = input.next_review_on {
        if !student {
            return Err(ApiError::invalid(
                "next_review_on",
                "reviews of this goal follow its cadence",
            ));
        }
        terms.review_on = Some(d);
    }
    if let Some(s) = &input.strategies {
        terms.strategies =
            super::terms::strategies(conn, caller, row.school_id.as_deref(), s, "strategies")?;
    }
    let review_id = db::new_id();
    let before = row.version;
    let changed = history::change(
        conn,
        caller,
        row,
        &terms,
        today,
        Some(&review_id),
        "next_review_on",
    )?;
    let stored = ReviewRow {
        id: review_id,
        goal_id: changed.id.clone(),
        due_on: seen.reviews.due_on,
        reviewed_by: caller.user_id.clone(),
        reviewed_at: now,
        what_happened: input.what_happened,
        what_changes: input.what_changes,
        status,
        value,
        version_before: before,
        version_after: changed.version,
    };
    queries::insert_review(conn, &stored)?;
    audit::record(
        conn,
        caller,
        "goal.reviewed",
        json!({"goal_id": changed.id, "review_id": stored.id, "version": changed.version}),
    )?;
    let people = queries::people(conn, &[caller.user_id.as_str()])?;
    Ok(history::review_view(stored, &people))
}

/// Record a review of a goal you own: what happened and what changes, with any change of target,
/// deadline or strategies (a new version of the goal) or, for a student goal, the next review
/// day. The goal's status and value when reviewed are kept with it.
#[utoipa::path(
    tag = "goals", security(("bearer" = [])), params(IdPath), request_body = ReviewInput,
    responses(
        (status = 201, body = Review),
        (status = 403, description = "Reviews are recorded by the goal's owner"),
        NotFound,
        (status = 409, description = "The goal was changed meanwhile"),
        (status = 422, description = "A text missing or too long, or a changed target, deadline or strategy that does not hold"),
    )
)]
#[post("/goals/{id}/reviews")]
pub async fn create_review(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    body: ValidJson<ReviewInput>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().id;
    let input = body.0;
    let keys = state.seal_keys.clone();
    let review = state
        .db
        .write(move |conn| review(conn, &caller, &keys, &id, input))
        .await?;
    Ok(HttpResponse::Created().json(review))
}

/// Reviews due and not recorded: the school and district goals in your scope (district
/// administrators: every school's and the district's; school administrators and counselors:
/// their school's) and, for a counselor, the student goals they own. Oldest due first.
#[utoipa::path(
    tag = "goals", security(("bearer" = [])), params(ReviewsDueQuery),
    responses(
        (status = 200, body = ReviewsDue),
        Forbidden,
        (status = 422, description = "A school outside your scope"),
    )
)]
#[get("/goals/reviews-due")]
pub async fn reviews_due(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    query: ValidQuery<ReviewsDueQuery>,
) -> Result<web::Json<ReviewsDue>, ApiError> {
    let asked = query.0.school_id;
    let caller = caller.caller;
    let keys = state.seal_keys.clone();
    let due = state
        .db
        .write(move |conn| {
            let school = listed_school(&caller, asked)?;
            let today = today(conn, &caller.district_id)?;
            let mut rows: Vec<GoalRow> = queries::measured_goals(
                conn,
                &caller.district_id,
                school.as_deref(),
                Some(GoalState::Active),
            )?
            .into_iter()
            .filter(|r| r.kind == GoalKind::School || caller.role == Role::DistrictAdmin)
            .collect();
            if caller.role == Role::Counselor {
                // Only those the counselor still sees (the student may have moved school).
                let settings = crate::support::queries::settings(conn, &caller.district_id)?;
                for row in queries::owned_student_goals(conn, &caller.user_id)? {
                    if scope::goal(conn, &caller, &row.id, &settings).is_ok() {
                        rows.push(row);
                    }
                }
            }
            let goals = view::goals(conn, &mut Reading::new(&caller, &keys, today), rows)?;
            let mut due: Vec<DueReview> = goals
                .into_iter()
                .filter_map(|g| {
                    let due_on = g.reviews.due_on?;
                    Some(DueReview {
                        goal_id: g.id,
                        kind: g.kind,
                        title: g.title,
                        school_id: g.school_id,
                        student: g.student,
                        owner: g.owner,
                        due_on,
                        status: g.progress.map_or(GoalStatus::Logging, |p| p.status),
                    })
                })
                .collect();
            due.sort_by(|a, b| a.due_on.cmp(&b.due_on).then(a.goal_id.cmp(&b.goal_id)));
            let ids: Vec<&str> = due.iter().map(|d| d.goal_id.as_str()).collect();
            audit::record(
                conn,
                &caller,
                "goals.read",
                json!({"reviews_due": true, "school_id": school, "goal_ids": ids}),
            )?;
            Ok(ReviewsDue { due })
        })
        .await?;
    Ok(web::Json(due))
}
