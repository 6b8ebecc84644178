//! Stored renderings of climate reports: each report of a window is rendered once (when its
//! box is opened, when it is scored again, or on its first read), kept as JSON and CSV, and
//! read from then on: served as kept, or read back as a `ClimateReport` (charts).
//!
//! A rendering is kept under its window and a key naming the rendering version, the scoring
//! rules and the scope (`rendering`). A chart reads a rendering back only if it reads back as
//! exactly the `ClimateReport` this build would write (a field renamed, added or removed by
//! another build makes it count as absent: the chart's report is then assembled anew).

use super::aggregates;
use super::climate::{ClimateReport, Scope};
use super::inputs;
use super::queries::{self, StoredRendering};
use super::rendering::{read_back, render, scope_key};
use super::rescoring::rescore_if_stale;
use crate::authz::Visible;
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::seal::SealKeys;
use crate::surveys::models::WindowRow;

/// The stored rendering of a report in one format, if it was rendered before (served as kept).
pub fn stored_as(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    scope: &Scope,
    csv: bool,
) -> Result<Option<String>, ApiError> {
    Ok(queries::rendering_as(
        conn,
        &window.id,
        &scope_key(scope),
        csv,
    )?)
}

/// The stored rendering of a report, rendering and storing it on first read (in the caller's
/// write transaction).
pub fn rendered(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    scope: Scope,
    keys: &SealKeys,
) -> Result<StoredRendering, ApiError> {
    let key = scope_key(&scope);
    if let Some(found) = queries::rendering(conn, &window.id, &key)? {
        return Ok(found);
    }
    if let Some(found) = prepare(conn, window, &key, keys)? {
        return Ok(found);
    }
    let report = inputs::assembled(conn, window, scope, keys)?;
    let rendering = render(&report)?;
    queries::put_rendering(conn, &window.id, &key, &rendering)?;
    Ok(rendering)
}

/// A report of a closed window, for its chart: read back from its stored rendering when there is
/// one this build can read, otherwise assembled now (its inputs check the window is closed and
/// score it again if stale) and not stored. A chart read writes nothing, so every stored
/// rendering of a window comes from its opening, its rescoring or a JSON or CSV read.
pub fn report(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    scope: Scope,
    keys: &SealKeys,
) -> Result<ClimateReport, ApiError> {
    let stored = queries::rendering(conn, &window.id, &scope_key(&scope))?;
    if let Some(report) = stored.as_ref().and_then(|r| read_back(&r.json)) {
        return Ok(report);
    }
    inputs::assembled(conn, window, scope, keys)
}

/// Before a first rendering: checks the window is closed, takes its row lock, and scores it
/// again if it is stale (which stores its renderings). Returns the rendering a concurrent first
/// reader or the new scoring stored meanwhile, if any.
fn prepare(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    key: &str,
    keys: &SealKeys,
) -> Result<Option<StoredRendering>, ApiError> {
    aggregates::closed(window, db::now())?;
    // A concurrent first reader may have stored the rendering while this one waited for the lock.
    queries::lock_window(conn, &window.id)?;
    // Scoring a stale window again stores its renderings too.
    rescore_if_stale(conn, window, keys)?;
    Ok(queries::rendering(conn, &window.id, key)?)
}
