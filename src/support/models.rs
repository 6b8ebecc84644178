//! Student-support rows as stored.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::vocab::{ClosingReason, HelpState, HelpTopic, Urgency};
use crate::db::schema::{check_ins, district_support_settings, help_request_notes, help_requests};
use crate::lessons::vocab::Emotion;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = district_support_settings)]
pub struct SettingsRow {
    pub district_id: String,
    pub teachers_see_check_ins: bool,
    pub time_zone: String,
    pub school_day_start_minute: i32,
    pub school_day_end_minute: i32,
    pub acknowledge_school_days: i32,
    pub today_school_hours: i32,
    pub crisis_message: String,
    pub reporting_threshold: i32,
    pub notice_intensity: i32,
    pub notice_days: i32,
    pub notice_lookback_days: i32,
    pub notice_sudden_change: bool,
    pub updated_at: NaiveDateTime,
    pub teachers_see_student_goals: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = check_ins)]
pub struct CheckInRow {
    pub id: String,
    pub student_id: String,
    pub school_id: String,
    pub grade: i32,
    pub on_day: NaiveDate,
    pub emotion: Emotion,
    pub intensity: i32,
    pub note: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = help_requests)]
pub struct HelpRequestRow {
    pub id: String,
    pub student_id: String,
    pub school_id: String,
    pub recipient_id: Option<String>,
    pub topic: HelpTopic,
    pub urgency: Urgency,
    pub message: Option<String>,
    pub state: HelpState,
    pub check_in_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub acknowledge_by: NaiveDateTime,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledged_by: Option<String>,
    pub meeting_at: Option<NaiveDateTime>,
    pub met_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub closing_reason: Option<ClosingReason>,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

impl HelpRequestRow {
    /// Not acknowledged by its deadline (now, or when it was acknowledged late): the request is
    /// escalated to every counselor and the school's administrators.
    pub fn escalated(&self, now: NaiveDateTime) -> bool {
        match self.acknowledged_at {
            Some(at) => at > self.acknowledge_by,
            None => {
                matches!(self.state, HelpState::New) && now > self.acknowledge_by
                    || self.withdrawn_at.is_some_and(|w| w > self.acknowledge_by)
            }
        }
    }

    /// Waiting for acknowledgement past its deadline right now.
    pub fn overdue(&self, now: NaiveDateTime) -> bool {
        self.state == HelpState::New && now > self.acknowledge_by
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = help_request_notes)]
pub struct HelpNoteRow {
    pub id: String,
    pub request_id: String,
    pub author_id: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}
