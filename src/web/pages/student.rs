//! The student's pages: today (surveys to take, lessons), taking a survey one part per
//! screen, and finishing a lesson with a feeling and a reflection.
//!
//! A survey's answers live only in the form while it is being taken: each part's page carries
//! the earlier parts' answers as hidden fields, and nothing is stored (on the server or in the
//! browser: the pages are `no-store` and use no script) until the last part is sent, once,
//! through the API's own submission (`surveys::responses::submit_answers`).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::accounts::Students;
use crate::dates::today;
use crate::error::ApiError;
use crate::lessons::assignments as lessons;
use crate::lessons::dto::{CompletionRequest, MyAssignmentState};
use crate::lessons::models::AssignmentDetail;
use crate::lessons::vocab::Emotion;
use crate::mentoring::vocab::ParticipantRole;
use crate::pagination::PageParams;
use crate::state::AppState;
use crate::support::dto::{CheckIn, HelpRequest};
use crate::support::vocab::HelpState;
use crate::surveys::dto::Answer;
use crate::surveys::models::{Questionnaire, Window};
use crate::surveys::queries::{self as survey_queries, PublishedItems};
use crate::surveys::responses;
use crate::web::forms::FormFields;
use crate::web::page::{field_errors, field_message, render, see_other, Frame, Viewer, WebError};

/// A lesson on the Today page.
pub struct LessonLink {
    pub id: String,
    pub title: String,
    pub class_name: String,
    pub scheduled_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
}

/// A mentoring partner on the Today page: "You mentor …" or "Your mentor …".
pub struct Partner {
    pub program: String,
    pub label: &'static str,
    pub names: Vec<String>,
}

#[derive(Template)]
#[template(path = "student/today.html")]
struct Today {
    frame: Frame,
    notice: Option<&'static str>,
    check_in: Option<CheckIn>,
    mentoring: Vec<Partner>,
    requests: Vec<HelpRequest>,
    surveys: Vec<Window>,
    due: Vec<LessonLink>,
    upcoming: Vec<LessonLink>,
    done: Vec<LessonLink>,
}

#[derive(serde::Deserialize, Default)]
pub struct TodayQuery {
    checked_in: Option<String>,
    asked: Option<String>,
}

/// Today: how the student is, the surveys to take, the lessons (due first), mentoring and
/// requests for help.
pub async fn today_page(
    state: web::Data<AppState>,
    viewer: Viewer<Students>,
    query: TodayQuery,
) -> Result<HttpResponse, WebError> {
    let t = crate::web::page::text();
    let surveys = responses::open_for_student(&state, &viewer).await?;
    let (day, student) = (today(), viewer.who.clone());
    let (lessons, (check_in, _, _), mentoring, requests) = state
        .db
        .run(move |conn| {
            let paging = PageParams {
                page: Some(1),
                limit: Some(100),
            };
            let lessons = lessons::student_assignments(conn, &student, None, paging, day)?;
            let check_in = super::support::today_of(conn, &student)?;
            let mentoring = crate::mentoring::meetings::mine(conn, &student)?;
            let open = PageParams {
                page: Some(1),
                limit: Some(10),
            };
            let requests = crate::support::help_requests::list(conn, &student, None, false, open)?;
            Ok((lessons, check_in, mentoring, requests.items))
        })
        .await?;
    let mentoring = mentoring
        .items
        .into_iter()
        .map(|p| Partner {
            program: p.program.name,
            label: match p.role {
                ParticipantRole::Mentor => t.mentoring_you_mentor,
                ParticipantRole::Mentee => t.mentoring_your_mentor,
            },
            names: p
                .matches
                .iter()
                .map(|m| format!("{} {}", m.partner.given_name, m.partner.family_name))
                .collect(),
        })
        .collect();
    let notice = if query.checked_in.is_some() {
        Some(t.checkin_saved)
    } else if query.asked.is_some() {
        Some(t.help_sent)
    } else {
        None
    };
    let mut today_page = Today {
        frame: Frame::new(&viewer, t.today_title, "/"),
        notice,
        check_in,
        mentoring,
        requests: requests
            .into_iter()
            .filter(|r| !matches!(r.state, HelpState::Closed | HelpState::Withdrawn))
            .collect(),
        surveys,
        due: Vec::new(),
        upcoming: Vec::new(),
        done: Vec::new(),
    };
    for item in lessons.items {
        let link = LessonLink {
            id: item.assignment.id,
            title: item.assignment.title,
            class_name: item.class_name,
            scheduled_on: item.assignment.scheduled_on,
            due_on: item.assignment.due_on,
        };
        match item.state {
            MyAssignmentState::Due => today_page.due.push(link),
            MyAssignmentState::Upcoming => today_page.upcoming.push(link),
            MyAssignmentState::Done => today_page.done.push(link),
        }
    }
    render(StatusCode::OK, &today_page)
}

#[derive(Template)]
#[template(path = "student/survey_intro.html")]
struct SurveyIntro {
    frame: Frame,
    window: Window,
}

#[derive(Template)]
#[template(path = "student/survey_message.html")]
struct SurveyMessage {
    frame: Frame,
    heading: String,
    message: &'static str,
}

/// A survey's first page: what it is, who can see the answers, and Start. A survey already
/// taken (or not open) says so.
pub async fn survey_intro(
    state: web::Data<AppState>,
    viewer: Viewer<Students>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let open = responses::open_for_student(&state, &viewer).await?;
    match open.into_iter().find(|w| w.id == id) {
        Some(window) => render(
            StatusCode::OK,
            &SurveyIntro {
                frame: Frame::new(&viewer, window.title.clone(), "/"),
                window,
            },
        ),
        None => not_open(&state, viewer, id).await,
    }
}

/// The page of a survey the student cannot take now: already taken, or not open to them.
async fn not_open(
    state: &AppState,
    viewer: Viewer<Students>,
    id: String,
) -> Result<HttpResponse, WebError> {
    let t = crate::web::page::text();
    let (student_id, window_id) = (viewer.user_id.clone(), id.clone());
    let taken = state
        .db
        .run(move |conn| Ok(survey_queries::has_taken(conn, &window_id, &student_id)?))
        .await?;
    // The questionnaire's own scope check: a window the student is not offered is a 404.
    let questionnaire = responses::questionnaire_of(state, (**viewer).clone(), id).await?;
    let (status, message) = if taken {
        (StatusCode::CONFLICT, t.survey_taken)
    } else {
        (StatusCode::CONFLICT, t.survey_not_open)
    };
    render(
        status,
        &SurveyMessage {
            frame: Frame::new(&viewer, questionnaire.title.clone(), "/"),
            heading: questionnaire.title,
            message,
        },
    )
}

/// One question of a part, as the form shows it.
pub struct Question {
    pub field: String,
    pub prompt: String,
    pub required: bool,
    /// Value, label, chosen.
    pub options: Vec<(i32, String, bool)>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "student/survey_part.html")]
struct SurveyPart {
    frame: Frame,
    window_id: String,
    title: String,
    part: usize,
    parts: usize,
    part_label: String,
    section_title: String,
    questions: Vec<Question>,
    /// Answers of the other parts, carried in the form.
    carried: Vec<(String, i32)>,
    /// The submission's idempotency token: a second click of Send is answered as the first.
    attempt: String,
    summary: Option<String>,
}

const FIELD_PREFIX: &str = "q.";

/// Answers in the form, by item id; values that are not numbers are kept as errors.
fn answers_in(form: &FormFields, q: &Questionnaire) -> (HashMap<String, i32>, Vec<String>) {
    let mut answers = HashMap::new();
    let mut bad = Vec::new();
    for section in &q.sections {
        for item in &section.items {
            if let Some(v) = form.get(&format!("{FIELD_PREFIX}{}", item.id)) {
                match v.parse::<i32>() {
                    Ok(v) => {
                        answers.insert(item.id.clone(), v);
                    }
                    Err(_) => bad.push(item.id.clone()),
                }
            }
        }
    }
    (answers, bad)
}

/// A survey part posted: Start, Back, Next or Send.
pub async fn survey_step(
    state: web::Data<AppState>,
    published_items: web::Data<PublishedItems>,
    viewer: Viewer<Students>,
    path: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let t = crate::web::page::text();
    let id = path.into_inner();
    let questionnaire = responses::questionnaire_of(&state, (**viewer).clone(), id.clone()).await?;
    // Once sent, a survey's parts are never drawn again, whatever a browser replays (the Back
    // button of a shared computer re-posts the earlier parts' answers).
    let (student_id, window_id) = (viewer.user_id.clone(), id.clone());
    let taken = state
        .db
        .run(move |conn| Ok(survey_queries::has_taken(conn, &window_id, &student_id)?))
        .await?;
    if taken {
        return not_open(&state, viewer, id).await;
    }
    let parts = questionnaire.sections.len().max(1);
    let part = form
        .get("part")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(0)
        .min(parts - 1);
    let (answers, bad) = answers_in(&form, &questionnaire);
    let attempt = form
        .get("attempt")
        .filter(|a| a.len() <= 64)
        .map(str::to_owned)
        .unwrap_or_else(crate::db::new_id);
    let mut errors: HashMap<String, String> = bad
        .into_iter()
        .map(|item| (item, t.survey_answer_this.to_owned()))
        .collect();
    let missing_here = |errors: &mut HashMap<String, String>| {
        for item in questionnaire
            .sections
            .get(part)
            .map(|s| &s.items[..])
            .unwrap_or(&[])
        {
            if item.required && !answers.contains_key(&item.id) {
                errors.insert(item.id.clone(), t.survey_answer_this.to_owned());
            }
        }
    };
    let go = form.get("go").unwrap_or("start");
    let show = match go {
        "back" => part.saturating_sub(1),
        "next" | "send" => {
            missing_here(&mut errors);
            if !errors.is_empty() {
                part
            } else if go == "next" {
                (part + 1).min(parts - 1)
            } else {
                let sent: Vec<Answer> = questionnaire
                    .sections
                    .iter()
                    .flat_map(|s| &s.items)
                    .filter_map(|i| {
                        answers.get(&i.id).map(|&value| Answer {
                            item_id: i.id.clone(),
                            value,
                        })
                    })
                    .collect();
                let key_hash = format!(
                    "{:x}",
                    Sha256::digest(format!("{}:web:{attempt}", viewer.user_id).as_bytes())
                );
                let outcome = responses::submit_answers(
                    &state,
                    &published_items,
                    (**viewer).clone(),
                    id.clone(),
                    sent.clone(),
                    Some(key_hash),
                )
                .await;
                match outcome {
                    Ok(()) => return Ok(see_other(&format!("/surveys/{id}/thanks"))),
                    Err(ApiError::Conflict { .. }) => return not_open(&state, viewer, id).await,
                    Err(e) => match field_errors(&e) {
                        Some(fields) => {
                            // "answers[3].value" names the fourth answer sent.
                            for (field, message) in fields {
                                let item = field
                                    .strip_prefix("answers[")
                                    .and_then(|r| r.split(']').next())
                                    .and_then(|i| i.parse::<usize>().ok())
                                    .and_then(|i| sent.get(i))
                                    .map(|a| a.item_id.clone());
                                match item {
                                    Some(item) => {
                                        errors.insert(item, message);
                                    }
                                    None => {
                                        errors.insert(String::new(), message);
                                    }
                                }
                            }
                            // Shown on the part that holds the first item with a problem.
                            questionnaire
                                .sections
                                .iter()
                                .position(|s| s.items.iter().any(|i| errors.contains_key(&i.id)))
                                .unwrap_or(part)
                        }
                        None => return Err(e.into()),
                    },
                }
            }
        }
        _ => 0,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let summary = (!errors.is_empty()).then(|| t.fix_errors.to_owned());
    let section = &questionnaire.sections[show.min(questionnaire.sections.len().saturating_sub(1))];
    let here: Vec<&str> = section.items.iter().map(|i| i.id.as_str()).collect();
    let questions = section
        .items
        .iter()
        .map(|item| Question {
            field: format!("{FIELD_PREFIX}{}", item.id),
            prompt: item.prompt.clone(),
            required: item.required,
            options: item
                .options
                .iter()
                .map(|o| {
                    (
                        o.value,
                        o.label.clone(),
                        answers.get(&item.id) == Some(&o.value),
                    )
                })
                .collect(),
            error: errors.get(&item.id).cloned(),
        })
        .collect();
    let mut carried: Vec<(String, i32)> = questionnaire
        .sections
        .iter()
        .flat_map(|s| &s.items)
        .filter(|i| !here.contains(&i.id.as_str()))
        .filter_map(|i| {
            answers
                .get(&i.id)
                .map(|&v| (format!("{FIELD_PREFIX}{}", i.id), v))
        })
        .collect();
    carried.sort();
    render(
        status,
        &SurveyPart {
            frame: Frame::new(&viewer, questionnaire.title.clone(), "/"),
            window_id: id,
            title: questionnaire.title.clone(),
            part: show,
            parts,
            part_label: t.part_of(show + 1, parts),
            section_title: section.title.clone(),
            questions,
            carried,
            attempt,
            summary: summary.or_else(|| errors.get("").cloned()),
        },
    )
}

/// After sending: thanks, and nothing of the answers.
pub async fn survey_thanks(viewer: Viewer<Students>) -> Result<HttpResponse, WebError> {
    let t = crate::web::page::text();
    render(
        StatusCode::OK,
        &SurveyMessage {
            frame: Frame::new(&viewer, t.survey_thanks_title, "/"),
            heading: t.survey_thanks_title.to_owned(),
            message: t.survey_thanks,
        },
    )
}

#[derive(Template)]
#[template(path = "student/lesson.html")]
struct LessonPage {
    frame: Frame,
    detail: AssignmentDetail,
    /// Value, label, chosen.
    feelings: Vec<(&'static str, &'static str, bool)>,
    reflection: String,
    ready: bool,
    done_now: bool,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct LessonQuery {
    done: Option<String>,
}

fn feelings(chosen: Option<&str>) -> Vec<(&'static str, &'static str, bool)> {
    let t = crate::web::page::text();
    Emotion::ALL
        .iter()
        .map(|e| (e.as_str(), t.word(e.as_str()), chosen == Some(e.as_str())))
        .collect()
}

/// A lesson: what it is about, and the form to finish it (or change what was said).
pub async fn lesson(
    state: web::Data<AppState>,
    viewer: Viewer<Students>,
    path: web::Path<String>,
    query: web::Query<LessonQuery>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let caller = (**viewer).clone();
    let detail = state
        .db
        .run(move |conn| lessons::detail(conn, &caller, &id))
        .await?;
    let mine = detail.my_completion.clone();
    lesson_page(
        StatusCode::OK,
        viewer,
        detail,
        mine.as_ref()
            .and_then(|c| c.emotion)
            .map(|e| e.as_str().to_owned()),
        mine.and_then(|c| c.reflection).unwrap_or_default(),
        query.done.is_some(),
        None,
    )
}

fn lesson_page(
    status: StatusCode,
    viewer: Viewer<Students>,
    detail: AssignmentDetail,
    chosen: Option<String>,
    reflection: String,
    done_now: bool,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let ready = detail.assignment.scheduled_on <= today();
    render(
        status,
        &LessonPage {
            frame: Frame::new(&viewer, detail.assignment.title.clone(), "/"),
            detail,
            feelings: feelings(chosen.as_deref()),
            reflection,
            ready,
            done_now,
            error,
        },
    )
}

/// Finishing a lesson (through the API's `lessons::assignments::complete`).
pub async fn finish_lesson(
    state: web::Data<AppState>,
    viewer: Viewer<Students>,
    path: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let chosen = form.get("feeling").map(str::to_owned);
    let reflection = form.raw("reflection").unwrap_or("").to_owned();
    let emotion = chosen.as_deref().and_then(Emotion::parse);
    let request = CompletionRequest {
        emotion,
        reflection: Some(reflection.clone()),
    };
    let invalid = validator::Validate::validate(&request)
        .map_err(ApiError::from)
        .err()
        .or_else(|| {
            (chosen.is_some() && emotion.is_none())
                .then(|| ApiError::invalid("emotion", "not one of the feelings listed"))
        });
    let outcome = match invalid {
        Some(e) => Err(e),
        None => {
            let (caller, id) = ((**viewer).clone(), id.clone());
            state
                .db
                .write(move |conn| lessons::complete(conn, &caller, &id, request))
                .await
        }
    };
    match outcome {
        Ok(_) => Ok(see_other(&format!("/lessons/{id}?done=1"))),
        Err(e) => {
            let Some(message) = field_message(&e) else {
                return Err(e.into());
            };
            let caller = (**viewer).clone();
            let detail = state
                .db
                .run(move |conn| lessons::detail(conn, &caller, &id))
                .await?;
            lesson_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                viewer,
                detail,
                chosen,
                reflection,
                false,
                Some(message),
            )
        }
    }
}
