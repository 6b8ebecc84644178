//! Signing in with a username and password: one path for the API's `POST /auth/login` and the
//! web pages' sign-in form, so both have the same limits (per address, per account lockout, the
//! hashing pool), the same timing for unknown accounts, the same audit rows and the same rule
//! for students of districts that turned passwords off.

use chrono::TimeDelta;

use super::{password, queries, AuthState};
use crate::accounts::UserRow;
use crate::db::{self, write_transaction, DbConnection};
use crate::error::ApiError;
use crate::state::AppState;

/// Checks the password of `username` and, if it is right and the account may sign in with a
/// password, runs `finish` in the transaction that records the success (it issues the tokens
/// or opens the session, and writes the `auth.login` audit row). Every refusal is the same 401
/// (or 429 while locked, 503 while the hashing pool is full).
pub async fn with_password<T, F>(
    state: &AppState,
    auth: &AuthState,
    ip: &str,
    username: String,
    password: String,
    finish: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection, &UserRow) -> Result<T, ApiError> + Send + 'static,
{
    auth.login_limiter
        .check(ip)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    let username = username.trim().to_lowercase();
    // A place in the hashing pool first: a storm beyond it is answered 503 before any work.
    let ticket = auth.hashes.admit()?;
    let st = state.clone();
    let now = db::now();
    let lock = TimeDelta::seconds(state.config.lockout_secs as i64);
    // 1. The account, and one attempt reserved for it (the lock checked) before any hashing.
    let reserved = state
        .db
        .run(move |conn| {
            let Some(user) = queries::user_by_username(conn, &username)?
                .filter(|u| u.active && u.password_hash.is_some())
            else {
                return Ok(None);
            };
            let threshold = st.config.lockout_threshold;
            let locked = write_transaction(conn, |c| {
                queries::reserve_attempt(c, &user.id, threshold, lock, now)
            })?;
            if let Some(locked_until) = locked {
                let secs = (locked_until - now).num_seconds().max(1) as u64;
                return Err(ApiError::RateLimited {
                    retry_after_secs: secs,
                });
            }
            Ok(Some(user))
        })
        .await?;
    // 2. The password checked on the hashing pool (a decoy hash for an unknown account, so that
    //    timing does not tell which usernames exist).
    let stored = reserved.as_ref().and_then(|u| u.password_hash.clone());
    let checked = ticket
        .run(move || {
            // The decoy is hashed once, on first use: on the pool too, not on the executor.
            match &stored {
                Some(hash) => password::verify(hash, &password),
                None => password::verify(password::decoy_hash(), &password),
            }
        })
        .await;
    drop(ticket);
    let matches = match (checked, &reserved) {
        (Ok(matches), _) => matches,
        (Err(busy), None) => return Err(busy),
        (Err(busy), Some(user)) => {
            // Not checked: the attempt does not count against the account.
            let id = user.id.clone();
            state
                .db
                .run(move |conn| {
                    Ok(write_transaction(conn, |c| {
                        queries::release_attempt(c, &id, lock, now)
                    })?)
                })
                .await?;
            return Err(busy);
        }
    };
    let Some(user) = reserved else {
        return Err(ApiError::Unauthorized("invalid username or password"));
    };
    // 3. Recorded, and on success `finish` run.
    state
        .db
        .run(move |conn| {
            if !matches {
                // Never the password: only that this account's sign-in failed.
                write_transaction(conn, |c| {
                    crate::audit::record_in_transaction(
                        c,
                        &user,
                        "auth.login_failed",
                        serde_json::json!({}),
                    )
                })?;
                return Err(ApiError::Unauthorized("invalid username or password"));
            }
            write_transaction(conn, |c| {
                // Checked in the transaction that finishes the sign-in (under the district's
                // sign-in settings lock): a switch turned off meanwhile cannot miss it. The
                // answer is the wrong password's, and the attempt counts as a failed one, so
                // that guessing a student's password learns nothing while passwords are off;
                // the audit trail keeps the reason.
                if !queries::password_sign_in_allowed(c, &user)? {
                    crate::audit::record_in_transaction(
                        c,
                        &user,
                        "auth.login_refused",
                        serde_json::json!({"reason": "student_passwords_off"}),
                    )?;
                    return Ok(Err(ApiError::Unauthorized("invalid username or password")));
                }
                queries::record_success(c, &user.id)?;
                finish(c, &user).map(Ok)
            })
        })
        .await?
}
