//! Figures of ended periods, kept as first computed.
//!
//! Totals of check-ins and help requests are shown only for periods that have ended (a week, a
//! month), and each is computed once, at its first read after the period ended, and kept. A
//! later read returns the same figures, whatever happened since: a student leaving a class, a
//! purge, a change of threshold. So nobody can learn one student's entry from the difference
//! between two reads of the same figures, and there is no period in progress whose totals move
//! as students check in. Check-ins cannot be written for a day of an ended week
//! (`check_ins::record`), so an ended week's check-ins do not change either.

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::queries;
use crate::db::DbConnection;
use crate::error::ApiError;

/// The figures of `kind` for `scope_id` and the period starting on `period`: those kept, or
/// `compute()`'s, kept now.
pub fn frozen<T: Serialize + DeserializeOwned>(
    conn: &mut DbConnection,
    kind: &str,
    scope_id: &str,
    period: NaiveDate,
    compute: impl FnOnce(&mut DbConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let read = |conn: &mut DbConnection| -> Result<Option<T>, ApiError> {
        match queries::stored_figures(conn, kind, scope_id, period)? {
            Some(body) => serde_json::from_str(&body)
                .map(Some)
                .map_err(|e| ApiError::internal(format!("kept {kind} figures unreadable: {e}"))),
            None => Ok(None),
        }
    };
    if let Some(kept) = read(conn)? {
        return Ok(kept);
    }
    let figures = compute(conn)?;
    let body = serde_json::to_string(&figures)
        .map_err(|e| ApiError::internal(format!("{kind} figures: {e}")))?;
    if queries::keep_figures(conn, kind, scope_id, period, &body)? {
        return Ok(figures);
    }
    // Another request kept them first: everyone sees the same figures.
    read(conn)?.ok_or_else(|| ApiError::internal(format!("kept {kind} figures vanished")))
}
