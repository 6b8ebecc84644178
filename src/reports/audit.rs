//! The audit trail of report reads and exports: append-only (database triggers refuse updates and
//! deletes), listed for district administrators.

use actix_web::{get, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::{Authorized, Caller, DistrictAdmins};
use crate::db::schema::audit_events;
use crate::db::{self, DbBackend, DbConnection};
use crate::error::{ApiError, Problem};
use crate::extract::ValidQuery;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;

/// Records that the caller did `action` on `scope` (a JSON object naming what was read).
///
/// On PostgreSQL the event's transaction does not wait for its WAL flush
/// (`synchronous_commit = off`, for this transaction only): a report read would otherwise cost a
/// disk flush and many times a plain read. The row is still written atomically and in order; a
/// crash of the database server itself (not of securebase) can lose the events of its last
/// fraction of a second (at most three `wal_writer_delay`s).
pub fn record(
    conn: &mut DbConnection,
    caller: &Caller,
    action: &str,
    scope: serde_json::Value,
) -> Result<(), ApiError> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConnection::Pg(_) => conn.transaction(|conn| {
            conn.batch_execute("SET LOCAL synchronous_commit TO OFF")?;
            insert(conn, caller, action, &scope)
        }),
        // SQLite in WAL mode does not flush on commit: one statement is enough.
        DbConnection::Sqlite(_) => insert(conn, caller, action, &scope),
    }
}

/// Like `record`, for a caller outside any transaction (a report served from its stored
/// rendering): on PostgreSQL the transaction is opened and set in one round trip.
pub fn record_alone(
    conn: &mut DbConnection,
    caller: &Caller,
    action: &str,
    scope: serde_json::Value,
) -> Result<(), ApiError> {
    use diesel::connection::SimpleConnection;
    if !matches!(conn, DbConnection::Pg(_)) {
        return insert(conn, caller, action, &scope);
    }
    conn.batch_execute("BEGIN; SET LOCAL synchronous_commit TO OFF")?;
    let inserted = insert(conn, caller, action, &scope);
    conn.batch_execute(if inserted.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    })?;
    inserted
}

/// Records an event inside the caller's write transaction, with that transaction's durability
/// (for actions that change data, such as a roster import).
pub fn record_in_transaction(
    conn: &mut DbConnection,
    caller: &Caller,
    action: &str,
    scope: serde_json::Value,
) -> Result<(), ApiError> {
    insert(conn, caller, action, &scope)
}

fn insert(
    conn: &mut DbConnection,
    caller: &Caller,
    action: &str,
    scope: &serde_json::Value,
) -> Result<(), ApiError> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(db::new_id()),
            audit_events::district_id.eq(&caller.district_id),
            audit_events::actor_id.eq(&caller.user_id),
            audit_events::actor_role.eq(caller.role.as_str()),
            audit_events::action.eq(action),
            audit_events::scope.eq(scope.to_string()),
            audit_events::occurred_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: String,
    pub actor_id: String,
    pub actor_role: String,
    /// `report.read` or `report.export`.
    pub action: String,
    /// What was read: report kind, window, school or district, format.
    #[schema(value_type = Object)]
    pub scope: serde_json::Value,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub occurred_at: NaiveDateTime,
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
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

type EventRow = (String, String, String, String, String, NaiveDateTime);

/// The district's audit trail, newest first (district administrators).
#[utoipa::path(
    tag = "reports", security(("bearer" = [])), params(AuditFilter),
    responses(
        (status = 200, body = Page<AuditEvent>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    filter: ValidQuery<AuditFilter>,
) -> Result<web::Json<Page<AuditEvent>>, ApiError> {
    let filter = filter.0;
    let paging = PageParams {
        page: filter.page,
        limit: filter.limit,
    };
    let page = state
        .db
        .run(move |conn| {
            let build = || {
                let mut q = audit_events::table
                    .filter(audit_events::district_id.eq(caller.district_id.clone()))
                    .into_boxed::<DbBackend>();
                if let Some(a) = &filter.action {
                    q = q.filter(audit_events::action.eq(a.clone()));
                }
                if let Some(a) = &filter.actor_id {
                    q = q.filter(audit_events::actor_id.eq(a.clone()));
                }
                q
            };
            let total = build().count().get_result(conn)?;
            let rows: Vec<EventRow> = build()
                .order((audit_events::occurred_at.desc(), audit_events::id.asc()))
                .limit(paging.limit())
                .offset(paging.offset())
                .select((
                    audit_events::id,
                    audit_events::actor_id,
                    audit_events::actor_role,
                    audit_events::action,
                    audit_events::scope,
                    audit_events::occurred_at,
                ))
                .load(conn)?;
            let items = rows
                .into_iter()
                .map(
                    |(id, actor_id, actor_role, action, scope, occurred_at)| AuditEvent {
                        id,
                        actor_id,
                        actor_role,
                        action,
                        scope: serde_json::from_str(&scope).unwrap_or(serde_json::Value::Null),
                        occurred_at,
                    },
                )
                .collect();
            Ok(paging.wrap(items, total))
        })
        .await?;
    Ok(web::Json(page))
}
