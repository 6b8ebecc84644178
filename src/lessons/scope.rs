//! Scope rules of the lesson library and of assignments.

use diesel::prelude::*;

use super::models::{AssignmentRow, AssignmentStatus, OwnerLevel, PlanRow};
use crate::accounts::{Caller, Role};
use crate::authz::{Enrolled, Managed, Teaching, Visible};
use crate::db::schema::{assignments, lesson_plans};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::rosters::models::ClassRow;
use crate::rosters::scope::class;

/// District plans are the district administrators'; school plans belong to the school's
/// administrators and counselors; private plans to their author.
pub fn may_edit_plan(caller: &Caller, plan: &PlanRow) -> bool {
    plan.district_id == caller.district_id
        && match plan.owner_level {
            OwnerLevel::District => caller.role == Role::DistrictAdmin,
            OwnerLevel::School => {
                matches!(caller.role, Role::SchoolAdmin | Role::Counselor)
                    && caller.school() == plan.school_id.as_deref()
            }
            OwnerLevel::Private => plan.created_by == caller.user_id,
        }
}

/// Published versions: district plans for all staff of the district, school plans for the
/// school's staff (and district staff), private plans for their author. Students read lesson
/// content only through their assignments.
fn may_read_published(caller: &Caller, plan: &PlanRow) -> bool {
    plan.district_id == caller.district_id
        && plan.latest_version.is_some()
        && caller.role != Role::Student
        && match plan.owner_level {
            OwnerLevel::District => true,
            OwnerLevel::School => {
                caller.role == Role::DistrictAdmin || caller.school() == plan.school_id.as_deref()
            }
            OwnerLevel::Private => plan.created_by == caller.user_id,
        }
}

fn load_plan(conn: &mut DbConnection, id: &str) -> Result<Option<PlanRow>, ApiError> {
    Ok(lesson_plans::table
        .find(id)
        .select(PlanRow::as_select())
        .first(conn)
        .optional()?)
}

/// A plan the caller may read; the flag says whether it may also edit it.
pub fn lesson_plan(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<(Visible<PlanRow>, bool), ApiError> {
    let plan = load_plan(conn, id)?.ok_or(ApiError::NotFound("lesson plan"))?;
    let editable = may_edit_plan(caller, &plan);
    if !editable && !may_read_published(caller, &plan) {
        return Err(ApiError::NotFound("lesson plan"));
    }
    Ok((Visible::grant(plan), editable))
}

pub fn edit_lesson_plan(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Managed<PlanRow>, ApiError> {
    let (plan, editable) = lesson_plan(conn, caller, id)?;
    if !editable {
        return Err(ApiError::forbidden("only the plan's owners may change it"));
    }
    Ok(Managed::grant(plan.into_inner()))
}

/// A class the caller teaches (a teacher of another class gets 404, other staff 403).
pub fn teaching_class(
    conn: &mut DbConnection,
    caller: &Caller,
    class_id: &str,
) -> Result<Teaching<ClassRow>, ApiError> {
    let visible = class(conn, caller, class_id)?;
    if caller.role != Role::Teacher {
        return Err(ApiError::forbidden(
            "only the class's teachers manage its lessons",
        ));
    }
    // For a teacher, seeing the class means teaching it.
    Ok(Teaching::grant(visible.into_inner()))
}

/// An assignment in a class the caller can see (students: not cancelled ones).
pub fn assignment(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Visible<AssignmentRow>, ApiError> {
    let row: AssignmentRow = assignments::table
        .find(id)
        .select(AssignmentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("assignment"))?;
    class(conn, caller, &row.class_id).map_err(|_| ApiError::NotFound("assignment"))?;
    if caller.role == Role::Student && row.status == AssignmentStatus::Cancelled {
        return Err(ApiError::NotFound("assignment"));
    }
    Ok(Visible::grant(row))
}

/// Staff views of an assignment (progress): everyone who sees it but students.
pub fn assignment_for_staff(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Visible<AssignmentRow>, ApiError> {
    let visible = assignment(conn, caller, id)?;
    if caller.role == Role::Student {
        return Err(ApiError::forbidden(
            "students see their own completion only",
        ));
    }
    Ok(visible)
}

pub fn teaching_assignment(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Teaching<AssignmentRow>, ApiError> {
    let visible = assignment(conn, caller, id)?;
    if caller.role != Role::Teacher {
        return Err(ApiError::forbidden(
            "only the class's teachers may do this with its assignments",
        ));
    }
    Ok(Teaching::grant(visible.into_inner()))
}

pub fn enrolled_assignment(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Enrolled<AssignmentRow>, ApiError> {
    let visible = assignment(conn, caller, id)?;
    if caller.role != Role::Student {
        return Err(ApiError::forbidden(
            "only students of the class complete its lessons",
        ));
    }
    // For a student, seeing the assignment means being enrolled in its class.
    Ok(Enrolled::grant(visible.into_inner()))
}
