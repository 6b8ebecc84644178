use std::collections::HashSet;

use crate::helpers::*;
use diesel::prelude::*;
use securebase::db::schema::{
    survey_cell_responses, survey_participation, survey_sealed_responses, users,
};
use serde_json::{json, Value};

/// The open demo window for grades 6-12 and the Riverbend students who may take it.
fn middle_school_window(app: &TestApp, student: &str) -> (String, Value) {
    let token = app.login(student);
    let mine = app.get("/api/v1/me/surveys", Some(&token));
    assert_eq!(mine.status, 200, "{}", mine.text);
    let items = mine.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    let window = items[0]["id"].as_str().unwrap().to_owned();
    let q = app.get(
        &format!("/api/v1/survey-windows/{window}/questionnaire"),
        Some(&token),
    );
    assert_eq!(q.status, 200, "{}", q.text);
    (window, q.json())
}

/// A full, valid answer sheet: the `pick`-th option of every item (clamped to its options).
fn answers(questionnaire: &Value, pick: usize) -> Value {
    let mut out = Vec::new();
    for section in questionnaire["sections"].as_array().unwrap() {
        for item in section["items"].as_array().unwrap() {
            let options = item["options"].as_array().unwrap();
            let option = &options[pick.min(options.len() - 1)];
            out.push(json!({"item_id": item["id"], "value": option["value"]}));
        }
    }
    json!({ "answers": out })
}

fn riverbend_students(app: &TestApp, n: usize) -> Vec<(String, String)> {
    let mut conn = app.conn();
    let school = school_id(&mut app.conn(), MIDDLE);
    users::table
        .filter(users::school_id.eq(school))
        .filter(users::role.eq("student"))
        .order(users::username.asc())
        .limit(n as i64)
        .select((users::id, users::username))
        .load(&mut conn)
        .unwrap()
}

#[test]
fn a_student_answers_once_and_is_refused_the_second_time() {
    let app = TestApp::spawn();
    let student = demo_login("student", MIDDLE);
    let (window, q) = middle_school_window(&app, &student);
    assert!(q["sections"][0]["items"][0]["options"][0]["label"].is_string());
    let token = app.login(&student);
    let path = format!("/api/v1/survey-windows/{window}/responses");
    let first = app.post(&path, Some(&token), &answers(&q, 3));
    assert_eq!(first.status, 201, "{}", first.text);
    let body = first.json();
    assert_eq!(
        body.as_object().unwrap().len(),
        1,
        "the receipt carries no identifier: {body}"
    );
    assert!(!first.text.contains(&window[..8]) || body["message"].is_string());
    app.post(&path, Some(&token), &answers(&q, 1)).problem(409);
    // No longer offered.
    let mine = app.get("/api/v1/me/surveys", Some(&token)).json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 0);
    let mut conn = app.conn();
    let n: i64 = survey_sealed_responses::table
        .filter(survey_sealed_responses::window_id.eq(&window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn nothing_in_the_stored_rows_links_a_student_to_a_response() {
    let app = TestApp::spawn();
    let (window, q) = middle_school_window(&app, &demo_login("student", MIDDLE));
    // Twelve of one grade: a cell large enough to be written in the clear when opened.
    let students: Vec<(String, String)> = {
        let mut conn = app.conn();
        users::table
            .filter(users::school_id.eq(school_id(&mut app.conn(), MIDDLE)))
            .filter(users::role.eq("student"))
            .filter(users::grade.eq(6))
            .order(users::username.asc())
            .limit(12)
            .select((users::id, users::username))
            .load(&mut conn)
            .unwrap()
    };
    let path = format!("/api/v1/survey-windows/{window}/responses");
    for (i, (_, username)) in students.iter().enumerate() {
        let token = app.login(username);
        let r = app.post(&path, Some(&token), &answers(&q, i % 5));
        assert_eq!(r.status, 201, "{username}: {}", r.text);
    }
    let mut conn = app.conn();
    // While the window is open, nothing is stored in the clear.
    assert!(plain_responses(&mut conn, &[&window]).is_empty());
    let sealed: Vec<String> = securebase::db::schema::survey_sealed_responses::table
        .filter(securebase::db::schema::survey_sealed_responses::window_id.eq(&window))
        .select(securebase::db::schema::survey_sealed_responses::sealed)
        .load(&mut conn)
        .unwrap();
    assert_eq!(sealed.len(), 12);
    // Who answered, read while the window is open.
    let participation_rows: Vec<(String, String, Option<String>)> = survey_participation::table
        .filter(survey_participation::window_id.eq(&window))
        .order((
            survey_participation::window_id.asc(),
            survey_participation::student_id.asc(),
        ))
        .select((
            survey_participation::window_id,
            survey_participation::student_id,
            survey_participation::idempotency_key_hash,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(participation_rows.len(), 12);
    diesel::update(securebase::db::schema::survey_windows::table.find(&window))
        .set(
            securebase::db::schema::survey_windows::closes_at
                .eq(securebase::db::now() - chrono::TimeDelta::seconds(1)),
        )
        .execute(&mut conn)
        .unwrap();
    app.run_survey_job();
    // The plain responses are one row per cell, with exactly these columns: no student, no
    // time, no sequence, no id of a response.
    let cell_rows: Vec<(String, String, i32, String, String, i32)> = survey_cell_responses::table
        // The demo's closed windows hold earlier answers; this window's are the subject.
        .filter(survey_cell_responses::window_id.eq(&window))
        .select((
            survey_cell_responses::window_id,
            survey_cell_responses::school_id,
            survey_cell_responses::grade,
            survey_cell_responses::item_ids,
            survey_cell_responses::answers,
            survey_cell_responses::respondents,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(cell_rows.len(), 1, "the twelve are one cell");
    assert_eq!(cell_rows[0].5, 12);
    // Who answered is forgotten once the box is opened.
    let left: i64 = survey_participation::table
        .filter(survey_participation::window_id.eq(&window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(left, 0);
    let student_ids: HashSet<&str> = students.iter().map(|(id, _)| id.as_str()).collect();
    let usernames: HashSet<&str> = students.iter().map(|(_, u)| u.as_str()).collect();
    let text = format!("{cell_rows:?}");
    for id in &student_ids {
        assert!(!text.contains(id), "a response row contains a student id");
    }
    for u in &usernames {
        assert!(!text.contains(u), "a response row contains a username");
    }
    for (w, s, k) in &participation_rows {
        assert_eq!(w, &window);
        assert!(!text.contains(s.as_str()));
        assert!(k.is_none());
    }
    // The order of the cell's responses is not the submission order: the submissions used
    // answer patterns 0,1,2,3,4,0,1,... in that order.
    let stored_patterns: Vec<std::collections::BTreeMap<String, i64>> =
        plain_responses(&mut conn, &[&window])
            .into_iter()
            .map(|r| r.answers)
            .collect();
    let expected_in_order: Vec<std::collections::BTreeMap<String, i64>> = (0..12)
        .map(|i| {
            answers(&q, i % 5)["answers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["item_id"].as_str().unwrap().to_owned(),
                        a["value"].as_i64().unwrap(),
                    )
                })
                .collect()
        })
        .collect();
    let mut sorted = stored_patterns.clone();
    sorted.sort();
    let mut expected_sorted = expected_in_order.clone();
    expected_sorted.sort();
    assert_eq!(
        sorted, expected_sorted,
        "every response is stored, as given"
    );
    assert_ne!(
        stored_patterns, expected_in_order,
        "responses are stored in submission order"
    );
}

#[test]
fn fifty_concurrent_submissions_by_one_student_record_exactly_one() {
    let app = TestApp::spawn();
    let student = demo_login("student", HIGH);
    let token = app.login(&student);
    let mine = app.get("/api/v1/me/surveys", Some(&token)).json();
    let window = mine["items"][0]["id"].as_str().unwrap().to_owned();
    let q = app
        .get(
            &format!("/api/v1/survey-windows/{window}/questionnaire"),
            Some(&token),
        )
        .json();
    let body = answers(&q, 2);
    let path = format!("/api/v1/survey-windows/{window}/responses");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|_| s.spawn(|| app.post(&path, Some(&token), &body).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let mut conn = app.conn();
    let responses: i64 = survey_sealed_responses::table
        .filter(survey_sealed_responses::window_id.eq(&window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let participation: i64 = survey_participation::table
        .filter(survey_participation::window_id.eq(&window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!((responses, participation), (1, 1));
}

#[test]
fn a_retry_with_the_same_idempotency_key_is_answered_as_the_first() {
    let app = TestApp::spawn();
    let student = demo_login("student", MIDDLE);
    let (window, q) = middle_school_window(&app, &student);
    let token = app.login(&student);
    let path = format!("/api/v1/survey-windows/{window}/responses");
    let bytes = serde_json::to_vec(&answers(&q, 0)).unwrap();
    let send = |key: &str| {
        app.request(
            "POST",
            &path,
            Some(&token),
            &[
                ("Content-Type", "application/json"),
                ("Idempotency-Key", key),
            ],
            Some(&bytes),
        )
    };
    assert_eq!(send("retry-abc").status, 201);
    let retry = send("retry-abc");
    assert_eq!(retry.status, 201, "{}", retry.text);
    send("another-key").problem(409);
    let mut conn = app.conn();
    let n: i64 = survey_sealed_responses::table
        .filter(survey_sealed_responses::window_id.eq(&window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn bad_submissions_are_refused_whole_with_the_field_named() {
    let app = TestApp::spawn();
    let student = demo_login("student", MIDDLE);
    let (window, q) = middle_school_window(&app, &student);
    let token = app.login(&student);
    let path = format!("/api/v1/survey-windows/{window}/responses");
    let full = answers(&q, 1);
    let all = full["answers"].as_array().unwrap().clone();

    // A required item missing.
    let missing = json!({"answers": all[1..].to_vec()});
    app.post(&path, Some(&token), &missing)
        .invalid_field("answers");
    // A value outside the item's scale.
    let mut bad_value = all.clone();
    bad_value[0]["value"] = json!(9);
    app.post(&path, Some(&token), &json!({"answers": bad_value}))
        .invalid_field("answers[0].value");
    // An item of another instrument.
    let mut foreign = all.clone();
    foreign[0]["item_id"] = json!("not-an-item-of-this-survey");
    app.post(&path, Some(&token), &json!({"answers": foreign}))
        .invalid_field("answers[0].item_id");
    // The same item twice.
    let mut twice = all.clone();
    twice.push(all[0].clone());
    app.post(&path, Some(&token), &json!({"answers": twice}))
        .invalid_field(&format!("answers[{}].item_id", all.len()));
    // Wrong JSON type.
    app.post(
        &path,
        Some(&token),
        &json!({"answers": [{"item_id": 1, "value": "a"}]}),
    )
    .problem(422);
    // Staff do not answer.
    let teacher = app.login(&demo_login("teacher", MIDDLE));
    app.post(&path, Some(&teacher), &full).problem(403);
    // A student of a school or grade the window is not for cannot even see it.
    let young = app.login(&demo_login("student", ELEMENTARY));
    app.post(&path, Some(&young), &full).problem(404);
    // Nothing was written by any of these.
    let mut conn = app.conn();
    let n: i64 = survey_sealed_responses::table
        .filter(survey_sealed_responses::window_id.eq(&window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let p: i64 = survey_participation::table
        .filter(survey_participation::window_id.eq(&window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!((n, p), (0, 0));
    // And the valid one still goes through.
    assert_eq!(app.post(&path, Some(&token), &full).status, 201);
}

#[test]
fn opted_out_students_are_not_offered_the_survey_and_no_count_moves() {
    let app = TestApp::spawn();
    let student = demo_login("student", MIDDLE);
    let (window, q) = middle_school_window(&app, &student);
    let counselor = app.login(&demo_login("counselor", MIDDLE));
    let participation = |app: &TestApp| {
        let r = app.get(
            &format!("/api/v1/survey-windows/{window}/participation"),
            Some(&counselor),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["schools"][0].clone()
    };
    let before = participation(&app);
    // Below the window's cell size: withheld.
    assert_eq!(before["responded"], Value::Null);
    assert_eq!(before["suppressed"], "small_cell");
    let eligible_before = before["eligible"].as_i64().unwrap();
    assert!(eligible_before > 50);

    // Opt out one student (not the demo one), then the demo student answers.
    let others = riverbend_students(&app, 2);
    let opted = others.iter().find(|(_, u)| *u != student).unwrap().clone();
    let r = app.post(
        &format!("/api/v1/survey-windows/{window}/opt-outs"),
        Some(&counselor),
        &json!({"student_id": opted.0}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let again = app.post(
        &format!("/api/v1/survey-windows/{window}/opt-outs"),
        Some(&counselor),
        &json!({"student_id": opted.0}),
    );
    assert_eq!(again.status, 200);
    let opted_token = app.login(&opted.1);
    assert_eq!(
        app.get("/api/v1/me/surveys", Some(&opted_token)).json()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    app.post(
        &format!("/api/v1/survey-windows/{window}/responses"),
        Some(&opted_token),
        &answers(&q, 0),
    )
    .problem(403);

    let token = app.login(&student);
    assert_eq!(
        app.post(
            &format!("/api/v1/survey-windows/{window}/responses"),
            Some(&token),
            &answers(&q, 2)
        )
        .status,
        201
    );
    let after = participation(&app);
    // One answer is far below the cell size; the opt-out recorded during the window moves no
    // count (the roster was fixed when the window opened).
    assert_eq!(after["responded"], Value::Null);
    assert_eq!(after["eligible"].as_i64().unwrap(), eligible_before);
    // Counts only: no names, no answers anywhere in the participation view.
    assert!(!after.to_string().contains(&student));

    // A teacher sees own classes only; a student cannot read participation.
    let teacher = app.login(&demo_login("teacher", MIDDLE));
    let t = app
        .get(
            &format!("/api/v1/survey-windows/{window}/participation"),
            Some(&teacher),
        )
        .json();
    assert!(t["schools"].as_array().unwrap().is_empty());
    assert!(!t["classes"].as_array().unwrap().is_empty());
    app.get(
        &format!("/api/v1/survey-windows/{window}/participation"),
        Some(&token),
    )
    .problem(403);
}

#[test]
fn instruments_are_versioned_published_and_open_to_parents() {
    let app = TestApp::spawn();
    let admin = app.login("denise.whitfield");
    let draft = app.post(
        "/api/v1/survey-instruments",
        Some(&admin),
        &json!({
            "title": "Quick pulse", "description": "Three questions.", "grade_min": 6, "grade_max": 8,
            "sections": [{"title": "Pulse", "items": [
                {"prompt": "I feel I belong here.", "scale": "agreement_5", "indicator": "belonging"},
                {"prompt": "Someone pushed me on purpose.", "scale": "frequency_5", "indicator": "bullying_victimization"},
                {"prompt": "There is an adult I trust at school.", "scale": "yes_no", "indicator": "trusted_adult",
                 "required": false, "ppra_areas": []}
            ]}]
        }),
    );
    assert_eq!(draft.status, 201, "{}", draft.text);
    let draft = draft.json();
    let id = draft["id"].as_str().unwrap();
    assert_eq!(draft["status"], "draft");
    // Not public and not usable while a draft.
    app.get(&format!("/api/v1/public/survey-instruments/{id}"), None)
        .problem(404);
    let school = school_id(&mut app.conn(), MIDDLE);
    let window = json!({"instrument_id": id, "title": "Pulse", "opens_at": "2026-11-01T00:00:00Z",
        "closes_at": "2027-01-01T00:00:00Z", "school_ids": [school], "grades": [7]});
    app.post("/api/v1/survey-windows", Some(&admin), &window)
        .problem(409);
    let published = app.post(
        &format!("/api/v1/survey-instruments/{id}/publish"),
        Some(&admin),
        &json!({}),
    );
    assert_eq!(published.status, 200, "{}", published.text);
    app.post(
        &format!("/api/v1/survey-instruments/{id}/publish"),
        Some(&admin),
        &json!({}),
    )
    .problem(409);
    // Parents read the exact published text without signing in.
    let public = app.get(&format!("/api/v1/public/survey-instruments/{id}"), None);
    assert_eq!(public.status, 200);
    assert_eq!(
        public.json()["sections"][0]["items"][1]["prompt"],
        "Someone pushed me on purpose."
    );
    // A second version shares the lineage.
    let v2 = app.post(
        "/api/v1/survey-instruments",
        Some(&admin),
        &json!({"title": "Quick pulse", "description": "v2", "grade_min": 6, "grade_max": 8,
            "lineage_id": draft["lineage_id"],
            "sections": [{"title": "Pulse", "items": [
                {"prompt": "I feel I belong here.", "scale": "agreement_5", "indicator": "belonging"}]}]}),
    );
    assert_eq!(v2.status, 201, "{}", v2.text);
    assert_eq!(v2.json()["version"], 2);
    // Windows: grades outside the instrument and cell sizes below 5 are refused.
    let mut bad = window.clone();
    bad["grades"] = json!([3]);
    app.post("/api/v1/survey-windows", Some(&admin), &bad)
        .invalid_field("grades[0]");
    let mut small = window.clone();
    small["min_cell_size"] = json!(4);
    app.post("/api/v1/survey-windows", Some(&admin), &small)
        .invalid_field("min_cell_size");
    let created = app.post("/api/v1/survey-windows", Some(&admin), &window);
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json()["min_cell_size"], 10);
    // Only district staff manage instruments and windows.
    let principal = app.login(&demo_login("school_admin", MIDDLE));
    app.post("/api/v1/survey-windows", Some(&principal), &window)
        .problem(403);
    app.post("/api/v1/survey-instruments", Some(&principal), &json!({}))
        .problem(403);
    // Another district sees nothing of these.
    let other = app.login("hp.admin");
    app.get(&format!("/api/v1/survey-instruments/{id}"), Some(&other))
        .problem(404);
}

#[test]
fn closed_and_not_yet_open_windows_refuse_answers() {
    let app = TestApp::spawn();
    let admin = app.login("denise.whitfield");
    let instrument = app.get("/api/v1/survey-instruments", Some(&admin)).json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["grade_min"] == 6)
        .unwrap()["id"]
        .clone();
    let school = school_id(&mut app.conn(), MIDDLE);
    let student = demo_login("student", MIDDLE);
    let token = app.login(&student);
    // A window cannot be opened after it would close.
    app.post(
        "/api/v1/survey-windows",
        Some(&admin),
        &json!({"instrument_id": instrument, "title": "Timing", "opens_at": "2026-01-01T00:00:00Z",
            "closes_at": "2026-02-01T00:00:00Z", "school_ids": [school], "grades": [6, 7, 8]}),
    )
    .invalid_field("closes_at");
    let now = chrono::Utc::now();
    let soon = (now + chrono::TimeDelta::hours(1)).to_rfc3339();
    for (opens, closes, detail) in [
        (
            (now - chrono::TimeDelta::minutes(5)).to_rfc3339(),
            soon,
            "closed",
        ),
        (
            "2030-01-01T00:00:00Z".to_owned(),
            "2030-02-01T00:00:00Z".to_owned(),
            "not open",
        ),
    ] {
        let w = app.post(
            "/api/v1/survey-windows",
            Some(&admin),
            &json!({"instrument_id": instrument, "title": "Timing", "opens_at": opens, "closes_at": closes,
                "school_ids": [school], "grades": [6, 7, 8]}),
        );
        assert_eq!(w.status, 201, "{}", w.text);
        let id = w.json()["id"].as_str().unwrap().to_owned();
        if detail == "closed" {
            // Closed since.
            diesel::update(securebase::db::schema::survey_windows::table.find(&id))
                .set(
                    securebase::db::schema::survey_windows::closes_at
                        .eq(securebase::db::now() - chrono::TimeDelta::seconds(1)),
                )
                .execute(&mut app.conn())
                .unwrap();
        }
        let q = app
            .get(
                &format!("/api/v1/survey-windows/{id}/questionnaire"),
                Some(&token),
            )
            .json();
        let p = app
            .post(
                &format!("/api/v1/survey-windows/{id}/responses"),
                Some(&token),
                &answers(&q, 1),
            )
            .problem(409);
        assert!(p["detail"].as_str().unwrap().contains(detail), "{p}");
    }
}

#[test]
fn the_window_list_filters_on_the_state_it_shows() {
    let app = TestApp::spawn();
    let admin = app.login("denise.whitfield");
    let all = app
        .get("/api/v1/survey-windows?limit=200", Some(&admin))
        .json();
    let mut counted = 0;
    for state in ["upcoming", "open", "closed"] {
        let page = app
            .get(
                &format!("/api/v1/survey-windows?state={state}&limit=200"),
                Some(&admin),
            )
            .json();
        let items = page["items"].as_array().unwrap();
        assert!(items.iter().all(|w| w["state"] == state), "{state}: {page}");
        assert_eq!(page["total"].as_u64().unwrap() as usize, items.len());
        let expected = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["state"] == state)
            .count();
        assert_eq!(items.len(), expected, "{state}");
        counted += items.len();
    }
    assert_eq!(counted as u64, all["total"].as_u64().unwrap());
    // The demo has open and closed windows; school staff see those of their school, filtered alike.
    let counselor = app.login(&demo_login("counselor", MIDDLE));
    let closed = app
        .get("/api/v1/survey-windows?state=closed", Some(&counselor))
        .json();
    assert!(!closed["items"].as_array().unwrap().is_empty(), "{closed}");
    assert!(closed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|w| w["state"] == "closed"));
    app.get("/api/v1/survey-windows?state=finished", Some(&admin))
        .invalid_field("state");
}
