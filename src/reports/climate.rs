//! The climate report of a closed window, assembled from its (school, grade) aggregates.
//!
//! The suppression pattern is always computed over the whole window (schools × grades with their
//! margins), whichever report is asked for, so the school reports and the district report that
//! one district administrator can read together never reveal a suppressed value.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use super::aggregates::Cell;
use super::disclosure::{Pattern, Suppression};
use super::stats::{self, Distribution, Percent, Sums};
use super::table::{suppression, At, Table};
use crate::surveys::models::{InstrumentRow, ItemRow, WindowRow};
use crate::surveys::scoring::SCORING_RULES_VERSION;
use crate::surveys::vocab::{Indicator, Scale};

/// What a report covers and how it was computed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportMeta {
    pub window_id: String,
    pub window_title: String,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub opens_at: NaiveDateTime,
    #[serde(serialize_with = "crate::timefmt::utc")]
    pub closes_at: NaiveDateTime,
    pub instrument_id: String,
    pub instrument_title: String,
    pub instrument_version: i32,
    pub instrument_lineage_id: String,
    pub scoring_rules_version: String,
    /// Cells with fewer respondents are suppressed.
    pub min_cell_size: i32,
    pub district_id: String,
    /// Set for a school report.
    pub school_id: Option<String>,
    pub notes: Vec<String>,
}

/// One indicator in one row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorResult {
    pub indicator: Indicator,
    /// Respondents with a score on this indicator.
    pub n: Option<u64>,
    /// Scale indicators: mean of the respondents' scale means (1–5), with its 95% interval.
    pub mean: Option<f64>,
    pub mean_ci_low: Option<f64>,
    pub mean_ci_high: Option<f64>,
    /// Scale indicators: share of respondents whose mean is at least 4 (Wilson 95% interval).
    pub favorable: Option<Percent>,
    /// Bullying victimization: share reporting any victimization (Wilson 95% interval).
    pub prevalence: Option<Percent>,
    /// Why the values are null.
    pub suppressed: Option<Suppression>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    Total,
    School,
    Grade,
}

/// The whole school or district, one school, or one grade.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportRow {
    pub kind: RowKind,
    pub school_id: Option<String>,
    pub grade: Option<i32>,
    /// Active students offered the survey, not counting those opted out by a guardian.
    pub eligible: i64,
    /// Students opted out by a guardian (not in `eligible`).
    pub opted_out: i64,
    pub respondents: Option<i64>,
    /// Respondents ÷ eligible, in percent.
    pub response_rate: Option<f64>,
    pub suppressed: Option<Suppression>,
    pub indicators: Vec<IndicatorResult>,
}

/// How the answers to one item were distributed over its options, for the report's total.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemResult {
    pub item_id: String,
    pub position: i32,
    pub section: String,
    pub prompt: String,
    pub indicator: Indicator,
    pub scale: Scale,
    pub distribution: Option<Distribution>,
    pub suppressed: Option<Suppression>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClimateReport {
    pub meta: ReportMeta,
    pub total: ReportRow,
    /// District reports: one row per school.
    pub schools: Vec<ReportRow>,
    pub grades: Vec<ReportRow>,
    pub items: Vec<ItemResult>,
}

/// Which part of the window a report shows.
pub enum Scope {
    /// The district total and grades; with `schools`, a row per school too.
    District {
        schools: bool,
    },
    School(String),
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn indicator_result(
    indicator: Indicator,
    sums: &Sums,
    suppressed: Option<Suppression>,
) -> IndicatorResult {
    let mut out = IndicatorResult {
        indicator,
        n: None,
        mean: None,
        mean_ci_low: None,
        mean_ci_high: None,
        favorable: None,
        prevalence: None,
        suppressed,
    };
    if suppressed.is_some() {
        return out;
    }
    out.n = Some(sums.n);
    let share = stats::wilson(sums.hits, sums.n).map(|p| stats::percent(&p));
    if indicator == Indicator::BullyingVictimization {
        out.prevalence = share;
    } else {
        out.favorable = share;
        if let Some(ci) = stats::mean_ci(sums) {
            out.mean = Some(round2(ci.mean));
            out.mean_ci_low = Some(round2(ci.low));
            out.mean_ci_high = Some(round2(ci.high));
        } else if sums.n > 0 {
            out.mean = Some(round2(sums.sum / sums.n as f64));
        }
    }
    out
}

/// The report's inputs besides the cells.
pub struct Context<'a> {
    pub window: &'a WindowRow,
    pub instrument: &'a InstrumentRow,
    pub items: &'a [ItemRow],
}

pub fn assemble(ctx: &Context, cells: Vec<Cell>, scope: Scope) -> ClimateReport {
    let k = ctx.window.min_cell_size.max(1) as u64;
    let table = Table::new(cells);
    let respondents = table.protect(|c| c.respondents as u64, k);
    let indicators: Vec<Indicator> = {
        let mut v: Vec<Indicator> = ctx.items.iter().map(|i| i.indicator()).collect();
        v.sort();
        v.dedup();
        v
    };
    // Each indicator and item gets its own pattern over the respondents who answered it, on top
    // of the respondents' pattern (more suppression never reveals more).
    let indicator_patterns: BTreeMap<Indicator, Pattern> = indicators
        .iter()
        .map(|ind| {
            let n = |c: &Cell| c.aggregates.indicators.get(ind).map_or(0, |s| s.n);
            (*ind, table.protect(n, k))
        })
        .collect();
    let row_at = |kind: RowKind, cell: &Cell, at: At, school: Option<&str>, grade: Option<i32>| {
        let suppressed = suppression(&respondents, at);
        let shown = suppressed.is_none();
        ReportRow {
            kind,
            school_id: school.map(str::to_owned),
            grade,
            eligible: cell.eligible,
            opted_out: cell.opted_out,
            respondents: shown.then_some(cell.respondents),
            response_rate: (shown && cell.eligible > 0)
                .then(|| (cell.respondents as f64 * 1000.0 / cell.eligible as f64).round() / 10.0),
            suppressed,
            indicators: indicators
                .iter()
                .map(|ind| {
                    let own = suppression(&indicator_patterns[ind], at);
                    let sums = cell
                        .aggregates
                        .indicators
                        .get(ind)
                        .copied()
                        .unwrap_or_default();
                    indicator_result(*ind, &sums, suppressed.or(own))
                })
                .collect(),
        }
    };
    let (total, total_at, schools, grades, school_id) = match scope {
        Scope::District { schools } => {
            let total = table.total();
            let schools = table
                .schools
                .iter()
                .enumerate()
                .filter(|_| schools)
                .map(|(r, s)| row_at(RowKind::School, &table.row(r), At::Row(r), Some(s), None))
                .collect();
            let grades = table
                .grades
                .iter()
                .enumerate()
                .map(|(c, g)| {
                    row_at(
                        RowKind::Grade,
                        &table.column(c),
                        At::Column(c),
                        None,
                        Some(*g),
                    )
                })
                .collect();
            let row = row_at(RowKind::Total, &total, At::Total, None, None);
            (row, (total, At::Total), schools, grades, None)
        }
        Scope::School(ref school) => {
            let school = school.as_str();
            let r = table.schools.iter().position(|s| s == school);
            match r {
                Some(r) => {
                    let total = table.row(r);
                    let grades = table
                        .grades
                        .iter()
                        .enumerate()
                        .map(|(c, g)| {
                            row_at(
                                RowKind::Grade,
                                &table.cells[r][c],
                                At::Cell(r, c),
                                Some(school),
                                Some(*g),
                            )
                        })
                        .collect();
                    let row = row_at(RowKind::Total, &total, At::Row(r), Some(school), None);
                    (
                        row,
                        (total, At::Row(r)),
                        Vec::new(),
                        grades,
                        Some(school.to_owned()),
                    )
                }
                // Every school of a window has cells, so this is not reached; if it were, the
                // report would show nothing rather than fail.
                None => {
                    let empty = table.merged(std::iter::empty());
                    let row = ReportRow {
                        kind: RowKind::Total,
                        school_id: Some(school.to_owned()),
                        grade: None,
                        eligible: 0,
                        opted_out: 0,
                        respondents: None,
                        response_rate: None,
                        suppressed: Some(Suppression::SmallCell),
                        indicators: Vec::new(),
                    };
                    (
                        row,
                        (empty, At::Total),
                        Vec::new(),
                        Vec::new(),
                        Some(school.to_owned()),
                    )
                }
            }
        }
    };
    let (total_cell, at) = total_at;
    let row_hidden = total.suppressed;
    let items = ctx
        .items
        .iter()
        .map(|item| {
            let counts: Vec<(i32, u64)> = item
                .scale()
                .options()
                .iter()
                .map(|(value, _)| {
                    let n = total_cell
                        .aggregates
                        .items
                        .get(&item.id)
                        .and_then(|c| c.get(value))
                        .copied()
                        .unwrap_or(0);
                    (*value, n)
                })
                .collect();
            // An optional item answered by few is protected over its own answer counts.
            let answered = |c: &Cell| {
                c.aggregates
                    .items
                    .get(&item.id)
                    .map_or(0, |counts| counts.values().sum())
            };
            let own = suppression(&table.protect(answered, k), at);
            let suppressed = row_hidden.or(own);
            ItemResult {
                item_id: item.id.clone(),
                position: item.position,
                section: item.section.clone(),
                prompt: item.prompt.clone(),
                indicator: item.indicator(),
                scale: item.scale(),
                distribution: suppressed.is_none().then(|| stats::distribution(&counts)),
                suppressed,
            }
        })
        .collect();
    ClimateReport {
        meta: ReportMeta {
            window_id: ctx.window.id.clone(),
            window_title: ctx.window.title.clone(),
            opens_at: ctx.window.opens_at,
            closes_at: ctx.window.closes_at,
            instrument_id: ctx.instrument.id.clone(),
            instrument_title: ctx.instrument.title.clone(),
            instrument_version: ctx.instrument.version,
            instrument_lineage_id: ctx.instrument.lineage_id.clone(),
            scoring_rules_version: SCORING_RULES_VERSION.to_owned(),
            min_cell_size: ctx.window.min_cell_size,
            district_id: ctx.window.district_id.clone(),
            school_id,
            notes: vec![
                "Response rate = respondents ÷ eligible students; students opted out by a guardian are not eligible and are counted separately.".to_owned(),
                "Cells with fewer respondents than min_cell_size are suppressed (small_cell); where a total is shown, more cells are suppressed so that none can be recovered by subtraction (complementary).".to_owned(),
                "Percentages at or below 5% or at or above 95% are shown as \"<5\" / \">95\" without an interval; an item whose answers are all or all but one in one option is shown coarsened.".to_owned(),
            ],
        },
        total,
        schools,
        grades,
        items,
    }
}
