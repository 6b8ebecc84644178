//! Report routes. Every read is recorded in the audit trail in the same transaction.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use std::collections::HashMap;

use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;
use validator::Validate;

use super::aggregates::{self, Cell};
use super::climate::{self, ClimateReport, Context, Scope};
use crate::accounts::{Authorized, Caller, DistrictAdmins, SchoolStaff};
use crate::audit;
use crate::authz::Visible;
use crate::db::schema::{
    districts, schools, survey_window_reports as reports, survey_window_schools, survey_windows,
};
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Problem};
use crate::extract::IdPath;
use crate::extract::ValidQuery;
use crate::rosters;
use crate::seal::SealKeys;
use crate::state::AppState;
use crate::surveys::models::{InstrumentRow, ItemRow, WindowRow};
use crate::surveys::queries as surveys;
use crate::surveys::vocab::Indicator;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Json,
    Csv,
    Svg,
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClimateQuery {
    /// A closed survey window.
    #[validate(length(min = 1, max = 64))]
    pub window_id: String,
    /// `csv` for CSV (as does `Accept: text/csv`), `svg` for a chart (as does
    /// `Accept: image/svg+xml`); JSON by default.
    pub format: Option<Format>,
    /// Charts: draw this indicator by grade (by default every indicator, for the school).
    pub indicator: Option<Indicator>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Breakdown {
    Schools,
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DistrictClimateQuery {
    /// A closed survey window.
    #[validate(length(min = 1, max = 64))]
    pub window_id: String,
    /// `csv` for CSV (as does `Accept: text/csv`), `svg` for a chart (as does
    /// `Accept: image/svg+xml`); JSON by default.
    pub format: Option<Format>,
    /// `schools` adds a row per school (a larger report: about 1.5 kB per school).
    pub breakdown: Option<Breakdown>,
    /// Charts: draw this indicator by school (with `breakdown=schools`) and grade (by default
    /// every indicator, for the district).
    pub indicator: Option<Indicator>,
}

/// The format asked for: `format` if given, else by the `Accept` header, else JSON.
pub(super) fn negotiate(req: &HttpRequest, format: Option<Format>) -> Format {
    if let Some(f) = format {
        return f;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if accept.contains("text/csv") {
        Format::Csv
    } else if accept.contains("image/svg+xml") {
        Format::Svg
    } else {
        Format::Json
    }
}

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
    let rules = crate::surveys::scoring::SCORING_RULES_VERSION;
    format!("{RENDERING_VERSION}:{rules}:{scope}")
}

/// The stored rendering of a report in one format, if it was rendered before.
fn stored_as(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    scope: &Scope,
    csv: bool,
) -> Result<Option<String>, ApiError> {
    let row = reports::table.find((&window.id, scope_key(scope)));
    Ok(if csv {
        row.select(reports::csv).first(conn).optional()?
    } else {
        row.select(reports::json).first(conn).optional()?
    })
}

/// The stored rendering of a report, rendering and storing it on first read (in the caller's
/// write transaction).
pub(super) fn rendered(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    scope: Scope,
    keys: &SealKeys,
) -> Result<(String, String), ApiError> {
    let key = scope_key(&scope);
    let stored_pair = |conn: &mut DbConnection| -> Result<Option<(String, String)>, ApiError> {
        Ok(reports::table
            .find((&window.id, &key))
            .select((reports::json, reports::csv))
            .first(conn)
            .optional()?)
    };
    if let Some(found) = stored_pair(conn)? {
        return Ok(found);
    }
    aggregates::closed(window, db::now())?;
    // A no-op update takes the window's row lock (PostgreSQL; SQLite writers are serialized):
    // a concurrent first reader may have stored the rendering while this one waited for it.
    diesel::update(survey_windows::table.find(&window.id))
        .set(survey_windows::min_cell_size.eq(survey_windows::min_cell_size))
        .execute(conn)?;
    // Scoring a stale window again stores its renderings too.
    rescore_if_stale(conn, window, keys)?;
    if let Some(found) = stored_pair(conn)? {
        return Ok(found);
    }
    let report = assembled(conn, window, scope, keys)?;
    store_rendering(conn, &window.id, &key, &report)
}

/// Scores the window again if its aggregates are of older scoring rules (which also renders
/// its reports anew). If that fails (say its seal key is not configured here), the report is
/// rendered from the aggregates as they are and names the rules they were built with.
pub(super) fn rescore_if_stale(
    conn: &mut DbConnection,
    window: &WindowRow,
    keys: &SealKeys,
) -> Result<(), ApiError> {
    let stale = aggregates::scoring_version(conn, &window.id)?
        .is_some_and(|v| v != crate::surveys::scoring::SCORING_RULES_VERSION);
    if !stale {
        return Ok(());
    }
    // A savepoint, so that a failure leaves the caller's transaction usable.
    let rescored = conn.transaction(|c| super::rescoring::rescore(c, window, keys));
    match rescored {
        Ok(_) => Ok(()),
        Err(ApiError::Unavailable) => Err(ApiError::Unavailable),
        Err(e) => {
            tracing::warn!(window_id = %window.id, error = %e, "could not score the window again under the current rules");
            Ok(())
        }
    }
}

/// One report of a window, assembled from its cells.
fn report_of(
    conn: &mut DbConnection,
    window: &WindowRow,
    instrument: &InstrumentRow,
    items: &[ItemRow],
    cells: Vec<Cell>,
    scope: Scope,
) -> Result<ClimateReport, ApiError> {
    let version = aggregates::scoring_version(conn, &window.id)?
        .unwrap_or_else(|| crate::surveys::scoring::SCORING_RULES_VERSION.to_owned());
    let ctx = Context {
        window,
        instrument,
        items,
        scoring_rules_version: &version,
    };
    Ok(climate::assemble(&ctx, cells, scope))
}

/// What a closed window's reports are built from: its cells (scored under the current rules
/// first, if they can be), its questionnaire, and the rules its aggregates were scored with.
pub(super) struct WindowInputs {
    pub cells: Vec<Cell>,
    pub instrument: InstrumentRow,
    pub items: Vec<ItemRow>,
    pub scoring_rules_version: String,
}

impl WindowInputs {
    pub fn context<'a>(&'a self, window: &'a WindowRow) -> Context<'a> {
        Context {
            window,
            instrument: &self.instrument,
            items: &self.items,
            scoring_rules_version: &self.scoring_rules_version,
        }
    }
}

pub(super) fn window_inputs(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    keys: &SealKeys,
) -> Result<WindowInputs, ApiError> {
    let closed = aggregates::closed(window, db::now())?;
    rescore_if_stale(conn, window, keys)?;
    let cells = aggregates::cells_of(conn, &closed, keys)?;
    let instrument = surveys::published_instrument(conn, &window.instrument_id)?;
    let items = surveys::instrument_items(conn, &instrument.id)?;
    let scoring_rules_version = aggregates::scoring_version(conn, &window.id)?
        .unwrap_or_else(|| crate::surveys::scoring::SCORING_RULES_VERSION.to_owned());
    Ok(WindowInputs {
        cells,
        instrument,
        items,
        scoring_rules_version,
    })
}

/// One report of a closed window, assembled now (charts are drawn on request, not stored).
fn assembled(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    scope: Scope,
    keys: &SealKeys,
) -> Result<ClimateReport, ApiError> {
    let mut inputs = window_inputs(conn, window, keys)?;
    let cells = std::mem::take(&mut inputs.cells);
    Ok(climate::assemble(&inputs.context(window), cells, scope))
}

/// School names of the caller's district, by id (chart labels).
pub(super) fn school_names(
    conn: &mut DbConnection,
    district_id: &str,
) -> Result<HashMap<String, String>, ApiError> {
    Ok(schools::table
        .filter(schools::district_id.eq(district_id))
        .select((schools::id, schools::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Draws a report as a chart, with the caller's checks and audit row (in a write transaction:
/// a stale window is scored again first).
async fn picture<F>(
    state: &AppState,
    caller: Caller,
    indicator: Option<Indicator>,
    checks: F,
) -> Result<String, ApiError>
where
    F: Fn(&mut DbConnection, &Caller) -> Result<(Visible<WindowRow>, Scope, Value), ApiError>
        + Send
        + 'static,
{
    let keys = state.seal_keys.clone();
    state
        .db
        .write(move |conn| {
            let (window, scope, audited) = checks(conn, &caller)?;
            let names = school_names(conn, &caller.district_id)?;
            let scope_name = match &scope {
                Scope::School(id) => names.get(id).cloned().unwrap_or_else(|| id.clone()),
                Scope::District { .. } => districts::table
                    .find(&caller.district_id)
                    .select(districts::name)
                    .first(conn)?,
            };
            let report = assembled(conn, &window, scope, &keys)?;
            audit::record(conn, &caller, "report.read", audited)?;
            Ok(super::pictures::climate(
                &report,
                indicator,
                &names,
                &scope_name,
            ))
        })
        .await
}

pub(super) fn svg(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(body)
}

/// Stores one rendered report of a window, as JSON and CSV (in the caller's write transaction).
fn store_rendering(
    conn: &mut DbConnection,
    window_id: &str,
    key: &str,
    report: &ClimateReport,
) -> Result<(String, String), ApiError> {
    let json = serde_json::to_string(report).map_err(|e| ApiError::internal(e.to_string()))?;
    let csv = super::csv::render(report)?;
    diesel::insert_into(reports::table)
        .values((
            reports::window_id.eq(window_id),
            reports::scope.eq(key),
            reports::json.eq(&json),
            reports::csv.eq(&csv),
        ))
        .execute(conn)?;
    Ok((json, csv))
}

/// Renders every climate report of a window whose box is being opened (in the opening
/// transaction): the district report with and without its school rows, and each school's, so
/// that the first read of any of them costs what every later read does.
pub(super) fn render_all(
    conn: &mut DbConnection,
    window: &WindowRow,
    cells: &[Cell],
) -> Result<(), ApiError> {
    let instrument = surveys::published_instrument(conn, &window.instrument_id)?;
    let items = surveys::instrument_items(conn, &instrument.id)?;
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
        let report = report_of(conn, window, &instrument, &items, cells.to_vec(), scope)?;
        store_rendering(conn, &window.id, &key, &report)?;
    }
    Ok(())
}

/// Serves a report. A report already rendered costs its scope checks, one row and the audit
/// row, without a transaction; the first read of a window renders in a write transaction.
async fn read<F>(state: &AppState, caller: Caller, csv: bool, checks: F) -> Result<String, ApiError>
where
    F: Fn(&mut DbConnection, &Caller) -> Result<(Visible<WindowRow>, Scope, Value), ApiError>
        + Send
        + Sync
        + Clone
        + 'static,
{
    let action = if csv { "report.export" } else { "report.read" };
    let (first_caller, first_checks) = (caller.clone(), checks.clone());
    let found = state
        .db
        .run(move |conn| {
            let (window, scope, audited) = first_checks(conn, &first_caller)?;
            match stored_as(conn, &window, &scope, csv)? {
                Some(body) => {
                    audit::record_alone(conn, &first_caller, action, audited)?;
                    Ok(Some(body))
                }
                None => Ok(None),
            }
        })
        .await?;
    if let Some(body) = found {
        return Ok(body);
    }
    let keys = state.seal_keys.clone();
    state
        .db
        .write(move |conn| {
            let (window, scope, audited) = checks(conn, &caller)?;
            let (json, csv_body) = rendered(conn, &window, scope, &keys)?;
            audit::record(conn, &caller, action, audited)?;
            Ok(if csv { csv_body } else { json })
        })
        .await
}

/// Serves a report in the format asked for.
async fn serve<F>(
    state: &AppState,
    caller: Caller,
    format: Format,
    indicator: Option<Indicator>,
    checks: F,
    name: &str,
) -> Result<HttpResponse, ApiError>
where
    F: Fn(&mut DbConnection, &Caller) -> Result<(Visible<WindowRow>, Scope, Value), ApiError>
        + Send
        + Sync
        + Clone
        + 'static,
{
    if format == Format::Svg {
        return Ok(svg(picture(state, caller, indicator, checks).await?));
    }
    let csv = format == Format::Csv;
    let body = read(state, caller, csv, checks).await?;
    Ok(respond(csv, body, name))
}

fn respond(csv: bool, body: String, name: &str) -> HttpResponse {
    if csv {
        HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ))
            .body(body)
    } else {
        HttpResponse::Ok()
            .content_type("application/json")
            .body(body)
    }
}

/// The window, visible to the caller; `window_id` names it in errors.
fn report_window(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Visible<WindowRow>, ApiError> {
    crate::surveys::scope::window(conn, caller, id).map_err(|e| match e {
        ApiError::NotFound(_) => {
            ApiError::invalid("window_id", "no such survey window in your scope")
        }
        other => other,
    })
}

/// Climate results of a closed window for one school: the school and each grade, per indicator,
/// with item distributions. Small cells are suppressed. JSON, or CSV with `format=csv` or
/// `Accept: text/csv`. District administrators, and the school's administrators and counselors.
#[utoipa::path(
    tag = "reports", security(("bearer" = [])), params(IdPath, ClimateQuery),
    responses(
        (status = 200, description = "The report, as JSON, CSV or an SVG chart", content((ClimateReport = "application/json"), (String = "text/csv"), (String = "image/svg+xml"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The window is not closed yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/schools/{id}/climate")]
pub async fn school_climate(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    path: web::Path<IdPath>,
    query: ValidQuery<ClimateQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let school_id = path.into_inner().id;
    let query = query.0;
    let format = negotiate(&req, query.format);
    let indicator = query.indicator;
    let checks = move |conn: &mut DbConnection, caller: &Caller| {
        let school = rosters::scope::school(conn, caller, &school_id)?;
        let window = report_window(conn, caller, &query.window_id)?;
        let includes: i64 = survey_window_schools::table
            .filter(survey_window_schools::window_id.eq(&window.id))
            .filter(survey_window_schools::school_id.eq(&school.id))
            .count()
            .get_result(conn)?;
        if includes == 0 {
            return Err(ApiError::invalid(
                "window_id",
                "this window was not offered at this school",
            ));
        }
        let audited = json!({"report": "school_climate", "school_id": school.id,
                             "window_id": window.id, "format": format});
        Ok((window, Scope::School(school.id.clone()), audited))
    };
    serve(
        &state,
        (*caller).clone(),
        format,
        indicator,
        checks,
        "school-climate",
    )
    .await
}

/// Climate results of a closed window for the district: the district and each grade (and with
/// `breakdown=schools` each school), per indicator, with item distributions. District
/// administrators.
#[utoipa::path(
    tag = "reports", security(("bearer" = [])), params(IdPath, DistrictClimateQuery),
    responses(
        (status = 200, description = "The report, as JSON, CSV or an SVG chart", content((ClimateReport = "application/json"), (String = "text/csv"), (String = "image/svg+xml"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The window is not closed yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/districts/{id}/climate")]
pub async fn district_climate(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<IdPath>,
    query: ValidQuery<DistrictClimateQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let district_id = path.into_inner().id;
    let query = query.0;
    let format = negotiate(&req, query.format);
    let indicator = query.indicator;
    let checks = move |conn: &mut DbConnection, caller: &Caller| {
        rosters::scope::own_district(caller, &district_id)?;
        let window = report_window(conn, caller, &query.window_id)?;
        let schools = query.breakdown == Some(Breakdown::Schools);
        let audited = json!({"report": "district_climate", "district_id": district_id,
                             "window_id": window.id, "format": format, "schools": schools});
        Ok((window, Scope::District { schools }, audited))
    };
    serve(
        &state,
        (*caller).clone(),
        format,
        indicator,
        checks,
        "district-climate",
    )
    .await
}
