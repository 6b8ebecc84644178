//! The climate report of a closed window, assembled from its (school, grade) aggregates.
//!
//! Every pattern is computed over the whole window (schools × grades with their margins: school
//! totals, grade totals, the district total), whichever report is asked for, so the school
//! reports and the district reports (with or without the schools breakdown) that one district
//! administrator can read together never reveal a withheld value. With k the window's minimum
//! cell size, an entry (a cell or a margin) is:
//!
//! - **Known-empty** when nobody was eligible and nobody responded (`eligible = 0` and
//!   `respondents = 0`, whatever the guardian opt-outs): everyone can see it is empty, so it is
//!   always shown and never counts as hidden (`Table::public`); a margin is known-empty when its
//!   whole line is.
//! - **Respondents pattern.** A count is small when `respondents < k` or
//!   `settled_respondents < k` (respondents whose account and placement were settled before
//!   the window opened; margins add both counts; the settled count is never published). Small
//!   counts are `small_cell`; complementary suppression (`disclosure`) completes the pattern.
//!   Where the respondents are hidden, so are the response rate and everything of the row.
//! - **Per indicator, a count pattern** over `n` (respondents scored on the indicator): initial
//!   marks are the entries hidden in the respondents pattern (with their reason) and `n < k`
//!   (`small_cell`); completed by complementary suppression. `n` is shown where it does not
//!   hide. For an indicator of required items `n = respondents` and this is the respondents
//!   pattern.
//! - **Per indicator, a values pattern** over everything derived from the answers: initial marks
//!   are the entries the count pattern hides, and (`coarsened`) the entries whose
//!   - hits (favorable, victimized) are sensitive: `h ≤ L(n)` or `n − h ≤ L(n)` with
//!     `L(n) = max(1, ⌊n/20⌋)` (covers `h ≤ 1`, `h ≥ n − 1`, ≤ 5% and ≥ 95%);
//!   - mean is sensitive (scale indicators): `n ≤ 1`, zero variance, or within two score steps
//!     of the top or bottom of the scale (`stats::mean_sensitive`);
//!   - item answer counts are sensitive, at school totals and the district total only (where
//!     they are published): for any item of the indicator, `answered < k` or one option holds
//!     `≥ answered − 1` answers.
//!
//!   Complementary suppression (`disclosure::protect_marked`) completes it, choosing
//!   complements by `n`. Where it hides an entry, all derived numbers of the indicator are
//!   withheld there: mean and interval, favorable/prevalence, and on a report's total row the
//!   answer counts of the indicator's items. When the hits themselves are sensitive and `n` is
//!   shown, the share is shown as its coarse category ("<=X" / ">=Y", `stats::coarse_share`),
//!   which is true and admits at least two counts; otherwise nothing.
//!
//! Hits, score sums, sums of squares and option counts are all additive over cells and share
//! the values pattern, so `disclosure`'s cycle argument covers each of them, and every linear
//! identity an attacker knows between them (hits = favorable options' counts, options sum to
//! the answered count, …) holds at every cell alike: moving answers between options along a
//! cycle of hidden entries changes no shown number. `climate/tests.rs` checks this exactly.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::aggregates::Cell;
use super::disclosure::{Pattern, Suppression};
use super::stats::{self, Distribution, Percent, Sums};
use super::table::{suppression, At, Table};
use crate::surveys::models::{InstrumentRow, ItemRow, WindowRow};
use crate::surveys::vocab::{BullyingForm, Indicator, Scale};

/// Reads a time as `crate::dates::utc` writes it (a stored report read back).
fn utc<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    chrono::DateTime::parse_from_rfc3339(&s)
        .map(|t| t.naive_utc())
        .map_err(serde::de::Error::custom)
}

/// What a report covers and how it was computed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportMeta {
    pub window_id: String,
    pub window_title: String,
    #[serde(serialize_with = "crate::dates::utc", deserialize_with = "utc")]
    pub opens_at: NaiveDateTime,
    #[serde(serialize_with = "crate::dates::utc", deserialize_with = "utc")]
    pub closes_at: NaiveDateTime,
    pub instrument_id: String,
    pub instrument_title: String,
    #[schema(minimum = 1)]
    pub instrument_version: i32,
    pub instrument_lineage_id: String,
    pub scoring_rules_version: String,
    /// Cells with fewer respondents are suppressed.
    #[schema(minimum = 5, maximum = 1000)]
    pub min_cell_size: i32,
    pub district_id: String,
    /// Set for a school report.
    pub school_id: Option<String>,
    pub notes: Vec<String>,
}

/// One indicator in one row.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IndicatorResult {
    pub indicator: Indicator,
    /// Respondents with a score on this indicator.
    pub n: Option<u64>,
    /// Scale indicators: the index, the mean of the respondents' means of their 5-point items
    /// (1–5), with its 95% interval (logit Student's t, finite-population corrected).
    pub mean: Option<f64>,
    pub mean_ci_low: Option<f64>,
    pub mean_ci_high: Option<f64>,
    /// Scale indicators: share of respondents with more than half of their answered items
    /// favorable (top two of five, or the favorable yes/no answer), with its 95% Wilson
    /// interval (finite-population corrected).
    pub favorable: Option<Percent>,
    /// Bullying victimization: frequent victimization, the share of respondents bullied "2–3
    /// times a month" or more often in any form (the Olweus cut-off).
    pub prevalence: Option<Percent>,
    /// Bullying victimization: any victimization, "once or twice" or more often.
    pub any_prevalence: Option<Percent>,
    /// Bullying victimization, on a school's or the district's total only: frequent
    /// victimization per form of bullying.
    pub forms: Vec<FormPrevalence>,
    /// Why the values are null.
    pub suppressed: Option<Suppression>,
}

/// Frequent victimization in one form of bullying.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FormPrevalence {
    pub form: BullyingForm,
    /// Respondents who answered an item of this form.
    pub n: u64,
    pub prevalence: Percent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    Total,
    School,
    Grade,
}

/// The whole school or district, one school, or one grade.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportRow {
    pub kind: RowKind,
    pub school_id: Option<String>,
    #[schema(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
    /// Active students offered the survey, not counting those opted out by a guardian.
    #[schema(minimum = 0)]
    pub eligible: i64,
    /// Students opted out by a guardian (not in `eligible`).
    #[schema(minimum = 0)]
    pub opted_out: i64,
    #[schema(minimum = 0)]
    pub respondents: Option<i64>,
    /// Respondents ÷ eligible, in percent (0–100, one decimal).
    #[schema(minimum = 0, maximum = 100, example = 87.5)]
    pub response_percent: Option<f64>,
    /// Deprecated: the same value as `response_percent` (0–100), under a name that by the API's
    /// conventions means a fraction (0–1); removed in the next release.
    #[schema(deprecated, minimum = 0, maximum = 100)]
    pub response_rate: Option<f64>,
    /// The response rate is below 60% (`stats::LOW_RESPONSE_BELOW`): the students who answered
    /// may differ from those who did not by more than the intervals show.
    pub low_response: Option<bool>,
    pub suppressed: Option<Suppression>,
    pub indicators: Vec<IndicatorResult>,
}

/// How the answers to one item were distributed over its options, for the report's total.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemResult {
    pub item_id: String,
    #[schema(minimum = 1)]
    pub position: i32,
    pub section: String,
    pub prompt: String,
    pub indicator: Indicator,
    pub scale: Scale,
    pub distribution: Option<Distribution>,
    pub suppressed: Option<Suppression>,
}

/// A school's report of the demo district, shortened (one note, two indicators, two grades, one
/// item): the example of the OpenAPI document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = example_report)]
pub struct ClimateReport {
    pub meta: ReportMeta,
    pub total: ReportRow,
    /// District reports: one row per school.
    pub schools: Vec<ReportRow>,
    pub grades: Vec<ReportRow>,
    pub items: Vec<ItemResult>,
}

fn example_report() -> serde_json::Value {
    serde_json::from_str(include_str!("climate/example.json")).expect("example.json is JSON")
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

/// What the report may show of one indicator at one entry of the table.
#[derive(Clone, Copy)]
struct Shown {
    /// The row's respondents are hidden: nothing of the indicator is shown.
    row: Option<Suppression>,
    /// The indicator's count of scored respondents is hidden.
    count: Option<Suppression>,
    /// The indicator's derived values (mean, interval, share, item answer counts) are hidden.
    values: Option<Suppression>,
}

/// How a share of one entry is published: with its interval where the values are shown; as
/// its true coarse category where they are hidden because these hits themselves tell too much
/// (a category admits at least two counts); otherwise not at all.
fn share(sums: &Sums, population: u64, hidden: bool) -> Option<Percent> {
    if !hidden {
        stats::wilson_in(sums.hits, sums.n, population).map(|p| stats::percent(&p))
    } else if sums.n > 0 && stats::share_sensitive(sums.hits, sums.n) {
        Some(stats::coarse_share(sums.hits, sums.n))
    } else {
        None
    }
}

/// One entry of the table as one indicator's result needs it.
struct Entry<'a> {
    cell: &'a Cell,
    /// At a school's or the district's total, where per-form figures are published: which
    /// forms are hidden there (`protect_forms`).
    forms_hidden: Option<&'a BTreeSet<BullyingForm>>,
}

fn indicator_result(
    indicator: Indicator,
    entry: &Entry,
    step: f64,
    shown: Shown,
) -> IndicatorResult {
    let sums = sums_of(entry.cell, indicator);
    let mut out = IndicatorResult {
        indicator,
        n: None,
        mean: None,
        mean_ci_low: None,
        mean_ci_high: None,
        favorable: None,
        prevalence: None,
        any_prevalence: None,
        forms: Vec::new(),
        suppressed: shown.row.or(shown.count).or(shown.values),
    };
    if shown.row.is_some() || shown.count.is_some() {
        return out;
    }
    out.n = Some(sums.n);
    let population = entry.cell.eligible.max(0) as u64;
    let hidden = shown.values.is_some();
    if indicator == Indicator::BullyingVictimization {
        let aggregates = &entry.cell.aggregates;
        out.prevalence = share(&sums, population, hidden);
        out.any_prevalence = share(&aggregates.any_victimization, population, hidden);
        if let Some(forms_hidden) = entry.forms_hidden {
            out.forms = aggregates
                .forms
                .iter()
                .filter(|(form, _)| !hidden && !forms_hidden.contains(form))
                .filter_map(|(form, s)| {
                    share(s, population, false).map(|prevalence| FormPrevalence {
                        form: *form,
                        n: s.n,
                        prevalence,
                    })
                })
                .collect();
        }
    } else {
        out.favorable = share(&sums, population, hidden);
        if !hidden {
            if let Some(ci) = stats::mean_interval(&sums, population, step) {
                out.mean = Some(round2(ci.mean));
                out.mean_ci_low = Some(round2(ci.low));
                out.mean_ci_high = Some(round2(ci.high));
            }
        }
    }
    out
}

/// The report's inputs besides the cells.
pub struct Context<'a> {
    pub window: &'a WindowRow,
    pub instrument: &'a InstrumentRow,
    pub items: &'a [ItemRow],
    /// The scoring rules the window's aggregates were built with.
    pub scoring_rules_version: &'a str,
}

/// The two patterns of one indicator over the whole window.
struct Protection {
    /// Over the respondents scored on the indicator.
    count: Pattern,
    /// Over everything derived from their answers.
    values: Pattern,
}

fn sums_of(cell: &Cell, indicator: Indicator) -> Sums {
    cell.aggregates
        .indicators
        .get(&indicator)
        .copied()
        .unwrap_or_default()
}

/// An item's `(option value, count)` pairs in a cell or margin, every option included.
fn option_counts(cell: &Cell, item: &ItemRow) -> Vec<(i32, u64)> {
    let counts = cell.aggregates.items.get(&item.id);
    item.scale()
        .options()
        .iter()
        .map(|(value, _)| {
            (
                *value,
                counts.and_then(|c| c.get(value)).copied().unwrap_or(0),
            )
        })
        .collect()
}

/// The respondents' pattern: a count is small when its respondents or its settled respondents
/// are fewer than `k` (margins add both), then complementary suppression.
fn protect_respondents(table: &Table, k: u64) -> Pattern {
    let small = |c: &Cell| c.respondents < k as i64 || c.settled_respondents < k as i64;
    let initial = table.marks(|_, c| small(c).then_some(Suppression::SmallCell));
    table.protect(|c| c.respondents.max(0) as u64, &initial)
}

/// A closed window's respondent counts exactly as its reports publish them (the respondents
/// pattern above): per school, its grades and its total, each `(eligible, shown respondents,
/// why withheld)`. Participation views of closed windows use it, so they never show a count the
/// reports withhold.
pub struct ShownRespondents {
    pub schools: Vec<ShownSchool>,
}

/// A school's id, its total and its grades.
pub type ShownSchool = (String, ShownCount, Vec<(i32, ShownCount)>);

pub type ShownCount = (i64, Option<i64>, Option<Suppression>);

pub fn shown_respondents(cells: Vec<Cell>, k: i32) -> ShownRespondents {
    let table = Table::new(cells);
    let pattern = protect_respondents(&table, k.max(1) as u64);
    let shown = |at: At| {
        let cell = table.at(at);
        let hidden = suppression(&pattern, at);
        (
            cell.eligible,
            hidden.is_none().then_some(cell.respondents),
            hidden,
        )
    };
    ShownRespondents {
        schools: table
            .schools
            .iter()
            .enumerate()
            .map(|(r, school)| {
                let grades = table
                    .grades
                    .iter()
                    .enumerate()
                    .map(|(c, g)| (*g, shown(At::Cell(r, c))))
                    .collect();
                (school.clone(), shown(At::Row(r)), grades)
            })
            .collect(),
    }
}

/// The score step of an indicator's index (`stats::score_step`).
fn index_step(ctx: &Context, indicator: Indicator) -> f64 {
    let scales: Vec<Scale> = ctx
        .items
        .iter()
        .filter(|i| i.indicator() == indicator)
        .map(|i| i.scale())
        .collect();
    stats::score_step(&scales)
}

/// One indicator's patterns (see the module documentation).
fn protect_indicator(
    table: &Table,
    ctx: &Context,
    indicator: Indicator,
    respondents: &Pattern,
    k: u64,
) -> Protection {
    let n = |c: &Cell| sums_of(c, indicator).n;
    let initial = table.marks(|at, c| {
        suppression(respondents, at).or_else(|| (n(c) < k).then_some(Suppression::SmallCell))
    });
    let count = table.protect(n, &initial);
    let items: Vec<&ItemRow> = ctx
        .items
        .iter()
        .filter(|i| i.indicator() == indicator)
        .collect();
    let step = index_step(ctx, indicator);
    let initial = table.marks(|at, c| {
        if let Some(reason) = suppression(&count, at) {
            return Some(reason);
        }
        let s = sums_of(c, indicator);
        let bullying = indicator == Indicator::BullyingVictimization;
        let share = stats::share_sensitive(s.hits, s.n);
        let mean = !bullying && stats::mean_sensitive(&s, step);
        let any = bullying && {
            let a = &c.aggregates.any_victimization;
            stats::share_sensitive(a.hits, a.n)
        };
        // Item answer counts and per-form shares are published on school totals and the
        // district total only.
        let totals = matches!(at, At::Row(_) | At::Total);
        let answers = totals
            && items
                .iter()
                .any(|i| stats::distribution_sensitive(&option_counts(c, i), k));
        (share || mean || any || answers).then_some(Suppression::Coarsened)
    });
    let values = table.protect(n, &initial);
    Protection { count, values }
}

/// A window's table with every pattern of its reports. Figures published beside the reports
/// (trends) are cut from it and checked against the same patterns, so they reveal nothing the
/// reports withhold.
pub struct Protected {
    table: Table,
    respondents: Pattern,
    indicators: Vec<Indicator>,
    protections: BTreeMap<Indicator, Protection>,
    steps: BTreeMap<Indicator, f64>,
    /// Per school total, then the district total (`protect_forms`).
    forms_hidden: Vec<BTreeSet<BullyingForm>>,
}

/// The window's table and its patterns (see the module documentation).
pub fn protect(ctx: &Context, cells: Vec<Cell>) -> Protected {
    let k = ctx.window.min_cell_size.max(1) as u64;
    let table = Table::new(cells);
    let respondents = protect_respondents(&table, k);
    let indicators: Vec<Indicator> = {
        let mut v: Vec<Indicator> = ctx.items.iter().map(|i| i.indicator()).collect();
        v.sort();
        v.dedup();
        v
    };
    let protections: BTreeMap<Indicator, Protection> = indicators
        .iter()
        .map(|ind| (*ind, protect_indicator(&table, ctx, *ind, &respondents, k)))
        .collect();
    let steps = indicators
        .iter()
        .map(|ind| (*ind, index_step(ctx, *ind)))
        .collect();
    let forms_hidden = protect_forms(&table, &protections, k);
    Protected {
        table,
        respondents,
        indicators,
        protections,
        steps,
        forms_hidden,
    }
}

/// Per school total (then the district total), the forms of bullying whose frequent
/// victimization is withheld there, with the answer counts of the form's items. Per-form
/// shares are published on those totals only, which form one line: the district total is the
/// sum of the school totals. A form is withheld at a school where the bullying values are (the
/// indicator's pattern), where fewer than `k` answered an item of it, or where its share is
/// sensitive (`stats::share_sensitive`); at the district total where it is so there, or where
/// any school withholds it, so that no school's count follows by subtraction, nor from counts
/// never being negative. A withheld form shows nothing (not even a coarse category: that a
/// form is missing rather than coarse would itself tell it is not sensitive), and its items'
/// answer counts are withheld with it, since they give the form's count (exactly, for a form of
/// one item).
fn protect_forms(
    table: &Table,
    protections: &BTreeMap<Indicator, Protection>,
    k: u64,
) -> Vec<BTreeSet<BullyingForm>> {
    let entries: Vec<At> = (0..table.schools.len())
        .map(At::Row)
        .chain([At::Total])
        .collect();
    let Some(bullying) = protections.get(&Indicator::BullyingVictimization) else {
        return vec![BTreeSet::new(); entries.len()];
    };
    let mut hidden: Vec<BTreeSet<BullyingForm>> = entries
        .iter()
        .map(|at| {
            let cell = table.at(*at);
            cell.aggregates
                .forms
                .iter()
                .filter(|(_, f)| {
                    suppression(&bullying.values, *at).is_some()
                        || f.n < k
                        || stats::share_sensitive(f.hits, f.n)
                })
                .map(|(form, _)| *form)
                .collect()
        })
        .collect();
    let schools = table.schools.len();
    let withheld_somewhere: BTreeSet<BullyingForm> =
        hidden[..schools].iter().flatten().copied().collect();
    hidden[schools].extend(withheld_somewhere);
    hidden
}

/// Where a school or the whole window sits in a window's table.
pub struct Place(At);

/// The sums of one indicator over part of a window, with the eligible students of that part.
pub struct PartSums {
    pub sums: Sums,
    pub eligible: u64,
    /// The indicator's index score step (`stats::score_step`).
    pub step: f64,
}

impl Protected {
    pub fn schools(&self) -> &[String] {
        &self.table.schools
    }

    pub fn grades(&self) -> &[i32] {
        &self.table.grades
    }

    /// The indicators the window's questionnaire asks.
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// Whether a form of bullying is withheld at a school's or the district's total
    /// (`protect_forms`); never published elsewhere.
    fn form_hidden(&self, at: At, form: BullyingForm) -> bool {
        match at {
            At::Row(r) => self.forms_hidden[r].contains(&form),
            At::Total => self.forms_hidden.last().is_some_and(|h| h.contains(&form)),
            At::Cell(..) | At::Column(_) => true,
        }
    }

    /// The whole window, or one of its schools (None if it has no cells for it).
    pub fn place(&self, school: Option<&str>) -> Option<Place> {
        match school {
            None => Some(Place(At::Total)),
            Some(s) => self
                .table
                .schools
                .iter()
                .position(|x| x == s)
                .map(|r| Place(At::Row(r))),
        }
    }

    /// The report row of the whole window or a school, exactly as its reports show it.
    pub fn total_row(&self, place: &Place, school: Option<&str>) -> ReportRow {
        self.row(RowKind::Total, place.0, school, None)
    }

    /// The sums of `indicator` over the given schools and grades of the window, when every
    /// report of the window shows them: when the part is the whole window, whole grades, whole
    /// schools or single cells, each of them shown (respondents, count and values) in the
    /// reports' patterns, their sums are the sums of numbers the reports publish. Otherwise
    /// None: the part's figures, next to the published ones, could recover a withheld value.
    pub fn part_sums(
        &self,
        indicator: Indicator,
        schools: &std::collections::BTreeSet<String>,
        grades: &std::collections::BTreeSet<i32>,
    ) -> Option<PartSums> {
        let p = self.protections.get(&indicator)?;
        let rows: Vec<usize> = (0..self.table.schools.len())
            .filter(|r| schools.contains(&self.table.schools[*r]))
            .collect();
        let cols: Vec<usize> = (0..self.table.grades.len())
            .filter(|c| grades.contains(&self.table.grades[*c]))
            .collect();
        if rows.is_empty() || cols.is_empty() {
            return None;
        }
        let all_rows = rows.len() == self.table.schools.len();
        let all_cols = cols.len() == self.table.grades.len();
        let entries: Vec<At> = match (all_rows, all_cols) {
            (true, true) => vec![At::Total],
            (true, false) => cols.iter().map(|c| At::Column(*c)).collect(),
            (false, true) => rows.iter().map(|r| At::Row(*r)).collect(),
            (false, false) => rows
                .iter()
                .flat_map(|r| cols.iter().map(move |c| At::Cell(*r, *c)))
                .collect(),
        };
        let mut out = PartSums {
            sums: Sums::default(),
            eligible: 0,
            step: self.steps.get(&indicator).copied().unwrap_or(1.0),
        };
        for at in entries {
            let hidden = suppression(&self.respondents, at)
                .or(suppression(&p.count, at))
                .or(suppression(&p.values, at));
            if hidden.is_some() {
                return None;
            }
            let cell = self.table.at(at);
            out.sums.merge(&sums_of(cell, indicator));
            out.eligible += cell.eligible.max(0) as u64;
        }
        Some(out)
    }

    fn row(&self, kind: RowKind, at: At, school: Option<&str>, grade: Option<i32>) -> ReportRow {
        let cell = self.table.at(at);
        let suppressed = suppression(&self.respondents, at);
        let shown = suppressed.is_none();
        let exact_rate = (shown && cell.eligible > 0)
            .then(|| cell.respondents as f64 * 100.0 / cell.eligible as f64);
        let rate = exact_rate.map(|r| (r * 10.0).round() / 10.0);
        ReportRow {
            kind,
            school_id: school.map(str::to_owned),
            grade,
            eligible: cell.eligible,
            opted_out: cell.opted_out,
            respondents: shown.then_some(cell.respondents),
            response_percent: rate,
            response_rate: rate,
            // On the exact rate: 59.96% is below 60% though it shows as 60.0.
            low_response: exact_rate.map(|r| r < stats::LOW_RESPONSE_BELOW),
            suppressed,
            indicators: self
                .indicators
                .iter()
                .map(|ind| {
                    let p = &self.protections[ind];
                    let shown = Shown {
                        row: suppressed,
                        count: suppression(&p.count, at),
                        values: suppression(&p.values, at),
                    };
                    let forms_hidden = match at {
                        At::Row(r) => Some(&self.forms_hidden[r]),
                        At::Total => self.forms_hidden.last(),
                        At::Cell(..) | At::Column(_) => None,
                    };
                    let entry = Entry { cell, forms_hidden };
                    indicator_result(*ind, &entry, self.steps[ind], shown)
                })
                .collect(),
        }
    }
}

pub fn assemble(ctx: &Context, cells: Vec<Cell>, scope: Scope) -> ClimateReport {
    let protected = protect(ctx, cells);
    let table = &protected.table;
    let protections = &protected.protections;
    let row_at = |kind: RowKind, at: At, school: Option<&str>, grade: Option<i32>| {
        protected.row(kind, at, school, grade)
    };
    let (total, total_at, schools, grades, school_id) = match scope {
        Scope::District { schools } => {
            let schools = table
                .schools
                .iter()
                .enumerate()
                .filter(|_| schools)
                .map(|(r, s)| row_at(RowKind::School, At::Row(r), Some(s), None))
                .collect();
            let grades = table
                .grades
                .iter()
                .enumerate()
                .map(|(c, g)| row_at(RowKind::Grade, At::Column(c), None, Some(*g)))
                .collect();
            let row = row_at(RowKind::Total, At::Total, None, None);
            (row, Some(At::Total), schools, grades, None)
        }
        Scope::School(ref school) => {
            let school = school.as_str();
            let r = table.schools.iter().position(|s| s == school);
            match r {
                Some(r) => {
                    let grades = table
                        .grades
                        .iter()
                        .enumerate()
                        .map(|(c, g)| {
                            row_at(RowKind::Grade, At::Cell(r, c), Some(school), Some(*g))
                        })
                        .collect();
                    let row = row_at(RowKind::Total, At::Row(r), Some(school), None);
                    (
                        row,
                        Some(At::Row(r)),
                        Vec::new(),
                        grades,
                        Some(school.to_owned()),
                    )
                }
                // Every school of a window has cells, so this is not reached; if it were, the
                // report would show nothing rather than fail.
                None => {
                    let row = ReportRow {
                        kind: RowKind::Total,
                        school_id: Some(school.to_owned()),
                        grade: None,
                        eligible: 0,
                        opted_out: 0,
                        respondents: None,
                        response_percent: None,
                        response_rate: None,
                        low_response: None,
                        suppressed: Some(Suppression::SmallCell),
                        indicators: Vec::new(),
                    };
                    (row, None, Vec::new(), Vec::new(), Some(school.to_owned()))
                }
            }
        }
    };
    let items = ctx
        .items
        .iter()
        .map(|item| {
            let suppressed = match total_at {
                Some(at) => total
                    .suppressed
                    .or_else(|| suppression(&protections[&item.indicator()].values, at))
                    .or_else(|| {
                        // An item of a form withheld here would give the form's count away.
                        item.bullying_form()
                            .filter(|f| protected.form_hidden(at, *f))
                            .map(|_| Suppression::Coarsened)
                    }),
                None => Some(Suppression::SmallCell),
            };
            let distribution = match (total_at, suppressed) {
                (Some(at), None) => Some(stats::distribution(&option_counts(table.at(at), item))),
                _ => None,
            };
            ItemResult {
                item_id: item.id.clone(),
                position: item.position,
                section: item.section.clone(),
                prompt: item.prompt.clone(),
                indicator: item.indicator(),
                scale: item.scale(),
                distribution,
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
            scoring_rules_version: ctx.scoring_rules_version.to_owned(),
            min_cell_size: ctx.window.min_cell_size,
            district_id: ctx.window.district_id.clone(),
            school_id,
            notes: vec![
                "Response rate = respondents ÷ eligible students; students opted out by a guardian are not eligible and are counted separately.".to_owned(),
                "Favorable: more than half of a respondent's answered items of the indicator are favorable (agree or strongly agree after reverse scoring, or the favorable yes/no answer). Index: the mean of the respondent's 5-point items, 1-5. Bullying: prevalence is frequent victimization, any form 2-3 times a month or more often this term (the Olweus cut-off); any_prevalence is once or twice or more; forms are shown on school and district totals.".to_owned(),
                "95% intervals describe sampling among the eligible students (finite population corrected; a census has none): Wilson score intervals for shares, Student's t on the logit scale for the index. They do not cover non-response bias: low_response marks a response rate below 60%.".to_owned(),
                "A count of respondents is suppressed (small_cell) when fewer than min_cell_size responded, or fewer than min_cell_size of them were enrolled and placed before the window opened; where a total is shown, more counts are suppressed so that none can be recovered by subtraction (complementary), across every report of the window. A group nobody was eligible for is known to be empty and always shown.".to_owned(),
                "An indicator's values are withheld (coarsened) where they would tell that all, or all but one, of the respondents gave one answer: a share of h among n with h ≤ max(1, ⌊n/20⌋) or n − h ≤ max(1, ⌊n/20⌋) (this includes 5% or less and 95% or more), a mean of unanimous respondents or of respondents at most one away from the top or bottom of the scale, or, on a school's or the district's total, an item whose answers fall all or all but one in one option or that fewer than min_cell_size answered; enough other values of the indicator are withheld (complementary) that none of them can be recovered from any report of the window.".to_owned(),
                "A withheld share is shown only as its coarse category, true for every count in it: \"<=X\" (at most max(1, ⌊n/20⌋) of n, i.e. at most X%) or \">=Y\", without an interval.".to_owned(),
            ],
        },
        total,
        schools,
        grades,
        items,
    }
}

#[cfg(test)]
mod tests;
