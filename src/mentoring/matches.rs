//! Match routes: list, create (from suggestions or by hand), read, and change state.

use std::collections::BTreeSet;

use actix_web::{get, patch, post, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::cadence;
use super::dto::{MatchFilter, MatchPatch, NewMatches};
use super::lifecycle;
use super::models::{Match, MatchRow, StudentRef};
use super::queries;
use super::scope;
use super::scope::MatchViewer;
use super::vocab::MatchStatus;
use crate::accounts::Caller;
use crate::dates::today;
use crate::db::DbConnection;
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::pagination::Page;
use crate::state::AppState;

/// The API view of matches; students see neither the score nor why a match closed.
pub fn match_views(
    conn: &mut DbConnection,
    rows: Vec<MatchRow>,
    viewer: MatchViewer,
) -> Result<Vec<Match>, ApiError> {
    let ids: BTreeSet<String> = rows
        .iter()
        .flat_map(|m| [m.mentor_id.clone(), m.mentee_id.clone()])
        .collect();
    let refs = queries::student_refs(conn, &ids)?;
    let match_ids: Vec<String> = rows.iter().map(|m| m.id.clone()).collect();
    let meetings = queries::meeting_dates(conn, &match_ids)?;
    let staff = matches!(viewer, MatchViewer::Manager | MatchViewer::District);
    let today = today();
    let student = |id: &str| {
        refs.get(id)
            .cloned()
            .unwrap_or_else(|| StudentRef::unknown(id))
    };
    Ok(rows
        .into_iter()
        .map(|m| {
            let status = m.status;
            let cadence = match (status, m.started_on) {
                (MatchStatus::Active, Some(start)) => Some(cadence::evaluate(
                    start,
                    meetings.get(&m.id).map_or(&[][..], Vec::as_slice),
                    today,
                )),
                _ => None,
            };
            Match {
                id: m.id.clone(),
                program_id: m.program_id.clone(),
                status,
                mentor: student(&m.mentor_id),
                mentee: student(&m.mentee_id),
                score: if staff { m.score() } else { None },
                started_on: m.started_on,
                closed_on: m.closed_on,
                closure_reason: if staff { m.closure_reason } else { None },
                closure_note: if staff { m.closure_note.clone() } else { None },
                cadence,
            }
        })
        .collect())
}

/// The matches of a program the caller can see, newest first.
pub fn program_matches(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    filter: MatchFilter,
) -> Result<Page<Match>, ApiError> {
    let program = scope::program(conn, caller, id)?;
    let paging = filter.paging();
    let (rows, total) = queries::matches_of_programs(
        conn,
        std::slice::from_ref(&program.id),
        filter.status,
        Some(paging),
    )?;
    let viewer = if caller.role == crate::accounts::Role::DistrictAdmin {
        MatchViewer::District
    } else {
        MatchViewer::Manager
    };
    Ok(paging.wrap(match_views(conn, rows, viewer)?, total))
}

/// Matches of a program, newest first.
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), params(IdPath, MatchFilter),
    responses(
        (status = 200, body = Page<Match>),
        NotFound,
    )
)]
#[get("/mentoring/programs/{id}/matches")]
pub async fn list_matches(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    filter: ValidQuery<MatchFilter>,
) -> Result<web::Json<Page<Match>>, ApiError> {
    let id = path.into_inner().id;
    let filter = filter.0;
    let page = state
        .db
        .run(move |conn| program_matches(conn, &caller, &id, filter))
        .await?;
    Ok(web::Json(page))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedMatches {
    pub items: Vec<Match>,
}

/// Accept suggested pairs (all or some) or pair students by hand. Every pair is checked against
/// the hard constraints; all are written, or none.
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), params(IdPath), request_body = NewMatches,
    responses(
        (status = 201, body = CreatedMatches),
        Forbidden,
        NotFound,
        (status = 409, description = "Mentor capacity exceeded, mentee already matched, or program ended"),
        (status = 422, description = "Not participants, ineligible grades, or a do-not-match pair"),
    )
)]
#[post("/mentoring/programs/{id}/matches")]
pub async fn create_matches(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    body: ValidJson<NewMatches>,
) -> Result<HttpResponse, ApiError> {
    let (id, new) = (path.into_inner().id, body.0);
    let created = state
        .db
        .write(move |conn| accept(conn, &caller, &id, new))
        .await?;
    Ok(HttpResponse::Created().json(CreatedMatches { items: created }))
}

/// Writes the pairs (suggested or by hand) of a program the caller manages: all, or none.
pub fn accept(
    conn: &mut DbConnection,
    caller: &Caller,
    program_id: &str,
    new: NewMatches,
) -> Result<Vec<Match>, ApiError> {
    let program = scope::manage_program(conn, caller, program_id)?;
    let rows = lifecycle::create(conn, caller, &program, new)?;
    match_views(conn, rows, MatchViewer::Manager)
}

/// A match. Its mentor and mentee see it with each other's name and grade only.
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = Match),
        NotFound,
    )
)]
#[get("/mentoring/matches/{id}")]
pub async fn get_match(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<Match>, ApiError> {
    let id = path.into_inner().id;
    let view = state
        .db
        .run(move |conn| {
            let (row, _, viewer) = scope::mentoring_match(conn, &caller, &id)?;
            let mut views = match_views(conn, vec![row.into_inner()], viewer)?;
            views.pop().ok_or(ApiError::NotFound("mentoring match"))
        })
        .await?;
    Ok(web::Json(view))
}

/// Start a proposed match (`{"status": "active"}`), or close a match with a reason
/// (`{"status": "closed", "closure_reason": …}`). Closed matches do not change.
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), params(IdPath), request_body = MatchPatch,
    responses(
        (status = 200, body = Match),
        Forbidden,
        NotFound,
        (status = 409, description = "Already closed, or already active"),
        (status = 422, description = "See the problem document"),
    )
)]
#[patch("/mentoring/matches/{id}")]
pub async fn update_match(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    body: ValidJson<MatchPatch>,
) -> Result<web::Json<Match>, ApiError> {
    let id = path.into_inner().id;
    let patch = body.0;
    let view = state
        .db
        .write(move |conn| {
            let (current, program) = scope::manage_match(conn, &caller, &id)?;
            let next = lifecycle::transition(&current, &program, patch)?;
            queries::update_match(conn, &current, &next)?;
            let mut views = match_views(conn, vec![next], MatchViewer::Manager)?;
            views.pop().ok_or(ApiError::NotFound("mentoring match"))
        })
        .await?;
    Ok(web::Json(view))
}
