//! How a climate report is rendered to be kept (JSON and CSV), under which key, and read back;
//! and rendering every report of a window at once, when its box is opened or scored again.
//! Keeping and serving them is `store`.

use super::aggregates::{self, Cell};
use super::climate::{self, ClimateReport, Context, Scope};
use super::queries::{self, StoredRendering};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::surveys::models::WindowRow;
use crate::surveys::queries as surveys;
use crate::surveys::scoring::SCORING_RULES_VERSION;

/// Changes whenever a report's content or form changes, so renderings stored by an older
/// version are not served (they are rendered again on the next read).
const RENDERING_VERSION: &str = "r3";

pub fn scope_key(scope: &Scope) -> String {
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
    let version = aggregates::scoring_rules_version(conn, &window.id)?;
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
        queries::put_rendering(conn, &window.id, &key, &render(&report)?)?;
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
