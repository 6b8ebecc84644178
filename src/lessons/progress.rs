//! Lesson delivery and completion numbers, per assignment, class and school. The reports
//! module reuses these functions; they count only students actively enrolled.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::models::{AssignmentRow, AssignmentStatus};
use super::vocab::{Competency, Emotion};
use crate::authz::Visible;
use crate::db::schema::{
    assignments, classes, enrollments, lesson_completions, lesson_plan_versions as versions,
};
use crate::db::DbConnection;
use crate::error::ApiError;

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct EmotionCount {
    pub emotion: Emotion,
    #[schema(minimum = 0)]
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct AssignmentProgress {
    pub assignment_id: String,
    /// Students actively enrolled in the class.
    #[schema(minimum = 0)]
    pub enrolled: i64,
    /// Of those, how many completed the lesson.
    #[schema(minimum = 0)]
    pub completed: i64,
    /// completed ÷ enrolled (null when nobody is enrolled).
    #[schema(minimum = 0, maximum = 1)]
    pub completion_rate: Option<f64>,
    /// How students said they felt: counts per emotion label only, never who.
    pub emotions: Vec<EmotionCount>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ClassProgress {
    pub class_id: String,
    pub class_name: String,
    /// Assignments not cancelled.
    #[schema(minimum = 0)]
    pub assigned: i64,
    #[schema(minimum = 0)]
    pub delivered: i64,
    #[schema(minimum = 0)]
    pub enrolled: i64,
    /// Completions by enrolled students ÷ (enrolled × assigned); null when either is zero.
    #[schema(minimum = 0, maximum = 1)]
    pub completion_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct CompetencyDelivery {
    pub competency: Competency,
    #[schema(minimum = 0)]
    pub delivered: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct SchoolProgress {
    pub school_id: String,
    pub term_id: String,
    pub classes: Vec<ClassProgress>,
    pub delivered_by_competency: Vec<CompetencyDelivery>,
}

fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn enrolled_in(conn: &mut DbConnection, class_id: &str) -> QueryResult<i64> {
    enrollments::table
        .filter(enrollments::class_id.eq(class_id))
        .filter(enrollments::active.eq(true))
        .count()
        .get_result(conn)
}

pub fn assignment_progress(
    conn: &mut DbConnection,
    a: &Visible<AssignmentRow>,
) -> Result<AssignmentProgress, ApiError> {
    let enrolled = enrolled_in(conn, &a.class_id)?;
    let labels: Vec<Option<Emotion>> = lesson_completions::table
        .inner_join(
            enrollments::table.on(enrollments::student_id
                .eq(lesson_completions::student_id)
                .and(enrollments::class_id.eq(&a.class_id))
                .and(enrollments::active.eq(true))),
        )
        .filter(lesson_completions::assignment_id.eq(&a.id))
        .select(lesson_completions::emotion)
        .load(conn)?;
    let mut counts: BTreeMap<Emotion, i64> = BTreeMap::new();
    for label in labels.iter().flatten() {
        *counts.entry(*label).or_default() += 1;
    }
    let completed = labels.len() as i64;
    Ok(AssignmentProgress {
        assignment_id: a.id.clone(),
        enrolled,
        completed,
        completion_rate: rate(completed, enrolled),
        emotions: counts
            .into_iter()
            .map(|(emotion, count)| EmotionCount { emotion, count })
            .collect(),
    })
}

/// Progress of one class (any class id: callers check scope before asking).
pub fn class_progress(conn: &mut DbConnection, class_id: &str) -> Result<ClassProgress, ApiError> {
    let class_name: String = classes::table
        .find(class_id)
        .select(classes::name)
        .first(conn)?;
    let statuses: Vec<AssignmentStatus> = assignments::table
        .filter(assignments::class_id.eq(class_id))
        .filter(assignments::status.ne(AssignmentStatus::Cancelled))
        .select(assignments::status)
        .load(conn)?;
    let assigned = statuses.len() as i64;
    let delivered = statuses
        .iter()
        .filter(|s| **s == AssignmentStatus::Delivered)
        .count() as i64;
    let enrolled = enrolled_in(conn, class_id)?;
    let completions: i64 = lesson_completions::table
        .inner_join(assignments::table)
        .inner_join(
            enrollments::table.on(enrollments::student_id
                .eq(lesson_completions::student_id)
                .and(enrollments::class_id.eq(assignments::class_id))
                .and(enrollments::active.eq(true))),
        )
        .filter(assignments::class_id.eq(class_id))
        .filter(assignments::status.ne(AssignmentStatus::Cancelled))
        .count()
        .get_result(conn)?;
    Ok(ClassProgress {
        class_id: class_id.to_owned(),
        class_name,
        assigned,
        delivered,
        enrolled,
        completion_rate: rate(completions, enrolled * assigned),
    })
}

/// Per class of the school in the term, and lessons delivered per competency.
pub fn school_progress(
    conn: &mut DbConnection,
    school_id: &str,
    term_id: &str,
) -> Result<SchoolProgress, ApiError> {
    let class_ids: Vec<String> = classes::table
        .filter(classes::school_id.eq(school_id))
        .filter(classes::term_id.eq(term_id))
        .order((classes::name.asc(), classes::id.asc()))
        .select(classes::id)
        .load(conn)?;
    let classes = class_ids
        .iter()
        .map(|id| class_progress(conn, id))
        .collect::<Result<Vec<_>, _>>()?;
    let delivered: Vec<Competency> = assignments::table
        .inner_join(versions::table)
        .filter(assignments::class_id.eq_any(&class_ids))
        .filter(assignments::status.eq(AssignmentStatus::Delivered))
        .select(versions::competency)
        .load(conn)?;
    let delivered_by_competency = Competency::ALL
        .iter()
        .map(|c| CompetencyDelivery {
            competency: *c,
            delivered: delivered.iter().filter(|d| *d == c).count() as i64,
        })
        .collect();
    Ok(SchoolProgress {
        school_id: school_id.to_owned(),
        term_id: term_id.to_owned(),
        classes,
        delivered_by_competency,
    })
}

/// Lessons of a school's classes in a term, per competency (for reports).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompetencyActivity {
    pub competency: Competency,
    /// Assignments not cancelled.
    #[schema(minimum = 0)]
    pub assigned: i64,
    #[schema(minimum = 0)]
    pub delivered: i64,
    /// Completions ÷ (students enrolled × delivered lessons), for delivered lessons; null if none.
    #[schema(minimum = 0, maximum = 1)]
    pub completion_rate: Option<f64>,
}

/// The lessons of some classes, per competency (every competency listed): the raw counts
/// behind `CompetencyActivity`, which goals read too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompetencyCounts {
    pub competency: Competency,
    /// Assignments not cancelled.
    pub assigned: i64,
    pub delivered: i64,
    /// Completions of delivered lessons …
    pub completed: i64,
    /// … out of the students enrolled in their classes.
    pub expected: i64,
}

/// The classes of some schools in a term.
pub fn classes_in_term(
    conn: &mut DbConnection,
    school_ids: &[String],
    term_id: &str,
) -> Result<Vec<String>, ApiError> {
    Ok(classes::table
        .filter(classes::school_id.eq_any(school_ids))
        .filter(classes::term_id.eq(term_id))
        .select(classes::id)
        .load(conn)?)
}

pub fn competency_counts(
    conn: &mut DbConnection,
    class_ids: &[String],
) -> Result<Vec<CompetencyCounts>, ApiError> {
    let rows: Vec<(String, String, AssignmentStatus, Competency)> = assignments::table
        .inner_join(versions::table)
        .filter(assignments::class_id.eq_any(class_ids))
        .filter(assignments::status.ne(AssignmentStatus::Cancelled))
        .select((
            assignments::id,
            assignments::class_id,
            assignments::status,
            versions::competency,
        ))
        .load(conn)?;
    let enrolled: Vec<(String, i64)> = enrollments::table
        .filter(enrollments::class_id.eq_any(class_ids))
        .filter(enrollments::active.eq(true))
        .group_by(enrollments::class_id)
        .select((enrollments::class_id, diesel::dsl::count_star()))
        .load(conn)?;
    let enrolled: std::collections::HashMap<String, i64> = enrolled.into_iter().collect();
    let ids: Vec<&String> = rows.iter().map(|r| &r.0).collect();
    let done: Vec<(String, i64)> = lesson_completions::table
        .filter(lesson_completions::assignment_id.eq_any(ids))
        .group_by(lesson_completions::assignment_id)
        .select((lesson_completions::assignment_id, diesel::dsl::count_star()))
        .load(conn)?;
    let done: std::collections::HashMap<String, i64> = done.into_iter().collect();
    Ok(Competency::ALL
        .iter()
        .map(|c| {
            let mine: Vec<&(String, String, AssignmentStatus, Competency)> =
                rows.iter().filter(|r| r.3 == *c).collect();
            let delivered: Vec<&&(String, String, AssignmentStatus, Competency)> = mine
                .iter()
                .filter(|r| r.2 == AssignmentStatus::Delivered)
                .collect();
            CompetencyCounts {
                competency: *c,
                assigned: mine.len() as i64,
                delivered: delivered.len() as i64,
                completed: delivered
                    .iter()
                    .map(|r| done.get(&r.0).copied().unwrap_or(0))
                    .sum(),
                expected: delivered
                    .iter()
                    .map(|r| enrolled.get(&r.1).copied().unwrap_or(0))
                    .sum(),
            }
        })
        .collect())
}

pub fn competency_activity(
    conn: &mut DbConnection,
    school_id: &str,
    term_id: &str,
) -> Result<Vec<CompetencyActivity>, ApiError> {
    let class_ids = classes_in_term(conn, &[school_id.to_owned()], term_id)?;
    Ok(competency_counts(conn, &class_ids)?
        .into_iter()
        .map(|c| CompetencyActivity {
            competency: c.competency,
            assigned: c.assigned,
            delivered: c.delivered,
            completion_rate: rate(c.completed, c.expected),
        })
        .collect())
}
