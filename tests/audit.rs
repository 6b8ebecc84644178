//! The audit trail: every sensitive action is recorded (never a password), district
//! administrators list and filter it, and its hash chain detects a changed or removed row.

mod common;

use common::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use securebase::db::schema::{
    assignments, audit_events, class_teachers, schools, survey_participation,
    survey_window_schools, survey_windows, users,
};
use securebase::db::DbConnection;
use serde_json::{json, Value};

const ADMIN: &str = "denise.whitfield";

fn events(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let r = app.get(
        &format!("/api/v1/audit-events?limit=200{query}"),
        Some(token),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["items"].as_array().unwrap().clone()
}

fn actions(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

fn user_id(conn: &mut DbConnection, username: &str) -> String {
    users::table
        .filter(users::username.eq(username))
        .select(users::id)
        .first(conn)
        .unwrap()
}

fn verify(app: &TestApp) -> Vec<securebase::audit::ChainReport> {
    securebase::ops::audit_verify(app.db.url()).unwrap()
}

fn intact(app: &TestApp) {
    for report in verify(app) {
        assert!(report.problems.is_empty(), "{report:?}");
    }
}

/// Lets the test rewrite history as an intruder with database access would.
fn disable_append_only(conn: &mut DbConnection) {
    match conn {
        DbConnection::Sqlite(c) => c
            .batch_execute(
                "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;",
            )
            .unwrap(),
        DbConnection::Pg(c) => c
            .batch_execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update")
            .unwrap(),
    }
}

#[test]
fn sensitive_actions_are_recorded_without_secrets() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let admin = app.login(ADMIN);
    // A failed sign-in of a known account, then a successful one.
    let counselor = demo_login("counselor", MIDDLE);
    assert_eq!(app.login_pair(&counselor, "wrong-password-xyz").status, 401);
    let counselor_token = app.login(&counselor);

    // An account created, then its role and active flag changed.
    let school: String = schools::table
        .filter(schools::name.eq(MIDDLE))
        .select(schools::id)
        .first(&mut conn)
        .unwrap();
    let created = app.post(
        "/api/v1/users",
        Some(&admin),
        &json!({"username": "audit.probe", "role": "teacher", "school_id": school,
                "given_name": "Audit", "family_name": "Probe", "password": "probe-password-123"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let probe = created.json()["id"].as_str().unwrap().to_owned();
    let r = app.patch(
        &format!("/api/v1/users/{probe}"),
        Some(&admin),
        &json!({"role": "counselor", "active": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text);

    // A guardian's opt-out, recorded by the counselor.
    let window: String = survey_windows::table
        .inner_join(survey_window_schools::table)
        .filter(survey_window_schools::school_id.eq(&school))
        .filter(survey_windows::closes_at.gt(securebase::db::now()))
        .filter(survey_windows::opens_at.le(securebase::db::now()))
        .select(survey_windows::id)
        .first(&mut conn)
        .unwrap();
    let answered: Vec<String> = survey_participation::table
        .filter(survey_participation::window_id.eq(&window))
        .select(survey_participation::student_id)
        .load(&mut conn)
        .unwrap();
    let student: String = users::table
        .filter(users::school_id.eq(&school))
        .filter(users::role.eq("student"))
        .filter(users::id.ne_all(answered))
        .select(users::id)
        .first(&mut conn)
        .unwrap();
    let r = app.post(
        &format!("/api/v1/survey-windows/{window}/opt-outs"),
        Some(&counselor_token),
        &json!({"student_id": student}),
    );
    assert_eq!(r.status, 201, "{}", r.text);

    // A teacher reads the reflections of an assignment of theirs.
    let teacher = demo_login("teacher", MIDDLE);
    let teacher_id = user_id(&mut conn, &teacher);
    let assignment: String = assignments::table
        .inner_join(class_teachers::table.on(class_teachers::class_id.eq(assignments::class_id)))
        .filter(class_teachers::teacher_id.eq(&teacher_id))
        .select(assignments::id)
        .first(&mut conn)
        .unwrap();
    let teacher_token = app.login(&teacher);
    let r = app.get(
        &format!("/api/v1/assignments/{assignment}/completions"),
        Some(&teacher_token),
    );
    assert_eq!(r.status, 200, "{}", r.text);

    let all = events(&app, &admin, "");
    let recorded = actions(&all);
    for expected in [
        "auth.login_failed",
        "auth.login",
        "user.created",
        "user.access_changed",
        "survey.opt_out",
        "lessons.reflections_read",
    ] {
        assert!(
            recorded.iter().any(|a| a == expected),
            "{expected} missing: {recorded:?}"
        );
    }
    let text = serde_json::to_string(&all).unwrap();
    for secret in ["wrong-password-xyz", "probe-password-123", DEMO_PASSWORD] {
        assert!(!text.contains(secret), "a password reached the audit trail");
    }
    let change = all
        .iter()
        .find(|e| e["action"] == "user.access_changed")
        .unwrap();
    assert_eq!(
        change["scope"]["role"],
        json!({"from": "teacher", "to": "counselor"})
    );
    assert_eq!(
        change["scope"]["active"],
        json!({"from": true, "to": false})
    );
    let failed = all
        .iter()
        .find(|e| e["action"] == "auth.login_failed")
        .unwrap();
    assert_eq!(failed["actor_id"], user_id(&mut conn, &counselor));

    // Filters: by action, by account, by time; and the chain is intact.
    let logins = events(&app, &admin, "&action=auth.login");
    assert!(logins.iter().all(|e| e["action"] == "auth.login"));
    let mine = events(
        &app,
        &admin,
        &format!("&actor_id={}", user_id(&mut conn, &teacher)),
    );
    assert!(!mine.is_empty() && mine.iter().all(|e| e["actor_id"] == teacher_id.as_str()));
    assert!(events(&app, &admin, "&since=2999-01-01T00:00:00Z").is_empty());
    assert_eq!(
        events(&app, &admin, "&until=2999-01-01T00:00:00Z").len(),
        all.len()
    );
    intact(&app);
}

#[test]
fn only_district_administrators_read_the_trail_and_only_their_districts() {
    let app = TestApp::spawn();
    let admin = app.login(ADMIN);
    assert!(!events(&app, &admin, "").is_empty());
    for who in [
        demo_login("school_admin", MIDDLE),
        demo_login("counselor", MIDDLE),
        demo_login("teacher", MIDDLE),
        demo_login("student", MIDDLE),
    ] {
        let token = app.login(&who);
        app.get("/api/v1/audit-events", Some(&token)).problem(403);
    }
    let other = app.login("hp.admin");
    let theirs = events(&app, &other, "");
    assert!(theirs
        .iter()
        .all(|e| e["actor_id"] != user_id(&mut app.conn(), ADMIN).as_str()));
    app.get("/api/v1/audit-events?since=yesterday", Some(&admin))
        .invalid_field("since");
}

#[test]
fn concurrent_appends_keep_one_unbroken_chain() {
    let app = TestApp::spawn();
    let users = [ADMIN, "daniel.kim", "samuel.ortega", "gregory.tan"];
    std::thread::scope(|s| {
        for user in users {
            let app = &app;
            s.spawn(move || {
                for _ in 0..5 {
                    app.login(user);
                }
            });
        }
    });
    let reports = verify(&app);
    let maple = reports
        .iter()
        .find(|r| {
            r.district_id == securebase::seed::district_id("Maple Valley Unified School District")
        })
        .unwrap();
    assert!(maple.problems.is_empty(), "{maple:?}");
    assert!(maple.events >= 20);
}

#[test]
fn a_changed_or_removed_event_breaks_the_chain() {
    let app = TestApp::spawn();
    for _ in 0..3 {
        app.login(ADMIN);
    }
    intact(&app);
    let mut conn = app.conn();
    disable_append_only(&mut conn);
    let (id, seq): (String, Option<i64>) = audit_events::table
        .filter(audit_events::seq.eq(2i64))
        .select((audit_events::id, audit_events::seq))
        .first(&mut conn)
        .unwrap();
    assert_eq!(seq, Some(2));
    diesel::update(audit_events::table.find(&id))
        .set(audit_events::scope.eq("{\"edited\":true}"))
        .execute(&mut conn)
        .unwrap();
    let problems: Vec<String> = verify(&app).into_iter().flat_map(|r| r.problems).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("event 2") && p.contains("changed")),
        "{problems:?}"
    );
}

/// Events of the demo district's chain in the template (the demo's closed windows being opened).
fn demo_chain_length(conn: &mut DbConnection) -> i64 {
    let district = securebase::seed::district_id("Maple Valley Unified School District");
    audit_events::table
        .filter(audit_events::district_id.eq(district))
        .count()
        .get_result(conn)
        .unwrap()
}

#[test]
fn removing_events_is_detected_in_the_middle_and_at_the_end() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    // The demo load recorded the opening of its closed windows.
    let base = demo_chain_length(&mut conn);
    for _ in 0..4 {
        app.login(ADMIN);
    }
    match &mut conn {
        DbConnection::Sqlite(c) => c
            .batch_execute("DROP TRIGGER audit_events_no_delete")
            .unwrap(),
        DbConnection::Pg(c) => c
            .batch_execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update")
            .unwrap(),
    }
    diesel::delete(audit_events::table.filter(audit_events::seq.eq(base + 4)))
        .execute(&mut conn)
        .unwrap();
    let problems: Vec<String> = verify(&app).into_iter().flat_map(|r| r.problems).collect();
    assert!(
        problems.iter().any(|p| p.contains("removed from the end")),
        "{problems:?}"
    );
    diesel::delete(audit_events::table.filter(audit_events::seq.eq(base + 2)))
        .execute(&mut conn)
        .unwrap();
    let problems: Vec<String> = verify(&app).into_iter().flat_map(|r| r.problems).collect();
    let missing = format!("event {} is missing", base + 2);
    assert!(
        problems.iter().any(|p| p.contains(&missing)),
        "{problems:?}"
    );
}

#[test]
fn a_chain_longer_than_one_page_is_verified_whole() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let base = demo_chain_length(&mut conn);
    let district = securebase::seed::district_id("Maple Valley Unified School District");
    securebase::db::write_transaction(&mut conn, |c| {
        for i in 0..5_100 {
            securebase::audit::record_in_transaction(
                c,
                securebase::audit::Actor::system(&district),
                "test.event",
                json!({"n": i}),
            )?;
        }
        Ok::<_, securebase::error::ApiError>(())
    })
    .unwrap();
    let maple = verify(&app)
        .into_iter()
        .find(|r| r.district_id == district)
        .unwrap();
    assert!(maple.problems.is_empty(), "{maple:?}");
    assert_eq!(maple.events, 5_100 + base as u64);
    // A change on the second page is found.
    disable_append_only(&mut conn);
    diesel::update(audit_events::table.filter(audit_events::seq.eq(5_050i64)))
        .set(audit_events::scope.eq("{\"n\":0}"))
        .execute(&mut conn)
        .unwrap();
    let problems: Vec<String> = verify(&app).into_iter().flat_map(|r| r.problems).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("event 5050") && p.contains("changed")),
        "{problems:?}"
    );
}
