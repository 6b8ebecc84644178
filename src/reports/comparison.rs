//! Trends: each indicator across the closed windows of one questionnaire lineage, and its change
//! between consecutive windows computed like for like.
//!
//! - A window's own point is its report's total (the district, or one school), as the report
//!   shows it, with the indicator's own `n`.
//! - A change compares only the schools and grades that both windows offered (`schools`,
//!   `grades`, with each side's `n`): a district that added two high schools does not read
//!   their students as a change in belonging. The figures of that common part are sums of
//!   entries (the whole window, whole grades, whole schools or single cells) that every report
//!   of each window shows (`climate::Protected::part_sums`); where the common part cannot be
//!   built from shown entries, the change is withheld with a note rather than let a difference
//!   of two published sums reveal a withheld cell.
//! - Significance: `significance` (Welch's t for the index, two-proportion z for shares,
//!   Benjamini–Hochberg over every change of the trend).

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use super::climate::{IndicatorResult, Protected};
use super::significance::{self, Estimate, FALSE_DISCOVERY_RATE};
use super::stats::{self, Percent};
use crate::surveys::vocab::Indicator;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClimateTrend {
    pub lineage_id: Option<String>,
    pub district_id: String,
    pub school_id: Option<String>,
    /// How changes are computed and tested.
    pub method: String,
    pub indicators: Vec<IndicatorTrend>,
}

/// One window of a trend, with its table and patterns.
pub struct WindowFigures {
    pub window_id: String,
    pub window_title: String,
    pub closes_at: NaiveDateTime,
    pub instrument_version: i32,
    pub scoring_rules_version: String,
    pub min_cell_size: i32,
    pub protected: Protected,
}

/// One indicator in one window, and its change since the window before.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendPoint {
    pub window_id: String,
    pub window_title: String,
    #[serde(serialize_with = "crate::dates::utc")]
    pub closes_at: NaiveDateTime,
    #[schema(minimum = 1)]
    pub instrument_version: i32,
    pub scoring_rules_version: String,
    /// The window's respondents in scope, as its report shows them.
    #[schema(minimum = 0)]
    pub respondents: Option<i64>,
    /// Respondents scored on this indicator, as the report shows them.
    pub n: Option<u64>,
    /// Scale indicators: the index (1–5) and its 95% interval.
    pub mean: Option<f64>,
    pub mean_ci_low: Option<f64>,
    pub mean_ci_high: Option<f64>,
    /// Percent favorable, or for bullying victimization the prevalence of frequent
    /// victimization, with its 95% interval.
    pub percent: Option<f64>,
    pub percent_ci_low: Option<f64>,
    pub percent_ci_high: Option<f64>,
    /// Why values are missing: a suppressed cell, or a coarsened percentage.
    pub note: Option<String>,
    /// Since the previous window of the trend (none for the first).
    pub change: Option<Change>,
}

/// The change of one indicator between two consecutive windows, over what both offered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Change {
    pub since_window_id: String,
    /// The schools and grades both windows offered: the change is computed over them alone.
    pub schools: Vec<String>,
    #[schema(minimum = 0, maximum = 12)]
    pub grades: Vec<i32>,
    /// Both windows offered exactly these schools and grades: the change is between the two
    /// published totals.
    pub whole_windows: bool,
    /// Respondents scored on the indicator in the common schools and grades, per window.
    pub n_before: Option<u64>,
    pub n_after: Option<u64>,
    pub mean_before: Option<f64>,
    pub mean_after: Option<f64>,
    pub mean_change: Option<f64>,
    /// Welch's t test, two-sided.
    pub mean_p_value: Option<f64>,
    /// Benjamini–Hochberg adjusted over every change of the trend.
    pub mean_q_value: Option<f64>,
    /// `mean_q_value` ≤ 0.05.
    pub mean_significant: Option<bool>,
    pub percent_before: Option<f64>,
    pub percent_after: Option<f64>,
    /// In percentage points.
    pub percent_change: Option<f64>,
    /// Two-proportion z test, two-sided.
    pub percent_p_value: Option<f64>,
    pub percent_q_value: Option<f64>,
    pub percent_significant: Option<bool>,
    /// Why figures of the change are missing.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorTrend {
    pub indicator: Indicator,
    pub points: Vec<TrendPoint>,
}

/// How a trend's changes are computed, stated in every trend.
pub const METHOD: &str = "Each change compares only the schools and grades offered in both windows (listed with it), with each side's n. The index is compared with Welch's t test and shares with a two-proportion z test, each on finite-population corrected standard errors; q-values are Benjamini-Hochberg adjusted over every change in this trend, and a change is significant at q <= 0.05. The tests treat the two windows as independent samples; mostly the same students answer both, and their answers are positively correlated, so the tests are conservative (they miss some real changes rather than report false ones). A change is withheld where its schools and grades could only be built from values a report withholds.";

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The point of one indicator from a window's report row for the scope.
fn point(window: &WindowFigures, respondents: Option<i64>, ind: &IndicatorResult) -> TrendPoint {
    let share: Option<&Percent> = ind.favorable.as_ref().or(ind.prevalence.as_ref());
    // A withheld share may still show its coarse category ("<=8.4"), which says more than the
    // reason alone.
    let note = match share {
        Some(p) if p.coarsened => Some(format!("coarsened: {}", p.display)),
        _ => ind.suppressed.map(|s| {
            serde_json::to_value(s)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        }),
    };
    TrendPoint {
        window_id: window.window_id.clone(),
        window_title: window.window_title.clone(),
        closes_at: window.closes_at,
        instrument_version: window.instrument_version,
        scoring_rules_version: window.scoring_rules_version.clone(),
        respondents,
        n: ind.n,
        mean: ind.mean,
        mean_ci_low: ind.mean_ci_low,
        mean_ci_high: ind.mean_ci_high,
        percent: share.and_then(|p| p.value),
        percent_ci_low: share.and_then(|p| p.low),
        percent_ci_high: share.and_then(|p| p.high),
        note,
        change: None,
    }
}

/// One side of a change: the common part's index and share, where they may be shown.
struct Side {
    n: u64,
    mean: Option<Estimate>,
    share: Option<Estimate>,
}

fn side(
    window: &WindowFigures,
    indicator: Indicator,
    schools: &BTreeSet<String>,
    grades: &BTreeSet<i32>,
) -> Option<Side> {
    let part = window.protected.part_sums(indicator, schools, grades)?;
    let s = part.sums;
    let k = window.min_cell_size.max(1) as u64;
    if s.n < k {
        return None;
    }
    let share = (!stats::share_sensitive(s.hits, s.n) && s.n > 1).then(|| {
        // Cochran's (1977, eq. 3.6) unbiased estimate of the variance of a share sampled
        // without replacement: (1 − f)·p(1 − p)/(n − 1).
        let (n, p) = (s.n as f64, s.hits as f64 / s.n as f64);
        let f = if part.eligible == 0 {
            0.0
        } else {
            (n / part.eligible as f64).min(1.0)
        };
        Estimate {
            value: p,
            se: ((1.0 - f) * p * (1.0 - p) / (n - 1.0)).sqrt(),
            n: s.n,
        }
    });
    let mean = (indicator != Indicator::BullyingVictimization
        && !stats::mean_sensitive(&s, part.step))
    .then(|| stats::mean_interval(&s, part.eligible, part.step))
    .flatten()
    .map(|m| Estimate {
        value: m.mean,
        se: m.se,
        n: m.n,
    });
    Some(Side {
        n: s.n,
        mean,
        share,
    })
}

fn change(
    before: &WindowFigures,
    after: &WindowFigures,
    indicator: Indicator,
    school: Option<&str>,
) -> Change {
    let set = |w: &WindowFigures| -> BTreeSet<String> {
        w.protected
            .schools()
            .iter()
            .filter(|s| school.is_none_or(|x| x == s.as_str()))
            .cloned()
            .collect()
    };
    let (schools_before, schools_after) = (set(before), set(after));
    let grades_before: BTreeSet<i32> = before.protected.grades().iter().copied().collect();
    let grades_after: BTreeSet<i32> = after.protected.grades().iter().copied().collect();
    let schools: BTreeSet<String> = schools_before
        .intersection(&schools_after)
        .cloned()
        .collect();
    let grades: BTreeSet<i32> = grades_before.intersection(&grades_after).copied().collect();
    let whole_windows = schools == schools_before
        && schools == schools_after
        && grades == grades_before
        && grades == grades_after;
    let mut out = Change {
        since_window_id: before.window_id.clone(),
        schools: schools.iter().cloned().collect(),
        grades: grades.iter().copied().collect(),
        whole_windows,
        n_before: None,
        n_after: None,
        mean_before: None,
        mean_after: None,
        mean_change: None,
        mean_p_value: None,
        mean_q_value: None,
        mean_significant: None,
        percent_before: None,
        percent_after: None,
        percent_change: None,
        percent_p_value: None,
        percent_q_value: None,
        percent_significant: None,
        note: None,
    };
    if schools.is_empty() || grades.is_empty() {
        out.note = Some("the windows share no school and grade".to_owned());
        return out;
    }
    if before.scoring_rules_version != after.scoring_rules_version {
        // A window that could not be scored again under the current rules: its figures mean
        // something else, and a difference would mix the two silently.
        out.note = Some(format!(
            "not compared: scored under different rules ({} and {})",
            before.scoring_rules_version, after.scoring_rules_version
        ));
        return out;
    }
    let (Some(a), Some(b)) = (
        side(before, indicator, &schools, &grades),
        side(after, indicator, &schools, &grades),
    ) else {
        out.note = Some(
            "withheld: the common schools and grades include values a report withholds".to_owned(),
        );
        return out;
    };
    out.n_before = Some(a.n);
    out.n_after = Some(b.n);
    if let (Some(x), Some(y)) = (a.mean, b.mean) {
        out.mean_before = Some(round2(x.value));
        out.mean_after = Some(round2(y.value));
        out.mean_change = Some(round2(y.value - x.value));
        out.mean_p_value = significance::welch_p(x, y);
    }
    if let (Some(x), Some(y)) = (a.share, b.share) {
        out.percent_before = Some(round1(x.value * 100.0));
        out.percent_after = Some(round1(y.value * 100.0));
        out.percent_change = Some(round1((y.value - x.value) * 100.0));
        out.percent_p_value = significance::two_proportion_p(x, y);
    }
    if out.mean_change.is_none() && out.percent_change.is_none() {
        out.note = Some("withheld: a share or index of the common part is coarsened".to_owned());
    }
    out
}

/// The trend of every indicator over `windows` (oldest first) for the district (`school`
/// None) or one school.
pub fn trends(windows: &[WindowFigures], school: Option<&str>) -> Vec<IndicatorTrend> {
    let mut out: Vec<IndicatorTrend> = Vec::new();
    for (i, window) in windows.iter().enumerate() {
        let Some(place) = window.protected.place(school) else {
            continue;
        };
        let row = window.protected.total_row(&place, school);
        for ind in &row.indicators {
            let mut p = point(window, row.respondents, ind);
            let series = match out.iter_mut().find(|t| t.indicator == ind.indicator) {
                Some(t) => t,
                None => {
                    out.push(IndicatorTrend {
                        indicator: ind.indicator,
                        points: Vec::new(),
                    });
                    out.last_mut().expect("just pushed")
                }
            };
            if let Some(prev) = series.points.last() {
                let before = windows[..i]
                    .iter()
                    .rev()
                    .find(|w| w.window_id == prev.window_id)
                    .expect("a point's window is in the trend");
                p.change = Some(change(before, window, ind.indicator, school));
            }
            series.points.push(p);
        }
    }
    adjust(&mut out);
    out
}

/// Benjamini–Hochberg over every p-value of the trend.
fn adjust(trends: &mut [IndicatorTrend]) {
    let mut p = Vec::new();
    for c in changes(trends) {
        p.extend(c.mean_p_value);
        p.extend(c.percent_p_value);
    }
    let q = significance::benjamini_hochberg(&p);
    let mut q = q.into_iter();
    let significant = |q: f64| q <= FALSE_DISCOVERY_RATE;
    for c in trends
        .iter_mut()
        .flat_map(|t| t.points.iter_mut())
        .filter_map(|p| p.change.as_mut())
    {
        // Adjusted unrounded; both published to four decimals.
        if let Some(p) = c.mean_p_value {
            let v = q.next().expect("one q-value per p-value");
            c.mean_p_value = Some(round4(p));
            c.mean_q_value = Some(round4(v));
            c.mean_significant = Some(significant(v));
        }
        if let Some(p) = c.percent_p_value {
            let v = q.next().expect("one q-value per p-value");
            c.percent_p_value = Some(round4(p));
            c.percent_q_value = Some(round4(v));
            c.percent_significant = Some(significant(v));
        }
    }
}

fn changes(trends: &[IndicatorTrend]) -> impl Iterator<Item = &Change> {
    trends
        .iter()
        .flat_map(|t| t.points.iter())
        .filter_map(|p| p.change.as_ref())
}
