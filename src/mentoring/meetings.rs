//! Meeting logs, the counselor's attention list, and a student's own mentoring.

use std::collections::HashMap;

use actix_web::{get, post, web, HttpResponse};
use chrono::{NaiveDate, TimeDelta};
use serde::Serialize;
use utoipa::ToSchema;

use super::cadence;
use super::dto::{AttentionFilter, NewMeeting};
use super::matches::match_views;
use super::models::{Cadence, Match, Meeting, MeetingRow, Program, Slot, StudentRef};
use super::queries::{self, ProgramScope};
use super::scope;
use super::scope::MatchViewer;
use super::vocab::{ClosureReason, Interest, MatchStatus, ParticipantRole};
use crate::accounts::{Authorized, Caller, Role, SchoolStaff, Students};
use crate::dates::today;
use crate::db;
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::state::AppState;

/// What `caller`, related to the match as `viewer`, sees of a meeting. A note is written for
/// the school's staff: staff read every note; a mentor reads only the notes they wrote
/// themselves (not one a counselor added); the mentee reads none, nor the minutes.
fn meeting_view(row: MeetingRow, viewer: MatchViewer, caller: &Caller) -> Meeting {
    let note_readable = match viewer {
        MatchViewer::Manager | MatchViewer::District => true,
        MatchViewer::Mentor => row.logged_by == caller.user_id,
        MatchViewer::Mentee => false,
    };
    Meeting {
        topics: row.topics(),
        minutes: (viewer != MatchViewer::Mentee).then_some(row.minutes),
        note: if note_readable { row.note } else { None },
        id: row.id,
        match_id: row.match_id,
        met_on: row.met_on,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingList {
    pub items: Vec<Meeting>,
}

/// Meetings of a match, newest first. Mentees see dates and topics only. A meeting's note is
/// for the school's staff: counselors and administrators read every note; the mentor reads only
/// the notes they wrote themselves; the mentee reads none.
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = MeetingList),
        NotFound,
    )
)]
#[get("/mentoring/matches/{id}/meetings")]
pub async fn list_meetings(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<MeetingList>, ApiError> {
    let id = path.into_inner().id;
    let list = state
        .db
        .run(move |conn| {
            let (m, _, viewer) = scope::mentoring_match(conn, &caller, &id)?;
            let rows = queries::meetings_of_match(conn, &m.id)?;
            Ok(MeetingList {
                items: rows
                    .into_iter()
                    .map(|r| meeting_view(r, viewer, &caller))
                    .collect(),
            })
        })
        .await?;
    Ok(web::Json(list))
}

/// Logs a meeting of a started match: by its mentor or the school's counselors and administrators.
pub fn log_meeting(
    conn: &mut crate::db::DbConnection,
    caller: &Caller,
    id: &str,
    new: NewMeeting,
) -> Result<Meeting, ApiError> {
    let (m, _, viewer) = scope::mentoring_match(conn, caller, id)?;
    if !matches!(viewer, MatchViewer::Mentor | MatchViewer::Manager) {
        return Err(ApiError::forbidden(
            "meetings are logged by the mentor or the school's counselors",
        ));
    }
    let Some(started) = m.started_on else {
        return Err(ApiError::conflict(None, "the match has not started yet"));
    };
    if new.met_on < started {
        return Err(ApiError::invalid(
            "met_on",
            format!("must not be before the match began ({started})"),
        ));
    }
    if new.met_on > today() {
        return Err(ApiError::invalid("met_on", "must not be in the future"));
    }
    if let Some(closed) = m.closed_on {
        if new.met_on > closed {
            return Err(ApiError::invalid(
                "met_on",
                format!("must not be after the match closed ({closed})"),
            ));
        }
    }
    let mut topics = new.topics.clone();
    topics.sort_unstable();
    topics.dedup();
    let row = MeetingRow {
        id: db::new_id(),
        match_id: m.id.clone(),
        met_on: new.met_on,
        minutes: new.minutes,
        topics: serde_json::to_string(&topics.iter().map(|t| t.as_str()).collect::<Vec<_>>())
            .map_err(|e| ApiError::internal(e.to_string()))?,
        note: new.note.map(|n| n.trim().to_owned()),
        logged_by: caller.user_id.clone(),
        created_at: db::now(),
    };
    queries::insert_meeting(conn, &row)?;
    Ok(meeting_view(row, viewer, caller))
}

/// Log a meeting of a match: its mentor does, or a counselor for them.
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), params(IdPath), request_body = NewMeeting,
    responses(
        (status = 201, body = Meeting),
        (status = 403, description = "Only the mentor or the school's staff log meetings"),
        NotFound,
        (status = 409, description = "The match has not started"),
        (status = 422, description = "Dated before the match began, after it closed, or in the future"),
    )
)]
#[post("/mentoring/matches/{id}/meetings")]
pub async fn create_meeting(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    body: ValidJson<NewMeeting>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().id;
    let new = body.0;
    let meeting = state
        .db
        .write(move |conn| log_meeting(conn, &caller, &id, new))
        .await?;
    Ok(HttpResponse::Created().json(meeting))
}

/// Why a match needs a counselor's attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttentionReason {
    /// An elapsed 30-day period without the meetings the cadence asks for.
    BehindCadence,
    /// No meeting in the last 30 days (or since the start).
    NoRecentMeeting,
    /// Closed before the program's end for a reason other than `program_ended`, in the last 60 days.
    ClosedEarly,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttentionItem {
    pub match_id: String,
    pub program_id: String,
    pub program_name: String,
    pub status: MatchStatus,
    pub mentor: StudentRef,
    pub mentee: StudentRef,
    pub reasons: Vec<AttentionReason>,
    /// Active matches.
    pub cadence: Option<Cadence>,
    pub closed_on: Option<NaiveDate>,
    pub closure_reason: Option<ClosureReason>,
}

/// Most urgent first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttentionList {
    pub items: Vec<AttentionItem>,
}

const CLOSED_EARLY_WINDOW_DAYS: i64 = 60;

/// The attention list of the programs the caller runs (district staff: any school's, or all).
pub fn attention_of(
    conn: &mut crate::db::DbConnection,
    caller: &Authorized<SchoolStaff>,
    filter: &AttentionFilter,
) -> Result<AttentionList, ApiError> {
    let program_ids = match (caller.role, &filter.school_id) {
        (Role::DistrictAdmin, Some(school)) => {
            scope::district_school(conn, caller, school)?;
            queries::program_ids(conn, ProgramScope::School(school))?
        }
        (Role::DistrictAdmin, None) => {
            queries::program_ids(conn, ProgramScope::District(&caller.district_id))?
        }
        (_, requested) => {
            let own = scope::program_school(caller, requested.as_deref())?;
            queries::program_ids(conn, ProgramScope::School(&own))?
        }
    };
    attention_list(conn, &program_ids, today())
}

/// Matches that need a counselor: behind the cadence, no meeting in 30 days, or closed early.
/// Sorted by urgency: safety-concern closures first, then active matches by days without
/// contact, then other early closures, newest first.
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), params(AttentionFilter),
    responses(
        (status = 200, body = AttentionList),
        Forbidden,
        NotFound,
    )
)]
#[get("/mentoring/attention")]
pub async fn attention(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    filter: ValidQuery<AttentionFilter>,
) -> Result<web::Json<AttentionList>, ApiError> {
    let filter = filter.0;
    let list = state
        .db
        .run(move |conn| attention_of(conn, &caller, &filter))
        .await?;
    Ok(web::Json(list))
}

/// The attention list of some programs on a given day.
pub fn attention_list(
    conn: &mut crate::db::DbConnection,
    program_ids: &[String],
    today: NaiveDate,
) -> Result<AttentionList, ApiError> {
    let (rows, _) = queries::matches_of_programs(conn, program_ids, None, None)?;
    let programs = queries::programs_by_id(conn, &program_ids.iter().cloned().collect())?;
    let match_ids: Vec<String> = rows.iter().map(|m| m.id.clone()).collect();
    let meetings = queries::meeting_dates(conn, &match_ids)?;
    let mut flagged = Vec::new();
    for m in rows {
        let Some(program) = programs.get(&m.program_id) else {
            continue;
        };
        let mut reasons = Vec::new();
        let mut cadence_now = None;
        match (m.status, m.started_on) {
            (MatchStatus::Active, Some(start)) => {
                let c = cadence::evaluate(
                    start,
                    meetings.get(&m.id).map_or(&[][..], Vec::as_slice),
                    today,
                );
                if !c.on_cadence {
                    reasons.push(AttentionReason::BehindCadence);
                }
                if c.days_since_contact >= cadence::PERIOD_DAYS {
                    reasons.push(AttentionReason::NoRecentMeeting);
                }
                cadence_now = Some(c);
            }
            (MatchStatus::Closed, _) => {
                let early = m.closure_reason != Some(ClosureReason::ProgramEnded)
                    && m.closed_on.is_some_and(|c| {
                        c < program.ends_on
                            && c >= today - TimeDelta::days(CLOSED_EARLY_WINDOW_DAYS)
                    });
                if early {
                    reasons.push(AttentionReason::ClosedEarly);
                }
            }
            _ => {}
        }
        if !reasons.is_empty() {
            flagged.push((m, program.name.clone(), reasons, cadence_now));
        }
    }
    let rank = |m: &super::models::MatchRow, c: &Option<Cadence>| match (m.closure_reason, c) {
        (Some(ClosureReason::SafetyConcern), _) => (0, 0),
        (None, Some(c)) => (1, -c.days_since_contact),
        _ => (
            2,
            -m.closed_on.map_or(0, |d| (d - NaiveDate::MIN).num_days()),
        ),
    };
    flagged.sort_by(|a, b| {
        rank(&a.0, &a.3)
            .cmp(&rank(&b.0, &b.3))
            .then(a.0.id.cmp(&b.0.id))
    });
    let views = match_views(
        conn,
        flagged.iter().map(|f| f.0.clone()).collect(),
        MatchViewer::Manager,
    )?;
    Ok(AttentionList {
        items: flagged
            .into_iter()
            .zip(views)
            .map(
                |((row, program_name, reasons, cadence), view)| AttentionItem {
                    match_id: row.id.clone(),
                    program_id: row.program_id.clone(),
                    program_name,
                    status: view.status,
                    mentor: view.mentor,
                    mentee: view.mentee,
                    reasons,
                    cadence,
                    closed_on: row.closed_on,
                    closure_reason: row.closure_reason,
                },
            )
            .collect(),
    })
}

/// The other student of a match, as a mentor or mentee sees them.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyMatch {
    pub id: String,
    pub status: MatchStatus,
    pub started_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    /// Name and grade only.
    pub partner: StudentRef,
    pub cadence: Option<Cadence>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyParticipation {
    pub program: Program,
    pub role: ParticipantRole,
    pub interests: Vec<Interest>,
    pub availability: Vec<Slot>,
    pub matches: Vec<MyMatch>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyMentoring {
    pub items: Vec<MyParticipation>,
}

/// A student's programs and matches, each partner named by name and grade only.
pub fn mine(
    conn: &mut crate::db::DbConnection,
    caller: &Authorized<Students>,
) -> Result<MyMentoring, ApiError> {
    let participations = queries::participations_of_student(conn, &caller.user_id)?;
    let matches = queries::matches_of_student(conn, &caller.user_id)?;
    let mut by_program: HashMap<String, Vec<super::models::MatchRow>> = HashMap::new();
    for m in matches {
        by_program.entry(m.program_id.clone()).or_default().push(m);
    }
    let mut items = Vec::new();
    for (participant, program) in participations {
        let rows = by_program.remove(&program.id).unwrap_or_default();
        let role = participant.role;
        let viewer = match role {
            ParticipantRole::Mentor => MatchViewer::Mentor,
            ParticipantRole::Mentee => MatchViewer::Mentee,
        };
        let views: Vec<Match> = match_views(conn, rows, viewer)?;
        items.push(MyParticipation {
            program: program.view(),
            role,
            interests: participant.interests(),
            availability: participant.availability(),
            matches: views
                .into_iter()
                .map(|v| MyMatch {
                    partner: if role == ParticipantRole::Mentor {
                        v.mentee
                    } else {
                        v.mentor
                    },
                    id: v.id,
                    status: v.status,
                    started_on: v.started_on,
                    closed_on: v.closed_on,
                    cadence: v.cadence,
                })
                .collect(),
        });
    }
    Ok(MyMentoring { items })
}

/// Your mentoring programs and matches (students).
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])),
    responses(
        (status = 200, body = MyMentoring),
        Forbidden,
    )
)]
#[get("/me/mentoring")]
pub async fn my_mentoring(
    state: web::Data<AppState>,
    caller: Authorized<Students>,
) -> Result<web::Json<MyMentoring>, ApiError> {
    let mine = state.db.run(move |conn| mine(conn, &caller)).await?;
    Ok(web::Json(mine))
}
