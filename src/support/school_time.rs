//! A district's school calendar for student support: its local "today", and deadlines counted
//! in school days and school hours (Monday to Friday, between the district's start and end of
//! the school day, in its time zone). Holidays and breaks are not known: a deadline that falls
//! in one is earlier than a school would count it, never later.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Weekday};
use chrono_tz::Tz;

/// School hours in one district's time zone.
#[derive(Debug, Clone, Copy)]
pub struct SchoolClock {
    pub zone: Tz,
    /// Minutes after local midnight.
    pub start_minute: u32,
    pub end_minute: u32,
}

fn is_school_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

fn next_school_day(mut day: NaiveDate) -> NaiveDate {
    loop {
        day = day.succ_opt().unwrap_or(day);
        if is_school_day(day) {
            return day;
        }
    }
}

impl SchoolClock {
    /// The local calendar day of a UTC instant.
    pub fn local_day(&self, utc: NaiveDateTime) -> NaiveDate {
        self.zone.from_utc_datetime(&utc).date_naive()
    }

    /// Local minutes after midnight of a UTC instant.
    fn local_minute(&self, utc: NaiveDateTime) -> u32 {
        let local = self.zone.from_utc_datetime(&utc).time();
        local.signed_duration_since(NaiveTime::MIN).num_minutes() as u32
    }

    /// The UTC instant of a local day and minute. A local time that does not exist (skipped by
    /// a daylight-saving change) is taken an hour later; one that exists twice, the first time.
    fn at(&self, day: NaiveDate, minute: u32) -> NaiveDateTime {
        let local = day.and_time(NaiveTime::MIN) + TimeDelta::minutes(i64::from(minute));
        self.zone
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                self.zone
                    .from_local_datetime(&(local + TimeDelta::hours(1)))
                    .earliest()
            })
            .map(|t| t.naive_utc())
            .unwrap_or(local)
    }

    /// The UTC instant a local day begins.
    pub fn start_of(&self, day: NaiveDate) -> NaiveDateTime {
        self.at(day, 0)
    }

    /// The end of the school day `days` school days after the local day of `from`; with 0, the
    /// end of that day if it is a school day not yet over, else of the next school day.
    pub fn end_of_school_days_after(&self, from: NaiveDateTime, days: u32) -> NaiveDateTime {
        let mut day = self.local_day(from);
        if days == 0 {
            if !is_school_day(day) || self.local_minute(from) >= self.end_minute {
                day = next_school_day(day);
            }
        } else {
            for _ in 0..days {
                day = next_school_day(day);
            }
        }
        self.at(day, self.end_minute)
    }

    /// The instant `hours` school hours after `from`: time outside school hours does not count.
    pub fn after_school_hours(&self, from: NaiveDateTime, hours: u32) -> NaiveDateTime {
        let mut left = i64::from(hours) * 60;
        let mut day = self.local_day(from);
        let mut minute = self.local_minute(from);
        loop {
            if !is_school_day(day) || minute >= self.end_minute {
                day = next_school_day(day);
                minute = self.start_minute;
                continue;
            }
            let begin = minute.max(self.start_minute);
            let available = i64::from(self.end_minute - begin);
            if left <= available {
                return self.at(day, begin + left as u32);
            }
            left -= available;
            minute = self.end_minute;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(zone: Tz) -> SchoolClock {
        SchoolClock {
            zone,
            start_minute: 8 * 60,
            end_minute: 15 * 60,
        }
    }

    fn utc(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    // 2026-12-07 is a Monday. Chicago is UTC-6 in December.
    #[test]
    fn the_next_school_day_ends_at_its_local_end() {
        let c = clock(chrono_tz::America::Chicago);
        // Monday 10:00 local → Tuesday 15:00 local = 21:00 UTC.
        assert_eq!(
            c.end_of_school_days_after(utc("2026-12-07 16:00"), 1),
            utc("2026-12-08 21:00")
        );
        // Friday 14:00 local → Monday 15:00 local.
        assert_eq!(
            c.end_of_school_days_after(utc("2026-12-11 20:00"), 1),
            utc("2026-12-14 21:00")
        );
        // Saturday → Monday (the next school day after Saturday).
        assert_eq!(
            c.end_of_school_days_after(utc("2026-12-12 16:00"), 1),
            utc("2026-12-14 21:00")
        );
        // Monday 20:00 local is Tuesday 02:00 UTC: the local day counts, so Tuesday's end.
        assert_eq!(
            c.end_of_school_days_after(utc("2026-12-08 02:00"), 1),
            utc("2026-12-08 21:00")
        );
        // Zero days: the same day's end, or the next one's once it is over.
        assert_eq!(
            c.end_of_school_days_after(utc("2026-12-07 16:00"), 0),
            utc("2026-12-07 21:00")
        );
        assert_eq!(
            c.end_of_school_days_after(utc("2026-12-07 22:00"), 0),
            utc("2026-12-08 21:00")
        );
    }

    #[test]
    fn school_hours_skip_nights_and_weekends() {
        let c = clock(chrono_tz::America::Chicago);
        // Monday 09:00 local + 2 h → 11:00 local (17:00 UTC).
        assert_eq!(
            c.after_school_hours(utc("2026-12-07 15:00"), 2),
            utc("2026-12-07 17:00")
        );
        // Monday 14:00 local: one hour left that day, one more from Tuesday 08:00 → 09:00.
        assert_eq!(
            c.after_school_hours(utc("2026-12-07 20:00"), 2),
            utc("2026-12-08 15:00")
        );
        // Friday 18:00 local → Monday 10:00 local.
        assert_eq!(
            c.after_school_hours(utc("2026-12-12 00:00"), 2),
            utc("2026-12-14 16:00")
        );
        // Before school on a Tuesday (06:00 local) → 10:00 local.
        assert_eq!(
            c.after_school_hours(utc("2026-12-08 12:00"), 2),
            utc("2026-12-08 16:00")
        );
    }

    #[test]
    fn daylight_saving_changes_keep_local_school_hours() {
        let c = clock(chrono_tz::America::New_York);
        // Friday 2027-03-12 14:00 EST (19:00 UTC); clocks go forward on Sunday the 14th, so
        // Monday 15:00 EDT is 19:00 UTC.
        assert_eq!(
            c.end_of_school_days_after(utc("2027-03-12 19:00"), 1),
            utc("2027-03-15 19:00")
        );
    }
}
