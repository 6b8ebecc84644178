//! Writing a clean plan: inserts in batches (one statement per thousand rows or so), updates
//! per changed row, in the caller's transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::current::Roster;
use super::slots::{Change, ClassData, Link, SchoolData, Slot, TermData, UserData};
use crate::accounts::Role;
use crate::audit::Actor;
use crate::db::on_backend;
use crate::db::schema::{class_teachers, classes, districts, enrollments, schools, terms, users};
use crate::db::{self, insert_batches, DbConnection};
use crate::error::ApiError;

#[derive(Insertable)]
#[diesel(table_name = schools, treat_none_as_default_value = false)]
struct NewSchool<'a> {
    id: &'a str,
    district_id: &'a str,
    name: &'a str,
    low_grade: i32,
    high_grade: i32,
    active: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    source_id: Option<&'a str>,
    source_modified_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = terms, treat_none_as_default_value = false)]
struct NewTerm<'a> {
    id: &'a str,
    district_id: &'a str,
    name: &'a str,
    starts_on: chrono::NaiveDate,
    ends_on: chrono::NaiveDate,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    source_id: Option<&'a str>,
    source_modified_at: Option<NaiveDateTime>,
    session_type: Option<&'a str>,
}

#[derive(Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
struct NewUser<'a> {
    id: &'a str,
    district_id: &'a str,
    school_id: Option<&'a str>,
    role: Role,
    username: &'a str,
    email: Option<&'a str>,
    given_name: &'a str,
    family_name: &'a str,
    grade: Option<i32>,
    password_hash: Option<&'a str>,
    active: bool,
    failed_logins: i32,
    locked_until: Option<NaiveDateTime>,
    search_key: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    source_id: Option<&'a str>,
    source_modified_at: Option<NaiveDateTime>,
    deactivated_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = classes, treat_none_as_default_value = false)]
struct NewClass<'a> {
    id: &'a str,
    school_id: &'a str,
    term_id: &'a str,
    name: &'a str,
    grade: Option<i32>,
    active: bool,
    search_key: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    source_id: Option<&'a str>,
    source_modified_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = enrollments, treat_none_as_default_value = false)]
struct NewEnrollment<'a> {
    class_id: &'a str,
    student_id: &'a str,
    active: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    source_id: Option<&'a str>,
    source_modified_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = class_teachers, treat_none_as_default_value = false)]
struct NewClassTeacher<'a> {
    class_id: &'a str,
    teacher_id: &'a str,
    source_id: Option<&'a str>,
    source_modified_at: Option<NaiveDateTime>,
}

/// The slots a plan asks to create or change.
fn changed<T: super::slots::Activity>(
    slots: &[Slot<T>],
) -> impl Iterator<Item = (&Slot<T>, &T, Change)> {
    slots.iter().filter_map(|slot| match slot.change() {
        Some(Change::Unchanged) | None => None,
        Some(change) => slot.desired.as_ref().map(|d| (slot, d, change)),
    })
}

fn user_search_key(data: &UserData) -> String {
    format!("{} {} {}", data.given_name, data.family_name, data.username).to_lowercase()
}

pub fn write(
    conn: &mut DbConnection,
    district_id: &str,
    roster: &Roster,
    bind_district_source: Option<&str>,
    actor: Actor,
) -> Result<(), ApiError> {
    let now = db::now();
    if let Some(source) = bind_district_source {
        diesel::update(districts::table.find(district_id))
            .set(districts::source_id.eq(source))
            .execute(conn)?;
    }
    write_schools(conn, district_id, &roster.schools.list, now)?;
    write_terms(conn, district_id, &roster.terms.list, now)?;
    write_users(conn, district_id, &roster.users.list, now, actor)?;
    write_classes(conn, &roster.classes.list, now)?;
    Ok(write_links(conn, roster, now)?)
}

fn write_schools(
    conn: &mut DbConnection,
    district_id: &str,
    slots: &[Slot<SchoolData>],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let mut new = Vec::new();
    for (slot, data, change) in changed(slots) {
        if change == Change::Create {
            new.push(NewSchool {
                id: &slot.id,
                district_id,
                name: &data.name,
                low_grade: data.low_grade,
                high_grade: data.high_grade,
                active: data.active,
                created_at: now,
                updated_at: now,
                source_id: slot.source_id.as_deref(),
                source_modified_at: slot.desired_modified,
            });
            continue;
        }
        diesel::update(schools::table.find(&slot.id))
            .set((
                schools::name.eq(&data.name),
                schools::low_grade.eq(data.low_grade),
                schools::high_grade.eq(data.high_grade),
                schools::active.eq(data.active),
                schools::source_id.eq(slot.source_id.as_deref()),
                schools::source_modified_at.eq(slot.desired_modified.or(slot.current_modified)),
                schools::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    insert_batches(new.len(), 10, |range| {
        on_backend!(&mut *conn, |c| diesel::insert_into(schools::table)
            .values(&new[range])
            .execute(c))
    })
}

fn write_terms(
    conn: &mut DbConnection,
    district_id: &str,
    slots: &[Slot<TermData>],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let mut new = Vec::new();
    for (slot, data, change) in changed(slots) {
        if change == Change::Create {
            new.push(NewTerm {
                id: &slot.id,
                district_id,
                name: &data.name,
                starts_on: data.starts_on,
                ends_on: data.ends_on,
                created_at: now,
                updated_at: now,
                source_id: slot.source_id.as_deref(),
                source_modified_at: slot.desired_modified,
                session_type: data.session_type.as_deref(),
            });
            continue;
        }
        diesel::update(terms::table.find(&slot.id))
            .set((
                terms::name.eq(&data.name),
                terms::starts_on.eq(data.starts_on),
                terms::ends_on.eq(data.ends_on),
                terms::session_type.eq(data.session_type.as_deref()),
                terms::source_id.eq(slot.source_id.as_deref()),
                terms::source_modified_at.eq(slot.desired_modified.or(slot.current_modified)),
                terms::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    insert_batches(new.len(), 10, |range| {
        on_backend!(&mut *conn, |c| diesel::insert_into(terms::table)
            .values(&new[range])
            .execute(c))
    })?;
    // Parents once every term exists (a semester may come before its school year).
    let id_of: std::collections::HashMap<&str, &str> = slots
        .iter()
        .filter_map(|s| s.source_id.as_deref().map(|source| (source, s.id.as_str())))
        .collect();
    for (slot, data, _) in changed(slots) {
        let parent = data
            .parent_source
            .as_deref()
            .and_then(|p| id_of.get(p).copied());
        diesel::update(terms::table.find(&slot.id))
            .set(terms::parent_id.eq(parent))
            .execute(conn)?;
    }
    Ok(())
}

fn write_users(
    conn: &mut DbConnection,
    district_id: &str,
    slots: &[Slot<UserData>],
    now: NaiveDateTime,
    actor: Actor,
) -> Result<(), ApiError> {
    // Usernames are unique: accounts whose username changes first take a placeholder, so
    // renames that swap or chain usernames (x→y while y→z) do not collide midway.
    for (slot, data, _) in changed(slots) {
        if slot
            .current
            .as_ref()
            .is_some_and(|c| c.username != data.username)
        {
            diesel::update(users::table.find(&slot.id))
                .set(users::username.eq(format!("~renaming-{}", slot.id)))
                .execute(conn)?;
        }
    }
    let mut new = Vec::new();
    for (slot, data, change) in changed(slots) {
        if change == Change::Create {
            new.push(NewUser {
                id: &slot.id,
                district_id,
                school_id: data.school_id.as_deref(),
                role: data.role,
                username: &data.username,
                email: data.email.as_deref(),
                given_name: &data.given_name,
                family_name: &data.family_name,
                grade: data.grade,
                password_hash: None,
                active: data.active,
                failed_logins: 0,
                locked_until: None,
                search_key: user_search_key(data),
                created_at: now,
                updated_at: now,
                source_id: slot.source_id.as_deref(),
                source_modified_at: slot.desired_modified,
                deactivated_at: (!data.active).then_some(now),
            });
            continue;
        }
        let was_active = slot.current.as_ref().is_some_and(|c| c.active);
        if was_active != data.active {
            // Retention counts from the day an account was deactivated.
            diesel::update(users::table.find(&slot.id))
                .set(users::deactivated_at.eq((!data.active).then_some(now)))
                .execute(conn)?;
        }
        if !data.active {
            crate::auth::queries::revoke_all_for_user(conn, &slot.id)?;
        }
        let access = |u: &UserData| (u.role, u.school_id.clone(), u.active);
        if let Some(current) = slot.current.as_ref().filter(|c| access(c) != access(data)) {
            crate::auth::queries::void_activation_codes(conn, &slot.id)?;
            crate::audit::record_in_transaction(
                conn,
                actor,
                "user.access_changed",
                serde_json::json!({
                    "user_id": slot.id,
                    "role": {"from": current.role, "to": data.role},
                    "school_id": {"from": current.school_id, "to": data.school_id},
                    "active": {"from": current.active, "to": data.active},
                    "source": "roster.import",
                }),
            )?;
        }
        diesel::update(users::table.find(&slot.id))
            .set((
                users::username.eq(&data.username),
                users::role.eq(&data.role),
                users::school_id.eq(data.school_id.as_deref()),
                users::grade.eq(data.grade),
                users::given_name.eq(&data.given_name),
                users::family_name.eq(&data.family_name),
                users::email.eq(data.email.as_deref()),
                users::active.eq(data.active),
                users::search_key.eq(user_search_key(data)),
                users::source_id.eq(slot.source_id.as_deref()),
                users::source_modified_at.eq(slot.desired_modified.or(slot.current_modified)),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(insert_batches(new.len(), 19, |range| {
        on_backend!(&mut *conn, |c| diesel::insert_into(users::table)
            .values(&new[range])
            .execute(c))
    })?)
}

fn write_classes(
    conn: &mut DbConnection,
    slots: &[Slot<ClassData>],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let mut new = Vec::new();
    for (slot, data, change) in changed(slots) {
        if change == Change::Create {
            new.push(NewClass {
                id: &slot.id,
                school_id: &data.school_id,
                term_id: &data.term_id,
                name: &data.name,
                grade: data.grade,
                active: data.active,
                search_key: data.name.to_lowercase(),
                created_at: now,
                updated_at: now,
                source_id: slot.source_id.as_deref(),
                source_modified_at: slot.desired_modified,
            });
            continue;
        }
        diesel::update(classes::table.find(&slot.id))
            .set((
                classes::school_id.eq(&data.school_id),
                classes::term_id.eq(&data.term_id),
                classes::name.eq(&data.name),
                classes::grade.eq(data.grade),
                classes::active.eq(data.active),
                classes::search_key.eq(data.name.to_lowercase()),
                classes::source_id.eq(slot.source_id.as_deref()),
                classes::source_modified_at.eq(slot.desired_modified.or(slot.current_modified)),
                classes::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    insert_batches(new.len(), 11, |range| {
        on_backend!(&mut *conn, |c| diesel::insert_into(classes::table)
            .values(&new[range])
            .execute(c))
    })
}

fn write_links(conn: &mut DbConnection, roster: &Roster, now: NaiveDateTime) -> QueryResult<()> {
    let class_id = |index: usize| roster.classes.list[index].id.as_str();
    let user_id = |index: usize| roster.users.list[index].id.as_str();

    let mut new = Vec::new();
    for (&(class, user), slot) in &roster.enrollments {
        let (Some(change), Some(Link { active })) = (slot.change(), slot.desired) else {
            continue;
        };
        match change {
            Change::Unchanged => {}
            Change::Create => new.push(NewEnrollment {
                class_id: class_id(class),
                student_id: user_id(user),
                active,
                created_at: now,
                updated_at: now,
                source_id: slot.source_id.as_deref(),
                source_modified_at: slot.desired_modified,
            }),
            Change::Update | Change::Deactivate => {
                diesel::update(
                    enrollments::table
                        .filter(enrollments::class_id.eq(class_id(class)))
                        .filter(enrollments::student_id.eq(user_id(user))),
                )
                .set((
                    enrollments::active.eq(active),
                    enrollments::source_id.eq(slot.source_id.as_deref()),
                    enrollments::source_modified_at
                        .eq(slot.desired_modified.or(slot.current_modified)),
                    enrollments::updated_at.eq(now),
                ))
                .execute(conn)?;
            }
        }
    }
    insert_batches(new.len(), 7, |range| {
        on_backend!(&mut *conn, |c| diesel::insert_into(enrollments::table)
            .values(&new[range])
            .execute(c))
    })?;

    let mut new = Vec::new();
    for (&(class, user), slot) in &roster.teachers {
        let (Some(change), Some(Link { active })) = (slot.change(), slot.desired) else {
            continue;
        };
        let key = class_teachers::table
            .filter(class_teachers::class_id.eq(class_id(class)))
            .filter(class_teachers::teacher_id.eq(user_id(user)));
        match change {
            Change::Unchanged => {}
            Change::Create if active => new.push(NewClassTeacher {
                class_id: class_id(class),
                teacher_id: user_id(user),
                source_id: slot.source_id.as_deref(),
                source_modified_at: slot.desired_modified,
            }),
            Change::Create => {}
            // An assignment only grants access to the class: ending it removes the grant.
            Change::Deactivate => {
                diesel::delete(key).execute(conn)?;
            }
            Change::Update => {
                diesel::update(key)
                    .set((
                        class_teachers::source_id.eq(slot.source_id.as_deref()),
                        class_teachers::source_modified_at
                            .eq(slot.desired_modified.or(slot.current_modified)),
                    ))
                    .execute(conn)?;
            }
        }
    }
    insert_batches(new.len(), 4, |range| {
        on_backend!(&mut *conn, |c| diesel::insert_into(class_teachers::table)
            .values(&new[range])
            .execute(c))
    })
}
