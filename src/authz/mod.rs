//! Object-level authorization, in one place.
//!
//! Each function loads an object and checks it against the caller's scope, returning a proof
//! (`Visible<T>` or `Managed<T>`) that only this module can construct. Queries that read or
//! change an object in scope take the proof, not a bare id, so a forgotten check does not compile.
//!
//! Outside its scope a caller gets 404 for objects it may not know exist, and 403 where it
//! can already see the object but may not change it (DESIGN.md, "Users, roles, scopes").

mod lessons;
mod mentoring;
mod surveys;

use std::ops::Deref;

pub use lessons::*;
pub use mentoring::*;
pub use surveys::*;

use diesel::prelude::*;

use crate::auth::{Caller, Role};
use crate::db::schema::{class_teachers, classes, districts, enrollments, schools, terms, users};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::rosters::models::{ClassRow, District, School, Term, UserRow};

/// Proof that the caller may read the object.
#[derive(Debug)]
pub struct Visible<T>(T);

/// Proof that the caller may change the object.
#[derive(Debug)]
pub struct Managed<T>(T);

impl<T> Deref for Visible<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Deref for Managed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Visible<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Managed<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Proof that the caller teaches the class the object belongs to.
#[derive(Debug)]
pub struct Teaching<T>(T);

/// Proof that the caller is a student actively enrolled in the class the object belongs to.
#[derive(Debug)]
pub struct Enrolled<T>(T);

impl<T> Deref for Teaching<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Deref for Enrolled<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Which rows of a list a caller may see.
#[derive(Debug, Clone)]
pub enum ListScope {
    District(String),
    School(String),
    /// Classes the teacher teaches.
    Teacher(String),
    /// Classes the student is actively enrolled in.
    Student(String),
}

pub fn list_scope(caller: &Caller) -> ListScope {
    match (caller.role, caller.school()) {
        (Role::DistrictAdmin, _) | (_, None) => ListScope::District(caller.district_id.clone()),
        (Role::SchoolAdmin | Role::Counselor, Some(school)) => ListScope::School(school.to_owned()),
        (Role::Teacher, _) => ListScope::Teacher(caller.user_id.clone()),
        (Role::Student, _) => ListScope::Student(caller.user_id.clone()),
    }
}

fn refuse_change(what: &'static str) -> ApiError {
    ApiError::forbidden(format!("your role may view but not change this {what}"))
}

pub fn district(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Visible<District>, ApiError> {
    if caller.district_id != id {
        return Err(ApiError::NotFound("district"));
    }
    let row = districts::table
        .find(id)
        .select(District::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("district"))?;
    Ok(Visible(row))
}

/// The caller's own district, without reading it: an account always belongs to an existing
/// district, so only the id needs checking (for reads that must stay cheap).
pub fn own_district(caller: &Caller, id: &str) -> Result<(), ApiError> {
    if caller.district_id != id {
        return Err(ApiError::NotFound("district"));
    }
    Ok(())
}

pub fn manage_district(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Managed<District>, ApiError> {
    let visible = district(conn, caller, id)?;
    if caller.role != Role::DistrictAdmin {
        return Err(refuse_change("district"));
    }
    Ok(Managed(visible.0))
}

fn school_in_scope(caller: &Caller, school: &School) -> bool {
    match caller.role {
        Role::DistrictAdmin => school.district_id == caller.district_id,
        _ => caller.school() == Some(school.id.as_str()),
    }
}

pub fn school(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Visible<School>, ApiError> {
    let row = schools::table
        .find(id)
        .select(School::as_select())
        .first(conn)
        .optional()?
        .filter(|s| school_in_scope(caller, s))
        .ok_or(ApiError::NotFound("school"))?;
    Ok(Visible(row))
}

/// District staff change school records; school staff can see their school but not change it.
pub fn manage_school(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Managed<School>, ApiError> {
    let visible = school(conn, caller, id)?;
    if caller.role != Role::DistrictAdmin {
        return Err(refuse_change("school"));
    }
    Ok(Managed(visible.0))
}

/// A school whose roster (classes, teachers, students) the caller administers.
pub fn roster_school(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Managed<School>, ApiError> {
    let visible = school(conn, caller, id)?;
    if !matches!(caller.role, Role::DistrictAdmin | Role::SchoolAdmin) {
        return Err(refuse_change("school's roster"));
    }
    Ok(Managed(visible.0))
}

pub fn term(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<Visible<Term>, ApiError> {
    let row = terms::table
        .find(id)
        .select(Term::as_select())
        .first(conn)
        .optional()?
        .filter(|t| t.district_id == caller.district_id)
        .ok_or(ApiError::NotFound("term"))?;
    Ok(Visible(row))
}

pub fn manage_term(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Managed<Term>, ApiError> {
    let visible = term(conn, caller, id)?;
    if caller.role != Role::DistrictAdmin {
        return Err(refuse_change("term"));
    }
    Ok(Managed(visible.0))
}

fn teaches(conn: &mut DbConnection, teacher_id: &str, class_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        class_teachers::table
            .filter(class_teachers::class_id.eq(class_id))
            .filter(class_teachers::teacher_id.eq(teacher_id)),
    ))
    .get_result(conn)
}

fn enrolled(conn: &mut DbConnection, student_id: &str, class_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        enrollments::table
            .filter(enrollments::class_id.eq(class_id))
            .filter(enrollments::student_id.eq(student_id))
            .filter(enrollments::active.eq(true)),
    ))
    .get_result(conn)
}

pub fn class(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Visible<ClassRow>, ApiError> {
    let found: Option<(ClassRow, String)> = classes::table
        .inner_join(schools::table)
        .filter(classes::id.eq(id))
        .select((ClassRow::as_select(), schools::district_id))
        .first(conn)
        .optional()?;
    let (row, district_id) = found.ok_or(ApiError::NotFound("class"))?;
    let allowed = district_id == caller.district_id
        && match caller.role {
            Role::DistrictAdmin => true,
            Role::SchoolAdmin | Role::Counselor => caller.school() == Some(row.school_id.as_str()),
            Role::Teacher => teaches(conn, &caller.user_id, &row.id)?,
            Role::Student => enrolled(conn, &caller.user_id, &row.id)?,
        };
    if !allowed {
        return Err(ApiError::NotFound("class"));
    }
    Ok(Visible(row))
}

/// The class roster (who is enrolled) is for staff; a student sees the class but not classmates' records.
pub fn class_roster(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Visible<ClassRow>, ApiError> {
    let visible = class(conn, caller, id)?;
    if caller.role == Role::Student {
        return Err(ApiError::forbidden("students cannot list a class roster"));
    }
    Ok(visible)
}

pub fn manage_class(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Managed<ClassRow>, ApiError> {
    let visible = class(conn, caller, id)?;
    if !matches!(caller.role, Role::DistrictAdmin | Role::SchoolAdmin) {
        return Err(refuse_change("class"));
    }
    Ok(Managed(visible.0))
}

fn teaches_student(
    conn: &mut DbConnection,
    teacher_id: &str,
    student_id: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        enrollments::table
            .inner_join(
                class_teachers::table.on(class_teachers::class_id.eq(enrollments::class_id)),
            )
            .filter(class_teachers::teacher_id.eq(teacher_id))
            .filter(enrollments::student_id.eq(student_id))
            .filter(enrollments::active.eq(true)),
    ))
    .get_result(conn)
}

pub fn user(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Visible<UserRow>, ApiError> {
    let row = users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .filter(|u| u.district_id == caller.district_id)
        .ok_or(ApiError::NotFound("user"))?;
    let allowed = row.id == caller.user_id
        || match caller.role {
            Role::DistrictAdmin => true,
            Role::SchoolAdmin | Role::Counselor => {
                caller.school().is_some() && row.school_id.as_deref() == caller.school()
            }
            Role::Teacher => {
                row.role() == Role::Student && teaches_student(conn, &caller.user_id, &row.id)?
            }
            Role::Student => false,
        };
    if !allowed {
        return Err(ApiError::NotFound("user"));
    }
    Ok(Visible(row))
}

/// District staff manage every account in the district; school administrators manage the
/// teachers and students of their own school. Nobody changes their own role or active flag here.
pub fn manage_user(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Managed<UserRow>, ApiError> {
    let visible = user(conn, caller, id)?;
    let allowed = match caller.role {
        Role::DistrictAdmin => true,
        Role::SchoolAdmin => {
            matches!(visible.role(), Role::Teacher | Role::Student)
                && visible.school_id.as_deref() == caller.school()
        }
        _ => false,
    };
    if !allowed || visible.id == caller.user_id {
        return Err(refuse_change("account"));
    }
    Ok(Managed(visible.0))
}

/// An account whose activation code the caller may issue again: anyone who manages it, and for
/// a student still awaiting activation also the school's counselors and the student's own
/// teachers. Never one's own.
pub fn reissue_activation(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Managed<UserRow>, ApiError> {
    let visible = user(conn, caller, id)?;
    let student = visible.role() == Role::Student;
    let allowed = visible.id != caller.user_id
        && match caller.role {
            Role::DistrictAdmin => visible.role() != Role::DistrictAdmin,
            Role::SchoolAdmin => {
                matches!(visible.role(), Role::Teacher | Role::Student)
            }
            // `user` already limited these to their school's accounts or their own students.
            // Only for an account still awaiting activation: resetting a password would let
            // them sign in as the student.
            Role::Counselor | Role::Teacher => student && visible.password_hash.is_none(),
            Role::Student => false,
        };
    if !allowed {
        return Err(ApiError::forbidden(
            "your role may not issue an activation code for this account",
        ));
    }
    Ok(Managed(visible.0))
}

/// May the caller create or move accounts of `role` into `school`?
pub fn may_place_account(
    caller: &Caller,
    role: Role,
    school: Option<&Managed<School>>,
) -> Result<(), ApiError> {
    match (caller.role, role, school) {
        (Role::DistrictAdmin, _, _) => Ok(()),
        (Role::SchoolAdmin, Role::Teacher | Role::Student, Some(_)) => Ok(()),
        _ => Err(ApiError::forbidden(format!(
            "your role may not create or change {role} accounts"
        ))),
    }
}
