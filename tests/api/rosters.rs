//! The roster API as a district's staff use it: schools, terms, accounts, classes and
//! enrollments, checking status, body and what reached the database.

use std::collections::BTreeSet;

use crate::helpers::*;
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use diesel::prelude::*;
use securebase::accounts::UserRow;
use securebase::db::schema::{
    class_teachers, classes, enrollments, refresh_tokens, schools, terms, users,
};
use securebase::db::DbConnection;
use securebase::rosters::models::{ClassRow, School, Term};
use securebase::seed::district_id;
use serde_json::{json, Value};

const OTHER_SCHOOL: &str = "Harbor Point Middle School";
const DISTRICT_ADMIN: &str = "denise.whitfield";
const CEDAR_ADMIN: &str = "patricia.alvarez";
const RIVERBEND_ADMIN: &str = "gregory.tan";

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers
// ---------------------------------------------------------------------------------------------

/// A school of `district` by name (names are only unique within a district).
fn school_in(conn: &mut DbConnection, district: &str, name: &str) -> String {
    schools::table
        .filter(schools::district_id.eq(district_id(district)))
        .filter(schools::name.eq(name))
        .select(schools::id)
        .first(conn)
        .unwrap_or_else(|e| panic!("school {name:?} of {district}: {e}"))
}

fn school_id(conn: &mut DbConnection, name: &str) -> String {
    school_in(conn, DEMO_DISTRICT, name)
}

fn term_id(conn: &mut DbConnection, district: &str, name: &str) -> String {
    terms::table
        .filter(terms::district_id.eq(district_id(district)))
        .filter(terms::name.eq(name))
        .select(terms::id)
        .first(conn)
        .unwrap_or_else(|e| panic!("term {name:?} of {district}: {e}"))
}

fn user_row(conn: &mut DbConnection, id: &str) -> UserRow {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .unwrap_or_else(|e| panic!("user row {id}: {e}"))
}

fn school_row(conn: &mut DbConnection, id: &str) -> School {
    schools::table
        .find(id)
        .select(School::as_select())
        .first(conn)
        .unwrap_or_else(|e| panic!("school row {id}: {e}"))
}

fn term_row(conn: &mut DbConnection, id: &str) -> Term {
    terms::table
        .find(id)
        .select(Term::as_select())
        .first(conn)
        .unwrap_or_else(|e| panic!("term row {id}: {e}"))
}

fn class_row(conn: &mut DbConnection, id: &str) -> ClassRow {
    classes::table
        .find(id)
        .select(ClassRow::as_select())
        .first(conn)
        .unwrap_or_else(|e| panic!("class row {id}: {e}"))
}

fn teachers_of(conn: &mut DbConnection, class: &str) -> BTreeSet<String> {
    class_teachers::table
        .filter(class_teachers::class_id.eq(class))
        .select(class_teachers::teacher_id)
        .load::<String>(conn)
        .unwrap()
        .into_iter()
        .collect()
}

/// `(active)` of every enrollment row for this class and student (at most one may exist).
fn enrollment_rows(conn: &mut DbConnection, class: &str, student: &str) -> Vec<bool> {
    enrollments::table
        .filter(enrollments::class_id.eq(class))
        .filter(enrollments::student_id.eq(student))
        .select(enrollments::active)
        .load(conn)
        .unwrap()
}

fn count_users(conn: &mut DbConnection) -> i64 {
    users::table.count().get_result(conn).unwrap()
}

fn count_classes(conn: &mut DbConnection) -> i64 {
    classes::table.count().get_result(conn).unwrap()
}

fn count_enrollments(conn: &mut DbConnection) -> i64 {
    enrollments::table.count().get_result(conn).unwrap()
}

fn username_exists(conn: &mut DbConnection, username: &str) -> bool {
    let n: i64 = users::table
        .filter(users::username.eq(username))
        .count()
        .get_result(conn)
        .unwrap();
    n > 0
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

fn set(ids: impl IntoIterator<Item = String>) -> BTreeSet<String> {
    ids.into_iter().collect()
}

fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

/// Asserts `status` and returns the JSON body.
fn expect(r: Resp, status: u16, what: &str) -> Value {
    assert_eq!(
        r.status, status,
        "{what}: expected {status}, got {}: {}",
        r.status, r.text
    );
    if r.text.is_empty() {
        Value::Null
    } else {
        r.json()
    }
}

/// An API timestamp: RFC 3339, UTC, written with `Z`.
fn assert_utc(value: &Value, what: &str) -> DateTime<FixedOffset> {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("{what}: timestamp is not a string: {value}"));
    assert!(s.ends_with('Z'), "{what}: {s:?} does not end in Z");
    let t = DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{what}: {s:?} is not RFC 3339: {e}"));
    assert_eq!(t.offset().local_minus_utc(), 0, "{what}: {s:?} is not UTC");
    t
}

/// The API timestamp is well-formed and is the instant stored in the database.
fn assert_stored_instant(value: &Value, stored: NaiveDateTime, what: &str) {
    assert_eq!(
        assert_utc(value, what).naive_utc(),
        stored,
        "{what}: API and database disagree"
    );
}

/// Every item of a list, walking pages of 200.
fn list_all(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    for page in 1..100 {
        let r = app.get(&format!("{path}{sep}limit=200&page={page}"), Some(token));
        let body = expect(r, 200, path);
        let items = body["items"].as_array().unwrap().clone();
        let total = body["total"].as_i64().unwrap();
        let done = items.is_empty();
        out.extend(items);
        if done || out.len() as i64 >= total {
            assert_eq!(
                out.len() as i64,
                total,
                "{path}: items across pages vs total"
            );
            return out;
        }
    }
    panic!("{path}: more than 100 pages");
}

fn ids_of(items: &[Value]) -> Vec<String> {
    items.iter().map(|i| str_of(&i["id"])).collect()
}

fn list_ids(app: &TestApp, token: &str, path: &str) -> BTreeSet<String> {
    let all = ids_of(&list_all(app, token, path));
    let unique = set(all.clone());
    assert_eq!(unique.len(), all.len(), "{path}: duplicate items");
    unique
}

fn new_student(
    username: &str,
    school: Option<&str>,
    grade: i32,
    given: &str,
    family: &str,
) -> Value {
    let mut body = json!({
        "username": username, "role": "student", "grade": grade,
        "given_name": given, "family_name": family,
    });
    if let Some(s) = school {
        body["school_id"] = json!(s);
    }
    body
}

// ---------------------------------------------------------------------------------------------
// Schools
// ---------------------------------------------------------------------------------------------

#[test]
fn district_admin_creates_reads_updates_and_deactivates_a_school() {
    let app = TestApp::spawn();
    let admin = app.login(DISTRICT_ADMIN);
    let mut conn = app.conn();
    let demo = district_id(DEMO_DISTRICT);

    let r = app.post(
        "/api/v1/schools",
        Some(&admin),
        &json!({"name": "  Willow Creek Elementary School ", "low_grade": 0, "high_grade": 5}),
    );
    let created = expect(r, 201, "POST /schools");
    let id = str_of(&created["id"]);
    assert_eq!(
        created["name"], "Willow Creek Elementary School",
        "name is trimmed"
    );
    assert_eq!(created["district_id"], demo.as_str());
    assert_eq!(created["low_grade"], 0);
    assert_eq!(created["high_grade"], 5);
    assert_eq!(created["active"], true);
    assert_eq!(created["created_at"], created["updated_at"]);
    let row = school_row(&mut conn, &id);
    assert_eq!(row.name, "Willow Creek Elementary School");
    assert_eq!(row.district_id, demo);
    assert_eq!((row.low_grade, row.high_grade, row.active), (0, 5, true));
    assert_stored_instant(&created["created_at"], row.created_at, "school.created_at");

    let read = expect(
        app.get(&format!("/api/v1/schools/{id}"), Some(&admin)),
        200,
        "GET school",
    );
    assert_eq!(read, created);

    // The district's schools, by name; the other district's school is not among them.
    let list = expect(
        app.get("/api/v1/schools", Some(&admin)),
        200,
        "GET /schools",
    );
    let names: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| str_of(&s["name"]))
        .collect();
    let mut expected: Vec<String> = [HIGH, MIDDLE, ELEMENTARY, "Willow Creek Elementary School"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    expected.sort();
    assert_eq!(names, expected, "the district's schools, by name");
    assert_eq!(list["total"], 4);
    assert!(!names.iter().any(|n| n == OTHER_SCHOOL));

    // Rename and widen the grades.
    let r = app.patch(
        &format!("/api/v1/schools/{id}"),
        Some(&admin),
        &json!({"name": "Willow Creek K-6 School", "high_grade": 6}),
    );
    let updated = expect(r, 200, "PATCH school name/high_grade");
    assert_eq!(updated["name"], "Willow Creek K-6 School");
    assert_eq!(updated["low_grade"], 0);
    assert_eq!(updated["high_grade"], 6);
    assert_eq!(
        updated["created_at"], created["created_at"],
        "created_at never changes"
    );
    assert!(
        assert_utc(&updated["updated_at"], "updated_at")
            > assert_utc(&created["updated_at"], "created")
    );
    let row = school_row(&mut conn, &id);
    assert_eq!(
        (row.name.as_str(), row.low_grade, row.high_grade),
        ("Willow Creek K-6 School", 0, 6)
    );
    assert_stored_instant(&updated["updated_at"], row.updated_at, "school.updated_at");

    // low_grade above high_grade is refused and nothing changes.
    app.patch(
        &format!("/api/v1/schools/{id}"),
        Some(&admin),
        &json!({"low_grade": 7}),
    )
    .invalid_field("low_grade");
    let row = school_row(&mut conn, &id);
    assert_eq!((row.low_grade, row.high_grade), (0, 6));

    // Deactivate: the record is kept and shows up under active=false only.
    let r = app.patch(
        &format!("/api/v1/schools/{id}"),
        Some(&admin),
        &json!({"active": false}),
    );
    assert_eq!(expect(r, 200, "deactivate school")["active"], false);
    assert!(!school_row(&mut conn, &id).active);
    let inactive = list_ids(&app, &admin, "/api/v1/schools?active=false");
    assert_eq!(inactive, set([id.clone()]));
    let active = list_ids(&app, &admin, "/api/v1/schools?active=true");
    assert_eq!(active.len(), 3);
    assert!(!active.contains(&id));

    let r = app.patch(
        &format!("/api/v1/schools/{id}"),
        Some(&admin),
        &json!({"active": true}),
    );
    assert_eq!(expect(r, 200, "reactivate school")["active"], true);
    assert!(school_row(&mut conn, &id).active);

    // Another district's school does not exist for this caller.
    let other = school_in(&mut conn, OTHER_DISTRICT, OTHER_SCHOOL);
    app.get(&format!("/api/v1/schools/{other}"), Some(&admin))
        .problem(404);
    app.patch(
        &format!("/api/v1/schools/{other}"),
        Some(&admin),
        &json!({"name": "Mine now"}),
    )
    .problem(404);
    assert_eq!(school_row(&mut conn, &other).name, OTHER_SCHOOL);
}

#[test]
fn school_and_term_names_are_unique_within_a_district_only() {
    let app = TestApp::spawn();
    let admin = app.login(DISTRICT_ADMIN);
    let mut conn = app.conn();
    let demo = district_id(DEMO_DISTRICT);
    let schools_named = |conn: &mut DbConnection, name: &str| -> i64 {
        schools::table
            .filter(schools::district_id.eq(&demo))
            .filter(schools::name.eq(name))
            .count()
            .get_result(conn)
            .unwrap()
    };

    for name in [MIDDLE, "  Riverbend Middle School  "] {
        let r = app.post(
            "/api/v1/schools",
            Some(&admin),
            &json!({"name": name, "low_grade": 6, "high_grade": 8}),
        );
        let problem = r.problem(409);
        assert_eq!(problem["errors"][0]["field"], "name", "{name:?}: {problem}");
    }
    assert_eq!(schools_named(&mut conn, MIDDLE), 1);

    // The same name in another district is no conflict.
    let r = app.post(
        "/api/v1/schools",
        Some(&admin),
        &json!({"name": OTHER_SCHOOL, "low_grade": 6, "high_grade": 8}),
    );
    expect(r, 201, "school named like one in another district");
    assert_eq!(schools_named(&mut conn, OTHER_SCHOOL), 1);

    // Renaming onto an existing name conflicts too, and leaves the school as it was.
    let lakeview = school_id(&mut conn, HIGH);
    let problem = app
        .patch(
            &format!("/api/v1/schools/{lakeview}"),
            Some(&admin),
            &json!({"name": MIDDLE}),
        )
        .problem(409);
    assert_eq!(problem["errors"][0]["field"], "name");
    assert_eq!(school_row(&mut conn, &lakeview).name, HIGH);

    // Terms: "Fall 2026" exists in both districts already; a second one in this district conflicts.
    let before: i64 = terms::table.count().get_result(&mut conn).unwrap();
    let problem = app
        .post(
            "/api/v1/terms",
            Some(&admin),
            &json!({"name": "Fall 2026", "starts_on": "2026-08-17", "ends_on": "2026-12-18"}),
        )
        .problem(409);
    assert_eq!(problem["errors"][0]["field"], "name");
    assert_eq!(
        terms::table.count().get_result::<i64>(&mut conn).unwrap(),
        before
    );
    let summer = expect(
        app.post(
            "/api/v1/terms",
            Some(&admin),
            &json!({"name": "Summer 2026", "starts_on": "2026-06-15", "ends_on": "2026-08-07"}),
        ),
        201,
        "POST /terms",
    );
    let summer_id = str_of(&summer["id"]);
    let problem = app
        .patch(
            &format!("/api/v1/terms/{summer_id}"),
            Some(&admin),
            &json!({"name": "Spring 2027"}),
        )
        .problem(409);
    assert_eq!(problem["errors"][0]["field"], "name");
    assert_eq!(term_row(&mut conn, &summer_id).name, "Summer 2026");
}

#[test]
fn school_staff_see_their_own_school_but_cannot_change_schools_or_terms() {
    let app = TestApp::spawn();
    let principal = app.login(CEDAR_ADMIN);
    let mut conn = app.conn();
    let cedar = school_id(&mut conn, ELEMENTARY);
    let riverbend = school_id(&mut conn, MIDDLE);
    let fall = term_id(&mut conn, DEMO_DISTRICT, "Fall 2026");

    assert_eq!(
        list_ids(&app, &principal, "/api/v1/schools"),
        set([cedar.clone()])
    );
    expect(
        app.get(&format!("/api/v1/schools/{cedar}"), Some(&principal)),
        200,
        "own school",
    );
    app.get(&format!("/api/v1/schools/{riverbend}"), Some(&principal))
        .problem(404);
    app.patch(
        &format!("/api/v1/schools/{cedar}"),
        Some(&principal),
        &json!({"name": "Renamed"}),
    )
    .problem(403);
    app.post(
        "/api/v1/schools",
        Some(&principal),
        &json!({"name": "Rogue School", "low_grade": 0, "high_grade": 5}),
    )
    .problem(403);
    app.post(
        "/api/v1/terms",
        Some(&principal),
        &json!({"name": "Rogue Term", "starts_on": "2027-06-01", "ends_on": "2027-07-01"}),
    )
    .problem(403);
    app.patch(
        &format!("/api/v1/terms/{fall}"),
        Some(&principal),
        &json!({"name": "Renamed"}),
    )
    .problem(403);
    assert_eq!(school_row(&mut conn, &cedar).name, ELEMENTARY);
    assert_eq!(term_row(&mut conn, &fall).name, "Fall 2026");
    let n: i64 = schools::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n, 4, "3 demo schools + 1 in the other district");
}

// ---------------------------------------------------------------------------------------------
// Terms
// ---------------------------------------------------------------------------------------------

#[test]
fn district_admin_creates_reads_and_updates_terms() {
    let app = TestApp::spawn();
    let admin = app.login(DISTRICT_ADMIN);
    let mut conn = app.conn();
    let demo = district_id(DEMO_DISTRICT);

    let created = expect(
        app.post(
            "/api/v1/terms",
            Some(&admin),
            &json!({"name": " Summer 2027 ", "starts_on": "2027-06-14", "ends_on": "2027-08-06"}),
        ),
        201,
        "POST /terms",
    );
    let id = str_of(&created["id"]);
    assert_eq!(created["name"], "Summer 2027");
    assert_eq!(created["starts_on"], "2027-06-14");
    assert_eq!(created["ends_on"], "2027-08-06");
    assert_eq!(created["district_id"], demo.as_str());
    let row = term_row(&mut conn, &id);
    assert_eq!(row.name, "Summer 2027");
    assert_eq!(row.starts_on.to_string(), "2027-06-14");
    assert_eq!(row.ends_on.to_string(), "2027-08-06");
    assert_stored_instant(&created["created_at"], row.created_at, "term.created_at");
    assert_stored_instant(&created["updated_at"], row.updated_at, "term.updated_at");
    assert_eq!(
        expect(
            app.get(&format!("/api/v1/terms/{id}"), Some(&admin)),
            200,
            "GET term"
        ),
        created
    );

    // A one-day term is fine.
    expect(
        app.post(
            "/api/v1/terms",
            Some(&admin),
            &json!({"name": "PD Day", "starts_on": "2027-01-04", "ends_on": "2027-01-04"}),
        ),
        201,
        "one-day term",
    );

    // Newest first, only this district's terms.
    let list = list_all(&app, &admin, "/api/v1/terms");
    let starts: Vec<String> = list.iter().map(|t| str_of(&t["starts_on"])).collect();
    let mut sorted = starts.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(starts, sorted, "terms are listed newest first");
    assert_eq!(list.len(), 5);
    assert_eq!(list[0]["id"], id.as_str());
    assert!(list.iter().all(|t| t["district_id"] == demo.as_str()));

    // Re-dating so the term ends before it starts is refused, and nothing changes.
    app.patch(
        &format!("/api/v1/terms/{id}"),
        Some(&admin),
        &json!({"ends_on": "2027-06-01"}),
    )
    .invalid_field("starts_on");
    assert_eq!(term_row(&mut conn, &id).ends_on.to_string(), "2027-08-06");

    let updated = expect(
        app.patch(
            &format!("/api/v1/terms/{id}"),
            Some(&admin),
            &json!({"name": "Summer Session 2027", "ends_on": "2027-08-13"}),
        ),
        200,
        "PATCH term",
    );
    assert_eq!(updated["name"], "Summer Session 2027");
    assert_eq!(updated["starts_on"], "2027-06-14");
    assert_eq!(updated["ends_on"], "2027-08-13");
    assert_eq!(updated["created_at"], created["created_at"]);
    let row = term_row(&mut conn, &id);
    assert_eq!(
        (row.name.as_str(), row.ends_on.to_string()),
        ("Summer Session 2027", "2027-08-13".to_owned())
    );

    // Another district's term is invisible.
    let other = term_id(&mut conn, OTHER_DISTRICT, "Fall 2026");
    app.get(&format!("/api/v1/terms/{other}"), Some(&admin))
        .problem(404);
    app.patch(
        &format!("/api/v1/terms/{other}"),
        Some(&admin),
        &json!({"name": "Taken"}),
    )
    .problem(404);
    assert_eq!(term_row(&mut conn, &other).name, "Fall 2026");
}

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

#[test]
fn account_placement_rules_for_every_role_and_school_combination() {
    let app = TestApp::spawn();
    let admin = app.login(DISTRICT_ADMIN);
    let mut conn = app.conn();
    let ids = [
        school_id(&mut conn, ELEMENTARY), // grades 0-5
        school_id(&mut conn, MIDDLE),     // grades 6-8
        school_id(&mut conn, HIGH),       // grades 9-12
        school_in(&mut conn, OTHER_DISTRICT, OTHER_SCHOOL),
    ];
    let [cedar, riverbend, lakeview, harbor] =
        [&ids[0], &ids[1], &ids[2], &ids[3]].map(String::as_str);
    let demo = district_id(DEMO_DISTRICT);

    // (case, role, school, grade, expected: Ok or the field named by the 422)
    type Case<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<i32>,
        Result<(), &'a str>,
    );
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("student in range",                 "student",        Some(cedar),     Some(3),  Ok(())),
        ("kindergartner",                    "student",        Some(cedar),     Some(0),  Ok(())),
        ("student at top of range",          "student",        Some(lakeview),  Some(12), Ok(())),
        ("student without grade",            "student",        Some(cedar),     None,     Err("grade")),
        ("student above school range",       "student",        Some(cedar),     Some(6),  Err("grade")),
        ("student below school range",       "student",        Some(riverbend), Some(5),  Err("grade")),
        ("student without school",           "student",        None,            Some(3),  Err("school_id")),
        ("teacher",                          "teacher",        Some(riverbend), None,     Ok(())),
        ("teacher with grade",               "teacher",        Some(riverbend), Some(7),  Err("grade")),
        ("teacher without school",           "teacher",        None,            None,     Err("school_id")),
        ("counselor",                        "counselor",      Some(lakeview),  None,     Ok(())),
        ("counselor with grade",             "counselor",      Some(lakeview),  Some(10), Err("grade")),
        ("counselor without school",         "counselor",      None,            None,     Err("school_id")),
        ("school admin",                     "school_admin",   Some(lakeview),  None,     Ok(())),
        ("school admin with grade",          "school_admin",   Some(lakeview),  Some(9),  Err("grade")),
        ("school admin without school",      "school_admin",   None,            None,     Err("school_id")),
        ("district admin",                   "district_admin", None,            None,     Ok(())),
        ("district admin with school",       "district_admin", Some(cedar),     None,     Err("school_id")),
        ("district admin with grade",        "district_admin", None,            Some(3),  Err("grade")),
        ("teacher in other district school", "teacher",        Some(harbor),    None,     Err("school_id")),
        ("student in unknown school",        "student",        Some("nowhere"), Some(3),  Err("school_id")),
    ];
    for (i, (case, role, school, grade, expected)) in cases.into_iter().enumerate() {
        let username = format!("placement.{i}");
        let mut body = json!({
            "username": username, "role": role,
            "given_name": "Casey", "family_name": format!("Placement{i}"),
            "email": format!("casey{i}@maplevalley.example.org"),
        });
        if let Some(s) = school {
            body["school_id"] = json!(s);
        }
        if let Some(g) = grade {
            body["grade"] = json!(g);
        }
        let before = count_users(&mut conn);
        let r = app.post("/api/v1/users", Some(&admin), &body);
        match expected {
            Ok(()) => {
                let user = expect(r, 201, case);
                let id = str_of(&user["id"]);
                assert_eq!(user["role"], role, "{case}");
                assert_eq!(user["username"], username.as_str(), "{case}");
                assert_eq!(user["district_id"], demo.as_str(), "{case}");
                assert_eq!(user["school_id"], json!(school), "{case}");
                assert_eq!(user["grade"], json!(grade), "{case}");
                assert_eq!(user["active"], true, "{case}");
                assert_eq!(
                    user["has_password"], false,
                    "{case}: created without a password"
                );
                assert!(user.get("password_hash").is_none(), "{case}");
                let row = user_row(&mut conn, &id);
                assert_eq!(row.role.as_str(), role, "{case}");
                assert_eq!(row.school_id.as_deref(), school, "{case}");
                assert_eq!(row.grade, grade, "{case}");
                assert_eq!(row.district_id, demo, "{case}");
                assert!(row.active && row.password_hash.is_none(), "{case}");
                assert_stored_instant(&user["created_at"], row.created_at, case);
                assert_eq!(count_users(&mut conn), before + 1, "{case}");
            }
            Err(field) => {
                let problem = r.invalid_field(field);
                assert!(
                    !username_exists(&mut conn, &username),
                    "{case}: refused but stored: {problem}"
                );
                assert_eq!(count_users(&mut conn), before, "{case}");
            }
        }
    }

    // An account created with a password can sign in with it.
    let body = json!({
        "username": "new.teacher", "role": "teacher", "school_id": cedar,
        "given_name": " Nia ", "family_name": " Okoro ", "password": "a-long-first-password",
    });
    let user = expect(
        app.post("/api/v1/users", Some(&admin), &body),
        201,
        "teacher with password",
    );
    assert_eq!(user["has_password"], true);
    assert_eq!(
        (user["given_name"].as_str(), user["family_name"].as_str()),
        (Some("Nia"), Some("Okoro"))
    );
    let row = user_row(&mut conn, &str_of(&user["id"]));
    assert!(row
        .password_hash
        .as_deref()
        .is_some_and(|h| h.starts_with("$argon2id$")));
    let token = app.login_pair("new.teacher", "a-long-first-password");
    assert_eq!(token.status, 200, "{}", token.text);
    let me = expect(
        app.get("/api/v1/me", token.json()["access_token"].as_str()),
        200,
        "me",
    );
    assert_eq!(me["id"], user["id"]);
    // The district admin can read the new account by id.
    assert_eq!(
        expect(
            app.get(
                &format!("/api/v1/users/{}", str_of(&user["id"])),
                Some(&admin)
            ),
            200,
            "GET user"
        ),
        user
    );
}

#[test]
fn school_admin_creates_only_teachers_and_students_of_own_school() {
    let app = TestApp::spawn();
    let principal = app.login(CEDAR_ADMIN);
    let counselor = app.login("kenji.watanabe");
    let mut conn = app.conn();
    let cedar = school_id(&mut conn, ELEMENTARY);
    let riverbend = school_id(&mut conn, MIDDLE);
    let before = count_users(&mut conn);

    // Without school_id the account goes to the administrator's own school.
    let student = expect(
        app.post(
            "/api/v1/users",
            Some(&principal),
            &new_student("cg.new.student", None, 2, "Ana", "Lima"),
        ),
        201,
        "student in own school",
    );
    assert_eq!(student["school_id"], cedar.as_str());
    assert_eq!(
        user_row(&mut conn, &str_of(&student["id"]))
            .school_id
            .as_deref(),
        Some(cedar.as_str())
    );
    let teacher = expect(
        app.post(
            "/api/v1/users",
            Some(&principal),
            &json!({"username": "cg.new.teacher", "role": "teacher", "school_id": cedar,
                    "given_name": "Tom", "family_name": "Reyes"}),
        ),
        201,
        "teacher in own school",
    );
    assert_eq!(
        user_row(&mut conn, &str_of(&teacher["id"])).role.as_str(),
        "teacher"
    );

    for role in ["counselor", "school_admin"] {
        app.post(
            "/api/v1/users",
            Some(&principal),
            &json!({"username": format!("cg.{role}"), "role": role, "school_id": cedar,
                    "given_name": "No", "family_name": "Way"}),
        )
        .problem(403);
    }
    app.post(
        "/api/v1/users",
        Some(&principal),
        &json!({"username": "cg.district", "role": "district_admin", "given_name": "No", "family_name": "Way"}),
    )
    .problem(403);
    // Another school of the district is outside the administrator's scope.
    app.post(
        "/api/v1/users",
        Some(&principal),
        &new_student("cg.elsewhere", Some(&riverbend), 7, "No", "Way"),
    )
    .invalid_field("school_id");
    // Placement rules still apply.
    app.post(
        "/api/v1/users",
        Some(&principal),
        &new_student("cg.too.old", None, 7, "No", "Way"),
    )
    .invalid_field("grade");
    // Counselors read rosters but do not create accounts.
    app.post(
        "/api/v1/users",
        Some(&counselor),
        &new_student("cg.by.counselor", None, 2, "No", "Way"),
    )
    .problem(403);

    assert_eq!(
        count_users(&mut conn),
        before + 2,
        "only the two permitted accounts were created"
    );
    for name in [
        "cg.counselor",
        "cg.school_admin",
        "cg.district",
        "cg.elsewhere",
        "cg.too.old",
        "cg.by.counselor",
    ] {
        assert!(!username_exists(&mut conn, name), "{name} was stored");
    }
}

#[test]
fn duplicate_usernames_are_409_naming_username() {
    let app = TestApp::spawn();
    let admin = app.login(DISTRICT_ADMIN);
    let mut conn = app.conn();
    let cedar = school_id(&mut conn, ELEMENTARY);
    let before = count_users(&mut conn);

    // Taken in this district, and taken in another district (usernames are global sign-in names).
    for taken in ["samuel.ortega", "hp.teacher"] {
        let problem = app
            .post(
                "/api/v1/users",
                Some(&admin),
                &new_student(taken, Some(&cedar), 3, "Dup", "Licate"),
            )
            .problem(409);
        let fields: Vec<&Value> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["field"])
            .collect();
        assert_eq!(fields, [&json!("username")], "{taken}: {problem}");
    }
    assert_eq!(count_users(&mut conn), before);

    expect(
        app.post(
            "/api/v1/users",
            Some(&admin),
            &new_student("fresh.name", Some(&cedar), 3, "First", "One"),
        ),
        201,
        "first use of a username",
    );
    app.post(
        "/api/v1/users",
        Some(&admin),
        &new_student("fresh.name", Some(&cedar), 4, "Second", "One"),
    )
    .problem(409);
    let rows: Vec<UserRow> = users::table
        .filter(users::username.eq("fresh.name"))
        .select(UserRow::as_select())
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].given_name, "First",
        "the first account is untouched"
    );
    assert_eq!(count_users(&mut conn), before + 1);
}

#[test]
fn updating_accounts_rechecks_role_school_and_grade() {
    let app = TestApp::spawn();
    let admin = app.login(DISTRICT_ADMIN);
    let principal = app.login(CEDAR_ADMIN);
    let mut conn = app.conn();
    let ids = [
        school_id(&mut conn, ELEMENTARY),
        school_id(&mut conn, MIDDLE),
        school_id(&mut conn, HIGH),
        school_in(&mut conn, OTHER_DISTRICT, OTHER_SCHOOL),
    ];
    let [cedar, riverbend, lakeview, harbor] =
        [&ids[0], &ids[1], &ids[2], &ids[3]].map(String::as_str);
    let jose = user_id(&mut conn, "joseh992"); // Cedar, grade 3
    let path = format!("/api/v1/users/{jose}");
    let original = user_row(&mut conn, &jose);

    // (case, caller, patch, expected: Ok((role, school, grade)) after the change, or the 422 field)
    type Placement<'a> = (&'a str, Option<&'a str>, Option<i32>);
    #[rustfmt::skip]
    let steps: Vec<(&str, Value, Result<Placement, &str>)> = vec![
        ("grade within range", json!({"grade": 4}),
            Ok(("student", Some(cedar), Some(4)))),
        ("grade outside range", json!({"grade": 6}),
            Err("grade")),
        ("move school, grade not taught there", json!({"school_id": riverbend}),
            Err("grade")),
        ("move school with a grade taught there", json!({"school_id": riverbend, "grade": 6}),
            Ok(("student", Some(riverbend), Some(6)))),
        ("move to another district's school", json!({"school_id": harbor}),
            Err("school_id")),
        ("move to unknown school", json!({"school_id": "no-such-school"}),
            Err("school_id")),
        ("student becomes teacher: grade dropped", json!({"role": "teacher"}),
            Ok(("teacher", Some(riverbend), None))),
        ("teacher given a grade", json!({"grade": 7}),
            Err("grade")),
        ("teacher becomes student without grade", json!({"role": "student"}),
            Err("grade")),
        ("teacher becomes student with grade", json!({"role": "student", "grade": 7}),
            Ok(("student", Some(riverbend), Some(7)))),
        ("becomes district admin: school dropped", json!({"role": "district_admin"}),
            Ok(("district_admin", None, None))),
        ("district admin given a school", json!({"school_id": cedar}),
            Err("school_id")),
        ("becomes counselor of a school", json!({"role": "counselor", "school_id": lakeview}),
            Ok(("counselor", Some(lakeview), None))),
    ];
    let mut last_updated = original.updated_at;
    for (case, patch, expected) in steps {
        let before = user_row(&mut conn, &jose);
        let r = app.patch(&path, Some(&admin), &patch);
        let after = user_row(&mut conn, &jose);
        match expected {
            Ok((role, school, grade)) => {
                let body = expect(r, 200, case);
                assert_eq!(body["role"], role, "{case}");
                assert_eq!(body["school_id"], json!(school), "{case}");
                assert_eq!(body["grade"], json!(grade), "{case}");
                assert_eq!(
                    (after.role.as_str(), after.school_id.as_deref(), after.grade),
                    (role, school, grade),
                    "{case}: database"
                );
                assert!(
                    after.updated_at > last_updated,
                    "{case}: updated_at advances"
                );
                assert_stored_instant(&body["updated_at"], after.updated_at, case);
                assert_eq!(
                    after.created_at, original.created_at,
                    "{case}: created_at never changes"
                );
                last_updated = after.updated_at;
            }
            Err(field) => {
                r.invalid_field(field);
                assert_eq!(
                    (after.role, after.school_id, after.grade, after.updated_at),
                    (
                        before.role,
                        before.school_id,
                        before.grade,
                        before.updated_at
                    ),
                    "{case}: refused but changed"
                );
            }
        }
    }

    // Names are trimmed; e-mail can be set.
    let body = expect(
        app.patch(
            &path,
            Some(&admin),
            &json!({"given_name": "  Joe ", "email": "joe@maplevalley.example.org"}),
        ),
        200,
        "rename",
    );
    assert_eq!(body["given_name"], "Joe");
    let row = user_row(&mut conn, &jose);
    assert_eq!(
        (row.given_name.as_str(), row.email.as_deref()),
        ("Joe", Some("joe@maplevalley.example.org"))
    );

    // A school administrator manages the school's teachers and students, nothing more.
    let elena = user_id(&mut conn, "elena.rivera");
    let kenji = user_id(&mut conn, "kenji.watanabe");
    let patricia = user_id(&mut conn, CEDAR_ADMIN);
    let andre = user_id(&mut conn, "andreg197"); // Riverbend student
    let cedar_student = user_id(&mut conn, "alanap489");
    let body = expect(
        app.patch(
            &format!("/api/v1/users/{elena}"),
            Some(&principal),
            &json!({"family_name": "Rivera-Lopez"}),
        ),
        200,
        "school admin renames own teacher",
    );
    assert_eq!(body["family_name"], "Rivera-Lopez");
    assert_eq!(user_row(&mut conn, &elena).family_name, "Rivera-Lopez");
    #[rustfmt::skip]
    let refusals: Vec<(&str, &str, Value, u16)> = vec![
        ("change a teacher's role",          &elena,    json!({"role": "counselor"}),      403),
        ("move a teacher to another school", &elena,    json!({"school_id": riverbend}),  403),
        ("edit the school's counselor",      &kenji,    json!({"given_name": "K"}),       403),
        ("edit own account",                 &patricia, json!({"given_name": "P"}),       403),
        ("deactivate own account",           &patricia, json!({"active": false}),         403),
        ("edit another school's student",    &andre,    json!({"given_name": "A"}),       404),
    ];
    for (case, id, patch, status) in refusals {
        let before = user_row(&mut conn, id);
        app.patch(&format!("/api/v1/users/{id}"), Some(&principal), &patch)
            .problem(status);
        let after = user_row(&mut conn, id);
        assert_eq!(
            (
                before.role,
                before.school_id,
                before.given_name,
                before.active,
                before.updated_at
            ),
            (
                after.role,
                after.school_id,
                after.given_name,
                after.active,
                after.updated_at
            ),
            "{case}: refused but changed"
        );
    }
    app.patch(
        &format!("/api/v1/users/{cedar_student}"),
        Some(&principal),
        &json!({"grade": 9}),
    )
    .invalid_field("grade");
    assert_eq!(user_row(&mut conn, &cedar_student).grade, Some(4));
}

#[test]
fn deactivating_an_account_ends_its_sessions_and_lists_it_as_inactive() {
    let app = TestApp::spawn();
    let principal = app.login(CEDAR_ADMIN);
    let mut conn = app.conn();
    let student = app.login_pair("alanap489", DEMO_PASSWORD).json();
    let refresh = str_of(&student["refresh_token"]);
    let id = user_id(&mut conn, "alanap489");

    let body = expect(
        app.patch(
            &format!("/api/v1/users/{id}"),
            Some(&principal),
            &json!({"active": false}),
        ),
        200,
        "deactivate student",
    );
    assert_eq!(body["active"], false);
    assert!(!user_row(&mut conn, &id).active);
    let live: i64 = refresh_tokens::table
        .filter(refresh_tokens::user_id.eq(&id))
        .filter(refresh_tokens::revoked.eq(false))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(live, 0, "every refresh token of the account is revoked");
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": refresh}),
    )
    .problem(401);
    app.login_pair("alanap489", DEMO_PASSWORD).problem(401);

    assert_eq!(
        list_ids(&app, &principal, "/api/v1/users?active=false"),
        set([id.clone()])
    );
    assert!(!list_ids(&app, &principal, "/api/v1/users?active=true").contains(&id));

    // Reactivation lets the student sign in again, but the old session stays dead.
    let body = expect(
        app.patch(
            &format!("/api/v1/users/{id}"),
            Some(&principal),
            &json!({"active": true}),
        ),
        200,
        "reactivate student",
    );
    assert_eq!(body["active"], true);
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": refresh}),
    )
    .problem(401);
    assert_eq!(app.login_pair("alanap489", DEMO_PASSWORD).status, 200);
}

// ---------------------------------------------------------------------------------------------
// Account lists: pagination and filters
// ---------------------------------------------------------------------------------------------

#[test]
fn walking_every_page_of_users_yields_each_account_exactly_once() {
    let app = TestApp::spawn();
    let admin = app.login(DISTRICT_ADMIN);
    let mut conn = app.conn();
    let demo = district_id(DEMO_DISTRICT);
    // The documented order, as the database itself sorts it.
    let expected: Vec<String> = users::table
        .filter(users::district_id.eq(&demo))
        .order((
            users::family_name.asc(),
            users::given_name.asc(),
            users::id.asc(),
        ))
        .select(users::id)
        .load(&mut conn)
        .unwrap();
    assert!(
        expected.len() > 300,
        "the demo district has hundreds of accounts"
    );

    let limit: usize = 7;
    let mut walked: Vec<String> = Vec::new();
    let mut page: usize = 1;
    loop {
        let body = expect(
            app.get(
                &format!("/api/v1/users?limit={limit}&page={page}"),
                Some(&admin),
            ),
            200,
            "users page",
        );
        assert_eq!(body["page"], page, "page echoed");
        assert_eq!(body["limit"], limit, "limit echoed");
        assert_eq!(body["total"], expected.len(), "total on page {page}");
        let items = body["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        assert!(
            items.len() <= limit,
            "page {page} has {} items",
            items.len()
        );
        for item in items {
            assert_eq!(item["district_id"], demo.as_str());
            assert_utc(&item["created_at"], "user.created_at");
        }
        walked.extend(ids_of(items));
        page += 1;
        assert!(page < 200, "pagination never ends");
    }
    assert_eq!(
        page - 1,
        expected.len().div_ceil(limit),
        "number of non-empty pages"
    );
    let unique = set(walked.clone());
    assert_eq!(
        unique.len(),
        walked.len(),
        "an account appeared on two pages"
    );
    assert_eq!(unique, set(expected.clone()), "an account was skipped");
    assert_eq!(
        walked, expected,
        "pages follow the documented order (family, given name, id)"
    );

    // Large pages give the same sequence; the default page size is 50.
    assert_eq!(ids_of(&list_all(&app, &admin, "/api/v1/users")), expected);
    let first = expect(app.get("/api/v1/users", Some(&admin)), 200, "default page");
    assert_eq!(
        (first["page"].as_i64(), first["limit"].as_i64()),
        (Some(1), Some(50))
    );
    assert_eq!(first["items"].as_array().unwrap().len(), 50);
    // Past the end: empty, total unchanged.
    let past = expect(
        app.get("/api/v1/users?page=1000", Some(&admin)),
        200,
        "past the end",
    );
    assert_eq!(past["items"], json!([]));
    assert_eq!(past["total"], expected.len());

    // District-wide filters: by school, and the district's own staff.
    let riverbend = school_id(&mut conn, MIDDLE);
    let at_riverbend: BTreeSet<String> = set(users::table
        .filter(users::school_id.eq(&riverbend))
        .select(users::id)
        .load::<String>(&mut conn)
        .unwrap());
    assert_eq!(
        list_ids(
            &app,
            &admin,
            &format!("/api/v1/users?school_id={riverbend}")
        ),
        at_riverbend
    );
    let district_staff = set(["denise.whitfield", "rahul.mehta"].map(|u| user_id(&mut conn, u)));
    assert_eq!(
        list_ids(&app, &admin, "/api/v1/users?role=district_admin"),
        district_staff
    );
    let harbor = school_in(&mut conn, OTHER_DISTRICT, OTHER_SCHOOL);
    assert_eq!(
        list_ids(&app, &admin, &format!("/api/v1/users?school_id={harbor}")),
        BTreeSet::new()
    );
    assert_eq!(
        list_ids(&app, &admin, "/api/v1/users?q=hp."),
        BTreeSet::new(),
        "other district's accounts"
    );
}

#[test]
fn school_admin_filters_accounts_by_role_grade_school_activity_and_name() {
    let app = TestApp::spawn();
    let principal = app.login(CEDAR_ADMIN);
    let mut conn = app.conn();
    let cedar = school_id(&mut conn, ELEMENTARY);
    let riverbend = school_id(&mut conn, MIDDLE);
    let cedar_rows: Vec<UserRow> = users::table
        .filter(users::school_id.eq(&cedar))
        .select(UserRow::as_select())
        .load(&mut conn)
        .unwrap();
    let where_ = |pred: &dyn Fn(&UserRow) -> bool| -> BTreeSet<String> {
        cedar_rows
            .iter()
            .filter(|u| pred(u))
            .map(|u| u.id.clone())
            .collect()
    };

    let nunez = where_(&|u| u.family_name == "Núñez");
    assert!(
        nunez.len() >= 2,
        "the seed has several Núñez at Cedar Grove"
    );
    let cedar_filter = format!("school_id={cedar}");
    let riverbend_filter = format!("school_id={riverbend}");
    #[rustfmt::skip]
    let cases: Vec<(&str, BTreeSet<String>)> = vec![
        ("",                     where_(&|_| true)),
        ("role=teacher",         where_(&|u| u.role.as_str() == "teacher")),
        ("role=student",         where_(&|u| u.role.as_str() == "student")),
        ("role=counselor",       where_(&|u| u.role.as_str() == "counselor")),
        ("role=district_admin",  BTreeSet::new()),
        ("grade=3",              where_(&|u| u.grade == Some(3))),
        ("grade=0",              where_(&|u| u.grade == Some(0))),
        ("role=student&grade=5", where_(&|u| u.grade == Some(5))),
        ("role=teacher&grade=5", BTreeSet::new()),
        (&cedar_filter,          where_(&|_| true)),
        // Another school of the district is outside a school administrator's scope.
        (&riverbend_filter,      BTreeSet::new()),
        ("active=true",          where_(&|_| true)),
        ("active=false",         BTreeSet::new()),
        // Case-insensitive, on given name, family name or username, anywhere in the value.
        ("q=ALVAREZ",            where_(&|u| u.username == CEDAR_ADMIN)),
        ("q=atric",              where_(&|u| contains_ci(&u.given_name, "atric") || contains_ci(&u.family_name, "atric"))),
        ("q=alanap",             where_(&|u| u.username.contains("alanap"))),
        ("q=N%C3%BA%C3%B1ez",    nunez.clone()), // Núñez
        ("q=N%C3%9A%C3%91EZ",    nunez.clone()), // NÚÑEZ
        ("q=%20watanabe%20",     where_(&|u| u.username == "kenji.watanabe")),
        ("q=zzzz-nobody",        BTreeSet::new()),
    ];
    for (query, expected) in &cases {
        let path = format!("/api/v1/users?{query}");
        let got = list_ids(&app, &principal, &path);
        assert_eq!(&got, expected, "GET {path}");
    }

    // Paging through a filtered list yields the filtered set.
    let students = where_(&|u| u.role.as_str() == "student");
    let mut walked = Vec::new();
    for page in 1.. {
        let body = expect(
            app.get(
                &format!("/api/v1/users?role=student&limit=9&page={page}"),
                Some(&principal),
            ),
            200,
            "filtered page",
        );
        assert_eq!(body["total"], students.len());
        let items = body["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        walked.extend(ids_of(items));
    }
    assert_eq!(walked.len(), students.len());
    assert_eq!(set(walked), students);

    // After deactivating one student, the activity filter finds exactly that one.
    let alana = user_id(&mut conn, "alanap489");
    expect(
        app.patch(
            &format!("/api/v1/users/{alana}"),
            Some(&principal),
            &json!({"active": false}),
        ),
        200,
        "deactivate",
    );
    assert_eq!(
        list_ids(&app, &principal, "/api/v1/users?active=false"),
        set([alana.clone()])
    );
    assert_eq!(
        list_ids(
            &app,
            &principal,
            "/api/v1/users?role=student&active=false&grade=4"
        ),
        set([alana.clone()])
    );
    let active = list_ids(&app, &principal, "/api/v1/users?active=true");
    assert_eq!(active.len(), cedar_rows.len() - 1);
    assert!(!active.contains(&alana));
}

#[test]
fn name_search_treats_percent_and_underscore_literally() {
    let app = TestApp::spawn();
    let principal = app.login(CEDAR_ADMIN);
    let mut conn = app.conn();
    let percent = expect(
        app.post(
            "/api/v1/users",
            Some(&principal),
            &new_student("pct.student", None, 2, "Hundred%", "Percent"),
        ),
        201,
        "student with % in name",
    );
    let underscore = expect(
        app.post(
            "/api/v1/users",
            Some(&principal),
            &new_student("under_score", None, 2, "Una", "Score"),
        ),
        201,
        "student with _ in username",
    );
    let backslash = expect(
        app.post(
            "/api/v1/users",
            Some(&principal),
            &new_student("back.slash", None, 2, "Back\\slash", "Person"),
        ),
        201,
        "student with \\ in name",
    );
    let (percent, underscore, backslash) = (
        str_of(&percent["id"]),
        str_of(&underscore["id"]),
        str_of(&backslash["id"]),
    );
    // As LIKE wildcards, % would match every account and _ every account with a name.
    #[rustfmt::skip]
    let cases: Vec<(&str, BTreeSet<String>)> = vec![
        ("%25",   set([percent.clone()])),    // %
        ("d%25",  set([percent.clone()])),    // d%
        ("%25P",  BTreeSet::new()),           // %P
        ("_",     set([underscore.clone()])),
        ("r_s",   set([underscore.clone()])),
        ("a_a",   BTreeSet::new()),
        ("%5C",   set([backslash.clone()])),  // \
        ("k%5Cs", set([backslash.clone()])),  // k\s
    ];
    for (q, expected) in cases {
        let path = format!("/api/v1/users?q={q}");
        assert_eq!(list_ids(&app, &principal, &path), expected, "GET {path}");
    }
    // Sanity: these usernames and names really are unique in the seed.
    let n: i64 = users::table
        .filter(users::username.like("%\\_%").escape('\\'))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn name_search_is_case_insensitive_beyond_ascii() {
    let app = TestApp::spawn();
    let principal = app.login(CEDAR_ADMIN);
    let created = expect(
        app.post(
            "/api/v1/users",
            Some(&principal),
            &new_student("elodie.o", None, 1, "Élodie", "Østergaard"),
        ),
        201,
        "student with accented capitals",
    );
    let id = str_of(&created["id"]);
    #[rustfmt::skip]
    let queries = [
        ("%C3%A9lodie",     "élodie"),
        ("%C3%89LODIE",     "ÉLODIE"),
        ("%C3%89lodie",     "Élodie"),
        ("%C3%B8stergaard", "østergaard"),
        ("%C3%98STERGAARD", "ØSTERGAARD"),
    ];
    let mut misses = Vec::new();
    for (encoded, shown) in queries {
        let found = list_ids(&app, &principal, &format!("/api/v1/users?q={encoded}"));
        if found != set([id.clone()]) {
            misses.push(format!("q={shown:?} found {} accounts", found.len()));
        }
    }
    assert!(
        misses.is_empty(),
        "GET /api/v1/users?q=… must find \"Élodie Østergaard\" whatever the case: {misses:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Classes
// ---------------------------------------------------------------------------------------------

struct Riverbend {
    school: String,
    cedar: String,
    harbor: String,
    fall: String,
    spring27: String,
    harbor_fall: String,
    samuel: String,
    hannah: String,
    anjali: String,
    michael: String,
    counselor: String,
    cedar_teacher: String,
    harbor_teacher: String,
    student: String,
}

fn riverbend(conn: &mut DbConnection) -> Riverbend {
    Riverbend {
        school: school_id(conn, MIDDLE),
        cedar: school_id(conn, ELEMENTARY),
        harbor: school_in(conn, OTHER_DISTRICT, OTHER_SCHOOL),
        fall: term_id(conn, DEMO_DISTRICT, "Fall 2026"),
        spring27: term_id(conn, DEMO_DISTRICT, "Spring 2027"),
        harbor_fall: term_id(conn, OTHER_DISTRICT, "Fall 2026"),
        samuel: user_id(conn, "samuel.ortega"),
        hannah: user_id(conn, "hannah.lindqvist"),
        anjali: user_id(conn, "anjali.rao"),
        michael: user_id(conn, "michael.obrien"),
        counselor: user_id(conn, "daniel.kim"),
        cedar_teacher: user_id(conn, "elena.rivera"),
        harbor_teacher: user_id(conn, "hp.teacher"),
        student: user_id(conn, "andreg197"),
    }
}

#[test]
fn creating_a_class_checks_term_grade_and_teachers() {
    let app = TestApp::spawn();
    let principal = app.login(RIVERBEND_ADMIN);
    let mut conn = app.conn();
    let f = riverbend(&mut conn);

    let created = expect(
        app.post(
            "/api/v1/classes",
            Some(&principal),
            &json!({"school_id": f.school, "term_id": f.fall, "name": "  Mindfulness Club ",
                    "grade": 7, "teacher_ids": [f.samuel, f.hannah, f.samuel]}),
        ),
        201,
        "POST /classes",
    );
    let id = str_of(&created["id"]);
    assert_eq!(created["name"], "Mindfulness Club");
    assert_eq!(created["school_id"], f.school.as_str());
    assert_eq!(created["term_id"], f.fall.as_str());
    assert_eq!(created["grade"], 7);
    assert_eq!(created["active"], true);
    assert_eq!(created["student_count"], 0);
    let teacher_ids = set(created["teachers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| str_of(&t["id"])));
    assert_eq!(
        teacher_ids,
        set([f.samuel.clone(), f.hannah.clone()]),
        "duplicates collapse"
    );
    assert!(created["teachers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["given_name"].is_string() && t["family_name"].is_string()));
    let row = class_row(&mut conn, &id);
    assert_eq!(
        (
            row.school_id.as_str(),
            row.term_id.as_str(),
            row.name.as_str(),
            row.grade,
            row.active
        ),
        (
            f.school.as_str(),
            f.fall.as_str(),
            "Mindfulness Club",
            Some(7),
            true
        )
    );
    assert_stored_instant(&created["created_at"], row.created_at, "class.created_at");
    assert_eq!(teachers_of(&mut conn, &id), teacher_ids);
    assert_eq!(
        expect(
            app.get(&format!("/api/v1/classes/{id}"), Some(&principal)),
            200,
            "GET class"
        ),
        created
    );

    // A mixed-grade class without teachers yet.
    let mixed = expect(
        app.post(
            "/api/v1/classes",
            Some(&principal),
            &json!({"school_id": f.school, "term_id": f.spring27, "name": "Peer Mediators"}),
        ),
        201,
        "mixed-grade class",
    );
    assert_eq!(mixed["grade"], Value::Null);
    assert_eq!(mixed["teachers"], json!([]));
    assert_eq!(class_row(&mut conn, &str_of(&mixed["id"])).grade, None);

    // Teachers must be active: deactivate one first.
    expect(
        app.patch(
            &format!("/api/v1/users/{}", f.michael),
            Some(&principal),
            &json!({"active": false}),
        ),
        200,
        "deactivate teacher",
    );

    let base =
        json!({"school_id": f.school, "term_id": f.fall, "name": "Refused Class", "grade": 7});
    let with = |changes: Value| {
        let mut body = base.clone();
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    #[rustfmt::skip]
    let refusals: Vec<(&str, Value, &str)> = vec![
        ("grade below the school's range", with(json!({"grade": 5})),                      "grade"),
        ("grade above the school's range", with(json!({"grade": 9})),                      "grade"),
        ("term of another district",       with(json!({"term_id": f.harbor_fall})),        "term_id"),
        ("unknown term",                   with(json!({"term_id": "no-such-term"})),       "term_id"),
        ("another school of the district", with(json!({"school_id": f.cedar, "grade": 3})), "school_id"),
        ("a school of another district",   with(json!({"school_id": f.harbor})),           "school_id"),
        ("teacher of another school",      with(json!({"teacher_ids": [f.cedar_teacher]})), "teacher_ids[0]"),
        ("teacher of another district",    with(json!({"teacher_ids": [f.harbor_teacher]})), "teacher_ids[0]"),
        ("counselor as teacher",           with(json!({"teacher_ids": [f.counselor]})),    "teacher_ids[0]"),
        ("student as teacher",             with(json!({"teacher_ids": [f.student]})),      "teacher_ids[0]"),
        ("deactivated teacher",            with(json!({"teacher_ids": [f.michael]})),      "teacher_ids[0]"),
        ("unknown teacher",                with(json!({"teacher_ids": ["no-such-one"]})),  "teacher_ids[0]"),
    ];
    let classes_before = count_classes(&mut conn);
    let links_before: i64 = class_teachers::table.count().get_result(&mut conn).unwrap();
    for (case, body, field) in refusals {
        let r = app.post("/api/v1/classes", Some(&principal), &body);
        assert_eq!(r.status, 422, "{case}: {}", r.text);
        r.invalid_field(field);
        assert_eq!(
            count_classes(&mut conn),
            classes_before,
            "{case}: a class was stored"
        );
        let links: i64 = class_teachers::table.count().get_result(&mut conn).unwrap();
        assert_eq!(links, links_before, "{case}: teacher links were stored");
    }
    let refused: i64 = classes::table
        .filter(classes::name.eq("Refused Class"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(refused, 0);
}

#[test]
fn a_refused_teacher_is_named_by_its_position_in_the_request() {
    let app = TestApp::spawn();
    let principal = app.login(RIVERBEND_ADMIN);
    let mut conn = app.conn();
    let f = riverbend(&mut conn);
    let class = class_id(&mut conn, "Advisory 7A");
    let classes_before = count_classes(&mut conn);
    let teachers_before = teachers_of(&mut conn, &class);
    // The wrong id is not first in the request, but it sorts before every UUID: an index into
    // a sorted copy of the list would point at the wrong element.
    let bad = "!not-a-teacher";
    let cases = [
        (
            "POST /api/v1/classes",
            app.post(
                "/api/v1/classes",
                Some(&principal),
                &json!({"school_id": f.school, "term_id": f.fall, "name": "Order Matters",
                        "teacher_ids": [f.samuel, bad]}),
            ),
            "teacher_ids[1]",
        ),
        (
            "PATCH /api/v1/classes/{id}",
            app.patch(
                &format!("/api/v1/classes/{class}"),
                Some(&principal),
                &json!({"teacher_ids": [f.hannah, f.anjali, bad]}),
            ),
            "teacher_ids[2]",
        ),
    ];
    let mut wrong = Vec::new();
    for (route, response, expected) in &cases {
        let problem = response.problem(422);
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        if fields != [*expected] {
            wrong.push(format!("{route}: expected [{expected}], got {fields:?}"));
        }
    }
    assert_eq!(count_classes(&mut conn), classes_before);
    assert_eq!(teachers_of(&mut conn, &class), teachers_before);
    assert!(
        wrong.is_empty(),
        "the refused teacher id must be named by its index in the request: {wrong:?}"
    );
}

#[test]
fn updating_a_class_renames_regrades_moves_term_replaces_teachers_and_deactivates() {
    let app = TestApp::spawn();
    let principal = app.login(RIVERBEND_ADMIN);
    let mut conn = app.conn();
    let f = riverbend(&mut conn);
    let created = expect(
        app.post(
            "/api/v1/classes",
            Some(&principal),
            &json!({"school_id": f.school, "term_id": f.fall, "name": "Study Skills", "grade": 7,
                         "teacher_ids": [f.samuel]}),
        ),
        201,
        "create",
    );
    let id = str_of(&created["id"]);
    let path = format!("/api/v1/classes/{id}");

    let body = expect(
        app.patch(
            &path,
            Some(&principal),
            &json!({"name": " Study Skills 8 ", "grade": 8, "teacher_ids": [f.anjali]}),
        ),
        200,
        "rename/regrade/replace teachers",
    );
    assert_eq!(body["name"], "Study Skills 8");
    assert_eq!(body["grade"], 8);
    assert_eq!(body["created_at"], created["created_at"]);
    assert_eq!(
        set(body["teachers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| str_of(&t["id"]))),
        set([f.anjali.clone()])
    );
    assert_eq!(teachers_of(&mut conn, &id), set([f.anjali.clone()]));
    let row = class_row(&mut conn, &id);
    assert_eq!((row.name.as_str(), row.grade), ("Study Skills 8", Some(8)));
    assert_stored_instant(&body["updated_at"], row.updated_at, "class.updated_at");

    // Teachers untouched when teacher_ids is absent.
    let body = expect(
        app.patch(&path, Some(&principal), &json!({"term_id": f.spring27})),
        200,
        "move term",
    );
    assert_eq!(body["term_id"], f.spring27.as_str());
    assert_eq!(class_row(&mut conn, &id).term_id, f.spring27);
    assert_eq!(teachers_of(&mut conn, &id), set([f.anjali.clone()]));

    #[rustfmt::skip]
    let refusals: Vec<(&str, Value, &str)> = vec![
        ("grade outside the school's range", json!({"grade": 5}),                     "grade"),
        ("teacher of another school",        json!({"teacher_ids": [f.cedar_teacher]}), "teacher_ids[0]"),
        ("counselor as teacher",             json!({"teacher_ids": [f.counselor]}),   "teacher_ids[0]"),
        ("term of another district",         json!({"term_id": f.harbor_fall}),       "term_id"),
    ];
    for (case, patch, field) in refusals {
        let before = class_row(&mut conn, &id);
        app.patch(&path, Some(&principal), &patch)
            .invalid_field(field);
        let after = class_row(&mut conn, &id);
        assert_eq!(
            (before.term_id, before.grade, before.updated_at),
            (after.term_id, after.grade, after.updated_at),
            "{case}"
        );
        assert_eq!(
            teachers_of(&mut conn, &id),
            set([f.anjali.clone()]),
            "{case}: teachers changed"
        );
    }

    let body = expect(
        app.patch(&path, Some(&principal), &json!({"teacher_ids": []})),
        200,
        "remove teachers",
    );
    assert_eq!(body["teachers"], json!([]));
    assert!(teachers_of(&mut conn, &id).is_empty());

    let body = expect(
        app.patch(&path, Some(&principal), &json!({"active": false})),
        200,
        "deactivate",
    );
    assert_eq!(body["active"], false);
    assert!(!class_row(&mut conn, &id).active);
    assert_eq!(
        list_ids(&app, &principal, "/api/v1/classes?active=false"),
        set([id.clone()])
    );
    assert!(!list_ids(&app, &principal, "/api/v1/classes?active=true").contains(&id));
    assert!(
        list_ids(&app, &principal, "/api/v1/classes").contains(&id),
        "deactivated classes are kept"
    );

    // A class of another school is invisible to this administrator.
    let cedar_class = class_id(&mut conn, "Grade 3 Homeroom - Nguyen");
    app.patch(
        &format!("/api/v1/classes/{cedar_class}"),
        Some(&principal),
        &json!({"name": "Mine"}),
    )
    .problem(404);
    assert_eq!(
        class_row(&mut conn, &cedar_class).name,
        "Grade 3 Homeroom - Nguyen"
    );
}

#[test]
fn class_lists_filter_by_term_grade_teacher_school_and_name_and_paginate() {
    let app = TestApp::spawn();
    let admin = app.login(DISTRICT_ADMIN);
    let principal = app.login(RIVERBEND_ADMIN);
    let mut conn = app.conn();
    let f = riverbend(&mut conn);
    let spring26 = term_id(&mut conn, DEMO_DISTRICT, "Spring 2026");

    // A class whose name holds LIKE wildcards.
    let odd = expect(
        app.post("/api/v1/classes", Some(&admin),
                 &json!({"school_id": f.cedar, "term_id": f.fall, "name": "Grade_5 100% Club", "grade": 5})),
        201,
        "class with wildcards in its name",
    );
    let odd = str_of(&odd["id"]);

    let demo_schools = [
        f.school.clone(),
        f.cedar.clone(),
        school_id(&mut conn, HIGH),
    ];
    let all: Vec<ClassRow> = classes::table
        .filter(classes::school_id.eq_any(&demo_schools))
        .select(ClassRow::as_select())
        .load(&mut conn)
        .unwrap();
    let samuel_classes: BTreeSet<String> = set(class_teachers::table
        .filter(class_teachers::teacher_id.eq(&f.samuel))
        .select(class_teachers::class_id)
        .load::<String>(&mut conn)
        .unwrap());
    let where_ = |pred: &dyn Fn(&ClassRow) -> bool| -> BTreeSet<String> {
        all.iter()
            .filter(|c| pred(c))
            .map(|c| c.id.clone())
            .collect()
    };
    let named = |needle: &str| where_(&|c| c.name.to_lowercase().contains(needle));

    #[rustfmt::skip]
    let cases: Vec<(String, BTreeSet<String>)> = vec![
        (String::new(),                       where_(&|_| true)),
        (format!("term_id={spring26}"),       where_(&|c| c.term_id == spring26)),
        (format!("term_id={}", f.harbor_fall), BTreeSet::new()),
        ("grade=7".into(),                    where_(&|c| c.grade == Some(7))),
        ("grade=12".into(),                   where_(&|c| c.grade == Some(12))),
        (format!("teacher_id={}", f.samuel),  samuel_classes.clone()),
        (format!("teacher_id={}&grade=7", f.samuel),
                                              where_(&|c| c.grade == Some(7) && samuel_classes.contains(&c.id))),
        (format!("school_id={}", f.school),   where_(&|c| c.school_id == f.school)),
        (format!("school_id={}&term_id={spring26}", f.school),
                                              where_(&|c| c.school_id == f.school && c.term_id == spring26)),
        (format!("school_id={}", f.harbor),   BTreeSet::new()),
        ("q=advisory".into(),                 named("advisory")),
        ("q=ADVISORY".into(),                 named("advisory")),
        ("q=%26".into(),                      named("&")),
        ("q=homeroom%20-%20n".into(),         named("homeroom - n")),
        ("q=%25".into(),                      set([odd.clone()])), // %
        ("q=_".into(),                        set([odd.clone()])),
        ("q=e_5".into(),                      set([odd.clone()])),
        ("q=0%25%20c".into(),                 set([odd.clone()])), // "0% c"
        ("active=false".into(),               BTreeSet::new()),
    ];
    for (query, expected) in &cases {
        let path = format!("/api/v1/classes?{query}");
        assert_eq!(
            &list_ids(&app, &admin, &path),
            expected,
            "GET {path} as district admin"
        );
    }
    assert!(
        cases[1].1.len() == 3 && cases[3].1.len() >= 4 && cases[5].1.len() == 4,
        "fixtures are as expected"
    );

    // A school administrator's filters only ever narrow their own school's classes.
    let own = where_(&|c| c.school_id == f.school);
    assert_eq!(list_ids(&app, &principal, "/api/v1/classes"), own);
    assert_eq!(
        list_ids(
            &app,
            &principal,
            &format!("/api/v1/classes?school_id={}", f.cedar)
        ),
        BTreeSet::new()
    );
    assert_eq!(
        list_ids(&app, &principal, "/api/v1/classes?q=homeroom"),
        BTreeSet::new(),
        "homerooms are Cedar Grove's"
    );
    assert_eq!(
        list_ids(
            &app,
            &principal,
            &format!("/api/v1/classes?term_id={spring26}")
        ),
        where_(&|c| c.school_id == f.school && c.term_id == spring26)
    );

    // Small pages cover the list once, in the same order as one big page.
    let big = ids_of(&list_all(&app, &admin, "/api/v1/classes"));
    let mut walked = Vec::new();
    for page in 1.. {
        let body = expect(
            app.get(
                &format!("/api/v1/classes?limit=4&page={page}"),
                Some(&admin),
            ),
            200,
            "classes page",
        );
        assert_eq!(body["total"], all.len());
        let items = body["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        walked.extend(ids_of(items));
    }
    assert_eq!(walked, big);
    assert_eq!(set(walked), where_(&|_| true));
}

// ---------------------------------------------------------------------------------------------
// Enrollments
// ---------------------------------------------------------------------------------------------

/// A Riverbend 7th grader who is not in Advisory 7A.
fn unenrolled_seventh_grader(conn: &mut DbConnection, class: &str, school: &str) -> String {
    let enrolled = enrollments::table
        .filter(enrollments::class_id.eq(class.to_owned()))
        .select(enrollments::student_id);
    users::table
        .filter(users::school_id.eq(school))
        .filter(users::role.eq("student"))
        .filter(users::grade.eq(7))
        .filter(users::id.ne_all(enrolled))
        .order(users::id.asc())
        .select(users::id)
        .first(conn)
        .expect("a 7th grader outside Advisory 7A")
}

#[test]
fn enrolling_is_idempotent_and_unenrolling_keeps_an_inactive_record() {
    let app = TestApp::spawn();
    let principal = app.login(RIVERBEND_ADMIN);
    let mut conn = app.conn();
    let school = school_id(&mut conn, MIDDLE);
    let class = class_id(&mut conn, "Advisory 7A");
    let student = unenrolled_seventh_grader(&mut conn, &class, &school);
    let class_path = format!("/api/v1/classes/{class}");
    let enroll_path = format!("{class_path}/enrollments");
    let count_before = expect(app.get(&class_path, Some(&principal)), 200, "class")
        ["student_count"]
        .as_i64()
        .unwrap();
    let total_rows = count_enrollments(&mut conn);

    let r = app.post(
        &enroll_path,
        Some(&principal),
        &json!({"student_id": student}),
    );
    assert_eq!(r.status, 201, "first enrollment: {}", r.text);
    assert_eq!(enrollment_rows(&mut conn, &class, &student), [true]);
    assert_eq!(
        expect(app.get(&class_path, Some(&principal)), 200, "class")["student_count"],
        count_before + 1
    );
    let listed = list_all(&app, &principal, &format!("{enroll_path}?active=true"));
    let mine = listed
        .iter()
        .find(|e| e["student_id"] == student.as_str())
        .expect("listed as enrolled");
    assert_eq!(mine["class_id"], class.as_str());
    assert_eq!(mine["active"], true);
    assert_eq!(mine["grade"], 7);
    assert!(mine["username"].is_string() && mine["given_name"].is_string());
    let enrolled_at = assert_utc(&mine["enrolled_at"], "enrolled_at");
    assert_utc(&mine["updated_at"], "enrollment.updated_at");

    // Again: nothing new, 200.
    let r = app.post(
        &enroll_path,
        Some(&principal),
        &json!({"student_id": student}),
    );
    assert_eq!(
        r.status, 200,
        "re-enrolling an enrolled student: {}",
        r.text
    );
    assert_eq!(enrollment_rows(&mut conn, &class, &student), [true]);
    assert_eq!(count_enrollments(&mut conn), total_rows + 1);

    // Unenroll: the row stays, inactive.
    let r = app.request(
        "DELETE",
        &format!("{enroll_path}/{student}"),
        Some(&principal),
        &[],
        None,
    );
    assert_eq!(r.status, 204, "unenroll: {}", r.text);
    assert_eq!(enrollment_rows(&mut conn, &class, &student), [false]);
    assert_eq!(count_enrollments(&mut conn), total_rows + 1);
    assert_eq!(
        expect(app.get(&class_path, Some(&principal)), 200, "class")["student_count"],
        count_before
    );
    let ended = list_all(&app, &principal, &format!("{enroll_path}?active=false"));
    assert_eq!(ids_of_students(&ended), set([student.clone()]));
    assert_eq!(ended[0]["active"], false);
    assert!(!ids_of_students(&list_all(
        &app,
        &principal,
        &format!("{enroll_path}?active=true")
    ))
    .contains(&student));
    let everyone = list_all(&app, &principal, &enroll_path);
    assert_eq!(
        everyone.len() as i64,
        count_before + 1,
        "the unfiltered roster includes ended enrollments"
    );

    // Re-enrolling reactivates the same record: 200, original enrollment date kept.
    let r = app.post(
        &enroll_path,
        Some(&principal),
        &json!({"student_id": student}),
    );
    assert_eq!(r.status, 200, "re-enrolling after unenrolling: {}", r.text);
    assert_eq!(enrollment_rows(&mut conn, &class, &student), [true]);
    assert_eq!(count_enrollments(&mut conn), total_rows + 1);
    let again = list_all(&app, &principal, &format!("{enroll_path}?active=true"));
    let mine = again
        .iter()
        .find(|e| e["student_id"] == student.as_str())
        .expect("enrolled again");
    assert_eq!(assert_utc(&mine["enrolled_at"], "enrolled_at"), enrolled_at);

    // Paging through the roster.
    let total = list_all(&app, &principal, &enroll_path).len();
    let mut walked = Vec::new();
    for page in 1.. {
        let body = expect(
            app.get(
                &format!("{enroll_path}?limit=4&page={page}"),
                Some(&principal),
            ),
            200,
            "roster page",
        );
        assert_eq!(body["total"], total);
        let items = body["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        walked.extend(items.iter().map(|e| str_of(&e["student_id"])));
    }
    assert_eq!(walked.len(), total);
    assert_eq!(set(walked).len(), total);
}

fn ids_of_students(items: &[Value]) -> BTreeSet<String> {
    items.iter().map(|e| str_of(&e["student_id"])).collect()
}

#[test]
fn enrolling_someone_who_is_not_an_active_student_of_the_school_is_refused() {
    let app = TestApp::spawn();
    let principal = app.login(RIVERBEND_ADMIN);
    let admin = app.login(DISTRICT_ADMIN);
    let mut conn = app.conn();
    let school = school_id(&mut conn, MIDDLE);
    let class = class_id(&mut conn, "Advisory 7A");
    let enroll_path = format!("/api/v1/classes/{class}/enrollments");
    let leaver = unenrolled_seventh_grader(&mut conn, &class, &school);
    expect(
        app.patch(
            &format!("/api/v1/users/{leaver}"),
            Some(&principal),
            &json!({"active": false}),
        ),
        200,
        "deactivate student",
    );
    let before = count_enrollments(&mut conn);

    #[rustfmt::skip]
    let refusals: Vec<(&str, String)> = vec![
        ("student of another school",   user_id(&mut conn, "alanap489")),
        ("student of another district", user_id(&mut conn, "hp.student")),
        ("teacher of the school",       user_id(&mut conn, "samuel.ortega")),
        ("counselor of the school",     user_id(&mut conn, "daniel.kim")),
        ("deactivated student",         leaver.clone()),
        ("unknown id",                  "no-such-student".to_owned()),
    ];
    for (case, student) in &refusals {
        for (who, token) in [("school admin", &principal), ("district admin", &admin)] {
            let r = app.post(&enroll_path, Some(token), &json!({"student_id": student}));
            assert_eq!(r.status, 422, "{case} by {who}: {}", r.text);
            r.invalid_field("student_id");
            assert!(
                enrollment_rows(&mut conn, &class, student).is_empty(),
                "{case} by {who}: stored"
            );
        }
    }

    // Classes outside the administrator's scope do not exist for them.
    let cedar_class = class_id(&mut conn, "Grade 3 Homeroom - Nguyen");
    let cedar_student = user_id(&mut conn, "joseh992");
    app.post(
        &format!("/api/v1/classes/{cedar_class}/enrollments"),
        Some(&principal),
        &json!({"student_id": cedar_student}),
    )
    .problem(404);
    app.post(
        "/api/v1/classes/no-such-class/enrollments",
        Some(&principal),
        &json!({"student_id": leaver}),
    )
    .problem(404);
    app.request(
        "DELETE",
        &format!("/api/v1/classes/{cedar_class}/enrollments/{cedar_student}"),
        Some(&principal),
        &[],
        None,
    )
    .problem(404);
    assert_eq!(
        enrollment_rows(&mut conn, &cedar_class, &cedar_student),
        [true],
        "the Cedar enrollment is untouched"
    );
    // Ending an enrollment that never existed.
    let never: String = users::table
        .filter(users::school_id.eq(&school))
        .filter(users::role.eq("student"))
        .filter(users::grade.eq(8))
        .select(users::id)
        .first(&mut conn)
        .unwrap();
    assert!(enrollment_rows(&mut conn, &class, &never).is_empty());
    app.request(
        "DELETE",
        &format!("{enroll_path}/{never}"),
        Some(&principal),
        &[],
        None,
    )
    .problem(404);
    assert!(
        enrollment_rows(&mut conn, &class, &never).is_empty(),
        "DELETE created a row"
    );
    assert_eq!(
        count_enrollments(&mut conn),
        before,
        "no enrollment rows were added or removed"
    );
    let active_before: i64 = enrollments::table
        .filter(enrollments::active.eq(true))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(active_before, before, "no seeded enrollment was ended");
}

#[test]
fn lists_give_what_changed_since_a_time_for_clients_that_sync() {
    let app = TestApp::spawn();
    let token = app.login(DISTRICT_ADMIN);
    let mut conn = app.conn();
    // The seed wrote everything a moment ago; a second later nothing has changed yet.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let since = at(chrono::Utc::now());
    let q = |path: &str| {
        let r = app.get(&format!("{path}updated_since={since}"), Some(&token));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()
    };
    assert_eq!(q("/api/v1/users?")["total"], 0);
    assert_eq!(q("/api/v1/classes?")["total"], 0);
    // One account renamed, one class renamed, one student unenrolled.
    let student = user_id(&mut conn, "andreg197");
    let r = app.patch(
        &format!("/api/v1/users/{student}"),
        Some(&token),
        &json!({"given_name": "Andrea"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let class = class_id(&mut conn, "Health & Wellness 7");
    let r = app.patch(
        &format!("/api/v1/classes/{class}"),
        Some(&token),
        &json!({"name": "Health and Wellness 7"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.send(
        "DELETE",
        &format!("/api/v1/classes/{class}/enrollments/{student}"),
        Some(&token),
        &json!({}),
    );
    assert!(r.status < 300, "{}", r.text);
    let users = q("/api/v1/users?");
    assert_eq!(users["total"], 1, "{users}");
    assert_eq!(users["items"][0]["id"], student.as_str());
    let classes = q("/api/v1/classes?");
    assert_eq!(classes["total"], 1, "{classes}");
    let enrollments = q(&format!("/api/v1/classes/{class}/enrollments?"));
    assert_eq!(enrollments["total"], 1, "{enrollments}");
    assert_eq!(enrollments["items"][0]["active"], false, "{enrollments}");
    // The whole list is still there without the filter, and a bad time is a 422.
    assert!(
        app.get("/api/v1/users", Some(&token)).json()["total"]
            .as_i64()
            .unwrap()
            > 1
    );
    app.get("/api/v1/users?updated_since=yesterday", Some(&token))
        .problem(422);
}
