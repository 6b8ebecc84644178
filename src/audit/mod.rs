//! The audit trail: who did what to children's data — sign-ins, account and role changes,
//! roster imports, activation codes, opt-outs, report reads and exports, reflections read by
//! staff. Append-only (database triggers refuse updates and deletes) and hash-chained per
//! district, so a changed, removed or inserted row is detected by `securebase audit verify`.
//! Recording is one insert; a sealer chains the recorded events in order (`chain`).

mod chain;
mod queries;
pub mod routes;

pub use chain::{heads, seal_pending, verify, verify_against, ChainReport, Head, SignedHeads};

use crate::accounts::Caller;
use crate::db::DbConnection;
use crate::error::ApiError;

/// Who did it: the signed-in caller, the account a sign-in attempt named, or the system (a
/// purge, a command-line import: no account, role `system`).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub district_id: &'a str,
    pub user_id: Option<&'a str>,
    pub role: &'a str,
}

impl<'a> Actor<'a> {
    pub fn system(district_id: &'a str) -> Actor<'a> {
        Actor {
            district_id,
            user_id: None,
            role: "system",
        }
    }
}

impl<'a> From<&'a Caller> for Actor<'a> {
    fn from(caller: &'a Caller) -> Actor<'a> {
        Actor {
            district_id: &caller.district_id,
            user_id: Some(&caller.user_id),
            role: caller.role.as_str(),
        }
    }
}

impl<'a, R: crate::accounts::RoleSet> From<&'a crate::accounts::Authorized<R>> for Actor<'a> {
    fn from(caller: &'a crate::accounts::Authorized<R>) -> Actor<'a> {
        Actor::from(&caller.caller)
    }
}

impl<'a> From<&'a crate::accounts::UserRow> for Actor<'a> {
    fn from(user: &'a crate::accounts::UserRow) -> Actor<'a> {
        Actor {
            district_id: &user.district_id,
            user_id: Some(&user.id),
            role: user.role.as_str(),
        }
    }
}

/// Records that `actor` did `action` on `scope` (a JSON object naming what was touched), for a
/// read: on PostgreSQL its transaction does not wait for the WAL flush
/// (`synchronous_commit = off`, for this transaction only), as a report read would otherwise
/// cost a disk flush. The row is still written atomically and in order; a crash of the database
/// server itself (not of securebase) can lose the events of its last fraction of a second.
pub fn record<'a>(
    conn: &mut DbConnection,
    actor: impl Into<Actor<'a>>,
    action: &str,
    scope: serde_json::Value,
) -> Result<(), ApiError> {
    let actor = actor.into();
    crate::db::transaction_without_flush(conn, |conn| chain::append(conn, actor, action, &scope))
}

/// Like `record`, for a caller outside any transaction (a report served from its stored
/// rendering): on PostgreSQL the transaction is opened and set in one round trip.
pub fn record_alone<'a>(
    conn: &mut DbConnection,
    actor: impl Into<Actor<'a>>,
    action: &str,
    scope: serde_json::Value,
) -> Result<(), ApiError> {
    let actor = actor.into();
    crate::db::write_transaction_without_flush(conn, |conn| {
        chain::append(conn, actor, action, &scope)
    })
}

/// Records an event inside the caller's write transaction, with that transaction's durability
/// (for actions that change data: imports, account changes, sign-ins).
pub fn record_in_transaction<'a>(
    conn: &mut DbConnection,
    actor: impl Into<Actor<'a>>,
    action: &str,
    scope: serde_json::Value,
) -> Result<(), ApiError> {
    chain::append(conn, actor.into(), action, &scope)
}
