//! The audit trail for district staff: who did what, when, newest first, filtered by action
//! and day (through `audit::routes::events_of`, as `GET /audit-events`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, TimeZone, Utc};

use crate::accounts::DistrictAdmins;
use crate::audit::routes::{events_of, AuditEvent, AuditFilter};
use crate::state::AppState;
use crate::web::page::{render, text, Frame, Viewer, WebError};

#[derive(serde::Deserialize, Default)]
pub struct TrailQuery {
    action: Option<String>,
    on: Option<String>,
    page: Option<String>,
}

/// An event as a line of the table.
pub struct Line {
    pub at: String,
    pub role: &'static str,
    pub action: String,
    pub scope: String,
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct TrailPage {
    frame: Frame,
    action: String,
    on: String,
    lines: Vec<Line>,
    page: i64,
    pages: i64,
    on_error: Option<&'static str>,
}

impl TrailPage {
    /// The address of another page of the same filter.
    fn page_link(&self, page: i64) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if !self.action.is_empty() {
            query.append_pair("action", &self.action);
        }
        if !self.on.is_empty() {
            query.append_pair("on", &self.on);
        }
        query.append_pair("page", &page.to_string());
        format!("/audit?{}", query.finish())
    }
}

fn line(e: AuditEvent) -> Line {
    Line {
        at: e.occurred_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        role: text().word(&e.actor_role),
        action: e.action,
        scope: e.scope.to_string(),
    }
}

pub async fn trail(
    state: web::Data<AppState>,
    viewer: Viewer<DistrictAdmins>,
    query: web::Query<TrailQuery>,
) -> Result<HttpResponse, WebError> {
    let query = query.into_inner();
    let action = query
        .action
        .unwrap_or_default()
        .trim()
        .chars()
        .take(64)
        .collect::<String>();
    let on_text = query.on.unwrap_or_default().trim().to_owned();
    let on = NaiveDate::parse_from_str(&on_text, "%Y-%m-%d").ok();
    let on_error = (!on_text.is_empty() && on.is_none()).then_some(text().not_a_date);
    let page = query
        .page
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let day = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default());
    let filter = AuditFilter {
        action: (!action.is_empty()).then(|| action.clone()),
        actor_id: None,
        since: on.map(day),
        until: on.and_then(|d| d.succ_opt()).map(day),
        page: Some(page),
        limit: Some(50),
    };
    let who = viewer.who.clone();
    let events = state
        .db
        .run(move |conn| events_of(conn, &who, filter))
        .await?;
    let pages = ((events.total + 49) / 50).max(1);
    let status = if on_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &TrailPage {
            frame: Frame::new(&viewer, text().nav_audit, "/audit"),
            action,
            on: on_text,
            lines: events.items.into_iter().map(line).collect(),
            page,
            pages,
            on_error,
        },
    )
}
