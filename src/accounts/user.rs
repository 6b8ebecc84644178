//! An account as stored and as the API shows it.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::Role;
use crate::db::schema::users;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub district_id: String,
    pub school_id: Option<String>,
    pub role: Role,
    pub username: String,
    pub email: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub grade: Option<i32>,
    pub password_hash: Option<String>,
    pub active: bool,
    pub failed_logins: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A user account as the API shows it (never the password hash or lockout state).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub district_id: String,
    /// School of the account; null for district staff.
    pub school_id: Option<String>,
    pub role: Role,
    pub username: String,
    pub email: Option<String>,
    pub given_name: String,
    pub family_name: String,
    /// Grade for students (0 = kindergarten); null for staff.
    #[schema(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
    pub active: bool,
    /// False until a password is set (e.g. imported accounts awaiting activation).
    pub has_password: bool,
    #[serde(serialize_with = "crate::dates::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::dates::utc")]
    pub updated_at: NaiveDateTime,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> User {
        User {
            role: row.role,
            has_password: row.password_hash.is_some(),
            id: row.id,
            district_id: row.district_id,
            school_id: row.school_id,
            username: row.username,
            email: row.email,
            given_name: row.given_name,
            family_name: row.family_name,
            grade: row.grade,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}
