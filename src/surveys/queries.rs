//! All survey queries. Submission writes the participation row and the anonymous response in
//! one transaction; nothing else in this file ever reads both tables together.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{InstrumentRow, InstrumentStatus, ItemRow, Window, WindowRow, WindowState};
use crate::accounts::{Caller, Role};
use crate::authz::{Managed, Visible};
use crate::db::schema::{
    class_teachers, enrollments, survey_instruments as instruments, survey_items as items,
    survey_opt_outs as opt_outs, survey_participation as participation,
    survey_window_roster as roster, survey_window_schools as window_schools,
    survey_windows as windows,
};
use crate::db::{self, DbBackend, DbConnection};
use crate::error::ApiError;
use crate::pagination::{Page, PageParams};

pub fn insert_instrument(
    conn: &mut DbConnection,
    row: &InstrumentRow,
    item_rows: &[ItemRow],
) -> Result<(), ApiError> {
    diesel::insert_into(instruments::table)
        .values(row)
        .execute(conn)?;
    for item in item_rows {
        diesel::insert_into(items::table)
            .values(item)
            .execute(conn)?;
    }
    Ok(())
}

pub fn next_version(
    conn: &mut DbConnection,
    district_id: &str,
    lineage_id: &str,
) -> Result<Option<i32>, ApiError> {
    let versions: Vec<i32> = instruments::table
        .filter(instruments::district_id.eq(district_id))
        .filter(instruments::lineage_id.eq(lineage_id))
        .select(instruments::version)
        .load(conn)?;
    Ok(versions.into_iter().max().map(|v| v + 1))
}

pub fn instrument_items(
    conn: &mut DbConnection,
    instrument_id: &str,
) -> Result<Vec<ItemRow>, ApiError> {
    Ok(items::table
        .filter(items::instrument_id.eq(instrument_id))
        .order(items::position.asc())
        .select(ItemRow::as_select())
        .load(conn)?)
}

pub fn list_instruments(
    conn: &mut DbConnection,
    caller: &Caller,
    paging: PageParams,
) -> Result<Page<InstrumentRow>, ApiError> {
    let build = || {
        let mut q = instruments::table
            .filter(instruments::district_id.eq(caller.district_id.clone()))
            .into_boxed::<DbBackend>();
        if caller.role != Role::DistrictAdmin {
            q = q.filter(instruments::status.eq(InstrumentStatus::Published));
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((
            instruments::title.asc(),
            instruments::version.desc(),
            instruments::id.asc(),
        ))
        .limit(paging.limit())
        .offset(paging.offset())
        .select(InstrumentRow::as_select())
        .load(conn)?;
    Ok(paging.wrap(rows, total))
}

pub fn publish_instrument(
    conn: &mut DbConnection,
    instrument: &Managed<InstrumentRow>,
) -> Result<(), ApiError> {
    if instrument.is_published() {
        return Err(ApiError::conflict(
            None,
            "this version is already published; create a new version to change it",
        ));
    }
    let now = db::now();
    diesel::update(instruments::table.find(&instrument.id))
        .set((
            instruments::status.eq(InstrumentStatus::Published),
            instruments::published_at.eq(Some(now)),
            instruments::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A published instrument by id, for the public (PPRA inspection) view: any district.
pub fn published_instrument(conn: &mut DbConnection, id: &str) -> Result<InstrumentRow, ApiError> {
    instruments::table
        .find(id)
        .filter(instruments::status.eq(InstrumentStatus::Published))
        .select(InstrumentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("survey instrument"))
}

pub fn insert_window(
    conn: &mut DbConnection,
    row: &WindowRow,
    school_ids: &[String],
) -> Result<(), ApiError> {
    diesel::insert_into(windows::table)
        .values(row)
        .execute(conn)?;
    for school_id in school_ids {
        diesel::insert_into(window_schools::table)
            .values((
                window_schools::window_id.eq(&row.id),
                window_schools::school_id.eq(school_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn window_view(
    conn: &mut DbConnection,
    row: &WindowRow,
    now: NaiveDateTime,
) -> Result<Window, ApiError> {
    let school_ids = window_schools::table
        .filter(window_schools::window_id.eq(&row.id))
        .order(window_schools::school_id.asc())
        .select(window_schools::school_id)
        .load(conn)?;
    Ok(Window {
        id: row.id.clone(),
        instrument_id: row.instrument_id.clone(),
        title: row.title.clone(),
        opens_at: row.opens_at,
        closes_at: row.closes_at,
        state: row.state_at(now),
        school_ids,
        grades: row.grades(),
        min_cell_size: row.min_cell_size,
    })
}

pub fn list_windows(
    conn: &mut DbConnection,
    caller: &Caller,
    state: Option<WindowState>,
    paging: PageParams,
    now: NaiveDateTime,
) -> Result<Page<Window>, ApiError> {
    let build = || {
        let mut q = windows::table
            .filter(windows::district_id.eq(caller.district_id.clone()))
            .into_boxed::<DbBackend>();
        // The same boundaries as `WindowRow::state_at`.
        q = match state {
            None => q,
            Some(WindowState::Upcoming) => q.filter(windows::opens_at.gt(now)),
            Some(WindowState::Open) => q
                .filter(windows::opens_at.le(now))
                .filter(windows::closes_at.gt(now)),
            Some(WindowState::Closed) => q.filter(windows::closes_at.le(now)),
        };
        if caller.role != Role::DistrictAdmin {
            q = q.filter(
                windows::id.eq_any(
                    window_schools::table
                        .filter(
                            window_schools::school_id
                                .eq(caller.school().unwrap_or_default().to_owned()),
                        )
                        .select(window_schools::window_id),
                ),
            );
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let rows: Vec<WindowRow> = build()
        .order((windows::opens_at.desc(), windows::id.asc()))
        .limit(paging.limit())
        .offset(paging.offset())
        .select(WindowRow::as_select())
        .load(conn)?;
    let items = rows
        .iter()
        .map(|r| window_view(conn, r, now))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paging.wrap(items, total))
}

pub fn window_includes_school(
    conn: &mut DbConnection,
    window_id: &str,
    school_id: &str,
) -> Result<bool, ApiError> {
    Ok(diesel::select(diesel::dsl::exists(
        window_schools::table
            .filter(window_schools::window_id.eq(window_id))
            .filter(window_schools::school_id.eq(school_id)),
    ))
    .get_result(conn)?)
}

pub fn is_opted_out(
    conn: &mut DbConnection,
    window_id: &str,
    student_id: &str,
) -> Result<bool, ApiError> {
    Ok(diesel::select(diesel::dsl::exists(
        opt_outs::table.find((window_id, student_id)),
    ))
    .get_result(conn)?)
}

/// Records a guardian opt-out. Idempotent: returns false when it was already recorded.
pub fn record_opt_out(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    student_id: &str,
    recorded_by: &str,
) -> Result<bool, ApiError> {
    if is_opted_out(conn, &window.id, student_id)? {
        return Ok(false);
    }
    diesel::insert_into(opt_outs::table)
        .values((
            opt_outs::window_id.eq(&window.id),
            opt_outs::student_id.eq(student_id),
            opt_outs::recorded_by.eq(recorded_by),
            opt_outs::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Windows open now whose roster holds this student, not opted out and not yet taken.
pub fn open_windows_for_student(
    conn: &mut DbConnection,
    student_id: &str,
    now: NaiveDateTime,
) -> Result<Vec<WindowRow>, ApiError> {
    Ok(windows::table
        .filter(windows::opens_at.le(now))
        .filter(windows::closes_at.gt(now))
        .filter(
            windows::id.eq_any(
                roster::table
                    .filter(roster::student_id.eq(student_id))
                    .filter(roster::opted_out.eq(false))
                    .select(roster::window_id),
            ),
        )
        .filter(
            windows::id.ne_all(
                opt_outs::table
                    .filter(opt_outs::student_id.eq(student_id))
                    .select(opt_outs::window_id),
            ),
        )
        .filter(
            windows::id.ne_all(
                participation::table
                    .filter(participation::student_id.eq(student_id))
                    .select(participation::window_id),
            ),
        )
        .order((windows::closes_at.asc(), windows::id.asc()))
        .select(WindowRow::as_select())
        .load(conn)?)
}

/// Whether the student took the window (only ever asked by the student themself).
pub fn has_taken(conn: &mut DbConnection, window_id: &str, student_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        participation::table.find((window_id, student_id)),
    ))
    .get_result(conn)
}

pub enum Recorded {
    New,
    /// A retry carrying the idempotency key of the recorded submission.
    Replayed,
    AlreadyTaken,
    /// The window has opened but its roster is not fixed yet: freeze it, then submit again.
    NotFrozen,
}

/// One transaction (the caller's): the participation row, then the sealed response. The
/// participation key (window, student) makes a second submission fail, whatever the timing.
/// The two rows share a transaction, which relates the student to a ciphertext only: the box is
/// opened, and the plain responses written in a random order, in one later transaction.
pub fn record_submission(
    conn: &mut DbConnection,
    window_id: &str,
    student_id: &str,
    envelope: &str,
    idempotency_key_hash: Option<&str>,
) -> Result<Recorded, ApiError> {
    let inserted = conn.transaction(|c| {
        diesel::insert_into(participation::table)
            .values((
                participation::window_id.eq(window_id),
                participation::student_id.eq(student_id),
                participation::idempotency_key_hash.eq(idempotency_key_hash),
            ))
            .execute(c)
    });
    match inserted {
        Ok(_) => {}
        Err(e) if db::is_unique_violation(&e) => {
            let stored: Option<String> = participation::table
                .find((window_id, student_id))
                .select(participation::idempotency_key_hash)
                .first(conn)?;
            return Ok(match (stored, idempotency_key_hash) {
                (Some(stored), Some(given)) if stored == given => Recorded::Replayed,
                _ => Recorded::AlreadyTaken,
            });
        }
        Err(e) => return Err(e.into()),
    }
    super::ballot_box::insert_sealed(conn, window_id, envelope)?;
    Ok(Recorded::New)
}

/// Counts of one (school, grade) cell of a frozen window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RosterCounts {
    /// On the roster and not opted out when the window opened.
    pub eligible: i64,
    /// Opted out by a guardian before the window opened.
    pub opted_out: i64,
    pub responded: i64,
}

/// Counts per `(school id, grade)` of the frozen roster, for the schools given. Opt-outs
/// recorded after the window opened change nothing here: the student counts as eligible and,
/// unable to answer, as not responding, so no count moves when an opt-out is recorded.
pub fn roster_cells(
    conn: &mut DbConnection,
    window: &WindowRow,
    school_ids: &[String],
) -> Result<BTreeMap<(String, i32), RosterCounts>, ApiError> {
    let mut cells = offered_cells(conn, window, school_ids)?;
    let responded: Vec<(String, i32, i64)> = participation::table
        .inner_join(
            roster::table.on(roster::window_id
                .eq(participation::window_id)
                .and(roster::student_id.eq(participation::student_id))),
        )
        .filter(participation::window_id.eq(&window.id))
        .filter(roster::school_id.eq_any(school_ids))
        .group_by((roster::school_id, roster::grade))
        .select((roster::school_id, roster::grade, diesel::dsl::count_star()))
        .load(conn)?;
    for (school, grade, n) in responded {
        cells.entry((school, grade)).or_default().responded = n;
    }
    Ok(cells)
}

/// `roster_cells` without `responded` (left 0): what the opening of a window needs, which
/// counts its respondents from the ballots themselves.
pub fn offered_cells(
    conn: &mut DbConnection,
    window: &WindowRow,
    school_ids: &[String],
) -> Result<BTreeMap<(String, i32), RosterCounts>, ApiError> {
    let offered: Vec<(String, i32, bool, i64)> = roster::table
        .filter(roster::window_id.eq(&window.id))
        .filter(roster::school_id.eq_any(school_ids))
        .group_by((roster::school_id, roster::grade, roster::opted_out))
        .select((
            roster::school_id,
            roster::grade,
            roster::opted_out,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let mut cells: BTreeMap<(String, i32), RosterCounts> = BTreeMap::new();
    for (school, grade, opted_out, n) in offered {
        let cell = cells.entry((school, grade)).or_default();
        if opted_out {
            cell.opted_out = n;
        } else {
            cell.eligible = n;
        }
    }
    Ok(cells)
}

/// For a teacher: per own class of the window's terms that existed when the window was frozen,
/// the students of the window's roster enrolled in it since then (opted out or not: a teacher
/// must not learn who was) and how many of them responded. Classes and enrollments made later
/// are left out: two classes made for the purpose, differing by one student, would tell
/// whether that student answered.
pub fn participation_by_class(
    conn: &mut DbConnection,
    window: &WindowRow,
    teacher_id: &str,
) -> Result<Vec<(String, String, i64, i64)>, ApiError> {
    use crate::db::schema::{classes, terms};
    let frozen = window.frozen_at.unwrap_or(window.opens_at);
    // Classes of the terms the window runs in: last year's classes say nothing about this survey.
    let own: Vec<(String, String)> = classes::table
        .inner_join(class_teachers::table)
        .inner_join(terms::table)
        .filter(class_teachers::teacher_id.eq(teacher_id))
        .filter(classes::active.eq(true))
        .filter(classes::created_at.le(frozen))
        .filter(terms::starts_on.le(window.closes_at.date()))
        .filter(terms::ends_on.ge(window.opens_at.date()))
        .order((classes::name.asc(), classes::id.asc()))
        .select((classes::id, classes::name))
        .load(conn)?;
    let mut out = Vec::new();
    for (class_id, name) in own {
        let students = || {
            enrollments::table
                .filter(enrollments::class_id.eq(class_id.clone()))
                .filter(enrollments::active.eq(true))
                .filter(enrollments::created_at.le(frozen))
                .filter(
                    enrollments::student_id.eq_any(
                        roster::table
                            .filter(roster::window_id.eq(window.id.clone()))
                            .select(roster::student_id),
                    ),
                )
        };
        let enrolled: i64 = students().count().get_result(conn)?;
        let responded: i64 = students()
            .filter(
                enrollments::student_id.eq_any(
                    participation::table
                        .filter(participation::window_id.eq(window.id.clone()))
                        .select(participation::student_id),
                ),
            )
            .count()
            .get_result(conn)?;
        out.push((class_id, name, enrolled, responded));
    }
    Ok(out)
}

/// Items of published instruments, kept per server: publishing freezes an instrument, so its
/// items never change, and every submission needs them to validate and score the answers.
#[derive(Default)]
pub struct PublishedItems {
    by_instrument: std::sync::RwLock<HashMap<String, std::sync::Arc<Vec<ItemRow>>>>,
}

/// Instruments are few; the bound only guards against unbounded growth.
const PUBLISHED_ITEMS_CAPACITY: usize = 256;

impl PublishedItems {
    /// The items of a published instrument (the caller knows it is published: windows only
    /// administer published versions).
    pub fn get(
        &self,
        conn: &mut DbConnection,
        instrument_id: &str,
    ) -> Result<std::sync::Arc<Vec<ItemRow>>, ApiError> {
        if let Some(items) = self
            .by_instrument
            .read()
            .ok()
            .and_then(|m| m.get(instrument_id).cloned())
        {
            return Ok(items);
        }
        let items = std::sync::Arc::new(instrument_items(conn, instrument_id)?);
        if let Ok(mut map) = self.by_instrument.write() {
            if map.len() >= PUBLISHED_ITEMS_CAPACITY {
                map.clear();
            }
            map.insert(instrument_id.to_owned(), items.clone());
        }
        Ok(items)
    }
}
