//! Scope rules of student support. Check-ins and help requests are about a named child:
//! - a student's individual check-ins are read by the counselors of the student's school and,
//!   where the district allows it, by the student's own teachers; administrators see totals;
//! - a help request is seen by its student, the adult they chose, the school's counselors, and,
//!   once it is escalated (not acknowledged in time), the school's administrators;
//! - district staff see numbers without names.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::HelpRequestRow;
use super::settings::SupportSettings;
use crate::accounts::{Caller, Role, UserRow};
use crate::authz::{Managed, Visible};
use crate::db::schema::{help_requests, schools};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::rosters::models::{ClassRow, School};

/// A student whose individual check-ins (notes included) the caller may read.
pub fn student_check_ins(
    conn: &mut DbConnection,
    caller: &Caller,
    settings: &SupportSettings,
    student_id: &str,
) -> Result<Visible<UserRow>, ApiError> {
    if caller.role == Role::Student {
        // Students read their own at /me/check-ins; another student's id is not theirs to know.
        return Err(if caller.user_id == student_id {
            ApiError::forbidden("students read their own check-ins at /api/v1/me/check-ins")
        } else {
            ApiError::NotFound("student")
        });
    }
    // One answer for "no such account" and "not yours to see".
    let visible = match crate::authz::user(conn, caller, student_id) {
        Ok(v) => v.into_inner(),
        Err(ApiError::NotFound(_)) => return Err(ApiError::NotFound("student")),
        Err(e) => return Err(e),
    };
    if visible.role != Role::Student {
        return Err(ApiError::NotFound("student"));
    }
    match caller.role {
        Role::Counselor => Ok(Visible::grant(visible)),
        // `authz::user` lets a teacher see only the students of their classes.
        Role::Teacher if settings.teachers_see_check_ins => Ok(Visible::grant(visible)),
        Role::Teacher => Err(ApiError::forbidden(
            "your district shows teachers class totals of check-ins, not a student's own",
        )),
        _ => Err(ApiError::forbidden(
            "administrators see check-in totals, not a student's own",
        )),
    }
}

/// A class whose check-in totals the caller may read: its teachers, the school's staff and
/// district staff. Students see no totals.
pub fn class_summary(
    conn: &mut DbConnection,
    caller: &Caller,
    class_id: &str,
) -> Result<Visible<ClassRow>, ApiError> {
    let class = crate::rosters::scope::class(conn, caller, class_id)?;
    if caller.role == Role::Student {
        return Err(ApiError::forbidden("check-in totals are for staff"));
    }
    Ok(class)
}

/// A school whose check-in totals (whole school, per grade) the caller may read: its
/// administrators and counselors, and district staff. Teachers read their classes' totals.
pub fn school_summary(
    conn: &mut DbConnection,
    caller: &Caller,
    school_id: &str,
) -> Result<Visible<School>, ApiError> {
    let school = crate::rosters::scope::school(conn, caller, school_id)?;
    match caller.role {
        Role::DistrictAdmin | Role::SchoolAdmin | Role::Counselor => Ok(school),
        Role::Teacher => Err(ApiError::forbidden(
            "teachers read the check-in totals of their own classes",
        )),
        Role::Student => Err(ApiError::NotFound("school")),
    }
}

/// The school whose "students to notice" list the caller reads: a counselor's own.
pub fn notice_school(
    conn: &mut DbConnection,
    caller: &Caller,
    school_id: &str,
) -> Result<Visible<School>, ApiError> {
    let school = crate::rosters::scope::school(conn, caller, school_id)?;
    match caller.role {
        Role::Counselor => Ok(school),
        Role::Student => Err(ApiError::NotFound("school")),
        _ => Err(ApiError::forbidden(
            "the students-to-notice list is for the school's counselors",
        )),
    }
}

/// How the caller relates to a help request they may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpViewer {
    /// The student who asked.
    Student,
    /// Staff: the adult chosen, a counselor of the school, or (once escalated) an administrator.
    Staff,
}

/// A help request the caller may see, and as whom.
pub fn help_request(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    now: NaiveDateTime,
) -> Result<(Visible<HelpRequestRow>, HelpViewer), ApiError> {
    let found: Option<(HelpRequestRow, String)> = help_requests::table
        .inner_join(schools::table.on(schools::id.eq(help_requests::school_id)))
        .filter(help_requests::id.eq(id))
        .select((HelpRequestRow::as_select(), schools::district_id))
        .first(conn)
        .optional()?;
    let (row, district) = found.ok_or(ApiError::NotFound("help request"))?;
    let own_school = caller.school() == Some(row.school_id.as_str());
    let viewer = if district != caller.district_id {
        None
    } else if row.student_id == caller.user_id {
        Some(HelpViewer::Student)
    } else if row.recipient_id.as_deref() == Some(caller.user_id.as_str()) {
        Some(HelpViewer::Staff)
    } else {
        match caller.role {
            Role::Counselor if own_school => Some(HelpViewer::Staff),
            Role::SchoolAdmin if own_school && row.escalated(now) => Some(HelpViewer::Staff),
            _ => None,
        }
    };
    let viewer = viewer.ok_or(ApiError::NotFound("help request"))?;
    Ok((Visible::grant(row), viewer))
}

/// A help request the caller may move on: staff who see it (any step), or its student (to
/// withdraw it only; the handler checks the step).
pub fn manage_help_request(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    now: NaiveDateTime,
) -> Result<(Managed<HelpRequestRow>, HelpViewer), ApiError> {
    let (row, viewer) = help_request(conn, caller, id, now)?;
    Ok((Managed::grant(row.into_inner()), viewer))
}
