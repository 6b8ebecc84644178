//! Frozen windows: when a window opens, the students it is offered to are fixed, each with the
//! school and grade they had then. A response counts in the cell of that snapshot; students
//! created or moved later cannot take the window; roster changes during it change no cell.

use std::collections::HashSet;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::models::WindowRow;
use crate::accounts::Role;
use crate::db::on_backend;
use crate::db::schema::{
    survey_opt_outs as opt_outs, survey_window_roster as roster, survey_window_schools,
    survey_windows as windows, users,
};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::seal::SealKeys;

/// A student's place in a frozen window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub school_id: String,
    pub grade: i32,
    /// The account and its placement existed `SURVEY_SETTLE_DAYS` before the window opened.
    pub settled: bool,
    /// A guardian had opted the student out before the window opened.
    pub opted_out_at_opening: bool,
    /// A guardian has opted the student out since (or before): they may not answer.
    pub opted_out_now: bool,
}

/// A student the window is offered to: id, school, grade, account created, last placed.
type Offered = (
    String,
    Option<String>,
    Option<i32>,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

/// Freezes `window` unless it is frozen already (in the caller's write transaction): writes
/// its roster and gives it a data key wrapped under the current seal key. Returns whether this
/// call froze it; of several servers racing, exactly one does (the conditional update).
pub fn freeze(
    conn: &mut DbConnection,
    window: &WindowRow,
    keys: &SealKeys,
    settle: TimeDelta,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let claimed = diesel::update(
        windows::table
            .find(&window.id)
            .filter(windows::frozen_at.is_null()),
    )
    .set((
        windows::frozen_at.eq(now),
        windows::sealed_key.eq(keys.new_wrapped_data_key(&window.id)),
    ))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(false);
    }
    let schools: Vec<String> = survey_window_schools::table
        .filter(survey_window_schools::window_id.eq(&window.id))
        .select(survey_window_schools::school_id)
        .load(conn)?;
    let students: Vec<Offered> = users::table
        .filter(users::role.eq(Role::Student))
        .filter(users::active.eq(true))
        .filter(users::school_id.eq_any(&schools))
        .filter(users::grade.eq_any(window.grades()))
        .select((
            users::id,
            users::school_id,
            users::grade,
            users::created_at,
            users::placed_at,
        ))
        .load(conn)?;
    let opted: HashSet<String> = opt_outs::table
        .filter(opt_outs::window_id.eq(&window.id))
        .select(opt_outs::student_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    // Settled means existing, where it is now, since before the cutoff: an account made or
    // moved for the purpose of filling a cell is not.
    let cutoff = now - settle;
    let rows: Vec<_> = students
        .into_iter()
        .filter_map(|(id, school, grade, created, placed)| {
            let settled = created <= cutoff && placed.unwrap_or(created) <= cutoff;
            Some((
                roster::window_id.eq(window.id.clone()),
                roster::opted_out.eq(opted.contains(&id)),
                roster::student_id.eq(id),
                roster::school_id.eq(school?),
                roster::grade.eq(grade?),
                roster::settled.eq(settled),
            ))
        })
        .collect();
    db::insert_batches(rows.len(), 6, |range| {
        on_backend!(&mut *conn, |c| diesel::insert_into(roster::table)
            .values(&rows[range])
            .execute(c))
    })?;
    Ok(true)
}

/// Freezes `window` in its own write transaction if it has opened and is not frozen yet.
/// Never inside a submission's transaction: the roster rows would share its transaction id.
pub fn ensure_frozen(
    conn: &mut DbConnection,
    window: &WindowRow,
    keys: &SealKeys,
    settle: TimeDelta,
) -> Result<(), ApiError> {
    let now = db::now();
    if window.frozen_at.is_some() || now < window.opens_at {
        return Ok(());
    }
    db::write_transaction(conn, |conn| {
        freeze(conn, window, keys, settle, now).map(|_| ())
    })
}

/// Freezes every window that has opened and is not frozen yet, each in its own transaction;
/// with `district`, only that district's. Returns how many this call froze.
pub fn freeze_due(
    conn: &mut DbConnection,
    keys: &SealKeys,
    settle: TimeDelta,
    district: Option<&str>,
) -> Result<usize, ApiError> {
    let now = db::now();
    let mut q = windows::table
        .filter(windows::frozen_at.is_null())
        .filter(windows::opens_at.le(now))
        .into_boxed::<db::DbBackend>();
    if let Some(d) = district {
        q = q.filter(windows::district_id.eq(d.to_owned()));
    }
    let due: Vec<WindowRow> = q.select(WindowRow::as_select()).load(conn)?;
    let mut frozen = 0;
    for window in &due {
        if db::write_transaction(conn, |conn| freeze(conn, window, keys, settle, now))? {
            frozen += 1;
        }
    }
    Ok(frozen)
}

/// A roster row with its account's dates and any opt-out: school, grade, settled at opening,
/// opted out at opening, created, placed, opted out now.
type PlacementRow = (
    String,
    i32,
    bool,
    bool,
    NaiveDateTime,
    Option<NaiveDateTime>,
    bool,
);

/// The student's placement in a frozen window as they answer now, if the window is offered to
/// them (one query: it is on every submission's path). `settled` is decided again here: an
/// account whose password, active flag or placement changed since the settling cutoff (say,
/// taken over by staff with an activation code during the window) is not settled any more.
pub fn placement(
    conn: &mut DbConnection,
    window: &WindowRow,
    student_id: &str,
    settle: TimeDelta,
) -> Result<Option<Placement>, ApiError> {
    let row: Option<PlacementRow> = roster::table
        .inner_join(users::table.on(users::id.eq(roster::student_id)))
        .filter(roster::window_id.eq(&window.id))
        .filter(roster::student_id.eq(student_id))
        .select((
            roster::school_id,
            roster::grade,
            roster::settled,
            roster::opted_out,
            users::created_at,
            users::placed_at,
            diesel::dsl::exists(opt_outs::table.find((&window.id, student_id))),
        ))
        .first(conn)
        .optional()?;
    let cutoff = window.frozen_at.unwrap_or(window.opens_at) - settle;
    Ok(row.map(
        |(school_id, grade, settled, opted_out_at_opening, created, placed, opted_out_now)| {
            Placement {
                school_id,
                grade,
                settled: settled && placed.unwrap_or(created) <= cutoff,
                opted_out_at_opening,
                opted_out_now,
            }
        },
    ))
}

pub fn is_on_roster(
    conn: &mut DbConnection,
    window_id: &str,
    student_id: &str,
) -> Result<bool, ApiError> {
    Ok(diesel::select(diesel::dsl::exists(
        roster::table.find((window_id, student_id)),
    ))
    .get_result(conn)?)
}
