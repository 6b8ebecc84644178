//! The checks on a goal's changeable terms, whether set, changed or changed at a review: the
//! target beyond the baseline in the metric's direction, the deadline after the baseline, an
//! owner who may own it, and strategies that exist in the district.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::dto::{GoalTerms, Measurement, Strategy, StrategyInput};
use super::metric::{Direction, Metric};
use super::models::GoalRow;
use super::queries;
use super::vocab::{GoalKind, StudentMeasure};
use crate::accounts::{Caller, Role, UserRow};
use crate::db::schema::users;
use crate::db::DbConnection;
use crate::error::ApiError;

/// Resolves strategies: each names exactly one of a lesson plan, a mentoring program (of the
/// goal's school, for a school or student goal) or a note.
pub fn strategies(
    conn: &mut DbConnection,
    caller: &Caller,
    school_id: Option<&str>,
    input: &[StrategyInput],
    field: &str,
) -> Result<Vec<Strategy>, ApiError> {
    let mut out = Vec::with_capacity(input.len());
    for (i, s) in input.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let given = [
            s.lesson_plan_id.is_some(),
            s.mentoring_program_id.is_some(),
            s.note.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(ApiError::invalid(
                at,
                "give exactly one of lesson_plan_id, mentoring_program_id or note",
            ));
        }
        let title = if let Some(plan) = &s.lesson_plan_id {
            // Only a plan the caller may read, by the title they may read.
            let no_plan = || {
                ApiError::invalid(
                    format!("{at}.lesson_plan_id"),
                    "no such lesson plan in your scope",
                )
            };
            let (found, editable) = match crate::lessons::scope::lesson_plan(conn, caller, plan) {
                Ok(v) => v,
                Err(ApiError::NotFound(_)) => return Err(no_plan()),
                Err(e) => return Err(e),
            };
            Some(queries::plan_title(conn, &found.id, editable)?.ok_or_else(no_plan)?)
        } else if let Some(program) = &s.mentoring_program_id {
            Some(
                queries::program_name(conn, &caller.district_id, school_id, program)?.ok_or_else(
                    || {
                        ApiError::invalid(
                            format!("{at}.mentoring_program_id"),
                            "no such mentoring program at this school",
                        )
                    },
                )?,
            )
        } else {
            None
        };
        out.push(Strategy {
            lesson_plan_id: s.lesson_plan_id.clone(),
            mentoring_program_id: s.mentoring_program_id.clone(),
            note: s.note.clone(),
            title,
        });
    }
    Ok(out)
}

/// An owner for a goal of this kind and place: an active administrator or counselor of the
/// school or a district administrator (school goals), a district administrator (district
/// goals), a counselor of the school (student goals).
pub fn owner(
    conn: &mut DbConnection,
    district_id: &str,
    kind: GoalKind,
    school_id: Option<&str>,
    owner_id: &str,
) -> Result<(), ApiError> {
    let found: Option<UserRow> = users::table
        .find(owner_id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    let fits = found.is_some_and(|u| {
        u.active
            && u.district_id == district_id
            && match (kind, u.role) {
                (_, Role::DistrictAdmin) => kind != GoalKind::Student,
                (GoalKind::School, Role::SchoolAdmin | Role::Counselor)
                | (GoalKind::Student, Role::Counselor) => u.school_id.as_deref() == school_id,
                _ => false,
            }
    });
    if !fits {
        let who = match kind {
            GoalKind::School => {
                "must be an active administrator or counselor of the school, or a district administrator"
            }
            GoalKind::District => "must be an active district administrator",
            GoalKind::Student => "must be an active counselor of the student's school",
        };
        return Err(ApiError::invalid("owner_id", who));
    }
    Ok(())
}

/// The target and deadline of a school or district goal against its baseline.
pub fn measured(
    metric: &Metric,
    baseline: &Measurement,
    target: f64,
    deadline: NaiveDate,
) -> Result<(), ApiError> {
    let (low, high) = metric.range();
    if !target.is_finite() || target < low || target > high {
        return Err(ApiError::invalid(
            "target",
            format!("must be between {low} and {high} ({})", metric.unit()),
        ));
    }
    let base = baseline.value.unwrap_or_default();
    let ahead = match metric.direction() {
        Direction::Up => target > base,
        Direction::Down => target < base,
    };
    if !ahead {
        let way = match metric.direction() {
            Direction::Up => "above",
            Direction::Down => "below",
        };
        return Err(ApiError::invalid(
            "target",
            format!(
                "must be {way} the baseline ({base}): this figure improves as it goes {}",
                if way == "above" { "up" } else { "down" }
            ),
        ));
    }
    if deadline <= baseline.measured_on {
        return Err(ApiError::invalid(
            "deadline",
            format!(
                "must be after the baseline was measured ({})",
                baseline.measured_on
            ),
        ));
    }
    Ok(())
}

/// A student goal's weekly target for its measure.
pub fn weekly_target(measure: StudentMeasure, target: f64, field: &str) -> Result<(), ApiError> {
    let (low, high) = match measure {
        StudentMeasure::TimesUsed => (1.0, 350.0),
        StudentMeasure::MinutesToCalm => (1.0, 240.0),
        StudentMeasure::YesDays => (1.0, 7.0),
    };
    if !target.is_finite() || target < low || target > high || target.fract() != 0.0 {
        return Err(ApiError::invalid(
            field,
            format!(
                "must be a whole number from {low} to {high} for {}",
                measure.as_str()
            ),
        ));
    }
    Ok(())
}

/// A student goal's next review: after today, within a year.
pub fn review_on(day: NaiveDate, today: NaiveDate, field: &str) -> Result<(), ApiError> {
    if day <= today || day > today + chrono::TimeDelta::days(366) {
        return Err(ApiError::invalid(
            field,
            "must be after today and within a year",
        ));
    }
    Ok(())
}

/// Checks a goal's new terms as a whole.
pub fn check(
    conn: &mut DbConnection,
    row: &GoalRow,
    terms: &GoalTerms,
    today: NaiveDate,
    review_field: &str,
) -> Result<(), ApiError> {
    match (row.metric()?, row.baseline()?, row.measure) {
        (Some(metric), Some(baseline), _) => {
            let deadline = terms.deadline.unwrap_or(today);
            measured(&metric, &baseline, terms.target, deadline)?;
            if terms.deadline != row.deadline {
                deadline_ahead(deadline, today)?;
            }
        }
        (_, _, Some(measure)) => {
            weekly_target(measure, terms.target, "target")?;
            if terms.review_on != row.review_on {
                if let Some(day) = terms.review_on {
                    review_on(day, today, review_field)?;
                }
            }
        }
        _ => return Err(ApiError::internal("a goal with neither metric nor measure")),
    }
    if terms.owner_id != row.owner_id {
        // A student goal's owner counsels at the student's school as it is now.
        let school = match &row.student_id {
            Some(student) => users::table
                .find(student)
                .select(users::school_id)
                .first::<Option<String>>(conn)
                .optional()?
                .flatten(),
            None => row.school_id.clone(),
        };
        owner(
            conn,
            &row.district_id,
            row.kind,
            school.as_deref(),
            &terms.owner_id,
        )?;
    }
    Ok(())
}

/// A new deadline: after today, and within five years (reviews fall up to it).
pub fn deadline_ahead(deadline: NaiveDate, today: NaiveDate) -> Result<(), ApiError> {
    if deadline <= today {
        return Err(ApiError::invalid("deadline", "must be after today"));
    }
    if deadline > today + chrono::TimeDelta::days(5 * 366) {
        return Err(ApiError::invalid("deadline", "must be within five years"));
    }
    Ok(())
}
