//! Report routes. Every read is recorded in the audit trail in the same transaction.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;
use validator::Validate;

use super::climate::{ClimateReport, Scope};
use super::{pictures, queries, store};
use crate::accounts::{Authorized, Caller, DistrictAdmins, SchoolStaff};
use crate::audit;
use crate::authz::Visible;
use crate::db::DbConnection;
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidQuery};
use crate::rosters;
use crate::state::AppState;
use crate::surveys::models::WindowRow;
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

/// Draws a report as a chart, from its stored rendering, with the caller's checks and audit row
/// (in a write transaction: a first rendering is stored, a stale window is scored again first).
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
            let names = queries::school_names(conn, &caller.district_id)?;
            let scope_name = match &scope {
                Scope::School(id) => names.get(id).cloned().unwrap_or_else(|| id.clone()),
                Scope::District { .. } => queries::district_name(conn, &caller.district_id)?,
            };
            let report = store::report(conn, &window, scope, &keys)?;
            audit::record(conn, &caller, "report.read", audited)?;
            Ok(pictures::climate(&report, indicator, &names, &scope_name))
        })
        .await
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
            match store::stored_as(conn, &window, &scope, csv)? {
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
            let rendering = store::rendered(conn, &window, scope, &keys)?;
            audit::record(conn, &caller, action, audited)?;
            Ok(if csv { rendering.csv } else { rendering.json })
        })
        .await
}

/// A report in the format asked for: JSON, CSV or an SVG chart.
async fn render<F>(
    state: &AppState,
    caller: Caller,
    format: Format,
    indicator: Option<Indicator>,
    checks: F,
) -> Result<String, ApiError>
where
    F: Fn(&mut DbConnection, &Caller) -> Result<(Visible<WindowRow>, Scope, Value), ApiError>
        + Send
        + Sync
        + Clone
        + 'static,
{
    if format == Format::Svg {
        return picture(state, caller, indicator, checks).await;
    }
    read(state, caller, format == Format::Csv, checks).await
}

/// Answers with a rendered report: a chart, a CSV attachment named `name`, or JSON.
fn respond_as(format: Format, body: String, name: &str) -> HttpResponse {
    match format {
        Format::Svg => pictures::svg(body),
        Format::Csv => respond(true, body, name),
        Format::Json => respond(false, body, name),
    }
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
        Forbidden,
        NotFound,
        (status = 409, description = "The window is not closed yet"),
        (status = 422, description = "See the problem document"),
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
    let format = negotiate(&req, query.0.format);
    let body = school_report(&state, &caller, path.into_inner().id, query.0, format).await?;
    Ok(respond_as(format, body, "school-climate"))
}

/// A school's climate report of a closed window, in `format`, read on the record (API and web).
pub async fn school_report(
    state: &AppState,
    caller: &Authorized<SchoolStaff>,
    school_id: String,
    query: ClimateQuery,
    format: Format,
) -> Result<String, ApiError> {
    let indicator = query.indicator;
    let checks = move |conn: &mut DbConnection, caller: &Caller| {
        let school = rosters::scope::school(conn, caller, &school_id)?;
        let window = report_window(conn, caller, &query.window_id)?;
        if !queries::offered_at(conn, &window.id, &school.id)? {
            return Err(ApiError::invalid(
                "window_id",
                "this window was not offered at this school",
            ));
        }
        let audited = json!({"report": "school_climate", "school_id": school.id,
                             "window_id": window.id, "format": format});
        Ok((window, Scope::School(school.id.clone()), audited))
    };
    render(state, (**caller).clone(), format, indicator, checks).await
}

/// Climate results of a closed window for the district: the district and each grade (and with
/// `breakdown=schools` each school), per indicator, with item distributions. District
/// administrators.
#[utoipa::path(
    tag = "reports", security(("bearer" = [])), params(IdPath, DistrictClimateQuery),
    responses(
        (status = 200, description = "The report, as JSON, CSV or an SVG chart", content((ClimateReport = "application/json"), (String = "text/csv"), (String = "image/svg+xml"))),
        Forbidden,
        NotFound,
        (status = 409, description = "The window is not closed yet"),
        (status = 422, description = "See the problem document"),
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
    let format = negotiate(&req, query.0.format);
    let body = district_report(&state, &caller, path.into_inner().id, query.0, format).await?;
    Ok(respond_as(format, body, "district-climate"))
}

/// The district's climate report of a closed window, in `format`, read on the record (API and
/// web).
pub async fn district_report(
    state: &AppState,
    caller: &Authorized<DistrictAdmins>,
    district_id: String,
    query: DistrictClimateQuery,
    format: Format,
) -> Result<String, ApiError> {
    let indicator = query.indicator;
    let checks = move |conn: &mut DbConnection, caller: &Caller| {
        rosters::scope::own_district(caller, &district_id)?;
        let window = report_window(conn, caller, &query.window_id)?;
        let schools = query.breakdown == Some(Breakdown::Schools);
        let audited = json!({"report": "district_climate", "district_id": district_id,
                             "window_id": window.id, "format": format, "schools": schools});
        Ok((window, Scope::District { schools }, audited))
    };
    render(state, (**caller).clone(), format, indicator, checks).await
}
