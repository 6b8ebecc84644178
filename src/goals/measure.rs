//! The values of a goal's metric, computed from the data on every read, exactly as the product
//! already publishes them to the goal's readers:
//!
//! - **Climate** figures are taken from a closed window's table and suppression patterns
//!   (`reports::climate::Protected::part_sums`, as trends are): the whole school or district,
//!   or a grade group built only from entries every report of the window shows. A group that
//!   would need a withheld entry, and a share or index too telling to publish (the reports'
//!   `coarsened` rules), is withheld: the goal says why and never shows the value. Intervals
//!   are the reports' (Wilson for shares, logit Student's t for the index, both
//!   finite-population corrected).
//! - **Lessons** and **mentoring** figures are counts of records over a term (the figures of
//!   `GET /reports/schools/{id}/sel-activity`), exact, without an interval.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;

use super::dto::Measurement;
use super::metric::{ClimateMetric, Metric, MetricKind};
use super::vocab::ClimateMeasure;
use crate::accounts::Caller;
use crate::authz::Visible;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::lessons::progress::{classes_in_term, competency_counts};
use crate::mentoring::numbers::{district_numbers, school_numbers};
use crate::reports::climate::{self, Protected};
use crate::reports::inputs::window_inputs;
use crate::reports::stats;
use crate::rosters::models::Term;
use crate::seal::SealKeys;
use crate::surveys::models::WindowRow;

/// Days in a mean Gregorian month.
const DAYS_PER_MONTH: f64 = 30.436_875;

pub const SUPPRESSED: &str = "withheld in this window's reports for this school or grade group \
    (a small cell, a value that would tell what all or all but one answered, or a group built \
    from such cells)";

pub const NOT_OFFERED: &str = "this window was not offered at the school";
pub const NOT_ASKED_GRADES: &str = "this window did not ask every grade of the group";
pub const NOT_ASKED_INDICATOR: &str = "this window's questionnaire does not ask this indicator";

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Window tables read within one request, each read once.
#[derive(Default)]
pub struct Windows {
    protected: HashMap<String, Protected>,
}

impl Windows {
    fn protected(
        &mut self,
        conn: &mut DbConnection,
        window: &Visible<WindowRow>,
        keys: &SealKeys,
    ) -> Result<&Protected, ApiError> {
        if !self.protected.contains_key(&window.id) {
            let mut inputs = window_inputs(conn, window, keys)?;
            let cells = std::mem::take(&mut inputs.cells);
            let protected = climate::protect(&inputs.context(window), cells);
            self.protected.insert(window.id.clone(), protected);
        }
        Ok(&self.protected[&window.id])
    }
}

/// Who reads goals, and when: windows are read in the reader's scope.
pub struct Reading<'a> {
    pub caller: &'a Caller,
    pub keys: &'a SealKeys,
    pub today: NaiveDate,
    pub windows: Windows,
}

impl<'a> Reading<'a> {
    pub fn new(caller: &'a Caller, keys: &'a SealKeys, today: NaiveDate) -> Reading<'a> {
        Reading {
            caller,
            keys,
            today,
            windows: Windows::default(),
        }
    }
}

/// What a measurement is of: the school (None: the whole district).
#[derive(Clone, Copy)]
pub struct Place<'a> {
    pub district_id: &'a str,
    pub school_id: Option<&'a str>,
}

fn withheld(mut m: Measurement, why: impl Into<String>) -> Measurement {
    m.withheld = Some(why.into());
    m
}

/// A window's measurement, before its value.
fn of_window(window: &WindowRow) -> Measurement {
    Measurement {
        window_id: Some(window.id.clone()),
        term_id: None,
        source: window.title.clone(),
        measured_on: window.closes_at.date(),
        value: None,
        low: None,
        high: None,
        n: None,
        withheld: None,
    }
}

/// A climate figure in one closed window.
pub fn climate_in(
    conn: &mut DbConnection,
    windows: &mut Windows,
    keys: &SealKeys,
    window: &Visible<WindowRow>,
    place: Place,
    metric: &ClimateMetric,
) -> Result<Measurement, ApiError> {
    let empty = of_window(window);
    let protected = windows.protected(conn, window, keys)?;
    let schools: BTreeSet<String> = match place.school_id {
        Some(s) if protected.schools().iter().any(|x| x == s) => [s.to_owned()].into(),
        Some(_) => return Ok(withheld(empty, NOT_OFFERED)),
        None => protected.schools().iter().cloned().collect(),
    };
    let grades: BTreeSet<i32> = if metric.grades.is_empty() {
        protected.grades().iter().copied().collect()
    } else {
        metric.grades.iter().copied().collect()
    };
    if grades.iter().any(|g| !protected.grades().contains(g)) {
        return Ok(withheld(empty, NOT_ASKED_GRADES));
    }
    if !protected.indicators().contains(&metric.indicator) {
        return Ok(withheld(empty, NOT_ASKED_INDICATOR));
    }
    let Some(part) = protected.part_sums(metric.indicator, &schools, &grades) else {
        return Ok(withheld(empty, SUPPRESSED));
    };
    let sums = part.sums;
    let mut m = empty;
    m.n = Some(sums.n);
    match metric.measure {
        ClimateMeasure::Index => {
            if stats::mean_sensitive(&sums, part.step) {
                return Ok(withheld(m, SUPPRESSED));
            }
            let Some(ci) = stats::mean_interval(&sums, part.eligible, part.step) else {
                return Ok(withheld(m, "too few respondents for an index"));
            };
            m.value = Some(round2(ci.mean));
            m.low = Some(round2(ci.low));
            m.high = Some(round2(ci.high));
        }
        ClimateMeasure::PercentFavorable | ClimateMeasure::FrequentVictimization => {
            if stats::share_sensitive(sums.hits, sums.n) {
                return Ok(withheld(m, SUPPRESSED));
            }
            let Some(p) = stats::wilson_in(sums.hits, sums.n, part.eligible) else {
                return Ok(withheld(m, "nobody answered"));
            };
            m.value = Some(round1(p.p * 100.0));
            m.low = Some(round1(p.low * 100.0));
            m.high = Some(round1(p.high * 100.0));
        }
    }
    Ok(m)
}

/// A lesson or mentoring figure over one term, as of its last day (or today, if earlier).
pub fn term_figure(
    conn: &mut DbConnection,
    place: Place,
    term: &Term,
    metric: &Metric,
    today: NaiveDate,
) -> Result<Measurement, ApiError> {
    let as_of = term.ends_on.min(today);
    let mut m = Measurement {
        window_id: None,
        term_id: Some(term.id.clone()),
        source: term.name.clone(),
        measured_on: as_of,
        value: None,
        low: None,
        high: None,
        n: None,
        withheld: None,
    };
    if as_of < term.starts_on {
        return Ok(withheld(m, "the term has not started"));
    }
    match metric.kind {
        MetricKind::Climate => {
            return Err(ApiError::internal(
                "a climate metric is measured by windows",
            ))
        }
        MetricKind::LessonsDelivered | MetricKind::LessonCompletion => {
            let competency = metric.competency();
            let schools = match place.school_id {
                Some(s) => vec![s.to_owned()],
                None => super::queries::school_ids(conn, place.district_id)?,
            };
            let classes = classes_in_term(conn, &schools, &term.id)?;
            let counts: Vec<_> = competency_counts(conn, &classes)?
                .into_iter()
                .filter(|c| competency.is_none_or(|x| x == c.competency))
                .collect();
            if metric.kind == MetricKind::LessonsDelivered {
                if classes.is_empty() {
                    return Ok(withheld(m, "no classes in this term"));
                }
                let delivered: i64 = counts.iter().map(|c| c.delivered).sum();
                let months = ((as_of - term.starts_on).num_days() + 1) as f64 / DAYS_PER_MONTH;
                m.n = Some(classes.len() as u64);
                m.value = Some(round2(
                    delivered as f64 / classes.len() as f64 / months.max(1.0 / DAYS_PER_MONTH),
                ));
            } else {
                let completed: i64 = counts.iter().map(|c| c.completed).sum();
                let expected: i64 = counts.iter().map(|c| c.expected).sum();
                if expected == 0 {
                    return Ok(withheld(m, "no delivered lessons in this term"));
                }
                m.n = Some(expected as u64);
                m.value = Some(round1(completed as f64 * 100.0 / expected as f64));
            }
        }
        MetricKind::MentoringStudentsServed | MetricKind::MentoringOnCadence => {
            let numbers = match place.school_id {
                Some(s) => school_numbers(conn, s, term.starts_on, term.ends_on, today)?,
                None => {
                    district_numbers(conn, place.district_id, term.starts_on, term.ends_on, today)?
                }
            };
            if metric.kind == MetricKind::MentoringStudentsServed {
                m.value = Some(numbers.students_served as f64);
            } else {
                let Some(share) = numbers.on_cadence_share else {
                    return Ok(withheld(m, "no active matches"));
                };
                m.n = Some(numbers.active_matches as u64);
                m.value = Some(round1(share * 100.0));
            }
        }
    }
    Ok(m)
}

/// Every measurement of a metric after its baseline, oldest first: the closed windows of the
/// lineage that closed after the baseline's, or the terms that started after the baseline's
/// and have begun.
pub fn path(
    conn: &mut DbConnection,
    reading: &mut Reading,
    place: Place,
    metric: &Metric,
    baseline: &Measurement,
) -> Result<Vec<Measurement>, ApiError> {
    let (caller, keys, today) = (reading.caller, reading.keys, reading.today);
    let windows = &mut reading.windows;
    let mut out = Vec::new();
    match metric.climate() {
        Some(c) => {
            let after = baseline_window_closes(conn, baseline)?;
            for (window, lineage) in crate::reports::queries::closed_windows_with_lineage(
                conn,
                place.district_id,
                place.school_id,
                crate::db::now(),
            )? {
                if lineage != c.lineage_id || Some(window.closes_at) <= after {
                    continue;
                }
                // Readers of a goal see the windows of its school (or, district staff, all).
                let Ok(visible) = crate::surveys::scope::window(conn, caller, &window.id) else {
                    continue;
                };
                match climate_in(conn, windows, keys, &visible, place, &c) {
                    Ok(m) => out.push(m),
                    // Closed but not opened yet (the survey job opens it within seconds).
                    Err(ApiError::Conflict { .. }) => out.push(withheld(
                        of_window(&window),
                        "the window's answers are not opened yet",
                    )),
                    Err(e) => return Err(e),
                }
            }
        }
        None => {
            let Some(start) = baseline_term_start(conn, baseline)? else {
                return Ok(out);
            };
            for term in super::queries::terms_after(conn, place.district_id, start, today)? {
                out.push(term_figure(conn, place, &term, metric, today)?);
            }
        }
    }
    Ok(out)
}

fn baseline_window_closes(
    conn: &mut DbConnection,
    baseline: &Measurement,
) -> Result<Option<chrono::NaiveDateTime>, ApiError> {
    match &baseline.window_id {
        Some(id) => super::queries::window_closes_at(conn, id),
        None => Ok(None),
    }
}

fn baseline_term_start(
    conn: &mut DbConnection,
    baseline: &Measurement,
) -> Result<Option<NaiveDate>, ApiError> {
    match &baseline.term_id {
        Some(id) => super::queries::term_starts_on(conn, id),
        None => Ok(None),
    }
}
