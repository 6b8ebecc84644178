//! Request bodies and query parameters of the lesson routes, with their validation rules.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::models::{OwnerLevel, PlanContent, Step, VersionStatus};
use super::vocab::{Competency, Component, Emotion, GradeBand};
use crate::pagination::paged;
use crate::rosters::dto::validate_not_blank;

pub const MAX_REFLECTION_CHARS: usize = 1000;

/// Changes to a plan. Editing a published plan starts a new draft version; existing
/// assignments keep the version they were made from.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub competency: Option<Competency>,
    pub component: Option<Component>,
    pub grade_band: Option<GradeBand>,
    #[schema(minimum = 1, maximum = 480)]
    pub duration_minutes: Option<i32>,
    pub objectives: Option<Vec<String>>,
    pub materials: Option<Vec<String>>,
    pub steps: Option<Vec<Step>>,
    pub reflection_prompt: Option<String>,
    /// True hides the plan from search and from new assignments; existing assignments keep working.
    pub archived: Option<bool>,
}

impl PlanPatch {
    pub fn changes_content(&self) -> bool {
        self.title.is_some()
            || self.summary.is_some()
            || self.competency.is_some()
            || self.component.is_some()
            || self.grade_band.is_some()
            || self.duration_minutes.is_some()
            || self.objectives.is_some()
            || self.materials.is_some()
            || self.steps.is_some()
            || self.reflection_prompt.is_some()
    }

    pub fn apply(self, mut c: PlanContent) -> PlanContent {
        if let Some(v) = self.title {
            c.title = v;
        }
        if let Some(v) = self.summary {
            c.summary = v;
        }
        if let Some(v) = self.competency {
            c.competency = v;
        }
        if let Some(v) = self.component {
            c.component = v;
        }
        if let Some(v) = self.grade_band {
            c.grade_band = v;
        }
        if let Some(v) = self.duration_minutes {
            c.duration_minutes = v;
        }
        if let Some(v) = self.objectives {
            c.objectives = v;
        }
        if let Some(v) = self.materials {
            c.materials = v;
        }
        if let Some(v) = self.steps {
            c.steps = v;
        }
        if let Some(v) = self.reflection_prompt {
            c.reflection_prompt = v;
        }
        c
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanFilter {
    pub competency: Option<Competency>,
    pub component: Option<Component>,
    pub grade_band: Option<GradeBand>,
    /// Plans of at most this many minutes.
    #[validate(range(min = 1, max = 480))]
    #[param(minimum = 1, maximum = 480)]
    pub max_duration: Option<i32>,
    /// Whose plans: the district library, the school's, or one's own.
    pub owner: Option<OwnerLevel>,
    /// `published` (default): the library. `draft`: drafts the caller may edit.
    pub status: Option<VersionStatus>,
    /// Include archived plans (default false).
    pub archived: Option<bool>,
    /// Words that must all appear in the title, summary or objectives (case-insensitive).
    #[validate(length(min = 1, max = 200))]
    pub q: Option<String>,
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

paged!(PlanFilter);

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    /// A published, unarchived plan; its newest published version is pinned.
    #[validate(length(min = 1, max = 64))]
    pub plan_id: String,
    /// The day the lesson is planned for (within the class's term).
    pub scheduled_on: NaiveDate,
    /// Optional day students should complete it by (within the term, not before `scheduled_on`).
    pub due_on: Option<NaiveDate>,
}

/// Reschedule, cancel or reinstate, or record delivery.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentPatch {
    pub scheduled_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    /// `cancelled` cancels, `scheduled` reinstates. Delivery is recorded with `delivered_on`.
    pub status: Option<AssignmentStatusChange>,
    /// Records that the lesson was taught on this day (not in the future).
    pub delivered_on: Option<NaiveDate>,
    #[validate(length(max = 2000), custom(function = "validate_not_blank"))]
    pub teacher_note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatusChange {
    Scheduled,
    Cancelled,
}

/// A student's completion, with an optional reflection.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompletionRequest {
    /// How the student feels after the lesson, from the fixed vocabulary.
    pub emotion: Option<Emotion>,
    /// Optional words, seen only by the student and the class's teachers.
    #[validate(custom(function = "validate_reflection"))]
    pub reflection: Option<String>,
}

fn validate_reflection(text: &str) -> Result<(), ValidationError> {
    if text.chars().count() > MAX_REFLECTION_CHARS {
        return Err(ValidationError::new("length")
            .with_message(format!("must be at most {MAX_REFLECTION_CHARS} characters").into()));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MyAssignmentState {
    /// Scheduled after today, not yet completed.
    Upcoming,
    /// Scheduled today or earlier, not yet completed.
    Due,
    /// Completed.
    Done,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MyAssignmentsFilter {
    pub state: Option<MyAssignmentState>,
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}
paged!(MyAssignmentsFilter);

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TermQuery {
    /// Term to report on; defaults to the term running today (or the most recent one).
    #[validate(length(min = 1, max = 64))]
    pub term_id: Option<String>,
}
