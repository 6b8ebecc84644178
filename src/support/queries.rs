//! The SQL of student support.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::models::{CheckInRow, HelpNoteRow, HelpRequestRow, SettingsRow};
use super::settings::{clock_time, minutes, SupportSettings};
use super::vocab::HelpState;
use crate::accounts::{Caller, Role};
use crate::authz::{Managed, Visible};
use crate::db::schema::{
    check_ins, class_teachers, classes, district_support_settings, enrollments, help_request_notes,
    help_requests, support_figures, terms, users,
};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::rosters::models::PersonRef;

// ---- settings ------------------------------------------------------------------------------

pub fn settings(conn: &mut DbConnection, district: &str) -> Result<SupportSettings, ApiError> {
    let row: Option<SettingsRow> = district_support_settings::table
        .find(district)
        .select(SettingsRow::as_select())
        .first(conn)
        .optional()?;
    Ok(match row {
        None => SupportSettings::default(),
        Some(r) => SupportSettings {
            teachers_see_check_ins: r.teachers_see_check_ins,
            teachers_see_student_goals: r.teachers_see_student_goals,
            time_zone: r.time_zone,
            school_day_starts: clock_time(r.school_day_start_minute),
            school_day_ends: clock_time(r.school_day_end_minute),
            acknowledge_school_days: r.acknowledge_school_days,
            today_school_hours: r.today_school_hours,
            crisis_message: r.crisis_message,
            reporting_threshold: r.reporting_threshold,
            notice_intensity: r.notice_intensity,
            notice_days: r.notice_days,
            notice_lookback_days: r.notice_lookback_days,
            notice_sudden_change: r.notice_sudden_change,
        },
    })
}

pub fn save_settings(
    conn: &mut DbConnection,
    district: &str,
    s: &SupportSettings,
) -> Result<(), ApiError> {
    let row = SettingsRow {
        district_id: district.to_owned(),
        teachers_see_check_ins: s.teachers_see_check_ins,
        teachers_see_student_goals: s.teachers_see_student_goals,
        time_zone: s.time_zone.clone(),
        school_day_start_minute: minutes(&s.school_day_starts),
        school_day_end_minute: minutes(&s.school_day_ends),
        acknowledge_school_days: s.acknowledge_school_days,
        today_school_hours: s.today_school_hours,
        crisis_message: s.crisis_message.clone(),
        reporting_threshold: s.reporting_threshold,
        notice_intensity: s.notice_intensity,
        notice_days: s.notice_days,
        notice_lookback_days: s.notice_lookback_days,
        notice_sudden_change: s.notice_sudden_change,
        updated_at: crate::db::now(),
    };
    let updated = diesel::update(district_support_settings::table.find(district))
        .set(&row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(district_support_settings::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(())
}

// ---- check-ins -----------------------------------------------------------------------------

/// Records a student's check-in of a day, replacing that day's if there is one (two statements
/// either way). Returns the row as stored and whether it was new. Two first check-ins of one
/// student on one day at the same moment: one gets the unique violation (409, try again).
pub fn record_check_in(
    conn: &mut DbConnection,
    row: &CheckInRow,
) -> QueryResult<(CheckInRow, bool)> {
    let earlier: Option<(String, NaiveDateTime)> = check_ins::table
        .filter(check_ins::student_id.eq(&row.student_id))
        .filter(check_ins::on_day.eq(row.on_day))
        .select((check_ins::id, check_ins::created_at))
        .first(conn)
        .optional()?;
    let Some((id, created_at)) = earlier else {
        diesel::insert_into(check_ins::table)
            .values(row)
            .execute(conn)?;
        return Ok((row.clone(), true));
    };
    diesel::update(check_ins::table.find(&id))
        .set((
            check_ins::emotion.eq(row.emotion),
            check_ins::intensity.eq(row.intensity),
            check_ins::note.eq(&row.note),
            check_ins::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok((
        CheckInRow {
            id,
            created_at,
            ..row.clone()
        },
        false,
    ))
}

/// A student's check-ins between two days (inclusive), newest first.
pub fn check_ins_of(
    conn: &mut DbConnection,
    student: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<CheckInRow>> {
    check_ins::table
        .filter(check_ins::student_id.eq(student))
        .filter(check_ins::on_day.between(from, to))
        .order(check_ins::on_day.desc())
        .select(CheckInRow::as_select())
        .load(conn)
}

/// What figures are counted from: one check-in of one student on one day.
pub type CheckInFact = (String, NaiveDate, crate::lessons::vocab::Emotion, i32);

fn fact_columns() -> (
    check_ins::student_id,
    check_ins::on_day,
    check_ins::emotion,
    check_ins::intensity,
) {
    (
        check_ins::student_id,
        check_ins::on_day,
        check_ins::emotion,
        check_ins::intensity,
    )
}

/// Students actively enrolled in a class now who were enrolled before `since`: a class made,
/// or a student added, after a week began does not count in that week.
pub fn class_students(
    conn: &mut DbConnection,
    class: &Visible<crate::rosters::models::ClassRow>,
    since: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    enrollments::table
        .inner_join(users::table.on(users::id.eq(enrollments::student_id)))
        .filter(enrollments::class_id.eq(&class.id))
        .filter(enrollments::active.eq(true))
        .filter(enrollments::created_at.lt(since))
        .filter(users::active.eq(true))
        .select(enrollments::student_id)
        .order(enrollments::student_id)
        .load(conn)
}

/// Check-ins of these students between two days.
pub fn facts_of_students(
    conn: &mut DbConnection,
    students: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<CheckInFact>> {
    check_ins::table
        .filter(check_ins::student_id.eq_any(students))
        .filter(check_ins::on_day.between(from, to))
        .select(fact_columns())
        .load(conn)
}

/// Active students of a school now (of one grade, if given).
pub fn school_students(
    conn: &mut DbConnection,
    school: &str,
    grade: Option<i32>,
) -> QueryResult<Vec<String>> {
    let mut q = users::table
        .filter(users::school_id.eq(school))
        .filter(users::role.eq(Role::Student))
        .filter(users::active.eq(true))
        .select(users::id)
        .into_boxed();
    if let Some(g) = grade {
        q = q.filter(users::grade.eq(g));
    }
    q.order(users::id).load(conn)
}

/// Check-ins made at a school between two days (in one grade, if given), by the school and
/// grade the student had on the day.
pub fn facts_of_school(
    conn: &mut DbConnection,
    school: &str,
    grade: Option<i32>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<CheckInFact>> {
    let mut q = check_ins::table
        .filter(check_ins::school_id.eq(school))
        .filter(check_ins::on_day.between(from, to))
        .select(fact_columns())
        .into_boxed();
    if let Some(g) = grade {
        q = q.filter(check_ins::grade.eq(g));
    }
    q.load(conn)
}

/// People's names, by id (in name order).
pub fn people(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<PersonRef>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::given_name, users::family_name))
        .order((users::family_name, users::given_name, users::id))
        .load(conn)
}

// ---- help requests -------------------------------------------------------------------------

/// The adults a student may choose to ask: the active teachers of the student's current
/// classes (active enrollment in a class whose term has not ended) and the school's active
/// counselors.
pub fn trusted_adults(
    conn: &mut DbConnection,
    student: &Caller,
    today: NaiveDate,
) -> QueryResult<Vec<(PersonRef, Role)>> {
    let teachers: Vec<PersonRef> = class_teachers::table
        .inner_join(enrollments::table.on(enrollments::class_id.eq(class_teachers::class_id)))
        .inner_join(classes::table.on(classes::id.eq(class_teachers::class_id)))
        .inner_join(terms::table.on(terms::id.eq(classes::term_id)))
        .inner_join(users::table.on(users::id.eq(class_teachers::teacher_id)))
        .filter(enrollments::student_id.eq(&student.user_id))
        .filter(enrollments::active.eq(true))
        .filter(classes::active.eq(true))
        .filter(terms::ends_on.ge(today))
        .filter(users::active.eq(true))
        .select((users::id, users::given_name, users::family_name))
        .distinct()
        .load(conn)?;
    let counselors: Vec<PersonRef> = users::table
        .filter(users::school_id.eq(student.school_id.clone().unwrap_or_default()))
        .filter(users::role.eq(Role::Counselor))
        .filter(users::active.eq(true))
        .select((users::id, users::given_name, users::family_name))
        .load(conn)?;
    let mut all: Vec<(PersonRef, Role)> = counselors
        .into_iter()
        .map(|p| (p, Role::Counselor))
        .collect();
    for t in teachers {
        if !all.iter().any(|(p, _)| p.id == t.id) {
            all.push((t, Role::Teacher));
        }
    }
    all.sort_by(|a, b| {
        (&a.0.family_name, &a.0.given_name, &a.0.id).cmp(&(
            &b.0.family_name,
            &b.0.given_name,
            &b.0.id,
        ))
    });
    Ok(all)
}

pub fn insert_help_request(conn: &mut DbConnection, row: &HelpRequestRow) -> QueryResult<()> {
    diesel::insert_into(help_requests::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// An open request the student made from this check-in, if any.
pub fn open_request_of_check_in(
    conn: &mut DbConnection,
    check_in: &str,
) -> QueryResult<Option<HelpRequestRow>> {
    help_requests::table
        .filter(help_requests::check_in_id.eq(check_in))
        .filter(help_requests::state.eq_any([HelpState::New, HelpState::Acknowledged]))
        .select(HelpRequestRow::as_select())
        .first(conn)
        .optional()
}

/// Who is listing help requests, and so which rows they see.
pub enum HelpAudience<'a> {
    Student(&'a str),
    /// Staff: requests addressed to them, and for counselors every request of their school,
    /// for school administrators every escalated one.
    Staff {
        user: &'a str,
        role: Role,
        school: Option<&'a str>,
    },
}

type HelpQuery<'a> = help_requests::BoxedQuery<'a, crate::db::DbBackend>;

/// Requests the audience sees, in a state if given, overdue only if asked; newest first.
pub fn help_requests_for<'a>(
    conn: &mut DbConnection,
    audience: &HelpAudience<'a>,
    state: Option<HelpState>,
    overdue_only: bool,
    now: NaiveDateTime,
    paging: crate::pagination::PageParams,
) -> QueryResult<(Vec<HelpRequestRow>, i64)> {
    let build = || -> HelpQuery<'a> {
        let mut q = help_requests::table.into_boxed();
        match audience {
            HelpAudience::Student(id) => q = q.filter(help_requests::student_id.eq(*id)),
            HelpAudience::Staff { user, role, school } => {
                let school = school.unwrap_or("");
                let mine = help_requests::recipient_id.eq(*user);
                q = match role {
                    Role::Counselor => q.filter(mine.or(help_requests::school_id.eq(school))),
                    Role::SchoolAdmin => q.filter(
                        mine.or(help_requests::school_id.eq(school).and(
                            help_requests::state
                                .eq(HelpState::New)
                                .and(help_requests::acknowledge_by.lt(now))
                                .or(help_requests::acknowledged_at
                                    .gt(help_requests::acknowledge_by.nullable()))
                                .or(help_requests::withdrawn_at
                                    .gt(help_requests::acknowledge_by.nullable())),
                        )),
                    ),
                    _ => q.filter(mine),
                }
            }
        }
        if let Some(s) = state {
            q = q.filter(help_requests::state.eq(s));
        }
        if overdue_only {
            q = q
                .filter(help_requests::state.eq(HelpState::New))
                .filter(help_requests::acknowledge_by.lt(now));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let order_overdue = overdue_only;
    let mut q = build();
    q = if order_overdue {
        q.order((help_requests::acknowledge_by.asc(), help_requests::id.asc()))
    } else {
        q.order((help_requests::created_at.desc(), help_requests::id.asc()))
    };
    let rows = q
        .limit(paging.limit())
        .offset(paging.offset())
        .select(HelpRequestRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Writes a request's new state (and what comes with it).
pub fn update_help_request(
    conn: &mut DbConnection,
    row: &Managed<HelpRequestRow>,
    changed: &HelpRequestRow,
) -> QueryResult<()> {
    diesel::update(help_requests::table.find(&row.id))
        .set((
            help_requests::state.eq(changed.state),
            help_requests::acknowledged_at.eq(changed.acknowledged_at),
            help_requests::acknowledged_by.eq(&changed.acknowledged_by),
            help_requests::meeting_at.eq(changed.meeting_at),
            help_requests::met_at.eq(changed.met_at),
            help_requests::closed_at.eq(changed.closed_at),
            help_requests::closing_reason.eq(changed.closing_reason),
            help_requests::withdrawn_at.eq(changed.withdrawn_at),
            help_requests::updated_at.eq(changed.updated_at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn add_note(conn: &mut DbConnection, note: &HelpNoteRow) -> QueryResult<()> {
    diesel::insert_into(help_request_notes::table)
        .values(note)
        .execute(conn)
        .map(|_| ())
}

pub fn notes_of(
    conn: &mut DbConnection,
    request: &str,
) -> QueryResult<Vec<(HelpNoteRow, PersonRef)>> {
    help_request_notes::table
        .inner_join(users::table.on(users::id.eq(help_request_notes::author_id)))
        .filter(help_request_notes::request_id.eq(request))
        .order((
            help_request_notes::created_at.asc(),
            help_request_notes::id.asc(),
        ))
        .select((
            HelpNoteRow::as_select(),
            (users::id, users::given_name, users::family_name),
        ))
        .load(conn)
}

/// Help requests made at a school between two instants, for district numbers.
pub fn requests_of_school_between(
    conn: &mut DbConnection,
    school: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<HelpRequestRow>> {
    help_requests::table
        .filter(help_requests::school_id.eq(school))
        .filter(help_requests::created_at.ge(from))
        .filter(help_requests::created_at.lt(to))
        .select(HelpRequestRow::as_select())
        .load(conn)
}

/// The district's active schools, by name.
pub fn district_schools(
    conn: &mut DbConnection,
    district: &str,
) -> QueryResult<Vec<(String, String)>> {
    use crate::db::schema::schools;
    schools::table
        .filter(schools::district_id.eq(district))
        .filter(schools::active.eq(true))
        .order((schools::name, schools::id))
        .select((schools::id, schools::name))
        .load(conn)
}

// ---- frozen figures ------------------------------------------------------------------------

/// The figures kept for (kind, scope, period), as JSON, if any.
pub fn stored_figures(
    conn: &mut DbConnection,
    kind: &str,
    scope_id: &str,
    period: NaiveDate,
) -> QueryResult<Option<String>> {
    support_figures::table
        .find((kind, scope_id, period))
        .select(support_figures::body)
        .first(conn)
        .optional()
}

/// Keeps figures; false when another request kept them first (the caller reads those).
pub fn keep_figures(
    conn: &mut DbConnection,
    kind: &str,
    scope_id: &str,
    period: NaiveDate,
    body: &str,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(support_figures::table)
        .values((
            support_figures::kind.eq(kind),
            support_figures::scope_id.eq(scope_id),
            support_figures::period.eq(period),
            support_figures::body.eq(body),
            support_figures::created_at.eq(crate::db::now()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(e) => Err(e),
    }
}
