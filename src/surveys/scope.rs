//! Scope rules of survey instruments and windows.

use diesel::prelude::*;

use super::models::{InstrumentRow, WindowRow};
use crate::accounts::{Caller, Role};
use crate::authz::{Managed, Visible};
use crate::db::schema::{survey_instruments, survey_window_schools, survey_windows};
use crate::db::DbConnection;
use crate::error::ApiError;

/// Instruments are the district's: district staff see drafts too, other staff see published
/// versions; students see questions only through a window's questionnaire.
pub fn instrument(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Visible<InstrumentRow>, ApiError> {
    let row = survey_instruments::table
        .find(id)
        .select(InstrumentRow::as_select())
        .first(conn)
        .optional()?
        .filter(|i| i.district_id == caller.district_id)
        .filter(|i| i.is_published() || caller.role == Role::DistrictAdmin)
        .filter(|_| caller.role != Role::Student)
        .ok_or(ApiError::NotFound("survey instrument"))?;
    Ok(Visible::grant(row))
}

pub fn manage_instrument(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Managed<InstrumentRow>, ApiError> {
    let visible = instrument(conn, caller, id)?;
    if caller.role != Role::DistrictAdmin {
        return Err(ApiError::forbidden(
            "only district administrators manage instruments",
        ));
    }
    Ok(Managed::grant(visible.into_inner()))
}

/// District staff see every window of the district; school staff and teachers the windows
/// that include their school; students the windows offered to their school and grade, or once
/// a window is frozen, the windows whose roster holds them.
pub fn window(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Visible<WindowRow>, ApiError> {
    let row = survey_windows::table
        .find(id)
        .select(WindowRow::as_select())
        .first(conn)
        .optional()?
        .filter(|w| w.district_id == caller.district_id)
        .ok_or(ApiError::NotFound("survey window"))?;
    let allowed = match (caller.role, caller.school()) {
        (Role::DistrictAdmin, _) => true,
        // Once a window is frozen, its roster says whom it is offered to, wherever they are now.
        (Role::Student, _) if row.frozen_at.is_some() => {
            super::roster::is_on_roster(conn, &row.id, &caller.user_id)?
        }
        (_, None) => false,
        (role, Some(school)) => {
            let includes_school: bool = diesel::select(diesel::dsl::exists(
                survey_window_schools::table
                    .filter(survey_window_schools::window_id.eq(&row.id))
                    .filter(survey_window_schools::school_id.eq(school)),
            ))
            .get_result(conn)?;
            includes_school
                && (role != Role::Student
                    || caller.grade.is_some_and(|g| row.grades().contains(&g)))
        }
    };
    if !allowed {
        return Err(ApiError::NotFound("survey window"));
    }
    Ok(Visible::grant(row))
}

/// Windows are opened and changed by district staff only.
pub fn manage_window(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Managed<WindowRow>, ApiError> {
    let visible = window(conn, caller, id)?;
    if caller.role != Role::DistrictAdmin {
        return Err(ApiError::forbidden(
            "only district administrators manage survey windows",
        ));
    }
    Ok(Managed::grant(visible.into_inner()))
}
