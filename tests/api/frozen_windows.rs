//! Frozen windows and the attacks an administrator can run through the API: stuffing a cell
//! with accounts made or moved for the purpose (the "honeypot"), probing opt-outs for who
//! answered, and reading participation counts.

use crate::helpers::*;
use diesel::prelude::*;
use securebase::db::schema::{survey_window_cells, users};
use serde_json::{json, Value};

const PASSWORD: &str = "Honeypot-pass-2026";

/// Every item answered with its `pick`-th option (clamped).
fn sheet(items: &[(String, Vec<i64>)], pick: usize) -> Value {
    let answers: Vec<Value> = items
        .iter()
        .map(|(id, options)| json!({"item_id": id, "value": options[pick.min(options.len() - 1)]}))
        .collect();
    json!({ "answers": answers })
}

/// Every number a report derives from answers, anywhere in it (respondent counts, indicator
/// values, item counts): what an attacker could subtract from.
fn answer_numbers(v: &Value, key: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let derived = matches!(
                    k.as_str(),
                    "respondents"
                        | "n"
                        | "mean"
                        | "mean_ci_low"
                        | "mean_ci_high"
                        | "value"
                        | "low"
                        | "high"
                        | "count"
                        | "response_rate"
                        | "response_percent"
                );
                if derived && x.is_number() {
                    out.push(format!("{key}.{k}={x}"));
                }
                answer_numbers(x, &format!("{key}.{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                answer_numbers(x, &format!("{key}[{i}]"), out);
            }
        }
        _ => {}
    }
}

struct Honeypot {
    app: TestApp,
    admin: String,
    school: String,
    window: String,
    target: String,
    fakes: Vec<String>,
}

/// The reviewer's attack, up to opening the window: a one-grade school, four students made
/// with passwords, the target moved in. `prepare` runs before the window opens (to age
/// accounts, say).
fn honeypot(prepare: impl FnOnce(&TestApp, &[String], &str)) -> Honeypot {
    let app = TestApp::spawn_with(|c| c.survey_settle_days = 30);
    let admin = app.login(&demo_login("district_admin", ""));
    let instrument = secondary_instrument(&app, &admin);
    let school = app.post(
        "/api/v1/schools",
        Some(&admin),
        &json!({"name": "Quiet Pines Academy", "low_grade": 7, "high_grade": 7}),
    );
    assert_eq!(school.status, 201, "{}", school.text);
    let school = school.json()["id"].as_str().unwrap().to_owned();
    let fakes: Vec<String> = (0..4)
        .map(|i| {
            let r = app.post(
                "/api/v1/users",
                Some(&admin),
                &json!({"username": format!("pine.fake{i}"), "role": "student",
                        "school_id": school, "grade": 7, "given_name": "Pat",
                        "family_name": format!("Fake{i}"), "password": PASSWORD}),
            );
            assert_eq!(r.status, 201, "{}", r.text);
            r.json()["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let riverbend = school_id(&mut app.conn(), MIDDLE);
    let target: String = users::table
        .filter(users::school_id.eq(&riverbend))
        .filter(users::grade.eq(7))
        .filter(users::role.eq("student"))
        .order(users::username.asc())
        .select(users::id)
        .first(&mut app.conn())
        .unwrap();
    let moved = app.patch(
        &format!("/api/v1/users/{target}"),
        Some(&admin),
        &json!({"school_id": school}),
    );
    assert_eq!(moved.status, 200, "{}", moved.text);
    prepare(&app, &fakes, &target);
    let now = chrono::Utc::now();
    let window = app.post(
        "/api/v1/survey-windows",
        Some(&admin),
        &json!({"instrument_id": instrument, "title": "Quick check",
                "opens_at": at(now - chrono::TimeDelta::minutes(1)),
                "closes_at": at(now + chrono::TimeDelta::minutes(60)),
                "school_ids": [school], "grades": [7], "min_cell_size": 5}),
    );
    assert_eq!(window.status, 201, "{}", window.text);
    let window = window.json()["id"].as_str().unwrap().to_owned();
    Honeypot {
        app,
        admin,
        school,
        window,
        target,
        fakes,
    }
}

impl Honeypot {
    /// The target answers, the fakes answer known values, the target goes back, the window
    /// closes; returns every report of the window the administrator can read.
    fn run(&self) -> Vec<Value> {
        let app = &self.app;
        let username: String = users::table
            .find(&self.target)
            .select(users::username)
            .first(&mut app.conn())
            .unwrap();
        let target = app.login(&username);
        let items = app.questionnaire_items(&target, &self.window);
        submit(app, &target, &self.window, &sheet(&items, 4));
        for i in 0..self.fakes.len() {
            let token = app.login_pair(&format!("pine.fake{i}"), PASSWORD).json()["access_token"]
                .as_str()
                .unwrap()
                .to_owned();
            submit(app, &token, &self.window, &sheet(&items, 0));
        }
        let back = app.patch(
            &format!("/api/v1/users/{}", self.target),
            Some(&self.admin),
            &json!({"school_id": school_id(&mut app.conn(), MIDDLE)}),
        );
        assert_eq!(back.status, 200, "{}", back.text);
        close_now(app, &self.window);
        let district = app.get("/api/v1/me", Some(&self.admin)).json()["district_id"]
            .as_str()
            .unwrap()
            .to_owned();
        [
            format!(
                "/api/v1/reports/schools/{}/climate?window_id={}",
                self.school, self.window
            ),
            format!(
                "/api/v1/reports/districts/{district}/climate?window_id={}",
                self.window
            ),
            format!(
                "/api/v1/reports/districts/{district}/climate?window_id={}&breakdown=schools",
                self.window
            ),
        ]
        .iter()
        .map(|path| {
            let r = app.get(path, Some(&self.admin));
            assert_eq!(r.status, 200, "{path}: {}", r.text);
            r.json()
        })
        .collect()
    }
}

fn numbers_of(reports: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for r in reports {
        answer_numbers(&r["total"], "total", &mut out);
        answer_numbers(&r["schools"], "schools", &mut out);
        answer_numbers(&r["grades"], "grades", &mut out);
        answer_numbers(&r["items"], "items", &mut out);
    }
    out
}

#[test]
fn a_cell_stuffed_with_new_accounts_and_a_moved_student_reports_nothing() {
    let h = honeypot(|_, _, _| {});
    let numbers = numbers_of(&h.run());
    assert!(
        numbers.is_empty(),
        "the administrator can subtract the fakes' known answers from: {numbers:?}"
    );
}

#[test]
fn aged_fake_accounts_do_not_help_while_the_target_was_moved_for_the_purpose() {
    // The fakes were made 60 days ago; only the target's move is recent.
    let h = honeypot(|app, fakes, _| {
        diesel::update(users::table.filter(users::id.eq_any(fakes)))
            .set((
                users::created_at.eq(securebase::db::now() - chrono::TimeDelta::days(60)),
                users::placed_at.eq(None::<chrono::NaiveDateTime>),
            ))
            .execute(&mut app.conn())
            .unwrap();
    });
    let numbers = numbers_of(&h.run());
    assert!(numbers.is_empty(), "{numbers:?}");
}

#[test]
fn when_every_respondent_was_settled_the_same_cell_is_reported() {
    // The control: the rule above, not something else, is what withholds the cell. Five
    // respondents settled for 60 days meet a minimum cell size of 5.
    let h = honeypot(|app, fakes, target| {
        let long_ago = securebase::db::now() - chrono::TimeDelta::days(60);
        let mut everyone = fakes.to_vec();
        everyone.push(target.to_owned());
        diesel::update(users::table.filter(users::id.eq_any(&everyone)))
            .set((
                users::created_at.eq(long_ago),
                users::placed_at.eq(Some(long_ago)),
            ))
            .execute(&mut app.conn())
            .unwrap();
    });
    let reports = h.run();
    assert_eq!(
        reports[0]["total"]["respondents"], 5,
        "{}",
        reports[0]["total"]
    );
}

#[test]
fn students_made_or_moved_after_a_window_opened_cannot_take_it_and_moves_change_no_cell() {
    let app = TestApp::spawn();
    let admin = app.login(&demo_login("district_admin", ""));
    let student = demo_login("student", MIDDLE);
    let token = app.login(&student);
    // Opening the list freezes the demo's open window.
    let mine = app.get("/api/v1/me/surveys", Some(&token)).json();
    let window = mine["items"][0]["id"].as_str().unwrap().to_owned();
    let riverbend = school_id(&mut app.conn(), MIDDLE);
    let lakeview = school_id(&mut app.conn(), HIGH);
    let late = app.post(
        "/api/v1/users",
        Some(&admin),
        &json!({"username": "late.arrival", "role": "student", "school_id": riverbend,
                "grade": 7, "given_name": "Lee", "family_name": "Late", "password": PASSWORD}),
    );
    assert_eq!(late.status, 201, "{}", late.text);
    let late_token = app.login_pair("late.arrival", PASSWORD).json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.get("/api/v1/me/surveys", Some(&late_token)).json()["items"],
        json!([])
    );
    let items = app.questionnaire_items(&token, &window);
    let refused = app.post(
        &format!("/api/v1/survey-windows/{window}/responses"),
        Some(&late_token),
        &sheet(&items, 2),
    );
    refused.problem(404);
    // A student moved to another school during the window answers in the cell they had.
    let (mover, grade): (String, Option<i32>) = users::table
        .filter(users::username.eq(&student))
        .select((users::id, users::grade))
        .first(&mut app.conn())
        .unwrap();
    let moved = app.patch(
        &format!("/api/v1/users/{mover}"),
        Some(&admin),
        &json!({"school_id": lakeview, "grade": 9}),
    );
    assert_eq!(moved.status, 200, "{}", moved.text);
    let token = app.login(&student);
    submit(&app, &token, &window, &sheet(&items, 3));
    close_now(&app, &window);
    let cell: (i32, i32) = survey_window_cells::table
        .filter(survey_window_cells::window_id.eq(&window))
        .filter(survey_window_cells::school_id.eq(&riverbend))
        .filter(survey_window_cells::grade.eq(grade.unwrap()))
        .select((
            survey_window_cells::respondents,
            survey_window_cells::eligible,
        ))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(
        cell.0, 1,
        "counted at Riverbend, where the student was at opening"
    );
    let lakeview_9: i32 = survey_window_cells::table
        .filter(survey_window_cells::window_id.eq(&window))
        .filter(survey_window_cells::school_id.eq(&lakeview))
        .filter(survey_window_cells::grade.eq(9))
        .select(survey_window_cells::respondents)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(lakeview_9, 0);
}

#[test]
fn an_opt_out_answers_alike_whether_or_not_the_student_answered() {
    let app = TestApp::spawn();
    let principal = app.login(&demo_login("school_admin", MIDDLE));
    let counselor = app.login(&demo_login("counselor", MIDDLE));
    let riverbend = school_id(&mut app.conn(), MIDDLE);
    let students: Vec<(String, String)> = users::table
        .filter(users::school_id.eq(&riverbend))
        .filter(users::role.eq("student"))
        .order(users::username.asc())
        .limit(4)
        .select((users::id, users::username))
        .load(&mut app.conn())
        .unwrap();
    let first = app.login(&students[0].1);
    let window = app.get("/api/v1/me/surveys", Some(&first)).json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let items = app.questionnaire_items(&first, &window);
    // Students 0 and 2 answer; 1 and 3 do not.
    submit(&app, &first, &window, &sheet(&items, 1));
    submit(&app, &app.login(&students[2].1), &window, &sheet(&items, 1));
    let participation = |app: &TestApp| {
        app.get(
            &format!("/api/v1/survey-windows/{window}/participation"),
            Some(&counselor),
        )
        .json()
    };
    let before = participation(&app);
    let probe = |student: &str| {
        let r = app.post(
            &format!("/api/v1/survey-windows/{window}/opt-outs"),
            Some(&principal),
            &json!({"student_id": student}),
        );
        (r.status, r.text)
    };
    let answered = probe(&students[0].0);
    let not_answered = probe(&students[1].0);
    assert_eq!(answered, not_answered);
    assert_eq!(answered.0, 201);
    assert_eq!(probe(&students[0].0), probe(&students[1].0));
    assert_eq!(probe(&students[0].0).0, 200);
    // No count moves when an opt-out is recorded during a window.
    assert_eq!(participation(&app)["schools"], before["schools"]);
    // The student opted out cannot answer any more.
    app.post(
        &format!("/api/v1/survey-windows/{window}/responses"),
        Some(&app.login(&students[1].1)),
        &sheet(&items, 1),
    )
    .problem(403);
    // After closing, refused for everyone alike.
    close_now(&app, &window);
    let answered = probe(&students[2].0);
    let not_answered = probe(&students[3].0);
    assert_eq!(answered.0, 409);
    assert_eq!(answered, not_answered);
}

#[test]
fn participation_counts_are_withheld_below_the_cell_size_and_rounded_while_open() {
    let app = TestApp::spawn();
    let counselor = app.login(&demo_login("counselor", MIDDLE));
    let teacher = app.login(&demo_login("teacher", MIDDLE));
    let riverbend = school_id(&mut app.conn(), MIDDLE);
    let students: Vec<String> = users::table
        .filter(users::school_id.eq(&riverbend))
        .filter(users::role.eq("student"))
        .filter(users::grade.eq(6))
        .order(users::username.asc())
        .limit(13)
        .select(users::username)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(students.len(), 13);
    let first = app.login(&students[0]);
    let window = app.get("/api/v1/me/surveys", Some(&first)).json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let items = app.questionnaire_items(&first, &window);
    let path = format!("/api/v1/survey-windows/{window}/participation");
    let grade6 = |app: &TestApp| {
        let p = app.get(&path, Some(&counselor)).json();
        assert_eq!(p["rounded"], true);
        p["schools"][0]["grades"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["grade"] == 6)
            .unwrap()
            .clone()
    };
    for (i, s) in students.iter().enumerate().take(3) {
        let token = if i == 0 { first.clone() } else { app.login(s) };
        submit(&app, &token, &window, &sheet(&items, 2));
    }
    let cell = grade6(&app);
    assert_eq!(cell["responded"], Value::Null, "3 < 10: {cell}");
    assert_eq!(cell["suppressed"], "small_cell");
    assert!(cell["eligible"].as_i64().unwrap() >= 13);
    for s in &students[3..] {
        submit(&app, &app.login(s), &window, &sheet(&items, 2));
    }
    let cell = grade6(&app);
    // 13 answered: shown as 10 while the window is open.
    assert_eq!(cell["responded"], 10, "{cell}");
    // A teacher's classes follow the same rule; no class count is below the cell size.
    let classes = app.get(&path, Some(&teacher)).json();
    for class in classes["classes"].as_array().unwrap() {
        match class["responded"].as_i64() {
            Some(n) => assert!(n >= 10 && n % 5 == 0, "{class}"),
            None => assert_eq!(class["suppressed"], "small_cell"),
        }
    }
}

#[test]
fn opening_and_closing_windows_are_in_the_audit_trail() {
    let app = TestApp::spawn();
    let admin = app.login(&demo_login("district_admin", ""));
    let instrument = secondary_instrument(&app, &admin);
    let now = chrono::Utc::now();
    let created = app.post(
        "/api/v1/survey-windows",
        Some(&admin),
        &json!({"instrument_id": instrument, "title": "Audited",
                "opens_at": at(now - chrono::TimeDelta::minutes(1)),
                "closes_at": at(now + chrono::TimeDelta::minutes(60)),
                "school_ids": [school_id(&mut app.conn(), MIDDLE)], "grades": [6, 7, 8]}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let window = created.json()["id"].as_str().unwrap().to_owned();
    close_now(&app, &window);
    let events = app
        .get("/api/v1/audit-events?limit=200", Some(&admin))
        .json();
    let actions: Vec<(String, String)> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["scope"]["window_id"] == window.as_str())
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor_role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("survey_window.created".into(), "district_admin".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("survey_window.closed".into(), "system".into())),
        "{actions:?}"
    );
}
