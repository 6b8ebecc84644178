//! Mentoring numbers per program and per school, for program pages and for the reports module.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::cadence::{self, PERIOD_DAYS};
use super::models::{MatchRow, ProgramRow};
use super::queries::{self, ProgramScope};
use crate::db::DbConnection;
use crate::error::ApiError;

/// Mentoring activity over a period, as of its last day (or today, if earlier).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MentoringNumbers {
    pub from: NaiveDate,
    pub as_of: NaiveDate,
    /// Matches active on `as_of`.
    #[schema(minimum = 0)]
    pub active_matches: i64,
    /// Distinct students (mentors and mentees) in a match that was active during the period.
    #[schema(minimum = 0)]
    pub students_served: i64,
    /// Distinct mentees among them.
    #[schema(minimum = 0)]
    pub mentees_served: i64,
    /// Share (0–1) of the active matches that are on cadence; null without active matches.
    pub on_cadence_share: Option<f64>,
    /// Meetings held in the period per 30 days of match time; null without match time.
    pub meetings_per_match_month: Option<f64>,
}

/// The numbers of some matches over `[from, to]`, judged on `min(to, today)`.
pub fn summarize(
    matches: &[MatchRow],
    meetings: &HashMap<String, Vec<NaiveDate>>,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> MentoringNumbers {
    let as_of = to.min(today);
    let mut active = 0;
    let mut on_cadence = 0;
    let mut students = BTreeSet::new();
    let mut mentees = BTreeSet::new();
    let mut match_days = 0i64;
    let mut held = 0i64;
    let none = Vec::new();
    for m in matches {
        // Proposed matches have not started; they serve nobody yet.
        let Some(start) = m.started_on else { continue };
        let end = m.closed_on.unwrap_or(as_of).min(as_of);
        let (first, last) = (start.max(from), end);
        if first > last {
            continue;
        }
        students.insert(m.mentor_id.as_str());
        students.insert(m.mentee_id.as_str());
        mentees.insert(m.mentee_id.as_str());
        match_days += (last - first).num_days() + 1;
        let dates = meetings.get(&m.id).unwrap_or(&none);
        held += dates.iter().filter(|d| (first..=last).contains(*d)).count() as i64;
        let active_on_as_of = start <= as_of && m.closed_on.is_none_or(|c| c > as_of);
        if active_on_as_of {
            active += 1;
            if cadence::evaluate(start, dates, as_of).on_cadence {
                on_cadence += 1;
            }
        }
    }
    MentoringNumbers {
        from,
        as_of,
        active_matches: active,
        students_served: students.len() as i64,
        mentees_served: mentees.len() as i64,
        on_cadence_share: (active > 0).then(|| on_cadence as f64 / active as f64),
        meetings_per_match_month: (match_days > 0)
            .then(|| held as f64 * PERIOD_DAYS as f64 / match_days as f64),
    }
}

fn numbers_of(
    conn: &mut DbConnection,
    program_ids: &[String],
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<MentoringNumbers, ApiError> {
    let (matches, _) = queries::matches_of_programs(conn, program_ids, None, None)?;
    let ids: Vec<String> = matches.iter().map(|m| m.id.clone()).collect();
    let meetings = queries::meeting_dates(conn, &ids)?;
    Ok(summarize(&matches, &meetings, from, to, today))
}

/// A program's numbers over its whole run.
pub fn program_numbers(
    conn: &mut DbConnection,
    program: &ProgramRow,
    today: NaiveDate,
) -> Result<MentoringNumbers, ApiError> {
    numbers_of(
        conn,
        std::slice::from_ref(&program.id),
        program.starts_on,
        program.ends_on,
        today,
    )
}

/// A school's numbers over a period (e.g. a term), across all its programs.
pub fn school_numbers(
    conn: &mut DbConnection,
    school_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<MentoringNumbers, ApiError> {
    let ids = queries::program_ids(conn, ProgramScope::School(school_id))?;
    numbers_of(conn, &ids, from, to, today)
}

/// A district's numbers over a period, across all its schools' programs.
pub fn district_numbers(
    conn: &mut DbConnection,
    district_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<MentoringNumbers, ApiError> {
    let ids = queries::program_ids(conn, ProgramScope::District(district_id))?;
    numbers_of(conn, &ids, from, to, today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mentoring::vocab::{ClosureReason, MatchStatus};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn m(
        id: &str,
        mentor: &str,
        mentee: &str,
        start: Option<&str>,
        closed: Option<&str>,
    ) -> MatchRow {
        let t = d("2026-01-01").and_hms_opt(0, 0, 0).unwrap();
        MatchRow {
            id: id.into(),
            program_id: "p".into(),
            mentor_id: mentor.into(),
            mentee_id: mentee.into(),
            status: if closed.is_some() {
                MatchStatus::Closed
            } else if start.is_some() {
                MatchStatus::Active
            } else {
                MatchStatus::Proposed
            },
            score: None,
            started_on: start.map(d),
            closed_on: closed.map(d),
            closure_reason: closed.map(|_| ClosureReason::Mismatch),
            closure_note: None,
            created_by: "c".into(),
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn numbers_count_served_students_cadence_and_meeting_rate() {
        let matches = vec![
            m("a", "m1", "e1", Some("2026-09-01"), None),
            m("b", "m1", "e2", Some("2026-09-01"), None),
            m("c", "m2", "e3", Some("2026-09-01"), Some("2026-09-30")),
            m("d", "m3", "e4", None, None),
        ];
        let meetings = HashMap::from([
            (
                "a".to_owned(),
                vec![d("2026-09-02"), d("2026-09-15"), d("2026-10-10")],
            ),
            ("b".to_owned(), vec![d("2026-09-02")]),
            ("c".to_owned(), vec![d("2026-09-05")]),
        ]);
        let n = summarize(
            &matches,
            &meetings,
            d("2026-09-01"),
            d("2026-12-31"),
            d("2026-10-30"),
        );
        assert_eq!(n.as_of, d("2026-10-30"));
        assert_eq!(n.active_matches, 2);
        assert_eq!(n.students_served, 5); // m1, e1, e2, m2, e3
        assert_eq!(n.mentees_served, 3);
        assert_eq!(n.on_cadence_share, Some(0.5)); // a on cadence, b had one meeting in month one
                                                   // a and b: 60 days each; c: 30 days => 150 days = 5 match-months, 5 meetings.
        assert_eq!(n.meetings_per_match_month, Some(1.0));
    }

    #[test]
    fn nothing_started_means_no_rates() {
        let n = summarize(
            &[],
            &HashMap::new(),
            d("2026-09-01"),
            d("2026-12-31"),
            d("2026-10-30"),
        );
        assert_eq!(n.active_matches, 0);
        assert_eq!(n.on_cadence_share, None);
        assert_eq!(n.meetings_per_match_month, None);
    }
}
