//! A district's student-support settings: who reads check-ins, school hours and deadlines, the
//! message shown with every request, the smallest count shown, and the "students to notice"
//! rule. A district that never set them has the defaults below.

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::school_time::SchoolClock;

pub const DEFAULT_CRISIS_MESSAGE: &str = "This is not an emergency service and nobody watches it \
     around the clock. If you are in danger now, tell an adult near you or call 911. To talk to \
     someone any time, call or text 988.";

fn yes() -> bool {
    true
}
fn utc() -> String {
    "UTC".to_owned()
}
fn eight() -> String {
    "08:00".to_owned()
}
fn three_pm() -> String {
    "15:00".to_owned()
}
fn one() -> i32 {
    1
}
fn two() -> i32 {
    2
}
fn three() -> i32 {
    3
}
fn four() -> i32 {
    4
}
fn seven() -> i32 {
    7
}
fn ten() -> i32 {
    10
}
fn crisis() -> String {
    DEFAULT_CRISIS_MESSAGE.to_owned()
}

/// A district's student-support settings. A field left out takes its default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "consistent"))]
pub struct SupportSettings {
    /// Teachers read their own students' individual check-ins (notes included); otherwise
    /// (the default) they see class totals only.
    #[serde(default)]
    pub teachers_see_check_ins: bool,
    /// Teachers see their own students' personal goals and logged progress; otherwise (the
    /// default) only the student and the school's counselors do.
    #[serde(default)]
    pub teachers_see_student_goals: bool,
    /// IANA time zone of the district's schools (`America/Chicago`): what "today" and school
    /// hours mean. Default `UTC`.
    #[serde(default = "utc")]
    #[validate(custom(function = "valid_zone"))]
    #[schema(example = "America/Chicago")]
    pub time_zone: String,
    /// Local start of the school day, `HH:MM` (default `08:00`), Monday to Friday.
    #[serde(default = "eight")]
    #[validate(custom(function = "valid_time"))]
    #[schema(example = "08:00")]
    pub school_day_starts: String,
    /// Local end of the school day, `HH:MM` (default `15:00`).
    #[serde(default = "three_pm")]
    #[validate(custom(function = "valid_time"))]
    #[schema(example = "15:00")]
    pub school_day_ends: String,
    /// A "this week" help request is due to be acknowledged by the end of this many school days
    /// after the day it was made (default 1: the end of the next school day; 0: the same day).
    #[serde(default = "one")]
    #[validate(range(min = 0, max = 10))]
    #[schema(minimum = 0, maximum = 10)]
    pub acknowledge_school_days: i32,
    /// A "today" help request is due to be acknowledged within this many school hours
    /// (default 2).
    #[serde(default = "two")]
    #[validate(range(min = 1, max = 12))]
    #[schema(minimum = 1, maximum = 12)]
    pub today_school_hours: i32,
    /// Shown to the student with every help request and check-in: what to do in danger, with
    /// the contacts the district chooses.
    #[serde(default = "crisis")]
    #[validate(length(min = 1, max = 1000))]
    pub crisis_message: String,
    /// Smallest count shown in check-in and help-request figures (default 10, at least 5).
    #[serde(default = "ten")]
    #[validate(range(min = 5, max = 100))]
    #[schema(minimum = 5, maximum = 100)]
    pub reporting_threshold: i32,
    /// "Students to notice": a check-in at or above this intensity with a distressing feeling
    /// counts as a hard day (default 4).
    #[serde(default = "four")]
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub notice_intensity: i32,
    /// … this many hard days (default 3) …
    #[serde(default = "three")]
    #[validate(range(min = 1, max = 14))]
    #[schema(minimum = 1, maximum = 14)]
    pub notice_days: i32,
    /// … within this many calendar days up to today (default 7, at least `notice_days`).
    #[serde(default = "seven")]
    #[validate(range(min = 1, max = 28))]
    #[schema(minimum = 1, maximum = 28)]
    pub notice_lookback_days: i32,
    /// Also notice a sudden change: a hard day after at least three check-ins in the previous
    /// two weeks with no distressing feeling (default true).
    #[serde(default = "yes")]
    pub notice_sudden_change: bool,
}

impl Default for SupportSettings {
    fn default() -> Self {
        serde_json::from_str("{}").expect("every field has a default")
    }
}

fn valid_zone(zone: &str) -> Result<(), ValidationError> {
    zone.parse::<Tz>()
        .map(|_| ())
        .map_err(|_| ValidationError::new("zone").with_message("must be an IANA time zone".into()))
}

fn parse_time(s: &str) -> Option<u32> {
    let t = NaiveTime::parse_from_str(s, "%H:%M").ok()?;
    (s.len() == 5).then(|| t.signed_duration_since(NaiveTime::MIN).num_minutes() as u32)
}

fn valid_time(s: &str) -> Result<(), ValidationError> {
    parse_time(s)
        .map(|_| ())
        .ok_or_else(|| ValidationError::new("time").with_message("must be a time HH:MM".into()))
}

fn consistent(s: &SupportSettings) -> Result<(), ValidationError> {
    if let (Some(start), Some(end)) = (
        parse_time(&s.school_day_starts),
        parse_time(&s.school_day_ends),
    ) {
        if start >= end {
            return Err(ValidationError::new("school_day_ends")
                .with_message("must be after school_day_starts".into()));
        }
    }
    if s.notice_lookback_days < s.notice_days {
        return Err(ValidationError::new("notice_lookback_days")
            .with_message("must be at least notice_days".into()));
    }
    Ok(())
}

/// Minutes after local midnight of an `HH:MM` already validated.
pub fn minutes(s: &str) -> i32 {
    parse_time(s).unwrap_or(0) as i32
}

/// `HH:MM` of minutes after midnight.
pub fn clock_time(minutes: i32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl SupportSettings {
    pub fn clock(&self) -> SchoolClock {
        SchoolClock {
            zone: self.time_zone.parse().unwrap_or(Tz::UTC),
            start_minute: minutes(&self.school_day_starts) as u32,
            end_minute: minutes(&self.school_day_ends) as u32,
        }
    }

    pub fn threshold(&self) -> i64 {
        i64::from(self.reporting_threshold.max(5))
    }
}
