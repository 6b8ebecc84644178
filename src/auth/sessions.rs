//! Sessions of the web pages (`crate::web`): the browser holds a random secret in a cookie, the
//! database only its hash (as for refresh tokens). A session ends when its row is deleted: at
//! sign-out, after `Config::web_session_idle` without a request, at the refresh-token lifetime
//! from sign-in, and whenever the API's own sessions of the account end
//! (`queries::revoke_all_for_user`, `queries::revoke_student_sessions`).
//!
//! The secret also keys the session's CSRF token (an HMAC of it), so no second secret is stored
//! and a token is worthless without the cookie it belongs to.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::tokens::{hash_refresh_token, new_refresh_token};
use crate::db::schema::{users, web_sessions};
use crate::db::DbConnection;

/// A session is touched at most this often: a page load is a read, not a write, most of the time.
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);

/// How long sessions last.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Without a request for this long, a session ends.
    pub idle: TimeDelta,
    /// A session ends this long after sign-in, however busy.
    pub absolute: TimeDelta,
}

impl Lifetimes {
    pub fn of(config: &crate::config::Config) -> Lifetimes {
        let absolute = TimeDelta::from_std(config.refresh_ttl()).unwrap_or(TimeDelta::days(7));
        let idle = TimeDelta::from_std(config.web_session_idle()).unwrap_or(TimeDelta::minutes(30));
        Lifetimes {
            idle: idle.min(absolute),
            absolute,
        }
    }
}

/// Opens a session for the account: returns the secret for the cookie.
pub fn open(
    conn: &mut DbConnection,
    user_id: &str,
    now: NaiveDateTime,
    lifetimes: Lifetimes,
) -> QueryResult<String> {
    // Sessions that ended by themselves are swept on the account's next sign-in.
    diesel::delete(
        web_sessions::table
            .filter(web_sessions::user_id.eq(user_id))
            .filter(
                web_sessions::expires_at
                    .le(now)
                    .or(web_sessions::last_seen_at.le(now - lifetimes.idle)),
            ),
    )
    .execute(conn)?;
    let secret = new_refresh_token();
    diesel::insert_into(web_sessions::table)
        .values((
            web_sessions::token_hash.eq(hash_refresh_token(&secret)),
            web_sessions::user_id.eq(user_id),
            web_sessions::created_at.eq(now),
            web_sessions::last_seen_at.eq(now),
            web_sessions::expires_at.eq(now + lifetimes.absolute),
        ))
        .execute(conn)?;
    Ok(secret)
}

/// The account of a live session, touching it; an ended session is deleted and gives None.
pub fn resume(
    conn: &mut DbConnection,
    secret: &str,
    now: NaiveDateTime,
    lifetimes: Lifetimes,
) -> QueryResult<Option<String>> {
    let hash = hash_refresh_token(secret);
    let Some((user_id, last_seen, expires_at)) = web_sessions::table
        .find(&hash)
        .select((
            web_sessions::user_id,
            web_sessions::last_seen_at,
            web_sessions::expires_at,
        ))
        .first::<(String, NaiveDateTime, NaiveDateTime)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    if expires_at <= now || last_seen <= now - lifetimes.idle {
        diesel::delete(web_sessions::table.find(&hash)).execute(conn)?;
        return Ok(None);
    }
    if now - last_seen >= TOUCH_EVERY {
        diesel::update(web_sessions::table.find(&hash))
            .set(web_sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some(user_id))
}

/// Ends one session (sign-out). Unknown secrets are ignored.
pub fn close(conn: &mut DbConnection, secret: &str) -> QueryResult<usize> {
    diesel::delete(web_sessions::table.find(hash_refresh_token(secret))).execute(conn)
}

/// Ends every web session of the account.
pub fn close_all_for_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    diesel::delete(web_sessions::table.filter(web_sessions::user_id.eq(user_id))).execute(conn)
}

/// Ends every web session of the district's students.
pub fn close_students(conn: &mut DbConnection, district_id: &str) -> QueryResult<usize> {
    let students = users::table
        .filter(users::district_id.eq(district_id))
        .filter(users::role.eq(crate::accounts::Role::Student))
        .select(users::id);
    diesel::delete(web_sessions::table.filter(web_sessions::user_id.eq_any(students))).execute(conn)
}

/// The CSRF token of a session: an HMAC of its secret, so it is bound to the one cookie.
pub fn csrf_token(secret: &str) -> String {
    use base64::Engine;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(b"securebase web form");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Compares a submitted CSRF token with the session's, in constant time.
pub fn csrf_matches(secret: &str, submitted: &str) -> bool {
    use base64::Engine;
    let Ok(submitted) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(submitted) else {
        return false;
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(b"securebase web form");
    mac.verify_slice(&submitted).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csrf_token_belongs_to_its_session_only() {
        let (a, b) = (new_refresh_token(), new_refresh_token());
        assert!(csrf_matches(&a, &csrf_token(&a)));
        assert!(!csrf_matches(&b, &csrf_token(&a)));
        assert!(!csrf_matches(&a, ""));
        assert!(!csrf_matches(&a, "not base64 !"));
    }
}
