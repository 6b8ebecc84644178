//! Check-in totals of a class, a school or a grade, by ended week, with small counts withheld,
//! each week kept as first computed (`figures`).
//!
//! Per week: the students of the group (now), how many checked in at least once, for each
//! feeling how many students reported it at least once, and the mean over students of each
//! student's mean intensity. Withholding follows the report cells' rules (README, "Student
//! support"), with the district's reporting threshold k:
//! 1. fewer than k students checked in (but some did): every figure of the week is withheld;
//! 2. a feeling reported by 1 to k−1 students is withheld;
//! 3. a feeling reported by all, or all but one, of the students who checked in is withheld,
//!    since it would tell each student's feeling;
//! 4. when exactly one feeling is withheld, the smallest shown non-zero one is withheld too,
//!    so that the total minus the others does not give it back;
//! 5. zero is shown: a feeling nobody reported discloses nothing about anyone.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::{get, web};
use chrono::{NaiveDate, TimeDelta};

use super::check_ins::week_of;
use super::dto::{CheckInSummary, EndedWeeksQuery, FeelingCount, SchoolSummaryQuery, WeekSummary};
use super::figures;
use super::queries::{self, CheckInFact};
use super::scope;
use crate::accounts::Caller;
use crate::db;
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::{IdPath, ValidQuery};
use crate::lessons::vocab::Emotion;
use crate::state::AppState;

const DEFAULT_WEEKS: i64 = 8;

/// Withholds feeling counts by rules 2–5 above; `None` is withheld.
pub fn protect_feelings(counts: &[(Emotion, i64)], checked_in: i64, k: i64) -> Vec<Option<i64>> {
    let mut shown: Vec<Option<i64>> = counts
        .iter()
        .map(|&(_, c)| {
            let small = c > 0 && c < k;
            let unanimous = c > 0 && c >= checked_in - 1;
            (!small && !unanimous).then_some(c)
        })
        .collect();
    let withheld = shown.iter().filter(|c| c.is_none()).count();
    if withheld == 1 {
        let smallest = shown
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.filter(|&c| c > 0).map(|c| (c, i)))
            .min();
        if let Some((_, i)) = smallest {
            shown[i] = None;
        }
    }
    shown
}

/// One week of a group: the figures of its facts, withheld as the rules say.
pub fn week(week_of: NaiveDate, students: i64, facts: &[&CheckInFact], k: i64) -> WeekSummary {
    let mut per_student: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    let mut felt: BTreeMap<Emotion, BTreeSet<&str>> = BTreeMap::new();
    for (student, _, emotion, intensity) in facts {
        let e = per_student.entry(student.as_str()).or_default();
        e.0 += i64::from(*intensity);
        e.1 += 1;
        felt.entry(*emotion).or_default().insert(student.as_str());
    }
    let checked_in = per_student.len() as i64;
    if checked_in > 0 && checked_in < k {
        return WeekSummary {
            week_of,
            students,
            checked_in: None,
            feelings: Emotion::ALL
                .iter()
                .map(|&emotion| FeelingCount {
                    emotion,
                    students: None,
                })
                .collect(),
            mean_intensity: None,
            withheld: Some(format!("fewer than {k} students checked in")),
        };
    }
    let counts: Vec<(Emotion, i64)> = Emotion::ALL
        .iter()
        .map(|&e| (e, felt.get(&e).map_or(0, |s| s.len() as i64)))
        .collect();
    let shown = protect_feelings(&counts, checked_in, k);
    let any_withheld = shown.iter().any(Option::is_none);
    let mean_intensity = (checked_in > 0).then(|| {
        let sum: f64 = per_student
            .values()
            .map(|&(total, n)| total as f64 / n as f64)
            .sum();
        (sum / checked_in as f64 * 100.0).round() / 100.0
    });
    WeekSummary {
        week_of,
        students,
        checked_in: Some(checked_in),
        feelings: counts
            .iter()
            .zip(shown)
            .map(|(&(emotion, _), students)| FeelingCount { emotion, students })
            .collect(),
        mean_intensity,
        withheld: any_withheld.then(|| {
            format!(
                "feelings of fewer than {k} students, or of all or all but one, are withheld \
                 (with one more where needed)"
            )
        }),
    }
}

/// The Mondays of the `n` weeks that ended last before `today`'s week, newest first.
pub fn ended_weeks(today: NaiveDate, n: i64) -> Vec<NaiveDate> {
    (1..=n)
        .map(|k| week_of(today) - TimeDelta::weeks(k))
        .collect()
}

/// The week of a group: its figures kept (`figures`), or computed from the group's students and
/// check-ins now.
fn kept_week(
    conn: &mut db::DbConnection,
    kind: &str,
    scope_id: &str,
    monday: NaiveDate,
    k: i64,
    group: impl FnOnce(
        &mut db::DbConnection,
        NaiveDate,
        NaiveDate,
    ) -> Result<(i64, Vec<CheckInFact>), ApiError>,
) -> Result<WeekSummary, ApiError> {
    figures::frozen(conn, kind, scope_id, monday, |conn| {
        let sunday = monday + TimeDelta::days(6);
        let (students, facts) = group(conn, monday, sunday)?;
        let refs: Vec<&CheckInFact> = facts.iter().collect();
        Ok(week(monday, students, &refs, k))
    })
}

/// Check-in totals of a class for each ended week (its students enrolled before the week began
/// and still enrolled when the week's figures were first computed): for its teachers, the
/// school's staff and district staff. Small counts are
/// withheld; the week in progress is not shown.
#[utoipa::path(
    tag = "support", security(("bearer" = [])), params(IdPath, EndedWeeksQuery),
    responses(
        (status = 200, body = CheckInSummary),
        Forbidden,
        NotFound,
    )
)]
#[get("/classes/{id}/check-ins/summary")]
pub async fn class_summary(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    query: ValidQuery<EndedWeeksQuery>,
) -> Result<web::Json<CheckInSummary>, ApiError> {
    let id = path.into_inner().id;
    let n_weeks = query.0.weeks.unwrap_or(DEFAULT_WEEKS);
    let summary = state
        .db
        .run(move |conn| {
            let class = scope::class_summary(conn, &caller, &id)?;
            let settings = queries::settings(conn, &caller.district_id)?;
            let today = settings.clock().local_day(db::now());
            let k = settings.threshold();
            let mut weeks = Vec::new();
            for monday in ended_weeks(today, n_weeks) {
                let week_began = settings.clock().start_of(monday);
                weeks.push(kept_week(
                    conn,
                    "class",
                    &class.id,
                    monday,
                    k,
                    |conn, from, to| {
                        let students = queries::class_students(conn, &class, week_began)?;
                        let facts = queries::facts_of_students(conn, &students, from, to)?;
                        Ok((students.len() as i64, facts))
                    },
                )?);
            }
            Ok(CheckInSummary {
                scope: "class".into(),
                id: class.id.clone(),
                grade: class.grade,
                threshold: k,
                weeks,
            })
        })
        .await?;
    Ok(web::Json(summary))
}

/// Check-in totals of a school, or of one of its grades, for each ended week (counted where
/// each student was on the day): for the school's administrators and counselors and district
/// staff.
#[utoipa::path(
    tag = "support", security(("bearer" = [])), params(IdPath, SchoolSummaryQuery),
    responses(
        (status = 200, body = CheckInSummary),
        Forbidden,
        NotFound,
    )
)]
#[get("/schools/{id}/check-ins/summary")]
pub async fn school_summary(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
    query: ValidQuery<SchoolSummaryQuery>,
) -> Result<web::Json<CheckInSummary>, ApiError> {
    let id = path.into_inner().id;
    let q = query.0;
    let n_weeks = q.weeks.unwrap_or(DEFAULT_WEEKS);
    let summary = state
        .db
        .run(move |conn| {
            let school = scope::school_summary(conn, &caller, &id)?;
            let settings = queries::settings(conn, &caller.district_id)?;
            let today = settings.clock().local_day(db::now());
            let k = settings.threshold();
            let kind = match q.grade {
                Some(g) => format!("grade-{g}"),
                None => "school".to_owned(),
            };
            let mut weeks = Vec::new();
            for monday in ended_weeks(today, n_weeks) {
                weeks.push(kept_week(
                    conn,
                    &kind,
                    &school.id,
                    monday,
                    k,
                    |conn, from, to| {
                        let students = queries::school_students(conn, &school.id, q.grade)?;
                        let facts = queries::facts_of_school(conn, &school.id, q.grade, from, to)?;
                        Ok((students.len() as i64, facts))
                    },
                )?);
            }
            Ok(CheckInSummary {
                scope: if q.grade.is_some() { "grade" } else { "school" }.into(),
                id: school.id.clone(),
                grade: q.grade,
                threshold: k,
                weeks,
            })
        })
        .await?;
    Ok(web::Json(summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(values: &[i64]) -> Vec<(Emotion, i64)> {
        Emotion::ALL
            .iter()
            .copied()
            .zip(values.iter().copied())
            .collect()
    }

    #[test]
    fn small_counts_are_withheld_with_a_complement() {
        // 30 students, k = 10: calm 14, happy 12, worried 4 → worried is small, and the next
        // smallest shown count (happy) is withheld with it.
        let shown = protect_feelings(&counts(&[14, 12, 0, 0, 0, 0, 4]), 30, 10);
        assert_eq!(shown[0], Some(14));
        assert_eq!(shown[1], None);
        assert_eq!(shown[2], Some(0));
        assert_eq!(shown[6], None);
    }

    #[test]
    fn unanimous_feelings_are_withheld() {
        // 12 students checked in; 11 felt calm at least once: "all but one" is withheld.
        let shown = protect_feelings(&counts(&[11, 10]), 12, 10);
        assert_eq!(shown[0], None);
        assert_eq!(shown[1], None, "the complement of the only withheld count");
    }

    #[test]
    fn a_week_with_few_students_shows_nothing() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let facts: Vec<CheckInFact> = (0..4)
            .map(|i| (format!("s{i}"), day, Emotion::Calm, 2))
            .collect();
        let refs: Vec<&CheckInFact> = facts.iter().collect();
        let w = week(day, 25, &refs, 10);
        assert_eq!(w.checked_in, None);
        assert_eq!(w.mean_intensity, None);
        assert!(w.feelings.iter().all(|f| f.students.is_none()));
    }

    #[test]
    fn mean_intensity_weighs_each_student_once() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let mut facts: Vec<CheckInFact> = (0..10)
            .map(|i| (format!("s{i}"), day, Emotion::Calm, 2))
            .collect();
        // s0 checks in four more days at 5: their own mean is (2 + 4·5) / 5 = 4.4.
        for d in 1..5 {
            facts.push(("s0".into(), day + TimeDelta::days(d), Emotion::Calm, 5));
        }
        let refs: Vec<&CheckInFact> = facts.iter().collect();
        let w = week(day, 25, &refs, 10);
        // (4.4 + 9 × 2) / 10 = 2.24
        assert_eq!(w.mean_intensity, Some(2.24));
        assert_eq!(w.checked_in, Some(10));
    }
}
