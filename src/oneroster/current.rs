//! The district's roster as stored, loaded once at the start of an import.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::slots::{ClassData, Link, SchoolData, Slot, Slots, TermData, UserData};
use crate::accounts::Role;
use crate::db::schema::{class_teachers, classes, districts, enrollments, schools, terms, users};
use crate::db::DbConnection;

#[derive(Debug, Default)]
pub struct Roster {
    pub district_source: Option<String>,
    pub schools: Slots<SchoolData>,
    pub school_by_name: HashMap<String, usize>,
    pub school_by_id: HashMap<String, usize>,
    pub terms: Slots<TermData>,
    pub term_by_name: HashMap<String, usize>,
    pub term_by_id: HashMap<String, usize>,
    pub users: Slots<UserData>,
    pub user_by_id: HashMap<String, usize>,
    pub user_by_username: HashMap<String, usize>,
    pub classes: Slots<ClassData>,
    pub class_by_id: HashMap<String, usize>,
    /// Student enrollments by (class, user) slot index.
    pub enrollments: HashMap<(usize, usize), Slot<Link>>,
    /// Teacher assignments by (class, user) slot index.
    pub teachers: HashMap<(usize, usize), Slot<Link>>,
}

type Modified = Option<NaiveDateTime>;

pub fn load(conn: &mut DbConnection, district_id: &str) -> QueryResult<Roster> {
    let mut roster = Roster {
        district_source: districts::table
            .find(district_id)
            .select(districts::source_id)
            .first(conn)?,
        ..Roster::default()
    };

    type SchoolTuple = (String, String, i32, i32, bool, Option<String>, Modified);
    let rows: Vec<SchoolTuple> = schools::table
        .filter(schools::district_id.eq(district_id))
        .select((
            schools::id,
            schools::name,
            schools::low_grade,
            schools::high_grade,
            schools::active,
            schools::source_id,
            schools::source_modified_at,
        ))
        .load(conn)?;
    for (id, name, low_grade, high_grade, active, source, modified) in rows {
        let data = SchoolData {
            name: name.clone(),
            low_grade,
            high_grade,
            active,
        };
        let index = roster
            .schools
            .push(Slot::existing(id.clone(), source, data, modified));
        roster.school_by_name.insert(name, index);
        roster.school_by_id.insert(id, index);
    }

    type TermTuple = (
        String,
        String,
        NaiveDate,
        NaiveDate,
        Option<String>,
        Modified,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<TermTuple> = terms::table
        .filter(terms::district_id.eq(district_id))
        .select((
            terms::id,
            terms::name,
            terms::starts_on,
            terms::ends_on,
            terms::source_id,
            terms::source_modified_at,
            terms::session_type,
            terms::parent_id,
        ))
        .load(conn)?;
    // A stored parent is named by our id; the import compares sourcedIds.
    let source_of: std::collections::HashMap<String, String> = rows
        .iter()
        .filter_map(|r| r.4.clone().map(|source| (r.0.clone(), source)))
        .collect();
    for (id, name, starts_on, ends_on, source, modified, session_type, parent) in rows {
        let data = TermData {
            name: name.clone(),
            starts_on,
            ends_on,
            session_type,
            parent_source: parent.and_then(|p| source_of.get(&p).cloned()),
        };
        let index = roster
            .terms
            .push(Slot::existing(id.clone(), source, data, modified));
        roster.term_by_name.insert(name, index);
        roster.term_by_id.insert(id, index);
    }

    type UserTuple = (
        String,
        Option<String>,
        Modified,
        String,
        Role,
        Option<String>,
        Option<i32>,
        String,
        String,
        Option<String>,
        bool,
    );
    let rows: Vec<UserTuple> = users::table
        .filter(users::district_id.eq(district_id))
        .select((
            users::id,
            users::source_id,
            users::source_modified_at,
            users::username,
            users::role,
            users::school_id,
            users::grade,
            users::given_name,
            users::family_name,
            users::email,
            users::active,
        ))
        .load(conn)?;
    roster.users.list.reserve(rows.len());
    for (id, source, modified, username, role, school_id, grade, given, family, email, active) in
        rows
    {
        let data = UserData {
            username: username.clone(),
            role,
            school_id,
            grade,
            given_name: given,
            family_name: family,
            email,
            active,
        };
        let index = roster
            .users
            .push(Slot::existing(id.clone(), source, data, modified));
        roster.user_by_username.insert(username, index);
        roster.user_by_id.insert(id, index);
    }

    let district_schools = schools::table
        .filter(schools::district_id.eq(district_id.to_owned()))
        .select(schools::id);
    type ClassTuple = (
        String,
        Option<String>,
        Modified,
        String,
        String,
        String,
        Option<i32>,
        bool,
    );
    let rows: Vec<ClassTuple> = classes::table
        .filter(classes::school_id.eq_any(district_schools))
        .select((
            classes::id,
            classes::source_id,
            classes::source_modified_at,
            classes::school_id,
            classes::term_id,
            classes::name,
            classes::grade,
            classes::active,
        ))
        .load(conn)?;
    for (id, source, modified, school_id, term_id, name, grade, active) in rows {
        let data = ClassData {
            school_id,
            term_id,
            name,
            grade,
            active,
        };
        let index = roster
            .classes
            .push(Slot::existing(id.clone(), source, data, modified));
        roster.class_by_id.insert(id, index);
    }

    let district_classes = classes::table
        .inner_join(schools::table)
        .filter(schools::district_id.eq(district_id.to_owned()))
        .select(classes::id);
    let rows: Vec<(String, String, bool, Option<String>, Modified)> = enrollments::table
        .filter(enrollments::class_id.eq_any(district_classes))
        .select((
            enrollments::class_id,
            enrollments::student_id,
            enrollments::active,
            enrollments::source_id,
            enrollments::source_modified_at,
        ))
        .load(conn)?;
    roster.enrollments.reserve(rows.len());
    for (class_id, student_id, active, source, modified) in rows {
        if let (Some(&class), Some(&user)) = (
            roster.class_by_id.get(&class_id),
            roster.user_by_id.get(&student_id),
        ) {
            roster.enrollments.insert(
                (class, user),
                Slot::existing(String::new(), source, Link { active }, modified),
            );
        }
    }

    let district_classes = classes::table
        .inner_join(schools::table)
        .filter(schools::district_id.eq(district_id.to_owned()))
        .select(classes::id);
    let rows: Vec<(String, String, Option<String>, Modified)> = class_teachers::table
        .filter(class_teachers::class_id.eq_any(district_classes))
        .select((
            class_teachers::class_id,
            class_teachers::teacher_id,
            class_teachers::source_id,
            class_teachers::source_modified_at,
        ))
        .load(conn)?;
    for (class_id, teacher_id, source, modified) in rows {
        if let (Some(&class), Some(&user)) = (
            roster.class_by_id.get(&class_id),
            roster.user_by_id.get(&teacher_id),
        ) {
            roster.teachers.insert(
                (class, user),
                Slot::existing(String::new(), source, Link { active: true }, modified),
            );
        }
    }
    Ok(roster)
}
