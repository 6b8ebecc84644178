//! Help requests: a student asks a counselor, or a trusted adult they choose, to talk. Staff
//! move a request one step at a time (`new → acknowledged → met → closed`); one not acknowledged
//! by its deadline is overdue and escalated to every counselor and the school's
//! administrators. The API is not an emergency service, and every answer says so.

use std::collections::HashMap;

use actix_web::{get, patch, post, web, HttpResponse};
use chrono::NaiveDateTime;

use super::dto::{
    HelpNote, HelpRequest, HelpRequestFilter, HelpRequestPatch, NewHelpRequest, TrustedAdult,
    TrustedAdults,
};
use super::models::{HelpNoteRow, HelpRequestRow};
use super::queries::{self, HelpAudience};
use super::scope::{self, HelpViewer};
use super::settings::SupportSettings;
use super::vocab::{HelpState, HelpTopic, Urgency};
use crate::accounts::{Authorized, Caller, Role, Staff, Students};
use crate::authz::Visible;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Conflict, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson, ValidQuery};
use crate::pagination::{Page, PageQuery};
use crate::rosters::models::PersonRef;
use crate::state::AppState;

/// When a request made at `now` must be acknowledged by, under the district's settings.
pub fn deadline(settings: &SupportSettings, urgency: Urgency, now: NaiveDateTime) -> NaiveDateTime {
    let clock = settings.clock();
    match urgency {
        Urgency::Today => clock.after_school_hours(now, settings.today_school_hours as u32),
        Urgency::ThisWeek => {
            clock.end_of_school_days_after(now, settings.acknowledge_school_days as u32)
        }
    }
}

/// Opens a request for the calling student. `to` must be one of their trusted adults.
#[allow(clippy::too_many_arguments)]
pub fn open_request(
    conn: &mut DbConnection,
    student: &Caller,
    settings: &SupportSettings,
    to: Option<&str>,
    topic: HelpTopic,
    urgency: Urgency,
    message: Option<String>,
    check_in_id: Option<String>,
    now: NaiveDateTime,
) -> Result<HelpRequestRow, ApiError> {
    let Some(school_id) = student.school_id.clone() else {
        return Err(ApiError::conflict(
            None,
            "your account has no school yet; ask your school to add it",
        ));
    };
    if let Some(to) = to {
        let today = settings.clock().local_day(now);
        let adults = queries::trusted_adults(conn, student, today)?;
        if !adults.iter().any(|(p, _)| p.id == to) {
            return Err(ApiError::invalid(
                "to",
                "must be a teacher of one of your classes or a counselor of your school \
                 (GET /api/v1/me/trusted-adults)",
            ));
        }
    }
    let row = HelpRequestRow {
        id: db::new_id(),
        student_id: student.user_id.clone(),
        school_id,
        recipient_id: to.map(str::to_owned),
        topic,
        urgency,
        message,
        state: HelpState::New,
        check_in_id,
        created_at: now,
        acknowledge_by: deadline(settings, urgency, now),
        acknowledged_at: None,
        acknowledged_by: None,
        meeting_at: None,
        met_at: None,
        closed_at: None,
        closing_reason: None,
        withdrawn_at: None,
        updated_at: now,
    };
    queries::insert_help_request(conn, &row)?;
    Ok(row)
}

fn names(
    conn: &mut DbConnection,
    ids: Vec<String>,
) -> Result<HashMap<String, PersonRef>, ApiError> {
    Ok(queries::people(conn, &ids)?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect())
}

/// What the student sees of their requests: state and meeting, never staff notes or deadlines
/// (the adults' names read in one query).
pub fn student_views(
    conn: &mut DbConnection,
    rows: Vec<HelpRequestRow>,
    settings: &SupportSettings,
) -> Result<Vec<HelpRequest>, ApiError> {
    let mut ids: Vec<String> = rows.iter().filter_map(|r| r.recipient_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let people = names(conn, ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let who_can_see = if row.recipient_id.is_some() {
                "The adult you chose and your school's counselors see this request and your \
                 message. If nobody answers in time, your school's administrators see it too."
            } else {
                "Your school's counselors see this request and your message. If nobody answers \
                 in time, your school's administrators see it too."
            };
            HelpRequest {
                who_can_see: Some(who_can_see.to_owned()),
                to: row
                    .recipient_id
                    .as_ref()
                    .and_then(|id| people.get(id).cloned()),
                student: None,
                id: row.id,
                topic: row.topic,
                urgency: row.urgency,
                message: row.message,
                state: row.state,
                created_at: row.created_at,
                meeting_at: row.meeting_at,
                closing_reason: row.closing_reason,
                acknowledge_by: None,
                escalated: None,
                overdue: None,
                acknowledged_by: None,
                notes: None,
                crisis_message: settings.crisis_message.clone(),
            }
        })
        .collect())
}

/// One request as its student sees it.
pub fn student_view(
    conn: &mut DbConnection,
    row: HelpRequestRow,
    settings: &SupportSettings,
) -> Result<HelpRequest, ApiError> {
    Ok(student_views(conn, vec![row], settings)?.remove(0))
}

/// What staff see: who asked, the deadline, escalation, and (for one request, `with_notes`) the
/// student's message and the staff notes.
fn staff_views(
    conn: &mut DbConnection,
    rows: Vec<HelpRequestRow>,
    settings: &SupportSettings,
    now: NaiveDateTime,
    with_notes: bool,
) -> Result<Vec<HelpRequest>, ApiError> {
    let mut ids: Vec<String> = Vec::new();
    for r in &rows {
        ids.push(r.student_id.clone());
        ids.extend(r.recipient_id.iter().cloned());
        ids.extend(r.acknowledged_by.iter().cloned());
    }
    ids.sort();
    ids.dedup();
    let people = names(conn, ids)?;
    let person = |id: &Option<String>| id.as_ref().and_then(|i| people.get(i).cloned());
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let notes = if with_notes {
            Some(
                queries::notes_of(conn, &row.id)?
                    .into_iter()
                    .map(|(n, author)| HelpNote {
                        id: n.id,
                        author,
                        body: n.body,
                        created_at: n.created_at,
                    })
                    .collect(),
            )
        } else {
            None
        };
        out.push(HelpRequest {
            student: person(&Some(row.student_id.clone())),
            to: person(&row.recipient_id),
            acknowledged_by: person(&row.acknowledged_by),
            escalated: Some(row.escalated(now)),
            overdue: Some(row.overdue(now)),
            acknowledge_by: Some(row.acknowledge_by),
            notes,
            id: row.id,
            topic: row.topic,
            urgency: row.urgency,
            // What the student wrote is read one request at a time, each read audited.
            message: if with_notes { row.message } else { None },
            state: row.state,
            created_at: row.created_at,
            meeting_at: row.meeting_at,
            closing_reason: row.closing_reason,
            who_can_see: None,
            crisis_message: settings.crisis_message.clone(),
        });
    }
    Ok(out)
}

/// The adults a student may ask for help, and the crisis line.
pub fn trusted_adults_of(
    conn: &mut DbConnection,
    caller: &Authorized<Students>,
) -> Result<TrustedAdults, ApiError> {
    let settings = queries::settings(conn, &caller.district_id)?;
    let today = settings.clock().local_day(db::now());
    let adults = queries::trusted_adults(conn, caller, today)?;
    Ok(TrustedAdults {
        items: adults
            .into_iter()
            .map(|(p, role)| TrustedAdult {
                id: p.id,
                given_name: p.given_name,
                family_name: p.family_name,
                role: role.as_str().to_owned(),
            })
            .collect(),
        crisis_message: settings.crisis_message,
    })
}

/// The adults you may ask for help: the teachers of your current classes and your school's
/// counselors.
#[utoipa::path(
    tag = "support", security(("bearer" = [])),
    responses(
        (status = 200, body = TrustedAdults),
        (status = 403, description = "Only students ask for help"),
    )
)]
#[get("/me/trusted-adults")]
pub async fn trusted_adults(
    state: web::Data<AppState>,
    caller: Authorized<Students>,
) -> Result<web::Json<TrustedAdults>, ApiError> {
    let list = state
        .db
        .run(move |conn| trusted_adults_of(conn, &caller))
        .await?;
    Ok(web::Json(list))
}

/// Ask to talk: to the school's counselors, or to a trusted adult (`to`). The request is due
/// to be acknowledged by the end of the next school day ("today": within 2 school hours; the
/// district sets both); if it is not, every counselor and the school's administrators see it.
#[utoipa::path(
    tag = "support", security(("bearer" = [])), request_body = NewHelpRequest,
    responses(
        (status = 201, body = HelpRequest),
        (status = 403, description = "Only students ask for help"),
        (status = 422, description = "A topic or urgency outside the vocabulary, a message too long, or an adult who does not teach or counsel the student"),
    )
)]
#[post("/help-requests")]
pub async fn create_help_request(
    state: web::Data<AppState>,
    caller: Authorized<Students>,
    body: ValidJson<NewHelpRequest>,
) -> Result<HttpResponse, ApiError> {
    let new = body.0;
    let created = state.db.write(move |conn| ask(conn, &caller, new)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Opens a student's help request, to a trusted adult or the school's counselors.
pub fn ask(
    conn: &mut DbConnection,
    student: &Authorized<Students>,
    new: NewHelpRequest,
) -> Result<HelpRequest, ApiError> {
    let settings = queries::settings(conn, &student.district_id)?;
    let row = open_request(
        conn,
        student,
        &settings,
        new.to.as_deref(),
        new.topic,
        new.urgency,
        new.message.clone(),
        None,
        db::now(),
    )?;
    student_view(conn, row, &settings)
}

fn audience(caller: &Caller) -> Result<HelpAudience<'_>, ApiError> {
    match caller.role {
        Role::Student => Ok(HelpAudience::Student(&caller.user_id)),
        Role::DistrictAdmin => Err(ApiError::forbidden(
            "district staff read help-request numbers without names (/districts/{id}/support-numbers)",
        )),
        role => Ok(HelpAudience::Staff {
            user: &caller.user_id,
            role,
            school: caller.school(),
        }),
    }
}

/// The help requests the caller may see (students: their own), newest first.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    state: Option<HelpState>,
    overdue_only: bool,
    paging: crate::pagination::PageParams,
) -> Result<Page<HelpRequest>, ApiError> {
    let settings = queries::settings(conn, &caller.district_id)?;
    let now = db::now();
    let who = audience(caller)?;
    let (rows, total) = queries::help_requests_for(conn, &who, state, overdue_only, now, paging)?;
    let items = if caller.role == Role::Student {
        student_views(conn, rows, &settings)?
    } else {
        staff_views(conn, rows, &settings, now, false)?
    };
    Ok(paging.wrap(items, total))
}

/// Help requests you may see, newest first: a student's own; for staff those addressed to them,
/// for counselors every request of their school, for school administrators the escalated ones.
#[utoipa::path(
    tag = "support", security(("bearer" = [])), params(HelpRequestFilter),
    responses(
        (status = 200, body = Page<HelpRequest>),
        (status = 403, description = "District staff read numbers, not requests"),
    )
)]
#[get("/help-requests")]
pub async fn list_help_requests(
    state: web::Data<AppState>,
    caller: Caller,
    query: ValidQuery<HelpRequestFilter>,
) -> Result<web::Json<Page<HelpRequest>>, ApiError> {
    let filter = query.0;
    let page = state
        .db
        .run(move |conn| list(conn, &caller, filter.state, false, filter.paging()))
        .await?;
    Ok(web::Json(page))
}

/// Requests not acknowledged by their deadline, most overdue first: escalated to every
/// counselor and the school's administrators (a teacher sees those addressed to them).
#[utoipa::path(
    tag = "support", security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, body = Page<HelpRequest>),
        (status = 403, description = "For the school's staff"),
    )
)]
#[get("/help-requests/overdue")]
pub async fn overdue_help_requests(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    query: ValidQuery<PageQuery>,
) -> Result<web::Json<Page<HelpRequest>>, ApiError> {
    let paging = query.0.paging();
    let caller = caller.caller;
    let page = state
        .db
        .run(move |conn| list(conn, &caller, None, true, paging))
        .await?;
    Ok(web::Json(page))
}

fn one_view(
    conn: &mut DbConnection,
    caller: &Caller,
    row: Visible<HelpRequestRow>,
    viewer: HelpViewer,
    now: NaiveDateTime,
) -> Result<HelpRequest, ApiError> {
    let settings = queries::settings(conn, &caller.district_id)?;
    let row = row.into_inner();
    match viewer {
        HelpViewer::Student => student_view(conn, row, &settings),
        HelpViewer::Staff => {
            // A staff read of what a named child wrote is on the audit trail (the request's id
            // only: the trail is read by district staff, who see no names).
            crate::audit::record(
                conn,
                caller,
                "help_request.read",
                serde_json::json!({"help_request_id": row.id}),
            )?;
            let mut views = staff_views(conn, vec![row], &settings, now, true)?;
            Ok(views.remove(0))
        }
    }
}

/// One help request. Staff see its deadline, escalation and private notes (each staff read is
/// audited); the student sees its state and meeting time.
#[utoipa::path(
    tag = "support", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = HelpRequest),
        NotFound,
    )
)]
#[get("/help-requests/{id}")]
pub async fn get_help_request(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<HelpRequest>, ApiError> {
    let id = path.into_inner().id;
    let found = state
        .db
        .run(move |conn| {
            let now = db::now();
            let (row, viewer) = scope::help_request(conn, &caller, &id, now)?;
            one_view(conn, &caller, row, viewer, now)
        })
        .await?;
    Ok(web::Json(found))
}

/// Move a request one step (`acknowledged`, `met`, `closed` with a `closing_reason`), set when
/// someone will meet the student, or add a private note. The student may only withdraw it
/// (`{"state": "withdrawn"}`) before it is met.
#[utoipa::path(
    tag = "support", security(("bearer" = [])), params(IdPath), request_body = HelpRequestPatch,
    responses(
        (status = 200, body = HelpRequest),
        Forbidden,
        NotFound,
        Conflict,
        (status = 422, description = "Nothing to change, or a closing reason missing or out of place"),
    )
)]
#[patch("/help-requests/{id}")]
pub async fn update_help_request(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    body: ValidJson<HelpRequestPatch>,
) -> Result<web::Json<HelpRequest>, ApiError> {
    let id = path.into_inner().id;
    let change = body.0;
    let updated = state
        .db
        .write(move |conn| {
            let now = db::now();
            let settings = queries::settings(conn, &caller.district_id)?;
            let (row, viewer) = scope::manage_help_request(conn, &caller, &id, now)?;
            let next = apply(&row, viewer, &change, &caller, now)?;
            queries::update_help_request(conn, &row, &next)?;
            if let Some(body) = &change.note {
                queries::add_note(
                    conn,
                    &HelpNoteRow {
                        id: db::new_id(),
                        request_id: row.id.clone(),
                        author_id: caller.user_id.clone(),
                        body: body.clone(),
                        created_at: now,
                    },
                )?;
            }
            if viewer == HelpViewer::Staff {
                crate::audit::record_in_transaction(
                    conn,
                    &caller,
                    "help_request.changed",
                    serde_json::json!({
                        "help_request_id": row.id,
                        "state": next.state,
                        "note_added": change.note.is_some(),
                    }),
                )?;
            }
            // The caller still sees the request after the change: its student and its staff
            // keep their relation to it, and escalation is never undone.
            match viewer {
                HelpViewer::Student => student_view(conn, next, &settings),
                HelpViewer::Staff => {
                    Ok(staff_views(conn, vec![next], &settings, now, true)?.remove(0))
                }
            }
        })
        .await?;
    Ok(web::Json(updated))
}

/// The request after a change, or why the change is refused.
fn apply(
    row: &HelpRequestRow,
    viewer: HelpViewer,
    change: &HelpRequestPatch,
    caller: &Caller,
    now: NaiveDateTime,
) -> Result<HelpRequestRow, ApiError> {
    let mut next = row.clone();
    next.updated_at = now;
    if viewer == HelpViewer::Student {
        if change.note.is_some() || change.meeting_at.is_some() || change.closing_reason.is_some() {
            return Err(ApiError::forbidden(
                "students may only withdraw a request ({\"state\": \"withdrawn\"})",
            ));
        }
        match change.state {
            Some(HelpState::Withdrawn) if row.state.is_open() => {
                next.state = HelpState::Withdrawn;
                next.withdrawn_at = Some(now);
                return Ok(next);
            }
            Some(HelpState::Withdrawn) => {
                return Err(ApiError::conflict(
                    Some("state"),
                    format!(
                        "a request that is {} cannot be withdrawn",
                        row.state.as_str()
                    ),
                ))
            }
            _ => {
                return Err(ApiError::forbidden(
                    "students may only withdraw a request ({\"state\": \"withdrawn\"})",
                ))
            }
        }
    }
    if change.closing_reason.is_some() && change.state != Some(HelpState::Closed) {
        return Err(ApiError::invalid(
            "closing_reason",
            "is given only when closing ({\"state\": \"closed\"})",
        ));
    }
    if change.state.is_none() && change.note.is_none() && change.meeting_at.is_none() {
        return Err(ApiError::invalid(
            "state",
            "nothing to change: give state, meeting_at or note",
        ));
    }
    if let Some(wanted) = change.state {
        if wanted == HelpState::Withdrawn {
            return Err(ApiError::conflict(
                Some("state"),
                "only the student withdraws a request",
            ));
        }
        if row.state.next() != Some(wanted) {
            let detail = match row.state.next() {
                Some(step) => format!(
                    "a request that is {} moves to {} next, not {}",
                    row.state.as_str(),
                    step.as_str(),
                    wanted.as_str()
                ),
                None => format!("a request that is {} does not change", row.state.as_str()),
            };
            return Err(ApiError::conflict(Some("state"), detail));
        }
        next.state = wanted;
        match wanted {
            HelpState::Acknowledged => {
                next.acknowledged_at = Some(now);
                next.acknowledged_by = Some(caller.user_id.clone());
            }
            HelpState::Met => next.met_at = Some(now),
            HelpState::Closed => {
                let Some(reason) = change.closing_reason else {
                    return Err(ApiError::invalid(
                        "closing_reason",
                        "is required when closing a request",
                    ));
                };
                next.closed_at = Some(now);
                next.closing_reason = Some(reason);
            }
            HelpState::New | HelpState::Withdrawn => {}
        }
    }
    if change.meeting_at.is_some() && !next.state.is_open() {
        return Err(ApiError::conflict(
            Some("meeting_at"),
            format!(
                "a request that is {} has no meeting to plan",
                next.state.as_str()
            ),
        ));
    }
    if let Some(at) = change.meeting_at {
        next.meeting_at = Some(db::truncate(at.naive_utc()));
    }
    Ok(next)
}
