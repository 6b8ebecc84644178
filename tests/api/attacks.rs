//! Attacks on the anonymity of climate surveys found by a review of the sealed responses (issue
//! 13): taking over classmates' accounts to stuff a cell, reactivated accounts, a backup holder
//! joining participation to the responses of a one-respondent cell, and classes made to tell
//! whether one student answered. Each test runs the attack and asserts it now fails.

use crate::helpers::*;
use diesel::prelude::*;
use securebase::db::schema::{
    survey_items, survey_participation, survey_window_cells, survey_window_roster, terms, users,
};
use serde_json::{json, Value};

const PASSWORD: &str = "Attacker-pass-2026";

/// Every account of the district existed, where it is now, for 60 days: an ordinary school
/// year in progress (the demo is loaded today).
fn age_everyone(app: &TestApp) {
    let long_ago = securebase::db::now() - chrono::TimeDelta::days(60);
    diesel::update(users::table)
        .set((
            users::created_at.eq(long_ago),
            users::placed_at.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(&mut app.conn())
        .unwrap();
}

fn students_of(app: &TestApp, school: &str, grade: i32) -> Vec<(String, String)> {
    users::table
        .filter(users::school_id.eq(school))
        .filter(users::grade.eq(grade))
        .filter(users::role.eq("student"))
        .filter(users::active.eq(true))
        .order(users::username.asc())
        .select((users::id, users::username))
        .load(&mut app.conn())
        .unwrap()
}

fn open_window(app: &TestApp, admin: &str, school: &str, grades: &[i32], k: i32) -> String {
    let instrument = secondary_instrument(app, admin);
    let now = chrono::Utc::now();
    let window = app.post(
        "/api/v1/survey-windows",
        Some(admin),
        &json!({"instrument_id": instrument, "title": "Pulse check",
                "opens_at": at(now - chrono::TimeDelta::minutes(1)),
                "closes_at": at(now + chrono::TimeDelta::minutes(60)),
                "school_ids": [school], "grades": grades, "min_cell_size": k}),
    );
    assert_eq!(window.status, 201, "{}", window.text);
    window.json()["id"].as_str().unwrap().to_owned()
}

/// Answers: item j gets option `pick(j)` (clamped to the item's options).
fn sheet_with(items: &[(String, Vec<i64>)], pick: impl Fn(usize) -> usize) -> Value {
    let answers: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(j, (id, options))| json!({"item_id": id, "value": options[pick(j) % options.len()]}))
        .collect();
    json!({ "answers": answers })
}

/// Takes over a student's account through the password-reset path: a fresh activation code,
/// used at once with a password of the attacker's choice. Returns a token for the account.
fn take_over(app: &TestApp, staff: &str, student_id: &str, username: &str) -> String {
    let code = app.post(
        &format!("/api/v1/users/{student_id}/activation-code"),
        Some(staff),
        &json!({}),
    );
    assert_eq!(code.status, 201, "{}", code.text);
    let code = code.json()["code"].as_str().unwrap().to_owned();
    let activated = app.post(
        "/api/v1/auth/activate",
        None,
        &json!({"code": code, "password": PASSWORD}),
    );
    assert!(activated.status < 300, "{}", activated.text);
    app.login_pair(username, PASSWORD).json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Fake `i`'s sheet: the same score on every item (reverse-scored items flipped), fakes spread
/// over the five levels, so that no share, mean or item distribution is extreme enough to be
/// coarsened.
fn fake_sheet(app: &TestApp, items: &[(String, Vec<i64>)], i: usize) -> Value {
    let meta: Vec<(bool, String)> = items
        .iter()
        .map(|(id, _)| {
            survey_items::table
                .find(id)
                .select((survey_items::reverse_scored, survey_items::indicator))
                .first(&mut app.conn())
                .unwrap()
        })
        .collect();
    let level = i % 5;
    sheet_with(items, |j| {
        let n = items[j].1.len();
        let (reverse, indicator) = &meta[j];
        if indicator == "bullying_victimization" {
            // About half the fakes victimized, so that the prevalence is not extreme either.
            return if i.is_multiple_of(2) {
                0
            } else {
                1 + i % (n - 1)
            };
        }
        let l = level * (n - 1) / 4;
        if *reverse {
            n - 1 - l
        } else {
            l
        }
    })
}

/// Asserts that the report shows nothing an attacker who knows every other respondent's sheet
/// could subtract from: no respondent count, no indicator value, no item distribution.
fn assert_withheld(report: &Value) {
    assert!(
        report["total"]["respondents"].is_null(),
        "{}",
        report["total"]
    );
    for item in report["items"].as_array().unwrap() {
        assert!(item["distribution"].is_null(), "{item}");
    }
    for row in std::iter::once(&report["total"]).chain(report["grades"].as_array().unwrap()) {
        for indicator in row["indicators"].as_array().unwrap() {
            assert!(indicator["mean"].is_null(), "{indicator}");
            assert!(indicator["favorable"].is_null(), "{indicator}");
            assert!(indicator["prevalence"].is_null(), "{indicator}");
        }
    }
}

/// A school administrator re-issues activation codes for every grade-7 classmate of the target
/// as soon as a window opens, answers as each of them with answers spread over the options (so
/// nothing is coarsened), and waits for the target. A password set since the settling cutoff
/// makes an account unsettled when it answers, so the cell has one settled respondent and the
/// report withholds it whole.
#[test]
fn classmates_taken_over_with_activation_codes_do_not_fill_a_cell() {
    let app = TestApp::spawn_with(|c| c.survey_settle_days = 30);
    age_everyone(&app);
    let admin = app.login(&demo_login("district_admin", ""));
    let principal = app.login(&demo_login("school_admin", MIDDLE));
    let riverbend = school_id(&mut app.conn(), MIDDLE);
    let grade7 = students_of(&app, &riverbend, 7);
    assert!(grade7.len() >= 10, "{}", grade7.len());
    // A grade-7 pulse check with the default cell size of 10.
    let window = open_window(&app, &admin, &riverbend, &[7], 10);
    let target = app.login(&grade7[0].1);
    let items = app.questionnaire_items(&target, &window);

    // The attack: every classmate, taken over, answers a known sheet.
    for (i, (id, name)) in grade7.iter().enumerate().skip(1) {
        let token = take_over(&app, &principal, id, name);
        submit(&app, &token, &window, &fake_sheet(&app, &items, i));
    }
    // The target answers honestly: something the attacker does not know.
    let body = sheet_with(&items, |j| (j * 7 + 3) % 5);
    submit(&app, &target, &window, &body);
    close_now(&app, &window);

    let report = app.get(
        &format!("/api/v1/reports/schools/{riverbend}/climate?window_id={window}"),
        Some(&principal),
    );
    assert_eq!(report.status, 200, "{}", report.text);
    assert_withheld(&report.json());
}

/// After a window is opened, each plain response keeps its (school, grade). Were the roster and
/// the participation rows kept, a backup would say who in a cell took the window, and a cell
/// with one respondent would hand its answers over. Opening the box forgets both; and since a
/// backup taken while the window was open does say who answered, the responses and aggregates
/// of a cell too small to report stay sealed.
#[test]
fn backups_cannot_name_the_only_respondent_of_a_cell() {
    let app = TestApp::spawn();
    let admin = app.login(&demo_login("district_admin", ""));
    let riverbend = school_id(&mut app.conn(), MIDDLE);
    let window = open_window(&app, &admin, &riverbend, &[6, 7, 8], 10);
    // Many grade-7 students answer; in grade 8 only the target does.
    let grade7 = students_of(&app, &riverbend, 7);
    let grade8 = students_of(&app, &riverbend, 8);
    let items = app.questionnaire_items(&app.login(&grade7[0].1), &window);
    for (i, (_, name)) in grade7.iter().enumerate() {
        let body = sheet_with(&items, |j| i + j);
        submit(&app, &app.login(name), &window, &body);
    }
    let (target_id, target_name) = grade8[3].clone();
    let body = sheet_with(&items, |j| (j * 7 + 3) % 5);
    submit(&app, &app.login(&target_name), &window, &body);
    // A backup while the window is open: the target is grade 8's only participant.
    let mut conn = app.conn();
    let during: Vec<(String, i32)> = survey_participation::table
        .inner_join(
            survey_window_roster::table.on(survey_window_roster::window_id
                .eq(survey_participation::window_id)
                .and(survey_window_roster::student_id.eq(survey_participation::student_id))),
        )
        .filter(survey_participation::window_id.eq(&window))
        .select((
            survey_participation::student_id,
            survey_window_roster::grade,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        during
            .iter()
            .filter(|(_, g)| *g == 8)
            .map(|(s, _)| s)
            .collect::<Vec<_>>(),
        vec![&target_id]
    );
    close_now(&app, &window);

    // The backup holder after close: plain SQL over a copy of the database, nothing else.
    let who: Vec<(String, String, i32)> = survey_participation::table
        .inner_join(
            survey_window_roster::table.on(survey_window_roster::window_id
                .eq(survey_participation::window_id)
                .and(survey_window_roster::student_id.eq(survey_participation::student_id))),
        )
        .filter(survey_participation::window_id.eq(&window))
        .select((
            survey_participation::student_id,
            survey_window_roster::school_id,
            survey_window_roster::grade,
        ))
        .load(&mut conn)
        .unwrap();
    assert!(
        who.is_empty(),
        "participation and roster are forgotten: {who:?}"
    );
    let roster: i64 = survey_window_roster::table
        .filter(survey_window_roster::window_id.eq(&window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(roster, 0);
    // Grade 8's one response is not in the clear, nor are its cell's aggregates; grade 7's are.
    let plain = |grade: i32| -> i64 {
        plain_responses(&mut app.conn(), &[&window])
            .iter()
            .filter(|r| r.grade == grade)
            .count() as i64
    };
    assert_eq!(plain(8), 0);
    assert_eq!(plain(7), grade7.len() as i64);
    let aggregates: String = survey_window_cells::table
        .filter(survey_window_cells::window_id.eq(&window))
        .filter(survey_window_cells::grade.eq(8))
        .select(survey_window_cells::aggregates)
        .first(&mut conn)
        .unwrap();
    assert!(aggregates.starts_with("sealed:"), "{aggregates}");
    // The sealed cell still counts in the reports' margins, opened with the seal key (its own
    // grade is withheld, and so, complementarily, is another).
    let cells: Vec<(i32, i32)> = survey_window_cells::table
        .filter(survey_window_cells::window_id.eq(&window))
        .select((survey_window_cells::grade, survey_window_cells::respondents))
        .load(&mut conn)
        .unwrap();
    assert!(cells.contains(&(8, 1)), "{cells:?}");
    // Re-rendered from the stored cells (as after a change of the reports' form).
    diesel::delete(
        securebase::db::schema::survey_window_reports::table
            .filter(securebase::db::schema::survey_window_reports::window_id.eq(&window)),
    )
    .execute(&mut conn)
    .unwrap();
    let report = app.get(
        &format!("/api/v1/reports/schools/{riverbend}/climate?window_id={window}"),
        Some(&admin),
    );
    assert_eq!(report.status, 200, "{}", report.text);
    let total = &report.json()["total"];
    assert!(
        total["respondents"].is_null() || total["respondents"] == grade7.len() as i64 + 1,
        "{total}"
    );
}

/// A school administrator creates a teacher account and classes for it: the target's
/// grade-mates, and the same plus the target; the difference of the two `responded` counts
/// would tell whether the target took the survey. Classes and enrollments made after a window
/// opened are not counted, and after close teachers see no counts at all.
#[test]
fn classes_made_to_single_out_a_student_show_no_counts() {
    let app = TestApp::spawn();
    let admin = app.login(&demo_login("district_admin", ""));
    let principal = app.login(&demo_login("school_admin", MIDDLE));
    let riverbend = school_id(&mut app.conn(), MIDDLE);
    let window = open_window(&app, &admin, &riverbend, &[7], 10);
    let grade7 = students_of(&app, &riverbend, 7);
    let items = app.questionnaire_items(&app.login(&grade7[0].1), &window);
    // Most of the grade answers; of the two targets, one answers and one does not.
    let (answered, silent) = (grade7[0].clone(), grade7[1].clone());
    for (i, (_, name)) in grade7.iter().enumerate() {
        if i == 1 || i % 4 == 3 {
            continue;
        }
        let body = sheet_with(&items, |j| i + j);
        submit(&app, &app.login(name), &window, &body);
    }
    // The principal makes a teacher and classes of their choosing, while the window is open.
    let teacher = app.post(
        "/api/v1/users",
        Some(&principal),
        &json!({"username": "probe.teacher", "role": "teacher", "school_id": riverbend,
                "given_name": "Pro", "family_name": "Be", "password": PASSWORD}),
    );
    assert_eq!(teacher.status, 201, "{}", teacher.text);
    let teacher_id = teacher.json()["id"].as_str().unwrap().to_owned();
    let term: String = terms::table
        .filter(terms::name.eq("Fall 2026"))
        .select(terms::id)
        .first(&mut app.conn())
        .unwrap();
    let class = |name: &str, members: &[&(String, String)]| {
        let c = app.post(
            "/api/v1/classes",
            Some(&principal),
            &json!({"school_id": riverbend, "term_id": term, "name": name, "grade": 7,
                    "teacher_ids": [teacher_id]}),
        );
        assert_eq!(c.status, 201, "{}", c.text);
        let id = c.json()["id"].as_str().unwrap().to_owned();
        for (student, _) in members {
            let e = app.post(
                &format!("/api/v1/classes/{id}/enrollments"),
                Some(&principal),
                &json!({"student_id": student}),
            );
            assert!(e.status < 300, "{}", e.text);
        }
        id
    };
    let others: Vec<&(String, String)> = grade7[2..].iter().collect();
    class("Base", &others);
    let mut with_a = others.clone();
    with_a.push(&answered);
    class("Plus A", &with_a);
    let mut with_s = others.clone();
    with_s.push(&silent);
    class("Plus S", &with_s);

    let token = app.login_pair("probe.teacher", PASSWORD).json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let classes = |token: &str| {
        let p = app.get(
            &format!("/api/v1/survey-windows/{window}/participation"),
            Some(token),
        );
        assert_eq!(p.status, 200, "{}", p.text);
        p.json()["classes"].as_array().unwrap().clone()
    };
    assert_eq!(
        classes(&token),
        Vec::<Value>::new(),
        "classes made after opening"
    );
    close_now(&app, &window);
    assert_eq!(classes(&token), Vec::<Value>::new(), "after close");
    // A real teacher's classes, made before the window opened, show counts while it is open
    // only: after close, none.
    let real = app.login(&demo_login("teacher", MIDDLE));
    assert_eq!(classes(&real), Vec::<Value>::new());
}

/// Reactivating a deactivated account (a student who left) a minute before a window opens must
/// not give an administrator a settled account to answer as.
#[test]
fn a_reactivated_account_is_not_settled() {
    let app = TestApp::spawn_with(|c| c.survey_settle_days = 30);
    age_everyone(&app);
    let admin = app.login(&demo_login("district_admin", ""));
    let riverbend = school_id(&mut app.conn(), MIDDLE);
    let former = students_of(&app, &riverbend, 7)[0].0.clone();
    // Left the school long ago: deactivated then (time shifted back by hand).
    let off = app.patch(
        &format!("/api/v1/users/{former}"),
        Some(&admin),
        &json!({"active": false}),
    );
    assert_eq!(off.status, 200, "{}", off.text);
    // The attack, a minute before the window opens.
    let on = app.patch(
        &format!("/api/v1/users/{former}"),
        Some(&admin),
        &json!({"active": true}),
    );
    assert_eq!(on.status, 200, "{}", on.text);
    let window = open_window(&app, &admin, &riverbend, &[7], 10);
    let settled: bool = survey_window_roster::table
        .find((&window, &former))
        .select(survey_window_roster::settled)
        .first(&mut app.conn())
        .unwrap();
    assert!(!settled, "reactivated a minute ago");
}

/// The same attack by a counselor alone, who may issue a code for any student who never
/// activated their account (imported accounts routinely never are); the other classmates are
/// kept from answering with "guardian" opt-outs. The activated accounts are not settled when
/// they answer, so the cell is withheld.
#[test]
fn a_counselor_activating_dormant_accounts_does_not_fill_a_cell() {
    let app = TestApp::spawn_with(|c| c.survey_settle_days = 30);
    age_everyone(&app);
    let admin = app.login(&demo_login("district_admin", ""));
    let counselor = app.login(&demo_login("counselor", MIDDLE));
    let riverbend = school_id(&mut app.conn(), MIDDLE);
    let grade7 = students_of(&app, &riverbend, 7);
    let target_name = grade7[0].1.clone();
    let dormant: Vec<(String, String)> = grade7[1..10].to_vec();
    let active_others: Vec<(String, String)> = grade7[10..].to_vec();
    // The school's state before any attack: nine classmates never activated their accounts.
    diesel::update(users::table.filter(users::id.eq_any(dormant.iter().map(|d| &d.0))))
        .set(users::password_hash.eq(None::<String>))
        .execute(&mut app.conn())
        .unwrap();
    // ...long ago: the change just made is dated back with the rest.
    age_everyone(&app);
    let window = open_window(&app, &admin, &riverbend, &[7], 10);
    for (id, _) in &active_others {
        let r = app.post(
            &format!("/api/v1/survey-windows/{window}/opt-outs"),
            Some(&counselor),
            &json!({"student_id": id}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let target = app.login(&target_name);
    let items = app.questionnaire_items(&target, &window);
    for (i, (id, name)) in dormant.iter().enumerate() {
        let token = take_over(&app, &counselor, id, name);
        submit(&app, &token, &window, &fake_sheet(&app, &items, i + 1));
    }
    let body = sheet_with(&items, |j| (j * 3 + 1) % 5);
    submit(&app, &target, &window, &body);
    close_now(&app, &window);
    let report = app.get(
        &format!("/api/v1/reports/schools/{riverbend}/climate?window_id={window}"),
        Some(&counselor),
    );
    assert_eq!(report.status, 200, "{}", report.text);
    assert_withheld(&report.json());
}
