//! Report routes. Every read is recorded in the audit trail in the same transaction.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;
use validator::Validate;

use super::aggregates::{self, Cell};
use super::climate::{self, ClimateReport, Context, Scope};
use crate::audit;
use crate::auth::{Authorized, Caller, DistrictAdmins, SchoolStaff};
use crate::authz::{self, Visible};
use crate::db::schema::{survey_window_reports as reports, survey_window_schools, survey_windows};
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Problem};
use crate::extract::ValidQuery;
use crate::rosters::org::IdPath;
use crate::seal::SealKeys;
use crate::state::AppState;
use crate::surveys::models::{InstrumentRow, ItemRow, WindowRow};
use crate::surveys::queries as surveys;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Json,
    Csv,
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClimateQuery {
    /// A closed survey window.
    #[validate(length(min = 1, max = 64))]
    pub window_id: String,
    /// `csv` for CSV (as does `Accept: text/csv`); JSON by default.
    pub format: Option<Format>,
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
    /// `csv` for CSV (as does `Accept: text/csv`); JSON by default.
    pub format: Option<Format>,
    /// `schools` adds a row per school (a larger report: about 1.5 kB per school).
    pub breakdown: Option<Breakdown>,
}

fn wants_csv(req: &HttpRequest, format: Option<Format>) -> bool {
    match format {
        Some(f) => f == Format::Csv,
        None => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv")),
    }
}

/// Changes whenever a report's content or form changes, so renderings stored by an older
/// version are not served (they are rendered again on the next read).
const RENDERING_VERSION: &str = "r2";

fn scope_key(scope: &Scope) -> String {
    let scope = match scope {
        Scope::District { schools: false } => "district".to_owned(),
        Scope::District { schools: true } => "district+schools".to_owned(),
        Scope::School(s) => format!("school:{s}"),
    };
    format!("{RENDERING_VERSION}:{scope}")
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
    let closed = aggregates::closed(window, db::now())?;
    // A no-op update takes the window's row lock (PostgreSQL; SQLite writers are serialized):
    // a concurrent first reader may have stored the rendering while this one waited for it.
    diesel::update(survey_windows::table.find(&window.id))
        .set(survey_windows::min_cell_size.eq(survey_windows::min_cell_size))
        .execute(conn)?;
    let cells = aggregates::cells_of(conn, &closed, keys)?;
    if let Some(found) = stored_pair(conn)? {
        return Ok(found);
    }
    let instrument = surveys::published_instrument(conn, &window.instrument_id)?;
    let items = surveys::instrument_items(conn, &instrument.id)?;
    store_rendering(conn, window, &instrument, &items, cells, scope)
}

/// Renders one report of a window and stores it (in the caller's write transaction).
fn store_rendering(
    conn: &mut DbConnection,
    window: &WindowRow,
    instrument: &InstrumentRow,
    items: &[ItemRow],
    cells: Vec<Cell>,
    scope: Scope,
) -> Result<(String, String), ApiError> {
    let key = scope_key(&scope);
    let ctx = Context {
        window,
        instrument,
        items,
    };
    let report: ClimateReport = climate::assemble(&ctx, cells, scope);
    let json = serde_json::to_string(&report).map_err(|e| ApiError::internal(e.to_string()))?;
    let csv = super::csv::render(&report)?;
    diesel::insert_into(reports::table)
        .values((
            reports::window_id.eq(&window.id),
            reports::scope.eq(&key),
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
        store_rendering(conn, window, &instrument, &items, cells.to_vec(), scope)?;
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
    authz::window(conn, caller, id).map_err(|e| match e {
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
        (status = 200, description = "The report, as JSON or CSV", content((ClimateReport = "application/json"), (String = "text/csv"))),
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
    let csv = wants_csv(&req, query.format);
    let format = if csv { "csv" } else { "json" };
    let checks = move |conn: &mut DbConnection, caller: &Caller| {
        let school = authz::school(conn, caller, &school_id)?;
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
    let body = read(&state, (*caller).clone(), csv, checks).await?;
    Ok(respond(csv, body, "school-climate"))
}

/// Climate results of a closed window for the district: the district and each grade (and with
/// `breakdown=schools` each school), per indicator, with item distributions. District
/// administrators.
#[utoipa::path(
    tag = "reports", security(("bearer" = [])), params(IdPath, DistrictClimateQuery),
    responses(
        (status = 200, description = "The report, as JSON or CSV", content((ClimateReport = "application/json"), (String = "text/csv"))),
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
    let csv = wants_csv(&req, query.format);
    let format = if csv { "csv" } else { "json" };
    let checks = move |conn: &mut DbConnection, caller: &Caller| {
        authz::own_district(caller, &district_id)?;
        let window = report_window(conn, caller, &query.window_id)?;
        let schools = query.breakdown == Some(Breakdown::Schools);
        let audited = json!({"report": "district_climate", "district_id": district_id,
                             "window_id": window.id, "format": format, "schools": schools});
        Ok((window, Scope::District { schools }, audited))
    };
    let body = read(&state, (*caller).clone(), csv, checks).await?;
    Ok(respond(csv, body, "district-climate"))
}
