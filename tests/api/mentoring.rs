//! Peer mentoring through the API: optimal, explained suggestions; the match lifecycle; hard
//! constraints refused with nothing half-written; capacity under concurrent requests; who sees
//! what; and the cadence attention list on a fixture with known dates.

use std::collections::{HashMap, HashSet};

use crate::helpers::*;
use chrono::{NaiveDate, TimeDelta, Utc};
use diesel::prelude::*;
use securebase::db::schema::{mentoring_matches, schools, users};
use serde_json::{json, Value};

const COUNSELOR: &str = "daniel.kim"; // Riverbend
const PRINCIPAL: &str = "gregory.tan"; // Riverbend
const LAKEVIEW_COUNSELOR: &str = "luis.navarro";
const TEACHER: &str = "samuel.ortega"; // Riverbend
const ADMIN: &str = "denise.whitfield";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn days_ago(n: i64) -> String {
    (today() - TimeDelta::days(n)).to_string()
}

/// `(id, username)` of a school's students of one grade, by username.
fn students(app: &TestApp, school: &str, grade: i32) -> Vec<(String, String)> {
    let mut conn = app.conn();
    let school: String = schools::table
        .filter(schools::name.eq(school))
        .select(schools::id)
        .first(&mut conn)
        .unwrap();
    users::table
        .filter(users::school_id.eq(school))
        .filter(users::grade.eq(grade))
        .filter(users::role.eq("student"))
        .order(users::username.asc())
        .select((users::id, users::username))
        .load(&mut conn)
        .unwrap()
}

fn create_program(app: &TestApp, token: &str, changes: Value) -> String {
    let mut body = json!({
        "name": "Test Program", "goals": "Belonging",
        "mentor_grades": [7, 8], "mentee_grades": [6, 7], "min_grade_gap": 1,
        "preferred_grade_gap": 2, "mentor_capacity": 2,
        "starts_on": days_ago(120), "ends_on": (today() + TimeDelta::days(100)).to_string(),
    });
    for (k, v) in changes.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app.post("/api/v1/mentoring/programs", Some(token), &body);
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_owned()
}

fn enrol(app: &TestApp, token: &str, program: &str, student: &str, body: Value) -> Resp {
    let mut body = body;
    body["student_id"] = json!(student);
    if body.get("availability").is_none() {
        body["availability"] = json!([{"day": "monday", "period": "lunch"}]);
    }
    app.post(
        &format!("/api/v1/mentoring/programs/{program}/participants"),
        Some(token),
        &body,
    )
}

fn pair_matches(
    app: &TestApp,
    token: &str,
    program: &str,
    pairs: &[(&str, &str)],
    extra: Value,
) -> Resp {
    let mut body = json!({
        "matches": pairs.iter().map(|(m, e)| json!({"mentor_id": m, "mentee_id": e})).collect::<Vec<_>>()
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.post(
        &format!("/api/v1/mentoring/programs/{program}/matches"),
        Some(token),
        &body,
    )
}

fn open_matches_in(app: &TestApp, program: &str) -> i64 {
    mentoring_matches::table
        .filter(mentoring_matches::program_id.eq(program))
        .filter(mentoring_matches::status.ne("closed"))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

/// The README's scoring rules, recomputed here from the participants' data.
fn expected_score(
    mentor: &(i32, Vec<&str>, Vec<&str>),
    mentee: &(i32, Vec<&str>, Vec<&str>),
    preferred_gap: i32,
) -> i64 {
    let shared = |a: &[&str], b: &[&str]| a.iter().filter(|x| b.contains(x)).count() as i64;
    let interests = 10 * shared(&mentor.1, &mentee.1).min(3);
    let slots = 5 * shared(&mentor.2, &mentee.2).min(4);
    let gap = (20 - 5 * i64::from((mentor.0 - mentee.0 - preferred_gap).abs())).max(0);
    interests + slots + gap
}

#[test]
fn suggestions_are_the_optimal_assignment_explained_and_write_nothing() {
    let app = TestApp::spawn();
    let token = app.login(COUNSELOR);
    let program = create_program(&app, &token, json!({}));
    let (g8, g7, g6) = (
        students(&app, MIDDLE, 8),
        students(&app, MIDDLE, 7),
        students(&app, MIDDLE, 6),
    );
    // Mentors: (student, grade, capacity, interests, availability keys).
    let mentors = [
        (
            &g8[0],
            8,
            1,
            vec!["music", "sports"],
            vec!["monday/lunch", "tuesday/lunch"],
        ),
        (&g8[1], 8, 2, vec!["reading", "arts"], vec!["monday/lunch"]),
        (
            &g7[0],
            7,
            1,
            vec!["music", "gaming", "reading"],
            vec!["friday/after_school"],
        ),
        (
            &g8[2],
            8,
            1,
            vec!["animals"],
            vec!["wednesday/lunch", "monday/lunch"],
        ),
    ];
    let mentees = [
        (
            &g6[0],
            6,
            vec!["music", "sports", "gaming"],
            vec!["monday/lunch"],
        ),
        (
            &g6[1],
            6,
            vec!["reading"],
            vec!["friday/after_school", "monday/lunch"],
        ),
        (&g7[1], 7, vec!["music"], vec!["tuesday/lunch"]),
        (&g6[2], 6, vec!["animals", "arts"], vec!["wednesday/lunch"]),
        (&g6[3], 6, vec!["sports"], vec!["thursday/before_school"]),
        (&g7[2], 7, vec!["gaming"], vec!["friday/after_school"]),
    ];
    let slot = |k: &&str| {
        let (day, period) = k.split_once('/').unwrap();
        json!({"day": day, "period": period})
    };
    for (s, _, cap, interests, avail) in &mentors {
        let r = enrol(
            &app,
            &token,
            &program,
            &s.0,
            json!({
                "role": "mentor", "capacity": cap, "interests": interests,
                "availability": avail.iter().map(slot).collect::<Vec<_>>(),
            }),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    for (s, _, interests, avail) in &mentees {
        let r = enrol(
            &app,
            &token,
            &program,
            &s.0,
            json!({
                "role": "mentee", "interests": interests,
                "availability": avail.iter().map(slot).collect::<Vec<_>>(),
            }),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    // A known conflict between the best-scoring pair.
    let r = app.post(
        "/api/v1/mentoring/do-not-match",
        Some(&token),
        &json!({"student_a_id": mentors[0].0 .0, "student_b_id": mentees[0].0 .0}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let blocked: HashSet<(String, String)> = app
        .get("/api/v1/mentoring/do-not-match", Some(&token))
        .json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            let (a, b) = (
                p["student_a"]["student_id"].as_str().unwrap().to_owned(),
                p["student_b"]["student_id"].as_str().unwrap().to_owned(),
            );
            [(a.clone(), b.clone()), (b, a)]
        })
        .collect();

    let r = app.get(
        &format!("/api/v1/mentoring/programs/{program}/suggestions"),
        Some(&token),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let got = r.json();

    // Brute force: every assignment of each mentee to no one or to a mentor with room.
    let score = |m: usize, e: usize| -> Option<i64> {
        let (ms, mg, _, mi, ma) = &mentors[m];
        let (es, eg, ei, ea) = &mentees[e];
        if mg - eg < 1 || blocked.contains(&(ms.0.clone(), es.0.clone())) {
            return None;
        }
        Some(expected_score(
            &(*mg, mi.clone(), ma.clone()),
            &(*eg, ei.clone(), ea.clone()),
            2,
        ))
    };
    let mut best = (0usize, 0i64);
    let options = mentors.len() + 1;
    for code in 0..options.pow(mentees.len() as u32) {
        let mut left: Vec<i64> = mentors.iter().map(|m| m.2).collect();
        let (mut served, mut total, mut c, mut ok) = (0, 0, code, true);
        for e in 0..mentees.len() {
            let choice = c % options;
            c /= options;
            if choice == mentors.len() {
                continue;
            }
            match score(choice, e) {
                Some(s) if left[choice] > 0 => {
                    left[choice] -= 1;
                    served += 1;
                    total += s;
                }
                _ => ok = false,
            }
        }
        if ok && (served, total) > best {
            best = (served, total);
        }
    }
    let pairs = got["pairs"].as_array().unwrap();
    assert_eq!(
        (pairs.len(), got["total_score"].as_i64().unwrap()),
        best,
        "{got:#}"
    );
    let index_of = |id: &str, list: &[String]| list.iter().position(|x| x == id).unwrap();
    let mentor_ids: Vec<String> = mentors.iter().map(|m| m.0 .0.clone()).collect();
    let mentee_ids: Vec<String> = mentees.iter().map(|m| m.0 .0.clone()).collect();
    let mut sum = 0;
    for p in pairs {
        let s = &p["score"];
        let parts = s["interest_points"].as_i64().unwrap()
            + s["availability_points"].as_i64().unwrap()
            + s["grade_gap_points"].as_i64().unwrap();
        assert_eq!(
            parts,
            s["total"].as_i64().unwrap(),
            "components add up: {p}"
        );
        let m = index_of(p["mentor"]["student_id"].as_str().unwrap(), &mentor_ids);
        let e = index_of(p["mentee"]["student_id"].as_str().unwrap(), &mentee_ids);
        assert_eq!(
            Some(parts),
            score(m, e),
            "explanation matches the rules: {p}"
        );
        sum += parts;
    }
    assert_eq!(sum, best.1);
    assert_eq!(
        got["unmatched_mentees"].as_array().unwrap().len(),
        mentees.len() - pairs.len()
    );
    // Proposals only.
    assert_eq!(open_matches_in(&app, &program), 0);
}

#[test]
fn a_match_goes_from_proposed_to_active_to_closed_with_meetings_in_between() {
    let app = TestApp::spawn();
    let token = app.login(COUNSELOR);
    let program = create_program(&app, &token, json!({}));
    let (mentor, mentee) = (&students(&app, MIDDLE, 8)[3], &students(&app, MIDDLE, 6)[4]);
    assert_eq!(
        enrol(&app, &token, &program, &mentor.0, json!({"role": "mentor"})).status,
        201
    );
    assert_eq!(
        enrol(&app, &token, &program, &mentee.0, json!({"role": "mentee"})).status,
        201
    );
    let suggested = app
        .get(
            &format!("/api/v1/mentoring/programs/{program}/suggestions"),
            Some(&token),
        )
        .json();
    assert_eq!(
        suggested["pairs"].as_array().unwrap().len(),
        1,
        "{suggested}"
    );

    let r = pair_matches(&app, &token, &program, &[(&mentor.0, &mentee.0)], json!({}));
    assert_eq!(r.status, 201, "{}", r.text);
    let created = &r.json()["items"][0];
    assert_eq!(created["status"], "proposed");
    assert_eq!(
        created["score"]["total"],
        suggested["pairs"][0]["score"]["total"]
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/mentoring/matches/{id}");
    let meetings = format!("{path}/meetings");
    let mentor_token = app.login(&mentor.1);
    let mentee_token = app.login(&mentee.1);
    let meeting = |day: String| json!({"met_on": day, "minutes": 25, "topics": ["grounding", "friendships"], "note": "Practised box breathing."});

    // Not started: no meetings yet.
    let r = app.post(&meetings, Some(&mentor_token), &meeting(days_ago(1)));
    r.problem(409);

    let r = app.patch(
        &path,
        Some(&token),
        &json!({"status": "active", "started_on": days_ago(20)}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], "active");
    assert_eq!(r.json()["cadence"]["on_cadence"], true);
    app.patch(&path, Some(&token), &json!({"status": "active"}))
        .problem(409);

    let r = app.post(&meetings, Some(&mentor_token), &meeting(days_ago(10)));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["minutes"], 25);
    // Dated before the start, or in the future; the mentee does not log.
    app.post(&meetings, Some(&mentor_token), &meeting(days_ago(21)))
        .invalid_field("met_on");
    app.post(
        &meetings,
        Some(&mentor_token),
        &meeting((today() + TimeDelta::days(1)).to_string()),
    )
    .invalid_field("met_on");
    app.post(&meetings, Some(&mentee_token), &meeting(days_ago(2)))
        .problem(403);

    // The counselor reads the note; the mentee sees the date and topics only.
    let staff_view = app.get(&meetings, Some(&token)).json();
    assert_eq!(staff_view["items"][0]["note"], "Practised box breathing.");
    let mentee_view = app.get(&meetings, Some(&mentee_token)).json();
    assert_eq!(mentee_view["items"].as_array().unwrap().len(), 1);
    assert_eq!(mentee_view["items"][0]["met_on"], days_ago(10));
    assert_eq!(
        mentee_view["items"][0]["topics"],
        json!(["grounding", "friendships"])
    );
    assert!(
        mentee_view["items"][0]["note"].is_null() && mentee_view["items"][0]["minutes"].is_null()
    );

    // Mentor and mentee see their match: the other's name and grade, no score.
    let mine = app.get("/api/v1/me/mentoring", Some(&mentee_token)).json();
    let item = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["program"]["id"] == program.as_str())
        .unwrap()
        .clone();
    assert_eq!(item["role"], "mentee");
    let partner = &item["matches"][0]["partner"];
    assert_eq!(partner["student_id"], mentor.0.as_str());
    assert_eq!(partner["grade"], 8);
    assert_eq!(
        partner.as_object().unwrap().len(),
        4,
        "name and grade only: {partner}"
    );
    let seen = app.get(&path, Some(&mentor_token)).json();
    assert!(seen["score"].is_null(), "{seen}");

    // Closing needs a reason and a plausible day; a closed match stays closed.
    app.patch(&path, Some(&token), &json!({"status": "closed"}))
        .invalid_field("closure_reason");
    app.patch(
        &path,
        Some(&token),
        &json!({"status": "closed", "closure_reason": "mismatch", "closed_on": days_ago(21)}),
    )
    .invalid_field("closed_on");
    let r = app.patch(&path, Some(&token), &json!({"status": "closed", "closure_reason": "student_moved", "closure_note": "Family moved to Denver."}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["closure_reason"], "student_moved");
    assert_eq!(r.json()["closed_on"], today().to_string());
    let again = app.patch(
        &path,
        Some(&token),
        &json!({"status": "closed", "closure_reason": "other"}),
    );
    assert_eq!(again.problem(409)["errors"][0]["field"], "status");
    app.patch(&path, Some(&token), &json!({"status": "active"}))
        .problem(409);
    // Students do not learn why it closed.
    let seen = app.get(&path, Some(&mentee_token)).json();
    assert_eq!(seen["status"], "closed");
    assert!(
        seen["closure_reason"].is_null() && seen["closure_note"].is_null(),
        "{seen}"
    );
    // A meeting before the close can still be logged late.
    assert_eq!(
        app.post(&meetings, Some(&mentor_token), &meeting(days_ago(3)))
            .status,
        201
    );
    // The mentee is free again for a new match.
    assert_eq!(open_matches_in(&app, &program), 0);
}

#[test]
fn hard_constraints_are_refused_naming_the_problem_and_nothing_is_half_written() {
    let app = TestApp::spawn();
    let token = app.login(COUNSELOR);
    let program = create_program(
        &app,
        &token,
        json!({"mentor_grades": [8], "mentee_grades": [6], "min_grade_gap": 2}),
    );
    let (g8, g7, g6) = (
        students(&app, MIDDLE, 8),
        students(&app, MIDDLE, 7),
        students(&app, MIDDLE, 6),
    );
    let lakeview = students(&app, HIGH, 9);

    // Enrolment: wrong grade for the role, another school, twice, capacity above the program's.
    enrol(&app, &token, &program, &g7[0].0, json!({"role": "mentor"})).invalid_field("student_id");
    enrol(&app, &token, &program, &g8[0].0, json!({"role": "mentee"})).invalid_field("student_id");
    enrol(
        &app,
        &token,
        &program,
        &lakeview[0].0,
        json!({"role": "mentee"}),
    )
    .invalid_field("student_id");
    enrol(
        &app,
        &token,
        &program,
        &g8[0].0,
        json!({"role": "mentor", "capacity": 3}),
    )
    .invalid_field("capacity");
    enrol(
        &app,
        &token,
        &program,
        &g6[0].0,
        json!({"role": "mentee", "capacity": 1}),
    )
    .invalid_field("capacity");
    enrol(
        &app,
        &token,
        &program,
        &g6[0].0,
        json!({"role": "mentee", "interests": ["juggling"]}),
    )
    .invalid_field("interests[0]");
    enrol(
        &app,
        &token,
        &program,
        &g6[0].0,
        json!({"role": "mentee", "availability": [{"day": "sunday", "period": "lunch"}]}),
    )
    .invalid_field("availability[0].day");
    let (m1, m2) = (&g8[0].0, &g8[1].0);
    let (e1, e2, e3) = (&g6[0].0, &g6[1].0, &g6[2].0);
    assert_eq!(
        enrol(
            &app,
            &token,
            &program,
            m1,
            json!({"role": "mentor", "capacity": 1})
        )
        .status,
        201
    );
    assert_eq!(
        enrol(&app, &token, &program, m2, json!({"role": "mentor"})).status,
        201
    );
    for e in [e1, e2, e3] {
        assert_eq!(
            enrol(&app, &token, &program, e, json!({"role": "mentee"})).status,
            201
        );
    }
    enrol(&app, &token, &program, e1, json!({"role": "mentee"})).problem(409);
    let r = app.post(
        "/api/v1/mentoring/do-not-match",
        Some(&token),
        &json!({"student_a_id": e3, "student_b_id": m2}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    app.post(
        "/api/v1/mentoring/do-not-match",
        Some(&token),
        &json!({"student_a_id": m2, "student_b_id": e3}),
    )
    .problem(409);
    app.post(
        "/api/v1/mentoring/do-not-match",
        Some(&token),
        &json!({"student_a_id": m2, "student_b_id": m2}),
    )
    .invalid_field("student_b_id");

    // A batch with one bad pair writes none of its pairs.
    pair_matches(&app, &token, &program, &[(m2, e1), (m2, e3)], json!({}))
        .invalid_field("matches[1].mentee_id");
    pair_matches(&app, &token, &program, &[(m2, e1), (e2, m1)], json!({}))
        .invalid_field("matches[1].mentor_id");
    pair_matches(&app, &token, &program, &[(m2, e1), (m2, e1)], json!({}))
        .invalid_field("matches[1].mentee_id");
    let over = pair_matches(
        &app,
        &token,
        &program,
        &[(m2, e2), (m1, e1), (m1, e3)],
        json!({}),
    );
    assert_eq!(
        over.problem(409)["errors"][0]["field"],
        "matches[1].mentor_id",
        "capacity 1: {}",
        over.text
    );
    pair_matches(
        &app,
        &token,
        &program,
        &[(m2, e1)],
        json!({"status": "active", "started_on": (today() + TimeDelta::days(1)).to_string()}),
    )
    .invalid_field("started_on");
    pair_matches(
        &app,
        &token,
        &program,
        &[(m2, e1)],
        json!({"status": "active", "started_on": days_ago(200)}),
    )
    .invalid_field("started_on");
    assert_eq!(open_matches_in(&app, &program), 0, "nothing half-written");

    // Then the valid pairs go through, and the constraints hold against what exists.
    assert_eq!(
        pair_matches(&app, &token, &program, &[(m1, e1)], json!({})).status,
        201
    );
    let taken = pair_matches(&app, &token, &program, &[(m2, e1)], json!({}));
    assert_eq!(
        taken.problem(409)["errors"][0]["field"],
        "matches[0].mentee_id"
    );
    let full = pair_matches(&app, &token, &program, &[(m1, e2)], json!({}));
    assert_eq!(
        full.problem(409)["errors"][0]["field"],
        "matches[0].mentor_id"
    );
    assert_eq!(open_matches_in(&app, &program), 1);

    // A program whose dates are over takes no new matches.
    let ended = create_program(
        &app,
        &token,
        json!({"starts_on": days_ago(300), "ends_on": days_ago(10)}),
    );
    assert_eq!(
        enrol(&app, &token, &ended, m1, json!({"role": "mentor"})).status,
        201
    );
    assert_eq!(
        enrol(&app, &token, &ended, e1, json!({"role": "mentee"})).status,
        201
    );
    pair_matches(&app, &token, &ended, &[(m1, e1)], json!({})).problem(409);
    // Impossible program rules.
    let r = app.post(
        "/api/v1/mentoring/programs",
        Some(&token),
        &json!({
        "name": "Backwards", "mentor_grades": [6], "mentee_grades": [8], "mentor_capacity": 2,
        "starts_on": "2026-09-01", "ends_on": "2027-06-01"}),
    );
    r.invalid_field("mentor_grades");
    let r = app.post("/api/v1/mentoring/programs", Some(&token), &json!({
        "name": "Not taught here", "mentor_grades": [11], "mentee_grades": [6], "mentor_capacity": 2,
        "starts_on": "2026-09-01", "ends_on": "2027-06-01"}));
    r.invalid_field("mentor_grades");
}

#[test]
fn capacity_and_one_open_match_per_mentee_hold_under_concurrent_requests() {
    let app = TestApp::spawn();
    let token = app.login(COUNSELOR);
    let program = create_program(
        &app,
        &token,
        json!({"mentor_grades": [8], "mentee_grades": [6], "mentor_capacity": 2}),
    );
    let (g8, g6) = (students(&app, MIDDLE, 8), students(&app, MIDDLE, 6));
    let mentors: Vec<&String> = g8.iter().take(8).map(|s| &s.0).collect();
    let mentees: Vec<&String> = g6.iter().take(9).map(|s| &s.0).collect();
    for m in &mentors {
        assert_eq!(
            enrol(&app, &token, &program, m, json!({"role": "mentor"})).status,
            201
        );
    }
    for e in &mentees {
        assert_eq!(
            enrol(&app, &token, &program, e, json!({"role": "mentee"})).status,
            201
        );
    }
    // Eight mentees at once for one mentor of capacity 2.
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = mentees[..8]
            .iter()
            .map(|e| {
                let (app, token, program, mentor) = (&app, &token, &program, mentors[0]);
                s.spawn(move || pair_matches(app, token, program, &[(mentor, e)], json!({})).status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        2,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 409].contains(s)),
        "{statuses:?}"
    );
    // Seven mentors at once for the one mentee still free.
    let last = mentees[8];
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = mentors[1..]
            .iter()
            .map(|m| {
                let (app, token, program) = (&app, &token, &program);
                s.spawn(move || pair_matches(app, token, program, &[(m, last)], json!({})).status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 409].contains(s)),
        "{statuses:?}"
    );
    let per_mentor: i64 = mentoring_matches::table
        .filter(mentoring_matches::program_id.eq(&program))
        .filter(mentoring_matches::mentor_id.eq(mentors[0]))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(per_mentor, 2);
    assert_eq!(open_matches_in(&app, &program), 3);
}

#[test]
fn each_role_sees_only_its_own_mentoring() {
    let app = TestApp::spawn();
    let counselor = app.login(COUNSELOR);
    let programs = app
        .get("/api/v1/mentoring/programs", Some(&counselor))
        .json();
    assert_eq!(programs["total"], 1, "{programs}");
    let program = programs["items"][0]["id"].as_str().unwrap().to_owned();
    let matches = app
        .get(
            &format!("/api/v1/mentoring/programs/{program}/matches?status=active"),
            Some(&counselor),
        )
        .json();
    let a_match = &matches["items"][0];
    let match_path = format!(
        "/api/v1/mentoring/matches/{}",
        a_match["id"].as_str().unwrap()
    );
    let mentee_name = a_match["mentee"]["student_id"].as_str().unwrap().to_owned();
    let program_path = format!("/api/v1/mentoring/programs/{program}");
    let newcomer = &students(&app, MIDDLE, 6)
        .into_iter()
        .find(|s| {
            !app.get(
                &format!("{program_path}/participants?limit=200"),
                Some(&counselor),
            )
            .json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["student"]["student_id"] == s.0.as_str())
        })
        .unwrap()
        .0;

    // Teachers: nothing of mentoring exists.
    let teacher = app.login(TEACHER);
    app.get("/api/v1/mentoring/programs", Some(&teacher))
        .problem(403);
    app.get(&program_path, Some(&teacher)).problem(404);
    app.get(&format!("{program_path}/suggestions"), Some(&teacher))
        .problem(404);
    app.get(&match_path, Some(&teacher)).problem(404);
    app.get(&format!("{match_path}/meetings"), Some(&teacher))
        .problem(404);
    app.get("/api/v1/mentoring/attention", Some(&teacher))
        .problem(403);
    app.get("/api/v1/me/mentoring", Some(&teacher)).problem(403);
    enrol(
        &app,
        &teacher,
        &program,
        newcomer,
        json!({"role": "mentee"}),
    )
    .problem(404);

    // Another school's counselor, and another district's: not found.
    for outsider in [LAKEVIEW_COUNSELOR, "hp.counselor"] {
        let t = app.login(outsider);
        app.get(&program_path, Some(&t)).problem(404);
        app.get(&match_path, Some(&t)).problem(404);
        app.get(&format!("{program_path}/participants"), Some(&t))
            .problem(404);
        enrol(&app, &t, &program, newcomer, json!({"role": "mentee"})).problem(404);
        app.patch(
            &match_path,
            Some(&t),
            &json!({"status": "closed", "closure_reason": "other"}),
        )
        .problem(404);
        let theirs = app.get("/api/v1/mentoring/programs", Some(&t)).json();
        assert!(theirs["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != program.as_str()));
    }
    let lakeview = app.login(LAKEVIEW_COUNSELOR);
    app.post("/api/v1/mentoring/programs", Some(&lakeview), &json!({
        "school_id": programs["items"][0]["school_id"], "name": "Elsewhere", "mentor_grades": [8],
        "mentee_grades": [6], "mentor_capacity": 1, "starts_on": "2026-09-01", "ends_on": "2027-06-01"}))
        .problem(404);

    // District staff read, but do not run programs.
    let admin = app.login(ADMIN);
    assert_eq!(app.get(&program_path, Some(&admin)).status, 200);
    assert_eq!(app.get(&match_path, Some(&admin)).status, 200);
    assert_eq!(
        app.get("/api/v1/mentoring/programs", Some(&admin)).json()["total"],
        2
    );
    enrol(&app, &admin, &program, newcomer, json!({"role": "mentee"})).problem(403);
    app.patch(
        &match_path,
        Some(&admin),
        &json!({"status": "closed", "closure_reason": "other"}),
    )
    .problem(403);

    // The school administrator runs the school's programs too.
    let principal = app.login(PRINCIPAL);
    assert_eq!(
        enrol(
            &app,
            &principal,
            &program,
            newcomer,
            json!({"role": "mentee"})
        )
        .status,
        201
    );

    // Students: their own match only.
    let mentee_username: String = users::table
        .find(&mentee_name)
        .select(users::username)
        .first(&mut app.conn())
        .unwrap();
    let mentee = app.login(&mentee_username);
    assert_eq!(app.get(&match_path, Some(&mentee)).status, 200);
    app.get("/api/v1/mentoring/programs", Some(&mentee))
        .problem(403);
    app.get(&program_path, Some(&mentee)).problem(404);
    app.patch(
        &match_path,
        Some(&mentee),
        &json!({"status": "closed", "closure_reason": "other"}),
    )
    .problem(403);
    // Any other student (the mentor is an 8th grader): the match does not exist.
    let stranger = students(&app, MIDDLE, 7)
        .into_iter()
        .find(|s| s.0 != mentee_name)
        .unwrap();
    let stranger = app.login(&stranger.1);
    app.get(&match_path, Some(&stranger)).problem(404);
    app.get(&format!("{match_path}/meetings"), Some(&stranger))
        .problem(404);
    app.post(
        &format!("{match_path}/meetings"),
        Some(&stranger),
        &json!({"met_on": days_ago(1), "minutes": 20, "topics": ["other"]}),
    )
    .problem(404);
}

/// A match of the attention fixture: name, started days ago, meetings (days ago), and the
/// close (days ago, reason).
type Planned = (
    &'static str,
    i64,
    &'static [i64],
    Option<(i64, &'static str)>,
);

#[test]
fn the_attention_list_orders_matches_by_urgency_on_known_dates() {
    let app = TestApp::spawn();
    let token = app.login(COUNSELOR);
    let program = create_program(
        &app,
        &token,
        json!({"mentor_grades": [8], "mentee_grades": [6], "mentor_capacity": 1}),
    );
    let (g8, g6) = (students(&app, MIDDLE, 8), students(&app, MIDDLE, 6));
    let mut ids = HashMap::new();
    // name: (started days ago, meetings days ago, closed (days ago, reason))
    let plan: [Planned; 6] = [
        ("steady", 70, &[68, 60, 35, 5], None),
        ("stalled", 70, &[68], None),
        ("quiet", 45, &[44, 30], None),
        ("unsafe", 50, &[45], Some((10, "safety_concern"))),
        ("mismatched", 40, &[38], Some((5, "mismatch"))),
        ("finished", 60, &[55, 40], Some((3, "program_ended"))),
    ];
    for (i, (name, started, meetings, closed)) in plan.iter().enumerate() {
        let (m, e) = (&g8[10 + i].0, &g6[10 + i].0);
        assert_eq!(
            enrol(&app, &token, &program, m, json!({"role": "mentor"})).status,
            201
        );
        assert_eq!(
            enrol(&app, &token, &program, e, json!({"role": "mentee"})).status,
            201
        );
        let r = pair_matches(
            &app,
            &token,
            &program,
            &[(m, e)],
            json!({"status": "active", "started_on": days_ago(*started)}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.json()["items"][0]["id"].as_str().unwrap().to_owned();
        for d in *meetings {
            let r = app.post(
                &format!("/api/v1/mentoring/matches/{id}/meetings"),
                Some(&token),
                &json!({"met_on": days_ago(*d), "minutes": 30, "topics": ["communication"]}),
            );
            assert_eq!(r.status, 201, "{}", r.text);
        }
        if let Some((d, reason)) = closed {
            let r = app.patch(
                &format!("/api/v1/mentoring/matches/{id}"),
                Some(&token),
                &json!({"status": "closed", "closed_on": days_ago(*d), "closure_reason": reason}),
            );
            assert_eq!(r.status, 200, "{}", r.text);
        }
        ids.insert(id, *name);
    }
    let list = app.get("/api/v1/mentoring/attention", Some(&token)).json();
    let ours: Vec<(&str, Vec<String>)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["program_id"] == program.as_str())
        .map(|i| {
            (
                ids[i["match_id"].as_str().unwrap()],
                i["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        ours,
        vec![
            ("unsafe", vec!["closed_early".to_owned()]),
            (
                "stalled",
                vec!["behind_cadence".to_owned(), "no_recent_meeting".to_owned()]
            ),
            ("quiet", vec!["no_recent_meeting".to_owned()]),
            ("mismatched", vec!["closed_early".to_owned()]),
        ]
    );
    // The demo program has exactly one overdue active match.
    let demo_overdue = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["program_id"] != program.as_str() && i["status"] == "active")
        .count();
    assert_eq!(demo_overdue, 1, "{list:#}");

    // The program's numbers: steady, stalled and quiet are active; two of them on cadence.
    let detail = app
        .get(
            &format!("/api/v1/mentoring/programs/{program}"),
            Some(&token),
        )
        .json();
    let n = &detail["numbers"];
    assert_eq!(n["active_matches"], 3, "{detail:#}");
    assert!(
        (n["on_cadence_share"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9,
        "{n}"
    );
    assert_eq!(n["students_served"], 12);
    assert_eq!(n["mentees_served"], 6);
    // Meetings per 30 days of match time, over each match's days up to today or its close.
    let match_days: i64 = [71, 71, 46, 41, 36, 58].iter().sum();
    let meetings = 4 + 1 + 2 + 1 + 1 + 2;
    let expected = meetings as f64 * 30.0 / match_days as f64;
    assert!(
        (n["meetings_per_match_month"].as_f64().unwrap() - expected).abs() < 1e-9,
        "{n}"
    );
    // District staff get the district's list; a teacher none.
    let admin = app.login(ADMIN);
    let all = app.get("/api/v1/mentoring/attention", Some(&admin)).json();
    assert!(all["items"].as_array().unwrap().len() > list["items"].as_array().unwrap().len());
}

#[test]
fn a_pair_closed_for_a_safety_concern_is_never_paired_again() {
    let app = TestApp::spawn();
    let token = app.login(COUNSELOR);
    let program = create_program(
        &app,
        &token,
        json!({"mentor_grades": [8], "mentee_grades": [6]}),
    );
    let (mentor, mentee) = (
        &students(&app, MIDDLE, 8)[20].0,
        &students(&app, MIDDLE, 6)[20].0,
    );
    assert_eq!(
        enrol(&app, &token, &program, mentor, json!({"role": "mentor"})).status,
        201
    );
    assert_eq!(
        enrol(&app, &token, &program, mentee, json!({"role": "mentee"})).status,
        201
    );
    let r = pair_matches(
        &app,
        &token,
        &program,
        &[(mentor, mentee)],
        json!({"status": "active", "started_on": days_ago(10)}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["items"][0]["id"].as_str().unwrap().to_owned();
    let r = app.patch(
        &format!("/api/v1/mentoring/matches/{id}"),
        Some(&token),
        &json!({"status": "closed", "closure_reason": "safety_concern"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let suggested = app
        .get(
            &format!("/api/v1/mentoring/programs/{program}/suggestions"),
            Some(&token),
        )
        .json();
    assert_eq!(suggested["pairs"], json!([]), "{suggested}");
    assert_eq!(
        suggested["unmatched_mentees"][0]["reason"],
        "no_eligible_mentor"
    );
    pair_matches(&app, &token, &program, &[(mentor, mentee)], json!({}))
        .invalid_field("matches[0].mentee_id");
    assert_eq!(open_matches_in(&app, &program), 0);
}

#[test]
fn meeting_notes_reach_only_the_people_they_are_for() {
    let app = TestApp::spawn();
    let token = app.login(COUNSELOR);
    let program = create_program(&app, &token, json!({}));
    let (mentor, mentee) = (&students(&app, MIDDLE, 8)[5], &students(&app, MIDDLE, 6)[6]);
    for (student, role) in [(&mentor.0, "mentor"), (&mentee.0, "mentee")] {
        assert_eq!(
            enrol(&app, &token, &program, student, json!({ "role": role })).status,
            201
        );
    }
    let r = pair_matches(&app, &token, &program, &[(&mentor.0, &mentee.0)], json!({}));
    assert_eq!(r.status, 201, "{}", r.text);
    let path = format!(
        "/api/v1/mentoring/matches/{}",
        r.json()["items"][0]["id"].as_str().unwrap()
    );
    let started = json!({"status": "active", "started_on": days_ago(20)});
    assert_eq!(app.patch(&path, Some(&token), &started).status, 200);
    let meetings = format!("{path}/meetings");
    let mentor_token = app.login(&mentor.1);
    let mentee_token = app.login(&mentee.1);
    let log = |token: &str, day: i64, note: &str| {
        let body = json!({"met_on": days_ago(day), "minutes": 20, "topics": ["friendships"], "note": note});
        let r = app.post(&meetings, Some(token), &body);
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()
    };
    let by_mentor = log(&mentor_token, 10, "We practised naming feelings.");
    assert_eq!(
        by_mentor["note"], "We practised naming feelings.",
        "the mentor reads back their own note"
    );
    log(&token, 5, "Mentee disclosed trouble at home; follow up.");
    let notes = |token: &str| -> Vec<Value> {
        let r = app.get(&meetings, Some(token));
        assert_eq!(r.status, 200, "{}", r.text);
        let list = r.json();
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "every role sees both meetings");
        items.iter().map(|m| m["note"].clone()).collect()
    };
    // Newest first: the counselor's meeting, then the mentor's.
    let both = vec![
        json!("Mentee disclosed trouble at home; follow up."),
        json!("We practised naming feelings."),
    ];
    assert_eq!(notes(&token), both, "the counselor");
    assert_eq!(
        notes(&app.login(PRINCIPAL)),
        both,
        "the school administrator"
    );
    assert_eq!(notes(&app.login(ADMIN)), both, "the district administrator");
    assert_eq!(
        notes(&mentor_token),
        vec![Value::Null, json!("We practised naming feelings.")],
        "the mentor reads their own note, not the counselor's"
    );
    assert_eq!(
        notes(&mentee_token),
        vec![Value::Null, Value::Null],
        "the mentee reads no note"
    );
    // A student who is neither gets nothing at all.
    let other = app.login(&students(&app, MIDDLE, 8)[7].1);
    app.get(&meetings, Some(&other)).problem(404);
}
