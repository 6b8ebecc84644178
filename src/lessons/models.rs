//! Lesson rows as stored, and the shapes the API returns for them.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::rosters::dto::validate_not_blank;

use super::vocab::{Competency, Component, Emotion, GradeBand};
use crate::db::schema::{assignments, lesson_completions, lesson_plan_versions, lesson_plans};
use crate::vocab::vocabulary;

/// Who owns a plan, and so who sees and edits it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum OwnerLevel {
    /// The district library: published by district administrators, seen by all staff.
    District,
    /// A school's plans: written by its administrators and counselors, seen by its staff.
    School,
    /// A teacher's own plans, seen only by that teacher.
    Private,
}

impl OwnerLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerLevel::District => "district",
            OwnerLevel::School => "school",
            OwnerLevel::Private => "private",
        }
    }

    pub fn parse(s: &str) -> Option<OwnerLevel> {
        match s {
            "district" => Some(OwnerLevel::District),
            "school" => Some(OwnerLevel::School),
            "private" => Some(OwnerLevel::Private),
            _ => None,
        }
    }
}

crate::db::text_enum!(OwnerLevel);

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lesson_plans)]
pub struct PlanRow {
    pub id: String,
    pub district_id: String,
    pub school_id: Option<String>,
    pub owner_level: OwnerLevel,
    pub created_by: String,
    pub archived: bool,
    pub latest_version: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lesson_plan_versions)]
pub struct VersionRow {
    pub id: String,
    pub plan_id: String,
    pub version: i32,
    pub status: VersionStatus,
    pub title: String,
    pub summary: String,
    pub competency: Competency,
    pub component: Component,
    pub grade_band: GradeBand,
    pub duration_minutes: i32,
    pub objectives: String,
    pub materials: String,
    pub steps: String,
    pub reflection_prompt: String,
    pub search_text: String,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub title: String,
    #[validate(range(min = 1, max = 240))]
    #[schema(minimum = 1, maximum = 240)]
    pub minutes: i32,
    #[validate(length(min = 1, max = 4000), custom(function = "validate_not_blank"))]
    pub instructions: String,
}

/// The teachable content of a plan version (also the body that creates a plan).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate, PartialEq)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "steps_add_up", skip_on_field_errors = false))]
pub struct PlanContent {
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub title: String,
    #[validate(length(min = 1, max = 2000), custom(function = "validate_not_blank"))]
    pub summary: String,
    pub competency: Competency,
    pub component: Component,
    pub grade_band: GradeBand,
    /// Total minutes; must equal the sum of the steps' minutes.
    #[validate(range(min = 1, max = 480))]
    #[schema(minimum = 1, maximum = 480)]
    pub duration_minutes: i32,
    #[validate(length(min = 1, max = 10), custom(function = "validate_items"))]
    pub objectives: Vec<String>,
    #[validate(length(max = 20), custom(function = "validate_items"))]
    pub materials: Vec<String>,
    #[validate(length(min = 1, max = 20), nested)]
    pub steps: Vec<Step>,
    #[validate(length(min = 1, max = 500), custom(function = "validate_not_blank"))]
    pub reflection_prompt: String,
}

fn validate_items(items: &[String]) -> Result<(), ValidationError> {
    if items
        .iter()
        .any(|i| i.trim().is_empty() || i.chars().count() > 500)
    {
        return Err(ValidationError::new("items")
            .with_message("each item must be 1 to 500 characters".into()));
    }
    Ok(())
}

/// Reported against `duration_minutes` (the struct-level error's code names the field).
fn steps_add_up(c: &PlanContent) -> Result<(), ValidationError> {
    let total: i64 = c.steps.iter().map(|s| i64::from(s.minutes)).sum();
    if total == i64::from(c.duration_minutes) {
        Ok(())
    } else {
        Err(ValidationError::new("duration_minutes").with_message(
            format!(
                "the steps add up to {total} minutes, not {}",
                c.duration_minutes
            )
            .into(),
        ))
    }
}

vocabulary!(
    VersionStatus {
        Draft = "draft",
        Published = "published",
    }
);

/// One version of a plan: published versions never change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanVersion {
    pub id: String,
    #[schema(minimum = 1)]
    pub version: i32,
    pub status: VersionStatus,
    #[serde(flatten)]
    pub content: PlanContent,
    #[serde(serialize_with = "crate::dates::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::dates::utc")]
    pub updated_at: NaiveDateTime,
}

impl VersionRow {
    pub fn content(&self) -> PlanContent {
        PlanContent {
            title: self.title.clone(),
            summary: self.summary.clone(),
            competency: self.competency,
            component: self.component,
            grade_band: self.grade_band,
            duration_minutes: self.duration_minutes,
            objectives: serde_json::from_str(&self.objectives).unwrap_or_default(),
            materials: serde_json::from_str(&self.materials).unwrap_or_default(),
            steps: serde_json::from_str(&self.steps).unwrap_or_default(),
            reflection_prompt: self.reflection_prompt.clone(),
        }
    }

    pub fn to_api(&self) -> PlanVersion {
        PlanVersion {
            id: self.id.clone(),
            version: self.version,
            status: self.status,
            content: self.content(),
            published_at: self.published_at,
            updated_at: self.updated_at,
        }
    }
}

/// A plan with what the caller may see of it: the newest published version, and the
/// working draft if the caller may edit the plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LessonPlan {
    pub id: String,
    pub owner_level: OwnerLevel,
    pub school_id: Option<String>,
    pub created_by: String,
    pub archived: bool,
    /// Whether the caller may edit, publish and archive this plan.
    pub editable: bool,
    pub published: Option<PlanVersion>,
    pub draft: Option<PlanVersion>,
    #[serde(serialize_with = "crate::dates::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::dates::utc")]
    pub updated_at: NaiveDateTime,
}

/// A search hit: one version of a plan, summarised.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanSummary {
    pub plan_id: String,
    pub version_id: String,
    #[schema(minimum = 1)]
    pub version: i32,
    pub status: VersionStatus,
    pub owner_level: OwnerLevel,
    pub archived: bool,
    pub title: String,
    pub summary: String,
    pub competency: Competency,
    pub component: Component,
    pub grade_band: GradeBand,
    #[schema(minimum = 1, maximum = 480)]
    pub duration_minutes: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = assignments)]
pub struct AssignmentRow {
    pub id: String,
    pub class_id: String,
    pub plan_id: String,
    pub plan_version_id: String,
    pub assigned_by: String,
    pub scheduled_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
    pub status: AssignmentStatus,
    pub delivered_on: Option<NaiveDate>,
    pub teacher_note: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

vocabulary!(
    AssignmentStatus {
        Scheduled = "scheduled",
        Delivered = "delivered",
        Cancelled = "cancelled",
    }
);

/// A lesson assigned to a class, pinned to the plan version it was made from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assignment {
    pub id: String,
    pub class_id: String,
    pub plan_id: String,
    pub plan_version_id: String,
    #[schema(minimum = 1)]
    pub plan_version: i32,
    pub title: String,
    pub competency: Competency,
    pub grade_band: GradeBand,
    #[schema(minimum = 1, maximum = 480)]
    pub duration_minutes: i32,
    pub assigned_by: String,
    pub scheduled_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
    pub status: AssignmentStatus,
    pub delivered_on: Option<NaiveDate>,
    /// The teacher's delivery note; shown to staff only.
    pub teacher_note: Option<String>,
    #[serde(serialize_with = "crate::dates::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::dates::utc")]
    pub updated_at: NaiveDateTime,
}

/// An assignment with the full content of its pinned plan version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentDetail {
    #[serde(flatten)]
    pub assignment: Assignment,
    pub lesson: PlanContent,
    /// The caller's own completion, for students.
    pub my_completion: Option<Completion>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lesson_completions)]
pub struct CompletionRow {
    pub assignment_id: String,
    pub student_id: String,
    pub emotion: Option<Emotion>,
    pub reflection: Option<String>,
    pub completed_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A student's completion of an assignment, with the optional reflection (seen only by the
/// student and the class's teachers).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Completion {
    pub assignment_id: String,
    pub student_id: String,
    pub emotion: Option<Emotion>,
    pub reflection: Option<String>,
    #[serde(serialize_with = "crate::dates::utc")]
    pub completed_at: NaiveDateTime,
    #[serde(serialize_with = "crate::dates::utc")]
    pub updated_at: NaiveDateTime,
}

impl From<CompletionRow> for Completion {
    fn from(row: CompletionRow) -> Completion {
        Completion {
            emotion: row.emotion,
            assignment_id: row.assignment_id,
            student_id: row.student_id,
            reflection: row.reflection,
            completed_at: row.completed_at,
            updated_at: row.updated_at,
        }
    }
}

/// A completion as the class's teacher reads it, with the student's name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentCompletion {
    pub given_name: String,
    pub family_name: String,
    #[serde(flatten)]
    pub completion: Completion,
}
