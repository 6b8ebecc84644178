//! Rows of the mentoring tables and the views the API returns.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::matching::ScoreBreakdown;
use super::vocab::{ClosureReason, Interest, MatchStatus, ParticipantRole, Period, Topic, Weekday};
use crate::db::schema::{
    mentoring_matches, mentoring_meetings, mentoring_participants, mentoring_programs,
};

fn json_list<T: serde::de::DeserializeOwned>(text: &str) -> Vec<T> {
    serde_json::from_str(text).unwrap_or_default()
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mentoring_programs)]
pub struct ProgramRow {
    pub id: String,
    pub district_id: String,
    pub school_id: String,
    pub name: String,
    pub goals: String,
    pub mentor_grades: String,
    pub mentee_grades: String,
    pub min_grade_gap: i32,
    pub preferred_grade_gap: i32,
    pub mentor_capacity: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ProgramRow {
    pub fn mentor_grades(&self) -> Vec<i32> {
        json_list(&self.mentor_grades)
    }

    pub fn mentee_grades(&self) -> Vec<i32> {
        json_list(&self.mentee_grades)
    }

    pub fn grades_for(&self, role: ParticipantRole) -> Vec<i32> {
        match role {
            ParticipantRole::Mentor => self.mentor_grades(),
            ParticipantRole::Mentee => self.mentee_grades(),
        }
    }

    pub fn view(&self) -> Program {
        Program {
            id: self.id.clone(),
            school_id: self.school_id.clone(),
            name: self.name.clone(),
            goals: self.goals.clone(),
            mentor_grades: self.mentor_grades(),
            mentee_grades: self.mentee_grades(),
            min_grade_gap: self.min_grade_gap,
            preferred_grade_gap: self.preferred_grade_gap,
            mentor_capacity: self.mentor_capacity,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
        }
    }
}

/// A school's peer-mentoring program.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Program {
    pub id: String,
    pub school_id: String,
    pub name: String,
    pub goals: String,
    #[schema(minimum = 0, maximum = 12)]
    pub mentor_grades: Vec<i32>,
    #[schema(minimum = 0, maximum = 12)]
    pub mentee_grades: Vec<i32>,
    /// A mentor is at least this many grades above the mentee.
    #[schema(minimum = 0, maximum = 12)]
    pub min_grade_gap: i32,
    /// The gap that scores best in suggestions.
    #[schema(minimum = 0, maximum = 12)]
    pub preferred_grade_gap: i32,
    /// Most mentees one mentor may have at once (1–4).
    #[schema(minimum = 1, maximum = 4)]
    pub mentor_capacity: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// A weekday and part of the school day a participant can meet.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    pub day: Weekday,
    pub period: Period,
}

impl Slot {
    /// The stored and compared form, `monday/lunch`.
    pub fn key(self) -> String {
        format!("{}/{}", self.day.as_str(), self.period.as_str())
    }

    pub fn parse(key: &str) -> Option<Slot> {
        let (day, period) = key.split_once('/')?;
        Some(Slot {
            day: Weekday::parse(day)?,
            period: Period::parse(period)?,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mentoring_participants)]
pub struct ParticipantRow {
    pub id: String,
    pub program_id: String,
    pub student_id: String,
    pub role: ParticipantRole,
    pub capacity: i32,
    pub interests: String,
    pub availability: String,
    pub enrolled_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ParticipantRow {
    pub fn interests(&self) -> Vec<Interest> {
        json_list::<String>(&self.interests)
            .iter()
            .filter_map(|s| Interest::parse(s))
            .collect()
    }

    pub fn availability(&self) -> Vec<Slot> {
        json_list::<String>(&self.availability)
            .iter()
            .filter_map(|s| Slot::parse(s))
            .collect()
    }
}

/// A student as other mentoring views show them: name and grade only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentRef {
    pub student_id: String,
    pub given_name: String,
    pub family_name: String,
    #[schema(minimum = 0, maximum = 12)]
    pub grade: Option<i32>,
}

impl StudentRef {
    pub fn of(user: &crate::accounts::UserRow) -> StudentRef {
        StudentRef {
            student_id: user.id.clone(),
            given_name: user.given_name.clone(),
            family_name: user.family_name.clone(),
            grade: user.grade,
        }
    }

    /// Stands in for an account that no longer resolves (never expected; keeps views total).
    pub fn unknown(id: &str) -> StudentRef {
        StudentRef {
            student_id: id.to_owned(),
            given_name: String::new(),
            family_name: String::new(),
            grade: None,
        }
    }
}

/// A student enrolled in a program as mentor or mentee.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Participant {
    pub id: String,
    pub program_id: String,
    pub student: StudentRef,
    pub role: ParticipantRole,
    /// Mentees this mentor may take (0 for mentees).
    #[schema(minimum = 0, maximum = 4)]
    pub capacity: i32,
    /// Proposed and active matches.
    #[schema(minimum = 0)]
    pub open_matches: i64,
    pub interests: Vec<Interest>,
    pub availability: Vec<Slot>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mentoring_matches)]
pub struct MatchRow {
    pub id: String,
    pub program_id: String,
    pub mentor_id: String,
    pub mentee_id: String,
    pub status: MatchStatus,
    pub score: Option<String>,
    pub started_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub closure_reason: Option<ClosureReason>,
    pub closure_note: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl MatchRow {
    pub fn score(&self) -> Option<ScoreBreakdown> {
        self.score
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
    }
}

/// Where an active match stands against the cadence (two meetings in the first 30 days, then
/// at least one in every following 30 days).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Cadence {
    pub on_cadence: bool,
    #[schema(minimum = 0)]
    pub meetings: i64,
    #[schema(minimum = 0)]
    pub meetings_first_month: i64,
    pub last_meeting_on: Option<NaiveDate>,
    /// Days since the last meeting, or since the start when there was none.
    #[schema(minimum = 0)]
    pub days_since_contact: i64,
}

/// A mentor–mentee pair in a program.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Match {
    pub id: String,
    pub program_id: String,
    pub status: MatchStatus,
    pub mentor: StudentRef,
    pub mentee: StudentRef,
    /// Compatibility as computed when the match was made.
    pub score: Option<ScoreBreakdown>,
    pub started_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub closure_reason: Option<ClosureReason>,
    pub closure_note: Option<String>,
    /// Active matches only.
    pub cadence: Option<Cadence>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mentoring_meetings)]
pub struct MeetingRow {
    pub id: String,
    pub match_id: String,
    pub met_on: NaiveDate,
    pub minutes: i32,
    pub topics: String,
    pub note: Option<String>,
    pub logged_by: String,
    pub created_at: NaiveDateTime,
}

impl MeetingRow {
    pub fn topics(&self) -> Vec<Topic> {
        json_list::<String>(&self.topics)
            .iter()
            .filter_map(|s| Topic::parse(s))
            .collect()
    }
}

/// A logged meeting. Mentees see only the date and topics; `minutes` and `note` are then null.
/// `note` is null too for a mentor reading a note they did not write (a counselor's).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Meeting {
    pub id: String,
    pub match_id: String,
    pub met_on: NaiveDate,
    pub topics: Vec<Topic>,
    #[schema(minimum = 1, maximum = 600)]
    pub minutes: Option<i32>,
    /// A note for the school's staff, by whoever logged the meeting. Staff read every note; the
    /// mentor only their own; the mentee none.
    pub note: Option<String>,
}
