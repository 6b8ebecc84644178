//! Database work for identity providers and sign-ins under way.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

use super::models::{ProviderRow, SignInRow};
use super::vocab::AccountMatch;
use crate::accounts::UserRow;
use crate::db::schema::{identity_providers, oidc_sign_ins, users};
use crate::db::DbConnection;
use crate::error::ApiError;

#[diesel::declare_sql_function]
extern "SQL" {
    fn lower(text: Nullable<Text>) -> Nullable<Text>;
}

pub fn insert_provider(conn: &mut DbConnection, row: &ProviderRow) -> Result<(), ApiError> {
    diesel::insert_into(identity_providers::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn update_provider(conn: &mut DbConnection, row: &ProviderRow) -> Result<(), ApiError> {
    diesel::update(identity_providers::table.find(&row.id))
        .set((
            identity_providers::name.eq(&row.name),
            identity_providers::issuer.eq(&row.issuer),
            identity_providers::client_id.eq(&row.client_id),
            identity_providers::client_secret_key.eq(&row.client_secret_key),
            identity_providers::client_secret_sealed.eq(&row.client_secret_sealed),
            identity_providers::account_match.eq(row.account_match),
            identity_providers::claim_name.eq(&row.claim_name),
            identity_providers::require_verified_email.eq(row.require_verified_email),
            identity_providers::redirect_uris.eq(&row.redirect_uris),
            identity_providers::enabled.eq(row.enabled),
            identity_providers::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn provider(conn: &mut DbConnection, id: &str) -> Result<Option<ProviderRow>, ApiError> {
    Ok(identity_providers::table
        .find(id)
        .select(ProviderRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn providers_of(
    conn: &mut DbConnection,
    district_id: &str,
) -> Result<Vec<ProviderRow>, ApiError> {
    Ok(identity_providers::table
        .filter(identity_providers::district_id.eq(district_id))
        .order((identity_providers::name, identity_providers::id))
        .select(ProviderRow::as_select())
        .load(conn)?)
}

/// Whether another provider of the district has this name.
pub fn name_taken(
    conn: &mut DbConnection,
    district_id: &str,
    name: &str,
    except: Option<&str>,
) -> Result<bool, ApiError> {
    let same_name: Vec<String> = identity_providers::table
        .filter(identity_providers::district_id.eq(district_id))
        .filter(identity_providers::name.eq(name))
        .select(identity_providers::id)
        .load(conn)?;
    Ok(same_name.iter().any(|id| Some(id.as_str()) != except))
}

/// Sign-ins whose state and one-time code have both expired are forgotten.
pub fn forget_expired(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(), ApiError> {
    diesel::delete(
        oidc_sign_ins::table
            .filter(oidc_sign_ins::expires_at.lt(now))
            .filter(
                oidc_sign_ins::handoff_expires_at
                    .is_null()
                    .or(oidc_sign_ins::handoff_expires_at.lt(now)),
            ),
    )
    .execute(conn)?;
    Ok(())
}

pub fn insert_sign_in(conn: &mut DbConnection, row: &SignInRow) -> Result<(), ApiError> {
    diesel::insert_into(oidc_sign_ins::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn sign_in(conn: &mut DbConnection, state_hash: &str) -> Result<Option<SignInRow>, ApiError> {
    Ok(oidc_sign_ins::table
        .find(state_hash)
        .select(SignInRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks the provider's return of this state, once: false if it was returned before or has
/// expired (a conditional update, so two returns racing cannot both pass).
pub fn claim_return(
    conn: &mut DbConnection,
    state_hash: &str,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let n = diesel::update(
        oidc_sign_ins::table
            .filter(oidc_sign_ins::state_hash.eq(state_hash))
            .filter(oidc_sign_ins::returned_at.is_null())
            .filter(oidc_sign_ins::expires_at.gt(now)),
    )
    .set(oidc_sign_ins::returned_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// What a suspicious return of a state is: sent again, or from another browser.
#[derive(Debug, Clone, Copy)]
pub enum Suspicious {
    Replayed,
    ForeignBrowser,
}

/// Marks the first suspicious return of each kind for a sign-in: true only the first time, so
/// it is recorded once however often it is sent.
pub fn mark_suspicious(
    conn: &mut DbConnection,
    state_hash: &str,
    kind: Suspicious,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let target = oidc_sign_ins::table.filter(oidc_sign_ins::state_hash.eq(state_hash));
    let n = match kind {
        Suspicious::Replayed => diesel::update(target.filter(oidc_sign_ins::replayed_at.is_null()))
            .set(oidc_sign_ins::replayed_at.eq(now))
            .execute(conn)?,
        Suspicious::ForeignBrowser => {
            diesel::update(target.filter(oidc_sign_ins::foreign_browser_at.is_null()))
                .set(oidc_sign_ins::foreign_browser_at.eq(now))
                .execute(conn)?
        }
    };
    Ok(n == 1)
}

/// Whether a one-time code is live (unused and unexpired): a read before the claiming write,
/// so guesses take no write lock.
pub fn handoff_is_live(
    conn: &mut DbConnection,
    handoff_hash: &str,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let query = oidc_sign_ins::table
        .filter(oidc_sign_ins::handoff_hash.eq(handoff_hash))
        .filter(oidc_sign_ins::handoff_used_at.is_null())
        .filter(oidc_sign_ins::handoff_expires_at.gt(now));
    Ok(diesel::select(diesel::dsl::exists(query)).get_result(conn)?)
}

pub fn set_handoff(
    conn: &mut DbConnection,
    state_hash: &str,
    user_id: &str,
    handoff_hash: &str,
    expires_at: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(oidc_sign_ins::table.find(state_hash))
        .set((
            oidc_sign_ins::user_id.eq(user_id),
            oidc_sign_ins::handoff_hash.eq(handoff_hash),
            oidc_sign_ins::handoff_expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The sign-in of a one-time code, claimed once: `None` when the code is unknown, used or
/// expired.
pub fn claim_handoff(
    conn: &mut DbConnection,
    handoff_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<SignInRow>, ApiError> {
    let n = diesel::update(
        oidc_sign_ins::table
            .filter(oidc_sign_ins::handoff_hash.eq(handoff_hash))
            .filter(oidc_sign_ins::handoff_used_at.is_null())
            .filter(oidc_sign_ins::handoff_expires_at.gt(now)),
    )
    .set(oidc_sign_ins::handoff_used_at.eq(now))
    .execute(conn)?;
    if n != 1 {
        return Ok(None);
    }
    Ok(oidc_sign_ins::table
        .filter(oidc_sign_ins::handoff_hash.eq(handoff_hash))
        .select(SignInRow::as_select())
        .first(conn)
        .optional()?)
}

/// Up to two accounts of the district the claim value names (two is enough to know it is
/// ambiguous).
pub fn matching_accounts(
    conn: &mut DbConnection,
    district_id: &str,
    by: AccountMatch,
    value: &str,
) -> Result<Vec<UserRow>, ApiError> {
    let query = users::table
        .filter(users::district_id.eq(district_id))
        .select(UserRow::as_select())
        .order(users::id)
        .limit(2)
        .into_boxed();
    let query = match by {
        // ASCII case only, as SQLite's lower() folds.
        AccountMatch::Email => query.filter(lower(users::email).eq(value.to_ascii_lowercase())),
        // Usernames are stored in ASCII lower case; nothing else folds onto one (no Unicode
        // case folding, no trimming).
        AccountMatch::Username => query.filter(users::username.eq(value.to_ascii_lowercase())),
        AccountMatch::SourcedId => query.filter(users::source_id.eq(value)),
    };
    Ok(query.load(conn)?)
}
