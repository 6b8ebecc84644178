//! All roster queries. Reads of one object go through `crate::authz`; lists take a `ListScope`.

use std::collections::HashMap;

use diesel::prelude::*;

use super::dto::{ClassFilter, EnrollmentFilter, SchoolFilter, UserFilter};
use super::models::{Class, ClassRow, District, Enrollment, PersonRef, School, Term};
use crate::accounts::{Role, UserRow};
use crate::authz::{ListScope, Managed, Visible};
use crate::db::schema::{class_teachers, classes, districts, enrollments, schools, terms, users};
use crate::db::{self, DbBackend, DbConnection};
use crate::error::ApiError;
use crate::pagination::{Page, PageParams};

/// What name searches match against, folded here with Unicode rules (SQLite's `lower()` only
/// folds ASCII, so folding in SQL would make the two backends disagree).
fn user_search_key(user: &UserRow) -> String {
    format!("{} {} {}", user.given_name, user.family_name, user.username).to_lowercase()
}

fn class_search_key(class: &ClassRow) -> String {
    class.name.to_lowercase()
}

/// `%term%` for a case-insensitive LIKE, with the user's own wildcards escaped.
pub fn contains_pattern(term: &str) -> String {
    let escaped = term
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub fn update_district(
    conn: &mut DbConnection,
    district: &Managed<District>,
    changed: &District,
) -> Result<(), ApiError> {
    diesel::update(districts::table.find(&district.id))
        .set((
            districts::name.eq(&changed.name),
            districts::student_passwords.eq(changed.student_passwords),
            districts::updated_at.eq(changed.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn list_schools(
    conn: &mut DbConnection,
    district_id: &str,
    only_school: Option<&str>,
    filter: &SchoolFilter,
) -> Result<Page<School>, ApiError> {
    let build = || {
        let mut q = schools::table
            .filter(schools::district_id.eq(district_id.to_owned()))
            .into_boxed::<DbBackend>();
        if let Some(id) = only_school {
            q = q.filter(schools::id.eq(id.to_owned()));
        }
        if let Some(active) = filter.active {
            q = q.filter(schools::active.eq(active));
        }
        q
    };
    let paging = filter.paging();
    let total = build().count().get_result(conn)?;
    let items = build()
        .order((schools::name.asc(), schools::id.asc()))
        .limit(paging.limit())
        .offset(paging.offset())
        .select(School::as_select())
        .load(conn)?;
    Ok(paging.wrap(items, total))
}

pub fn insert_school(conn: &mut DbConnection, school: &School) -> Result<(), ApiError> {
    diesel::insert_into(schools::table)
        .values(school)
        .execute(conn)
        .map_err(|e| {
            unique_as_conflict(
                e,
                "name",
                "a school with this name already exists in the district",
            )
        })?;
    Ok(())
}

pub fn update_school(
    conn: &mut DbConnection,
    school: &Managed<School>,
    changed: &School,
) -> Result<(), ApiError> {
    diesel::update(schools::table.find(&school.id))
        .set((
            schools::name.eq(&changed.name),
            schools::low_grade.eq(changed.low_grade),
            schools::high_grade.eq(changed.high_grade),
            schools::active.eq(changed.active),
            schools::updated_at.eq(changed.updated_at),
        ))
        .execute(conn)
        .map_err(|e| {
            unique_as_conflict(
                e,
                "name",
                "a school with this name already exists in the district",
            )
        })?;
    Ok(())
}

/// Whether a term is offered as a term (lists, the current term): made here, or imported with
/// a class in it. Imported sessions without classes are parts of the calendar only.
macro_rules! offered_term {
    () => {
        terms::session_type.is_null().or(diesel::dsl::exists(
            classes::table.filter(classes::term_id.eq(terms::id)),
        ))
    };
}

pub fn list_terms(
    conn: &mut DbConnection,
    district_id: &str,
    include_parents: bool,
    paging: PageParams,
) -> Result<Page<Term>, ApiError> {
    let filtered = || {
        let q = terms::table
            .filter(terms::district_id.eq(district_id.to_owned()))
            .into_boxed::<crate::db::DbBackend>();
        if include_parents {
            q
        } else {
            q.filter(offered_term!())
        }
    };
    let total = filtered().count().get_result(conn)?;
    let items = filtered()
        .order((
            terms::starts_on.desc(),
            terms::ends_on.asc(),
            terms::id.asc(),
        ))
        .limit(paging.limit())
        .offset(paging.offset())
        .select(Term::as_select())
        .load(conn)?;
    Ok(paging.wrap(items, total))
}

pub fn insert_term(conn: &mut DbConnection, term: &Term) -> Result<(), ApiError> {
    diesel::insert_into(terms::table)
        .values(term)
        .execute(conn)
        .map_err(|e| {
            unique_as_conflict(
                e,
                "name",
                "a term with this name already exists in the district",
            )
        })?;
    Ok(())
}

pub fn update_term(
    conn: &mut DbConnection,
    term: &Managed<Term>,
    changed: &Term,
) -> Result<(), ApiError> {
    diesel::update(terms::table.find(&term.id))
        .set((
            terms::name.eq(&changed.name),
            terms::starts_on.eq(changed.starts_on),
            terms::ends_on.eq(changed.ends_on),
            terms::updated_at.eq(changed.updated_at),
        ))
        .execute(conn)
        .map_err(|e| {
            unique_as_conflict(
                e,
                "name",
                "a term with this name already exists in the district",
            )
        })?;
    Ok(())
}

pub fn list_users(
    conn: &mut DbConnection,
    scope: &ListScope,
    district_id: &str,
    filter: &UserFilter,
) -> Result<Page<UserRow>, ApiError> {
    let build = || {
        let mut q = users::table
            .filter(users::district_id.eq(district_id.to_owned()))
            .into_boxed::<DbBackend>();
        match scope {
            ListScope::District(_) => {}
            ListScope::School(school) => q = q.filter(users::school_id.eq(school.clone())),
            // Teachers and students do not list accounts (enforced by the role extractor too).
            ListScope::Teacher(_) | ListScope::Student(_) => {
                q = q.filter(users::id.eq(String::new()))
            }
        }
        if let Some(school) = &filter.school_id {
            q = q.filter(users::school_id.eq(school.clone()));
        }
        if let Some(role) = filter.role {
            q = q.filter(users::role.eq(role));
        }
        if let Some(grade) = filter.grade {
            q = q.filter(users::grade.eq(grade));
        }
        if let Some(active) = filter.active {
            q = q.filter(users::active.eq(active));
        }
        if let Some(since) = filter.updated_since {
            q = q.filter(users::updated_at.ge(since.naive_utc()));
        }
        if let Some(term) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pattern = contains_pattern(term);
            q = q.filter(users::search_key.like(pattern).escape('\\'));
        }
        q
    };
    let paging = filter.paging();
    let total = build().count().get_result(conn)?;
    let items = build()
        .order((
            users::family_name.asc(),
            users::given_name.asc(),
            users::id.asc(),
        ))
        .limit(paging.limit())
        .offset(paging.offset())
        .select(UserRow::as_select())
        .load(conn)?;
    Ok(paging.wrap(items, total))
}

pub fn insert_user(conn: &mut DbConnection, user: &UserRow) -> Result<(), ApiError> {
    diesel::insert_into(users::table)
        .values((user, users::search_key.eq(user_search_key(user))))
        .execute(conn)
        .map_err(|e| unique_as_conflict(e, "username", "this username is already taken"))?;
    Ok(())
}

pub fn update_user(
    conn: &mut DbConnection,
    user: &Managed<UserRow>,
    changed: &UserRow,
) -> Result<(), ApiError> {
    diesel::update(users::table.find(&user.id))
        .set((
            users::school_id.eq(&changed.school_id),
            users::role.eq(&changed.role),
            users::email.eq(&changed.email),
            users::given_name.eq(&changed.given_name),
            users::family_name.eq(&changed.family_name),
            users::grade.eq(changed.grade),
            users::active.eq(changed.active),
            users::search_key.eq(user_search_key(changed)),
            users::updated_at.eq(changed.updated_at),
        ))
        .execute(conn)?;
    if !changed.active {
        crate::auth::queries::revoke_all_for_user(conn, &user.id)?;
    }
    if (&user.role, &user.school_id, user.active)
        != (&changed.role, &changed.school_id, changed.active)
    {
        crate::auth::queries::void_activation_codes(conn, &user.id)?;
    }
    // Retention counts from the day an account was deactivated.
    if user.active != changed.active {
        diesel::update(users::table.find(&user.id))
            .set(users::deactivated_at.eq((!changed.active).then_some(changed.updated_at)))
            .execute(conn)?;
    }
    Ok(())
}

fn scoped_classes<'a>(scope: &ListScope, district_id: &str) -> classes::BoxedQuery<'a, DbBackend> {
    let in_district = schools::table
        .filter(schools::district_id.eq(district_id.to_owned()))
        .select(schools::id);
    let q = classes::table
        .filter(classes::school_id.eq_any(in_district))
        .into_boxed::<DbBackend>();
    match scope {
        ListScope::District(_) => q,
        ListScope::School(school) => q.filter(classes::school_id.eq(school.clone())),
        ListScope::Teacher(teacher) => q.filter(
            classes::id.eq_any(
                class_teachers::table
                    .filter(class_teachers::teacher_id.eq(teacher.clone()))
                    .select(class_teachers::class_id),
            ),
        ),
        ListScope::Student(student) => q.filter(
            classes::id.eq_any(
                enrollments::table
                    .filter(enrollments::student_id.eq(student.clone()))
                    .filter(enrollments::active.eq(true))
                    .select(enrollments::class_id),
            ),
        ),
    }
}

pub fn list_classes(
    conn: &mut DbConnection,
    scope: &ListScope,
    district_id: &str,
    filter: &ClassFilter,
) -> Result<Page<Class>, ApiError> {
    let build = || {
        let mut q = scoped_classes(scope, district_id);
        if let Some(school) = &filter.school_id {
            q = q.filter(classes::school_id.eq(school.clone()));
        }
        if let Some(term) = &filter.term_id {
            q = q.filter(classes::term_id.eq(term.clone()));
        }
        if let Some(grade) = filter.grade {
            q = q.filter(classes::grade.eq(grade));
        }
        if let Some(active) = filter.active {
            q = q.filter(classes::active.eq(active));
        }
        if let Some(since) = filter.updated_since {
            q = q.filter(classes::updated_at.ge(since.naive_utc()));
        }
        if let Some(teacher) = &filter.teacher_id {
            q = q.filter(
                classes::id.eq_any(
                    class_teachers::table
                        .filter(class_teachers::teacher_id.eq(teacher.clone()))
                        .select(class_teachers::class_id),
                ),
            );
        }
        if let Some(term) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            q = q.filter(
                classes::search_key
                    .like(contains_pattern(term))
                    .escape('\\'),
            );
        }
        q
    };
    let paging = filter.paging();
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((classes::name.asc(), classes::id.asc()))
        .limit(paging.limit())
        .offset(paging.offset())
        .select(ClassRow::as_select())
        .load(conn)?;
    let items = with_details(conn, rows)?;
    Ok(paging.wrap(items, total))
}

/// Adds teachers and active-enrollment counts to class rows, in two queries for the whole page.
pub fn with_details(conn: &mut DbConnection, rows: Vec<ClassRow>) -> Result<Vec<Class>, ApiError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let teacher_rows: Vec<(String, PersonRef)> = class_teachers::table
        .inner_join(users::table)
        .filter(class_teachers::class_id.eq_any(&ids))
        .order((
            users::family_name.asc(),
            users::given_name.asc(),
            users::id.asc(),
        ))
        .select((
            class_teachers::class_id,
            (users::id, users::given_name, users::family_name),
        ))
        .load(conn)?;
    let counts: Vec<(String, i64)> = enrollments::table
        .filter(enrollments::class_id.eq_any(&ids))
        .filter(enrollments::active.eq(true))
        .group_by(enrollments::class_id)
        .select((enrollments::class_id, diesel::dsl::count_star()))
        .load(conn)?;
    let mut teachers: HashMap<String, Vec<PersonRef>> = HashMap::new();
    for (class_id, person) in teacher_rows {
        teachers.entry(class_id).or_default().push(person);
    }
    let counts: HashMap<String, i64> = counts.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(|r| Class {
            teachers: teachers.remove(&r.id).unwrap_or_default(),
            student_count: counts.get(&r.id).copied().unwrap_or(0),
            id: r.id,
            school_id: r.school_id,
            term_id: r.term_id,
            name: r.name,
            grade: r.grade,
            active: r.active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

pub fn class_detail(conn: &mut DbConnection, class: Visible<ClassRow>) -> Result<Class, ApiError> {
    Ok(with_details(conn, vec![class.into_inner()])?.remove(0))
}

/// Checks that every id names an active teacher of `school_id`; names the first that does not.
pub fn check_teachers(
    conn: &mut DbConnection,
    school_id: &str,
    teacher_ids: &[String],
) -> Result<(), ApiError> {
    let found: Vec<String> = users::table
        .filter(users::id.eq_any(teacher_ids))
        .filter(users::school_id.eq(school_id))
        .filter(users::role.eq(Role::Teacher))
        .filter(users::active.eq(true))
        .select(users::id)
        .load(conn)?;
    match teacher_ids.iter().position(|id| !found.contains(id)) {
        Some(index) => Err(ApiError::invalid(
            format!("teacher_ids[{index}]"),
            "is not an active teacher of this class's school",
        )),
        None => Ok(()),
    }
}

pub fn insert_class(
    conn: &mut DbConnection,
    class: &ClassRow,
    teacher_ids: &[String],
) -> Result<(), ApiError> {
    diesel::insert_into(classes::table)
        .values((class, classes::search_key.eq(class_search_key(class))))
        .execute(conn)?;
    set_teachers(conn, &class.id, teacher_ids)
}

fn set_teachers(
    conn: &mut DbConnection,
    class_id: &str,
    teacher_ids: &[String],
) -> Result<(), ApiError> {
    diesel::delete(class_teachers::table.filter(class_teachers::class_id.eq(class_id)))
        .execute(conn)?;
    // Row by row: the multi-backend connection has no batch insert, and classes have few teachers.
    for teacher_id in teacher_ids {
        diesel::insert_into(class_teachers::table)
            .values((
                class_teachers::class_id.eq(class_id),
                class_teachers::teacher_id.eq(teacher_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn update_class(
    conn: &mut DbConnection,
    class: &Managed<ClassRow>,
    changed: &ClassRow,
    teacher_ids: Option<&[String]>,
) -> Result<(), ApiError> {
    diesel::update(classes::table.find(&class.id))
        .set((
            classes::name.eq(&changed.name),
            classes::term_id.eq(&changed.term_id),
            classes::grade.eq(changed.grade),
            classes::active.eq(changed.active),
            classes::search_key.eq(class_search_key(changed)),
            classes::updated_at.eq(changed.updated_at),
        ))
        .execute(conn)?;
    if let Some(ids) = teacher_ids {
        set_teachers(conn, &class.id, ids)?;
    }
    Ok(())
}

pub fn list_enrollments(
    conn: &mut DbConnection,
    class: &Visible<ClassRow>,
    filter: &EnrollmentFilter,
) -> Result<Page<Enrollment>, ApiError> {
    let paging = filter.paging();
    let build = || {
        let mut q = enrollments::table
            .inner_join(users::table)
            .filter(enrollments::class_id.eq(class.id.clone()))
            .into_boxed::<DbBackend>();
        if let Some(active) = filter.active {
            q = q.filter(enrollments::active.eq(active));
        }
        if let Some(since) = filter.updated_since {
            q = q.filter(enrollments::updated_at.ge(since.naive_utc()));
        }
        q
    };
    let total = build().count().get_result(conn)?;
    type Row = (
        String,
        String,
        String,
        String,
        String,
        Option<i32>,
        bool,
        chrono::NaiveDateTime,
        chrono::NaiveDateTime,
    );
    let rows: Vec<Row> = build()
        .order((
            users::family_name.asc(),
            users::given_name.asc(),
            users::id.asc(),
        ))
        .limit(paging.limit())
        .offset(paging.offset())
        .select((
            enrollments::class_id,
            users::id,
            users::username,
            users::given_name,
            users::family_name,
            users::grade,
            enrollments::active,
            enrollments::created_at,
            enrollments::updated_at,
        ))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(
            |(
                class_id,
                student_id,
                username,
                given_name,
                family_name,
                grade,
                active,
                enrolled_at,
                updated_at,
            )| Enrollment {
                class_id,
                student_id,
                username,
                given_name,
                family_name,
                grade,
                active,
                enrolled_at,
                updated_at,
            },
        )
        .collect();
    Ok(paging.wrap(items, total))
}

/// Enrolls a student of the class's school, or reactivates a former enrollment. Idempotent.
pub fn enroll(
    conn: &mut DbConnection,
    class: &Managed<ClassRow>,
    student_id: &str,
) -> Result<bool, ApiError> {
    let student: Option<UserRow> = users::table
        .find(student_id)
        .filter(users::school_id.eq(&class.school_id))
        .filter(users::role.eq(Role::Student))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    let student = student.ok_or_else(|| {
        ApiError::invalid("student_id", "is not a student of this class's school")
    })?;
    if !student.active {
        return Err(ApiError::invalid(
            "student_id",
            "the student account is deactivated",
        ));
    }
    let now = db::now();
    let updated = diesel::update(
        enrollments::table
            .filter(enrollments::class_id.eq(&class.id))
            .filter(enrollments::student_id.eq(student_id)),
    )
    .set((
        enrollments::active.eq(true),
        enrollments::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(enrollments::table)
            .values((
                enrollments::class_id.eq(&class.id),
                enrollments::student_id.eq(student_id),
                enrollments::active.eq(true),
                enrollments::created_at.eq(now),
                enrollments::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(updated == 0)
}

/// Ends an enrollment (kept, inactive, so lesson history still resolves).
pub fn unenroll(
    conn: &mut DbConnection,
    class: &Managed<ClassRow>,
    student_id: &str,
) -> Result<(), ApiError> {
    let updated = diesel::update(
        enrollments::table
            .filter(enrollments::class_id.eq(&class.id))
            .filter(enrollments::student_id.eq(student_id)),
    )
    .set((
        enrollments::active.eq(false),
        enrollments::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(ApiError::NotFound("enrollment"));
    }
    Ok(())
}

fn unique_as_conflict(e: diesel::result::Error, field: &str, detail: &str) -> ApiError {
    if db::is_unique_violation(&e) {
        ApiError::conflict(Some(field), detail)
    } else {
        e.into()
    }
}

/// The term running on `day`, or else the one that started most recently.
pub fn current_term(
    conn: &mut DbConnection,
    district_id: &str,
    day: chrono::NaiveDate,
) -> Result<Option<Term>, ApiError> {
    let running = terms::table
        .filter(terms::district_id.eq(district_id))
        .filter(offered_term!())
        .filter(terms::starts_on.le(day))
        .filter(terms::ends_on.ge(day))
        // Of terms starting together (a school year and its first semester), the shorter.
        .order((
            terms::starts_on.desc(),
            terms::ends_on.asc(),
            terms::id.asc(),
        ))
        .select(Term::as_select())
        .first(conn)
        .optional()?;
    if running.is_some() {
        return Ok(running);
    }
    Ok(terms::table
        .filter(terms::district_id.eq(district_id))
        .filter(offered_term!())
        .filter(terms::starts_on.le(day))
        .order((
            terms::starts_on.desc(),
            terms::ends_on.asc(),
            terms::id.asc(),
        ))
        .select(Term::as_select())
        .first(conn)
        .optional()?)
}
