//! Scope rules of peer mentoring. Counselors and school administrators run their school's
//! programs; district administrators read them; mentors and mentees see their own matches;
//! teachers see nothing of mentoring.

use diesel::prelude::*;

use super::models::{MatchRow, ProgramRow};
use crate::accounts::{Caller, Role};
use crate::authz::{Managed, Visible};
use crate::db::schema::{mentoring_matches, mentoring_programs, schools};
use crate::db::DbConnection;
use crate::error::ApiError;

/// Programs are visible to district staff of the district and to the school's administrators
/// and counselors; to everyone else they do not exist.
pub fn program(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Visible<ProgramRow>, ApiError> {
    let row = mentoring_programs::table
        .find(id)
        .select(ProgramRow::as_select())
        .first(conn)
        .optional()?
        .filter(|p| p.district_id == caller.district_id)
        .filter(|p| match caller.role {
            Role::DistrictAdmin => true,
            Role::SchoolAdmin | Role::Counselor => caller.school() == Some(p.school_id.as_str()),
            Role::Teacher | Role::Student => false,
        })
        .ok_or(ApiError::NotFound("mentoring program"))?;
    Ok(Visible::grant(row))
}

/// Only the school's counselors and administrators run a program.
pub fn manage_program(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Managed<ProgramRow>, ApiError> {
    let visible = program(conn, caller, id)?;
    if caller.role == Role::DistrictAdmin {
        return Err(ApiError::forbidden(
            "programs are run by the school's counselors and administrators",
        ));
    }
    Ok(Managed::grant(visible.into_inner()))
}

/// The school in which the caller may create a program: their own (counselors, school
/// administrators). District administrators read programs but do not run them.
pub fn program_school(caller: &Caller, requested: Option<&str>) -> Result<String, ApiError> {
    match (caller.role, caller.school()) {
        (Role::SchoolAdmin | Role::Counselor, Some(own)) => match requested {
            Some(other) if other != own => Err(ApiError::NotFound("school")),
            _ => Ok(own.to_owned()),
        },
        _ => Err(ApiError::forbidden(
            "programs are run by the school's counselors and administrators",
        )),
    }
}

/// The school whose mentoring data (do-not-match pairs, attention list) the caller runs.
pub fn mentoring_school(caller: &Caller) -> Result<String, ApiError> {
    program_school(caller, None)
}

/// Whether a district administrator's school filter names a school of their district.
pub fn district_school(
    conn: &mut DbConnection,
    caller: &Caller,
    school_id: &str,
) -> Result<(), ApiError> {
    let found: i64 = schools::table
        .filter(schools::id.eq(school_id))
        .filter(schools::district_id.eq(&caller.district_id))
        .count()
        .get_result(conn)?;
    if found == 0 || caller.role != Role::DistrictAdmin {
        return Err(ApiError::NotFound("school"));
    }
    Ok(())
}

/// How the caller relates to a match they may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchViewer {
    /// A counselor or administrator of the program's school.
    Manager,
    /// District staff: read only.
    District,
    Mentor,
    Mentee,
}

/// A match is visible to the program's staff, to district staff, and to its two students.
pub fn mentoring_match(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<(Visible<MatchRow>, ProgramRow, MatchViewer), ApiError> {
    let not_found = ApiError::NotFound("mentoring match");
    let row = mentoring_matches::table
        .find(id)
        .select(MatchRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(not_found.clone())?;
    let program = mentoring_programs::table
        .find(&row.program_id)
        .select(ProgramRow::as_select())
        .first(conn)?;
    if program.district_id != caller.district_id {
        return Err(not_found);
    }
    let viewer = match caller.role {
        Role::DistrictAdmin => MatchViewer::District,
        Role::SchoolAdmin | Role::Counselor if caller.school() == Some(&program.school_id) => {
            MatchViewer::Manager
        }
        Role::Student if caller.user_id == row.mentor_id => MatchViewer::Mentor,
        Role::Student if caller.user_id == row.mentee_id => MatchViewer::Mentee,
        _ => return Err(not_found),
    };
    Ok((Visible::grant(row), program, viewer))
}

/// Changing a match's state is the program staff's.
pub fn manage_match(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<(Managed<MatchRow>, ProgramRow), ApiError> {
    let (visible, program, viewer) = mentoring_match(conn, caller, id)?;
    if viewer != MatchViewer::Manager {
        return Err(ApiError::forbidden(
            "matches are changed by the school's counselors and administrators",
        ));
    }
    Ok((Managed::grant(visible.into_inner()), program))
}
