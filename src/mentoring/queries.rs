//! Every query of the mentoring area.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::models::{MatchRow, MeetingRow, Participant, ParticipantRow, ProgramRow, StudentRef};
use super::vocab::{ClosureReason, MatchStatus, ParticipantRole};
use crate::authz::{Managed, Visible};
use crate::db::schema::{
    mentoring_do_not_match as dnm, mentoring_matches as matches, mentoring_meetings as meetings,
    mentoring_participants as participants, mentoring_programs as programs, users,
};
use crate::db::{DbBackend, DbConnection};
use crate::error::ApiError;
use crate::pagination::{Page, PageParams};

/// Which programs a list covers.
pub enum ProgramScope<'a> {
    District(&'a str),
    School(&'a str),
}

pub fn insert_program(conn: &mut DbConnection, row: &ProgramRow) -> Result<(), ApiError> {
    diesel::insert_into(programs::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn list_programs(
    conn: &mut DbConnection,
    scope: ProgramScope,
    paging: PageParams,
) -> Result<Page<ProgramRow>, ApiError> {
    let build = || {
        let q = programs::table.into_boxed::<DbBackend>();
        match scope {
            ProgramScope::District(d) => q.filter(programs::district_id.eq(d.to_owned())),
            ProgramScope::School(s) => q.filter(programs::school_id.eq(s.to_owned())),
        }
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((
            programs::starts_on.desc(),
            programs::name.asc(),
            programs::id.asc(),
        ))
        .limit(paging.limit())
        .offset(paging.offset())
        .select(ProgramRow::as_select())
        .load(conn)?;
    Ok(paging.wrap(rows, total))
}

/// Names and grades of students, by id.
pub fn student_refs(
    conn: &mut DbConnection,
    ids: &BTreeSet<String>,
) -> Result<HashMap<String, StudentRef>, ApiError> {
    let rows: Vec<(String, String, String, Option<i32>)> = users::table
        .filter(users::id.eq_any(ids))
        .select((
            users::id,
            users::given_name,
            users::family_name,
            users::grade,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, given_name, family_name, grade)| {
            let r = StudentRef {
                student_id: id.clone(),
                given_name,
                family_name,
                grade,
            };
            (id, r)
        })
        .collect())
}

/// Like `student_refs`, for active accounts only (deactivated students are not matched).
pub fn active_student_refs(
    conn: &mut DbConnection,
    ids: &BTreeSet<String>,
) -> Result<HashMap<String, StudentRef>, ApiError> {
    let active: Vec<String> = users::table
        .filter(users::id.eq_any(ids))
        .filter(users::active.eq(true))
        .select(users::id)
        .load(conn)?;
    let active: BTreeSet<String> = active.into_iter().collect();
    student_refs(conn, &active)
}

pub fn insert_participant(conn: &mut DbConnection, row: &ParticipantRow) -> Result<(), ApiError> {
    diesel::insert_into(participants::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn participant(
    conn: &mut DbConnection,
    program_id: &str,
    student_id: &str,
) -> Result<Option<ParticipantRow>, ApiError> {
    Ok(participants::table
        .filter(participants::program_id.eq(program_id))
        .filter(participants::student_id.eq(student_id))
        .select(ParticipantRow::as_select())
        .first(conn)
        .optional()?)
}

/// Proposed and active matches per student of a program (as mentor or as mentee).
pub fn open_match_counts(
    conn: &mut DbConnection,
    program_id: &str,
) -> Result<HashMap<String, i64>, ApiError> {
    let open: Vec<(String, String)> = matches::table
        .filter(matches::program_id.eq(program_id))
        .filter(matches::status.ne(MatchStatus::Closed))
        .select((matches::mentor_id, matches::mentee_id))
        .load(conn)?;
    let mut counts = HashMap::new();
    for (mentor, mentee) in open {
        *counts.entry(mentor).or_insert(0) += 1;
        *counts.entry(mentee).or_insert(0) += 1;
    }
    Ok(counts)
}

pub fn participant_view(
    row: &ParticipantRow,
    refs: &HashMap<String, StudentRef>,
    open: &HashMap<String, i64>,
) -> Participant {
    Participant {
        id: row.id.clone(),
        program_id: row.program_id.clone(),
        student: refs
            .get(&row.student_id)
            .cloned()
            .unwrap_or_else(|| StudentRef::unknown(&row.student_id)),
        role: row.role,
        capacity: row.capacity,
        open_matches: open.get(&row.student_id).copied().unwrap_or(0),
        interests: row.interests(),
        availability: row.availability(),
    }
}

/// Every participant of a program (the matcher's input).
pub fn all_participants(
    conn: &mut DbConnection,
    program_id: &str,
) -> Result<Vec<ParticipantRow>, ApiError> {
    Ok(participants::table
        .filter(participants::program_id.eq(program_id))
        .order(participants::id.asc())
        .select(ParticipantRow::as_select())
        .load(conn)?)
}

pub fn list_participants(
    conn: &mut DbConnection,
    program: &Visible<ProgramRow>,
    role: Option<ParticipantRole>,
    paging: PageParams,
) -> Result<Page<Participant>, ApiError> {
    let build = || {
        let mut q = participants::table
            .inner_join(users::table)
            .filter(participants::program_id.eq(program.id.clone()))
            .into_boxed::<DbBackend>();
        if let Some(role) = role {
            q = q.filter(participants::role.eq(role));
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let rows: Vec<ParticipantRow> = build()
        .order((
            participants::role.asc(),
            users::family_name.asc(),
            users::given_name.asc(),
            participants::id.asc(),
        ))
        .limit(paging.limit())
        .offset(paging.offset())
        .select(ParticipantRow::as_select())
        .load(conn)?;
    let ids = rows.iter().map(|r| r.student_id.clone()).collect();
    let refs = student_refs(conn, &ids)?;
    let open = open_match_counts(conn, &program.id)?;
    let items = rows
        .iter()
        .map(|r| participant_view(r, &refs, &open))
        .collect();
    Ok(paging.wrap(items, total))
}

/// Locks a participant's row for the rest of the transaction (an UPDATE takes a row lock on
/// PostgreSQL; SQLite writers are already serialized), so concurrent match requests for the same
/// mentor check capacity one after the other.
pub fn lock_participant(
    conn: &mut DbConnection,
    participant_id: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(participants::table.find(participant_id))
        .set(participants::updated_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn open_matches_of_mentor(
    conn: &mut DbConnection,
    program_id: &str,
    mentor_id: &str,
) -> Result<i64, ApiError> {
    Ok(matches::table
        .filter(matches::program_id.eq(program_id))
        .filter(matches::mentor_id.eq(mentor_id))
        .filter(matches::status.ne(MatchStatus::Closed))
        .count()
        .get_result(conn)?)
}

pub fn open_match_of_mentee(
    conn: &mut DbConnection,
    program_id: &str,
    mentee_id: &str,
) -> Result<Option<String>, ApiError> {
    Ok(matches::table
        .filter(matches::program_id.eq(program_id))
        .filter(matches::mentee_id.eq(mentee_id))
        .filter(matches::status.ne(MatchStatus::Closed))
        .select(matches::id)
        .first(conn)
        .optional()?)
}

/// The do-not-match pairs among a school's students, each pair in both orders.
pub fn do_not_match_pairs(
    conn: &mut DbConnection,
    school_id: &str,
) -> Result<std::collections::HashSet<(String, String)>, ApiError> {
    let rows: Vec<(String, String)> = dnm::table
        .filter(dnm::school_id.eq(school_id))
        .select((dnm::student_a, dnm::student_b))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .flat_map(|(a, b)| [(a.clone(), b.clone()), (b, a)])
        .collect())
}

pub fn is_do_not_match(conn: &mut DbConnection, a: &str, b: &str) -> Result<bool, ApiError> {
    let (first, second) = if a < b { (a, b) } else { (b, a) };
    let n: i64 = dnm::table
        .filter(dnm::student_a.eq(first))
        .filter(dnm::student_b.eq(second))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub type DoNotMatchRow = (String, String, String, String, NaiveDateTime);

pub fn insert_do_not_match(
    conn: &mut DbConnection,
    id: &str,
    school_id: &str,
    pair: (&str, &str),
    created_by: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::insert_into(dnm::table)
        .values((
            dnm::id.eq(id),
            dnm::school_id.eq(school_id),
            dnm::student_a.eq(pair.0),
            dnm::student_b.eq(pair.1),
            dnm::created_by.eq(created_by),
            dnm::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// `(id, student_a, student_b, created_by, created_at)` of a school's pairs.
pub fn list_do_not_match(
    conn: &mut DbConnection,
    school_id: &str,
) -> Result<Vec<DoNotMatchRow>, ApiError> {
    Ok(dnm::table
        .filter(dnm::school_id.eq(school_id))
        .order((dnm::created_at.desc(), dnm::id.asc()))
        .select((
            dnm::id,
            dnm::student_a,
            dnm::student_b,
            dnm::created_by,
            dnm::created_at,
        ))
        .load(conn)?)
}

/// Open matches between two students, in any program.
pub fn open_matches_between(
    conn: &mut DbConnection,
    a: &str,
    b: &str,
) -> Result<Vec<String>, ApiError> {
    Ok(matches::table
        .filter(matches::status.ne(MatchStatus::Closed))
        .filter(
            (matches::mentor_id.eq(a).and(matches::mentee_id.eq(b)))
                .or(matches::mentor_id.eq(b).and(matches::mentee_id.eq(a))),
        )
        .select(matches::id)
        .load(conn)?)
}

pub fn insert_match(conn: &mut DbConnection, row: &MatchRow) -> Result<(), ApiError> {
    diesel::insert_into(matches::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn update_match(
    conn: &mut DbConnection,
    current: &Managed<MatchRow>,
    changed: &MatchRow,
) -> Result<(), ApiError> {
    diesel::update(matches::table.find(&current.id))
        .set((
            matches::status.eq(&changed.status),
            matches::started_on.eq(changed.started_on),
            matches::closed_on.eq(changed.closed_on),
            matches::closure_reason.eq(&changed.closure_reason),
            matches::closure_note.eq(&changed.closure_note),
            matches::updated_at.eq(changed.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Matches of some programs, optionally in one status.
pub fn matches_of_programs(
    conn: &mut DbConnection,
    program_ids: &[String],
    status: Option<MatchStatus>,
    paging: Option<PageParams>,
) -> Result<(Vec<MatchRow>, i64), ApiError> {
    let build = || {
        let mut q = matches::table
            .filter(matches::program_id.eq_any(program_ids.to_vec()))
            .into_boxed::<DbBackend>();
        if let Some(status) = status {
            q = q.filter(matches::status.eq(status));
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let mut q = build()
        .order((matches::created_at.desc(), matches::id.asc()))
        .select(MatchRow::as_select());
    if let Some(p) = paging {
        q = q.limit(p.limit()).offset(p.offset());
    }
    Ok((q.load(conn)?, total))
}

/// Matches in which a student is mentor or mentee.
pub fn matches_of_student(
    conn: &mut DbConnection,
    student_id: &str,
) -> Result<Vec<MatchRow>, ApiError> {
    Ok(matches::table
        .filter(
            matches::mentor_id
                .eq(student_id)
                .or(matches::mentee_id.eq(student_id)),
        )
        .order((matches::created_at.desc(), matches::id.asc()))
        .select(MatchRow::as_select())
        .load(conn)?)
}

pub fn programs_by_id(
    conn: &mut DbConnection,
    ids: &BTreeSet<String>,
) -> Result<HashMap<String, ProgramRow>, ApiError> {
    let rows: Vec<ProgramRow> = programs::table
        .filter(programs::id.eq_any(ids))
        .select(ProgramRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|p| (p.id.clone(), p)).collect())
}

pub fn program_ids(conn: &mut DbConnection, scope: ProgramScope) -> Result<Vec<String>, ApiError> {
    let q = programs::table.into_boxed::<DbBackend>();
    let q = match scope {
        ProgramScope::District(d) => q.filter(programs::district_id.eq(d.to_owned())),
        ProgramScope::School(s) => q.filter(programs::school_id.eq(s.to_owned())),
    };
    Ok(q.select(programs::id).load(conn)?)
}

/// Participations of a student, with their programs.
pub fn participations_of_student(
    conn: &mut DbConnection,
    student_id: &str,
) -> Result<Vec<(ParticipantRow, ProgramRow)>, ApiError> {
    Ok(participants::table
        .inner_join(programs::table)
        .filter(participants::student_id.eq(student_id))
        .order((programs::starts_on.desc(), programs::id.asc()))
        .select((ParticipantRow::as_select(), ProgramRow::as_select()))
        .load(conn)?)
}

pub fn insert_meeting(conn: &mut DbConnection, row: &MeetingRow) -> Result<(), ApiError> {
    diesel::insert_into(meetings::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn meetings_of_match(
    conn: &mut DbConnection,
    match_id: &str,
) -> Result<Vec<MeetingRow>, ApiError> {
    Ok(meetings::table
        .filter(meetings::match_id.eq(match_id))
        .order((meetings::met_on.desc(), meetings::id.asc()))
        .select(MeetingRow::as_select())
        .load(conn)?)
}

/// Meeting dates per match, ascending.
pub fn meeting_dates(
    conn: &mut DbConnection,
    match_ids: &[String],
) -> Result<HashMap<String, Vec<NaiveDate>>, ApiError> {
    let mut out: HashMap<String, Vec<NaiveDate>> = HashMap::new();
    // Chunked: SQLite limits the number of bound parameters.
    for chunk in match_ids.chunks(500) {
        let rows: Vec<(String, NaiveDate)> = meetings::table
            .filter(meetings::match_id.eq_any(chunk))
            .order((meetings::match_id.asc(), meetings::met_on.asc()))
            .select((meetings::match_id, meetings::met_on))
            .load(conn)?;
        for (id, date) in rows {
            out.entry(id).or_default().push(date);
        }
    }
    Ok(out)
}

/// Pairs of a program whose match was closed for one of `reasons`, in both orders: a pair that
/// ended for a safety concern or a mismatch is not suggested again.
pub fn closed_pairs(
    conn: &mut DbConnection,
    program_id: &str,
    reasons: &[ClosureReason],
) -> Result<std::collections::HashSet<(String, String)>, ApiError> {
    let rows: Vec<(String, String)> = matches::table
        .filter(matches::program_id.eq(program_id))
        .filter(matches::status.eq(MatchStatus::Closed))
        .filter(matches::closure_reason.eq_any(reasons))
        .select((matches::mentor_id, matches::mentee_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .flat_map(|(a, b)| [(a.clone(), b.clone()), (b, a)])
        .collect())
}
