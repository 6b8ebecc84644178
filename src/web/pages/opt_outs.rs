//! Survey opt-outs for counselors and school administrators: a guardian asked that a student
//! not be surveyed. Recorded through `surveys::windows::opt_out` (as `POST …/opt-outs`: open and
//! upcoming windows only, the student must be offered the window, on the record).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::accounts::{Role, SchoolStaff};
use crate::authz;
use crate::error::ApiError;
use crate::pagination::PageParams;
use crate::rosters::dto::UserFilter;
use crate::state::AppState;
use crate::surveys::models::{Window, WindowState};
use crate::web::forms::FormFields;
use crate::web::page::{field_errors, render, see_other, text, Frame, Viewer, WebError};

#[derive(Template)]
#[template(path = "staff/opt_outs.html")]
struct OptOutsPage {
    frame: Frame,
    windows: Vec<Window>,
    window_id: String,
    student: String,
    recorded: bool,
    errors: std::collections::HashMap<String, String>,
}

impl OptOutsPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

#[derive(serde::Deserialize)]
pub struct RecordedQuery {
    recorded: Option<String>,
}

async fn page_with(
    state: &AppState,
    viewer: Viewer<SchoolStaff>,
    (window_id, student): (String, String),
    recorded: bool,
    errors: std::collections::HashMap<String, String>,
) -> Result<HttpResponse, WebError> {
    let caller = (**viewer).clone();
    let windows = state
        .db
        .run(move |conn| {
            let now = crate::db::now();
            let mut all = Vec::new();
            for s in [WindowState::Open, WindowState::Upcoming] {
                let paging = PageParams {
                    page: Some(1),
                    limit: Some(50),
                };
                all.extend(
                    crate::surveys::queries::list_windows(conn, &caller, Some(s), paging, now)?
                        .items,
                );
            }
            Ok(all)
        })
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &OptOutsPage {
            frame: Frame::new(&viewer, text().opt_outs_title, "/opt-outs"),
            windows,
            window_id,
            student,
            recorded,
            errors,
        },
    )
}

/// The form: which survey, which student (by username).
pub async fn page(
    state: web::Data<AppState>,
    viewer: Viewer<SchoolStaff>,
    query: web::Query<RecordedQuery>,
) -> Result<HttpResponse, WebError> {
    let recorded = query.recorded.is_some();
    page_with(
        &state,
        viewer,
        (String::new(), String::new()),
        recorded,
        Default::default(),
    )
    .await
}

/// Records the opt-out.
pub async fn record(
    state: web::Data<AppState>,
    viewer: Viewer<SchoolStaff>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let t = text();
    let window_id = form.get("window_id").unwrap_or("").to_owned();
    let username = form.get("student").unwrap_or("").to_lowercase();
    let mut errors = std::collections::HashMap::new();
    if window_id.is_empty() {
        errors.insert("window_id".to_owned(), t.choose_one.to_owned());
    }
    if username.is_empty() {
        errors.insert("student".to_owned(), t.field_required.to_owned());
    }
    if !errors.is_empty() {
        return page_with(&state, viewer, (window_id, username), false, errors).await;
    }
    let (who, window, name) = (viewer.who.clone(), window_id.clone(), username.clone());
    let outcome = state
        .db
        .write(move |conn| {
            // The student by username, among the accounts the caller may see.
            let filter = UserFilter {
                role: Some(Role::Student),
                grade: None,
                school_id: None,
                active: Some(true),
                q: Some(name.clone()),
                updated_since: None,
                page: Some(1),
                limit: Some(50),
            };
            let scope = authz::list_scope(&who);
            let found =
                crate::rosters::queries::list_users(conn, &scope, &who.district_id, &filter)?
                    .items
                    .into_iter()
                    .find(|u| u.username == name)
                    .ok_or_else(|| {
                        ApiError::invalid("student", "no student with this username at your school")
                    })?;
            crate::surveys::windows::opt_out(conn, &who, &window, &found.id)
        })
        .await;
    match outcome {
        Ok(_) => Ok(see_other("/opt-outs?recorded=1")),
        Err(e) => match field_errors(&e) {
            Some(fields) => {
                for (field, message) in fields {
                    let field = if field == "student_id" {
                        "student".to_owned()
                    } else {
                        field
                    };
                    errors.insert(field, message);
                }
                page_with(&state, viewer, (window_id, username), false, errors).await
            }
            None => match e {
                ApiError::Conflict { detail, .. } => {
                    errors.insert("window_id".to_owned(), detail);
                    page_with(&state, viewer, (window_id, username), false, errors).await
                }
                e => Err(e.into()),
            },
        },
    }
}
