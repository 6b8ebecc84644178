//! The audit trail as district administrators read it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::audit_events;
use crate::db::{DbBackend, DbConnection};

/// Which events of a district to list.
pub struct EventFilter {
    pub district_id: String,
    pub action: Option<String>,
    pub actor_id: Option<String>,
    /// At or after.
    pub since: Option<NaiveDateTime>,
    /// Before.
    pub until: Option<NaiveDateTime>,
}

/// An event as listed: id, actor id, actor role, action, scope (JSON), when, chain position.
pub type EventRow = (
    String,
    Option<String>,
    String,
    String,
    String,
    NaiveDateTime,
    i64,
);

fn filtered(f: &EventFilter) -> audit_events::BoxedQuery<'static, DbBackend> {
    let mut q = audit_events::table
        .filter(audit_events::district_id.eq(f.district_id.clone()))
        .into_boxed::<DbBackend>();
    if let Some(a) = &f.action {
        q = q.filter(audit_events::action.eq(a.clone()));
    }
    if let Some(a) = &f.actor_id {
        q = q.filter(audit_events::actor_id.eq(a.clone()));
    }
    if let Some(t) = f.since {
        q = q.filter(audit_events::occurred_at.ge(t));
    }
    if let Some(t) = f.until {
        q = q.filter(audit_events::occurred_at.lt(t));
    }
    q
}

/// How many events the filter selects.
pub fn count_events(conn: &mut DbConnection, f: &EventFilter) -> QueryResult<i64> {
    filtered(f).count().get_result(conn)
}

/// One page of the events the filter selects, newest first.
pub fn events(
    conn: &mut DbConnection,
    f: &EventFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<EventRow>> {
    filtered(f)
        .order((
            audit_events::occurred_at.desc(),
            audit_events::seq.desc(),
            audit_events::id.asc(),
        ))
        .limit(limit)
        .offset(offset)
        .select((
            audit_events::id,
            audit_events::actor_id,
            audit_events::actor_role,
            audit_events::action,
            audit_events::scope,
            audit_events::occurred_at,
            audit_events::seq,
        ))
        .load(conn)
}
