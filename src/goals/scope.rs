//! Who sees and changes goals.
//!
//! - A **school goal** is read and changed by the school's administrators and counselors and by
//!   district administrators; a **district goal** by district administrators. These are the
//!   readers of the figures they follow (school and district climate reports, SEL activity).
//!   Teachers and students do not see them.
//! - A **student goal** is seen by the student, the counselors of the student's school and,
//!   where the district allows it, the student's own teachers; it is set and changed by the
//!   school's counselors. Administrators never see a student's goals, and no figure aggregates
//!   them.
//!   Teachers see a goal only if they already taught the student when it was set, and never the
//!   notes of its reviews.
//! - A review is recorded by the goal's owner only.

use super::models::GoalRow;
use super::vocab::GoalKind;
use crate::accounts::{Caller, Role, UserRow};
use crate::authz::{Managed, Visible};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::rosters::models::School;
use crate::support::settings::SupportSettings;

/// Where a new school or district goal goes: the school (checked in scope) or None for the
/// district.
pub fn new_goal_place(
    conn: &mut DbConnection,
    caller: &Caller,
    school_id: Option<&str>,
) -> Result<Option<Visible<School>>, ApiError> {
    match school_id {
        None if caller.role == Role::DistrictAdmin => Ok(None),
        None => Err(ApiError::forbidden(
            "district goals are set by district administrators; give school_id for your school",
        )),
        Some(id) => {
            let school = crate::rosters::scope::school(conn, caller, id).map_err(|e| match e {
                ApiError::NotFound(_) => {
                    ApiError::invalid("school_id", "no such school in your scope")
                }
                other => other,
            })?;
            Ok(Some(school))
        }
    }
}

/// Whether the caller reads (and sets) the school or district goals of this place.
fn reads_measured(caller: &Caller, district_id: &str, school_id: Option<&str>) -> bool {
    if caller.district_id != district_id {
        return false;
    }
    match caller.role {
        Role::DistrictAdmin => true,
        Role::SchoolAdmin | Role::Counselor => school_id.is_some() && caller.school() == school_id,
        Role::Teacher | Role::Student => false,
    }
}

/// Whether the caller reads this student's goals: the student, a counselor of their school, or
/// (where allowed) a teacher of one of their classes.
fn reads_student(
    conn: &mut DbConnection,
    caller: &Caller,
    row: &GoalRow,
    settings: &SupportSettings,
) -> Result<bool, ApiError> {
    if caller.district_id != row.district_id {
        return Ok(false);
    }
    let student = row.student_id.as_deref().unwrap_or_default();
    Ok(match caller.role {
        Role::Student => student == caller.user_id,
        // `authz::user` lets a counselor see the students of their school (as it is now), and
        // a teacher the students of their classes.
        Role::Counselor => crate::authz::user(conn, caller, student).is_ok(),
        // Only a goal set while the teacher already taught the student: a class made (or an
        // enrollment added) afterwards opens nothing set before it.
        Role::Teacher if settings.teachers_see_student_goals => {
            super::queries::taught_by(conn, &caller.user_id, student, row.created_at)?
        }
        _ => false,
    })
}

/// A goal the caller may read; 404 otherwise (one answer for "no such goal" and "not yours").
pub fn goal(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    settings: &SupportSettings,
) -> Result<Visible<GoalRow>, ApiError> {
    let row = super::queries::goal(conn, id)?.ok_or(ApiError::NotFound("goal"))?;
    let visible = match row.kind {
        GoalKind::Student => reads_student(conn, caller, &row, settings)?,
        _ => reads_measured(caller, &row.district_id, row.school_id.as_deref()),
    };
    if !visible {
        return Err(ApiError::NotFound("goal"));
    }
    Ok(Visible::grant(row))
}

/// A goal the caller may change: a school or district goal by those who read it; a student goal
/// by the counselors of the student's school (403 for others who see it).
pub fn manage_goal(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    settings: &SupportSettings,
) -> Result<Managed<GoalRow>, ApiError> {
    let row = goal(conn, caller, id, settings)?.into_inner();
    if row.kind == GoalKind::Student && caller.role != Role::Counselor {
        return Err(ApiError::forbidden(
            "a student's goal is changed by the school's counselors",
        ));
    }
    Ok(Managed::grant(row))
}

/// A goal the caller may review: its owner's.
pub fn review_goal(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    settings: &SupportSettings,
) -> Result<Managed<GoalRow>, ApiError> {
    let row = goal(conn, caller, id, settings)?.into_inner();
    if row.owner_id != caller.user_id {
        return Err(ApiError::forbidden(
            "reviews are recorded by the goal's owner (owner_id); change the owner first",
        ));
    }
    Ok(Managed::grant(row))
}

/// A student whose goals the caller reads: a counselor of the student's school, or one of the
/// student's teachers where the district allows it (who then sees the goals set while they
/// taught the student, `visible_to_teacher`). Administrators get 403; anyone else 404.
pub fn student_goals(
    conn: &mut DbConnection,
    caller: &Caller,
    student_id: &str,
    settings: &SupportSettings,
) -> Result<Visible<UserRow>, ApiError> {
    let student = student(conn, caller, student_id)?;
    match caller.role {
        Role::Counselor => Ok(Visible::grant(student)),
        Role::Teacher if settings.teachers_see_student_goals => Ok(Visible::grant(student)),
        Role::Teacher => Err(ApiError::forbidden(
            "your district shows a student's goals to the student and their counselors",
        )),
        _ => Err(ApiError::forbidden(
            "a student's goals are for the student and their counselors",
        )),
    }
}

/// A student the caller sets a goal with: a counselor of the student's school.
pub fn goal_student(
    conn: &mut DbConnection,
    caller: &Caller,
    student_id: &str,
) -> Result<Managed<UserRow>, ApiError> {
    let student = student(conn, caller, student_id)?;
    if caller.role != Role::Counselor {
        return Err(ApiError::forbidden(
            "a student's goal is set by a counselor of their school, with the student",
        ));
    }
    Ok(Managed::grant(student))
}

fn student(
    conn: &mut DbConnection,
    caller: &Caller,
    student_id: &str,
) -> Result<UserRow, ApiError> {
    if caller.role == Role::Student {
        return Err(if caller.user_id == student_id {
            ApiError::forbidden("students read their own goals at /api/v1/me/goals")
        } else {
            ApiError::NotFound("student")
        });
    }
    let visible = match crate::authz::user(conn, caller, student_id) {
        Ok(v) => v.into_inner(),
        Err(ApiError::NotFound(_)) => return Err(ApiError::NotFound("student")),
        Err(e) => return Err(e),
    };
    if visible.role != Role::Student {
        return Err(ApiError::NotFound("student"));
    }
    Ok(visible)
}

/// The goals of a student a teacher may see: those set while the teacher taught the student.
pub fn visible_to_teacher(
    conn: &mut DbConnection,
    caller: &Caller,
    rows: Vec<GoalRow>,
) -> Result<Vec<GoalRow>, ApiError> {
    if caller.role != Role::Teacher {
        return Ok(rows);
    }
    let mut out = Vec::new();
    for row in rows {
        let student = row.student_id.as_deref().unwrap_or_default();
        if super::queries::taught_by(conn, &caller.user_id, student, row.created_at)? {
            out.push(row);
        }
    }
    Ok(out)
}
