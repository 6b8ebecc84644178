//! Loads mentoring data of a seed data set (`mentoring.json`, as in `seed/demo/`): programs,
//! participants, do-not-match pairs, matches and meetings, with dates relative to the day it is
//! loaded so the meeting history (and its one overdue match) stays plausible on any day.

use std::collections::{BTreeSet, HashMap};

use anyhow::{anyhow, bail, ensure};
use chrono::{NaiveDate, TimeDelta};
use serde::Deserialize;

use super::matching;
use super::models::{MatchRow, MeetingRow, ParticipantRow, ProgramRow, Slot};
use super::queries;
use super::vocab::{ClosureReason, Interest, MatchStatus, ParticipantRole, Topic};
use crate::db::{self, DbConnection};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    programs: Vec<ProgramSeed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgramSeed {
    school: String,
    created_by: String,
    name: String,
    goals: String,
    mentor_grades: Vec<i32>,
    mentee_grades: Vec<i32>,
    min_grade_gap: i32,
    preferred_grade_gap: i32,
    mentor_capacity: i32,
    starts_days_ago: i64,
    ends_in_days: i64,
    participants: Vec<ParticipantSeed>,
    #[serde(default)]
    do_not_match: Vec<(String, String)>,
    #[serde(default)]
    matches: Vec<MatchSeed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParticipantSeed {
    username: String,
    role: ParticipantRole,
    interests: Vec<Interest>,
    availability: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchSeed {
    mentor: String,
    mentee: String,
    status: MatchStatus,
    started_days_ago: Option<i64>,
    closed_days_ago: Option<i64>,
    closure_reason: Option<ClosureReason>,
    closure_note: Option<String>,
    #[serde(default)]
    meetings: Vec<MeetingSeed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MeetingSeed {
    days_ago: i64,
    minutes: i32,
    topics: Vec<Topic>,
    note: Option<String>,
}

/// A student of the data set: id and grade.
pub struct SeedStudent {
    pub id: String,
    pub school_key: String,
    pub grade: Option<i32>,
}

/// Loads `mentoring.json`; returns the number of matches created. Runs in the seed's transaction.
pub fn load(
    conn: &mut DbConnection,
    json: &str,
    district_id: &str,
    school_ids: &HashMap<String, String>,
    users: &HashMap<String, SeedStudent>,
    today: NaiveDate,
) -> anyhow::Result<usize> {
    let data: Data = serde_json::from_str(json).map_err(|e| anyhow!("mentoring.json: {e}"))?;
    let now = db::now();
    let day = |ago: i64| today - TimeDelta::days(ago);
    let mut created = 0;
    for p in &data.programs {
        let context = |what: String| anyhow!("mentoring.json, program {:?}: {what}", p.name);
        let school_id = school_ids
            .get(&p.school)
            .ok_or_else(|| context(format!("unknown school {}", p.school)))?;
        let creator = users
            .get(&p.created_by)
            .ok_or_else(|| context(format!("unknown user {}", p.created_by)))?;
        let program = ProgramRow {
            id: db::new_id(),
            district_id: district_id.to_owned(),
            school_id: school_id.clone(),
            name: p.name.clone(),
            goals: p.goals.clone(),
            mentor_grades: serde_json::to_string(&p.mentor_grades)?,
            mentee_grades: serde_json::to_string(&p.mentee_grades)?,
            min_grade_gap: p.min_grade_gap,
            preferred_grade_gap: p.preferred_grade_gap,
            mentor_capacity: p.mentor_capacity,
            starts_on: day(p.starts_days_ago),
            ends_on: today + TimeDelta::days(p.ends_in_days),
            created_by: creator.id.clone(),
            created_at: now,
            updated_at: now,
        };
        queries::insert_program(conn, &program).map_err(|e| context(format!("{e:?}")))?;
        let mut roles: HashMap<&str, (ParticipantRole, &ParticipantSeed)> = HashMap::new();
        for part in &p.participants {
            let student = users
                .get(&part.username)
                .filter(|s| s.school_key == p.school)
                .ok_or_else(|| {
                    context(format!(
                        "{} is not a student of {}",
                        part.username, p.school
                    ))
                })?;
            let grade = student.grade.unwrap_or(-1);
            ensure!(
                program.grades_for(part.role).contains(&grade),
                context(format!(
                    "{} (grade {grade}) is not an eligible {}",
                    part.username,
                    part.role.as_str()
                ))
            );
            let mut slots = Vec::new();
            for key in &part.availability {
                slots.push(
                    Slot::parse(key)
                        .ok_or_else(|| context(format!("bad availability {key}")))?
                        .key(),
                );
            }
            ensure!(
                roles.insert(&part.username, (part.role, part)).is_none(),
                context(format!("{} appears twice", part.username))
            );
            let interests: Vec<&str> = part.interests.iter().map(|i| i.as_str()).collect();
            queries::insert_participant(
                conn,
                &ParticipantRow {
                    id: db::new_id(),
                    program_id: program.id.clone(),
                    student_id: student.id.clone(),
                    role: part.role,
                    capacity: match part.role {
                        ParticipantRole::Mentor => p.mentor_capacity,
                        ParticipantRole::Mentee => 0,
                    },
                    interests: serde_json::to_string(&interests)?,
                    availability: serde_json::to_string(&slots)?,
                    enrolled_by: creator.id.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )
            .map_err(|e| context(format!("{e:?}")))?;
        }
        let id_of = |username: &str| users.get(username).map(|s| s.id.clone());
        let mut blocked = BTreeSet::new();
        for (a, b) in &p.do_not_match {
            let (a, b) = (
                id_of(a).ok_or_else(|| context(format!("unknown student {a}")))?,
                id_of(b).ok_or_else(|| context(format!("unknown student {b}")))?,
            );
            let pair = if a < b { (a, b) } else { (b, a) };
            queries::insert_do_not_match(
                conn,
                &db::new_id(),
                school_id,
                (&pair.0, &pair.1),
                &creator.id,
                now,
            )
            .map_err(|e| context(format!("{e:?}")))?;
            blocked.insert(pair);
        }
        let rules = matching::Rules {
            mentor_grades: p.mentor_grades.clone(),
            mentee_grades: p.mentee_grades.clone(),
            min_grade_gap: p.min_grade_gap,
            preferred_grade_gap: p.preferred_grade_gap,
        };
        let mut open_per_mentor: HashMap<&str, i32> = HashMap::new();
        let mut open_mentees = BTreeSet::new();
        for m in &p.matches {
            let context =
                |what: String| context(format!("match {} → {}: {what}", m.mentor, m.mentee));
            let (Some((ParticipantRole::Mentor, mentor)), Some((ParticipantRole::Mentee, mentee))) =
                (roles.get(m.mentor.as_str()), roles.get(m.mentee.as_str()))
            else {
                bail!(context("not a mentor and a mentee of the program".into()));
            };
            let (mentor_id, mentee_id) = (
                id_of(&m.mentor).unwrap_or_default(),
                id_of(&m.mentee).unwrap_or_default(),
            );
            let pair = if mentor_id < mentee_id {
                (mentor_id.clone(), mentee_id.clone())
            } else {
                (mentee_id.clone(), mentor_id.clone())
            };
            ensure!(
                !blocked.contains(&pair),
                context("a do-not-match pair".into())
            );
            let as_matcher = |s: &ParticipantSeed, id: &str| {
                (
                    id.to_owned(),
                    users.get(&s.username).and_then(|u| u.grade).unwrap_or(-1),
                    s.interests
                        .iter()
                        .map(|i| i.as_str().to_owned())
                        .collect::<Vec<_>>(),
                    s.availability.clone(),
                )
            };
            let (mid, mgrade, minterests, mavail) = as_matcher(mentor, &mentor_id);
            let (eid, egrade, einterests, eavail) = as_matcher(mentee, &mentee_id);
            ensure!(
                mgrade - egrade >= p.min_grade_gap,
                context("grade gap below the minimum".into())
            );
            if m.status != MatchStatus::Closed {
                let open = open_per_mentor.entry(m.mentor.as_str()).or_insert(0);
                *open += 1;
                ensure!(
                    *open <= p.mentor_capacity,
                    context("mentor over capacity".into())
                );
                ensure!(
                    open_mentees.insert(m.mentee.as_str()),
                    context("mentee matched twice".into())
                );
            }
            let score = matching::score(
                &rules,
                &matching::Mentor {
                    id: mid,
                    grade: mgrade,
                    open_slots: 1,
                    interests: minterests,
                    availability: mavail,
                },
                &matching::Mentee {
                    id: eid,
                    grade: egrade,
                    interests: einterests,
                    availability: eavail,
                },
            );
            let started_on = m.started_days_ago.map(day);
            let closed_on = m.closed_days_ago.map(day);
            ensure!(
                (m.status == MatchStatus::Proposed) == started_on.is_none(),
                context("started_days_ago is given exactly for active and closed matches".into())
            );
            ensure!(
                (m.status == MatchStatus::Closed)
                    == (closed_on.is_some() && m.closure_reason.is_some()),
                context("closed matches need closed_days_ago and closure_reason".into())
            );
            let row = MatchRow {
                id: db::new_id(),
                program_id: program.id.clone(),
                mentor_id: mentor_id.clone(),
                mentee_id: mentee_id.clone(),
                status: m.status,
                score: serde_json::to_string(&score).ok(),
                started_on,
                closed_on,
                closure_reason: m.closure_reason,
                closure_note: m.closure_note.clone(),
                created_by: creator.id.clone(),
                created_at: now,
                updated_at: now,
            };
            queries::insert_match(conn, &row).map_err(|e| context(format!("{e:?}")))?;
            for meeting in &m.meetings {
                let met_on = day(meeting.days_ago);
                let in_match = started_on.is_some_and(|s| met_on >= s)
                    && met_on < today
                    && closed_on.is_none_or(|c| met_on <= c);
                ensure!(
                    in_match,
                    context(format!(
                        "meeting {} days ago is outside the match",
                        meeting.days_ago
                    ))
                );
                let topics: Vec<&str> = meeting.topics.iter().map(|t| t.as_str()).collect();
                queries::insert_meeting(
                    conn,
                    &MeetingRow {
                        id: db::new_id(),
                        match_id: row.id.clone(),
                        met_on,
                        minutes: meeting.minutes,
                        topics: serde_json::to_string(&topics)?,
                        note: meeting.note.clone(),
                        logged_by: mentor_id.clone(),
                        created_at: now,
                    },
                )
                .map_err(|e| context(format!("{e:?}")))?;
            }
            created += 1;
        }
    }
    Ok(created)
}
