//! Trends across the closed windows of one instrument lineage, and SEL activity beside climate.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::climate;
use super::comparison::{self, ClimateTrend, WindowFigures};
use super::inputs::window_inputs;
use super::{pictures, queries};
use crate::accounts::{Authorized, Caller, DistrictAdmins, SchoolStaff};
use crate::audit;
use crate::authz::Visible;
use crate::dates;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidQuery};
use crate::lessons::progress::{competency_activity, CompetencyActivity};
use crate::mentoring::numbers::{school_numbers, MentoringNumbers};
use crate::rosters;
use crate::rosters::models::Term;
use crate::state::AppState;
use crate::surveys;
use crate::surveys::models::WindowRow;
use crate::surveys::vocab::Indicator;

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TrendQuery {
    /// The questionnaire lineage (`instrument_lineage_id` of a report); by default the lineage
    /// of the most recently closed window in scope (422 when several closed together).
    #[validate(length(min = 1, max = 64))]
    pub lineage_id: Option<String>,
    /// `svg` for a chart (as does `Accept: image/svg+xml`); JSON by default.
    pub format: Option<TrendFormat>,
    /// Charts: draw this indicator only (by default every indicator).
    pub indicator: Option<Indicator>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrendFormat {
    Json,
    Svg,
}

/// Whether a trend is asked for as a chart.
fn wants_svg(req: &HttpRequest, format: Option<TrendFormat>) -> bool {
    match format {
        Some(f) => f == TrendFormat::Svg,
        None => req
            .headers()
            .get(actix_web::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("image/svg+xml")),
    }
}

/// A trend as JSON, or drawn.
fn respond(trend: ClimateTrend, drawing: Option<Drawing>) -> HttpResponse {
    match drawing {
        None => HttpResponse::Ok().json(trend),
        Some(d) => pictures::svg(pictures::trend(
            &trend,
            d.indicator,
            &d.scope_name,
            d.min_cell_size,
        )),
    }
}

/// What a trend chart needs besides the trend.
struct Drawing {
    indicator: Option<Indicator>,
    scope_name: String,
    min_cell_size: i32,
}

/// Closed windows of the lineage, oldest first, that cover the school (if any).
fn lineage_windows(
    conn: &mut DbConnection,
    caller: &Caller,
    school: Option<&str>,
    lineage: Option<&str>,
) -> Result<(Option<String>, Vec<WindowRow>), ApiError> {
    let rows = queries::closed_windows_with_lineage(conn, &caller.district_id, school, db::now())?;
    let lineage = match lineage {
        Some(l) => Some(l.to_owned()),
        None => {
            // Two questionnaire versions (say grades 3–5 and 6–12) often close together; the
            // caller must then say which one to follow rather than get one at random.
            let latest = rows.last().map(|(w, _)| w.closes_at);
            let mut newest: Vec<&String> = rows
                .iter()
                .filter(|(w, _)| Some(w.closes_at) == latest)
                .map(|(_, l)| l)
                .collect();
            newest.sort();
            newest.dedup();
            if newest.len() > 1 {
                return Err(ApiError::invalid(
                    "lineage_id",
                    format!(
                        "several questionnaires closed together; choose one of {}",
                        newest
                            .iter()
                            .map(|l| l.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            newest.first().map(|l| (*l).clone())
        }
    };
    let windows = rows
        .into_iter()
        .filter(|(_, l)| Some(l) == lineage.as_ref())
        .map(|(w, _)| w)
        .collect();
    Ok((lineage, windows))
}

fn trend(
    conn: &mut DbConnection,
    caller: &Caller,
    school: Option<&str>,
    lineage: Option<&str>,
    keys: &crate::seal::SealKeys,
) -> Result<Trend, ApiError> {
    let (lineage, windows) = lineage_windows(conn, caller, school, lineage)?;
    let mut figures = Vec::with_capacity(windows.len());
    for window in windows {
        let visible = surveys::scope::window(conn, caller, &window.id)?;
        figures.push(window_figures(conn, &visible, keys)?);
    }
    Ok(Trend {
        min_cell_size: figures.iter().map(|f| f.min_cell_size).max().unwrap_or(0),
        trend: ClimateTrend {
            lineage_id: lineage,
            district_id: caller.district_id.clone(),
            school_id: school.map(str::to_owned),
            method: comparison::METHOD.to_owned(),
            indicators: comparison::trends(&figures, school),
        },
    })
}

/// A trend, with the largest minimum cell size of its windows (for a chart's footnote).
struct Trend {
    trend: ClimateTrend,
    min_cell_size: i32,
}

/// A closed window's table and patterns, scored under the current rules first if it can be.
fn window_figures(
    conn: &mut DbConnection,
    window: &Visible<WindowRow>,
    keys: &crate::seal::SealKeys,
) -> Result<WindowFigures, ApiError> {
    let mut inputs = window_inputs(conn, window, keys)?;
    let cells = std::mem::take(&mut inputs.cells);
    Ok(WindowFigures {
        window_id: window.id.clone(),
        window_title: window.title.clone(),
        closes_at: window.closes_at,
        instrument_version: inputs.instrument.version,
        scoring_rules_version: inputs.scoring_rules_version.clone(),
        min_cell_size: window.min_cell_size,
        protected: climate::protect(&inputs.context(window), cells),
    })
}

/// Each indicator of the school across the closed windows of one questionnaire lineage, with the
/// change since the previous window over what both offered, and whether it is significant.
#[utoipa::path(
    tag = "reports", security(("bearer" = [])), params(IdPath, TrendQuery),
    responses(
        (status = 200, description = "The trend, as JSON or an SVG chart", content((ClimateTrend = "application/json"), (String = "image/svg+xml"))),
        Forbidden,
        NotFound,
        (status = 422, description = "Several questionnaires closed together: choose `lineage_id`"),
    )
)]
#[get("/reports/schools/{id}/climate/trend")]
pub async fn school_trend(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    path: web::Path<IdPath>,
    query: ValidQuery<TrendQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().id;
    let drawn = wants_svg(&req, query.0.format);
    let (lineage, indicator) = (query.0.lineage_id, query.0.indicator);
    let keys = state.seal_keys.clone();
    let (out, drawing) = state
        .db
        .write(move |conn| {
            let school = rosters::scope::school(conn, &caller, &id)?;
            let t = trend(conn, &caller, Some(&school.id), lineage.as_deref(), &keys)?;
            audit::record(conn, &caller, "report.read",
                json!({"report": "school_climate_trend", "school_id": school.id,
                       "lineage_id": t.trend.lineage_id, "format": if drawn { "svg" } else { "json" }}))?;
            let drawing = drawn.then(|| Drawing {
                indicator,
                scope_name: school.name.clone(),
                min_cell_size: t.min_cell_size,
            });
            Ok((t.trend, drawing))
        })
        .await?;
    Ok(respond(out, drawing))
}

/// Each indicator of the district across the closed windows of one questionnaire lineage.
#[utoipa::path(
    tag = "reports", security(("bearer" = [])), params(IdPath, TrendQuery),
    responses(
        (status = 200, description = "The trend, as JSON or an SVG chart", content((ClimateTrend = "application/json"), (String = "image/svg+xml"))),
        Forbidden,
        NotFound,
        (status = 422, description = "Several questionnaires closed together: choose `lineage_id`"),
    )
)]
#[get("/reports/districts/{id}/climate/trend")]
pub async fn district_trend(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<IdPath>,
    query: ValidQuery<TrendQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let drawn = wants_svg(&req, query.0.format);
    let (lineage, indicator) = (query.0.lineage_id, query.0.indicator);
    let (out, drawing) = district_trend_of(
        &state,
        &caller,
        path.into_inner().id,
        lineage,
        indicator,
        drawn,
    )
    .await?;
    Ok(match drawing {
        Some(svg) => pictures::svg(svg),
        None => HttpResponse::Ok().json(out),
    })
}

/// The district's climate trend over the closed windows of a questionnaire lineage, read on
/// the record, and when `drawn` its chart (SVG). For the API and the pages.
pub async fn district_trend_of(
    state: &AppState,
    caller: &Authorized<DistrictAdmins>,
    id: String,
    lineage: Option<String>,
    indicator: Option<Indicator>,
    drawn: bool,
) -> Result<(ClimateTrend, Option<String>), ApiError> {
    let (keys, caller) = (state.seal_keys.clone(), caller.clone());
    state
        .db
        .write(move |conn| {
            let district = rosters::scope::district(conn, &caller, &id)?;
            let t = trend(conn, &caller, None, lineage.as_deref(), &keys)?;
            audit::record(conn, &*caller, "report.read",
                json!({"report": "district_climate_trend", "district_id": district.id,
                       "lineage_id": t.trend.lineage_id, "format": if drawn { "svg" } else { "json" }}))?;
            let svg = drawn.then(|| {
                pictures::trend(&t.trend, indicator, &district.name, t.min_cell_size)
            });
            Ok((t.trend, svg))
        })
        .await
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    /// The term (default: the current one).
    #[validate(length(min = 1, max = 64))]
    pub term_id: Option<String>,
}

/// School-level SEL activity in a term, to read beside its climate results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SelActivity {
    pub school_id: String,
    pub term: Term,
    /// Lessons assigned and delivered in the school's classes, and their completion, per competency.
    pub lessons: Vec<CompetencyActivity>,
    /// Mentoring in the school's programs over the term.
    pub mentoring: MentoringNumbers,
}

/// A school's SEL activity in a term (the current one by default), read on the record.
pub fn sel_activity_of(
    conn: &mut DbConnection,
    caller: &Authorized<SchoolStaff>,
    id: &str,
    term_id: Option<String>,
) -> Result<SelActivity, ApiError> {
    let school = rosters::scope::school(conn, caller, id)?;
    let today = dates::today();
    let term = match term_id {
        Some(t) => rosters::scope::term(conn, caller, &t)
            .map_err(|_| ApiError::invalid("term_id", "no such term in your district"))?
            .into_inner(),
        None => crate::rosters::queries::current_term(conn, &caller.district_id, today)?
            .ok_or(ApiError::NotFound("term"))?,
    };
    let lessons = competency_activity(conn, &school.id, &term.id)?;
    let mentoring = school_numbers(conn, &school.id, term.starts_on, term.ends_on, today)?;
    audit::record(
        conn,
        &**caller,
        "report.read",
        json!({"report": "sel_activity", "school_id": school.id, "term_id": term.id}),
    )?;
    Ok(SelActivity {
        school_id: school.id.clone(),
        term,
        lessons,
        mentoring,
    })
}

/// Lessons delivered and completed by competency, and mentoring coverage, for one school and
/// term: school-level aggregates only.
#[utoipa::path(
    tag = "reports", security(("bearer" = [])), params(IdPath, ActivityQuery),
    responses(
        (status = 200, body = SelActivity),
        Forbidden,
        NotFound,
        (status = 422, description = "See the problem document"),
    )
)]
#[get("/reports/schools/{id}/sel-activity")]
pub async fn sel_activity(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    path: web::Path<IdPath>,
    query: ValidQuery<ActivityQuery>,
) -> Result<web::Json<SelActivity>, ApiError> {
    let id = path.into_inner().id;
    let term_id = query.0.term_id;
    let out = state
        .db
        .write(move |conn| sel_activity_of(conn, &caller, &id, term_id))
        .await?;
    Ok(web::Json(out))
}
