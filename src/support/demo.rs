//! Demo check-ins and help requests, dated from the day the demo is loaded: three weeks of
//! school-day check-ins for every demo student (most days fine, a few students with a hard
//! stretch in the last week), and help requests in each state, one of them overdue. The data
//! are made by a fixed-seed generator, so every load of the same day gives the same demo.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Weekday};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::help_requests::deadline;
use super::models::{CheckInRow, HelpNoteRow, HelpRequestRow};
use super::queries;
use super::vocab::{ClosingReason, HelpState, HelpTopic, Urgency};
use crate::accounts::Role;
use crate::db::schema::{check_ins, users};
use crate::db::{self, DbConnection};
use crate::lessons::vocab::Emotion;

/// Calendar days of check-in history.
const HISTORY_DAYS: i64 = 21;
/// Students per school with a hard last week (they show on the counselors' notice list).
const HARD_STRETCH_PER_SCHOOL: usize = 2;

const PLEASANT: &[Emotion] = &[
    Emotion::Calm,
    Emotion::Happy,
    Emotion::Proud,
    Emotion::Hopeful,
    Emotion::Curious,
    Emotion::Tired,
];
const HARD: &[Emotion] = &[
    Emotion::Worried,
    Emotion::Sad,
    Emotion::Overwhelmed,
    Emotion::Lonely,
    Emotion::Frustrated,
];
const NOTES: &[&str] = &[
    "Played with my friends at recess.",
    "Breathing slowly before the quiz helped.",
    "I did not sleep well.",
    "Practice went well today.",
    "Group project is stressful.",
];

/// What the demo loaded.
#[derive(Debug, Default, Clone, Copy)]
pub struct Loaded {
    pub check_ins: usize,
    pub help_requests: usize,
}

struct Student {
    id: String,
    username: String,
    school_id: String,
    grade: i32,
}

fn weekday(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

fn at(day: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN))
}

/// Loads the demo's check-ins and help requests for the students of `district`, as of `now`.
pub fn load(conn: &mut DbConnection, district: &str, now: NaiveDateTime) -> anyhow::Result<Loaded> {
    let students: Vec<Student> = users::table
        .filter(users::district_id.eq(district))
        .filter(users::role.eq(Role::Student))
        .filter(users::active.eq(true))
        .filter(users::school_id.is_not_null())
        .filter(users::grade.is_not_null())
        .order((users::school_id, users::username))
        .select((users::id, users::username, users::school_id, users::grade))
        .load::<(String, String, Option<String>, Option<i32>)>(conn)?
        .into_iter()
        .filter_map(|(id, username, school, grade)| {
            Some(Student {
                id,
                username,
                school_id: school?,
                grade: grade?,
            })
        })
        .collect();
    let settings = queries::settings(conn, district)?;
    let today = settings.clock().local_day(now);
    let mut rng = StdRng::seed_from_u64(20261206);
    let mut loaded = Loaded::default();
    let mut hard_left: std::collections::HashMap<&str, usize> = Default::default();
    let mut rows = Vec::new();
    for s in &students {
        // The README's demo student keeps an ordinary history.
        let left = hard_left
            .entry(s.school_id.as_str())
            .or_insert(HARD_STRETCH_PER_SCHOOL);
        let hard_stretch = *left > 0 && s.username != "andreg197" && rng.gen_bool(0.2);
        if hard_stretch {
            *left -= 1;
        }
        // Up to yesterday: today's check-in is the student's to make (the demo is tried on
        // school days too, and a check-in already there would be "replaced").
        for back in (1..=HISTORY_DAYS).rev() {
            let day = today - TimeDelta::days(back);
            if !weekday(day) || !rng.gen_bool(0.7) {
                continue;
            }
            let hard_day = hard_stretch && back < 7;
            let (emotion, intensity) = if hard_day {
                (HARD[rng.gen_range(0..HARD.len())], rng.gen_range(4..=5))
            } else if rng.gen_bool(0.12) {
                (HARD[rng.gen_range(0..HARD.len())], rng.gen_range(2..=3))
            } else {
                (
                    PLEASANT[rng.gen_range(0..PLEASANT.len())],
                    rng.gen_range(1..=3),
                )
            };
            let note = rng
                .gen_bool(0.15)
                .then(|| NOTES[rng.gen_range(0..NOTES.len())].to_owned());
            let written = at(day, 8, rng.gen_range(0..50)).min(now);
            rows.push(CheckInRow {
                id: db::new_id(),
                student_id: s.id.clone(),
                school_id: s.school_id.clone(),
                grade: s.grade,
                on_day: day,
                emotion,
                intensity,
                note,
                created_at: written,
                updated_at: written,
            });
        }
    }
    for chunk in rows.chunks(500) {
        db::on_backend!(conn, |c| diesel::insert_into(check_ins::table)
            .values(chunk)
            .execute(c))?;
    }
    loaded.check_ins = rows.len();
    loaded.help_requests = help_requests(conn, &students, &settings, now)?;
    Ok(loaded)
}

/// A few requests per school, one in each state, and one overdue.
fn help_requests(
    conn: &mut DbConnection,
    students: &[Student],
    settings: &super::settings::SupportSettings,
    now: NaiveDateTime,
) -> anyhow::Result<usize> {
    let mut made = 0;
    let mut schools: Vec<&str> = students.iter().map(|s| s.school_id.as_str()).collect();
    schools.dedup();
    for school in schools {
        let counselor: Option<String> = users::table
            .filter(users::school_id.eq(school))
            .filter(users::role.eq(Role::Counselor))
            .order(users::username)
            .select(users::id)
            .first(conn)
            .optional()?;
        let Some(counselor) = counselor else { continue };
        let askers: Vec<&Student> = students
            .iter()
            .filter(|s| s.school_id == school && s.username != "andreg197")
            .step_by(7)
            .take(6)
            .collect();
        #[rustfmt::skip]
        let plans = [
            // (state, topic, urgency, hours ago, message)
            (HelpState::New, HelpTopic::Friends, Urgency::ThisWeek, 1, Some("Can we talk about my friend group?")),
            (HelpState::New, HelpTopic::FeelingDownOrWorried, Urgency::ThisWeek, 24 * 6, None),
            (HelpState::Acknowledged, HelpTopic::SchoolWork, Urgency::ThisWeek, 20, Some("I am behind in math.")),
            (HelpState::Met, HelpTopic::Family, Urgency::Today, 24 * 3, None),
            (HelpState::Closed, HelpTopic::SomeoneIsHurtingMe, Urgency::Today, 24 * 10, Some("Someone keeps pushing me in the hallway.")),
            (HelpState::Withdrawn, HelpTopic::SomethingElse, Urgency::ThisWeek, 24 * 2, None),
        ];
        for (student, (state, topic, urgency, hours_ago, message)) in askers.iter().zip(plans) {
            let created = now - TimeDelta::hours(hours_ago);
            let due = deadline(settings, urgency, created);
            let acknowledged = matches!(
                state,
                HelpState::Acknowledged | HelpState::Met | HelpState::Closed
            )
            .then(|| (created + TimeDelta::hours(2)).min(now));
            let row = HelpRequestRow {
                id: db::new_id(),
                student_id: student.id.clone(),
                school_id: school.to_owned(),
                recipient_id: None,
                topic,
                urgency,
                message: message.map(str::to_owned),
                state,
                check_in_id: None,
                created_at: created,
                acknowledge_by: due,
                acknowledged_at: acknowledged,
                acknowledged_by: acknowledged.map(|_| counselor.clone()),
                meeting_at: acknowledged.map(|a| a + TimeDelta::hours(22)),
                met_at: matches!(state, HelpState::Met | HelpState::Closed)
                    .then(|| (created + TimeDelta::hours(24)).min(now)),
                closed_at: (state == HelpState::Closed).then(|| created + TimeDelta::hours(48)),
                closing_reason: (state == HelpState::Closed).then_some(ClosingReason::Referred),
                withdrawn_at: (state == HelpState::Withdrawn)
                    .then(|| created + TimeDelta::hours(1)),
                updated_at: now,
            };
            queries::insert_help_request(conn, &row)?;
            if acknowledged.is_some() {
                queries::add_note(
                    conn,
                    &HelpNoteRow {
                        id: db::new_id(),
                        request_id: row.id.clone(),
                        author_id: counselor.clone(),
                        body: "Met briefly; following up with the family.".into(),
                        created_at: acknowledged.unwrap_or(now),
                    },
                )?;
            }
            made += 1;
        }
    }
    Ok(made)
}
