//! Retention: per-district settings, and `purge` — opt-outs of old windows removed (their
//! participation rows are gone already, forgotten when the responses were opened; reports
//! unchanged), long-deactivated students anonymized, old reflection texts cleared.

use crate::helpers::oneroster::{upload, Bundle};
use crate::helpers::*;
use chrono::TimeDelta;
use diesel::prelude::*;
use securebase::db::schema::{
    lesson_completions, survey_opt_outs, survey_participation, survey_window_reports,
    survey_windows, users,
};
use securebase::db::{self, DbConnection};
use serde_json::{json, Value};

const ADMIN: &str = "denise.whitfield";

fn set_retention(app: &TestApp, token: &str, settings: Value) {
    let r = app.send(
        "PUT",
        &format!("/api/v1/districts/{}/retention", demo_district()),
        Some(token),
        &settings,
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

fn purge(app: &TestApp, dry_run: bool) -> securebase::retention::Purged {
    securebase::ops::purge(app.db.url(), dry_run)
        .unwrap()
        .into_iter()
        .find(|p| p.district_id == demo_district())
        .expect("the demo district has settings")
}

/// Closed windows of the demo district that still have opt-out rows.
fn closed_windows_with_opt_outs(conn: &mut DbConnection) -> Vec<String> {
    let mut windows: Vec<String> = survey_windows::table
        .inner_join(survey_opt_outs::table.on(survey_opt_outs::window_id.eq(survey_windows::id)))
        .filter(survey_windows::closes_at.lt(db::now() - TimeDelta::days(2)))
        .select(survey_windows::id)
        .distinct()
        .load(conn)
        .unwrap();
    windows.sort();
    windows
}

fn report(app: &TestApp, token: &str, window: &str, format: &str) -> String {
    let r = app.get(
        &format!(
            "/api/v1/reports/districts/{}/climate?window_id={window}&breakdown=schools&format={format}",
            demo_district()
        ),
        Some(token),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.text
}

#[test]
fn settings_are_for_the_districts_administrators_and_validated() {
    let app = TestApp::spawn();
    let admin = app.login(ADMIN);
    let path = format!("/api/v1/districts/{}/retention", demo_district());
    let r = app.get(&path, Some(&admin));
    assert_eq!(
        r.json(),
        json!({
            "participation_days": null, "deactivated_account_days": null, "reflection_days": null,
            "check_in_note_days": null, "closed_help_request_days": null,
        })
    );
    set_retention(
        &app,
        &admin,
        json!({"participation_days": 30, "reflection_days": 365}),
    );
    let r = app.get(&path, Some(&admin)).json();
    assert_eq!(r["participation_days"], 30);
    assert_eq!(r["deactivated_account_days"], Value::Null);
    app.send(
        "PUT",
        &path,
        Some(&admin),
        &json!({"participation_days": 0}),
    )
    .invalid_field("participation_days");
    app.send(
        "PUT",
        &path,
        Some(&admin),
        &json!({"reflection_days": 5000}),
    )
    .invalid_field("reflection_days");
    for who in [
        demo_login("school_admin", MIDDLE),
        demo_login("counselor", MIDDLE),
    ] {
        let token = app.login(&who);
        app.get(&path, Some(&token)).problem(403);
        app.send("PUT", &path, Some(&token), &json!({}))
            .problem(403);
    }
    let other = app.login("hp.admin");
    app.get(&path, Some(&other)).problem(404);
    let changes = app
        .get(
            "/api/v1/audit-events?action=retention.changed",
            Some(&admin),
        )
        .json();
    assert_eq!(changes["total"], 1);
}

#[test]
fn a_purge_removes_old_opt_outs_and_reports_stay_the_same() {
    let app = TestApp::spawn();
    let admin = app.login(ADMIN);
    let mut conn = app.conn();
    let mut windows: Vec<String> = survey_windows::table
        .filter(survey_windows::closes_at.lt(db::now() - TimeDelta::days(2)))
        .select(survey_windows::id)
        .load(&mut conn)
        .unwrap();
    windows.sort();
    assert!(
        windows.len() >= 2,
        "the demo has closed windows with answers"
    );
    // Who answered was forgotten when their responses were opened.
    let participation: i64 = survey_participation::table
        .filter(survey_participation::window_id.eq_any(&windows))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(participation, 0);
    // Guardians' opt-outs, as recorded while the windows were open, are kept until the purge.
    let (student, admin_id): (String, String) = (
        users::table
            .filter(users::role.eq("student"))
            .select(users::id)
            .first(&mut conn)
            .unwrap(),
        users::table
            .filter(users::username.eq(ADMIN))
            .select(users::id)
            .first(&mut conn)
            .unwrap(),
    );
    for window in &windows {
        diesel::insert_into(survey_opt_outs::table)
            .values((
                survey_opt_outs::window_id.eq(window),
                survey_opt_outs::student_id.eq(&student),
                survey_opt_outs::recorded_by.eq(&admin_id),
                survey_opt_outs::created_at.eq(db::now()),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    assert_eq!(closed_windows_with_opt_outs(&mut conn), windows);
    let (read_before, first_read_after) = (&windows[0], &windows[1]);
    let json_before = report(&app, &admin, read_before, "json");
    let csv_before = report(&app, &admin, read_before, "csv");

    set_retention(&app, &admin, json!({"participation_days": 1}));
    let dry = purge(&app, true);
    assert!(dry.opt_outs > 0 && dry.windows >= 2, "{dry:?}");
    assert_eq!(
        closed_windows_with_opt_outs(&mut conn),
        windows,
        "a dry run changes nothing"
    );
    let done = purge(&app, false);
    assert_eq!(done, dry, "the dry run counted what the purge did");
    assert!(closed_windows_with_opt_outs(&mut conn).is_empty());
    let opt_outs: i64 = survey_opt_outs::table
        .filter(survey_opt_outs::window_id.eq_any(&windows))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(opt_outs, 0);

    // Rendered again from the aggregates alone, the report is the same.
    diesel::delete(survey_window_reports::table)
        .execute(&mut conn)
        .unwrap();
    assert_eq!(report(&app, &admin, read_before, "json"), json_before);
    assert_eq!(report(&app, &admin, read_before, "csv"), csv_before);
    // A window never read before the purge had its aggregates built first.
    let first = report(&app, &admin, first_read_after, "json");
    let body: Value = serde_json::from_str(&first).unwrap();
    assert!(body.is_object());
    assert_eq!(
        purge(&app, false).windows,
        0,
        "a second purge has nothing to do"
    );

    // Recorded, by the system, and the chain holds.
    let events = app
        .get("/api/v1/audit-events?action=retention.purge", Some(&admin))
        .json();
    assert_eq!(events["total"], 2);
    assert_eq!(events["items"][0]["actor_id"], Value::Null);
    assert_eq!(events["items"][0]["actor_role"], "system");
    for chain in securebase::ops::audit_verify(app.db.url(), None).unwrap().0 {
        assert!(chain.problems.is_empty(), "{chain:?}");
    }
}

#[test]
fn long_deactivated_students_are_anonymized_and_others_kept() {
    let app = TestApp::spawn();
    let admin = app.login(ADMIN);
    let mut conn = app.conn();
    let student = demo_login("student", MIDDLE);
    let id: String = users::table
        .filter(users::username.eq(&student))
        .select(users::id)
        .first(&mut conn)
        .unwrap();
    let r = app.patch(
        &format!("/api/v1/users/{id}"),
        Some(&admin),
        &json!({"active": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // Deactivated recently: kept.
    set_retention(&app, &admin, json!({"deactivated_account_days": 30}));
    assert_eq!(purge(&app, false).accounts_anonymized, 0);
    // Deactivated 40 days ago: anonymized.
    diesel::update(users::table.find(&id))
        .set(users::deactivated_at.eq(Some(db::now() - TimeDelta::days(40))))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(purge(&app, false).accounts_anonymized, 1);
    let (username, given, family, email, password, anonymized): (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<chrono::NaiveDateTime>,
    ) = users::table
        .find(&id)
        .select((
            users::username,
            users::given_name,
            users::family_name,
            users::email,
            users::password_hash,
            users::anonymized_at,
        ))
        .first(&mut conn)
        .unwrap();
    assert!(username.starts_with("former-"), "{username}");
    assert_eq!((given.as_str(), family.as_str()), ("Former", "student"));
    assert_eq!((email, password), (None, None));
    assert!(anonymized.is_some());
    let reflections: i64 = lesson_completions::table
        .filter(lesson_completions::student_id.eq(&id))
        .filter(lesson_completions::reflection.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(reflections, 0);
    assert_eq!(app.login_pair(&student, DEMO_PASSWORD).status, 401);
    // Active students are untouched.
    assert_eq!(
        app.login_pair(&demo_login("student", HIGH), DEMO_PASSWORD)
            .status,
        200
    );
}

#[test]
fn old_reflection_texts_are_cleared_and_emotions_kept() {
    let app = TestApp::spawn();
    let admin = app.login(ADMIN);
    let mut conn = app.conn();
    let with_text: Vec<(String, String)> = lesson_completions::table
        .filter(lesson_completions::reflection.is_not_null())
        .select((
            lesson_completions::assignment_id,
            lesson_completions::student_id,
        ))
        .load(&mut conn)
        .unwrap();
    assert!(with_text.len() >= 2, "the demo has reflections");
    let (old_assignment, old_student) = &with_text[0];
    diesel::update(
        lesson_completions::table
            .filter(lesson_completions::assignment_id.eq(old_assignment))
            .filter(lesson_completions::student_id.eq(old_student)),
    )
    .set((
        lesson_completions::completed_at.eq(db::now() - TimeDelta::days(400)),
        lesson_completions::updated_at.eq(db::now() - TimeDelta::days(400)),
    ))
    .execute(&mut conn)
    .unwrap();
    let emotions_before: i64 = lesson_completions::table
        .filter(lesson_completions::emotion.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    set_retention(&app, &admin, json!({"reflection_days": 365}));
    let purged = purge(&app, false);
    assert!(purged.reflections_cleared >= 1, "{purged:?}");
    let remaining: i64 = lesson_completions::table
        .filter(lesson_completions::reflection.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(
        remaining as u64,
        with_text.len() as u64 - purged.reflections_cleared
    );
    let cleared: Option<String> = lesson_completions::table
        .filter(lesson_completions::assignment_id.eq(old_assignment))
        .filter(lesson_completions::student_id.eq(old_student))
        .select(lesson_completions::reflection)
        .first(&mut conn)
        .unwrap();
    assert_eq!(cleared, None);
    let emotions_after: i64 = lesson_completions::table
        .filter(lesson_completions::emotion.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(emotions_before, emotions_after);
}

#[test]
fn an_anonymized_student_still_listed_by_the_sis_is_not_imported_again() {
    let app = TestApp::spawn();
    let admin = app.login(ADMIN);
    let mut conn = app.conn();
    assert_eq!(
        upload(&app, &admin, &demo_district(), &Bundle::sample()).status,
        200
    );
    // The SIS marks the student as withdrawn (enabledUser=false); the import deactivates them.
    let mut withdrawn = Bundle::sample();
    withdrawn.edit("users.csv", |t| {
        t.lines()
            .map(|l| {
                if l.starts_with("usr-s-0001,") {
                    format!("{}\n", l.replacen(",true,", ",false,", 1))
                } else {
                    format!("{l}\n")
                }
            })
            .collect()
    });
    let r = upload(&app, &admin, &demo_district(), &withdrawn);
    assert_eq!(r.json()["users"]["deactivated"], 1, "{}", r.text);
    let id: String = users::table
        .filter(users::source_id.eq("usr-s-0001"))
        .select(users::id)
        .first(&mut conn)
        .unwrap();
    diesel::update(users::table.find(&id))
        .set(users::deactivated_at.eq(Some(db::now() - TimeDelta::days(40))))
        .execute(&mut conn)
        .unwrap();
    set_retention(&app, &admin, json!({"deactivated_account_days": 30}));
    assert_eq!(purge(&app, false).accounts_anonymized, 1);
    let accounts: i64 = users::table.count().get_result(&mut conn).unwrap();

    // The next import still lists them, inactive: skipped, not created again with their name.
    let r = upload(&app, &admin, &demo_district(), &withdrawn);
    assert_eq!(r.status, 200, "{}", r.text);
    let report = r.json();
    assert_eq!(
        report["skipped"]["former student anonymized by retention"], 1,
        "{report}"
    );
    assert_eq!(report["users"]["created"], 0, "{report}");
    assert_eq!(
        users::table.count().get_result::<i64>(&mut conn).unwrap(),
        accounts
    );
    let listed: i64 = users::table
        .filter(users::family_name.eq("Okafor"))
        .filter(users::given_name.eq("Amara"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(listed, 0, "the former student's name is back");
}
