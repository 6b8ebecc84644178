//! Where a goal stands, by one documented rule, and when it is reviewed. Pure functions, tested
//! at known values below.
//!
//! **Status** of a school or district goal, from its baseline `b` (measured on day `d0`), its
//! target `t`, its deadline `D`, and the latest measurement since the baseline (value `v`, with
//! its 95% interval `[lo, hi]` for climate figures; counts of records are exact, `lo = hi = v`):
//!
//! 1. `not_measurable` when there is no measurement since the baseline, or the latest one is
//!    withheld (a suppressed or coarsened cell shows no value, and the goal never shows it).
//! 2. `met` when the latest measurement reaches the target beyond its uncertainty: the whole
//!    interval is at or past the target (`lo ≥ t` for a figure that should rise, `hi ≤ t` for
//!    one that should fall, such as frequent victimization).
//! 3. `not_met` when the deadline has passed without that.
//! 4. Otherwise the straight path from the baseline to the target gives the value expected on
//!    the measurement's day `d`: `e = b + (t − b) · min(1, (d − d0) / (D − d0))`. The goal is
//!    `on_track` when the interval reaches the path (`hi ≥ e`, or `lo ≤ e` for a falling
//!    figure): the data cannot say it is behind; `at_risk` when the whole interval is behind.
//!
//! **Reviews** of a school or district goal fall every month or every quarter after the day it
//! was set, and on its deadline. The review due is the latest such point on or before today,
//! unless a review was recorded on or after it. A student goal's review falls on its
//! `review_on` day.

use chrono::{Months, NaiveDate};

use super::dto::Measurement;
use super::metric::Direction;
use super::vocab::{GoalStatus, ReviewCadence};

/// What the status rule reads of a goal.
pub struct Plan {
    pub direction: Direction,
    pub baseline: f64,
    pub baseline_on: NaiveDate,
    pub target: f64,
    pub deadline: NaiveDate,
}

/// The status, why, and the value the path expects at the latest measurement.
pub fn status(
    plan: &Plan,
    latest: Option<&Measurement>,
    today: NaiveDate,
) -> (GoalStatus, String, Option<f64>) {
    let Some(m) = latest else {
        return (
            GoalStatus::NotMeasurable,
            "no measurement since the baseline yet".to_owned(),
            None,
        );
    };
    let Some(v) = m.value else {
        let why = m.withheld.clone().unwrap_or_else(|| "withheld".to_owned());
        return (
            GoalStatus::NotMeasurable,
            format!("the latest measurement ({}) is withheld: {why}", m.source),
            None,
        );
    };
    let (lo, hi) = (m.low.unwrap_or(v), m.high.unwrap_or(v));
    let up = plan.direction == Direction::Up;
    let reached = if up {
        lo >= plan.target
    } else {
        hi <= plan.target
    };
    if reached {
        let how = if m.low.is_some() {
            "its whole 95% interval is at or beyond the target"
        } else {
            "it is at or beyond the target"
        };
        return (GoalStatus::Met, format!("{} {how}", m.source), None);
    }
    if today > plan.deadline {
        return (
            GoalStatus::NotMet,
            format!(
                "the deadline {} passed and {} did not reach the target",
                plan.deadline, m.source
            ),
            None,
        );
    }
    let span = (plan.deadline - plan.baseline_on).num_days().max(1) as f64;
    let elapsed = (m.measured_on - plan.baseline_on).num_days().max(0) as f64;
    let expected = plan.baseline + (plan.target - plan.baseline) * (elapsed / span).min(1.0);
    let expected = (expected * 100.0).round() / 100.0;
    let on_path = if up { hi >= expected } else { lo <= expected };
    if on_path {
        (
            GoalStatus::OnTrack,
            format!("{} reaches the path to the target ({expected})", m.source),
            Some(expected),
        )
    } else {
        (
            GoalStatus::AtRisk,
            format!("{} is behind the path to the target ({expected})", m.source),
            Some(expected),
        )
    }
}

/// The review points of a goal set on `start`: every cadence period after it up to the
/// deadline, and the deadline.
pub fn review_points(
    start: NaiveDate,
    cadence: ReviewCadence,
    deadline: NaiveDate,
) -> Vec<NaiveDate> {
    let mut points = Vec::new();
    let mut i = 1u32;
    while let Some(p) = start.checked_add_months(Months::new(cadence.months() * i)) {
        if p >= deadline {
            break;
        }
        points.push(p);
        i += 1;
    }
    if deadline > start {
        points.push(deadline);
    }
    points
}

/// The review due (the latest point on or before today, unless reviewed on or after it) and
/// the next point after today.
pub fn schedule(
    points: &[NaiveDate],
    last_reviewed: Option<NaiveDate>,
    today: NaiveDate,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let due = points
        .iter()
        .rev()
        .find(|p| **p <= today)
        .copied()
        .filter(|p| last_reviewed.is_none_or(|r| r < *p));
    let next = points.iter().find(|p| **p > today).copied();
    (due, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn m(on: &str, v: Option<f64>, ci: Option<(f64, f64)>) -> Measurement {
        Measurement {
            window_id: Some("w".into()),
            term_id: None,
            source: "Fall".into(),
            measured_on: d(on),
            value: v,
            low: ci.map(|c| c.0),
            high: ci.map(|c| c.1),
            n: Some(100),
            withheld: v.is_none().then(|| "suppressed".to_owned()),
        }
    }

    fn up() -> Plan {
        // 60% favorable on 2026-01-01, aiming at 70% by 2027-01-01 (365 days).
        Plan {
            direction: Direction::Up,
            baseline: 60.0,
            baseline_on: d("2026-01-01"),
            target: 70.0,
            deadline: d("2027-01-01"),
        }
    }

    #[test]
    fn no_measurement_or_a_withheld_one_is_not_measurable() {
        let today = d("2026-06-01");
        assert_eq!(status(&up(), None, today).0, GoalStatus::NotMeasurable);
        let hidden = m("2026-05-01", None, None);
        let (s, why, _) = status(&up(), Some(&hidden), today);
        assert_eq!(s, GoalStatus::NotMeasurable);
        assert!(why.contains("suppressed"), "{why}");
    }

    #[test]
    fn met_only_when_the_whole_interval_reaches_the_target() {
        let today = d("2026-06-01");
        // The point is past 70 but the interval is not: not met yet (on the path, though).
        let close = m("2026-05-01", Some(72.0), Some((66.0, 77.5)));
        assert_eq!(status(&up(), Some(&close), today).0, GoalStatus::OnTrack);
        let clear = m("2026-05-01", Some(76.0), Some((70.0, 81.0)));
        assert_eq!(status(&up(), Some(&clear), today).0, GoalStatus::Met);
        // An exact count reaches its target on its value.
        let exact = m("2026-05-01", Some(70.0), None);
        assert_eq!(status(&up(), Some(&exact), today).0, GoalStatus::Met);
    }

    #[test]
    fn the_path_is_a_straight_line_from_baseline_to_target() {
        // 2026-07-02 is 182 of 365 days in: expected 60 + 10 · 182/365 = 64.99.
        let today = d("2026-08-01");
        let behind = m("2026-07-02", Some(62.0), Some((60.0, 64.9)));
        let (s, _, e) = status(&up(), Some(&behind), today);
        assert_eq!((s, e), (GoalStatus::AtRisk, Some(64.99)));
        let reaching = m("2026-07-02", Some(62.0), Some((59.0, 65.0)));
        assert_eq!(status(&up(), Some(&reaching), today).0, GoalStatus::OnTrack);
    }

    #[test]
    fn a_falling_figure_is_met_below_the_target() {
        // Frequent victimization from 20% to 12%.
        let plan = Plan {
            direction: Direction::Down,
            baseline: 20.0,
            baseline_on: d("2026-01-01"),
            target: 12.0,
            deadline: d("2027-01-01"),
        };
        let today = d("2026-12-01");
        let met = m("2026-11-30", Some(9.0), Some((6.5, 11.9)));
        assert_eq!(status(&plan, Some(&met), today).0, GoalStatus::Met);
        // Expected on 2026-11-30 (333 days): 20 − 8 · 333/365 = 12.70; interval above it.
        let behind = m("2026-11-30", Some(16.0), Some((13.0, 19.5)));
        let (s, _, e) = status(&plan, Some(&behind), today);
        assert_eq!((s, e), (GoalStatus::AtRisk, Some(12.7)));
    }

    #[test]
    fn after_the_deadline_unmet_is_not_met() {
        let late = m("2026-12-15", Some(69.0), Some((64.0, 73.0)));
        assert_eq!(
            status(&up(), Some(&late), d("2027-01-02")).0,
            GoalStatus::NotMet
        );
        assert_eq!(
            status(&up(), Some(&late), d("2027-01-01")).0,
            GoalStatus::OnTrack
        );
    }

    #[test]
    fn review_points_follow_the_cadence_and_end_on_the_deadline() {
        let points = review_points(d("2026-09-15"), ReviewCadence::Quarterly, d("2027-06-01"));
        assert_eq!(
            points,
            vec![d("2026-12-15"), d("2027-03-15"), d("2027-06-01")]
        );
        let monthly = review_points(d("2026-01-31"), ReviewCadence::Monthly, d("2026-04-15"));
        assert_eq!(
            monthly,
            vec![d("2026-02-28"), d("2026-03-31"), d("2026-04-15")]
        );
    }

    #[test]
    fn a_review_on_or_after_the_point_settles_it() {
        let points = [d("2026-10-15"), d("2026-11-15"), d("2026-12-15")];
        let today = d("2026-12-06");
        assert_eq!(
            schedule(&points, None, today),
            (Some(d("2026-11-15")), Some(d("2026-12-15")))
        );
        assert_eq!(
            schedule(&points, Some(d("2026-11-20")), today),
            (None, Some(d("2026-12-15")))
        );
        assert_eq!(
            schedule(&points, Some(d("2026-11-01")), today).0,
            Some(d("2026-11-15"))
        );
        assert_eq!(
            schedule(&points, None, d("2026-10-01")),
            (None, Some(d("2026-10-15")))
        );
    }
}
