//! Scoring opened windows again when the scoring rules change (`surveys::scoring`), so that no
//! report mixes versions: a window's aggregates are rebuilt from its stored answers (the plain
//! rows of its cells, and the sealed ballots of its cells too small to report) and its stored
//! renderings are dropped. The survey job does it for every window built under an older version
//! (`run_job`); a report read does it first for its own window, so a report is never served
//! from aggregates of another version than the one it names.
//!
//! The cell counts (eligible, opted out, respondents, settled respondents) are kept as the
//! opening fixed them: the answers are scored again, nobody is counted again. The answers are
//! written back as opening writes them: each cell's respondents in a new random order, small
//! cells sealed again under the window's data key.

use std::collections::HashMap;

use diesel::prelude::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::aggregates::{self, Aggregates};
use crate::audit::{self, Actor};
use crate::db::schema::{
    survey_window_aggregations as aggregations, survey_window_cells as cells,
    survey_window_reports as reports, survey_windows as windows,
};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::seal::SealKeys;
use crate::surveys::ballot_box;
use crate::surveys::models::WindowRow;
use crate::surveys::queries::instrument_items;
use crate::surveys::scoring::SCORING_RULES_VERSION;

/// Opened windows whose aggregates were built under another version of the scoring rules.
pub fn stale_windows(conn: &mut DbConnection) -> Result<Vec<WindowRow>, ApiError> {
    let stale = aggregations::table
        .filter(aggregations::scoring_rules_version.ne(SCORING_RULES_VERSION))
        .select(aggregations::window_id);
    Ok(windows::table
        .filter(windows::id.eq_any(stale))
        .order((windows::closes_at.asc(), windows::id.asc()))
        .select(WindowRow::as_select())
        .load(conn)?)
}

/// Scores `window` again under the current rules if its aggregates are of another version (in
/// the caller's write transaction). Returns the version it was scored with before, or None when
/// it is current (or another server has just rescored it).
pub fn rescore(
    conn: &mut DbConnection,
    window: &WindowRow,
    keys: &SealKeys,
) -> Result<Option<String>, ApiError> {
    let Some(before) = aggregates::scoring_version(conn, &window.id)? else {
        return Ok(None);
    };
    // A conditional update takes the row's lock: of two servers, one rescores, the other finds
    // the version current once the first commits.
    let claimed = diesel::update(
        aggregations::table
            .find(&window.id)
            .filter(aggregations::scoring_rules_version.ne(SCORING_RULES_VERSION)),
    )
    .set(aggregations::scoring_rules_version.eq(SCORING_RULES_VERSION))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(None);
    }
    let items = instrument_items(conn, &window.instrument_id)?;
    let mut cells = aggregates::stored_cells(conn, window, keys)?;
    let mut ballots = ballot_box::take_all(conn, window, keys, &items)?;
    ballots.shuffle(&mut rand::rngs::StdRng::from_entropy());
    let index: HashMap<(&str, i32), usize> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| ((c.school_id.as_str(), c.grade), i))
        .collect();
    let mut counted = vec![0i64; cells.len()];
    let mut cell_of = Vec::with_capacity(ballots.len());
    for ballot in &ballots {
        let at = *index
            .get(&(ballot.school_id.as_str(), ballot.grade))
            .ok_or_else(|| {
                ApiError::internal(format!("window {}: a stored answer has no cell", window.id))
            })?;
        counted[at] += 1;
        cell_of.push(at);
    }
    if cells.iter().zip(&counted).any(|(c, n)| c.respondents != *n) {
        return Err(ApiError::internal(format!(
            "window {}: stored answers do not match its respondent counts",
            window.id
        )));
    }
    for cell in &mut cells {
        cell.aggregates = Aggregates::default();
    }
    let key = aggregates::window_key(window, keys)?;
    super::ballots::write(conn, window, &key, &mut cells, &ballots, &cell_of, &items)?;
    diesel::delete(cells::table.filter(cells::window_id.eq(&window.id))).execute(conn)?;
    diesel::delete(aggregations::table.find(&window.id)).execute(conn)?;
    diesel::delete(reports::table.filter(reports::window_id.eq(&window.id))).execute(conn)?;
    aggregates::store(conn, window, &cells, &key)?;
    super::rendering::render_all(conn, window, &cells)?;
    audit::record_in_transaction(
        conn,
        Actor::system(&window.district_id),
        "survey_window.rescored",
        serde_json::json!({"window_id": window.id, "scoring_rules_from": before,
                           "scoring_rules_to": SCORING_RULES_VERSION}),
    )?;
    Ok(Some(before))
}

/// The windows one pass rescored, and those that failed (left as they were, tried again at the
/// next run) with why.
pub type Rescored = (Vec<String>, Vec<(String, String)>);

/// Rescores every stale window, each in its own transaction.
pub fn rescore_stale(conn: &mut DbConnection, keys: &SealKeys) -> Result<Rescored, ApiError> {
    let (mut done, mut failed) = (Vec::new(), Vec::new());
    for window in stale_windows(conn)? {
        match db::write_transaction(conn, |c| rescore(c, &window, keys)) {
            Ok(Some(_)) => done.push(window.id.clone()),
            Ok(None) => {}
            Err(ApiError::Unavailable) => return Err(ApiError::Unavailable),
            Err(e) => failed.push((window.id.clone(), e.to_string())),
        }
    }
    Ok((done, failed))
}

/// Scores the window again if its aggregates are of older scoring rules (which also renders
/// its reports anew). If that fails (say its seal key is not configured here), the report is
/// rendered from the aggregates as they are and names the rules they were built with.
pub fn rescore_if_stale(
    conn: &mut DbConnection,
    window: &WindowRow,
    keys: &SealKeys,
) -> Result<(), ApiError> {
    let stale =
        aggregates::scoring_version(conn, &window.id)?.is_some_and(|v| v != SCORING_RULES_VERSION);
    if !stale {
        return Ok(());
    }
    // A savepoint, so that a failure leaves the caller's transaction usable.
    let rescored = conn.transaction(|c| rescore(c, window, keys));
    match rescored {
        Ok(_) => Ok(()),
        Err(ApiError::Unavailable) => Err(ApiError::Unavailable),
        Err(e) => {
            tracing::warn!(window_id = %window.id, error = %e, "could not score the window again under the current rules");
            Ok(())
        }
    }
}
