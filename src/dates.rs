//! Dates and times: timestamps are stored as UTC without zone, and the API writes them as
//! RFC 3339 with `Z`; calendar dates ("today", due dates, meeting days) are UTC dates.

use chrono::{NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::Serializer;

pub fn format_utc(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn utc<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_utc(*t))
}

pub fn utc_opt<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => utc(t, s),
        None => s.serialize_none(),
    }
}

/// Today's date in UTC: what "in the future" means for due dates and meeting days.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}
