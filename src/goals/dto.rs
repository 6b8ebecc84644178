//! What the goals API reads and writes.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::metric::{Direction, Metric};
use super::vocab::{GoalKind, GoalState, GoalStatus, ReviewCadence, StudentMeasure};
use crate::rosters::dto::validate_not_blank;
use crate::rosters::models::PersonRef;

/// A strategy a goal relies on: a lesson plan, a mentoring program, or a line of text (exactly
/// one of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StrategyInput {
    #[validate(length(min = 1, max = 64))]
    pub lesson_plan_id: Option<String>,
    #[validate(length(min = 1, max = 64))]
    pub mentoring_program_id: Option<String>,
    /// Up to 500 characters.
    #[validate(length(min = 1, max = 500), custom(function = "validate_not_blank"))]
    pub note: Option<String>,
}

/// A strategy as stored and shown: its link and, for a plan or program, its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Strategy {
    pub lesson_plan_id: Option<String>,
    pub mentoring_program_id: Option<String>,
    pub note: Option<String>,
    /// The plan's title or the program's name when the goal was last changed.
    pub title: Option<String>,
}

/// Where a baseline comes from: a closed survey window (climate goals) or an ended term (lesson
/// and mentoring goals).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BaselineInput {
    #[validate(length(min = 1, max = 64))]
    pub window_id: Option<String>,
    #[validate(length(min = 1, max = 64))]
    pub term_id: Option<String>,
}

/// A new school or district goal.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalInput {
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub title: String,
    /// The school; absent: a district goal (district administrators only).
    #[validate(length(min = 1, max = 64))]
    pub school_id: Option<String>,
    pub metric: Metric,
    #[validate(nested)]
    pub baseline: BaselineInput,
    /// The value aimed for, in the metric's unit, beyond the baseline in the metric's direction.
    pub target: f64,
    /// When the target should be reached; after the baseline was measured.
    pub deadline: NaiveDate,
    pub cadence: ReviewCadence,
    /// Who reviews it (default: you): an administrator or counselor of the school, or a
    /// district administrator.
    #[validate(length(min = 1, max = 64))]
    pub owner_id: Option<String>,
    #[serde(default)]
    #[validate(length(max = 20), nested)]
    pub strategies: Vec<StrategyInput>,
}

/// A change to a goal; each change makes a new version in its history. What a goal measures and
/// its baseline never change: set a new goal instead.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalPatch {
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub title: Option<String>,
    pub target: Option<f64>,
    pub deadline: Option<NaiveDate>,
    pub cadence: Option<ReviewCadence>,
    /// Student goals: the next review with the student.
    pub review_on: Option<NaiveDate>,
    #[validate(length(min = 1, max = 64))]
    pub owner_id: Option<String>,
    #[validate(length(max = 20), nested)]
    pub strategies: Option<Vec<StrategyInput>>,
    /// `closed` ends the goal (it stays readable); `active` takes it up again.
    pub state: Option<GoalState>,
}

/// A student's personal goal, set by a counselor with the student.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StudentGoalInput {
    /// In the student's words ("Use my calm-down plan when I get upset").
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub title: String,
    pub measure: StudentMeasure,
    /// Per week: times used (1–350), days (1–7), or at most this many minutes to calm (1–240).
    #[schema(minimum = 1, maximum = 350)]
    pub weekly_target: i32,
    /// When to look at it together next: after today, within a year.
    pub review_on: NaiveDate,
    #[serde(default)]
    #[validate(length(max = 20), nested)]
    pub strategies: Vec<StrategyInput>,
}

/// One day's log towards your goal.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressInput {
    /// Times used (0–50), minutes to calm (0–240), or 1 (yes) / 0 (no).
    #[schema(minimum = 0, maximum = 240)]
    pub value: i32,
    /// Today by default, or an earlier day of this week.
    pub on: Option<NaiveDate>,
    /// Log it with that day's check-in (`PUT /me/check-ins` first): the log is linked to it,
    /// so a client can offer "and how did your goal go?" right after checking in.
    #[serde(default)]
    pub with_check_in: bool,
}

/// A review of a goal: what happened and what changes. Changing the target, deadline or
/// strategies here makes a new version of the goal, linked to the review.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    #[validate(length(min = 1, max = 2000), custom(function = "validate_not_blank"))]
    pub what_happened: String,
    #[validate(length(min = 1, max = 2000), custom(function = "validate_not_blank"))]
    pub what_changes: String,
    pub target: Option<f64>,
    pub deadline: Option<NaiveDate>,
    #[validate(length(max = 20), nested)]
    pub strategies: Option<Vec<StrategyInput>>,
    /// Student goals: the next review with the student.
    pub next_review_on: Option<NaiveDate>,
}

/// A value of a goal's metric: where it comes from, and its interval and n where it has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Measurement {
    /// The closed window it was measured by (climate goals) …
    pub window_id: Option<String>,
    /// … or the term (lesson and mentoring goals).
    pub term_id: Option<String>,
    /// The window's or term's title.
    pub source: String,
    /// When: the window's closing day, or the term's last day (today for a term under way).
    pub measured_on: NaiveDate,
    /// Null when withheld.
    pub value: Option<f64>,
    /// 95% interval (climate figures, as the reports compute them); null for counts of records,
    /// which are exact.
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Respondents (climate), student-lessons (completion), classes (lessons delivered) or
    /// active matches (on cadence) the value is over.
    pub n: Option<u64>,
    /// Why the value is withheld or missing ("suppressed: a small cell …").
    pub withheld: Option<String>,
}

/// Where a school or district goal stands, computed from the data on every read.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Progress {
    pub status: GoalStatus,
    /// Why, in words, by the rule in the README ("Goals and reviews").
    pub reason: String,
    /// The newest measurement since the baseline, if any.
    pub latest: Option<Measurement>,
    /// Where the straight path from the baseline to the target stands at the latest
    /// measurement's day.
    pub expected: Option<f64>,
    /// Every measurement since the baseline, oldest first.
    pub path: Vec<Measurement>,
}

/// A week of a student goal's logs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalWeek {
    /// Monday.
    pub week_of: NaiveDate,
    #[schema(minimum = 0, maximum = 7)]
    pub days_logged: i64,
    /// The week's total (times used), mean (minutes to calm) or days (yes days); null without
    /// a log.
    pub value: Option<f64>,
    /// Whether the week reached the weekly target; null for the week under way not reached yet
    /// and for weeks without a log.
    pub met: Option<bool>,
}

/// When a goal is reviewed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewSchedule {
    /// The review point due and not yet reviewed, if any.
    pub due_on: Option<NaiveDate>,
    pub next_on: Option<NaiveDate>,
    #[serde(serialize_with = "crate::dates::utc_opt")]
    pub last_reviewed_at: Option<NaiveDateTime>,
}

/// A goal: a school's or the district's (with its metric, baseline, deadline, cadence and
/// progress) or a student's (with the measure they log and their weekly trend).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Goal {
    pub id: String,
    pub kind: GoalKind,
    pub school_id: Option<String>,
    pub title: String,
    pub owner: PersonRef,
    pub strategies: Vec<Strategy>,
    pub state: GoalState,
    #[schema(minimum = 1)]
    pub version: i32,
    /// School and district goals: per the metric's unit; student goals: per week.
    pub target: f64,
    pub reviews: ReviewSchedule,
    #[serde(serialize_with = "crate::dates::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::dates::utc")]
    pub updated_at: NaiveDateTime,
    pub metric: Option<Metric>,
    pub unit: String,
    pub direction: Option<Direction>,
    pub baseline: Option<Measurement>,
    pub deadline: Option<NaiveDate>,
    pub cadence: Option<ReviewCadence>,
    pub progress: Option<Progress>,
    /// Student goals.
    pub student: Option<PersonRef>,
    pub measure: Option<StudentMeasure>,
    pub review_on: Option<NaiveDate>,
    /// Student goals: the last eight weeks, newest first.
    pub weeks: Vec<GoalWeek>,
}

/// A goal's changeable terms as of one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GoalTerms {
    pub title: String,
    pub target: f64,
    pub deadline: Option<NaiveDate>,
    pub cadence: Option<ReviewCadence>,
    pub review_on: Option<NaiveDate>,
    pub owner_id: String,
    pub strategies: Vec<Strategy>,
    pub state: GoalState,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalVersion {
    #[schema(minimum = 1)]
    pub version: i32,
    pub terms: GoalTerms,
    pub changed_by: PersonRef,
    #[serde(serialize_with = "crate::dates::utc")]
    pub changed_at: NaiveDateTime,
    /// The review that made this version, if a review did.
    pub review_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Review {
    pub id: String,
    pub goal_id: String,
    pub due_on: Option<NaiveDate>,
    pub reviewed_by: PersonRef,
    #[serde(serialize_with = "crate::dates::utc")]
    pub reviewed_at: NaiveDateTime,
    pub what_happened: String,
    pub what_changes: String,
    /// The goal's status when reviewed.
    pub status: GoalStatus,
    /// The metric's latest value when reviewed (school and district goals).
    pub value: Option<f64>,
    #[schema(minimum = 1)]
    pub version_before: i32,
    #[schema(minimum = 1)]
    pub version_after: i32,
}

/// A goal with its history and reviews.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalDetail {
    pub goal: Goal,
    /// Every version, oldest first.
    pub history: Vec<GoalVersion>,
    /// Newest first (none for teachers: what was said at a review stays between the counselor
    /// and the student).
    pub reviews: Vec<Review>,
}

/// A school's (or the district's own) goals counted by status.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct StatusCounts {
    /// Null: the district's own goals.
    pub school_id: Option<String>,
    pub name: String,
    pub on_track: u32,
    pub at_risk: u32,
    pub met: u32,
    pub not_met: u32,
    pub not_measurable: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalList {
    pub goals: Vec<Goal>,
    /// Active goals per school by status (and the district's own), the district roll-up.
    pub rollup: Vec<StatusCounts>,
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GoalsQuery {
    /// Only this school's goals.
    #[validate(length(min = 1, max = 64))]
    pub school_id: Option<String>,
    /// Only goals in this state (default: every state).
    pub state: Option<GoalState>,
}

/// A review due and not yet recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DueReview {
    pub goal_id: String,
    pub kind: GoalKind,
    pub title: String,
    pub school_id: Option<String>,
    /// Student goals (listed for their counselor only).
    pub student: Option<PersonRef>,
    pub owner: PersonRef,
    pub due_on: NaiveDate,
    pub status: GoalStatus,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewsDue {
    pub due: Vec<DueReview>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentGoals {
    pub student: PersonRef,
    pub goals: Vec<Goal>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyGoals {
    /// Who can see your goals and what you log.
    pub who_can_see: String,
    pub goals: Vec<Goal>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reviews {
    /// Newest first.
    pub reviews: Vec<Review>,
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReviewsDueQuery {
    /// Only this school's goals.
    #[validate(length(min = 1, max = 64))]
    pub school_id: Option<String>,
}
