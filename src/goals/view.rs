//! Goals as their readers see them: progress computed from the data, the review schedule, and
//! for student goals the weekly trend of what the student logged.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeDelta};

use super::dto::{Goal, GoalWeek, Progress, ReviewSchedule};
pub use super::measure::Reading;
use super::measure::{self, Place};
use super::metric::Metric;
use super::models::{GoalRow, ProgressRow};
use super::queries;
use super::status::{self, Plan};
use super::vocab::{GoalKind, StudentMeasure};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::rosters::models::PersonRef;
use crate::support::check_ins::{first_day, week_of};

/// Weeks of a student goal's trend.
pub const TREND_WEEKS: i64 = 8;

fn person(people: &HashMap<String, PersonRef>, id: &str) -> PersonRef {
    people.get(id).cloned().unwrap_or_else(|| PersonRef {
        id: id.to_owned(),
        given_name: String::new(),
        family_name: String::new(),
    })
}

/// The progress of a school or district goal.
pub fn progress(
    conn: &mut DbConnection,
    reading: &mut Reading,
    row: &GoalRow,
    metric: &Metric,
    baseline: &super::dto::Measurement,
) -> Result<Progress, ApiError> {
    let place = Place {
        district_id: &row.district_id,
        school_id: row.school_id.as_deref(),
    };
    let path = measure::path(conn, reading, place, metric, baseline)?;
    let plan = Plan {
        direction: metric.direction(),
        baseline: baseline.value.unwrap_or_default(),
        baseline_on: baseline.measured_on,
        target: row.target,
        deadline: row.deadline.unwrap_or(reading.today),
    };
    let latest = path.last().cloned();
    let (status, reason, expected) = status::status(&plan, latest.as_ref(), reading.today);
    Ok(Progress {
        status,
        reason,
        latest,
        expected,
        path,
    })
}

/// A student goal's weeks, newest first, from its logs.
pub fn weeks(
    measure: StudentMeasure,
    target: f64,
    logs: &[&ProgressRow],
    today: NaiveDate,
) -> Vec<GoalWeek> {
    let mut out = Vec::new();
    let mut monday = week_of(today);
    let first = first_day(today, TREND_WEEKS);
    while monday >= first {
        let sunday = monday + TimeDelta::days(6);
        let days: Vec<i32> = logs
            .iter()
            .filter(|l| (monday..=sunday).contains(&l.on_day))
            .map(|l| l.value)
            .collect();
        let value = (!days.is_empty()).then(|| {
            let total: i32 = days.iter().sum();
            match measure {
                StudentMeasure::MinutesToCalm => {
                    (f64::from(total) / days.len() as f64 * 10.0).round() / 10.0
                }
                StudentMeasure::TimesUsed | StudentMeasure::YesDays => f64::from(total),
            }
        });
        let ended = sunday < today;
        let met = value.and_then(|v| {
            let reached = if measure.lower_is_better() {
                v <= target
            } else {
                v >= target
            };
            // A week under way has not failed yet (minutes to calm are judged at its end).
            (reached && !measure.lower_is_better() || ended).then_some(reached)
        });
        out.push(GoalWeek {
            week_of: monday,
            days_logged: days.len() as i64,
            value,
            met,
        });
        monday -= TimeDelta::weeks(1);
    }
    out
}

/// The views of some goals, in their order.
pub fn goals(
    conn: &mut DbConnection,
    reading: &mut Reading,
    rows: Vec<GoalRow>,
) -> Result<Vec<Goal>, ApiError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let last = queries::last_reviews(conn, &ids)?;
    let student_ids: Vec<&str> = rows
        .iter()
        .filter(|r| r.kind == GoalKind::Student)
        .map(|r| r.id.as_str())
        .collect();
    let logs = if student_ids.is_empty() {
        Vec::new()
    } else {
        queries::progress_of(conn, &student_ids, first_day(reading.today, TREND_WEEKS))?
    };
    let mut people_ids: Vec<&str> = rows.iter().map(|r| r.owner_id.as_str()).collect();
    people_ids.extend(rows.iter().filter_map(|r| r.student_id.as_deref()));
    let people = queries::people(conn, &people_ids)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let last_reviewed = last.get(&row.id).copied();
        let mut goal = Goal {
            id: row.id.clone(),
            kind: row.kind,
            school_id: row.school_id.clone(),
            title: row.title.clone(),
            owner: person(&people, &row.owner_id),
            strategies: row.strategies()?,
            state: row.state,
            version: row.version,
            target: row.target,
            reviews: ReviewSchedule {
                due_on: None,
                next_on: None,
                last_reviewed_at: last_reviewed,
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
            metric: None,
            unit: String::new(),
            direction: None,
            baseline: None,
            deadline: row.deadline,
            cadence: row.cadence,
            progress: None,
            student: row.student_id.as_deref().map(|s| person(&people, s)),
            measure: row.measure,
            review_on: row.review_on,
            weeks: Vec::new(),
        };
        let reviewed_on = last_reviewed.map(|t| t.date());
        match (row.metric()?, row.baseline()?, row.measure) {
            (Some(metric), Some(baseline), _) => {
                goal.progress = Some(progress(conn, reading, row, &metric, &baseline)?);
                goal.unit = metric.unit().to_owned();
                goal.direction = Some(metric.direction());
                let points = match (row.cadence, row.deadline) {
                    (Some(c), Some(d)) => status::review_points(row.created_at.date(), c, d),
                    _ => Vec::new(),
                };
                let (due, next) = status::schedule(&points, reviewed_on, reading.today);
                goal.reviews.due_on = due.filter(|_| row.state.is_active());
                goal.reviews.next_on = next;
                goal.metric = Some(metric);
                goal.baseline = Some(baseline);
            }
            (_, _, Some(measure)) => {
                let mine: Vec<&ProgressRow> = logs.iter().filter(|l| l.goal_id == row.id).collect();
                goal.weeks = weeks(measure, row.target, &mine, reading.today);
                goal.unit = match measure {
                    StudentMeasure::TimesUsed => "times used per week",
                    StudentMeasure::MinutesToCalm => "mean minutes to calm per week",
                    StudentMeasure::YesDays => "days per week",
                }
                .to_owned();
                let points: Vec<NaiveDate> = row.review_on.into_iter().collect();
                let (due, next) = status::schedule(&points, reviewed_on, reading.today);
                goal.reviews.due_on = due.filter(|_| row.state.is_active());
                goal.reviews.next_on = next;
            }
            _ => return Err(ApiError::internal("a goal with neither metric nor measure")),
        }
        out.push(goal);
    }
    Ok(out)
}

pub fn goal(
    conn: &mut DbConnection,
    reading: &mut Reading,
    row: GoalRow,
) -> Result<Goal, ApiError> {
    goals(conn, reading, vec![row])?
        .pop()
        .ok_or_else(|| ApiError::internal("a goal without its view"))
}
