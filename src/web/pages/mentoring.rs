//! Mentoring for counselors and school administrators: the school's programs, a program's
//! suggested pairs to accept, and its matches (through the mentoring domain's functions).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::accounts::SchoolStaff;
use crate::error::ApiError;
use crate::mentoring::dto::{AttentionFilter, MatchFilter, NewMatches, PairRequest};
use crate::mentoring::matches;
use crate::mentoring::meetings::{self, AttentionList, AttentionReason};
use crate::mentoring::models::{Match, Program};
use crate::mentoring::programs::{self, ProgramDetail};
use crate::mentoring::suggestions::{self, SuggestionSet};
use crate::pagination::PageParams;
use crate::state::AppState;
use crate::web::forms::FormFields;
use crate::web::page::{field_message, render, see_other, text, Frame, Viewer, WebError};

#[derive(Template)]
#[template(path = "staff/programs.html")]
struct ProgramsPage {
    frame: Frame,
    programs: Vec<Program>,
    attention: AttentionList,
    met: bool,
}

#[derive(serde::Deserialize)]
pub struct MetQuery {
    met: Option<String>,
}

/// Why a match is on the attention list, in words.
fn reason(r: &AttentionReason) -> &'static str {
    let t = text();
    match r {
        AttentionReason::BehindCadence => t.reason_behind,
        AttentionReason::NoRecentMeeting => t.reason_no_meeting,
        AttentionReason::ClosedEarly => t.reason_closed_early,
    }
}

/// The programs of the school.
pub async fn programs(
    state: web::Data<AppState>,
    viewer: Viewer<SchoolStaff>,
    query: web::Query<MetQuery>,
) -> Result<HttpResponse, WebError> {
    let who = viewer.who.clone();
    let (page, attention) = state
        .db
        .run(move |conn| {
            let paging = PageParams {
                page: Some(1),
                limit: Some(100),
            };
            let filter = AttentionFilter { school_id: None };
            Ok((
                programs::programs_of(conn, &who, paging)?,
                meetings::attention_of(conn, &who, &filter)?,
            ))
        })
        .await?;
    render(
        StatusCode::OK,
        &ProgramsPage {
            frame: Frame::new(&viewer, text().mentoring_title, "/mentoring"),
            programs: page.items,
            attention,
            met: query.met.is_some(),
        },
    )
}

#[derive(Template)]
#[template(path = "staff/program.html")]
struct ProgramPage {
    frame: Frame,
    detail: ProgramDetail,
    suggestions: SuggestionSet,
    matches: Vec<Match>,
    accepted: Option<usize>,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct AcceptedQuery {
    accepted: Option<usize>,
}

/// A program: suggested pairs (a form to accept them) and its matches.
pub async fn program(
    state: web::Data<AppState>,
    viewer: Viewer<SchoolStaff>,
    path: web::Path<String>,
    query: web::Query<AcceptedQuery>,
) -> Result<HttpResponse, WebError> {
    program_view(&state, viewer, path.into_inner(), query.accepted, None).await
}

async fn program_view(
    state: &AppState,
    viewer: Viewer<SchoolStaff>,
    id: String,
    accepted: Option<usize>,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let caller = (**viewer).clone();
    let (detail, suggestions, matches) = state
        .db
        .run(move |conn| {
            let detail = programs::program_detail(conn, &caller, &id)?;
            let suggestions = suggestions::suggestions_for(conn, &caller, &id)?;
            let filter = MatchFilter {
                status: None,
                page: Some(1),
                limit: Some(200),
            };
            let matches = matches::program_matches(conn, &caller, &id, filter)?.items;
            Ok((detail, suggestions, matches))
        })
        .await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &ProgramPage {
            frame: Frame::new(&viewer, detail.program.name.clone(), "/mentoring"),
            detail,
            suggestions,
            matches,
            accepted,
            error,
        },
    )
}

/// Accepts the ticked pairs (all or none are written, as the API's `POST …/matches`).
pub async fn accept(
    state: web::Data<AppState>,
    viewer: Viewer<SchoolStaff>,
    path: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let pairs: Vec<PairRequest> = form
        .all("pair")
        .filter_map(|p| p.split_once(':'))
        .map(|(mentor, mentee)| PairRequest {
            mentor_id: mentor.to_owned(),
            mentee_id: mentee.to_owned(),
        })
        .collect();
    if pairs.is_empty() {
        let message = text().choose_one_pair.to_owned();
        return program_view(&state, viewer, id, None, Some(message)).await;
    }
    let count = pairs.len();
    let new = NewMatches {
        matches: pairs,
        status: None,
        started_on: None,
    };
    let outcome = match validator::Validate::validate(&new) {
        Err(e) => Err(ApiError::from(e)),
        Ok(()) => {
            let (caller, program) = ((**viewer).clone(), id.clone());
            state
                .db
                .write(move |conn| matches::accept(conn, &caller, &program, new))
                .await
        }
    };
    match outcome {
        Ok(_) => Ok(see_other(&format!(
            "/mentoring/programs/{id}?accepted={count}"
        ))),
        Err(e @ (ApiError::Conflict { .. } | ApiError::Validation(_))) => {
            let message = field_message(&e).unwrap_or_else(|| e.problem().detail);
            program_view(&state, viewer, id, None, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}
