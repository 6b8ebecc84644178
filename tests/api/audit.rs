//! The audit trail: every sensitive action is recorded (never a password), district
//! administrators list and filter it, and its hash chain detects a changed or removed row.

use crate::helpers::*;
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

/// Chains what is pending (as the server's sealer does every second), then verifies.
fn verify(app: &TestApp) -> Vec<securebase::audit::ChainReport> {
    app.seal_audit();
    securebase::ops::audit_verify(app.db.url(), None).unwrap().0
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
        .find(|r| r.district_id == demo_district())
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
    let (id, seq): (String, i64) = audit_events::table
        .filter(audit_events::seq.eq(2i64))
        .select((audit_events::id, audit_events::seq))
        .first(&mut conn)
        .unwrap();
    assert_eq!(seq, 2);
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
    let district = demo_district();
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
    app.seal_audit();
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
    let district = demo_district();
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

/// All the problems `verify` finds, over every district.
fn problems(app: &TestApp) -> Vec<String> {
    verify(app).into_iter().flat_map(|r| r.problems).collect()
}

/// Lets the test write rows without a chain position, as an intruder who owns the schema would:
/// PostgreSQL drops the NOT NULL constraints and the unique index; SQLite, which cannot drop a
/// constraint, has the table rebuilt without them.
fn loosen_audit_schema(conn: &mut DbConnection) {
    match conn {
        DbConnection::Pg(c) => c
            .batch_execute(
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update;
                 ALTER TABLE audit_events ALTER COLUMN seq DROP NOT NULL,
                     ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL;
                 DROP INDEX audit_events_chain;",
            )
            .unwrap(),
        DbConnection::Sqlite(c) => c
            .batch_execute(
                "CREATE TABLE loose (id TEXT PRIMARY KEY, district_id TEXT NOT NULL,
                     actor_id TEXT, actor_role TEXT NOT NULL, action TEXT NOT NULL,
                     scope TEXT NOT NULL, occurred_at TIMESTAMP NOT NULL, seq INTEGER,
                     prev_hash TEXT, hash TEXT);
                 INSERT INTO loose SELECT * FROM audit_events;
                 DROP TABLE audit_events;
                 ALTER TABLE loose RENAME TO audit_events;",
            )
            .unwrap(),
    }
}

#[test]
fn rows_written_around_the_chain_are_refused_by_the_schema_and_named_by_verify() {
    let app = TestApp::spawn();
    app.login(ADMIN);
    intact(&app);
    let mut conn = app.conn();
    let forged = |seq: &str| {
        format!(
            "INSERT INTO audit_events (id, district_id, actor_id, actor_role, action, scope, \
             occurred_at, seq, prev_hash, hash) VALUES ('forged-{}', '{}', NULL, 'system', \
             'report.read', '{{}}', '2026-01-01 00:00:00', {seq}, NULL, NULL)",
            seq.replace(' ', ""),
            demo_district()
        )
    };
    // The review's forgery: a row with no chain position. The schema refuses it now.
    assert!(diesel::sql_query(forged("NULL"))
        .execute(&mut conn)
        .is_err());
    // An intruder who owns the schema gets it in; verify names it.
    loosen_audit_schema(&mut conn);
    diesel::sql_query(forged("NULL"))
        .execute(&mut conn)
        .unwrap();
    let found = problems(&app);
    assert!(
        found
            .iter()
            .any(|p| p.contains("not in the chain") && p.contains("forged-NULL")),
        "{found:?}"
    );
    // A row taking the number of an existing event.
    diesel::sql_query(forged("2")).execute(&mut conn).unwrap();
    let found = problems(&app);
    assert!(
        found.iter().any(|p| p.contains("event 2 appears twice")),
        "{found:?}"
    );
}

#[test]
fn a_row_added_at_the_end_without_the_head_or_a_nulled_newest_event_breaks_the_chain() {
    let app = TestApp::spawn();
    app.login(ADMIN);
    intact(&app);
    let mut conn = app.conn();
    let district = demo_district();
    let (seq, hash): (i64, String) = securebase::db::schema::audit_chains::table
        .find(&district)
        .select((
            securebase::db::schema::audit_chains::seq,
            securebase::db::schema::audit_chains::hash,
        ))
        .first(&mut conn)
        .unwrap();
    diesel::sql_query(format!(
        "INSERT INTO audit_events (id, district_id, actor_id, actor_role, action, scope, \
         occurred_at, seq, prev_hash, hash) VALUES ('appended', '{district}', NULL, 'system', \
         'report.read', '{{}}', '2026-01-01 00:00:00', {}, '{hash}', 'made-up')",
        seq + 1
    ))
    .execute(&mut conn)
    .unwrap();
    let found = problems(&app);
    assert!(
        found
            .iter()
            .any(|p| p.contains(&format!("event {}", seq + 1)) && p.contains("changed")),
        "{found:?}"
    );
    assert!(found.iter().any(|p| p.contains("head says")), "{found:?}");
    // The review's other forgery: the newest event's number nulled (and the head rewound).
    loosen_audit_schema(&mut conn);
    diesel::sql_query(format!(
        "UPDATE audit_events SET seq = NULL WHERE district_id = '{district}' AND seq >= {seq}"
    ))
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(format!(
        "UPDATE audit_chains SET seq = {} WHERE district_id = '{district}'",
        seq - 1
    ))
    .execute(&mut conn)
    .unwrap();
    let found = problems(&app);
    assert!(
        found
            .iter()
            .any(|p| p.contains("2 event(s) are not in the chain") && p.contains("appended")),
        "{found:?}"
    );
}

const HEADS_KEY: &str = "a heads key kept away from the database, 32+";

/// Writes the signed heads of every chain to a file, as an operator's cron job would.
fn keep_heads(app: &TestApp, dir: &std::path::Path) -> std::path::PathBuf {
    let heads = securebase::ops::audit_heads(app.db.url(), HEADS_KEY.as_bytes()).unwrap();
    let path = dir.join("heads.json");
    std::fs::write(&path, serde_json::to_string_pretty(&heads).unwrap()).unwrap();
    path
}

fn against(app: &TestApp, path: &std::path::Path, key: &str) -> Vec<String> {
    app.seal_audit();
    let (reports, problems) = securebase::ops::audit_verify(
        app.db.url(),
        Some((path.to_owned(), key.as_bytes().to_vec())),
    )
    .unwrap();
    reports
        .into_iter()
        .flat_map(|r| r.problems)
        .chain(problems)
        .collect()
}

#[test]
fn signed_heads_kept_off_site_catch_a_cut_end_and_a_rewritten_chain() {
    let app = TestApp::spawn();
    for _ in 0..3 {
        app.login(ADMIN);
    }
    let dir = tempfile::tempdir().unwrap();
    let heads = keep_heads(&app, dir.path());
    assert!(against(&app, &heads, HEADS_KEY).is_empty());
    // Events recorded since do not disturb the check: the chain extends its signed heads.
    app.login(ADMIN);
    assert!(against(&app, &heads, HEADS_KEY).is_empty());
    // Another key, or a heads file edited to match a rewritten chain, is refused.
    let refused = against(&app, &heads, "some other key of thirty-two chars");
    assert!(
        refused.iter().any(|p| p.contains("not signed")),
        "{refused:?}"
    );
    let mut edited: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&heads).unwrap()).unwrap();
    edited["heads"][0]["seq"] = json!(1);
    let edited_path = dir.path().join("edited.json");
    std::fs::write(&edited_path, edited.to_string()).unwrap();
    let refused = against(&app, &edited_path, HEADS_KEY);
    assert!(
        refused.iter().any(|p| p.contains("not signed")),
        "{refused:?}"
    );

    // The end of the chain cut and its head rewound: the chain holds internally, the signed
    // heads catch it.
    let district = demo_district();
    let signed: securebase::audit::SignedHeads =
        serde_json::from_str(&std::fs::read_to_string(&heads).unwrap()).unwrap();
    let head = signed
        .heads
        .iter()
        .find(|h| h.district_id == district)
        .unwrap()
        .clone();
    let mut conn = app.conn();
    disable_append_only(&mut conn);
    diesel::delete(
        audit_events::table
            .filter(audit_events::district_id.eq(&district))
            .filter(audit_events::seq.ge(head.seq - 1)),
    )
    .execute(&mut conn)
    .unwrap();
    let (seq, hash): (i64, String) = audit_events::table
        .filter(audit_events::district_id.eq(&district))
        .order(audit_events::seq.desc())
        .select((audit_events::seq, audit_events::hash))
        .first(&mut conn)
        .unwrap();
    diesel::update(securebase::db::schema::audit_chains::table.find(&district))
        .set((
            securebase::db::schema::audit_chains::seq.eq(seq),
            securebase::db::schema::audit_chains::hash.eq(&hash),
        ))
        .execute(&mut conn)
        .unwrap();
    assert!(problems(&app).is_empty(), "the cut chain holds by itself");
    let caught = against(&app, &heads, HEADS_KEY);
    assert!(
        caught
            .iter()
            .any(|p| p.contains(&format!("event {} is gone", head.seq))),
        "{caught:?}"
    );
    // New events grow the chain back past the signed head, with other content: a rewrite.
    for _ in 0..3 {
        app.login(ADMIN);
    }
    assert!(problems(&app).is_empty());
    let caught = against(&app, &heads, HEADS_KEY);
    assert!(caught.iter().any(|p| p.contains("rewritten")), "{caught:?}");
}
