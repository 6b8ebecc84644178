//! Meeting cadence, after MENTOR's Elements of Effective Practice: at least two contacts in a
//! match's first month, then at least one every month. A "month" is a 30-day period counted from
//! the match's start, so the rule does not depend on calendar month lengths:
//!
//! - the first period `[start, start + 30 days)` needs two meetings;
//! - every later period `[start + 30k, start + 30(k + 1))` needs one;
//! - only periods that have fully elapsed are judged, so a new match is on cadence until its
//!   first 30 days are over.

use chrono::NaiveDate;

use super::models::Cadence;

pub const PERIOD_DAYS: i64 = 30;
pub const FIRST_PERIOD_MEETINGS: i64 = 2;

/// Where a match started on `started_on` stands on `today`, given its meeting dates up to then.
pub fn evaluate(started_on: NaiveDate, meetings: &[NaiveDate], today: NaiveDate) -> Cadence {
    let met: Vec<NaiveDate> = meetings
        .iter()
        .copied()
        .filter(|d| *d >= started_on && *d <= today)
        .collect();
    let period_of = |d: NaiveDate| (d - started_on).num_days() / PERIOD_DAYS;
    let elapsed_periods = (today - started_on).num_days().max(0) / PERIOD_DAYS;
    let count_in = |k: i64| met.iter().filter(|d| period_of(**d) == k).count() as i64;
    let on_cadence = (0..elapsed_periods).all(|k| {
        let needed = if k == 0 { FIRST_PERIOD_MEETINGS } else { 1 };
        count_in(k) >= needed
    });
    let last = met.iter().max().copied();
    Cadence {
        on_cadence,
        meetings: met.len() as i64,
        meetings_first_month: count_in(0),
        last_meeting_on: last,
        days_since_contact: (today - last.unwrap_or(started_on)).num_days().max(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_new_match_is_on_cadence_until_its_first_month_ends() {
        let c = evaluate(d("2026-10-01"), &[], d("2026-10-30"));
        assert!(c.on_cadence);
        assert_eq!(c.days_since_contact, 29);
        assert!(!evaluate(d("2026-10-01"), &[], d("2026-10-31")).on_cadence);
    }

    #[test]
    fn the_first_month_needs_two_meetings_and_later_months_one() {
        let start = d("2026-09-01");
        let two_early = [d("2026-09-03"), d("2026-09-20")];
        assert!(evaluate(start, &two_early, d("2026-10-30")).on_cadence);
        // Second period [Oct 1, Oct 31) is over with no meeting.
        assert!(!evaluate(start, &two_early, d("2026-10-31")).on_cadence);
        let with_october = [d("2026-09-03"), d("2026-09-20"), d("2026-10-15")];
        let c = evaluate(start, &with_october, d("2026-10-31"));
        assert!(c.on_cadence);
        assert_eq!(c.meetings_first_month, 2);
        assert_eq!(c.last_meeting_on, Some(d("2026-10-15")));
        assert_eq!(c.days_since_contact, 16);
        // One meeting in the first month is behind, whatever comes later.
        let one_early = [d("2026-09-03"), d("2026-10-15")];
        assert!(!evaluate(start, &one_early, d("2026-10-31")).on_cadence);
    }

    #[test]
    fn meetings_outside_the_match_do_not_count() {
        let start = d("2026-09-01");
        let c = evaluate(start, &[d("2026-08-30"), d("2026-12-01")], d("2026-11-01"));
        assert_eq!(c.meetings, 0);
        assert_eq!(c.days_since_contact, 61);
    }
}
