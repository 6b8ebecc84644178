//! Stored renderings of climate reports: each report of a window is rendered once (when its
//! box is opened, when it is scored again, or on its first read), kept as JSON and CSV, and
//! read from then on: served as kept, or read back as a `ClimateReport` (charts).
//!
//! A rendering is kept under its window and a key naming the rendering version, the scoring
//! rules and the scope. One that does not read back as exactly the `ClimateReport` this build
//! would write (a field renamed, added or removed by another build) counts as absent: it is
//! rendered again and replaced.

use super::aggregates::{self, Cell};
use super::climate::{self, ClimateReport, Context, Scope};
use super::inputs::{self, rescore_if_stale};
use super::queries::{self, StoredRendering};
use crate::authz::Visible;
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::seal::SealKeys;
use crate::surveys::models::WindowRow;
use crate::surveys::queries as surveys;
use crate::surveys::scoring::SCORING_RULES_VERSION;

/// Changes whenever a report's content or form changes, so renderings stored by an older
/// version are not served (they are rendered again on the next read).
const RENDERING_VERSION: &str = "r3";

fn scope_key(scope: &Scope) -> String {
    let scope = match scope {
        Scope::District { schools: false } => "district".to_owned(),
        Scope::District { schools: true } => "district+schools".to_owned(),
        Scope::School(s) => format!("school:{s}"),
    };
    // Renderings of other scoring rules are never served: a window of older rules is scored
    // again first (`rescore_if_stale`).
    format!("{RENDERING_VERSION}:{SCORING_RULES_VERSION}:{scope}")
}

/// A report rendered as kept: JSON and CSV.
pub fn render(report: &ClimateReport) -> Result<StoredRendering, ApiError> {
    let json = serde_json::to_string(report).map_err(|e| ApiError::internal(e.to_string()))?;
    let csv = super::csv::render(report)?;
    Ok(StoredRendering { json, csv })
}

/// The report a stored JSON rendering holds, if this build would render exactly that JSON from
/// it; otherwise (written by a build whose report has other fields) none.
pub fn read_back(json: &str) -> Option<ClimateReport> {
    let report: ClimateReport = serde_json::from_str(json).ok()?;
    let again = serde_json::to_string(&report).ok()?;
    (again == json).then_some(report)
}

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
    queries::put_rendering(conn, &window.id, &key, &rendering, false)?;
    Ok(rendering)
}

/// A report of a closed window, read back from its stored rendering; rendered and stored (or
/// stored again) when there is none this build can read (in the caller's write transaction).
pub fn report(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    scope: Scope,
    keys: &SealKeys,
) -> Result<ClimateReport, ApiError> {
    let key = scope_key(&scope);
    let stored = queries::rendering(conn, &window.id, &key)?;
    if let Some(report) = stored.as_ref().and_then(|r| read_back(&r.json)) {
        return Ok(report);
    }
    // Absent, or of another build: first the checks and lock of a first rendering.
    let stored = prepare(conn, window, &key, keys)?;
    if let Some(report) = stored.as_ref().and_then(|r| read_back(&r.json)) {
        return Ok(report);
    }
    if stored.is_some() {
        tracing::info!(window_id = %window.id, key = %key, "a stored report rendering of another build is rendered again");
    }
    let report = inputs::assembled(conn, window, scope, keys)?;
    queries::put_rendering(conn, &window.id, &key, &render(&report)?, stored.is_some())?;
    Ok(report)
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

/// Renders every climate report of a window whose box is being opened or scored again (in that
/// transaction): the district report with and without its school rows, and each school's, so
/// that the first read of any of them costs what every later read does.
pub fn render_all(
    conn: &mut DbConnection,
    window: &WindowRow,
    cells: &[Cell],
) -> Result<(), ApiError> {
    let instrument = surveys::published_instrument(conn, &window.instrument_id)?;
    let items = surveys::instrument_items(conn, &instrument.id)?;
    let version = inputs::scoring_rules_version(conn, &window.id)?;
    let ctx = Context {
        window,
        instrument: &instrument,
        items: &items,
        scoring_rules_version: &version,
    };
    let schools: std::collections::BTreeSet<&str> =
        cells.iter().map(|c| c.school_id.as_str()).collect();
    let scopes = [
        Scope::District { schools: false },
        Scope::District { schools: true },
    ]
    .into_iter()
    .chain(schools.into_iter().map(|s| Scope::School(s.to_owned())));
    for scope in scopes {
        let key = scope_key(&scope);
        let report = climate::assemble(&ctx, cells.to_vec(), scope);
        queries::put_rendering(conn, &window.id, &key, &render(&report)?, false)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::disclosure::Suppression;
    use crate::surveys::vocab::Indicator;

    /// The OpenAPI document's example report, as this build stores it.
    fn stored_example() -> String {
        let example: ClimateReport =
            serde_json::from_str(include_str!("climate/example.json")).expect("a ClimateReport");
        render(&example).expect("renders").json
    }

    #[test]
    fn a_stored_rendering_reads_back_as_the_report_it_holds() {
        let json = stored_example();
        let report = read_back(&json).expect("reads back");
        let belonging = report
            .total
            .indicators
            .iter()
            .find(|i| i.indicator == Indicator::Belonging)
            .expect("belonging");
        assert_eq!(
            (belonging.n, belonging.mean, belonging.suppressed),
            (Some(81), Some(3.59), None)
        );
        let favorable = belonging.favorable.as_ref().expect("favorable");
        assert_eq!(
            (favorable.value, favorable.display.as_str()),
            (Some(60.5), "60.5")
        );
        assert_eq!(report.meta.min_cell_size, 10);
        assert_eq!(serde_json::to_string(&report).unwrap(), json);
        // Suppressions read back as they were written.
        let suppressed: Vec<Option<Suppression>> =
            report.grades.iter().map(|g| g.suppressed).collect();
        let written: serde_json::Value = serde_json::from_str(&json).unwrap();
        let written: Vec<serde_json::Value> = written["grades"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["suppressed"].clone())
            .collect();
        assert_eq!(
            serde_json::to_value(&suppressed).unwrap(),
            serde_json::Value::from(written)
        );
    }

    /// A rendering of another build (a field renamed, dropped or added) is not read as a report
    /// with that field missing: it counts as absent and is rendered again.
    #[test]
    fn a_rendering_of_another_build_is_not_read_back() {
        let json = stored_example();
        assert!(read_back(&json).is_some());
        let renamed = json.replace("\"mean\":", "\"index\":");
        assert_ne!(renamed, json);
        assert!(read_back(&renamed).is_none(), "renamed field");
        let dropped = json.replace("\"any_prevalence\":null,", "");
        assert_ne!(dropped, json);
        assert!(read_back(&dropped).is_none(), "dropped optional field");
        let added = json.replacen("{\"meta\":{", "{\"meta\":{\"generation\":2,", 1);
        assert_ne!(added, json);
        assert!(read_back(&added).is_none(), "added field");
        assert!(read_back("{}").is_none());
        assert!(read_back("not json").is_none());
    }
}
