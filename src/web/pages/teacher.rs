//! The teacher's pages: classes and rosters, the lesson library, assigning a lesson, and an
//! assignment's progress with delivery. All through the lessons and rosters domain functions
//! the API's handlers use.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;

use crate::accounts::{Staff, Teachers};
use crate::dates::today;
use crate::error::ApiError;
use crate::lessons::assignments as lessons;
use crate::lessons::dto::{AssignmentPatch, NewAssignment, PlanFilter};
use crate::lessons::models::{Assignment, AssignmentDetail, PlanSummary, StudentCompletion};
use crate::lessons::progress::AssignmentProgress;
use crate::lessons::vocab::{Competency, GradeBand};
use crate::pagination::PageParams;
use crate::reports::participation::{participation_of, Participation};
use crate::rosters::classes as rosters;
use crate::rosters::dto::{ClassFilter, EnrollmentFilter};
use crate::rosters::models::{Class, Enrollment};
use crate::state::AppState;
use crate::surveys::models::WindowState;
use crate::web::forms::FormFields;
use crate::web::page::{
    field_errors, field_message, render, see_other, text, Frame, Viewer, WebError,
};

/// An open survey and how many of each of the teacher's classes took part so far.
pub struct OpenSurvey {
    pub title: String,
    pub closes_on: String,
    pub participation: Participation,
}

#[derive(Template)]
#[template(path = "teacher/classes.html")]
struct ClassesPage {
    frame: Frame,
    classes: Vec<Class>,
    surveys: Vec<OpenSurvey>,
}

/// The teacher's classes of the current term (or of the term that ended last), and the
/// participation of those classes in open surveys (counts only, as the API gives them).
pub async fn classes(
    state: web::Data<AppState>,
    viewer: Viewer<Staff>,
) -> Result<HttpResponse, WebError> {
    let caller = (**viewer).clone();
    let (who, keys, settle) = (
        viewer.who.clone(),
        state.seal_keys.clone(),
        state.config.settle_period(),
    );
    let surveys = state
        .db
        .run(move |conn| {
            let paging = PageParams {
                page: Some(1),
                limit: Some(20),
            };
            let now = crate::db::now();
            let open = crate::surveys::queries::list_windows(
                conn,
                &who,
                Some(WindowState::Open),
                paging,
                now,
            )?;
            open.items
                .into_iter()
                .map(|w| {
                    Ok(OpenSurvey {
                        participation: participation_of(conn, &who, &w.id, &keys, settle)?,
                        closes_on: w.closes_at.format("%Y-%m-%d").to_string(),
                        title: w.title,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()
        })
        .await?;
    let classes = state
        .db
        .run(move |conn| {
            let term = crate::rosters::queries::current_term(conn, &caller.district_id, today())?;
            let filter = ClassFilter {
                school_id: None,
                term_id: term.map(|t| t.id),
                teacher_id: None,
                grade: None,
                active: Some(true),
                q: None,
                updated_since: None,
                page: Some(1),
                limit: Some(200),
            };
            rosters::visible_classes(conn, &caller, &filter)
        })
        .await?;
    render(
        StatusCode::OK,
        &ClassesPage {
            frame: Frame::new(&viewer, text().classes_title, "/"),
            classes: classes.items,
            surveys,
        },
    )
}

#[derive(Template)]
#[template(path = "teacher/class.html")]
struct ClassPage {
    frame: Frame,
    class: Class,
    students: Vec<Enrollment>,
    assignments: Vec<Assignment>,
    teaches: bool,
}

/// A class: its students and its lessons.
pub async fn class_page(
    state: web::Data<AppState>,
    viewer: Viewer<Staff>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let (caller, id) = ((**viewer).clone(), path.into_inner());
    let (class, students, assignments) = state
        .db
        .run(move |conn| {
            let class = rosters::class_of(conn, &caller, &id)?;
            let filter = EnrollmentFilter {
                active: Some(true),
                updated_since: None,
                page: Some(1),
                limit: Some(200),
            };
            let students = rosters::roster_of(conn, &caller, &id, &filter)?.items;
            let paging = PageParams {
                page: Some(1),
                limit: Some(200),
            };
            let assignments = lessons::class_assignments(conn, &caller, &id, paging)?.items;
            Ok((class, students, assignments))
        })
        .await?;
    let teaches = class.teachers.iter().any(|t| t.id == viewer.user_id);
    render(
        StatusCode::OK,
        &ClassPage {
            frame: Frame::new(&viewer, class.name.clone(), "/"),
            class,
            students,
            assignments,
            teaches,
        },
    )
}

/// The library's search filters, as typed (kept on the page).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct LibraryQuery {
    q: Option<String>,
    competency: Option<String>,
    grade_band: Option<String>,
}

impl LibraryQuery {
    fn filter(&self) -> PlanFilter {
        PlanFilter {
            competency: self.competency.as_deref().and_then(Competency::parse),
            component: None,
            grade_band: self.grade_band.as_deref().and_then(GradeBand::parse),
            max_duration: None,
            owner: None,
            status: None,
            archived: Some(false),
            q: self
                .q
                .as_deref()
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(|q| q.chars().take(200).collect()),
            page: Some(1),
            limit: Some(50),
        }
    }

    fn from_form(form: &FormFields) -> LibraryQuery {
        LibraryQuery {
            q: form.get("q").map(str::to_owned),
            competency: form.get("competency").map(str::to_owned),
            grade_band: form.get("grade_band").map(str::to_owned),
        }
    }
}

/// A choice of a select: value, label, selected.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

fn competencies(chosen: Option<&str>) -> Vec<Choice> {
    Competency::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str(),
            label: text().word(c.as_str()),
            selected: chosen == Some(c.as_str()),
        })
        .collect()
}

fn grade_bands(chosen: Option<&str>) -> Vec<Choice> {
    GradeBand::ALL
        .iter()
        .map(|g| Choice {
            value: g.as_str(),
            label: g.as_str(),
            selected: chosen == Some(g.as_str()),
        })
        .collect()
}

async fn search(
    state: &AppState,
    caller: crate::accounts::Caller,
    query: &LibraryQuery,
) -> Result<Vec<PlanSummary>, ApiError> {
    let filter = query.filter();
    state
        .db
        .run(move |conn| Ok(crate::lessons::queries::search(conn, &caller, &filter)?.items))
        .await
}

#[derive(Template)]
#[template(path = "teacher/library.html")]
struct LibraryPage {
    frame: Frame,
    q: String,
    competencies: Vec<Choice>,
    grade_bands: Vec<Choice>,
    plans: Vec<PlanSummary>,
}

/// The lesson library, searched and filtered.
pub async fn library(
    state: web::Data<AppState>,
    viewer: Viewer<Staff>,
    query: web::Query<LibraryQuery>,
) -> Result<HttpResponse, WebError> {
    let query = query.into_inner();
    let plans = search(&state, (**viewer).clone(), &query).await?;
    render(
        StatusCode::OK,
        &LibraryPage {
            frame: Frame::new(&viewer, text().library_title, "/library"),
            q: query.q.clone().unwrap_or_default(),
            competencies: competencies(query.competency.as_deref()),
            grade_bands: grade_bands(query.grade_band.as_deref()),
            plans,
        },
    )
}

#[derive(Template)]
#[template(path = "teacher/assign.html")]
struct AssignPage {
    frame: Frame,
    class: Class,
    q: String,
    competencies: Vec<Choice>,
    grade_bands: Vec<Choice>,
    plans: Vec<PlanSummary>,
    plan_id: String,
    scheduled_on: String,
    due_on: String,
    errors: HashMap<String, String>,
}

impl AssignPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// Assigning a lesson: search the library, choose a lesson and its days.
pub async fn assign_form(
    state: web::Data<AppState>,
    viewer: Viewer<Teachers>,
    path: web::Path<String>,
    query: web::Query<LibraryQuery>,
) -> Result<HttpResponse, WebError> {
    let values = (String::new(), today().to_string(), String::new());
    assign_page(
        &state,
        viewer,
        path.into_inner(),
        query.into_inner(),
        values,
        HashMap::new(),
    )
    .await
}

async fn assign_page(
    state: &AppState,
    viewer: Viewer<Teachers>,
    class_id: String,
    query: LibraryQuery,
    (plan_id, scheduled_on, due_on): (String, String, String),
    errors: HashMap<String, String>,
) -> Result<HttpResponse, WebError> {
    let caller = (**viewer).clone();
    let class = state
        .db
        .run(move |conn| {
            // The class must be one the teacher teaches, as assigning requires.
            crate::lessons::scope::teaching_class(conn, &caller, &class_id)?;
            rosters::class_of(conn, &caller, &class_id)
        })
        .await?;
    // Until the teacher picks one, the library shows the lessons of the class's grade band.
    let mut query = query;
    if query.grade_band.is_none() {
        query.grade_band = class.grade.map(|g| band_of(g).as_str().to_owned());
    }
    let plans = search(state, (**viewer).clone(), &query).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &AssignPage {
            frame: Frame::new(&viewer, text().assign_lesson, "/"),
            class,
            q: query.q.clone().unwrap_or_default(),
            competencies: competencies(query.competency.as_deref()),
            grade_bands: grade_bands(query.grade_band.as_deref()),
            plans,
            plan_id,
            scheduled_on,
            due_on,
            errors,
        },
    )
}

/// The library's grade band of a grade.
fn band_of(grade: i32) -> GradeBand {
    match grade {
        ..=2 => GradeBand::K2,
        3..=5 => GradeBand::G3to5,
        6..=8 => GradeBand::G6to8,
        _ => GradeBand::G9to12,
    }
}

/// A date field: None when blank, an error message when not a date.
fn date_field(value: Option<&str>) -> Result<Option<NaiveDate>, String> {
    match value {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| text().not_a_date.to_owned()),
    }
}

/// Assigns the chosen lesson (through `lessons::assignments::assign`, as the API does).
pub async fn assign(
    state: web::Data<AppState>,
    viewer: Viewer<Teachers>,
    path: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let class_id = path.into_inner();
    let query = LibraryQuery::from_form(&form);
    let plan_id = form.get("plan_id").unwrap_or("").to_owned();
    let scheduled_raw = form.get("scheduled_on").unwrap_or("").to_owned();
    let due_raw = form.get("due_on").unwrap_or("").to_owned();
    let mut errors = HashMap::new();
    if plan_id.is_empty() {
        errors.insert("plan_id".to_owned(), text().choose_lesson.to_owned());
    }
    let scheduled = match date_field(form.get("scheduled_on")) {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.insert("scheduled_on".to_owned(), text().field_required.to_owned());
            None
        }
        Err(e) => {
            errors.insert("scheduled_on".to_owned(), e);
            None
        }
    };
    let due = date_field(form.get("due_on")).unwrap_or_else(|e| {
        errors.insert("due_on".to_owned(), e);
        None
    });
    let values = (plan_id.clone(), scheduled_raw, due_raw);
    let Some(scheduled_on) = scheduled.filter(|_| errors.is_empty()) else {
        return assign_page(&state, viewer, class_id, query, values, errors).await;
    };
    let new = NewAssignment {
        plan_id,
        scheduled_on,
        due_on: due,
    };
    let outcome = match validator::Validate::validate(&new) {
        Err(e) => Err(ApiError::from(e)),
        Ok(()) => {
            let (caller, id) = ((**viewer).clone(), class_id.clone());
            state
                .db
                .write(move |conn| lessons::assign(conn, &caller, &id, new))
                .await
        }
    };
    match outcome {
        Ok(assignment) => Ok(see_other(&format!("/assignments/{}", assignment.id))),
        Err(e) => match field_errors(&e) {
            Some(fields) => {
                let errors = fields.into_iter().collect();
                assign_page(&state, viewer, class_id, query, values, errors).await
            }
            None => Err(e.into()),
        },
    }
}

#[derive(Template)]
#[template(path = "teacher/assignment.html")]
struct AssignmentPage {
    frame: Frame,
    detail: AssignmentDetail,
    progress: AssignmentProgress,
    completions: Option<Vec<StudentCompletion>>,
    delivered_on: String,
    delivery_error: Option<String>,
    saved: bool,
}

#[derive(serde::Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// An assignment: progress, feelings, who finished (its class's teachers), and delivery.
pub async fn assignment_page(
    state: web::Data<AppState>,
    viewer: Viewer<Staff>,
    path: web::Path<String>,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, WebError> {
    let saved = query.saved.is_some();
    assignment_view(
        &state,
        viewer,
        path.into_inner(),
        today().to_string(),
        None,
        saved,
    )
    .await
}

async fn assignment_view(
    state: &AppState,
    viewer: Viewer<Staff>,
    id: String,
    delivered_on: String,
    delivery_error: Option<String>,
    saved: bool,
) -> Result<HttpResponse, WebError> {
    let caller = (**viewer).clone();
    let (detail, progress, completions) = state
        .db
        .run(move |conn| {
            let detail = lessons::detail(conn, &caller, &id)?;
            let progress = lessons::progress_of(conn, &caller, &id)?;
            let paging = PageParams {
                page: Some(1),
                limit: Some(200),
            };
            // Reflections are for the class's teachers only (and each read is audited).
            let completions = match lessons::completions(conn, &caller, &id, paging) {
                Ok(page) => Some(page.items),
                Err(ApiError::Forbidden(_) | ApiError::NotFound(_)) => None,
                Err(e) => return Err(e),
            };
            Ok((detail, progress, completions))
        })
        .await?;
    let status = if delivery_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &AssignmentPage {
            frame: Frame::new(&viewer, detail.assignment.title.clone(), "/"),
            detail,
            progress,
            completions,
            delivered_on,
            delivery_error,
            saved,
        },
    )
}

/// Records that the lesson was taught (through `lessons::assignments::update`).
pub async fn record_delivery(
    state: web::Data<AppState>,
    viewer: Viewer<Staff>,
    path: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let raw = form.get("delivered_on").unwrap_or("").to_owned();
    let day = match date_field(form.get("delivered_on")) {
        Ok(Some(day)) => day,
        Ok(None) => {
            let message = text().field_required.to_owned();
            return assignment_view(&state, viewer, id, raw, Some(message), false).await;
        }
        Err(message) => {
            return assignment_view(&state, viewer, id, raw, Some(message), false).await
        }
    };
    let patch = AssignmentPatch {
        scheduled_on: None,
        due_on: None,
        status: None,
        delivered_on: Some(day),
        teacher_note: None,
    };
    let (caller, assignment) = ((**viewer).clone(), id.clone());
    let outcome = state
        .db
        .write(move |conn| lessons::update(conn, &caller, &assignment, patch))
        .await;
    match outcome {
        Ok(_) => Ok(see_other(&format!("/assignments/{id}?saved=1"))),
        Err(e) => match field_message(&e) {
            Some(message) => assignment_view(&state, viewer, id, raw, Some(message), false).await,
            None => Err(e.into()),
        },
    }
}
