//! Request bodies and query parameters of the roster routes, with their validation rules.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::accounts::Role;
use crate::pagination::paged;

pub const MAX_GRADE: i32 = 12;

/// Usernames: 3–64 characters of `a-z 0-9 . _ - @ +` (staff often use their email address).
pub fn validate_username(username: &str) -> Result<(), ValidationError> {
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@+".contains(c));
    if (3..=64).contains(&username.len()) && ok_chars {
        Ok(())
    } else {
        Err(ValidationError::new("username").with_message(
            "must be 3-64 characters of lowercase letters, digits and . _ - @ +".into(),
        ))
    }
}

pub fn validate_not_blank(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        Err(ValidationError::new("blank").with_message("must not be blank".into()))
    } else {
        Ok(())
    }
}

fn validate_ids(ids: &[String]) -> Result<(), ValidationError> {
    if ids.len() > 20 || ids.iter().any(|id| id.is_empty() || id.len() > 64) {
        return Err(ValidationError::new("ids").with_message("at most 20 non-empty ids".into()));
    }
    Ok(())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistrictPatch {
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub name: Option<String>,
    /// Let students sign in with a password (true) or only with the district's identity
    /// providers (false).
    pub student_passwords: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SchoolFilter {
    /// Only active (true) or deactivated (false) schools.
    pub active: Option<bool>,
    /// Page number, starting at 1.
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Items per page (default 50, at most 200).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}
paged!(SchoolFilter);

/// The terms to list.
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TermFilter {
    /// Also the imported sessions no class is in (a school year around its semesters, grading
    /// periods), kept as parts of the calendar; by default only the terms classes are in and
    /// the terms made here.
    pub include_parents: Option<bool>,
    /// Page number, starting at 1.
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Items per page (default 50, at most 200).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}
paged!(TermFilter);

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "grades_ordered_new"))]
pub struct NewSchool {
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub name: String,
    /// Lowest grade taught (0 = kindergarten).
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub low_grade: i32,
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub high_grade: i32,
}

fn grades_ordered_new(s: &NewSchool) -> Result<(), ValidationError> {
    grades_ordered(s.low_grade, s.high_grade)
}

pub fn grades_ordered(low: i32, high: i32) -> Result<(), ValidationError> {
    if low <= high {
        Ok(())
    } else {
        Err(ValidationError::new("low_grade")
            .with_message("low_grade must not exceed high_grade".into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchoolPatch {
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub name: Option<String>,
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub low_grade: Option<i32>,
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub high_grade: Option<i32>,
    /// False deactivates the school (its records are kept).
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "term_dates_ordered"))]
pub struct NewTerm {
    #[validate(length(min = 1, max = 100), custom(function = "validate_not_blank"))]
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

fn term_dates_ordered(t: &NewTerm) -> Result<(), ValidationError> {
    dates_ordered(t.starts_on, t.ends_on)
}

pub fn dates_ordered(start: NaiveDate, end: NaiveDate) -> Result<(), ValidationError> {
    if start <= end {
        Ok(())
    } else {
        Err(ValidationError::new("starts_on")
            .with_message("starts_on must not be after ends_on".into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermPatch {
    #[validate(length(min = 1, max = 100), custom(function = "validate_not_blank"))]
    pub name: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserFilter {
    pub role: Option<Role>,
    /// Students of this grade (0 = kindergarten).
    #[validate(range(min = 0, max = 12))]
    #[param(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
    #[validate(length(min = 1, max = 64))]
    pub school_id: Option<String>,
    pub active: Option<bool>,
    /// Case-insensitive match on given name, family name or username.
    #[validate(length(min = 1, max = 100))]
    pub q: Option<String>,
    /// Only those changed at or after this time (RFC 3339, e.g. `2026-12-01T00:00:00Z`), for
    /// clients that keep a copy in sync: pass the latest `updated_at` seen. Deactivations and
    /// ended enrollments are changes too; leave `active` unset to receive them.
    pub updated_since: Option<DateTime<Utc>>,
    /// Page number, starting at 1.
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Items per page (default 50, at most 200).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}
paged!(UserFilter);

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[validate(custom(function = "validate_username"))]
    #[schema(example = "maya.r")]
    pub username: String,
    pub role: Role,
    /// Required for every role but `district_admin`.
    #[validate(length(min = 1, max = 64))]
    pub school_id: Option<String>,
    /// Required for students, absent for staff (0 = kindergarten).
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
    #[validate(length(min = 1, max = 100), custom(function = "validate_not_blank"))]
    pub given_name: String,
    #[validate(length(min = 1, max = 100), custom(function = "validate_not_blank"))]
    pub family_name: String,
    #[validate(email, length(max = 254))]
    pub email: Option<String>,
    /// Initial password; without one the account cannot sign in until it is activated.
    #[validate(length(min = 8, max = 128))]
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[validate(length(min = 1, max = 100), custom(function = "validate_not_blank"))]
    pub given_name: Option<String>,
    #[validate(length(min = 1, max = 100), custom(function = "validate_not_blank"))]
    pub family_name: Option<String>,
    #[validate(email, length(max = 254))]
    pub email: Option<String>,
    /// Students only.
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
    /// False deactivates the account and signs it out everywhere.
    pub active: Option<bool>,
    /// Move to another school of the district (district administrators only).
    #[validate(length(min = 1, max = 64))]
    pub school_id: Option<String>,
    /// Change the role (district administrators only).
    pub role: Option<Role>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClassFilter {
    #[validate(length(min = 1, max = 64))]
    pub school_id: Option<String>,
    #[validate(length(min = 1, max = 64))]
    pub term_id: Option<String>,
    #[validate(length(min = 1, max = 64))]
    pub teacher_id: Option<String>,
    #[validate(range(min = 0, max = 12))]
    #[param(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
    pub active: Option<bool>,
    /// Case-insensitive match on the class name.
    #[validate(length(min = 1, max = 100))]
    pub q: Option<String>,
    /// Only those changed at or after this time (RFC 3339, e.g. `2026-12-01T00:00:00Z`), for
    /// clients that keep a copy in sync: pass the latest `updated_at` seen. Deactivations and
    /// ended enrollments are changes too; leave `active` unset to receive them.
    pub updated_since: Option<DateTime<Utc>>,
    /// Page number, starting at 1.
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Items per page (default 50, at most 200).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}
paged!(ClassFilter);

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClass {
    #[validate(length(min = 1, max = 64))]
    pub school_id: String,
    #[validate(length(min = 1, max = 64))]
    pub term_id: String,
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub name: String,
    /// Grade of the class; omit for mixed-grade classes.
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
    /// Teachers of the class (teachers of the same school).
    #[serde(default)]
    #[validate(custom(function = "validate_ids"))]
    pub teacher_ids: Vec<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassPatch {
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub name: Option<String>,
    #[validate(length(min = 1, max = 64))]
    pub term_id: Option<String>,
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
    /// False deactivates the class (its history is kept).
    pub active: Option<bool>,
    /// Replaces the class's teachers.
    #[validate(custom(function = "validate_ids"))]
    pub teacher_ids: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentFilter {
    /// Only current (true) or ended (false) enrollments.
    pub active: Option<bool>,
    /// Only those changed at or after this time (RFC 3339, e.g. `2026-12-01T00:00:00Z`), for
    /// clients that keep a copy in sync: pass the latest `updated_at` seen. Deactivations and
    /// ended enrollments are changes too; leave `active` unset to receive them.
    pub updated_since: Option<DateTime<Utc>>,
    /// Page number, starting at 1.
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Items per page (default 50, at most 200).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}
paged!(EnrollmentFilter);

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnrollment {
    #[validate(length(min = 1, max = 64))]
    pub student_id: String,
}
