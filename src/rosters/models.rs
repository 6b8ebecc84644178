//! Roster rows as stored, and the shapes the API returns for them.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::{classes, districts, schools, terms};

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = districts)]
pub struct District {
    pub id: String,
    pub name: String,
    /// Whether students may sign in with a password (and set one with an activation code).
    /// When false, students sign in only through the district's identity providers; staff
    /// passwords keep working.
    pub student_passwords: bool,
    #[serde(serialize_with = "crate::dates::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::dates::utc")]
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
    #[serde(serialize_with = "crate::dates::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::dates::utc")]
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
    #[serde(serialize_with = "crate::dates::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::dates::utc")]
    pub updated_at: NaiveDateTime,
    /// The OneRoster type of an imported session (`schoolYear`, `semester`, `term`,
    /// `gradingPeriod`); null for a term made here.
    #[schema(example = "semester")]
    pub session_type: Option<String>,
    /// The session it is part of (a semester's school year), if imported with one.
    pub parent_id: Option<String>,
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
    #[serde(serialize_with = "crate::dates::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::dates::utc")]
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
    #[serde(serialize_with = "crate::dates::utc")]
    pub enrolled_at: NaiveDateTime,
    #[serde(serialize_with = "crate::dates::utc")]
    pub updated_at: NaiveDateTime,
}
