//! Logging a mentoring meeting (counselors and school administrators, for their school's
//! matches), through `mentoring::meetings::log_meeting` as `POST …/meetings`: a started match,
//! a day between its start and today, the fixed topics.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;

use crate::accounts::SchoolStaff;
use crate::dates::today;
use crate::error::ApiError;
use crate::mentoring::dto::NewMeeting;
use crate::mentoring::meetings::log_meeting;
use crate::mentoring::vocab::Topic;
use crate::state::AppState;
use crate::web::forms::FormFields;
use crate::web::page::{field_errors, render, see_other, text, Frame, Viewer, WebError};

#[derive(Template)]
#[template(path = "staff/meeting.html")]
struct MeetingPage {
    frame: Frame,
    match_id: String,
    met_on: String,
    minutes: String,
    /// Value, label, chosen.
    topics: Vec<(&'static str, &'static str, bool)>,
    note: String,
    errors: HashMap<String, String>,
}

impl MeetingPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

fn page(
    viewer: &Viewer<SchoolStaff>,
    match_id: String,
    (met_on, minutes, chosen, note): (String, String, Vec<String>, String),
    errors: HashMap<String, String>,
) -> Result<HttpResponse, WebError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &MeetingPage {
            frame: Frame::new(viewer, text().meeting_title, "/mentoring"),
            match_id,
            met_on,
            minutes,
            topics: Topic::ALL
                .iter()
                .map(|t| {
                    (
                        t.as_str(),
                        text().word(t.as_str()),
                        chosen.iter().any(|c| c == t.as_str()),
                    )
                })
                .collect(),
            note,
            errors,
        },
    )
}

pub async fn form(
    viewer: Viewer<SchoolStaff>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let values = (
        today().to_string(),
        "30".to_owned(),
        Vec::new(),
        String::new(),
    );
    page(&viewer, path.into_inner(), values, HashMap::new())
}

pub async fn record(
    state: web::Data<AppState>,
    viewer: Viewer<SchoolStaff>,
    path: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let t = text();
    let id = path.into_inner();
    let met_on = form.get("met_on").unwrap_or("").to_owned();
    let minutes = form.get("minutes").unwrap_or("").to_owned();
    let chosen: Vec<String> = form.all("topics").map(str::to_owned).collect();
    let note = form.raw("note").unwrap_or("").to_owned();
    let mut errors = HashMap::new();
    let day = NaiveDate::parse_from_str(&met_on, "%Y-%m-%d").ok();
    if day.is_none() {
        errors.insert("met_on".to_owned(), t.not_a_date.to_owned());
    }
    let length = minutes.parse::<i32>().ok();
    if length.is_none() {
        errors.insert("minutes".to_owned(), t.meeting_minutes_number.to_owned());
    }
    let topics: Vec<Topic> = chosen.iter().filter_map(|c| Topic::parse(c)).collect();
    if topics.is_empty() {
        errors.insert("topics".to_owned(), t.choose_one.to_owned());
    }
    let values = (met_on, minutes, chosen, note.clone());
    let (Some(met_on), Some(minutes), true) = (day, length, errors.is_empty()) else {
        return page(&viewer, id, values, errors);
    };
    let trimmed = note.trim();
    let new = NewMeeting {
        met_on,
        minutes,
        topics,
        note: (!trimmed.is_empty()).then(|| trimmed.to_owned()),
    };
    let outcome = match validator::Validate::validate(&new) {
        Err(e) => Err(ApiError::from(e)),
        Ok(()) => {
            let (caller, match_id) = ((**viewer).clone(), id.clone());
            state
                .db
                .write(move |conn| log_meeting(conn, &caller, &match_id, new))
                .await
        }
    };
    match outcome {
        Ok(_) => Ok(see_other("/mentoring?met=1")),
        Err(e) => match field_errors(&e) {
            Some(fields) => {
                errors.extend(fields);
                page(&viewer, id, values, errors)
            }
            None => match e {
                ApiError::Conflict { detail, .. } => {
                    errors.insert("met_on".to_owned(), detail);
                    page(&viewer, id, values, errors)
                }
                e => Err(e.into()),
            },
        },
    }
}
