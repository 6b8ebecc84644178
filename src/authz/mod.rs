//! Object-level authorization: the proofs every scope rule returns, and the rules for accounts.
//!
//! The proofs (`Visible<T>`, `Managed<T>`, `Teaching<T>`, `Enrolled<T>`), which only scope
//! rules grant: the account rules here, and each domain's own in its `scope.rs`
//! (`rosters::scope` for districts, schools, terms and classes). A scope rule loads an object and
//! checks it against the caller; queries that read or change an object in scope take the
//! proof, not a bare id, so a forgotten check does not compile.
//!
//! Outside its scope a caller gets 404 for objects it may not know exist, and 403 where it
//! can already see the object but may not change it (docs/ARCHITECTURE.md, "Scope and proofs").

use std::ops::Deref;

use diesel::prelude::*;

use crate::accounts::{Caller, Role, UserRow};
use crate::db::schema::{class_teachers, enrollments, users};
use crate::db::DbConnection;
use crate::error::ApiError;

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

/// The proofs are granted only by scope rules: the functions of this module and of each
/// domain's `scope.rs` (a test in `tests/` refuses a `grant` anywhere else).
macro_rules! proof {
    ($($name:ident),+) => {$(
        impl<T> $name<T> {
            pub(crate) fn grant(object: T) -> $name<T> {
                $name(object)
            }

            pub fn into_inner(self) -> T {
                self.0
            }
        }
    )+};
}

proof!(Visible, Managed, Teaching, Enrolled);

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

pub fn refuse_change(what: &'static str) -> ApiError {
    ApiError::forbidden(format!("your role may view but not change this {what}"))
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
                row.role == Role::Student && teaches_student(conn, &caller.user_id, &row.id)?
            }
            Role::Student => false,
        };
    if !allowed {
        return Err(ApiError::NotFound("user"));
    }
    Ok(Visible::grant(row))
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
            matches!(visible.role, Role::Teacher | Role::Student)
                && visible.school_id.as_deref() == caller.school()
        }
        _ => false,
    };
    if !allowed || visible.id == caller.user_id {
        return Err(refuse_change("account"));
    }
    Ok(Managed::grant(visible.into_inner()))
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
    let student = visible.role == Role::Student;
    let allowed = visible.id != caller.user_id
        && match caller.role {
            Role::DistrictAdmin => visible.role != Role::DistrictAdmin,
            Role::SchoolAdmin => {
                matches!(visible.role, Role::Teacher | Role::Student)
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
    Ok(Managed::grant(visible.into_inner()))
}

/// May the caller create or move accounts of `role` into `school`?
pub fn may_place_account<S>(
    caller: &Caller,
    role: Role,
    school: Option<&Managed<S>>,
) -> Result<(), ApiError> {
    match (caller.role, role, school) {
        (Role::DistrictAdmin, _, _) => Ok(()),
        (Role::SchoolAdmin, Role::Teacher | Role::Student, Some(_)) => Ok(()),
        _ => Err(ApiError::forbidden(format!(
            "your role may not create or change {role} accounts"
        ))),
    }
}
