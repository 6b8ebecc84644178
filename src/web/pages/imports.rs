//! Roster import for district staff: a OneRoster bundle uploaded through a form, checked or
//! imported by the API's own path (`oneroster::routes::upload_and_import`: the same limits,
//! one transaction, nothing written when anything is wrong), and its report as a page.
//!
//! The form is multipart, so its CSRF token travels in the form's address (`?csrf=`), which the
//! logs never record (they name query parameters without values).

use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

use crate::accounts::DistrictAdmins;
use crate::auth::authenticate::SessionSecret;
use crate::auth::sessions;
use crate::oneroster::report::ImportReport;
use crate::oneroster::routes::upload_and_import;
use crate::state::AppState;
use crate::web::forms::from_this_site;
use crate::web::page::{render, text, Frame, Viewer, WebError};

#[derive(Template)]
#[template(path = "staff/import.html")]
struct ImportPage {
    frame: Frame,
    report: Option<ImportReport>,
}

impl ImportPage {
    /// Rows of the report's summary: what, created, updated, deactivated, unchanged.
    fn changes(&self) -> Vec<(&'static str, [u64; 4])> {
        let Some(r) = &self.report else {
            return Vec::new();
        };
        let t = text();
        [
            (t.import_schools, &r.schools),
            (t.import_terms, &r.terms),
            (t.import_users, &r.users),
            (t.import_classes, &r.classes),
            (t.import_enrollments, &r.enrollments),
        ]
        .into_iter()
        .map(|(what, c)| (what, [c.created, c.updated, c.deactivated, c.unchanged]))
        .collect()
    }
}

pub async fn form(viewer: Viewer<DistrictAdmins>) -> Result<HttpResponse, WebError> {
    render(
        StatusCode::OK,
        &ImportPage {
            frame: Frame::new(&viewer, text().import_title, "/imports"),
            report: None,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct UploadQuery {
    csrf: Option<String>,
    dry_run: Option<String>,
}

pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer<DistrictAdmins>,
    query: web::Query<UploadQuery>,
    payload: Multipart,
) -> Result<HttpResponse, WebError> {
    let secret = req.extensions().get::<SessionSecret>().cloned();
    let token_ok = match (secret, query.csrf.as_deref()) {
        (Some(secret), Some(token)) => sessions::csrf_matches(&secret.0, token),
        _ => false,
    };
    if !token_ok || !from_this_site(&req) {
        return Err(WebError::FormExpired);
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let district = viewer.district_id.clone();
    let dry_run = query.dry_run.is_some();
    let report = upload_and_import(&state, &viewer, district, dry_run, declared, payload).await?;
    let status = if report.error_count > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &ImportPage {
            frame: Frame::new(&viewer, text().import_title, "/imports"),
            report: Some(report),
        },
    )
}
