//! Climate reports and trends as accessible SVG charts (`chart`): the same published numbers as
//! the JSON, drawn. Withheld values are drawn as such (a coarse range, or an empty slot with its
//! reason), never as zero; the window, n and the suppression rule are in the picture.

use std::collections::HashMap;

use actix_web::HttpResponse;

use super::chart::{self, Bar, BarChart, LineChart, Series, Shown};
use super::climate::{ClimateReport, IndicatorResult, ReportRow};
use super::comparison::{ClimateTrend, IndicatorTrend};
use super::disclosure::Suppression;
use super::stats::Percent;
use crate::surveys::vocab::Indicator;

/// How an indicator is named in a picture, and what its share measures.
fn label(indicator: Indicator) -> (&'static str, &'static str) {
    match indicator {
        Indicator::Belonging => ("Belonging", "percent favorable"),
        Indicator::BullyingVictimization => (
            "Bullying",
            "frequent victimization (2-3 times a month or more)",
        ),
        Indicator::Safety => ("Safety", "percent favorable"),
        Indicator::EmotionRegulation => ("Emotion regulation", "percent favorable"),
        Indicator::TrustedAdult => ("Trusted adult", "percent favorable"),
        Indicator::PeerSupport => ("Peer support", "percent favorable"),
    }
}

fn reason(s: Option<Suppression>) -> String {
    match s {
        Some(Suppression::SmallCell) => "small_cell",
        Some(Suppression::Complementary) => "complementary",
        Some(Suppression::Coarsened) => "coarsened",
        None => "not shown",
    }
    .to_owned()
}

/// A published share as drawn.
fn shown(share: Option<&Percent>, suppressed: Option<Suppression>) -> Shown {
    match share {
        Some(p) if !p.coarsened => match p.value {
            Some(value) => Shown::Value {
                value,
                low: p.low,
                high: p.high,
            },
            None => Shown::Suppressed(reason(suppressed)),
        },
        Some(p) => Shown::Coarse(p.display.clone()),
        None => Shown::Suppressed(reason(suppressed)),
    }
}

fn headline(ind: &IndicatorResult) -> Option<&Percent> {
    ind.favorable.as_ref().or(ind.prevalence.as_ref())
}

fn bar(label: String, row: &ReportRow, ind: Option<&IndicatorResult>) -> Bar {
    let flag = (row.low_response == Some(true)).then(|| {
        format!(
            "low response ({}%)",
            row.response_percent
                .map(|r| r.to_string())
                .unwrap_or_default()
        )
    });
    match ind {
        Some(ind) => Bar {
            label,
            shown: shown(headline(ind), ind.suppressed.or(row.suppressed)),
            n: ind.n,
            flag,
        },
        None => Bar {
            label,
            shown: Shown::Suppressed(reason(row.suppressed)),
            n: None,
            flag,
        },
    }
}

fn find(row: &ReportRow, indicator: Indicator) -> Option<&IndicatorResult> {
    row.indicators.iter().find(|i| i.indicator == indicator)
}

fn subtitle(report: &ClimateReport) -> String {
    let m = &report.meta;
    format!(
        "{} ({} to {})",
        m.window_title,
        m.opens_at.format("%Y-%m-%d"),
        m.closes_at.format("%Y-%m-%d")
    )
}

fn footnote(min_cell_size: i32, rules: &str) -> String {
    format!(
        "Frequent victimization: bullied 2-3 times a month or more in any form. n = students scored on the indicator. Groups with fewer than {min_cell_size} respondents are not shown (small cell), and others are withheld where needed so none can be recovered (complementary); shares near 0% or 100% are shown only as a range (coarsened). Whiskers and bands: 95% intervals. Scoring rules {rules}."
    )
}

/// The climate report as a bar chart: with `indicator`, that indicator's share for the report's
/// total and each school or grade; without, every indicator's share for the total. `names`
/// gives school names by id.
pub fn climate(
    report: &ClimateReport,
    indicator: Option<Indicator>,
    names: &HashMap<String, String>,
    scope_name: &str,
) -> String {
    let meta = &report.meta;
    let (title, bars) = match indicator {
        None => {
            let bars = report
                .total
                .indicators
                .iter()
                .map(|ind| {
                    let (name, measure) = label(ind.indicator);
                    bar(format!("{name}: {measure}"), &report.total, Some(ind))
                })
                .collect();
            (format!("School climate at a glance: {scope_name}"), bars)
        }
        Some(indicator) => {
            let (name, measure) = label(indicator);
            let mut bars = vec![bar(
                format!("{scope_name} (all)"),
                &report.total,
                find(&report.total, indicator),
            )];
            for row in &report.schools {
                let id = row.school_id.clone().unwrap_or_default();
                let school = names.get(&id).cloned().unwrap_or(id);
                bars.push(bar(school, row, find(row, indicator)));
            }
            for row in &report.grades {
                let grade = row.grade.map(|g| format!("Grade {g}")).unwrap_or_default();
                bars.push(bar(grade, row, find(row, indicator)));
            }
            let by = if report.schools.is_empty() {
                "by grade"
            } else {
                "by school and grade"
            };
            (format!("{name}: {measure}, {scope_name}, {by}"), bars)
        }
    };
    chart::bar_chart(&BarChart {
        title,
        subtitle: subtitle(report),
        y_label: "Percent of students".to_owned(),
        y_max: 100.0,
        unit: "%".to_owned(),
        bars,
        footnote: footnote(meta.min_cell_size, &meta.scoring_rules_version),
    })
}

fn series(t: &IndicatorTrend, windows: &[(String, String)]) -> Series {
    let (name, measure) = label(t.indicator);
    let points = windows
        .iter()
        .map(|(id, title)| {
            let shown = match t.points.iter().find(|p| &p.window_id == id) {
                None => Shown::Suppressed("not asked".to_owned()),
                Some(p) => match (p.percent, &p.note) {
                    (Some(value), _) => Shown::Value {
                        value,
                        low: p.percent_ci_low,
                        high: p.percent_ci_high,
                    },
                    (None, Some(note)) => match note.strip_prefix("coarsened: ") {
                        Some(range) => Shown::Coarse(range.to_owned()),
                        None => Shown::Suppressed(note.clone()),
                    },
                    (None, None) => Shown::Suppressed("not shown".to_owned()),
                },
            };
            chart::TrendPoint {
                label: title.clone(),
                shown,
            }
        })
        .collect();
    // The legend is short: the measure without its definition, which the footnote has.
    let measure = measure.split(" (").next().unwrap_or(measure);
    Series {
        name: format!("{name} ({measure})"),
        points,
    }
}

/// The trend as a line chart: each indicator's share (or only `indicator`'s) across the
/// windows, with its interval band.
pub fn trend(
    trend: &ClimateTrend,
    indicator: Option<Indicator>,
    scope_name: &str,
    min_cell_size: i32,
) -> String {
    let mut windows: Vec<(String, String, chrono::NaiveDateTime)> = Vec::new();
    for p in trend.indicators.iter().flat_map(|t| &t.points) {
        if !windows.iter().any(|(id, _, _)| id == &p.window_id) {
            windows.push((p.window_id.clone(), p.window_title.clone(), p.closes_at));
        }
    }
    windows.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| a.0.cmp(&b.0)));
    let windows: Vec<(String, String)> = windows.into_iter().map(|(i, t, _)| (i, t)).collect();
    let series: Vec<Series> = trend
        .indicators
        .iter()
        .filter(|t| indicator.is_none_or(|i| i == t.indicator))
        .map(|t| series(t, &windows))
        .collect();
    let rules = trend
        .indicators
        .iter()
        .flat_map(|t| &t.points)
        .map(|p| p.scoring_rules_version.as_str())
        .next_back()
        .unwrap_or(crate::surveys::scoring::SCORING_RULES_VERSION);
    let title = match indicator {
        Some(i) => format!("{} over time: {scope_name}", label(i).0),
        None => format!("School climate over time: {scope_name}"),
    };
    chart::line_chart(&LineChart {
        title,
        subtitle: format!(
            "{} closed survey windows of one questionnaire",
            windows.len()
        ),
        y_label: "Percent of students".to_owned(),
        y_min: 0.0,
        y_max: 100.0,
        unit: "%".to_owned(),
        series,
        footnote: footnote(min_cell_size, rules),
    })
}

/// A drawing as the answer to a request.
pub fn svg(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(body)
}
