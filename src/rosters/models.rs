//! Roster rows as stored, and the shapes the API returns for them.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Role;
use crate::db::schema::{classes, districts, schools, terms, users};

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = districts)]
pub struct District {
    pub id: String,
    pub name: String,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = schools)]
pub struct School {
    pub id: String,
    pub district_id: String,
    pub name: String,
    /// Lowest grade taught (0 = kindergarten).
    #[schema(minimum = 0, maximum = 12)]
    pub low_grade: i32,
    /// Highest grade taught.
    #[schema(minimum = 0, maximum = 12)]
    pub high_grade: i32,
    pub active: bool,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub updated_at: NaiveDateTime,
}

impl School {
    pub fn teaches_grade(&self, grade: i32) -> bool {
        (self.low_grade..=self.high_grade).contains(&grade)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = terms)]
pub struct Term {
    pub id: String,
    pub district_id: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub district_id: String,
    pub school_id: Option<String>,
    pub role: String,
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

impl UserRow {
    pub fn role(&self) -> Role {
        // The column has a CHECK constraint listing exactly the known roles.
        Role::parse(&self.role).unwrap_or(Role::Student)
    }
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
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub updated_at: NaiveDateTime,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> User {
        User {
            role: row.role(),
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

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = classes)]
pub struct ClassRow {
    pub id: String,
    pub school_id: String,
    pub term_id: String,
    pub name: String,
    pub grade: Option<i32>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A short reference to a person, as shown inside other objects.
#[derive(Debug, Clone, Serialize, ToSchema, Queryable)]
pub struct PersonRef {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Class {
    pub id: String,
    pub school_id: String,
    pub term_id: String,
    pub name: String,
    /// Grade of the class; null for mixed-grade classes.
    #[schema(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
    pub active: bool,
    pub teachers: Vec<PersonRef>,
    /// Students actively enrolled.
    #[schema(minimum = 0)]
    pub student_count: i64,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enrollment {
    pub class_id: String,
    pub student_id: String,
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    #[schema(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
    pub active: bool,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub enrolled_at: NaiveDateTime,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub updated_at: NaiveDateTime,
}
