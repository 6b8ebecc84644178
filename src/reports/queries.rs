//! The reports' own queries: stored renderings, the names a chart is labelled with, which
//! schools a window was offered at, and the closed windows a trend follows.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    districts, schools, survey_instruments, survey_window_reports as reports,
    survey_window_schools, survey_windows,
};
use crate::db::{self, DbConnection};
use crate::surveys::models::WindowRow;

/// One stored rendering of a report, as kept: its JSON and its CSV.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct StoredRendering {
    pub json: String,
    pub csv: String,
}

/// The stored JSON (or with `csv` the CSV) of a window's report under `key`.
pub fn rendering_as(
    conn: &mut DbConnection,
    window_id: &str,
    key: &str,
    csv: bool,
) -> QueryResult<Option<String>> {
    let row = reports::table.find((window_id, key));
    if csv {
        row.select(reports::csv).first(conn).optional()
    } else {
        row.select(reports::json).first(conn).optional()
    }
}

/// The stored rendering of a window's report under `key`, both formats.
pub fn rendering(
    conn: &mut DbConnection,
    window_id: &str,
    key: &str,
) -> QueryResult<Option<StoredRendering>> {
    reports::table
        .find((window_id, key))
        .select(StoredRendering::as_select())
        .first(conn)
        .optional()
}

/// Stores a rendering under its window and key.
pub(super) fn put_rendering(
    conn: &mut DbConnection,
    window_id: &str,
    key: &str,
    rendering: &StoredRendering,
) -> QueryResult<()> {
    diesel::insert_into(reports::table)
        .values((
            reports::window_id.eq(window_id),
            reports::scope.eq(key),
            reports::json.eq(&rendering.json),
            reports::csv.eq(&rendering.csv),
        ))
        .execute(conn)?;
    Ok(())
}

/// Takes the window's row lock with a no-op update (PostgreSQL; SQLite writers are
/// serialized), so that two first readers do not both render and store.
pub fn lock_window(conn: &mut DbConnection, window_id: &str) -> QueryResult<()> {
    diesel::update(survey_windows::table.find(window_id))
        .set(survey_windows::min_cell_size.eq(survey_windows::min_cell_size))
        .execute(conn)?;
    Ok(())
}

/// School names of a district, by id (chart labels).
pub fn school_names(
    conn: &mut DbConnection,
    district_id: &str,
) -> QueryResult<HashMap<String, String>> {
    Ok(schools::table
        .filter(schools::district_id.eq(district_id))
        .select((schools::id, schools::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// A district's name.
pub fn district_name(conn: &mut DbConnection, district_id: &str) -> QueryResult<String> {
    districts::table
        .find(district_id)
        .select(districts::name)
        .first(conn)
}

/// Whether the window was offered at the school.
pub fn offered_at(conn: &mut DbConnection, window_id: &str, school_id: &str) -> QueryResult<bool> {
    let includes: i64 = survey_window_schools::table
        .filter(survey_window_schools::window_id.eq(window_id))
        .filter(survey_window_schools::school_id.eq(school_id))
        .count()
        .get_result(conn)?;
    Ok(includes > 0)
}

/// The district's windows closed by `now` (only those offered at `school`, if given), oldest
/// first, each with its questionnaire's lineage.
pub fn closed_windows_with_lineage(
    conn: &mut DbConnection,
    district_id: &str,
    school: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Vec<(WindowRow, String)>> {
    let mut q = survey_windows::table
        .inner_join(survey_instruments::table)
        .filter(survey_windows::district_id.eq(district_id.to_owned()))
        .filter(survey_windows::closes_at.le(now))
        .into_boxed::<db::DbBackend>();
    if let Some(school) = school {
        q = q.filter(
            survey_windows::id.eq_any(
                survey_window_schools::table
                    .filter(survey_window_schools::school_id.eq(school.to_owned()))
                    .select(survey_window_schools::window_id),
            ),
        );
    }
    q.order((survey_windows::closes_at.asc(), survey_windows::id.asc()))
        .select((WindowRow::as_select(), survey_instruments::lineage_id))
        .load(conn)
}
