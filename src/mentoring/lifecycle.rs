//! The rules of the match lifecycle (proposed → active → closed): which pairs may be made, and
//! which changes a match may go through.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;

use super::dto::{InitialStatus, MatchPatch, MatchTransition, NewMatches};
use super::matching;
use super::models::{MatchRow, ParticipantRow, ProgramRow};
use super::queries;
use super::suggestions::rules;
use super::vocab::{ClosureReason, MatchStatus, ParticipantRole};
use crate::accounts::Caller;
use crate::authz::Managed;
use crate::dates::today;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, FieldError};

/// Checks and writes all requested pairs, or none.
pub(super) fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    program: &Managed<ProgramRow>,
    new: NewMatches,
) -> Result<Vec<MatchRow>, ApiError> {
    let today = today();
    if today > program.ends_on {
        return Err(ApiError::conflict(None, "the program has ended"));
    }
    let status = new.status.unwrap_or(InitialStatus::Proposed);
    let started_on = match (status, new.started_on) {
        (InitialStatus::Proposed, Some(_)) => {
            return Err(ApiError::invalid(
                "started_on",
                "only active matches have a start day",
            ))
        }
        (InitialStatus::Proposed, None) => None,
        (InitialStatus::Active, day) => {
            let day = day.unwrap_or(today);
            check_start(program, day)?;
            Some(day)
        }
    };
    let everyone = queries::all_participants(conn, &program.id)?;
    let by_student: HashMap<&str, &ParticipantRow> = everyone
        .iter()
        .map(|p| (p.student_id.as_str(), p))
        .collect();
    let ids: BTreeSet<String> = new
        .matches
        .iter()
        .flat_map(|p| [p.mentor_id.clone(), p.mentee_id.clone()])
        .collect();
    let refs = queries::active_student_refs(conn, &ids)?;
    let rules = rules(program);
    let unsafe_before = queries::closed_pairs(conn, &program.id, &[ClosureReason::SafetyConcern])?;
    let mut errors = Vec::new();
    let mut seen_mentees = HashSet::new();
    let mut new_per_mentor: HashMap<&str, i64> = HashMap::new();
    let mut rows = Vec::new();
    let now = db::now();
    for (i, pair) in new.matches.iter().enumerate() {
        let field = |f: &str| format!("matches[{i}].{f}");
        let participant = |id: &str, role: ParticipantRole| {
            by_student
                .get(id)
                .copied()
                .filter(|p| p.role == role && refs.contains_key(id))
        };
        let (Some(mentor), Some(mentee)) = (
            participant(&pair.mentor_id, ParticipantRole::Mentor),
            participant(&pair.mentee_id, ParticipantRole::Mentee),
        ) else {
            if participant(&pair.mentor_id, ParticipantRole::Mentor).is_none() {
                errors.push(FieldError::new(
                    field("mentor_id"),
                    "not an active mentor of this program",
                ));
            }
            if participant(&pair.mentee_id, ParticipantRole::Mentee).is_none() {
                errors.push(FieldError::new(
                    field("mentee_id"),
                    "not an active mentee of this program",
                ));
            }
            continue;
        };
        if !seen_mentees.insert(pair.mentee_id.as_str()) {
            errors.push(FieldError::new(
                field("mentee_id"),
                "appears twice in this request",
            ));
            continue;
        }
        let as_matcher_mentor = matching::Mentor {
            id: mentor.student_id.clone(),
            grade: refs[&mentor.student_id].grade.unwrap_or(-1),
            open_slots: 1,
            interests: mentor
                .interests()
                .iter()
                .map(|x| x.as_str().to_owned())
                .collect(),
            availability: mentor.availability().iter().map(|s| s.key()).collect(),
        };
        let as_matcher_mentee = matching::Mentee {
            id: mentee.student_id.clone(),
            grade: refs[&mentee.student_id].grade.unwrap_or(-1),
            interests: mentee
                .interests()
                .iter()
                .map(|x| x.as_str().to_owned())
                .collect(),
            availability: mentee.availability().iter().map(|s| s.key()).collect(),
        };
        let gap = as_matcher_mentor.grade - as_matcher_mentee.grade;
        if gap < program.min_grade_gap
            || !rules.mentor_grades.contains(&as_matcher_mentor.grade)
            || !rules.mentee_grades.contains(&as_matcher_mentee.grade)
        {
            errors.push(FieldError::new(
                field("mentor_id"),
                format!(
                    "grades {} and {} are not eligible (the mentor must be {} or more grades above)",
                    as_matcher_mentor.grade, as_matcher_mentee.grade, program.min_grade_gap
                ),
            ));
            continue;
        }
        if unsafe_before.contains(&(mentor.student_id.clone(), mentee.student_id.clone())) {
            errors.push(FieldError::new(
                field("mentee_id"),
                "these two students' match in this program was closed for a safety concern",
            ));
            continue;
        }
        if queries::is_do_not_match(conn, &mentor.student_id, &mentee.student_id)? {
            errors.push(FieldError::new(
                field("mentee_id"),
                "these two students must not be matched (do-not-match)",
            ));
            continue;
        }
        *new_per_mentor
            .entry(mentor.student_id.as_str())
            .or_insert(0) += 1;
        let score = matching::score(&rules, &as_matcher_mentor, &as_matcher_mentee);
        rows.push((
            mentor,
            MatchRow {
                id: db::new_id(),
                program_id: program.id.clone(),
                mentor_id: mentor.student_id.clone(),
                mentee_id: mentee.student_id.clone(),
                status: match status {
                    InitialStatus::Proposed => MatchStatus::Proposed,
                    InitialStatus::Active => MatchStatus::Active,
                },
                score: serde_json::to_string(&score).ok(),
                started_on,
                closed_on: None,
                closure_reason: None,
                closure_note: None,
                created_by: caller.user_id.clone(),
                created_at: now,
                updated_at: now,
            },
            i,
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // Capacity and the one-open-match rule hold under concurrent requests: each mentor's row is
    // locked before its open matches are counted, and a partial unique index allows one open
    // match per mentee and program.
    let mut checked = HashSet::new();
    for (mentor, row, i) in &rows {
        if checked.insert(mentor.student_id.as_str()) {
            queries::lock_participant(conn, &mentor.id, now)?;
            let open = queries::open_matches_of_mentor(conn, &program.id, &mentor.student_id)?;
            let wanted = new_per_mentor[mentor.student_id.as_str()];
            if open + wanted > i64::from(mentor.capacity) {
                return Err(ApiError::conflict(
                    Some(&format!("matches[{i}].mentor_id")),
                    format!(
                        "capacity exceeded: the mentor has {open} open match(es), capacity {}",
                        mentor.capacity
                    ),
                ));
            }
        }
        if queries::open_match_of_mentee(conn, &program.id, &row.mentee_id)?.is_some() {
            return Err(already_matched(*i));
        }
        queries::insert_match(conn, row).map_err(|e| match e {
            ApiError::Conflict { .. } => already_matched(*i),
            other => other,
        })?;
    }
    Ok(rows.into_iter().map(|(_, row, _)| row).collect())
}

fn already_matched(i: usize) -> ApiError {
    ApiError::conflict(
        Some(&format!("matches[{i}].mentee_id")),
        "the mentee already has an open match in this program",
    )
}

fn check_start(program: &ProgramRow, day: NaiveDate) -> Result<(), ApiError> {
    if day > today() {
        return Err(ApiError::invalid("started_on", "must not be in the future"));
    }
    if day < program.starts_on || day > program.ends_on {
        return Err(ApiError::invalid(
            "started_on",
            format!(
                "must fall within the program ({} to {})",
                program.starts_on, program.ends_on
            ),
        ));
    }
    Ok(())
}

pub(super) fn transition(
    current: &Managed<MatchRow>,
    program: &ProgramRow,
    patch: MatchPatch,
) -> Result<MatchRow, ApiError> {
    let mut next = MatchRow::clone(current);
    next.updated_at = db::now();
    let status = current.status;
    if status == MatchStatus::Closed {
        return Err(ApiError::conflict(
            Some("status"),
            "the match is already closed",
        ));
    }
    match patch.status {
        MatchTransition::Active => {
            if status == MatchStatus::Active {
                return Err(ApiError::conflict(
                    Some("status"),
                    "the match is already active",
                ));
            }
            for (given, field) in [
                (patch.closed_on.is_some(), "closed_on"),
                (patch.closure_reason.is_some(), "closure_reason"),
                (patch.closure_note.is_some(), "closure_note"),
            ] {
                if given {
                    return Err(ApiError::invalid(field, "only when closing a match"));
                }
            }
            let day = patch.started_on.unwrap_or_else(today);
            check_start(program, day)?;
            next.status = MatchStatus::Active;
            next.started_on = Some(day);
        }
        MatchTransition::Closed => {
            if patch.started_on.is_some() {
                return Err(ApiError::invalid(
                    "started_on",
                    "only when starting a match",
                ));
            }
            let reason = patch.closure_reason.ok_or_else(|| {
                ApiError::invalid("closure_reason", "required when closing a match")
            })?;
            let day = patch.closed_on.unwrap_or_else(today);
            if day > today() {
                return Err(ApiError::invalid("closed_on", "must not be in the future"));
            }
            if current.started_on.is_some_and(|s| day < s) {
                return Err(ApiError::invalid(
                    "closed_on",
                    "must not be before the match started",
                ));
            }
            next.status = MatchStatus::Closed;
            next.closed_on = Some(day);
            next.closure_reason = Some(reason);
            next.closure_note = patch.closure_note.map(|n| n.trim().to_owned());
        }
    }
    Ok(next)
}
