//! Optimal peer-mentoring matcher: pure functions, no database.
//!
//! Counselors pair older students (mentors, each with a few open slots) with younger students
//! (mentees). [`suggest`] takes the unmatched participants of one program and returns the best
//! assignment, with every suggested pair's score broken into components so a counselor can see
//! why the pair was proposed.
//!
//! # Hard constraints
//!
//! A mentor and a mentee can be paired only when the mentor's grade is one of the program's
//! mentor grades, the mentee's grade is one of its mentee grades, the mentor is at least the
//! program's minimum grade gap above the mentee, and a counselor has not marked the two
//! "do not match" (in either order). A mentor takes at most as many new mentees as it has open
//! slots (capacity minus its current proposed and active matches).
//!
//! # Compatibility score (0–70)
//!
//! - **Shared interests:** 10 points per interest both students list, at most 3 counted (30).
//! - **Shared availability:** 5 points per time slot both students list, at most 4 counted (20).
//! - **Grade gap:** 20 points when the mentor is exactly the program's preferred number of grades
//!   above the mentee, minus 5 for each grade away from that, never below 0.
//!
//! Interests and time slots are compared exactly as stored, and a repeated entry counts once.
//! The breakdown lists every shared interest and slot in sorted order, including any beyond
//! the number counted.
//!
//! # Objective
//!
//! First serve as many mentees as possible; among the assignments that do, maximize the total
//! compatibility. The result is the exact optimum (Kuhn–Munkres assignment), not a greedy
//! approximation, and it is deterministic: the same participants give the same pairs whatever
//! order they are passed in. Pairs are sorted by mentor id, then mentee id; unmatched mentees
//! by id.

use std::collections::{BTreeSet, HashSet};

use pathfinding::prelude::{kuhn_munkres, Matrix};

const POINTS_PER_INTEREST: i64 = 10;
const INTERESTS_COUNTED: usize = 3;
const POINTS_PER_SLOT: i64 = 5;
const SLOTS_COUNTED: usize = 4;
const GRADE_GAP_POINTS: i64 = 20;
const POINTS_PER_GRADE_AWAY: i64 = 5;

/// The highest compatibility total a pair can reach.
pub const MAX_SCORE: i64 = POINTS_PER_INTEREST * INTERESTS_COUNTED as i64
    + POINTS_PER_SLOT * SLOTS_COUNTED as i64
    + GRADE_GAP_POINTS;

/// A program's matching rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub mentor_grades: Vec<i32>,
    pub mentee_grades: Vec<i32>,
    pub min_grade_gap: i32,
    pub preferred_grade_gap: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mentor {
    pub id: String,
    pub grade: i32,
    /// Capacity minus the mentor's current proposed and active matches.
    pub open_slots: u32,
    pub interests: Vec<String>,
    pub availability: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mentee {
    pub id: String,
    pub grade: i32,
    pub interests: Vec<String>,
    pub availability: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct Problem<'a> {
    pub rules: &'a Rules,
    pub mentors: &'a [Mentor],
    pub mentees: &'a [Mentee],
    /// Unordered pairs of student ids that must not be matched; either order is honoured.
    pub do_not_match: &'a HashSet<(String, String)>,
}

/// Why a pair scores what it does; the points add up to `total` (0–70).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ScoreBreakdown {
    pub shared_interests: Vec<String>,
    #[schema(minimum = 0, maximum = 70)]
    pub interest_points: i64,
    pub shared_availability: Vec<String>,
    #[schema(minimum = 0, maximum = 70)]
    pub availability_points: i64,
    /// Mentor's grade minus mentee's grade.
    #[schema(minimum = -12, maximum = 12)]
    pub grade_gap: i32,
    #[schema(minimum = 0, maximum = 70)]
    pub grade_gap_points: i64,
    #[schema(minimum = 0, maximum = 70)]
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub mentor_id: String,
    pub mentee_id: String,
    pub score: ScoreBreakdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnmatchedReason {
    /// Every mentor is excluded by a hard constraint (grades, gap or do-not-match).
    NoEligibleMentor,
    /// Some mentor passes the hard constraints, but all such mentors' slots are taken: already
    /// full, or given to other mentees by the optimum.
    CapacityTaken,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    pub mentee_id: String,
    pub reason: UnmatchedReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestions {
    pub pairs: Vec<Suggestion>,
    pub unmatched_mentees: Vec<Unmatched>,
    pub total_score: i64,
}

/// Compatibility of a pair, ignoring hard constraints.
pub fn score(rules: &Rules, mentor: &Mentor, mentee: &Mentee) -> ScoreBreakdown {
    let shared_interests = shared(&mentor.interests, &mentee.interests);
    let shared_availability = shared(&mentor.availability, &mentee.availability);
    let grade_gap = grade_gap(mentor, mentee);
    let [interest_points, availability_points, grade_gap_points] = points(
        shared_interests.len(),
        shared_availability.len(),
        grade_gap,
        rules.preferred_grade_gap,
    );
    ScoreBreakdown {
        shared_interests,
        interest_points,
        shared_availability,
        availability_points,
        grade_gap,
        grade_gap_points,
        total: interest_points + availability_points + grade_gap_points,
    }
}

/// Whether the hard constraints allow the pair (capacity aside).
pub fn eligible(problem: &Problem, mentor: &Mentor, mentee: &Mentee) -> bool {
    let dnm = problem.do_not_match;
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    fits(problem.rules, mentor, mentee)
        && !dnm.contains(&pair(&mentor.id, &mentee.id))
        && !dnm.contains(&pair(&mentee.id, &mentor.id))
}

/// The optimal assignment for a program's unmatched participants (see the module docs).
pub fn suggest(problem: &Problem) -> Suggestions {
    let rules = problem.rules;
    // Both orders, borrowed, so the pair loop below looks up without allocating.
    let do_not_match: HashSet<(&str, &str)> = problem
        .do_not_match
        .iter()
        .flat_map(|(a, b)| [(a.as_str(), b.as_str()), (b.as_str(), a.as_str())])
        .collect();
    // Kuhn–Munkres breaks ties by position, so sorting makes the result independent of the
    // order in which the caller loaded the rows.
    let mut mentors: Vec<&Mentor> = problem.mentors.iter().collect();
    mentors.sort_by(|a, b| a.id.cmp(&b.id));
    let mut mentees: Vec<&Mentee> = problem.mentees.iter().collect();
    mentees.sort_by(|a, b| a.id.cmp(&b.id));
    let mentor_lists: Vec<Lists> = mentors
        .iter()
        .map(|m| Lists::new(&m.interests, &m.availability))
        .collect();
    let mentee_lists: Vec<Lists> = mentees
        .iter()
        .map(|e| Lists::new(&e.interests, &e.availability))
        .collect();

    // scores[mentee][mentor] is Some(compatibility) when the pair is allowed and the mentor has
    // room. Only the chosen pairs get a full breakdown, which allocates.
    let mut has_eligible_mentor = vec![false; mentees.len()];
    let mut scores = vec![vec![None; mentors.len()]; mentees.len()];
    for (e, mentee) in mentees.iter().enumerate() {
        for (m, mentor) in mentors.iter().enumerate() {
            if !fits(rules, mentor, mentee)
                || do_not_match.contains(&(mentor.id.as_str(), mentee.id.as_str()))
            {
                continue;
            }
            has_eligible_mentor[e] = true;
            if mentor.open_slots > 0 {
                let (a, b) = (&mentor_lists[m], &mentee_lists[e]);
                let [i, s, g] = points(
                    count_common(&a.interests, &b.interests),
                    count_common(&a.availability, &b.availability),
                    grade_gap(mentor, mentee),
                    rules.preferred_grade_gap,
                );
                scores[e][m] = Some(i + s + g);
            }
        }
    }

    let kept: Vec<usize> = (0..mentees.len())
        .filter(|&e| scores[e].iter().any(Option::is_some))
        .collect();
    // A mentor can never use more slots than it has candidates, so capping keeps the optimum
    // and keeps the matrix small even if a caller passes a huge `open_slots`.
    let slots: Vec<usize> = (0..mentors.len())
        .flat_map(|m| {
            let candidates = kept.iter().filter(|&&e| scores[e][m].is_some()).count();
            let open = usize::try_from(mentors[m].open_slots).unwrap_or(usize::MAX);
            std::iter::repeat_n(m, open.min(candidates))
        })
        .collect();

    // Why one maximum-weight assignment gives the lexicographic optimum. Every allowed cell
    // weighs `base` + score, every forbidden cell 0. A full assignment of the matrix's shorter
    // side that uses k allowed cells with score sum S weighs base·k + S, and dropping its
    // forbidden cells leaves a valid matching with the same (k, S). Conversely any valid
    // matching extends to a full assignment at least as heavy (rows <= columns, filler cells
    // weigh >= 0). So the best assignment is the matching maximizing base·k + S, and since
    // S <= MAX_SCORE·k < base, one more served mentee always outweighs any score difference:
    // k is maximized first, then S. Forbidden cells in the result are only that filler and
    // are dropped below.
    let base = (MAX_SCORE + 1) * (kept.len() as i64 + 1);
    let weight = |e: usize, m: usize| scores[e][m].map_or(0, |s| base + s);
    // (mentee, mentor) pairs, possibly including forbidden filler cells.
    let assigned: Vec<(usize, usize)> = if kept.is_empty() || slots.is_empty() {
        Vec::new()
    } else if kept.len() <= slots.len() {
        let matrix = Matrix::from_fn(kept.len(), slots.len(), |(r, c)| weight(kept[r], slots[c]));
        let (_, columns) = kuhn_munkres(&matrix);
        columns
            .into_iter()
            .enumerate()
            .map(|(r, c)| (kept[r], slots[c]))
            .collect()
    } else {
        // kuhn_munkres needs rows <= columns, so the slots become the rows.
        let matrix = Matrix::from_fn(slots.len(), kept.len(), |(r, c)| weight(kept[c], slots[r]));
        let (_, columns) = kuhn_munkres(&matrix);
        columns
            .into_iter()
            .enumerate()
            .map(|(r, c)| (kept[c], slots[r]))
            .collect()
    };

    let mut matched = vec![false; mentees.len()];
    let mut pairs: Vec<Suggestion> = assigned
        .into_iter()
        .filter(|&(e, m)| scores[e][m].is_some())
        .map(|(e, m)| {
            matched[e] = true;
            Suggestion {
                mentor_id: mentors[m].id.clone(),
                mentee_id: mentees[e].id.clone(),
                score: score(rules, mentors[m], mentees[e]),
            }
        })
        .collect();
    pairs.sort_by(|a, b| (&a.mentor_id, &a.mentee_id).cmp(&(&b.mentor_id, &b.mentee_id)));
    let unmatched_mentees = mentees
        .iter()
        .enumerate()
        .filter(|&(e, _)| !matched[e])
        .map(|(e, mentee)| Unmatched {
            mentee_id: mentee.id.clone(),
            reason: if has_eligible_mentor[e] {
                UnmatchedReason::CapacityTaken
            } else {
                UnmatchedReason::NoEligibleMentor
            },
        })
        .collect();
    let total_score = pairs.iter().map(|p| p.score.total).sum();
    Suggestions {
        pairs,
        unmatched_mentees,
        total_score,
    }
}

/// Grade and gap constraints; do-not-match is checked by the callers.
fn fits(rules: &Rules, mentor: &Mentor, mentee: &Mentee) -> bool {
    rules.mentor_grades.contains(&mentor.grade)
        && rules.mentee_grades.contains(&mentee.grade)
        && i64::from(mentor.grade) - i64::from(mentee.grade) >= i64::from(rules.min_grade_gap)
}

fn grade_gap(mentor: &Mentor, mentee: &Mentee) -> i32 {
    mentor.grade.saturating_sub(mentee.grade)
}

/// `[interest, availability, grade gap]` points; the one place the scoring rules live.
fn points(
    shared_interests: usize,
    shared_slots: usize,
    grade_gap: i32,
    preferred_gap: i32,
) -> [i64; 3] {
    let grades_away = i64::from(grade_gap.abs_diff(preferred_gap));
    [
        POINTS_PER_INTEREST * shared_interests.min(INTERESTS_COUNTED) as i64,
        POINTS_PER_SLOT * shared_slots.min(SLOTS_COUNTED) as i64,
        (GRADE_GAP_POINTS - POINTS_PER_GRADE_AWAY * grades_away).max(0),
    ]
}

fn shared(a: &[String], b: &[String]) -> Vec<String> {
    let b: BTreeSet<&str> = b.iter().map(String::as_str).collect();
    let common: BTreeSet<&str> = a
        .iter()
        .map(String::as_str)
        .filter(|x| b.contains(x))
        .collect();
    common.into_iter().map(str::to_owned).collect()
}

/// A participant's lists, sorted and deduplicated once so each pair is a linear merge.
struct Lists<'a> {
    interests: Vec<&'a str>,
    availability: Vec<&'a str>,
}

impl<'a> Lists<'a> {
    fn new(interests: &'a [String], availability: &'a [String]) -> Self {
        let sorted = |items: &'a [String]| {
            let mut v: Vec<&str> = items.iter().map(String::as_str).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        Lists {
            interests: sorted(interests),
            availability: sorted(availability),
        }
    }
}

/// Size of the intersection of two sorted, deduplicated lists.
fn count_common(a: &[&str], b: &[&str]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => (i, j, n) = (i + 1, j + 1, n + 1),
        }
    }
    n
}

#[cfg(test)]
mod tests;
