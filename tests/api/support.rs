//! Student support: check-ins and help requests, as students and staff use them. Every rule is
//! checked through the API on a fresh demo database; database effects are read directly.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, Utc, Weekday};
use diesel::prelude::*;
use securebase::db::schema::{
    audit_events, check_ins, enrollments, help_request_notes, help_requests, users,
};
use securebase::support::models::CheckInRow;
use serde_json::{json, Value};

use crate::helpers::lookups::{class_id, demo_district, school_id, user_id};
use crate::helpers::matrix::{Case, Matrix};
use crate::helpers::*;

const STUDENT: &str = "andreg197"; // Riverbend, grade 7: Health & Wellness 7 and Advisory 7A
const COUNSELOR: &str = "daniel.kim"; // Riverbend
const PRINCIPAL: &str = "gregory.tan"; // Riverbend school administrator
const TEACHER: &str = "samuel.ortega"; // teaches the student (Health & Wellness 7)
const ADVISOR: &str = "jamal.carter"; // teaches the student (Advisory 7A)
const OTHER_TEACHER: &str = "hannah.lindqvist"; // Riverbend, grade 6 only
const DISTRICT: &str = "denise.whitfield";
const OTHER_COUNSELOR: &str = "kenji.watanabe"; // Cedar Grove
const FOREIGN_COUNSELOR: &str = "hp.counselor"; // another district

/// Removes the demo's help requests, for tests that count requests.
fn without_demo_requests(app: &TestApp) {
    let mut conn = app.conn();
    diesel::delete(help_request_notes::table)
        .execute(&mut conn)
        .unwrap();
    diesel::delete(help_requests::table)
        .execute(&mut conn)
        .unwrap();
}

fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> Resp {
    app.send("PUT", path, Some(token), body)
}

fn check_in_count(app: &TestApp) -> i64 {
    check_ins::table
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.seal_audit();
    audit_events::table
        .filter(audit_events::action.eq(action))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

/// Today in UTC, the demo district's time zone unless a test sets another.
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

#[test]
fn a_student_checks_in_once_a_day_and_reads_their_own_history() {
    let app = TestApp::spawn();
    let s = app.login(STUDENT);
    let first = put(
        &app,
        "/api/v1/me/check-ins",
        &s,
        &json!({"emotion": "worried", "intensity": 4, "note": "Test tomorrow"}),
    );
    assert_eq!(first.status, 200, "{}", first.text);
    let body = first.json();
    assert_eq!(body["replaced"], false);
    assert_eq!(body["check_in"]["on"], today().to_string());
    assert_eq!(body["check_in"]["note"], "Test tomorrow");
    assert_eq!(body["help_request"], Value::Null);
    assert_eq!(body["who_can_read"]["individual"], json!(["counselor"]));
    assert!(body["crisis_message"]
        .as_str()
        .unwrap()
        .contains("not an emergency service"));

    // A second check-in the same day replaces the first.
    let second = put(
        &app,
        "/api/v1/me/check-ins",
        &s,
        &json!({"emotion": "calm", "intensity": 2}),
    );
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.json()["replaced"], true);
    assert_eq!(second.json()["check_in"]["id"], body["check_in"]["id"]);
    let student = user_id(&mut app.conn(), STUDENT);
    let stored: Vec<CheckInRow> = check_ins::table
        .filter(check_ins::student_id.eq(&student))
        .select(CheckInRow::as_select())
        .load(&mut app.conn())
        .unwrap();
    let todays: Vec<&CheckInRow> = stored.iter().filter(|c| c.on_day == today()).collect();
    assert_eq!(todays.len(), 1);
    assert_eq!((todays[0].intensity, todays[0].note.clone()), (2, None));

    // An earlier day of this week can be filled in, not a day of an ended week; the history
    // groups by week, newest first.
    let monday = today() - TimeDelta::days(i64::from(today().weekday().num_days_from_monday()));
    let r = put(
        &app,
        "/api/v1/me/check-ins",
        &s,
        &json!({"emotion": "tired", "intensity": 3, "on": monday}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    put(
        &app,
        "/api/v1/me/check-ins",
        &s,
        &json!({"emotion": "tired", "intensity": 3, "on": monday - TimeDelta::days(1)}),
    )
    .invalid_field("on");
    let mine = app.get("/api/v1/me/check-ins?weeks=2", Some(&s)).json();
    let weeks = mine["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 2);
    assert_eq!(weeks[0]["week_of"], monday.to_string());
    let days: Vec<&str> = weeks[0]["check_ins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["on"].as_str().unwrap())
        .collect();
    assert!(
        days.contains(&today().to_string().as_str()) && days.contains(&monday.to_string().as_str()),
        "{days:?}"
    );
    assert!(mine["who_can_read"]["summary"]
        .as_str()
        .unwrap()
        .contains("counselors"));
}

#[test]
fn bad_check_ins_are_refused_naming_the_field_and_write_nothing() {
    let app = TestApp::spawn();
    without_demo_requests(&app);
    let s = app.login(STUDENT);
    let before = check_in_count(&app);
    let long = "x".repeat(501);
    for (body, field) in [
        (json!({"emotion": "meh", "intensity": 3}), "emotion"),
        (json!({"emotion": "calm", "intensity": 6}), "intensity"),
        (json!({"emotion": "calm", "intensity": 0}), "intensity"),
        (
            json!({"emotion": "calm", "intensity": 3, "note": long}),
            "note",
        ),
        (
            json!({"emotion": "calm", "intensity": 3, "note": "   "}),
            "note",
        ),
        (
            json!({"emotion": "calm", "intensity": 3, "on": today() + TimeDelta::days(1)}),
            "on",
        ),
        (
            json!({"emotion": "calm", "intensity": 3, "on": today() - TimeDelta::days(8)}),
            "on",
        ),
        (
            json!({"emotion": "calm", "intensity": 3, "mood": 1}),
            "mood",
        ),
    ] {
        let r = put(&app, "/api/v1/me/check-ins", &s, &body);
        r.invalid_field(field);
    }
    // Staff do not use the student routes.
    let c = app.login(COUNSELOR);
    put(
        &app,
        "/api/v1/me/check-ins",
        &c,
        &json!({"emotion": "calm", "intensity": 3}),
    )
    .problem(403);
    app.get("/api/v1/me/check-ins", Some(&c)).problem(403);
    app.post(
        "/api/v1/help-requests",
        Some(&c),
        &json!({"topic": "friends"}),
    )
    .problem(403);
    assert_eq!(check_in_count(&app), before);
    let requests: i64 = help_requests::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(requests, 0);
}

#[test]
fn who_reads_a_students_check_ins_follows_the_district_setting_and_is_audited() {
    let app = TestApp::spawn();
    let s = app.login(STUDENT);
    put(
        &app,
        "/api/v1/me/check-ins",
        &s,
        &json!({"emotion": "sad", "intensity": 4, "note": "Lunch was hard"}),
    );
    let student = user_id(&mut app.conn(), STUDENT);
    let path = format!("/api/v1/students/{student}/check-ins");

    let counselor = app.login(COUNSELOR);
    let read = app.get(&path, Some(&counselor));
    assert_eq!(read.status, 200, "{}", read.text);
    let notes: Vec<Value> = read.json()["weeks"][0]["check_ins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["note"].clone())
        .collect();
    assert!(notes.contains(&json!("Lunch was hard")), "{notes:?}");
    assert_eq!(audit_count(&app, "check_ins.read"), 1);

    // By default teachers see totals only; administrators always.
    let advisor = app.login(ADVISOR);
    let refused = app.get(&path, Some(&advisor)).problem(403);
    assert!(refused["detail"].as_str().unwrap().contains("class totals"));
    app.get(&path, Some(&app.login(PRINCIPAL))).problem(403);
    app.get(&path, Some(&app.login(DISTRICT))).problem(403);
    app.get(&path, Some(&app.login(OTHER_TEACHER))).problem(404);
    app.get(&path, Some(&app.login(OTHER_COUNSELOR)))
        .problem(404);
    app.get(&path, Some(&app.login(FOREIGN_COUNSELOR)))
        .problem(404);
    app.get(&path, Some(&s)).problem(403);
    assert_eq!(
        audit_count(&app, "check_ins.read"),
        1,
        "refused reads are not reads"
    );

    // The district lets teachers read their own students' check-ins.
    let admin = app.login(DISTRICT);
    let settings_path = format!("/api/v1/districts/{}/support-settings", demo_district());
    let r = put(
        &app,
        &settings_path,
        &admin,
        &json!({"teachers_see_check_ins": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json()["reporting_threshold"],
        10,
        "left-out fields take their defaults"
    );
    let r = app.get(&path, Some(&advisor));
    assert_eq!(r.status, 200, "{}", r.text);
    app.get(&path, Some(&app.login(OTHER_TEACHER))).problem(404);
    assert_eq!(audit_count(&app, "check_ins.read"), 2);
    let mine = app.get("/api/v1/me/check-ins", Some(&s)).json();
    assert_eq!(
        mine["who_can_read"]["individual"],
        json!(["counselor", "teacher"])
    );
    assert_eq!(audit_count(&app, "support_settings.changed"), 1);
}

/// Inserts one check-in per (student, emotion, intensity) on a day.
fn insert_check_ins(app: &TestApp, school: &str, day: NaiveDate, rows: &[(String, &str, i32)]) {
    let mut conn = app.conn();
    for (student, emotion, intensity) in rows {
        let now = securebase::db::now();
        diesel::insert_into(check_ins::table)
            .values(CheckInRow {
                id: securebase::db::new_id(),
                student_id: student.clone(),
                school_id: school.to_owned(),
                grade: 7,
                on_day: day,
                emotion: securebase::lessons::vocab::Emotion::parse(emotion).unwrap(),
                intensity: *intensity,
                note: None,
                created_at: now,
                updated_at: now,
            })
            .execute(&mut conn)
            .unwrap();
    }
}

fn class_students(app: &TestApp, class: &str) -> Vec<String> {
    enrollments::table
        .inner_join(users::table.on(users::id.eq(enrollments::student_id)))
        .filter(enrollments::class_id.eq(class))
        .filter(enrollments::active.eq(true))
        .filter(users::active.eq(true))
        .select(users::id)
        .order(users::id)
        .load(&mut app.conn())
        .unwrap()
}

#[test]
fn class_totals_withhold_small_and_recoverable_counts() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let class = class_id(&mut conn, "Advisory 7A");
    let school = school_id(&mut conn, MIDDLE);
    let students = class_students(&app, &class);
    assert_eq!(students.len(), 15);
    diesel::delete(check_ins::table.filter(check_ins::student_id.eq_any(&students)))
        .execute(&mut conn)
        .unwrap();
    // Last week: 13 calm at 3, 2 worried at 5. The week before: 4 students. This week (in
    // progress, never shown): everyone.
    let this_monday =
        today() - TimeDelta::days(i64::from(today().weekday().num_days_from_monday()));
    let monday = this_monday - TimeDelta::days(7);
    let last_week: Vec<(String, &str, i32)> = students
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i < 13 {
                (s.clone(), "calm", 3)
            } else {
                (s.clone(), "worried", 5)
            }
        })
        .collect();
    insert_check_ins(&app, &school, monday, &last_week);
    let before: Vec<(String, &str, i32)> = students[..4]
        .iter()
        .map(|s| (s.clone(), "happy", 2))
        .collect();
    insert_check_ins(&app, &school, monday - TimeDelta::days(7), &before);
    let now: Vec<(String, &str, i32)> = students.iter().map(|s| (s.clone(), "sad", 4)).collect();
    insert_check_ins(&app, &school, this_monday, &now);

    let t = app.login(ADVISOR);
    let path = format!("/api/v1/classes/{class}/check-ins/summary?weeks=3");
    let r = app.get(&path, Some(&t));
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(body["threshold"], 10);
    let weeks = body["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 3);
    let last = &weeks[0];
    assert_eq!(
        last["week_of"],
        monday.to_string(),
        "the week in progress is not shown"
    );
    assert_eq!(last["students"], 15);
    assert_eq!(last["checked_in"], 15);
    // (13 × 3 + 2 × 5) / 15 = 3.2667
    assert_eq!(last["mean_intensity"], 3.27);
    let feeling = |w: &Value, e: &str| {
        w["feelings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["emotion"] == e)
            .unwrap()["students"]
            .clone()
    };
    // Worried (2) is below 10; calm would then give it back (15 − 13), so it is withheld too.
    assert_eq!(feeling(last, "worried"), Value::Null);
    assert_eq!(feeling(last, "calm"), Value::Null);
    assert_eq!(feeling(last, "happy"), 0);
    assert_eq!(feeling(last, "sad"), 0);
    assert!(last["withheld"].is_string());
    // Four students the week before: nothing but the class size.
    let before = &weeks[1];
    assert_eq!(before["checked_in"], Value::Null);
    assert_eq!(before["mean_intensity"], Value::Null);
    assert_eq!(feeling(before, "happy"), Value::Null);
    // Nobody the week before that: shown as empty.
    assert_eq!(weeks[2]["checked_in"], 0);

    // An ended week's figures are kept: a student leaving the class changes nothing in them, so
    // no difference between two reads gives that student's check-ins away.
    diesel::update(
        enrollments::table
            .filter(enrollments::class_id.eq(&class))
            .filter(enrollments::student_id.eq(&students[14])),
    )
    .set(enrollments::active.eq(false))
    .execute(&mut conn)
    .unwrap();
    let principal = app.login(PRINCIPAL);
    let again = app.get(&path, Some(&principal));
    assert_eq!(again.json()["weeks"], body["weeks"]);

    // A class made after the week began counts nobody in it: an administrator cannot build a
    // group after the fact to single a student out.
    let term: String = securebase::db::schema::classes::table
        .find(&class)
        .select(securebase::db::schema::classes::term_id)
        .first(&mut conn)
        .unwrap();
    let made = app.post(
        "/api/v1/classes",
        Some(&principal),
        &json!({"school_id": school, "term_id": term, "name": "Probe 7", "grade": 7,
                "teacher_ids": [user_id(&mut conn, ADVISOR)]}),
    );
    assert_eq!(made.status, 201, "{}", made.text);
    let probe = made.json()["id"].as_str().unwrap().to_owned();
    for student in &students[..12] {
        let r = app.post(
            &format!("/api/v1/classes/{probe}/enrollments"),
            Some(&principal),
            &json!({"student_id": student}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let probe_weeks = app
        .get(
            &format!("/api/v1/classes/{probe}/check-ins/summary?weeks=1"),
            Some(&t),
        )
        .json();
    assert_eq!(probe_weeks["weeks"][0]["students"], 0, "{probe_weeks}");
    assert_eq!(probe_weeks["weeks"][0]["checked_in"], 0, "{probe_weeks}");

    // The grade and school totals of a counselor count the same check-ins.
    let c = app.login(COUNSELOR);
    let grade = app.get(
        &format!("/api/v1/schools/{school}/check-ins/summary?grade=7&weeks=1"),
        Some(&c),
    );
    assert_eq!(grade.status, 200, "{}", grade.text);
    assert!(grade.json()["weeks"][0]["checked_in"].as_i64().unwrap() >= 15);
}

#[test]
fn counselors_are_shown_students_whose_check_ins_show_a_sustained_pattern() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let school = school_id(&mut conn, MIDDLE);
    let student = user_id(&mut conn, STUDENT);
    diesel::delete(check_ins::table.filter(check_ins::school_id.eq(&school)))
        .execute(&mut conn)
        .unwrap();
    for (days_ago, emotion, intensity) in [
        (0, "overwhelmed", 5),
        (2, "sad", 4),
        (4, "lonely", 4),
        (5, "calm", 2),
    ] {
        insert_check_ins(
            &app,
            &school,
            today() - TimeDelta::days(days_ago),
            &[(student.clone(), emotion, intensity)],
        );
    }
    let c = app.login(COUNSELOR);
    let r = app.get(
        &format!("/api/v1/schools/{school}/check-ins/notice"),
        Some(&c),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["student"]["id"], student);
    assert_eq!(items[0]["hard_days"], 3);
    assert_eq!(items[0]["reasons"], json!(["sustained"]));
    assert!(r.json()["rule"]
        .as_str()
        .unwrap()
        .contains("not a diagnosis"));

    // A stricter district rule: four hard days.
    let admin = app.login(DISTRICT);
    let r = put(
        &app,
        &format!("/api/v1/districts/{}/support-settings", demo_district()),
        &admin,
        &json!({"notice_days": 4, "notice_sudden_change": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.get(
        &format!("/api/v1/schools/{school}/check-ins/notice"),
        Some(&c),
    );
    assert_eq!(r.json()["items"], json!([]));
    // The list is the counselors'.
    app.get(
        &format!("/api/v1/schools/{school}/check-ins/notice"),
        Some(&app.login(PRINCIPAL)),
    )
    .problem(403);
    app.get(
        &format!("/api/v1/schools/{school}/check-ins/notice"),
        Some(&app.login(TEACHER)),
    )
    .problem(403);
    app.get(
        &format!("/api/v1/schools/{school}/check-ins/notice"),
        Some(&app.login(OTHER_COUNSELOR)),
    )
    .problem(404);
}

fn ask(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/api/v1/help-requests", Some(token), &body);
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()
}

#[test]
fn a_help_request_goes_from_new_to_closed_one_step_at_a_time() {
    let app = TestApp::spawn();
    without_demo_requests(&app);
    let s = app.login(STUDENT);
    let created = ask(
        &app,
        &s,
        json!({"topic": "friends", "message": "Someone keeps leaving me out"}),
    );
    assert_eq!(created["state"], "new");
    assert_eq!(created["to"], Value::Null);
    assert!(
        created.get("acknowledge_by").is_none(),
        "the deadline is for staff: {created}"
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/help-requests/{id}");

    let c = app.login(COUNSELOR);
    let listed = app.get("/api/v1/help-requests?state=new", Some(&c)).json();
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == id.as_str()));
    // A step may not be skipped.
    let skip = app
        .patch(&path, Some(&c), &json!({"state": "met"}))
        .problem(409);
    assert!(
        skip["detail"].as_str().unwrap().contains("acknowledged"),
        "{skip}"
    );
    let meeting = (Utc::now() + TimeDelta::days(1))
        .format("%Y-%m-%dT10:00:00Z")
        .to_string();
    let r = app.patch(&path, Some(&c), &json!({"state": "acknowledged", "meeting_at": meeting, "note": "Check in with their advisor too"}));
    assert_eq!(r.status, 200, "{}", r.text);
    let staff = r.json();
    assert_eq!(staff["state"], "acknowledged");
    assert_eq!(staff["notes"][0]["body"], "Check in with their advisor too");
    assert_eq!(
        staff["acknowledged_by"]["id"],
        user_id(&mut app.conn(), COUNSELOR)
    );

    // The student sees the state and the meeting, not the notes.
    let seen = app.get(&path, Some(&s)).json();
    assert_eq!(seen["state"], "acknowledged");
    assert_eq!(seen["meeting_at"], meeting.replace(":00Z", ":00.000000Z"));
    assert!(
        seen.get("notes").is_none() && seen.get("acknowledged_by").is_none(),
        "{seen}"
    );
    assert!(!seen.to_string().contains("advisor too"));
    // A student may only withdraw.
    app.patch(&path, Some(&s), &json!({"state": "met"}))
        .problem(403);
    app.patch(&path, Some(&s), &json!({"note": "hi"}))
        .problem(403);

    let r = app.patch(&path, Some(&c), &json!({"state": "met"}));
    assert_eq!(r.status, 200, "{}", r.text);
    app.patch(&path, Some(&c), &json!({"state": "closed"}))
        .invalid_field("closing_reason");
    app.patch(&path, Some(&c), &json!({"state": "acknowledged"}))
        .problem(409);
    let r = app.patch(
        &path,
        Some(&c),
        &json!({"state": "closed", "closing_reason": "resolved"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["closing_reason"], "resolved");
    // Nothing leaves closed.
    let stuck = app
        .patch(&path, Some(&c), &json!({"state": "new"}))
        .problem(409);
    assert!(stuck["detail"].as_str().unwrap().contains("closed"));
    app.patch(&path, Some(&s), &json!({"state": "withdrawn"}))
        .problem(409);
    let notes: i64 = help_request_notes::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(notes, 1);
    // Staff reads and changes are audited by request id, without the student's name or topic.
    assert_eq!(audit_count(&app, "help_request.changed"), 3);
    app.get(&path, Some(&c));
    assert_eq!(audit_count(&app, "help_request.read"), 1);
}

#[test]
fn a_student_asks_a_trusted_adult_and_may_withdraw() {
    let app = TestApp::spawn();
    without_demo_requests(&app);
    let s = app.login(STUDENT);
    let adults = app.get("/api/v1/me/trusted-adults", Some(&s)).json();
    let ids: Vec<&str> = adults["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    let mut conn = app.conn();
    let (teacher, advisor, counselor) = (
        user_id(&mut conn, TEACHER),
        user_id(&mut conn, ADVISOR),
        user_id(&mut conn, COUNSELOR),
    );
    for id in [&teacher, &advisor, &counselor] {
        assert!(ids.contains(&id.as_str()), "{id} missing from {ids:?}");
    }
    let outsider = user_id(&mut conn, OTHER_TEACHER);
    assert!(!ids.contains(&outsider.as_str()));

    // An adult who does not teach or counsel the student is refused, and nothing is written.
    for to in [
        outsider.clone(),
        user_id(&mut conn, OTHER_COUNSELOR),
        user_id(&mut conn, FOREIGN_COUNSELOR),
        "nobody".into(),
    ] {
        app.post(
            "/api/v1/help-requests",
            Some(&s),
            &json!({"topic": "family", "to": to}),
        )
        .invalid_field("to");
    }
    app.post(
        "/api/v1/help-requests",
        Some(&s),
        &json!({"topic": "bored"}),
    )
    .invalid_field("topic");
    app.post(
        "/api/v1/help-requests",
        Some(&s),
        &json!({"topic": "family", "urgency": "now"}),
    )
    .invalid_field("urgency");
    app.post(
        "/api/v1/help-requests",
        Some(&s),
        &json!({"topic": "family", "message": "x".repeat(1001)}),
    )
    .invalid_field("message");
    let none: i64 = help_requests::table.count().get_result(&mut conn).unwrap();
    assert_eq!(none, 0);

    let created = ask(
        &app,
        &s,
        json!({"topic": "school_work", "to": advisor, "urgency": "today"}),
    );
    assert_eq!(created["to"]["id"], advisor);
    // The student's own list names the adult too.
    let own = app.get("/api/v1/help-requests", Some(&s)).json();
    assert_eq!(own["total"], 1, "{own}");
    assert_eq!(own["items"][0]["to"]["id"], advisor);
    assert!(own["items"][0]["who_can_see"]
        .as_str()
        .unwrap()
        .contains("adult you chose"));
    let path = format!("/api/v1/help-requests/{}", created["id"].as_str().unwrap());
    // The adult chosen and the counselors see it; another teacher of the student does not.
    assert_eq!(app.get(&path, Some(&app.login(ADVISOR))).status, 200);
    assert_eq!(app.get(&path, Some(&app.login(COUNSELOR))).status, 200);
    app.get(&path, Some(&app.login(TEACHER))).problem(404);
    let listed = app
        .get("/api/v1/help-requests", Some(&app.login(TEACHER)))
        .json();
    assert_eq!(listed["total"], 0);

    let r = app.patch(&path, Some(&s), &json!({"state": "withdrawn"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["state"], "withdrawn");
    app.patch(
        &path,
        Some(&app.login(ADVISOR)),
        &json!({"state": "acknowledged"}),
    )
    .problem(409);
}

/// The end of the next weekday after `day`, at 15:00 UTC (the default school day in UTC).
fn end_of_next_school_day(day: NaiveDate) -> NaiveDateTime {
    let mut d = day.succ_opt().unwrap();
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d = d.succ_opt().unwrap();
    }
    d.and_hms_opt(15, 0, 0).unwrap()
}

fn parse_utc(v: &Value) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .naive_utc()
}

#[test]
fn an_unacknowledged_request_becomes_overdue_and_is_escalated() {
    let app = TestApp::spawn();
    without_demo_requests(&app);
    let s = app.login(STUDENT);
    let made = ask(
        &app,
        &s,
        json!({"topic": "someone_is_hurting_me", "to": user_id(&mut app.conn(), ADVISOR)}),
    );
    let soon = ask(
        &app,
        &s,
        json!({"topic": "feeling_down_or_worried", "urgency": "today"}),
    );
    let id = made["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/help-requests/{id}");
    let c = app.login(COUNSELOR);
    let principal = app.login(PRINCIPAL);

    // Due by the end of the next school day; a "today" request sooner.
    let staff_view = app.get(&path, Some(&c)).json();
    let due = parse_utc(&staff_view["acknowledge_by"]);
    assert_eq!(due, end_of_next_school_day(today()));
    let soon_due = parse_utc(
        &app.get(
            &format!("/api/v1/help-requests/{}", soon["id"].as_str().unwrap()),
            Some(&c),
        )
        .json()["acknowledge_by"],
    );
    assert!(soon_due < due, "{soon_due} vs {due}");
    assert_eq!(staff_view["overdue"], false);

    // Before its deadline the school administrator does not see it.
    app.get(&path, Some(&principal)).problem(404);
    assert_eq!(
        app.get("/api/v1/help-requests/overdue", Some(&c)).json()["total"],
        0
    );

    // The deadline passes.
    diesel::update(help_requests::table.find(&id))
        .set(help_requests::acknowledge_by.eq(securebase::db::now() - TimeDelta::minutes(1)))
        .execute(&mut app.conn())
        .unwrap();
    for who in [&c, &principal, &app.login(ADVISOR)] {
        let overdue = app.get("/api/v1/help-requests/overdue", Some(who));
        assert_eq!(overdue.status, 200, "{}", overdue.text);
        let items = overdue.json()["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0]["id"], id.as_str());
        assert_eq!(items[0]["overdue"], true);
        assert_eq!(items[0]["escalated"], true);
    }
    assert_eq!(app.get(&path, Some(&principal)).status, 200);
    app.get(&path, Some(&app.login(TEACHER))).problem(404);
    app.get("/api/v1/help-requests/overdue", Some(&app.login(DISTRICT)))
        .problem(403);
    app.get("/api/v1/help-requests/overdue", Some(&s))
        .problem(403);
    // Another school's counselor sees nothing of it.
    assert_eq!(
        app.get(
            "/api/v1/help-requests/overdue",
            Some(&app.login(OTHER_COUNSELOR))
        )
        .json()["total"],
        0
    );

    // Acknowledged late: no longer overdue, still escalated (the administrator keeps it).
    let r = app.patch(&path, Some(&principal), &json!({"state": "acknowledged"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.get("/api/v1/help-requests/overdue", Some(&c)).json()["total"],
        0
    );
    let kept = app.get(&path, Some(&principal)).json();
    assert_eq!(
        (kept["overdue"].clone(), kept["escalated"].clone()),
        (json!(false), json!(true))
    );
}

#[test]
fn asking_from_a_check_in_opens_one_request_to_the_counselors() {
    let app = TestApp::spawn();
    without_demo_requests(&app);
    let s = app.login(STUDENT);
    let body = json!({"emotion": "overwhelmed", "intensity": 5, "wants_to_talk": true});
    let first = put(&app, "/api/v1/me/check-ins", &s, &body).json();
    let request = first["help_request"]["id"].as_str().unwrap().to_owned();
    assert_eq!(first["help_request"]["state"], "new");
    let again = put(&app, "/api/v1/me/check-ins", &s, &body).json();
    assert_eq!(
        again["help_request"]["id"],
        request.as_str(),
        "the same day's request is reused"
    );
    let count: i64 = help_requests::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(count, 1);
    let c = app.login(COUNSELOR);
    assert_eq!(
        app.get(&format!("/api/v1/help-requests/{request}"), Some(&c))
            .status,
        200
    );
}

#[test]
fn district_numbers_have_no_names_and_withhold_small_counts() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let riverbend = school_id(&mut conn, MIDDLE);
    diesel::delete(help_requests::table)
        .execute(&mut conn)
        .unwrap();
    // Twelve Riverbend students asked last month: ten about friends, two about family.
    let class = class_id(&mut conn, "Advisory 7A");
    let this_month = today().with_day(1).unwrap();
    let last_month = (this_month - TimeDelta::days(1)).with_day(1).unwrap();
    let now = last_month.and_hms_opt(12, 0, 0).unwrap() + TimeDelta::days(3);
    for (i, student) in class_students(&app, &class).iter().take(12).enumerate() {
        let topic = if i < 10 { "friends" } else { "family" };
        diesel::insert_into(help_requests::table)
            .values((
                help_requests::id.eq(securebase::db::new_id()),
                help_requests::student_id.eq(student),
                help_requests::school_id.eq(&riverbend),
                help_requests::topic.eq(topic),
                help_requests::urgency.eq("this_week"),
                help_requests::state.eq("acknowledged"),
                help_requests::created_at.eq(now - TimeDelta::hours(3)),
                help_requests::acknowledge_by.eq(now),
                help_requests::acknowledged_at.eq(now - TimeDelta::hours(i as i64 % 3)),
                help_requests::updated_at.eq(now),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let admin = app.login(DISTRICT);
    let r = app.get(
        &format!(
            "/api/v1/districts/{}/support-numbers?months=1&weeks=1",
            demo_district()
        ),
        Some(&admin),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert!(!r.text.contains(STUDENT) && !r.text.contains("given_name"));
    let school = body["schools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["school_id"] == riverbend.as_str())
        .unwrap()
        .clone();
    let month = &school["months"][0];
    assert_eq!(
        month["month"],
        last_month.format("%Y-%m").to_string(),
        "the month in progress is not shown"
    );
    assert_eq!(month["requests"], 12);
    let topic = |t: &str| {
        month["by_topic"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["topic"] == t)
            .unwrap()["requests"]
            .clone()
    };
    // Family (2) is withheld; friends (10) would give it back, so it is withheld too.
    assert_eq!(topic("family"), Value::Null);
    assert_eq!(topic("friends"), Value::Null);
    assert_eq!(topic("school_work"), 0);
    // Hours to acknowledge: 3, 2, 1, 3, 2, 1, … (four of each) → median 2.
    assert_eq!(month["median_hours_to_acknowledge"], 2.0);
    assert_eq!(month["acknowledged_in_time_percent"], 100.0);
    // Other schools have fewer than ten requests or none.
    for other in body["schools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["school_id"] != riverbend.as_str())
    {
        assert_eq!(other["months"][0]["requests"], 0);
    }
    for who in [PRINCIPAL, COUNSELOR, TEACHER, STUDENT] {
        app.get(
            &format!("/api/v1/districts/{}/support-numbers", demo_district()),
            Some(&app.login(who)),
        )
        .problem(403);
    }
}

/// Every role on every student-support route, inside and outside its scope.
#[test]
fn every_role_is_refused_outside_its_scope() {
    let app = TestApp::spawn();
    without_demo_requests(&app);
    let mut conn = app.conn();
    let student = user_id(&mut conn, STUDENT);
    let class = class_id(&mut conn, "Health & Wellness 7");
    let school = school_id(&mut conn, MIDDLE);
    let district = demo_district();
    let s = app.login(STUDENT);
    let request = ask(&app, &s, json!({"topic": "friends"}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_student = crate::helpers::demo_login("student", ELEMENTARY);
    let anon = "";
    let check_in = json!({"emotion": "calm", "intensity": 2});
    let settings = json!({});
    let mut m = Matrix::new(&app);
    let mut cases = Vec::new();
    let everyone = [
        DISTRICT,
        PRINCIPAL,
        COUNSELOR,
        TEACHER,
        OTHER_TEACHER,
        OTHER_COUNSELOR,
        FOREIGN_COUNSELOR,
        STUDENT,
        other_student.as_str(),
        "hp.admin",
    ];
    let staff_of = |who: &str| !["andreg197", "hp.student"].contains(&who) && who != other_student;
    for who in everyone {
        let is_student = !staff_of(who);
        // The student routes.
        cases.push(Case::get(
            who,
            "/me/check-ins",
            if is_student { 200 } else { 403 },
        ));
        cases.push(Case::new(
            who,
            "PUT",
            "/me/check-ins",
            Some(check_in.clone()),
            if is_student { 200 } else { 403 },
        ));
        cases.push(Case::get(
            who,
            "/me/trusted-adults",
            if is_student { 200 } else { 403 },
        ));
        cases.push(Case::post(
            who,
            "/help-requests",
            json!({"topic": "family"}),
            if is_student { 201 } else { 403 },
        ));
        // A student's check-ins.
        let expect = match who {
            COUNSELOR => 200,
            TEACHER | PRINCIPAL | DISTRICT | STUDENT => 403,
            _ => 404,
        };
        cases.push(Case::get(
            who,
            &format!("/students/{student}/check-ins"),
            expect,
        ));
        // Class totals.
        let expect = match who {
            COUNSELOR | TEACHER | PRINCIPAL | DISTRICT => 200,
            STUDENT => 403,
            _ => 404,
        };
        cases.push(Case::get(
            who,
            &format!("/classes/{class}/check-ins/summary"),
            expect,
        ));
        // School totals.
        let expect = match who {
            COUNSELOR | PRINCIPAL | DISTRICT => 200,
            TEACHER | OTHER_TEACHER => 403,
            _ => 404,
        };
        cases.push(Case::get(
            who,
            &format!("/schools/{school}/check-ins/summary"),
            expect,
        ));
        // Students to notice.
        let expect = match who {
            COUNSELOR => 200,
            TEACHER | OTHER_TEACHER | PRINCIPAL | DISTRICT => 403,
            _ => 404,
        };
        cases.push(Case::get(
            who,
            &format!("/schools/{school}/check-ins/notice"),
            expect,
        ));
        // Help requests.
        let expect = if who == DISTRICT || who == "hp.admin" {
            403
        } else {
            200
        };
        cases.push(Case::get(who, "/help-requests", expect));
        let expect = if staff_of(who) && who != DISTRICT && who != "hp.admin" {
            200
        } else {
            403
        };
        cases.push(Case::get(who, "/help-requests/overdue", expect));
        let expect = if who == COUNSELOR || who == STUDENT {
            200
        } else {
            404
        };
        cases.push(Case::get(who, &format!("/help-requests/{request}"), expect));
        let expect = if who == COUNSELOR {
            200
        } else if who == STUDENT {
            403
        } else {
            404
        };
        cases.push(Case::patch(
            who,
            &format!("/help-requests/{request}"),
            json!({"note": "seen"}),
            expect,
        ));
        // District settings and numbers.
        let expect = match who {
            DISTRICT => 200,
            "hp.admin" => 404,
            _ => 403,
        };
        cases.push(Case::get(
            who,
            &format!("/districts/{district}/support-numbers"),
            expect,
        ));
        cases.push(Case::get(
            who,
            &format!("/districts/{district}/support-settings"),
            expect,
        ));
        cases.push(Case::new(
            who,
            "PUT",
            &format!("/districts/{district}/support-settings"),
            Some(settings.clone()),
            expect,
        ));
    }
    for path in [
        "/me/check-ins",
        "/help-requests",
        "/help-requests/overdue",
        &format!("/help-requests/{request}"),
        &format!("/students/{student}/check-ins"),
    ] {
        cases.push(Case::get(anon, path, 401));
    }
    for case in &cases {
        if case.expect == 404 && (case.path.contains(&request) || case.path.contains(&student)) {
            m.check_hidden(case, &[request.as_str(), student.as_str()]);
        } else {
            m.check(case);
        }
    }
    m.finish("student support");
}

#[test]
fn retention_clears_old_notes_and_closed_requests_and_anonymizes_departed_students() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let school = school_id(&mut conn, MIDDLE);
    let andre = user_id(&mut conn, STUDENT);
    let class = class_id(&mut conn, "Advisory 7A");
    let departed = class_students(&app, &class)
        .into_iter()
        .find(|s| *s != andre)
        .unwrap();
    diesel::delete(check_ins::table).execute(&mut conn).unwrap();
    diesel::delete(help_requests::table)
        .execute(&mut conn)
        .unwrap();
    let now = securebase::db::now();
    let old = now - TimeDelta::days(40);
    for (student, at, note) in [
        (&andre, old, "old note"),
        (&andre, now, "new note"),
        (&departed, now, "departing"),
    ] {
        diesel::insert_into(check_ins::table)
            .values(CheckInRow {
                id: securebase::db::new_id(),
                student_id: student.clone(),
                school_id: school.clone(),
                grade: 7,
                on_day: at.date(),
                emotion: securebase::lessons::vocab::Emotion::Calm,
                intensity: 2,
                note: Some(note.into()),
                created_at: at,
                updated_at: at,
            })
            .execute(&mut conn)
            .unwrap();
    }
    let request = |conn: &mut securebase::db::DbConnection,
                   student: &str,
                   state: &str,
                   closed: Option<NaiveDateTime>| {
        let id = securebase::db::new_id();
        diesel::insert_into(help_requests::table)
            .values((
                help_requests::id.eq(&id),
                help_requests::student_id.eq(student),
                help_requests::school_id.eq(&school),
                help_requests::topic.eq("family"),
                help_requests::urgency.eq("this_week"),
                help_requests::message.eq("Things at home"),
                help_requests::state.eq(state),
                help_requests::closing_reason.eq(closed.map(|_| "resolved")),
                help_requests::created_at.eq(old - TimeDelta::days(5)),
                help_requests::acknowledge_by.eq(old),
                help_requests::closed_at.eq(closed),
                help_requests::updated_at.eq(now),
            ))
            .execute(conn)
            .unwrap();
        diesel::insert_into(help_request_notes::table)
            .values((
                help_request_notes::id.eq(securebase::db::new_id()),
                help_request_notes::request_id.eq(&id),
                help_request_notes::author_id.eq(user_id(conn, COUNSELOR)),
                help_request_notes::body.eq("Called home"),
                help_request_notes::created_at.eq(old),
            ))
            .execute(conn)
            .unwrap();
        id
    };
    let closed_long_ago = request(&mut conn, &andre, "closed", Some(old));
    let closed_lately = request(&mut conn, &andre, "closed", Some(now - TimeDelta::days(3)));
    let still_open = request(&mut conn, &andre, "new", None);
    let of_departed = request(&mut conn, &departed, "new", None);
    diesel::update(users::table.find(&departed))
        .set((users::active.eq(false), users::deactivated_at.eq(Some(old))))
        .execute(&mut conn)
        .unwrap();

    let admin = app.login(DISTRICT);
    let r = put(
        &app,
        &format!("/api/v1/districts/{}/retention", demo_district()),
        &admin,
        &json!({"check_in_note_days": 30, "closed_help_request_days": 30, "deactivated_account_days": 30}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let purged = securebase::ops::purge(app.db.url(), false)
        .unwrap()
        .into_iter()
        .find(|p| p.district_id == demo_district())
        .unwrap();
    assert_eq!(purged.check_in_notes_cleared, 1, "{purged:?}");
    assert_eq!(purged.help_requests_removed, 1, "{purged:?}");
    assert_eq!(purged.accounts_anonymized, 1, "{purged:?}");

    let notes: Vec<(String, Option<String>)> = check_ins::table
        .select((check_ins::student_id, check_ins::note))
        .load(&mut conn)
        .unwrap();
    assert_eq!(notes.len(), 3, "check-ins stay, for the totals");
    let texts: Vec<Option<String>> = notes.iter().map(|n| n.1.clone()).collect();
    assert!(texts.contains(&Some("new note".into())));
    assert!(
        !texts.contains(&Some("old note".into())) && !texts.contains(&Some("departing".into())),
        "{texts:?}"
    );
    let left: Vec<(String, Option<String>)> = help_requests::table
        .select((help_requests::id, help_requests::message))
        .order(help_requests::id)
        .load(&mut conn)
        .unwrap();
    let ids: Vec<&String> = left.iter().map(|r| &r.0).collect();
    assert!(!ids.contains(&&closed_long_ago));
    assert!(
        ids.contains(&&closed_lately) && ids.contains(&&still_open) && ids.contains(&&of_departed)
    );
    let departed_message = left.iter().find(|r| r.0 == of_departed).unwrap().1.clone();
    assert_eq!(
        departed_message, None,
        "an anonymized student's message is gone"
    );
    let note_requests: Vec<String> = help_request_notes::table
        .select(help_request_notes::request_id)
        .load(&mut conn)
        .unwrap();
    assert!(!note_requests.contains(&closed_long_ago) && !note_requests.contains(&of_departed));
    assert!(note_requests.contains(&still_open));
}

#[test]
fn the_demo_has_check_in_history_requests_in_every_state_and_one_overdue() {
    let app = TestApp::spawn();
    let c = app.login(COUNSELOR);
    let all = app.get("/api/v1/help-requests?limit=200", Some(&c)).json();
    let mut states: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    states.sort_unstable();
    states.dedup();
    assert_eq!(
        states,
        ["acknowledged", "closed", "met", "new", "withdrawn"]
    );
    let overdue = app.get("/api/v1/help-requests/overdue", Some(&c)).json();
    assert_eq!(overdue["total"], 1, "{overdue}");
    let school = school_id(&mut app.conn(), MIDDLE);
    let notice = app
        .get(
            &format!("/api/v1/schools/{school}/check-ins/notice"),
            Some(&c),
        )
        .json();
    assert!(!notice["items"].as_array().unwrap().is_empty(), "{notice}");
    let history = app
        .get("/api/v1/me/check-ins?weeks=3", Some(&app.login(STUDENT)))
        .json();
    let days: usize = history["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["check_ins"].as_array().unwrap().len())
        .sum();
    assert!(days >= 3, "{history}");
    // The school's totals of an ended week have enough students to show.
    let totals = app
        .get(
            &format!("/api/v1/schools/{school}/check-ins/summary?weeks=1"),
            Some(&c),
        )
        .json();
    assert!(
        totals["weeks"][0]["checked_in"].as_i64().unwrap() >= 10,
        "{totals}"
    );
}
