//! Assignments: teachers assign published lessons to their classes, record delivery;
//! students complete them and may reflect.

use actix_web::{get, patch, post, put, web, HttpResponse};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::{
    AssignmentPatch, AssignmentStatusChange, CompletionRequest, MyAssignmentsFilter, NewAssignment,
    TermQuery,
};
use super::models::{
    Assignment, AssignmentDetail, AssignmentRow, AssignmentStatus, Completion, StudentCompletion,
};
use super::progress::{self, AssignmentProgress, ClassProgress, SchoolProgress};
use super::queries;
use super::scope;
use crate::accounts::{Authorized, Caller, Role, SchoolStaff, Students};
use crate::dates::today;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::pagination::{Page, PageParams, PageQuery};
use crate::rosters;
use crate::rosters::models::Term;
use crate::state::AppState;

/// Scheduled and due dates must fall in the class's term, due not before scheduled.
fn check_dates(
    term: &Term,
    scheduled_on: NaiveDate,
    due_on: Option<NaiveDate>,
) -> Result<(), ApiError> {
    let in_term = |d: NaiveDate| (term.starts_on..=term.ends_on).contains(&d);
    if !in_term(scheduled_on) {
        return Err(ApiError::invalid(
            "scheduled_on",
            format!(
                "must fall within the class's term ({} to {})",
                term.starts_on, term.ends_on
            ),
        ));
    }
    if let Some(due) = due_on {
        if !in_term(due) {
            return Err(ApiError::invalid(
                "due_on",
                format!(
                    "must fall within the class's term ({} to {})",
                    term.starts_on, term.ends_on
                ),
            ));
        }
        if due < scheduled_on {
            return Err(ApiError::invalid(
                "due_on",
                "must not be before scheduled_on",
            ));
        }
    }
    Ok(())
}

/// The lessons assigned to a class the caller can see (students: not cancelled ones, no notes).
pub fn class_assignments(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    paging: PageParams,
) -> Result<Page<Assignment>, ApiError> {
    let class = rosters::scope::class(conn, caller, id)?;
    let mut page =
        queries::list_class_assignments(conn, &class, caller.role != Role::Student, paging)?;
    if caller.role == Role::Student {
        page.items.iter_mut().for_each(|a| a.teacher_note = None);
    }
    Ok(page)
}

/// Lessons assigned to a class (students do not see cancelled ones).
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(IdPath, PageQuery),
    responses(
        (status = 200, body = Page<Assignment>),
        NotFound,
    )
)]
#[get("/classes/{id}/assignments")]
pub async fn list_class_assignments(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    filter: ValidQuery<PageQuery>,
) -> Result<web::Json<Page<Assignment>>, ApiError> {
    let id = path.into_inner().id;
    let paging = filter.0.paging();
    let page = state
        .db
        .run(move |conn| class_assignments(conn, &caller, &id, paging))
        .await?;
    Ok(web::Json(page))
}

/// Assigns a published plan to one of the caller's classes (its newest version pinned).
pub fn assign(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    new: NewAssignment,
) -> Result<Assignment, ApiError> {
    let class = scope::teaching_class(conn, caller, id)?;
    let (plan, _) = scope::lesson_plan(conn, caller, &new.plan_id).map_err(|e| match e {
        ApiError::NotFound(_) => {
            ApiError::invalid("plan_id", "no such lesson plan in your library")
        }
        other => other,
    })?;
    if plan.archived {
        return Err(ApiError::conflict(
            Some("plan_id"),
            "the plan is archived; unarchive it or choose another",
        ));
    }
    let (published, _) = queries::plan_versions(conn, &plan)?;
    let version = published.ok_or_else(|| {
        ApiError::conflict(
            Some("plan_id"),
            "the plan has no published version; publish it first",
        )
    })?;
    check_dates(
        &queries::term_of_class(conn, &class.id)?,
        new.scheduled_on,
        new.due_on,
    )?;
    let now = db::now();
    let row = AssignmentRow {
        id: db::new_id(),
        class_id: class.id.clone(),
        plan_id: plan.id.clone(),
        plan_version_id: version.id.clone(),
        assigned_by: caller.user_id.clone(),
        scheduled_on: new.scheduled_on,
        due_on: new.due_on,
        status: AssignmentStatus::Scheduled,
        delivered_on: None,
        teacher_note: None,
        created_at: now,
        updated_at: now,
    };
    queries::insert_assignment(conn, &row)?;
    Ok(queries::assignment_with_version(conn, &row)?.0)
}

/// Assign a published lesson plan to one of your classes; its newest version is pinned.
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(IdPath), request_body = NewAssignment,
    responses(
        (status = 201, body = Assignment),
        Forbidden,
        NotFound,
        (status = 409, description = "The plan is not published, or is archived"),
    )
)]
#[post("/classes/{id}/assignments")]
pub async fn create_assignment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    body: ValidJson<NewAssignment>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().id;
    let new = body.0;
    let assignment = state
        .db
        .write(move |conn| assign(conn, &caller, &id, new))
        .await?;
    Ok(HttpResponse::Created().json(assignment))
}

/// An assignment with its lesson; a student's own completion with it.
pub fn detail(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<AssignmentDetail, ApiError> {
    let a = scope::assignment(conn, caller, id)?;
    let (mut assignment, lesson) = queries::assignment_with_version(conn, &a)?;
    let my_completion = if caller.role == Role::Student {
        assignment.teacher_note = None;
        queries::completion_of(conn, &a.id, &caller.user_id)?.map(Completion::from)
    } else {
        None
    };
    Ok(AssignmentDetail {
        assignment,
        lesson,
        my_completion,
    })
}

/// An assignment with the full lesson it pins; students also get their own completion.
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = AssignmentDetail),
        NotFound,
    )
)]
#[get("/assignments/{id}")]
pub async fn get_assignment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<AssignmentDetail>, ApiError> {
    let id = path.into_inner().id;
    let detail = state.db.run(move |conn| detail(conn, &caller, &id)).await?;
    Ok(web::Json(detail))
}

/// Reschedules, cancels, reinstates or records the delivery of an assignment.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    patch: AssignmentPatch,
) -> Result<Assignment, ApiError> {
    let a = scope::teaching_assignment(conn, caller, id)?;
    let mut changed = (*a).clone();
    changed.scheduled_on = patch.scheduled_on.unwrap_or(changed.scheduled_on);
    changed.due_on = patch.due_on.or(changed.due_on);
    if let Some(note) = patch.teacher_note {
        changed.teacher_note = Some(note.trim().to_owned());
    }
    match (patch.status, a.status) {
        (Some(AssignmentStatusChange::Cancelled), AssignmentStatus::Delivered) => {
            return Err(ApiError::conflict(
                Some("status"),
                "a delivered lesson cannot be cancelled",
            ));
        }
        (Some(AssignmentStatusChange::Cancelled), _) => {
            changed.status = AssignmentStatus::Cancelled
        }
        (Some(AssignmentStatusChange::Scheduled), AssignmentStatus::Cancelled) => {
            changed.status = AssignmentStatus::Scheduled
        }
        _ => {}
    }
    if let Some(day) = patch.delivered_on {
        if day > today() {
            return Err(ApiError::invalid(
                "delivered_on",
                "must not be in the future",
            ));
        }
        if changed.status == AssignmentStatus::Cancelled {
            return Err(ApiError::conflict(
                Some("delivered_on"),
                "reinstate the cancelled lesson first",
            ));
        }
        changed.delivered_on = Some(day);
        changed.status = AssignmentStatus::Delivered;
    }
    let term = queries::term_of_class(conn, &a.class_id)?;
    check_dates(&term, changed.scheduled_on, changed.due_on)?;
    if let Some(day) = changed
        .delivered_on
        .filter(|d| !(term.starts_on..=term.ends_on).contains(d))
    {
        return Err(ApiError::invalid(
            "delivered_on",
            format!(
                "{day} is outside the class's term ({} to {})",
                term.starts_on, term.ends_on
            ),
        ));
    }
    changed.updated_at = db::now();
    queries::update_assignment(conn, &a, &changed)?;
    Ok(queries::assignment_with_version(conn, &changed)?.0)
}

/// Reschedule, cancel or reinstate an assignment, or record its delivery (the class's teachers).
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(IdPath), request_body = AssignmentPatch,
    responses(
        (status = 200, body = Assignment),
        Forbidden,
        NotFound,
        (status = 409, description = "A delivered lesson cannot be cancelled"),
    )
)]
#[patch("/assignments/{id}")]
pub async fn update_assignment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    body: ValidJson<AssignmentPatch>,
) -> Result<web::Json<Assignment>, ApiError> {
    let id = path.into_inner().id;
    let patch = body.0;
    let assignment = state
        .db
        .write(move |conn| update(conn, &caller, &id, patch))
        .await?;
    Ok(web::Json(assignment))
}

/// Records (or updates) the caller's completion of an assignment; true when it is new.
pub fn complete(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    request: CompletionRequest,
) -> Result<(bool, Completion), ApiError> {
    let a = scope::enrolled_assignment(conn, caller, id)?;
    let reflection = request
        .reflection
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    let created = queries::upsert_completion(
        conn,
        &a,
        &caller.user_id,
        request.emotion,
        reflection.as_deref(),
    )?;
    let row = queries::completion_of(conn, &a.id, &caller.user_id)?
        .ok_or_else(|| ApiError::internal("completion vanished"))?;
    Ok((created, Completion::from(row)))
}

/// Mark the lesson complete, with an optional reflection. Calling again updates it.
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(IdPath), request_body = CompletionRequest,
    responses(
        (status = 201, description = "Completed", body = Completion),
        (status = 200, description = "Completion updated", body = Completion),
        Forbidden,
        NotFound,
    )
)]
#[put("/assignments/{id}/completion")]
pub async fn complete_assignment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    body: ValidJson<CompletionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().id;
    let request = body.0;
    let (created, completion) = state
        .db
        .write(move |conn| complete(conn, &caller, &id, request))
        .await?;
    Ok(if created {
        HttpResponse::Created().json(completion)
    } else {
        HttpResponse::Ok().json(completion)
    })
}

/// The completions of an assignment, for its class's teachers; each read is audited.
pub fn completions(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    paging: PageParams,
) -> Result<Page<StudentCompletion>, ApiError> {
    let a = scope::teaching_assignment(conn, caller, id)?;
    let page = queries::list_completions(conn, &a, paging)?;
    // Reflections are a child's own words: every read by staff is on the record.
    crate::audit::record(
        conn,
        caller,
        "lessons.reflections_read",
        serde_json::json!({"assignment_id": id}),
    )?;
    Ok(page)
}

/// Who completed the lesson and their reflections: for the class's teachers only.
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(IdPath, PageQuery),
    responses(
        (status = 200, body = Page<StudentCompletion>),
        Forbidden,
        NotFound,
    )
)]
#[get("/assignments/{id}/completions")]
pub async fn list_completions(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    filter: ValidQuery<PageQuery>,
) -> Result<web::Json<Page<StudentCompletion>>, ApiError> {
    let id = path.into_inner().id;
    let paging = filter.0.paging();
    let page = state
        .db
        .run(move |conn| completions(conn, &caller, &id, paging))
        .await?;
    Ok(web::Json(page))
}

/// The progress of an assignment, for staff who see its class.
pub fn progress_of(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<AssignmentProgress, ApiError> {
    let a = scope::assignment_for_staff(conn, caller, id)?;
    progress::assignment_progress(conn, &a)
}

/// Enrolled, completed, completion rate and emotion-label counts of an assignment (staff).
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = AssignmentProgress),
        Forbidden,
        NotFound,
    )
)]
#[get("/assignments/{id}/progress")]
pub async fn assignment_progress(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<AssignmentProgress>, ApiError> {
    let id = path.into_inner().id;
    let progress = state
        .db
        .run(move |conn| progress_of(conn, &caller, &id))
        .await?;
    Ok(web::Json(progress))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyAssignment {
    #[serde(flatten)]
    pub assignment: Assignment,
    pub class_name: String,
    /// `done` when completed, `due` from the scheduled day on, `upcoming` before it.
    pub state: super::dto::MyAssignmentState,
    pub completion: Option<Completion>,
}

/// The signed-in student's lessons across their classes: upcoming, due and done.
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(MyAssignmentsFilter),
    responses(
        (status = 200, body = Page<MyAssignment>),
        Forbidden,
    )
)]
#[get("/me/assignments")]
pub async fn my_assignments(
    state: web::Data<AppState>,
    caller: Authorized<Students>,
    filter: ValidQuery<MyAssignmentsFilter>,
) -> Result<web::Json<Page<MyAssignment>>, ApiError> {
    let filter = filter.0;
    let (paging, today) = (filter.paging(), today());
    let page = state
        .db
        .run(move |conn| student_assignments(conn, &caller, filter.state, paging, today))
        .await?;
    Ok(web::Json(page))
}

/// A student's lessons across their classes, each `done`, `due` or `upcoming` on `today`.
pub fn student_assignments(
    conn: &mut DbConnection,
    student: &Authorized<Students>,
    state: Option<super::dto::MyAssignmentState>,
    paging: PageParams,
    today: NaiveDate,
) -> Result<Page<MyAssignment>, ApiError> {
    use super::dto::MyAssignmentState;
    let page = queries::my_assignments(conn, &student.user_id, state, today, paging)?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|(mut assignment, class_name, completion)| {
                assignment.teacher_note = None;
                let state = match (&completion, assignment.scheduled_on <= today) {
                    (Some(_), _) => MyAssignmentState::Done,
                    (None, true) => MyAssignmentState::Due,
                    (None, false) => MyAssignmentState::Upcoming,
                };
                MyAssignment {
                    assignment,
                    class_name,
                    state,
                    completion: completion.map(Completion::from),
                }
            })
            .collect(),
        page: page.page,
        limit: page.limit,
        total: page.total,
    })
}

/// Lessons assigned and delivered in a class, and its completion rate (staff who see the class).
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = ClassProgress),
        Forbidden,
        NotFound,
    )
)]
#[get("/classes/{id}/lesson-progress")]
pub async fn class_progress(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<ClassProgress>, ApiError> {
    let id = path.into_inner().id;
    let progress = state
        .db
        .run(move |conn| {
            let class = rosters::scope::class_roster(conn, &caller, &id)?;
            progress::class_progress(conn, &class.id)
        })
        .await?;
    Ok(web::Json(progress))
}

/// Lessons delivered per class and per competency in a school for a term (school
/// administrators, counselors, district staff).
#[utoipa::path(
    tag = "lessons", security(("bearer" = [])), params(IdPath, TermQuery),
    responses(
        (status = 200, body = SchoolProgress),
        Forbidden,
        NotFound,
    )
)]
#[get("/schools/{id}/lesson-progress")]
pub async fn school_progress(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    path: web::Path<IdPath>,
    query: ValidQuery<TermQuery>,
) -> Result<web::Json<SchoolProgress>, ApiError> {
    let id = path.into_inner().id;
    let term_id = query.0.term_id;
    let progress = state
        .db
        .run(move |conn| {
            let school = rosters::scope::school(conn, &caller, &id)?;
            let term = match term_id {
                Some(t) => rosters::scope::term(conn, &caller, &t)
                    .map_err(|_| ApiError::invalid("term_id", "no such term in your district"))?
                    .into_inner(),
                None => crate::rosters::queries::current_term(conn, &caller.district_id, today())?
                    .ok_or(ApiError::NotFound("term"))?,
            };
            progress::school_progress(conn, &school.id, &term.id)
        })
        .await?;
    Ok(web::Json(progress))
}
