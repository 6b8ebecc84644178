//! Scope rules of districts, schools, terms and classes (docs/ARCHITECTURE.md, "Scope and
//! proofs"): each loads an object and checks it against the caller, returning the proof
//! queries take.

use diesel::prelude::*;

use super::models::{ClassRow, District, School, Term};
use crate::accounts::{Caller, Role};
use crate::authz::{refuse_change, Managed, Visible};
use crate::db::schema::{class_teachers, classes, districts, enrollments, schools, terms};
use crate::db::DbConnection;
use crate::error::ApiError;

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
    Ok(Visible::grant(row))
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
    Ok(Managed::grant(visible.into_inner()))
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
    Ok(Visible::grant(row))
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
    Ok(Managed::grant(visible.into_inner()))
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
    Ok(Managed::grant(visible.into_inner()))
}

pub fn term(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<Visible<Term>, ApiError> {
    let row = terms::table
        .find(id)
        .select(Term::as_select())
        .first(conn)
        .optional()?
        .filter(|t| t.district_id == caller.district_id)
        .ok_or(ApiError::NotFound("term"))?;
    Ok(Visible::grant(row))
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
    Ok(Managed::grant(visible.into_inner()))
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
    Ok(Visible::grant(row))
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
    Ok(Managed::grant(visible.into_inner()))
}
