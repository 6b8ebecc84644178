//! A goal's history: every version of its terms (the first included), the reviews, and the
//! audit trail of changes and of staff reads of a student's goal.

use serde_json::json;

use super::dto::{GoalTerms, GoalVersion, Review};
use super::models::{GoalRow, ReviewRow, VersionRow};
use super::queries;
use super::vocab::GoalKind;
use crate::accounts::{Caller, Role};
use crate::audit;
use crate::db::{self, DbConnection};
use crate::error::ApiError;

pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::internal(e.to_string()))
}

/// Stores a new goal with its terms as version 1, and records it in the audit trail with
/// `details` (the goal's id and kind, and what else the trail's readers may know).
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    row: &GoalRow,
    details: serde_json::Value,
) -> Result<(), ApiError> {
    queries::insert_goal(conn, row)?;
    first_version(conn, row, caller)?;
    audit::record(conn, caller, "goal.created", details)
}

/// Records a new goal's terms as its version 1.
fn first_version(conn: &mut DbConnection, row: &GoalRow, caller: &Caller) -> Result<(), ApiError> {
    queries::insert_version(
        conn,
        &VersionRow {
            goal_id: row.id.clone(),
            version: 1,
            body: to_json(&row.terms()?)?,
            changed_by: caller.user_id.clone(),
            changed_at: row.created_at,
            review_id: None,
        },
    )
}

/// Stores new terms of a goal as its next version (nothing when they are the same), checked
/// first; `review_id` links a version made at a review.
pub fn change(
    conn: &mut DbConnection,
    caller: &Caller,
    row: GoalRow,
    terms: &GoalTerms,
    today: chrono::NaiveDate,
    review_id: Option<&str>,
    review_field: &str,
) -> Result<GoalRow, ApiError> {
    if *terms == row.terms()? {
        return Ok(row);
    }
    super::terms::check(conn, &row, terms, today, review_field)?;
    let before = row.version;
    let mut next = row.with_terms(terms);
    next.version = before + 1;
    next.updated_at = db::now();
    queries::update_terms(conn, &next, before)?;
    queries::insert_version(
        conn,
        &VersionRow {
            goal_id: next.id.clone(),
            version: next.version,
            body: to_json(terms)?,
            changed_by: caller.user_id.clone(),
            changed_at: next.updated_at,
            review_id: review_id.map(str::to_owned),
        },
    )?;
    audit::record(
        conn,
        caller,
        "goal.changed",
        json!({"goal_id": next.id, "version": next.version}),
    )?;
    Ok(next)
}

/// Staff reads of a student's goal are audited as reads of what a named child wrote; reads of
/// school and district goals as reads of the figures they show.
pub fn audit_read(conn: &mut DbConnection, caller: &Caller, row: &GoalRow) -> Result<(), ApiError> {
    match row.kind {
        GoalKind::Student if caller.role == Role::Student => Ok(()),
        GoalKind::Student => audit::record(
            conn,
            caller,
            "student_goals.read",
            json!({"goal_ids": [row.id]}),
        ),
        _ => audit::record(conn, caller, "goals.read", json!({"goal_id": row.id})),
    }
}

pub fn review_view(
    row: ReviewRow,
    people: &std::collections::HashMap<String, crate::rosters::models::PersonRef>,
) -> Review {
    Review {
        reviewed_by: people.get(&row.reviewed_by).cloned().unwrap_or_else(|| {
            crate::rosters::models::PersonRef {
                id: row.reviewed_by.clone(),
                given_name: String::new(),
                family_name: String::new(),
            }
        }),
        id: row.id,
        goal_id: row.goal_id,
        due_on: row.due_on,
        reviewed_at: row.reviewed_at,
        what_happened: row.what_happened,
        what_changes: row.what_changes,
        status: row.status,
        value: row.value,
        version_before: row.version_before,
        version_after: row.version_after,
    }
}

/// A goal's versions (oldest first) and reviews (newest first).
pub fn of(
    conn: &mut DbConnection,
    goal_id: &str,
) -> Result<(Vec<GoalVersion>, Vec<Review>), ApiError> {
    let versions = queries::versions(conn, goal_id)?;
    let reviews = queries::reviews(conn, goal_id)?;
    let mut ids: Vec<&str> = versions.iter().map(|v| v.changed_by.as_str()).collect();
    ids.extend(reviews.iter().map(|r| r.reviewed_by.as_str()));
    let people = queries::people(conn, &ids)?;
    let versions = versions
        .into_iter()
        .map(|v| {
            Ok(GoalVersion {
                version: v.version,
                terms: v.terms()?,
                changed_by: people.get(&v.changed_by).cloned().unwrap_or_else(|| {
                    crate::rosters::models::PersonRef {
                        id: v.changed_by.clone(),
                        given_name: String::new(),
                        family_name: String::new(),
                    }
                }),
                changed_at: v.changed_at,
                review_id: v.review_id,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let reviews = reviews
        .into_iter()
        .map(|r| review_view(r, &people))
        .collect();
    Ok((versions, reviews))
}
