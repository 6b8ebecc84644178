//! `GET /api/v1/audit-events`: the district's audit trail, for district administrators.

use actix_web::{get, web};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::queries::{self, EventFilter};
use crate::accounts::{Authorized, DistrictAdmins};
use crate::error::{ApiError, Forbidden};
use crate::extract::ValidQuery;
use crate::pagination::{paged, Page};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: String,
    /// The account that acted; null for the system (a purge, a command-line import).
    pub actor_id: Option<String>,
    pub actor_role: String,
    /// What was done: `auth.login`, `auth.login_failed`, `auth.activated`, `user.created`,
    /// `user.access_changed`, `roster.import`, `activation_codes.issue`,
    /// `activation_codes.reissue`, `survey.opt_out`, `survey_window.created`,
    /// `survey_window.closed` (by the system, when the window's responses are opened),
    /// `report.read`, `report.export`, `lessons.reflections_read`.
    pub action: String,
    /// What was touched: report kind, window, school, account, counts…
    #[schema(value_type = Object)]
    pub scope: serde_json::Value,
    #[serde(serialize_with = "crate::dates::utc")]
    pub occurred_at: NaiveDateTime,
    /// Position in the district's hash chain.
    #[schema(minimum = 1)]
    pub seq: i64,
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    /// Only this action, e.g. `report.export`.
    #[validate(length(min = 1, max = 64))]
    pub action: Option<String>,
    /// Only events of this account.
    #[validate(length(min = 1, max = 64))]
    pub actor_id: Option<String>,
    /// Only events at or after this instant (RFC 3339).
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only events before this instant (RFC 3339).
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

paged!(AuditFilter);

/// The district's audit trail, newest first (pending events sealed first).
pub fn events_of(
    conn: &mut crate::db::DbConnection,
    caller: &Authorized<DistrictAdmins>,
    filter: AuditFilter,
) -> Result<Page<AuditEvent>, ApiError> {
    let paging = filter.paging();
    super::seal_pending(conn)?;
    let selected = EventFilter {
        district_id: caller.district_id.clone(),
        action: filter.action,
        actor_id: filter.actor_id,
        since: filter.since.map(|t| t.naive_utc()),
        until: filter.until.map(|t| t.naive_utc()),
    };
    let total = queries::count_events(conn, &selected)?;
    let rows = queries::events(conn, &selected, paging.limit(), paging.offset())?;
    let items = rows
        .into_iter()
        .map(
            |(id, actor_id, actor_role, action, scope, occurred_at, seq)| AuditEvent {
                id,
                actor_id,
                actor_role,
                action,
                scope: serde_json::from_str(&scope).unwrap_or(serde_json::Value::Null),
                occurred_at,
                seq,
            },
        )
        .collect();
    Ok(paging.wrap(items, total))
}

/// The district's audit trail, newest first (district administrators). Events recorded a moment
/// ago are chained first, so the list is complete up to the request.
#[utoipa::path(
    tag = "reports", security(("bearer" = [])), params(AuditFilter),
    responses(
        (status = 200, body = Page<AuditEvent>),
        Forbidden,
    )
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    filter: ValidQuery<AuditFilter>,
) -> Result<web::Json<Page<AuditEvent>>, ApiError> {
    let filter = filter.0;
    let page = state
        .db
        .run(move |conn| events_of(conn, &caller, filter))
        .await?;
    Ok(web::Json(page))
}
