//! Taking a survey: the student's open windows, the questionnaire, and the one-time anonymous
//! submission. Nothing here logs a body, returns a response id, or stores who answered what.

use std::collections::{HashMap, HashSet};

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{NaiveDateTime, TimeDelta};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::ballot_box::{self, Ballot};
use super::dto::{Answer, Submission};
use super::models::{options, ItemRow, Questionnaire, Section, Window, WindowRow, WindowState};
use super::queries::{self, PublishedItems, Recorded};
use super::roster;
use super::scope;
use crate::accounts::{Authorized, Caller, Role, Students};
use crate::authz::Visible;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, FieldError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidJson};
use crate::seal::SealKeys;
use crate::state::AppState;

/// A student's school and grade, as the caller was loaded for this request.
fn student_placement(student: &Caller) -> Result<(&str, i32), ApiError> {
    student
        .school()
        .zip(student.grade)
        .ok_or_else(|| ApiError::forbidden("only students with a school and grade take surveys"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MySurveys {
    /// Open windows offered to you that you have not taken yet.
    pub items: Vec<Window>,
}

/// The open windows offered to the student that they have not taken yet (the API's
/// `GET /me/surveys` and the web's Today page).
pub async fn open_for_student(
    state: &AppState,
    student: &Authorized<Students>,
) -> Result<Vec<Window>, ApiError> {
    let student = (**student).clone();
    let (keys, settle) = (state.seal_keys.clone(), state.config.settle_period());
    state
        .db
        .run(move |conn| {
            student_placement(&student)?;
            // Windows that opened since the job last ran are frozen first (each in its own
            // transaction): who may take a window is decided by its roster.
            roster::freeze_due(conn, &keys, settle, Some(&student.district_id))?;
            let now = db::now();
            queries::open_windows_for_student(conn, &student.user_id, now)?
                .iter()
                .map(|w| queries::window_view(conn, w, now))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
}

/// The surveys you can take now.
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])),
    responses(
        (status = 200, body = MySurveys),
        Forbidden,
    )
)]
#[get("/me/surveys")]
pub async fn my_surveys(
    state: web::Data<AppState>,
    caller: Authorized<Students>,
) -> Result<web::Json<MySurveys>, ApiError> {
    let items = open_for_student(&state, &caller).await?;
    Ok(web::Json(MySurveys { items }))
}

/// The questions of a window the caller can see, by section.
pub async fn questionnaire_of(
    state: &AppState,
    caller: Caller,
    id: String,
) -> Result<Questionnaire, ApiError> {
    state
        .db
        .run(move |conn| {
            let window = scope::window(conn, &caller, &id)?;
            let instrument = queries::published_instrument(conn, &window.instrument_id)?;
            let items = queries::instrument_items(conn, &instrument.id)?;
            let mut sections: Vec<Section> = Vec::new();
            for section in instrument.with_items(items).sections {
                sections.push(Section {
                    title: section.title,
                    items: section
                        .items
                        .into_iter()
                        .map(|mut i| {
                            i.options = options(i.scale);
                            i
                        })
                        .collect(),
                });
            }
            Ok(Questionnaire {
                window_id: window.id.clone(),
                title: instrument.title,
                description: instrument.description,
                closes_at: window.closes_at,
                sections,
            })
        })
        .await
}

/// The questions of a window, each with its `id` and answer `options` (`value`, `label`).
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = Questionnaire),
        NotFound,
    )
)]
#[get("/survey-windows/{id}/questionnaire")]
pub async fn questionnaire(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<Questionnaire>, ApiError> {
    let questionnaire = questionnaire_of(&state, caller, path.into_inner().id).await?;
    Ok(web::Json(questionnaire))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionReceipt {
    /// A thank-you; deliberately no identifier of the response.
    pub message: String,
}

const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Submit all answers at once, anonymously. Answers are stored without your name, without a
/// time, and with a random id that is never returned. A second submission is refused (409),
/// except a retry carrying the same `Idempotency-Key`, which is answered as the first was.
#[utoipa::path(
    tag = "surveys", security(("bearer" = [])), params(IdPath,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried submission safe (1-200 characters)")),
    request_body = Submission,
    responses(
        (status = 201, body = SubmissionReceipt),
        (status = 403, description = "Not a student offered this survey, or opted out by a guardian"),
        NotFound,
        (status = 409, description = "Already taken, or the window is not open"),
    )
)]
#[post("/survey-windows/{id}/responses")]
pub async fn submit(
    state: web::Data<AppState>,
    published_items: web::Data<PublishedItems>,
    caller: Caller,
    path: web::Path<IdPath>,
    req: HttpRequest,
    body: ValidJson<Submission>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().id;
    let key_hash = match req.headers().get(IDEMPOTENCY_HEADER) {
        None => None,
        Some(v) => {
            let key = v
                .to_str()
                .ok()
                .filter(|k| (1..=200).contains(&k.len()))
                .ok_or_else(|| {
                    ApiError::invalid(
                        IDEMPOTENCY_HEADER,
                        "must be 1 to 200 visible ASCII characters",
                    )
                })?;
            // Hashed with the account id so a key reveals nothing and cannot collide across students.
            Some(format!(
                "{:x}",
                Sha256::digest(format!("{}:{key}", caller.user_id).as_bytes())
            ))
        }
    };
    submit_answers(
        &state,
        &published_items,
        caller,
        id,
        body.0.answers,
        key_hash,
    )
    .await?;
    Ok(HttpResponse::Created().json(SubmissionReceipt {
        message: "Thank you. Your answers were recorded anonymously.".to_owned(),
    }))
}

/// Records a student's answers to a window, once: the API's submission and the web's survey
/// form. `key_hash` makes a retry with the same idempotency key succeed as the first did; a
/// second submission otherwise is a 409.
pub async fn submit_answers(
    state: &AppState,
    published_items: &web::Data<PublishedItems>,
    caller: Caller,
    id: String,
    answers: Vec<Answer>,
    key_hash: Option<String>,
) -> Result<(), ApiError> {
    let answers = std::sync::Arc::new(answers);
    let attempt = || {
        let (caller, id, answers, key_hash) = (
            caller.clone(),
            id.clone(),
            answers.clone(),
            key_hash.clone(),
        );
        let (keys, published_items) = (state.seal_keys.clone(), published_items.clone());
        let settle = state.config.settle_period();
        state.db.write(move |conn| {
            // Checked here rather than by taking `Authorized<Students>`, which would answer
            // staff differently: before the body and the Idempotency-Key are checked (their 400,
            // 408, 413, 415 and 422 would become 403) and with its own detail.
            if caller.role != Role::Student {
                return Err(ApiError::forbidden("only students answer climate surveys"));
            }
            let window = scope::window(conn, &caller, &id)?;
            let items = published_items.get(conn, &window.instrument_id)?;
            let outcome = record_answers(
                conn,
                &window,
                &items,
                &caller,
                &answers,
                key_hash.as_deref(),
                db::now(),
                (&keys, settle),
            )?;
            Ok((outcome, WindowRow::clone(&window)))
        })
    };
    let mut outcome = attempt().await?;
    if let (Recorded::NotFrozen, window) = &outcome {
        // The first submission after the window opened (before the job's next run) freezes it,
        // in a transaction of its own, then submits.
        let (window, keys, settle) = (
            window.clone(),
            state.seal_keys.clone(),
            state.config.settle_period(),
        );
        state
            .db
            .run(move |conn| roster::ensure_frozen(conn, &window, &keys, settle))
            .await?;
        outcome = attempt().await?;
    }
    if matches!(outcome.0, Recorded::New) {
        crate::metrics::global().submission_accepted();
    }
    match outcome.0 {
        Recorded::New | Recorded::Replayed => Ok(()),
        Recorded::AlreadyTaken => Err(ApiError::conflict(
            None,
            "you have already taken this survey",
        )),
        Recorded::NotFrozen => Err(ApiError::internal(
            "a window stayed unfrozen after freezing",
        )),
    }
}

/// Validates and records one student's answers, sealed (the submission's one code path, also
/// used by the demo and synthetic-data generators). Runs inside the caller's write
/// transaction; `items` are the items of the window's instrument, in position order.
#[allow(clippy::too_many_arguments)]
pub fn record_answers(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    items: &[ItemRow],
    student: &Caller,
    answers: &[Answer],
    key_hash: Option<&str>,
    now: NaiveDateTime,
    (keys, settle): (&SealKeys, TimeDelta),
) -> Result<Recorded, ApiError> {
    match window.state_at(now) {
        WindowState::Open => {}
        WindowState::Upcoming => {
            return Err(ApiError::conflict(None, "this survey is not open yet"))
        }
        WindowState::Closed => return Err(ApiError::conflict(None, "this survey has closed")),
    }
    debug_assert!(items
        .iter()
        .all(|i| i.instrument_id == window.instrument_id));
    // Bad input is refused before anything else happens, freezing included.
    let values = validate(items, answers)?;
    let (Some(_), Some(wrapped)) = (window.frozen_at, window.sealed_key.as_deref()) else {
        return Ok(Recorded::NotFrozen);
    };
    // The cell the student had when the window opened, not where they are now.
    let placement = roster::placement(conn, window, &student.user_id, settle)?
        .ok_or(ApiError::NotFound("survey window"))?;
    if placement.opted_out_at_opening || placement.opted_out_now {
        return Err(ApiError::forbidden(
            "a guardian opted you out of this survey",
        ));
    }
    let key = keys
        .unwrap_data_key(wrapped, &window.id)
        .map_err(|e| ApiError::internal(format!("window {}: {e}", window.id)))?;
    let ballot = Ballot {
        school_id: placement.school_id,
        grade: placement.grade,
        settled: placement.settled,
        answers: values,
    };
    let envelope = ballot_box::seal(&key, &window.id, &ballot);
    queries::record_submission(conn, &window.id, &student.user_id, &envelope, key_hash)
}

/// The value given to each item, in the items' order (0: not answered), or every problem.
/// Problems name the field, never the value sent.
fn validate(items: &[ItemRow], answers: &[Answer]) -> Result<Vec<u8>, ApiError> {
    let position: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.id.as_str(), i))
        .collect();
    let mut errors = Vec::new();
    let mut values = vec![0u8; items.len()];
    let mut seen = HashSet::new();
    for (i, answer) in answers.iter().enumerate() {
        let Some(&p) = position.get(answer.item_id.as_str()) else {
            errors.push(FieldError::new(
                format!("answers[{i}].item_id"),
                "not an item of this survey",
            ));
            continue;
        };
        if !seen.insert(p) {
            errors.push(FieldError::new(
                format!("answers[{i}].item_id"),
                "answered twice",
            ));
            continue;
        }
        let item = &items[p];
        match u8::try_from(answer.value) {
            Ok(v) if item.scale().accepts(answer.value) => values[p] = v,
            _ => {
                let allowed: Vec<String> = item
                    .scale()
                    .options()
                    .iter()
                    .map(|(v, _)| v.to_string())
                    .collect();
                errors.push(FieldError::new(
                    format!("answers[{i}].value"),
                    format!("must be one of {}", allowed.join(", ")),
                ));
            }
        }
    }
    for (p, item) in items.iter().enumerate() {
        if item.required && !seen.contains(&p) {
            errors.push(FieldError::new(
                "answers",
                format!("item {} ({}) is required", item.position, item.id),
            ));
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(ApiError::Validation(errors))
    }
}
