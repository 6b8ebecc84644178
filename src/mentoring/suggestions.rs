//! Matching suggestions: the optimal assignment of a program's unmatched mentees, explained.

use std::collections::{BTreeSet, HashMap};

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::matching::{self, ScoreBreakdown};
use super::models::{ParticipantRow, ProgramRow, StudentRef};
use super::queries;
use super::scope;
use super::vocab::{ClosureReason, ParticipantRole};
use crate::accounts::Caller;
use crate::db::DbConnection;
use crate::error::{ApiError, NotFound};
use crate::extract::IdPath;
use crate::state::AppState;

fn matcher_input(
    rows: &[&ParticipantRow],
    refs: &HashMap<String, StudentRef>,
) -> Vec<(String, i32, Vec<String>, Vec<String>)> {
    rows.iter()
        .filter_map(|p| {
            let grade = refs.get(&p.student_id)?.grade?;
            Some((
                p.student_id.clone(),
                grade,
                p.interests()
                    .iter()
                    .map(|i| i.as_str().to_owned())
                    .collect(),
                p.availability().iter().map(|s| s.key()).collect(),
            ))
        })
        .collect()
}

pub(super) fn rules(program: &ProgramRow) -> matching::Rules {
    matching::Rules {
        mentor_grades: program.mentor_grades(),
        mentee_grades: program.mentee_grades(),
        min_grade_gap: program.min_grade_gap,
        preferred_grade_gap: program.preferred_grade_gap,
    }
}

/// Why a mentee has no suggested mentor.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnmatchedReason {
    /// No mentor with open capacity passes the hard constraints (grades, gap, do-not-match).
    NoEligibleMentor,
    /// Eligible mentors exist, but the best overall assignment gives their places to others.
    CapacityTaken,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestedPair {
    pub mentor: StudentRef,
    pub mentee: StudentRef,
    /// Why this pair: shared interests and availability, grade gap, and their points.
    pub score: ScoreBreakdown,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedMentee {
    pub mentee: StudentRef,
    pub reason: UnmatchedReason,
}

/// The optimal assignment of the program's unmatched mentees to mentors with open places.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionSet {
    pub program_id: String,
    pub pairs: Vec<SuggestedPair>,
    pub unmatched_mentees: Vec<UnmatchedMentee>,
    /// Sum of the pairs' compatibility.
    #[schema(minimum = 0)]
    pub total_score: i64,
}

/// Computes the suggestions: nothing is written.
pub fn suggestions(
    conn: &mut DbConnection,
    program: &ProgramRow,
) -> Result<SuggestionSet, ApiError> {
    let everyone = queries::all_participants(conn, &program.id)?;
    let ids: BTreeSet<String> = everyone.iter().map(|p| p.student_id.clone()).collect();
    let refs = queries::active_student_refs(conn, &ids)?;
    let open = queries::open_match_counts(conn, &program.id)?;
    let open_of = |id: &str| open.get(id).copied().unwrap_or(0);
    let mentor_rows: Vec<&ParticipantRow> = everyone
        .iter()
        .filter(|p| p.role == ParticipantRole::Mentor)
        .filter(|p| open_of(&p.student_id) < i64::from(p.capacity))
        .collect();
    let mentee_rows: Vec<&ParticipantRow> = everyone
        .iter()
        .filter(|p| p.role == ParticipantRole::Mentee && open_of(&p.student_id) == 0)
        .collect();
    let capacity: HashMap<&str, i64> = mentor_rows
        .iter()
        .map(|p| (p.student_id.as_str(), i64::from(p.capacity)))
        .collect();
    let mentors: Vec<matching::Mentor> = matcher_input(&mentor_rows, &refs)
        .into_iter()
        .map(|(id, grade, interests, availability)| matching::Mentor {
            open_slots: (capacity[id.as_str()] - open_of(&id)).max(0) as u32,
            id,
            grade,
            interests,
            availability,
        })
        .collect();
    let mentees: Vec<matching::Mentee> = matcher_input(&mentee_rows, &refs)
        .into_iter()
        .map(|(id, grade, interests, availability)| matching::Mentee {
            id,
            grade,
            interests,
            availability,
        })
        .collect();
    let mut do_not_match = queries::do_not_match_pairs(conn, &program.school_id)?;
    // A pair that already ended for a safety concern or a mismatch is not proposed again.
    do_not_match.extend(queries::closed_pairs(
        conn,
        &program.id,
        &[ClosureReason::SafetyConcern, ClosureReason::Mismatch],
    )?);
    let rules = rules(program);
    let result = matching::suggest(&matching::Problem {
        rules: &rules,
        mentors: &mentors,
        mentees: &mentees,
        do_not_match: &do_not_match,
    });
    let student = |id: &str| {
        refs.get(id)
            .cloned()
            .unwrap_or_else(|| StudentRef::unknown(id))
    };
    Ok(SuggestionSet {
        program_id: program.id.clone(),
        pairs: result
            .pairs
            .into_iter()
            .map(|p| SuggestedPair {
                mentor: student(&p.mentor_id),
                mentee: student(&p.mentee_id),
                score: p.score,
            })
            .collect(),
        unmatched_mentees: result
            .unmatched_mentees
            .into_iter()
            .map(|u| UnmatchedMentee {
                mentee: student(&u.mentee_id),
                reason: match u.reason {
                    matching::UnmatchedReason::NoEligibleMentor => {
                        UnmatchedReason::NoEligibleMentor
                    }
                    matching::UnmatchedReason::CapacityTaken => UnmatchedReason::CapacityTaken,
                },
            })
            .collect(),
        total_score: result.total_score,
    })
}

/// The suggested pairs of a program the caller can see.
pub fn suggestions_for(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<SuggestionSet, ApiError> {
    let program = scope::program(conn, caller, id)?;
    suggestions(conn, &program)
}

/// Suggested pairs for the program's unmatched mentees: the assignment that serves the most
/// mentees and, among those, has the highest total compatibility, under the hard constraints
/// (same school, eligible grades and gap, mentor capacity, do-not-match, not already matched).
/// Nothing is written: accept pairs with `POST …/matches`.
#[utoipa::path(
    tag = "mentoring", security(("bearer" = [])), params(IdPath),
    responses(
        (status = 200, body = SuggestionSet),
        NotFound,
    )
)]
#[get("/mentoring/programs/{id}/suggestions")]
pub async fn get_suggestions(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<IdPath>,
) -> Result<web::Json<SuggestionSet>, ApiError> {
    let id = path.into_inner().id;
    let set = state
        .db
        .run(move |conn| suggestions_for(conn, &caller, &id))
        .await?;
    Ok(web::Json(set))
}
