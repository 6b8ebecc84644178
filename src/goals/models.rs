//! Goal rows as stored.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::dto::{GoalTerms, Measurement, Strategy};
use super::metric::Metric;
use super::vocab::{GoalKind, GoalState, GoalStatus, ReviewCadence, StudentMeasure};
use crate::db::schema::{goal_reviews, goal_versions, goals, student_goal_progress};
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = goals)]
pub struct GoalRow {
    pub id: String,
    pub district_id: String,
    pub kind: GoalKind,
    pub school_id: Option<String>,
    pub student_id: Option<String>,
    pub title: String,
    pub metric: Option<String>,
    pub baseline: Option<String>,
    pub measure: Option<StudentMeasure>,
    pub target: f64,
    pub deadline: Option<NaiveDate>,
    pub cadence: Option<ReviewCadence>,
    pub review_on: Option<NaiveDate>,
    pub owner_id: String,
    pub strategies: String,
    pub state: GoalState,
    pub version: i32,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

fn stored<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<T, ApiError> {
    serde_json::from_str(json).map_err(|e| ApiError::internal(format!("stored goal {what}: {e}")))
}

impl GoalRow {
    pub fn metric(&self) -> Result<Option<Metric>, ApiError> {
        self.metric
            .as_deref()
            .map(|m| stored(m, "metric"))
            .transpose()
    }

    pub fn baseline(&self) -> Result<Option<Measurement>, ApiError> {
        self.baseline
            .as_deref()
            .map(|m| stored(m, "baseline"))
            .transpose()
    }

    pub fn strategies(&self) -> Result<Vec<Strategy>, ApiError> {
        stored(&self.strategies, "strategies")
    }

    pub fn terms(&self) -> Result<GoalTerms, ApiError> {
        Ok(GoalTerms {
            title: self.title.clone(),
            target: self.target,
            deadline: self.deadline,
            cadence: self.cadence,
            review_on: self.review_on,
            owner_id: self.owner_id.clone(),
            strategies: self.strategies()?,
            state: self.state,
        })
    }

    /// The row with these terms.
    pub fn with_terms(mut self, terms: &GoalTerms) -> GoalRow {
        self.title = terms.title.clone();
        self.target = terms.target;
        self.deadline = terms.deadline;
        self.cadence = terms.cadence;
        self.review_on = terms.review_on;
        self.owner_id = terms.owner_id.clone();
        self.strategies = serde_json::to_string(&terms.strategies).unwrap_or_else(|_| "[]".into());
        self.state = terms.state;
        self
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = goal_versions)]
pub struct VersionRow {
    pub goal_id: String,
    pub version: i32,
    pub body: String,
    pub changed_by: String,
    pub changed_at: NaiveDateTime,
    pub review_id: Option<String>,
}

impl VersionRow {
    pub fn terms(&self) -> Result<GoalTerms, ApiError> {
        stored(&self.body, "version")
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = goal_reviews)]
pub struct ReviewRow {
    pub id: String,
    pub goal_id: String,
    pub due_on: Option<NaiveDate>,
    pub reviewed_by: String,
    pub reviewed_at: NaiveDateTime,
    pub what_happened: String,
    pub what_changes: String,
    pub status: GoalStatus,
    pub value: Option<f64>,
    pub version_before: i32,
    pub version_after: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = student_goal_progress)]
pub struct ProgressRow {
    pub id: String,
    pub goal_id: String,
    pub on_day: NaiveDate,
    pub value: i32,
    pub check_in_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
