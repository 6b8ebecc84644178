//! Database work for login, lockout and refresh-token rotation.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::accounts::UserRow;
use crate::db::schema::{districts, refresh_tokens, users};
use crate::db::{self, DbConnection};
use crate::error::ApiError;

pub fn user_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn user_by_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Reserves one password check for an account, before the password is hashed: counts the
/// attempt and, at the `threshold`-th attempt since the last success, locks the account until
/// `now + lock`. The count and the lock are checked and changed by conditional updates in one
/// transaction (the first of which takes the row's lock on PostgreSQL; SQLite's write
/// transaction is exclusive), so N parallel guesses are checked at most `threshold` times.
/// A success (`record_success`) clears both. Returns when the lock ends if the account is locked.
pub fn reserve_attempt(
    conn: &mut DbConnection,
    user_id: &str,
    threshold: u32,
    lock: TimeDelta,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    // A lock that has run out starts the count again.
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::locked_until.le(now)),
    )
    .set((
        users::failed_logins.eq(0),
        users::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    let reserved = diesel::update(
        users::table
            .find(user_id)
            .filter(users::locked_until.is_null())
            .filter(users::failed_logins.lt(threshold as i32)),
    )
    .set(users::failed_logins.eq(users::failed_logins + 1))
    .execute(conn)?;
    let (attempts, locked_until): (i32, Option<NaiveDateTime>) = users::table
        .find(user_id)
        .select((users::failed_logins, users::locked_until))
        .first(conn)?;
    if reserved == 0 {
        // Locked by an earlier attempt (or by one that ran at the same time).
        return Ok(Some(locked_until.unwrap_or(now + lock)));
    }
    if attempts >= threshold as i32 {
        diesel::update(users::table.find(user_id))
            .set(users::locked_until.eq(Some(now + lock)))
            .execute(conn)?;
    }
    Ok(None)
}

/// Gives back an attempt `reserve_attempt` counted whose password was never checked (the hashing
/// pool was full), so that a sign-in storm does not lock anyone out: the count goes down by one,
/// and a lock this attempt set (`now + lock`) is lifted.
pub fn release_attempt(
    conn: &mut DbConnection,
    user_id: &str,
    lock: TimeDelta,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::failed_logins.gt(0))
            .filter(
                users::locked_until
                    .is_null()
                    .or(users::locked_until.eq(Some(now + lock))),
            ),
    )
    .set((
        users::failed_logins.eq(users::failed_logins - 1),
        users::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
    .map(|_| ())
}

pub fn record_success(conn: &mut DbConnection, user_id: &str) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn insert_refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
    family_id: &str,
    user_id: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::expires_at.eq(expires_at),
            refresh_tokens::revoked.eq(false),
            refresh_tokens::created_at.eq(db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Queryable)]
pub struct RefreshTokenRow {
    pub family_id: String,
    pub user_id: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked: bool,
}

pub fn find_refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .find(token_hash)
        .select((
            refresh_tokens::family_id,
            refresh_tokens::user_id,
            refresh_tokens::expires_at,
            refresh_tokens::used_at,
            refresh_tokens::revoked,
        ))
        .first(conn)
        .optional()
}

/// Marks a live token used. Returns false when another request used it first (a replay race).
pub fn consume_refresh_token(conn: &mut DbConnection, token_hash: &str) -> QueryResult<bool> {
    let updated = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked.eq(false)),
    )
    .set(refresh_tokens::used_at.eq(Some(db::now())))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn revoke_family(conn: &mut DbConnection, family_id: &str) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::family_id.eq(family_id)))
        .set(refresh_tokens::revoked.eq(true))
        .execute(conn)
}

/// Ends every session of the account: its refresh tokens are revoked and its web sessions closed.
pub fn revoke_all_for_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    super::sessions::close_all_for_user(conn, user_id)?;
    diesel::update(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)))
        .set(refresh_tokens::revoked.eq(true))
        .execute(conn)
}

/// Voids the account's unused activation codes: a code issued before a change of password, role,
/// school or active flag must not outlive it.
pub fn void_activation_codes(conn: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    use crate::db::schema::activation_codes;
    diesel::delete(
        activation_codes::table
            .filter(activation_codes::user_id.eq(user_id))
            .filter(activation_codes::used_at.is_null()),
    )
    .execute(conn)
}

pub fn set_password_hash(conn: &mut DbConnection, user_id: &str, hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::updated_at.eq(db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Which active accounts of a school a request for activation codes names.
pub enum Accounts<'a> {
    /// The students actively enrolled in this class.
    Class(&'a str),
    /// The students of this grade.
    Grade(i32),
    /// These accounts.
    Ids(&'a [String]),
    /// Every active account.
    All,
}

/// The active accounts of the school that `which` names.
pub fn school_accounts(
    conn: &mut DbConnection,
    school_id: &str,
    which: Accounts,
) -> QueryResult<Vec<UserRow>> {
    use crate::db::schema::enrollments;
    let mut query = users::table
        .filter(users::school_id.eq(school_id.to_owned()))
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .into_boxed::<db::DbBackend>();
    match which {
        Accounts::Class(class_id) => {
            let students = enrollments::table
                .filter(enrollments::class_id.eq(class_id.to_owned()))
                .filter(enrollments::active.eq(true))
                .select(enrollments::student_id);
            query = query
                .filter(users::role.eq(crate::accounts::Role::Student))
                .filter(users::id.eq_any(students));
        }
        Accounts::Grade(grade) => {
            query = query
                .filter(users::role.eq(crate::accounts::Role::Student))
                .filter(users::grade.eq(grade));
        }
        Accounts::Ids(ids) => query = query.filter(users::id.eq_any(ids.to_vec())),
        Accounts::All => {}
    }
    query.load(conn)
}

/// Stores a new code (its hash) for the account.
pub fn insert_code(
    conn: &mut DbConnection,
    code_hash: &str,
    user_id: &str,
    created_by: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use crate::db::schema::activation_codes;
    diesel::insert_into(activation_codes::table)
        .values((
            activation_codes::code_hash.eq(code_hash),
            activation_codes::user_id.eq(user_id),
            activation_codes::created_by.eq(created_by),
            activation_codes::expires_at.eq(expires_at),
            activation_codes::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A code still usable, and its account: active, unexpired, unused.
pub fn usable_code(
    conn: &mut DbConnection,
    code_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<UserRow>> {
    use crate::db::schema::activation_codes;
    activation_codes::table
        .inner_join(users::table.on(users::id.eq(activation_codes::user_id)))
        .filter(activation_codes::code_hash.eq(code_hash))
        .filter(activation_codes::used_at.is_null())
        .filter(activation_codes::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Marks an unused code used; false when it was used meanwhile (so two concurrent uses cannot
/// both succeed).
pub fn claim_code(
    conn: &mut DbConnection,
    code_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    use crate::db::schema::activation_codes;
    let claimed = diesel::update(
        activation_codes::table
            .filter(activation_codes::code_hash.eq(code_hash))
            .filter(activation_codes::used_at.is_null()),
    )
    .set(activation_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(claimed == 1)
}

/// The lock of a district's sign-in settings (its student-password switch and its identity
/// providers' enabled flags), taken inside a write transaction: exclusively by a change of
/// them, shared by each student sign-in. A sign-in that read the switch on then commits before
/// the switch's revocation runs; a change cannot pass a guard another change is invalidating.
fn sign_in_settings_key(district_id: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("sign-in-settings:{district_id}").as_bytes());
    i64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]))
}

pub fn lock_sign_in_settings(conn: &mut DbConnection, district_id: &str) -> Result<(), ApiError> {
    Ok(db::exclusive_transaction_lock(
        conn,
        sign_in_settings_key(district_id),
    )?)
}

pub fn share_sign_in_settings(conn: &mut DbConnection, district_id: &str) -> Result<(), ApiError> {
    Ok(db::shared_transaction_lock(
        conn,
        sign_in_settings_key(district_id),
    )?)
}

/// Whether the district lets its students sign in with a password.
pub fn student_passwords(conn: &mut DbConnection, district_id: &str) -> Result<bool, ApiError> {
    Ok(districts::table
        .find(district_id)
        .select(districts::student_passwords)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(true))
}

/// Whether `user` may sign in with a password: always for staff; for a student, unless the
/// district turned student passwords off. Inside a write transaction, it holds the district's
/// sign-in settings (shared) until the transaction ends.
pub fn password_sign_in_allowed(conn: &mut DbConnection, user: &UserRow) -> Result<bool, ApiError> {
    if user.role != crate::accounts::Role::Student {
        return Ok(true);
    }
    share_sign_in_settings(conn, &user.district_id)?;
    student_passwords(conn, &user.district_id)
}

/// Signs every student of the district out (their refresh tokens revoked): when the district
/// turns student passwords off, sessions begun with a password end too.
pub fn revoke_student_sessions(conn: &mut DbConnection, district_id: &str) -> Result<(), ApiError> {
    let students = users::table
        .filter(users::district_id.eq(district_id))
        .filter(users::role.eq(crate::accounts::Role::Student))
        .select(users::id);
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq_any(students))
            .filter(refresh_tokens::revoked.eq(false)),
    )
    .set(refresh_tokens::revoked.eq(true))
    .execute(conn)?;
    super::sessions::close_students(conn, district_id)?;
    Ok(())
}
