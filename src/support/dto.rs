//! What the student-support API reads and writes.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::vocab::{ClosingReason, HelpState, HelpTopic, Urgency};
use crate::lessons::vocab::Emotion;
use crate::rosters::dto::validate_not_blank;
use crate::rosters::models::PersonRef;

/// Today's check-in (or a day's of the past week).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInInput {
    /// How the student feels.
    pub emotion: Emotion,
    /// How strongly, from 1 (a little) to 5 (very).
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub intensity: i32,
    /// What helped, or what is hard (up to 500 characters).
    #[validate(length(min = 1, max = 500), custom(function = "validate_not_blank"))]
    pub note: Option<String>,
    /// The day, in the district's time zone: today by default, or an earlier day of this week
    /// (Monday to today) to fill in a missed one; never in the future nor in an ended week,
    /// whose totals are kept as they were.
    pub on: Option<NaiveDate>,
    /// "I'd like to talk to someone": opens a help request to the school's counselors (one per
    /// check-in; to choose the adult, the topic or "today", use `POST /help-requests`).
    #[serde(default)]
    pub wants_to_talk: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckIn {
    pub id: String,
    pub on: NaiveDate,
    pub emotion: Emotion,
    #[schema(minimum = 1, maximum = 5)]
    pub intensity: i32,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::dates::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

/// A week of check-ins, Monday to Sunday.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckInWeek {
    /// The Monday of the week.
    pub week_of: NaiveDate,
    /// Newest first.
    pub check_ins: Vec<CheckIn>,
    /// Mean intensity of the week's check-ins; null without any.
    pub mean_intensity: Option<f64>,
}

/// Who reads a student's check-ins, in words for the student.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WhoCanRead {
    pub summary: String,
    /// Roles that read each check-in with its note.
    pub individual: Vec<String>,
    /// Roles that see only totals without names.
    pub totals_only: Vec<String>,
}

/// A student's own check-ins.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyCheckIns {
    pub who_can_read: WhoCanRead,
    /// Shown with every check-in: what to do in danger. This is not an emergency service.
    pub crisis_message: String,
    /// Newest week first.
    pub weeks: Vec<CheckInWeek>,
}

/// What recording a check-in did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckInReceipt {
    pub check_in: CheckIn,
    /// True when this replaced the day's earlier check-in.
    pub replaced: bool,
    /// The help request opened with it ("I'd like to talk to someone").
    pub help_request: Option<HelpRequest>,
    pub who_can_read: WhoCanRead,
    pub crisis_message: String,
}

/// A student's check-ins as staff read them (each read is in the audit trail).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentCheckIns {
    pub student: PersonRef,
    /// Newest week first.
    pub weeks: Vec<CheckInWeek>,
}

/// How many weeks back a check-in list or summary covers.
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WeeksQuery {
    /// Weeks up to and including this one (default 8, at most 52).
    #[validate(range(min = 1, max = 52))]
    #[param(minimum = 1, maximum = 52)]
    pub weeks: Option<i64>,
}

/// How many ended weeks a summary covers.
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EndedWeeksQuery {
    /// Ended weeks before this one (default 8, at most 52).
    #[validate(range(min = 1, max = 52))]
    #[param(minimum = 1, maximum = 52)]
    pub weeks: Option<i64>,
}

/// A school's check-in totals: the whole school or one grade.
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SchoolSummaryQuery {
    /// Ended weeks before this one (default 8, at most 52).
    #[validate(range(min = 1, max = 52))]
    #[param(minimum = 1, maximum = 52)]
    pub weeks: Option<i64>,
    /// One grade only (0 is kindergarten).
    #[validate(range(min = 0, max = 12))]
    #[param(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
}

/// One feeling's count in a week: students who reported it at least once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeelingCount {
    pub emotion: Emotion,
    /// Null when withheld (below the threshold, or to protect another withheld count).
    #[schema(minimum = 0)]
    pub students: Option<i64>,
}

/// A group's check-ins in one week, with small counts withheld.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WeekSummary {
    pub week_of: NaiveDate,
    /// Students in the group (when the week's figures were first computed).
    #[schema(minimum = 0)]
    pub students: i64,
    /// Students who checked in at least once that week; null when below the threshold.
    #[schema(minimum = 0)]
    pub checked_in: Option<i64>,
    /// For each feeling, students who reported it at least once that week.
    pub feelings: Vec<FeelingCount>,
    /// Mean over students of each student's mean intensity that week; null when withheld.
    pub mean_intensity: Option<f64>,
    /// Why numbers are missing, when they are.
    pub withheld: Option<String>,
}

/// Check-in totals of a class, a school or a grade, by ended week, each as first computed after
/// the week ended.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckInSummary {
    /// `class`, `school` or `grade`.
    pub scope: String,
    pub id: String,
    #[schema(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
    /// The smallest count shown.
    #[schema(minimum = 0)]
    pub threshold: i64,
    /// Newest week first.
    pub weeks: Vec<WeekSummary>,
}

/// A student whose recent check-ins match the district's rule. Not a diagnosis: a prompt to
/// check in with the student.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentToNotice {
    pub student: PersonRef,
    /// Hard days (distressing feeling at or above the intensity) in the look-back period.
    #[schema(minimum = 0)]
    pub hard_days: i64,
    /// The most recent check-in day.
    pub last_check_in: NaiveDate,
    /// Which parts of the rule matched: `sustained` and/or `sudden_change`.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeList {
    /// The rule, in words.
    pub rule: String,
    pub items: Vec<StudentToNotice>,
}

/// A student's request to talk.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHelpRequest {
    /// The trusted adult (a teacher of the student's current classes or a counselor of their
    /// school, from `GET /me/trusted-adults`); left out: the school's counselors.
    #[validate(length(min = 1, max = 64))]
    pub to: Option<String>,
    pub topic: HelpTopic,
    /// How soon: `today` or `this_week` (default).
    #[serde(default = "this_week")]
    pub urgency: Urgency,
    /// Anything the student wants to say first (up to 1,000 characters).
    #[validate(length(min = 1, max = 1000), custom(function = "validate_not_blank"))]
    pub message: Option<String>,
}

fn this_week() -> Urgency {
    Urgency::ThisWeek
}

/// A staff note on a help request (never shown to the student).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HelpNote {
    pub id: String,
    pub author: PersonRef,
    pub body: String,
    #[serde(serialize_with = "crate::dates::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// A help request. Students see its state and meeting time; staff also see its deadline, who
/// acknowledged it and their notes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HelpRequest {
    pub id: String,
    /// Staff only: who asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student: Option<PersonRef>,
    /// The adult asked; null: the school's counselors.
    pub to: Option<PersonRef>,
    pub topic: HelpTopic,
    pub urgency: Urgency,
    /// What the student wrote. Staff read it in `GET /help-requests/{id}` (audited), not in
    /// lists.
    pub message: Option<String>,
    pub state: HelpState,
    #[serde(serialize_with = "crate::dates::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When someone will meet the student.
    #[serde(serialize_with = "crate::dates::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub meeting_at: Option<NaiveDateTime>,
    pub closing_reason: Option<ClosingReason>,
    /// Staff only: acknowledge by this instant, or the request is escalated.
    #[serde(
        serialize_with = "crate::dates::utc_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acknowledge_by: Option<NaiveDateTime>,
    /// Staff only: not acknowledged in time (now or when it was), so every counselor and the
    /// school's administrators see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalated: Option<bool>,
    /// Staff only: overdue right now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue: Option<bool>,
    /// Staff only: who acknowledged it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<PersonRef>,
    /// Staff only, in `GET /help-requests/{id}`: private notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<HelpNote>>,
    /// Student only: who sees the request, in words for the student.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who_can_see: Option<String>,
    /// The district's message: this is not an emergency service.
    pub crisis_message: String,
}

/// A step of a help request, or a note. Staff move it one step at a time
/// (`acknowledged` → `met` → `closed` with a `closing_reason`) and may add a private `note` or
/// set `meeting_at`; the student may only set `state` to `withdrawn`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HelpRequestPatch {
    pub state: Option<HelpState>,
    /// When someone will meet the student (staff).
    pub meeting_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Required when closing.
    pub closing_reason: Option<ClosingReason>,
    /// A private staff note (up to 2,000 characters), never shown to the student.
    #[validate(length(min = 1, max = 2000), custom(function = "validate_not_blank"))]
    pub note: Option<String>,
}

/// Filters of `GET /help-requests`.
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HelpRequestFilter {
    pub state: Option<HelpState>,
    /// Page number, starting at 1.
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Items per page (default 50, at most 200).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

crate::pagination::paged!(HelpRequestFilter);

/// An adult a student may ask for help.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrustedAdult {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    /// `counselor` or `teacher`.
    pub role: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrustedAdults {
    pub items: Vec<TrustedAdult>,
    pub crisis_message: String,
}
