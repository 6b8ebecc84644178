//! Climate reports: the closed windows, and a window's report as a table with its chart and a
//! CSV download. District staff read the district's report (by school and grade); school
//! administrators and counselors their school's. Every read is on the record (the reports
//! domain audits it, as for the API).

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;

use crate::accounts::{DistrictAdmins, Role, SchoolStaff};
use crate::error::ApiError;
use crate::pagination::PageParams;
use crate::reports::climate::{ClimateReport, IndicatorResult, ReportRow, RowKind};
use crate::reports::routes::{
    district_report, school_report, Breakdown, ClimateQuery, DistrictClimateQuery, Format,
};
use crate::state::AppState;
use crate::surveys::models::{Window, WindowState};
use crate::web::page::{render, text, Frame, Viewer, WebError};

#[derive(Template)]
#[template(path = "staff/reports.html")]
struct ReportsPage {
    frame: Frame,
    windows: Vec<Window>,
}

/// The closed windows whose reports the viewer can read.
pub async fn index(
    state: web::Data<AppState>,
    viewer: Viewer<SchoolStaff>,
) -> Result<HttpResponse, WebError> {
    let caller = (**viewer).clone();
    let windows = state
        .db
        .run(move |conn| {
            let paging = PageParams {
                page: Some(1),
                limit: Some(100),
            };
            crate::surveys::queries::list_windows(
                conn,
                &caller,
                Some(WindowState::Closed),
                paging,
                crate::db::now(),
            )
        })
        .await?;
    render(
        StatusCode::OK,
        &ReportsPage {
            frame: Frame::new(&viewer, text().reports_title, "/reports"),
            windows: windows.items,
        },
    )
}

/// The report of a window in `format`, read as the viewer's role allows: district staff the
/// district's (by school), school staff their school's.
async fn read(
    state: &AppState,
    req: &HttpRequest,
    viewer: &Viewer<SchoolStaff>,
    window_id: String,
    format: Format,
) -> Result<String, ApiError> {
    if viewer.role == Role::DistrictAdmin {
        let district = Viewer::<DistrictAdmins>::from_request(req, &mut Payload::None)
            .await
            .map_err(|_| ApiError::forbidden("district administrators only"))?;
        let query = DistrictClimateQuery {
            window_id,
            format: Some(format),
            breakdown: Some(Breakdown::Schools),
            indicator: None,
        };
        let district_id = district.district_id.clone();
        district_report(state, &district, district_id, query, format).await
    } else {
        let school = viewer
            .school()
            .ok_or_else(|| ApiError::forbidden("no school"))?
            .to_owned();
        let query = ClimateQuery {
            window_id,
            format: Some(format),
            indicator: None,
        };
        school_report(state, viewer, school, query, format).await
    }
}

/// A line of the report's table.
pub struct Line {
    pub label: String,
    pub respondents: String,
    pub response: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "staff/report.html")]
struct ReportPage {
    frame: Frame,
    window_id: String,
    title: String,
    indicators: Vec<&'static str>,
    lines: Vec<Line>,
    notes: Vec<String>,
    min_cell_size: i32,
    /// District staff: the questionnaire's lineage, for its trend.
    lineage: Option<String>,
}

fn cell(result: Option<&IndicatorResult>, row_hidden: bool) -> String {
    let t = text();
    let Some(r) = result else {
        return String::new();
    };
    if row_hidden
        || r.suppressed
            .is_some_and(|s| s != crate::reports::disclosure::Suppression::Coarsened)
    {
        return t.hidden.to_owned();
    }
    match r.favorable.as_ref().or(r.prevalence.as_ref()) {
        Some(p) => format!("{}%", p.display),
        None => t.hidden.to_owned(),
    }
}

fn line(row: &ReportRow, label: String, indicators: &[crate::surveys::vocab::Indicator]) -> Line {
    let t = text();
    let hidden = row.suppressed.is_some();
    Line {
        label,
        respondents: row
            .respondents
            .map_or_else(|| t.hidden.to_owned(), |n| n.to_string()),
        response: row
            .response_percent
            .map_or_else(|| t.hidden.to_owned(), |p| format!("{p:.0}%")),
        cells: indicators
            .iter()
            .map(|i| cell(row.indicators.iter().find(|r| r.indicator == *i), hidden))
            .collect(),
    }
}

/// A window's report: a chart (an image drawn by the API's chart code) and the same figures
/// as a table, suppressed cells marked, and the CSV.
pub async fn report(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer<SchoolStaff>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let t = text();
    let window_id = path.into_inner();
    let json = read(&state, &req, &viewer, window_id.clone(), Format::Json).await?;
    let report: ClimateReport =
        serde_json::from_str(&json).map_err(|e| ApiError::internal(format!("report JSON: {e}")))?;
    let indicators: Vec<_> = report
        .total
        .indicators
        .iter()
        .map(|i| i.indicator)
        .collect();
    let names = {
        let district = viewer.district_id.clone();
        state
            .db
            .run(move |conn| Ok(crate::reports::queries::school_names(conn, &district)?))
            .await?
    };
    let total_label = if report.meta.school_id.is_some() {
        t.whole_school
    } else {
        t.whole_district
    };
    let mut lines = vec![line(&report.total, total_label.to_owned(), &indicators)];
    for row in report.schools.iter().chain(&report.grades) {
        let label = match (row.kind, &row.school_id, row.grade) {
            (RowKind::School, Some(id), _) => names.get(id).cloned().unwrap_or_else(|| id.clone()),
            (_, _, Some(g)) => format!("{} {g}", t.grade_n),
            _ => String::new(),
        };
        lines.push(line(row, label, &indicators));
    }
    render(
        StatusCode::OK,
        &ReportPage {
            frame: Frame::new(&viewer, report.meta.window_title.clone(), "/reports"),
            window_id,
            title: report.meta.window_title.clone(),
            indicators: indicators.iter().map(|i| t.word(i.as_str())).collect(),
            lines,
            notes: report.meta.notes.clone(),
            min_cell_size: report.meta.min_cell_size,
            lineage: (viewer.role == Role::DistrictAdmin)
                .then(|| report.meta.instrument_lineage_id.clone()),
        },
    )
}

/// The report's chart, for the page's `<img>`.
pub async fn chart(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer<SchoolStaff>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let svg = read(&state, &req, &viewer, path.into_inner(), Format::Svg).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(svg))
}

/// The report as CSV, downloaded (recorded as an export, as the API's).
pub async fn csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer<SchoolStaff>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let body = read(&state, &req, &viewer, path.into_inner(), Format::Csv).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"climate-report.csv\"",
        ))
        .body(body))
}
