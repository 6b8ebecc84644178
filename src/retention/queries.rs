//! The district's retention settings, as stored.

use diesel::prelude::*;

use super::RetentionSettings;
use crate::db::schema::district_retention;
use crate::db::{self, DbConnection};

/// The district's settings (all `null` when it never set any).
pub fn load(conn: &mut DbConnection, district_id: &str) -> QueryResult<RetentionSettings> {
    type Row = (
        Option<i32>,
        Option<i32>,
        Option<i32>,
        Option<i32>,
        Option<i32>,
    );
    let row: Option<Row> = district_retention::table
        .find(district_id)
        .select((
            district_retention::participation_days,
            district_retention::deactivated_account_days,
            district_retention::reflection_days,
            district_retention::check_in_note_days,
            district_retention::closed_help_request_days,
        ))
        .first(conn)
        .optional()?;
    Ok(row
        .map(|(p, a, r, c, h)| RetentionSettings {
            participation_days: p,
            deactivated_account_days: a,
            reflection_days: r,
            check_in_note_days: c,
            closed_help_request_days: h,
        })
        .unwrap_or_default())
}

/// Replaces the district's settings.
pub fn save(
    conn: &mut DbConnection,
    district_id: &str,
    settings: &RetentionSettings,
) -> QueryResult<()> {
    let values = (
        district_retention::participation_days.eq(settings.participation_days),
        district_retention::deactivated_account_days.eq(settings.deactivated_account_days),
        district_retention::reflection_days.eq(settings.reflection_days),
        district_retention::check_in_note_days.eq(settings.check_in_note_days),
        district_retention::closed_help_request_days.eq(settings.closed_help_request_days),
        district_retention::updated_at.eq(db::now()),
    );
    let updated = diesel::update(district_retention::table.find(district_id))
        .set(values)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(district_retention::table)
            .values((district_retention::district_id.eq(district_id), values))
            .execute(conn)?;
    }
    Ok(())
}
