//! Request bodies and query parameters of the mentoring routes, with their validation rules.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::models::Slot;
use super::vocab::{ClosureReason, Interest, MatchStatus, ParticipantRole, Topic};
use crate::pagination::paged;
use crate::rosters::dto::validate_not_blank;

fn validate_grades(grades: &[i32]) -> Result<(), ValidationError> {
    if grades.is_empty() || grades.len() > 13 || grades.iter().any(|g| !(0..=12).contains(g)) {
        return Err(ValidationError::new("grades")
            .with_message("1 to 13 grades, each from 0 (kindergarten) to 12".into()));
    }
    Ok(())
}

/// A new program in the caller's school.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "program_rules"))]
pub struct NewProgram {
    /// Optional: programs are created in the caller's own school (counselors and school
    /// administrators); another school's id is refused.
    #[validate(length(min = 1, max = 64))]
    pub school_id: Option<String>,
    #[validate(length(min = 1, max = 200), custom(function = "validate_not_blank"))]
    pub name: String,
    #[validate(length(max = 4000))]
    #[serde(default)]
    pub goals: String,
    #[validate(custom(function = "validate_grades"))]
    #[schema(minimum = 0, maximum = 12)]
    pub mentor_grades: Vec<i32>,
    #[validate(custom(function = "validate_grades"))]
    #[schema(minimum = 0, maximum = 12)]
    pub mentee_grades: Vec<i32>,
    /// A mentor must be at least this many grades above the mentee (default 1).
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub min_grade_gap: Option<i32>,
    /// The gap suggestions prefer (default: the minimum gap plus one).
    #[validate(range(min = 0, max = 12))]
    #[schema(minimum = 0, maximum = 12)]
    pub preferred_grade_gap: Option<i32>,
    /// Most mentees per mentor, 1 to 4.
    #[validate(range(min = 1, max = 4))]
    #[schema(minimum = 1, maximum = 4)]
    pub mentor_capacity: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl NewProgram {
    pub fn min_gap(&self) -> i32 {
        self.min_grade_gap.unwrap_or(1)
    }

    pub fn preferred_gap(&self) -> i32 {
        self.preferred_grade_gap.unwrap_or(self.min_gap() + 1)
    }
}

fn program_rules(p: &NewProgram) -> Result<(), ValidationError> {
    if p.ends_on < p.starts_on {
        return Err(ValidationError::new("ends_on")
            .with_message("ends_on must not be before starts_on".into()));
    }
    if p.preferred_gap() < p.min_gap() {
        return Err(ValidationError::new("preferred_grade_gap")
            .with_message("preferred_grade_gap must not be below min_grade_gap".into()));
    }
    let possible = p
        .mentor_grades
        .iter()
        .any(|m| p.mentee_grades.iter().any(|e| m - e >= p.min_gap()));
    if !possible {
        return Err(ValidationError::new("mentor_grades").with_message(
            "no mentor grade is min_grade_gap or more above any mentee grade".into(),
        ));
    }
    Ok(())
}

/// Enrol a student of the program's school as mentor or mentee.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParticipant {
    #[validate(length(min = 1, max = 64))]
    pub student_id: String,
    pub role: ParticipantRole,
    #[validate(length(max = 12))]
    #[serde(default)]
    pub interests: Vec<Interest>,
    /// When the student can meet (at least one slot).
    #[validate(length(min = 1, max = 15))]
    pub availability: Vec<Slot>,
    /// Mentors only: mentees this mentor may take, at most the program's capacity (default).
    #[validate(range(min = 1, max = 4))]
    #[schema(minimum = 1, maximum = 4)]
    pub capacity: Option<i32>,
}

#[derive(Debug, Clone, Copy, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ParticipantFilter {
    pub role: Option<ParticipantRole>,
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

paged!(ParticipantFilter);

/// Two students of your school who must never be matched.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDoNotMatch {
    #[validate(length(min = 1, max = 64))]
    pub student_a_id: String,
    #[validate(length(min = 1, max = 64))]
    pub student_b_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairRequest {
    #[validate(length(min = 1, max = 64))]
    pub mentor_id: String,
    #[validate(length(min = 1, max = 64))]
    pub mentee_id: String,
}

/// The state new matches start in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InitialStatus {
    Proposed,
    Active,
}

/// Accept suggested pairs (all or some) or make pairs by hand: all are written, or none.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMatches {
    #[validate(length(min = 1, max = 500), nested)]
    pub matches: Vec<PairRequest>,
    /// `proposed` (default) or `active`.
    pub status: Option<InitialStatus>,
    /// Start day of active matches (default today; not in the future).
    pub started_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MatchFilter {
    pub status: Option<MatchStatus>,
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

paged!(MatchFilter);

/// The target state of a match change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchTransition {
    Active,
    Closed,
}

/// Start a proposed match, or close a match with a reason.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchPatch {
    pub status: MatchTransition,
    /// For `active`: the first day (default today, not in the future).
    pub started_on: Option<NaiveDate>,
    /// For `closed`: the last day (default today, not in the future, not before the start).
    pub closed_on: Option<NaiveDate>,
    /// Required for `closed`.
    pub closure_reason: Option<ClosureReason>,
    #[validate(length(max = 2000), custom(function = "validate_not_blank"))]
    pub closure_note: Option<String>,
}

/// A meeting the mentor (or a counselor for them) logs.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeeting {
    /// Not before the match began, not in the future.
    pub met_on: NaiveDate,
    #[validate(range(min = 1, max = 600))]
    #[schema(minimum = 1, maximum = 600)]
    pub minutes: i32,
    #[validate(length(min = 1, max = 7))]
    pub topics: Vec<Topic>,
    /// For the counselor; never shown to the mentee.
    #[validate(length(max = 2000), custom(function = "validate_not_blank"))]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AttentionFilter {
    /// District administrators: one school only.
    #[validate(length(min = 1, max = 64))]
    pub school_id: Option<String>,
}
