//! Trends across the closed windows of one instrument lineage, and SEL activity beside climate.

use actix_web::{get, web};
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::climate::Scope;
use super::routes::rendered;
use crate::audit;
use crate::auth::{Authorized, Caller, DistrictAdmins, SchoolStaff};
use crate::authz;
use crate::db::schema::{survey_instruments, survey_window_schools, survey_windows};
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Problem};
use crate::extract::ValidQuery;
use crate::lessons::progress::{competency_activity, CompetencyActivity};
use crate::mentoring::numbers::{school_numbers, MentoringNumbers};
use crate::rosters::models::Term;
use crate::rosters::org::IdPath;
use crate::state::AppState;
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
}

/// One indicator in one window, and its change since the window before.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendPoint {
    pub window_id: String,
    pub window_title: String,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub closes_at: NaiveDateTime,
    pub instrument_version: i32,
    pub respondents: Option<i64>,
    /// Scale indicators: the index (1–5) and its 95% interval.
    pub mean: Option<f64>,
    pub mean_ci_low: Option<f64>,
    pub mean_ci_high: Option<f64>,
    /// Percent favorable, or for bullying victimization the prevalence, with its interval.
    pub percent: Option<f64>,
    pub percent_ci_low: Option<f64>,
    pub percent_ci_high: Option<f64>,
    /// Why values are missing: a suppressed cell, or a coarsened percentage.
    pub note: Option<String>,
    pub mean_change: Option<f64>,
    /// Whether the change is larger than the combined margin of error of the two windows
    /// (√(m₁² + m₂²), m = half the 95% interval).
    pub mean_change_exceeds_margin: Option<bool>,
    pub percent_change: Option<f64>,
    pub percent_change_exceeds_margin: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorTrend {
    pub indicator: Indicator,
    pub points: Vec<TrendPoint>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClimateTrend {
    pub lineage_id: Option<String>,
    pub district_id: String,
    pub school_id: Option<String>,
    pub indicators: Vec<IndicatorTrend>,
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn change(
    prev: &TrendPoint,
    cur: &TrendPoint,
    pick: fn(&TrendPoint) -> [Option<f64>; 3],
) -> (Option<f64>, Option<bool>) {
    let ([Some(a), Some(alo), Some(ahi)], [Some(b), Some(blo), Some(bhi)]) =
        (pick(prev), pick(cur))
    else {
        return (None, None);
    };
    let margin = (((ahi - alo) / 2.0).powi(2) + ((bhi - blo) / 2.0).powi(2)).sqrt();
    let diff = ((b - a) * 100.0).round() / 100.0;
    (Some(diff), Some((b - a).abs() > margin))
}

/// Closed windows of the lineage, oldest first, that cover the school (if any).
fn lineage_windows(
    conn: &mut DbConnection,
    caller: &Caller,
    school: Option<&str>,
    lineage: Option<&str>,
) -> Result<(Option<String>, Vec<WindowRow>), ApiError> {
    let now = db::now();
    let mut q = survey_windows::table
        .inner_join(survey_instruments::table)
        .filter(survey_windows::district_id.eq(&caller.district_id))
        .filter(survey_windows::closes_at.le(now))
        .into_boxed::<db::DbBackend>();
    if let Some(school) = school {
        q = q.filter(
            survey_windows::id.eq_any(
                survey_window_schools::table
                    .filter(survey_window_schools::school_id.eq(school.to_owned()))
                    .select(survey_window_schools::window_id),
            ),
        );
    }
    let rows: Vec<(WindowRow, String)> = q
        .order((survey_windows::closes_at.asc(), survey_windows::id.asc()))
        .select((WindowRow::as_select(), survey_instruments::lineage_id))
        .load(conn)?;
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
) -> Result<ClimateTrend, ApiError> {
    let (lineage, windows) = lineage_windows(conn, caller, school, lineage)?;
    let mut by_indicator: Vec<IndicatorTrend> = Vec::new();
    for window in windows {
        let visible = authz::window(conn, caller, &window.id)?;
        let scope = school.map_or(Scope::District { schools: false }, |s| {
            Scope::School(s.to_owned())
        });
        let (json, _) = rendered(conn, &visible, scope, keys)?;
        let report: Value =
            serde_json::from_str(&json).map_err(|e| ApiError::internal(e.to_string()))?;
        let total = &report["total"];
        for ind in total["indicators"].as_array().into_iter().flatten() {
            let indicator: Indicator = serde_json::from_value(ind["indicator"].clone())
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let pct = if ind["favorable"].is_null() {
                &ind["prevalence"]
            } else {
                &ind["favorable"]
            };
            // A withheld share may still show its coarse category ("<=8.4"), which says more
            // than the reason alone.
            let note = if pct["coarsened"] == true {
                Some(format!(
                    "coarsened: {}",
                    pct["display"].as_str().unwrap_or_default()
                ))
            } else if !ind["suppressed"].is_null() {
                ind["suppressed"].as_str().map(str::to_owned)
            } else {
                None
            };
            let mut point = TrendPoint {
                window_id: window.id.clone(),
                window_title: window.title.clone(),
                closes_at: window.closes_at,
                instrument_version: report["meta"]["instrument_version"].as_i64().unwrap_or(0)
                    as i32,
                respondents: total["respondents"].as_i64(),
                mean: f(&ind["mean"]),
                mean_ci_low: f(&ind["mean_ci_low"]),
                mean_ci_high: f(&ind["mean_ci_high"]),
                percent: f(&pct["value"]),
                percent_ci_low: f(&pct["low"]),
                percent_ci_high: f(&pct["high"]),
                note,
                mean_change: None,
                mean_change_exceeds_margin: None,
                percent_change: None,
                percent_change_exceeds_margin: None,
            };
            let series = match by_indicator.iter_mut().find(|t| t.indicator == indicator) {
                Some(t) => t,
                None => {
                    by_indicator.push(IndicatorTrend {
                        indicator,
                        points: Vec::new(),
                    });
                    by_indicator.last_mut().expect("just pushed")
                }
            };
            if let Some(prev) = series.points.last() {
                (point.mean_change, point.mean_change_exceeds_margin) =
                    change(prev, &point, |p| [p.mean, p.mean_ci_low, p.mean_ci_high]);
                (point.percent_change, point.percent_change_exceeds_margin) =
                    change(prev, &point, |p| {
                        [p.percent, p.percent_ci_low, p.percent_ci_high]
                    });
            }
            series.points.push(point);
        }
    }
    Ok(ClimateTrend {
        lineage_id: lineage,
        district_id: caller.district_id.clone(),
        school_id: school.map(str::to_owned),
        indicators: by_indicator,
    })
}

/// Each indicator of the school across the closed windows of one questionnaire lineage, with the
/// change since the previous window and whether it exceeds the combined margin of error.
#[utoipa::path(
    tag = "reports", security(("bearer" = [])), params(IdPath, TrendQuery),
    responses(
        (status = 200, body = ClimateTrend),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Several questionnaires closed together: choose `lineage_id`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/schools/{id}/climate/trend")]
pub async fn school_trend(
    state: web::Data<AppState>,
    caller: Authorized<SchoolStaff>,
    path: web::Path<IdPath>,
    query: ValidQuery<TrendQuery>,
) -> Result<web::Json<ClimateTrend>, ApiError> {
    let id = path.into_inner().id;
    let lineage = query.0.lineage_id;
    let keys = state.seal_keys.clone();
    let out = state
        .db
        .write(move |conn| {
            let school = authz::school(conn, &caller, &id)?;
            let t = trend(conn, &caller, Some(&school.id), lineage.as_deref(), &keys)?;
            audit::record(conn, &caller, "report.read",
                json!({"report": "school_climate_trend", "school_id": school.id, "lineage_id": t.lineage_id}))?;
            Ok(t)
        })
        .await?;
    Ok(web::Json(out))
}

/// Each indicator of the district across the closed windows of one questionnaire lineage.
#[utoipa::path(
    tag = "reports", security(("bearer" = [])), params(IdPath, TrendQuery),
    responses(
        (status = 200, body = ClimateTrend),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Several questionnaires closed together: choose `lineage_id`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/districts/{id}/climate/trend")]
pub async fn district_trend(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<IdPath>,
    query: ValidQuery<TrendQuery>,
) -> Result<web::Json<ClimateTrend>, ApiError> {
    let id = path.into_inner().id;
    let lineage = query.0.lineage_id;
    let keys = state.seal_keys.clone();
    let out = state
        .db
        .write(move |conn| {
            let district = authz::district(conn, &caller, &id)?;
            let t = trend(conn, &caller, None, lineage.as_deref(), &keys)?;
            audit::record(conn, &caller, "report.read",
                json!({"report": "district_climate_trend", "district_id": district.id, "lineage_id": t.lineage_id}))?;
            Ok(t)
        })
        .await?;
    Ok(web::Json(out))
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

/// Lessons delivered and completed by competency, and mentoring coverage, for one school and
/// term: school-level aggregates only.
#[utoipa::path(
    tag = "reports", security(("bearer" = [])), params(IdPath, ActivityQuery),
    responses(
        (status = 200, body = SelActivity),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
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
        .write(move |conn| {
            let school = authz::school(conn, &caller, &id)?;
            let today = Utc::now().date_naive();
            let term = match term_id {
                Some(t) => authz::term(conn, &caller, &t)
                    .map_err(|_| ApiError::invalid("term_id", "no such term in your district"))?
                    .into_inner(),
                None => crate::rosters::queries::current_term(conn, &caller.district_id, today)?
                    .ok_or(ApiError::NotFound("term"))?,
            };
            let lessons = competency_activity(conn, &school.id, &term.id)?;
            let mentoring = school_numbers(conn, &school.id, term.starts_on, term.ends_on, today)?;
            audit::record(
                conn,
                &caller,
                "report.read",
                json!({"report": "sel_activity", "school_id": school.id, "term_id": term.id}),
            )?;
            Ok(SelActivity {
                school_id: school.id.clone(),
                term,
                lessons,
                mentoring,
            })
        })
        .await?;
    Ok(web::Json(out))
}
