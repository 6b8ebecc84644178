//! Account activation: codes issued for a class, a grade or chosen accounts, used once to set a
//! password, expiring, stored hashed, rate-limited, and issued only within the issuer's scope.

use crate::helpers::oneroster::{upload, Bundle};
use crate::helpers::*;
use diesel::prelude::*;
use securebase::db::schema::{
    activation_codes, class_teachers, classes, enrollments, schools, users,
};
use securebase::db::DbConnection;
use serde_json::{json, Value};

const DISTRICT_ADMIN: &str = "denise.whitfield";
const NEW_PASSWORD: &str = "river-stones-42";

/// The demo district with the sample OneRoster bundle imported (accounts without passwords).
fn imported_app(adjust: impl FnOnce(&mut securebase::config::Config)) -> TestApp {
    let app = TestApp::spawn_with(adjust);
    let token = app.login(DISTRICT_ADMIN);
    let r = upload(&app, &token, &demo_district(), &Bundle::sample());
    assert_eq!(r.status, 200, "{}", r.text);
    app
}

fn school_by_source(conn: &mut DbConnection, source: &str) -> String {
    schools::table
        .filter(schools::source_id.eq(source))
        .select(schools::id)
        .first(conn)
        .unwrap()
}

fn class_by_source(conn: &mut DbConnection, source: &str) -> String {
    classes::table
        .filter(classes::source_id.eq(source))
        .select(classes::id)
        .first(conn)
        .unwrap()
}

fn issue(app: &TestApp, token: &str, school: &str, body: Value) -> Value {
    let r = app.post(
        &format!("/api/v1/schools/{school}/activation-codes"),
        Some(token),
        &body,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    r.json()
}

fn activate(app: &TestApp, code: &str, password: &str) -> Resp {
    app.post(
        "/api/v1/auth/activate",
        None,
        &json!({"code": code, "password": password}),
    )
}

#[test]
fn a_class_gets_codes_that_set_a_password_once_then_sign_in_works() {
    let app = imported_app(|_| {});
    let mut conn = app.conn();
    let admin = app.login(DISTRICT_ADMIN);
    let school = school_by_source(&mut conn, "org-cfms");
    let class = class_by_source(&mut conn, "cls-cfms-adv7-p1");
    let students: i64 = enrollments::table
        .filter(enrollments::class_id.eq(&class))
        .filter(enrollments::active.eq(true))
        .count()
        .get_result(&mut conn)
        .unwrap();

    let issued = issue(&app, &admin, &school, json!({"class_id": class}));
    let codes = issued["codes"].as_array().unwrap();
    assert_eq!(issued["count"], students);
    assert!(codes.iter().all(|c| c["role"] == "student"));
    let first = &codes[0];
    let username = first["username"].as_str().unwrap();
    // An imported account cannot sign in before activation.
    assert_eq!(app.login_pair(username, NEW_PASSWORD).status, 401);

    // Typed in lower case without dashes, as a child might.
    let typed = first["code"]
        .as_str()
        .unwrap()
        .replace('-', "")
        .to_lowercase();
    let r = activate(&app, &typed, NEW_PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json()["username"],
        username,
        "the answer names the account"
    );
    assert_eq!(app.login_pair(username, NEW_PASSWORD).status, 200);

    // Single use.
    activate(&app, first["code"].as_str().unwrap(), "another-password-1").invalid_field("code");
    assert_eq!(app.login_pair(username, NEW_PASSWORD).status, 200);

    // Stored hashed: no row holds a code as issued.
    let stored: Vec<String> = activation_codes::table
        .select(activation_codes::code_hash)
        .load(&mut conn)
        .unwrap();
    for code in codes {
        let plain = code["code"].as_str().unwrap();
        assert!(stored
            .iter()
            .all(|h| !h.contains(plain) && !h.contains(&plain.replace('-', ""))));
    }

    // Issuing again (as printable cards) skips the activated account and replaces the others' codes.
    let r = app.request(
        "POST",
        &format!("/api/v1/schools/{school}/activation-codes?format=csv"),
        Some(&admin),
        &[("Content-Type", "application/json")],
        Some(json!({"class_id": class}).to_string().as_bytes()),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    let mut lines = r.text.lines();
    assert_eq!(
        lines.next(),
        Some("family_name,given_name,username,role,grade,code,expires_at")
    );
    let cards: Vec<&str> = lines.collect();
    assert_eq!(cards.len() as i64, students - 1);
    assert!(!r.text.contains(username));
    let replaced = codes[1]["code"].as_str().unwrap();
    activate(&app, replaced, NEW_PASSWORD).invalid_field("code");
}

#[test]
fn an_expired_code_or_a_deactivated_account_cannot_activate() {
    let app = imported_app(|_| {});
    let mut conn = app.conn();
    let admin = app.login(DISTRICT_ADMIN);
    let school = school_by_source(&mut conn, "org-cfms");
    let codes = issue(
        &app,
        &admin,
        &school,
        json!({"grade": 6, "expires_in_days": 1}),
    );
    let codes = codes["codes"].as_array().unwrap().clone();
    assert!(codes.len() >= 3, "{codes:?}");

    let expired_user = codes[0]["user_id"].as_str().unwrap();
    diesel::update(activation_codes::table.filter(activation_codes::user_id.eq(expired_user)))
        .set(activation_codes::expires_at.eq(securebase::db::now() - chrono::TimeDelta::minutes(1)))
        .execute(&mut conn)
        .unwrap();
    activate(&app, codes[0]["code"].as_str().unwrap(), NEW_PASSWORD).invalid_field("code");

    // Deactivating and reactivating an account voids its unused code.
    let cycled = codes[2]["user_id"].as_str().unwrap();
    for active in [false, true] {
        let r = app.patch(
            &format!("/api/v1/users/{cycled}"),
            Some(&admin),
            &json!({"active": active}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    activate(&app, codes[2]["code"].as_str().unwrap(), NEW_PASSWORD).invalid_field("code");

    let deactivated = codes[1]["user_id"].as_str().unwrap();
    diesel::update(users::table.find(deactivated))
        .set(users::active.eq(false))
        .execute(&mut conn)
        .unwrap();
    activate(&app, codes[1]["code"].as_str().unwrap(), NEW_PASSWORD).invalid_field("code");
}

#[test]
fn wrong_codes_and_short_passwords_are_refused_and_attempts_are_rate_limited() {
    let app = imported_app(|c| c.activation_rate_per_ip = 3);
    activate(&app, "AAAA-BBBB-CCCD", "short").invalid_field("password");
    for wrong in ["AAAA-BBBB-CCCC", "AAAA-BBBB-CCCE", "AAAA-BBBB-CCCG"] {
        activate(&app, wrong, NEW_PASSWORD).invalid_field("code");
    }
    let limited = activate(&app, "AAAA-BBBB-CCCF", NEW_PASSWORD);
    limited.problem(429);
    assert!(limited.header("retry-after").is_some());
}

#[test]
fn a_reset_code_replaces_the_password_and_ends_old_sessions() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let teacher = demo_login("teacher", MIDDLE);
    let teacher_id = user_id(&mut conn, &teacher);
    // A student of one of the teacher's classes.
    let (student_id, student): (String, String) = enrollments::table
        .inner_join(class_teachers::table.on(class_teachers::class_id.eq(enrollments::class_id)))
        .inner_join(users::table.on(users::id.eq(enrollments::student_id)))
        .filter(class_teachers::teacher_id.eq(&teacher_id))
        .filter(enrollments::active.eq(true))
        .select((users::id, users::username))
        .first(&mut conn)
        .unwrap();
    let session = app.login_pair(&student, DEMO_PASSWORD).json();

    // The student's teacher may not reset a password (they could then sign in as the student);
    // the school's administrator may.
    let token = app.login(&teacher);
    let path = format!("/api/v1/users/{student_id}/activation-code");
    app.post(&path, Some(&token), &json!({})).problem(403);
    let principal = app.login(&demo_login("school_admin", MIDDLE));
    let r = app.post(&path, Some(&principal), &json!({}));
    assert_eq!(r.status, 201, "{}", r.text);
    let code = r.json()["code"].as_str().unwrap().to_owned();
    // Until the code is used, the old password still works.
    assert_eq!(app.login_pair(&student, DEMO_PASSWORD).status, 200);
    assert_eq!(activate(&app, &code, NEW_PASSWORD).status, 200);
    assert_eq!(app.login_pair(&student, DEMO_PASSWORD).status, 401);
    assert_eq!(app.login_pair(&student, NEW_PASSWORD).status, 200);
    let refreshed = app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": session["refresh_token"]}),
    );
    refreshed.problem(401);
}

#[test]
fn codes_are_issued_only_within_the_issuers_scope() {
    let app = imported_app(|_| {});
    let mut conn = app.conn();
    let cfms = school_by_source(&mut conn, "org-cfms");
    let riverbend_admin = app.login(&demo_login("school_admin", MIDDLE));
    let teacher = app.login(&demo_login("teacher", MIDDLE));
    let student = app.login(&demo_login("student", MIDDLE));
    let body = json!({"grade": 7});
    let path = format!("/api/v1/schools/{cfms}/activation-codes");
    // Another school's administrator does not see the school; teachers and students may not issue.
    app.post(&path, Some(&riverbend_admin), &body).problem(404);
    app.post(&path, Some(&teacher), &body).problem(403);
    app.post(&path, Some(&student), &body).problem(403);
    let other_district = app.login("hp.admin");
    app.post(&path, Some(&other_district), &body).problem(404);

    let admin = app.login(DISTRICT_ADMIN);
    // Exactly one target.
    app.post(&path, Some(&admin), &json!({"grade": 7, "class_id": "x"}))
        .invalid_field("class_id");
    app.post(&path, Some(&admin), &json!({}))
        .invalid_field("class_id");
    // Chosen accounts must be of this school.
    let elsewhere = user_id(&mut conn, &demo_login("student", MIDDLE));
    app.post(&path, Some(&admin), &json!({"user_ids": [elsewhere]}))
        .invalid_field("user_ids[0]");
    // A class of another school is not found through this school.
    let riverbend_class: String = classes::table
        .inner_join(schools::table)
        .filter(schools::name.eq(MIDDLE))
        .select(classes::id)
        .first(&mut conn)
        .unwrap();
    app.post(&path, Some(&admin), &json!({"class_id": riverbend_class}))
        .problem(404);

    // Resetting one account: a teacher only for their own students, never for staff or themselves.
    let imported_student: String = users::table
        .filter(users::source_id.eq("usr-s-0001"))
        .select(users::id)
        .first(&mut conn)
        .unwrap();
    let reset = |token: &str, id: &str| {
        app.post(
            &format!("/api/v1/users/{id}/activation-code"),
            Some(token),
            &json!({}),
        )
    };
    reset(&teacher, &imported_student).problem(404);
    reset(&riverbend_admin, &imported_student).problem(404);
    reset(&student, &imported_student).problem(403);
    let teacher_id = user_id(&mut conn, &demo_login("teacher", MIDDLE));
    reset(&teacher, &teacher_id).problem(403);
    assert_eq!(reset(&riverbend_admin, &teacher_id).status, 201);
    let admin_id = user_id(&mut conn, DISTRICT_ADMIN);
    reset(&admin, &admin_id).problem(403);
    assert_eq!(reset(&admin, &imported_student).status, 201);
}
