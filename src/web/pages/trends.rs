//! A questionnaire's climate trend for district staff: its chart and, per indicator, each
//! closed window's figure (through `reports::trend::district_trend_of`, as the API: the same
//! suppression, on the record).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::accounts::DistrictAdmins;
use crate::reports::comparison::ClimateTrend;
use crate::reports::trend::district_trend_of;
use crate::state::AppState;
use crate::web::page::{render, text, Frame, Viewer, WebError};

#[derive(serde::Deserialize)]
pub struct TrendQuery {
    lineage: Option<String>,
}

/// A point of the trend as a line of its table.
pub struct Line {
    pub window: String,
    pub closed: String,
    pub n: String,
    pub figure: String,
}

#[derive(Template)]
#[template(path = "staff/trend.html")]
struct TrendPage {
    frame: Frame,
    lineage: String,
    indicators: Vec<(&'static str, Vec<Line>)>,
    method: String,
}

fn lines(trend: &ClimateTrend) -> Vec<(&'static str, Vec<Line>)> {
    let t = text();
    trend
        .indicators
        .iter()
        .map(|i| {
            let lines = i
                .points
                .iter()
                .map(|p| Line {
                    window: p.window_title.clone(),
                    closed: p.closes_at.format("%Y-%m-%d").to_string(),
                    n: p.n.map_or_else(|| t.hidden.to_owned(), |n| n.to_string()),
                    figure: match (p.percent, p.mean) {
                        (Some(pct), _) => format!("{pct:.1}%"),
                        (None, Some(mean)) => format!("{mean:.2}"),
                        (None, None) => t.hidden.to_owned(),
                    },
                })
                .collect();
            (t.word(i.indicator.as_str()), lines)
        })
        .collect()
}

fn lineage_of(query: &TrendQuery) -> Option<String> {
    query
        .lineage
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty() && l.len() <= 64)
        .map(str::to_owned)
}

pub async fn trend(
    state: web::Data<AppState>,
    viewer: Viewer<DistrictAdmins>,
    query: web::Query<TrendQuery>,
) -> Result<HttpResponse, WebError> {
    let lineage = lineage_of(&query);
    let district = viewer.district_id.clone();
    let (trend, _) =
        district_trend_of(&state, &viewer, district, lineage.clone(), None, false).await?;
    render(
        StatusCode::OK,
        &TrendPage {
            frame: Frame::new(&viewer, text().trend_title, "/reports"),
            lineage: trend.lineage_id.clone().or(lineage).unwrap_or_default(),
            indicators: lines(&trend),
            method: trend.method,
        },
    )
}

pub async fn chart(
    state: web::Data<AppState>,
    viewer: Viewer<DistrictAdmins>,
    query: web::Query<TrendQuery>,
) -> Result<HttpResponse, WebError> {
    let district = viewer.district_id.clone();
    let (_, svg) =
        district_trend_of(&state, &viewer, district, lineage_of(&query), None, true).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(svg.unwrap_or_default()))
}
