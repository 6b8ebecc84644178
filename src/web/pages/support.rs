//! The student's check-in and request for help (through the support domain's own functions:
//! the same rules, audit and escalation as `PUT /me/check-ins` and `POST /help-requests`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::accounts::Students;
use crate::error::ApiError;
use crate::lessons::vocab::Emotion;
use crate::state::AppState;
use crate::support::check_ins;
use crate::support::dto::{CheckIn, CheckInInput, NewHelpRequest, TrustedAdults};
use crate::support::help_requests;
use crate::support::vocab::{HelpTopic, Urgency};
use crate::web::forms::FormFields;
use crate::web::page::{field_errors, render, see_other, text, Frame, Viewer, WebError};

/// One radio button: value, label, chosen.
pub type Radio = (&'static str, &'static str, bool);

fn radios<T: Copy>(all: &[T], as_str: fn(T) -> &'static str, chosen: Option<&str>) -> Vec<Radio> {
    all.iter()
        .map(|v| {
            let key = as_str(*v);
            (key, text().word(key), chosen == Some(key))
        })
        .collect()
}

/// Today's check-in of the student, if any (in the district's time zone).
pub fn today_of(
    conn: &mut crate::db::DbConnection,
    student: &crate::accounts::Authorized<Students>,
) -> Result<(Option<CheckIn>, String, String), ApiError> {
    let settings = crate::support::queries::settings(conn, &student.district_id)?;
    let today = settings.clock().local_day(crate::db::now());
    let mine = check_ins::mine(conn, student, 1)?;
    let todays = mine
        .weeks
        .into_iter()
        .flat_map(|w| w.check_ins)
        .find(|c| c.on == today);
    Ok((todays, mine.who_can_read.summary, mine.crisis_message))
}

#[derive(Template)]
#[template(path = "student/check_in.html")]
struct CheckInPage {
    frame: Frame,
    feelings: Vec<Radio>,
    strengths: Vec<(String, &'static str, bool)>,
    note: String,
    talk: bool,
    who_can_read: String,
    crisis: String,
    errors: std::collections::HashMap<String, String>,
}

impl CheckInPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// The check-in form, with today's answers if the student already checked in.
pub async fn check_in_form(
    state: web::Data<AppState>,
    viewer: Viewer<Students>,
) -> Result<HttpResponse, WebError> {
    let student = viewer.who.clone();
    let (todays, who, crisis) = state.db.run(move |conn| today_of(conn, &student)).await?;
    let values = CheckInValues {
        feeling: todays.as_ref().map(|c| c.emotion.as_str().to_owned()),
        strength: todays.as_ref().map(|c| c.intensity.to_string()),
        note: todays.and_then(|c| c.note).unwrap_or_default(),
        talk: false,
    };
    check_in_page(
        StatusCode::OK,
        viewer,
        values,
        who,
        crisis,
        Default::default(),
    )
}

struct CheckInValues {
    feeling: Option<String>,
    strength: Option<String>,
    note: String,
    talk: bool,
}

fn check_in_page(
    status: StatusCode,
    viewer: Viewer<Students>,
    values: CheckInValues,
    who_can_read: String,
    crisis: String,
    errors: std::collections::HashMap<String, String>,
) -> Result<HttpResponse, WebError> {
    let t = text();
    render(
        status,
        &CheckInPage {
            frame: Frame::new(&viewer, t.checkin_title, "/"),
            feelings: radios(Emotion::ALL, Emotion::as_str, values.feeling.as_deref()),
            strengths: t
                .checkin_strengths
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    let v = (i + 1).to_string();
                    let chosen = values.strength.as_deref() == Some(v.as_str());
                    (v, *label, chosen)
                })
                .collect(),
            note: values.note,
            talk: values.talk,
            who_can_read,
            crisis,
            errors,
        },
    )
}

/// Records the check-in; back to Today.
pub async fn check_in(
    state: web::Data<AppState>,
    viewer: Viewer<Students>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let t = text();
    let values = CheckInValues {
        feeling: form.get("emotion").map(str::to_owned),
        strength: form.get("intensity").map(str::to_owned),
        note: form.raw("note").unwrap_or("").to_owned(),
        talk: form.get("wants_to_talk").is_some(),
    };
    let mut errors = std::collections::HashMap::new();
    let emotion = values.feeling.as_deref().and_then(Emotion::parse);
    if emotion.is_none() {
        errors.insert("emotion".to_owned(), t.choose_one.to_owned());
    }
    let intensity = values
        .strength
        .as_deref()
        .and_then(|s| s.parse::<i32>().ok());
    if intensity.is_none() {
        errors.insert("intensity".to_owned(), t.choose_one.to_owned());
    }
    let outcome = match (emotion, intensity) {
        (Some(emotion), Some(intensity)) => {
            let note = values.note.trim();
            let input = CheckInInput {
                emotion,
                intensity,
                note: (!note.is_empty()).then(|| note.to_owned()),
                on: None,
                wants_to_talk: values.talk,
            };
            match validator::Validate::validate(&input) {
                Err(e) => Err(ApiError::from(e)),
                Ok(()) => {
                    let student = viewer.who.clone();
                    state
                        .db
                        .write(move |conn| check_ins::record(conn, &student, &input))
                        .await
                        .map(|_| ())
                }
            }
        }
        _ => Err(ApiError::Validation(Vec::new())),
    };
    match outcome {
        Ok(()) => Ok(see_other("/?checked_in=1")),
        Err(e) => {
            let Some(fields) = field_errors(&e) else {
                return Err(e.into());
            };
            errors.extend(fields);
            let student = viewer.who.clone();
            let (_, who, crisis) = state.db.run(move |conn| today_of(conn, &student)).await?;
            check_in_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                viewer,
                values,
                who,
                crisis,
                errors,
            )
        }
    }
}

#[derive(Template)]
#[template(path = "student/help.html")]
struct HelpPage {
    frame: Frame,
    adults: TrustedAdults,
    to: String,
    topics: Vec<Radio>,
    urgencies: Vec<Radio>,
    message: String,
    errors: std::collections::HashMap<String, String>,
}

impl HelpPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

struct HelpValues {
    to: String,
    topic: Option<String>,
    urgency: Option<String>,
    message: String,
}

async fn help_page(
    state: &AppState,
    status: StatusCode,
    viewer: Viewer<Students>,
    values: HelpValues,
    errors: std::collections::HashMap<String, String>,
) -> Result<HttpResponse, WebError> {
    let student = viewer.who.clone();
    let adults = state
        .db
        .run(move |conn| help_requests::trusted_adults_of(conn, &student))
        .await?;
    render(
        status,
        &HelpPage {
            frame: Frame::new(&viewer, text().help_title, "/"),
            adults,
            to: values.to,
            topics: radios(HelpTopic::ALL, HelpTopic::as_str, values.topic.as_deref()),
            urgencies: radios(
                Urgency::ALL,
                Urgency::as_str,
                Some(values.urgency.as_deref().unwrap_or("this_week")),
            ),
            message: values.message,
            errors,
        },
    )
}

/// The request-for-help form: who, about what, how soon.
pub async fn help_form(
    state: web::Data<AppState>,
    viewer: Viewer<Students>,
) -> Result<HttpResponse, WebError> {
    let values = HelpValues {
        to: String::new(),
        topic: None,
        urgency: None,
        message: String::new(),
    };
    help_page(&state, StatusCode::OK, viewer, values, Default::default()).await
}

/// Sends the request; back to Today.
pub async fn ask_for_help(
    state: web::Data<AppState>,
    viewer: Viewer<Students>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let t = text();
    let values = HelpValues {
        to: form.get("to").unwrap_or("").to_owned(),
        topic: form.get("topic").map(str::to_owned),
        urgency: form.get("urgency").map(str::to_owned),
        message: form.raw("message").unwrap_or("").to_owned(),
    };
    let topic = values.topic.as_deref().and_then(HelpTopic::parse);
    let urgency = values.urgency.as_deref().and_then(Urgency::parse);
    let mut errors = std::collections::HashMap::new();
    if topic.is_none() {
        errors.insert("topic".to_owned(), t.choose_one.to_owned());
    }
    if urgency.is_none() {
        errors.insert("urgency".to_owned(), t.choose_one.to_owned());
    }
    let outcome = match (topic, urgency) {
        (Some(topic), Some(urgency)) => {
            let message = values.message.trim();
            let new = NewHelpRequest {
                to: (!values.to.is_empty()).then(|| values.to.clone()),
                topic,
                urgency,
                message: (!message.is_empty()).then(|| message.to_owned()),
            };
            match validator::Validate::validate(&new) {
                Err(e) => Err(ApiError::from(e)),
                Ok(()) => {
                    let student = viewer.who.clone();
                    state
                        .db
                        .write(move |conn| help_requests::ask(conn, &student, new))
                        .await
                        .map(|_| ())
                }
            }
        }
        _ => Err(ApiError::Validation(Vec::new())),
    };
    match outcome {
        Ok(()) => Ok(see_other("/?asked=1")),
        Err(e) => match field_errors(&e) {
            Some(fields) => {
                errors.extend(fields);
                help_page(
                    &state,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    viewer,
                    values,
                    errors,
                )
                .await
            }
            None => Err(e.into()),
        },
    }
}
