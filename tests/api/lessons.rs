//! The lesson library, assignments, completions with reflections, and progress numbers
//! (the lesson issue; where lessons sit in the code: docs/ARCHITECTURE.md, "Layers").
//!
//! Every test asserts the status, the body, and what the database holds afterwards. Expected
//! numbers are computed by hand from fixtures each test builds through the API; the demo data
//! is used only for people and classes (and, for search oracles, read back through the API).

use std::collections::{BTreeMap, BTreeSet};

use crate::helpers::*;
use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;
use securebase::db::schema::{
    assignments, enrollments, lesson_completions, lesson_plan_versions, lesson_plans, terms, users,
};
use securebase::db::DbConnection;
use securebase::lessons::models::{AssignmentRow, CompletionRow, PlanRow, VersionRow};
use securebase::seed::district_id;
use serde_json::{json, Value};

const API: &str = "/api/v1";

/// The CASEL competencies, components and grade bands of the lesson issue, and the emotion vocabulary
/// of src/lessons/vocab.rs, as the API spells them.
const COMPETENCIES: &[&str] = &[
    "self_awareness",
    "self_management",
    "social_awareness",
    "relationship_skills",
    "responsible_decision_making",
];
const COMPONENTS: &[&str] = &[
    "attachment_trust",
    "emotional_regulation",
    "safe_communication",
];
const GRADE_BANDS: &[&str] = &["K-2", "3-5", "6-8", "9-12"];
const EMOTIONS: &[&str] = &[
    "calm",
    "happy",
    "proud",
    "hopeful",
    "curious",
    "tired",
    "worried",
    "sad",
    "angry",
    "frustrated",
    "overwhelmed",
    "lonely",
];

/// Fall 2026, the term of every demo class.
const FALL_STARTS: &str = "2026-08-17";
const FALL_ENDS: &str = "2026-12-18";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn expect(r: Resp, status: u16, what: &str) -> Value {
    assert_eq!(r.status, status, "{what}: {}", r.text);
    if r.text.is_empty() {
        Value::Null
    } else {
        r.json()
    }
}

fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn fall_term(conn: &mut DbConnection) -> String {
    terms::table
        .filter(terms::district_id.eq(demo_district()))
        .filter(terms::name.eq("Fall 2026"))
        .select(terms::id)
        .first(conn)
        .unwrap()
}

/// Usernames of the students actively enrolled in a class, by username.
fn enrolled_usernames(conn: &mut DbConnection, class: &str) -> Vec<String> {
    enrollments::table
        .inner_join(users::table.on(users::id.eq(enrollments::student_id)))
        .filter(enrollments::class_id.eq(class))
        .filter(enrollments::active.eq(true))
        .order(users::username)
        .select(users::username)
        .load(conn)
        .unwrap()
}

fn plan_row(conn: &mut DbConnection, id: &str) -> PlanRow {
    lesson_plans::table
        .find(id)
        .select(PlanRow::as_select())
        .first(conn)
        .unwrap()
}

fn version_rows(conn: &mut DbConnection, plan: &str) -> Vec<VersionRow> {
    lesson_plan_versions::table
        .filter(lesson_plan_versions::plan_id.eq(plan))
        .order(lesson_plan_versions::version)
        .select(VersionRow::as_select())
        .load(conn)
        .unwrap()
}

fn assignment_row(conn: &mut DbConnection, id: &str) -> AssignmentRow {
    assignments::table
        .find(id)
        .select(AssignmentRow::as_select())
        .first(conn)
        .unwrap()
}

fn completion_rows(conn: &mut DbConnection, assignment: &str) -> Vec<CompletionRow> {
    lesson_completions::table
        .filter(lesson_completions::assignment_id.eq(assignment))
        .order(lesson_completions::student_id)
        .select(CompletionRow::as_select())
        .load(conn)
        .unwrap()
}

fn count_plans(conn: &mut DbConnection) -> i64 {
    lesson_plans::table.count().get_result(conn).unwrap()
}

fn count_assignments(conn: &mut DbConnection) -> i64 {
    assignments::table.count().get_result(conn).unwrap()
}

fn count_completions(conn: &mut DbConnection) -> i64 {
    lesson_completions::table.count().get_result(conn).unwrap()
}

/// Everything the lesson tables hold, for "nothing changed" checks.
fn lesson_tables(conn: &mut DbConnection) -> String {
    let plans: Vec<PlanRow> = lesson_plans::table
        .order(lesson_plans::id)
        .select(PlanRow::as_select())
        .load(conn)
        .unwrap();
    let versions: Vec<VersionRow> = lesson_plan_versions::table
        .order(lesson_plan_versions::id)
        .select(VersionRow::as_select())
        .load(conn)
        .unwrap();
    let assigned: Vec<AssignmentRow> = assignments::table
        .order(assignments::id)
        .select(AssignmentRow::as_select())
        .load(conn)
        .unwrap();
    let completed: Vec<CompletionRow> = lesson_completions::table
        .order((
            lesson_completions::assignment_id,
            lesson_completions::student_id,
        ))
        .select(CompletionRow::as_select())
        .load(conn)
        .unwrap();
    format!("{plans:?}\n{versions:?}\n{assigned:?}\n{completed:?}")
}

/// A plan body whose steps have these minutes (the duration is their sum).
fn plan_body(title: &str, competency: &str, component: &str, band: &str, minutes: &[i32]) -> Value {
    let steps: Vec<Value> = minutes
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({"title": format!("Step {}", i + 1), "minutes": m, "instructions": format!("Do part {} of {title}.", i + 1)})
        })
        .collect();
    json!({
        "title": title,
        "summary": format!("Summary of {title}."),
        "competency": competency,
        "component": component,
        "grade_band": band,
        "duration_minutes": minutes.iter().sum::<i32>(),
        "objectives": [format!("Practise {title}")],
        "materials": ["Paper", "Pencils"],
        "steps": steps,
        "reflection_prompt": "How do you feel after this lesson?",
    })
}

fn create_plan(app: &TestApp, token: &str, body: &Value) -> Value {
    expect(
        app.post(&format!("{API}/lesson-plans"), Some(token), body),
        201,
        "create plan",
    )
}

fn publish(app: &TestApp, token: &str, plan: &str) -> Resp {
    app.post(
        &format!("{API}/lesson-plans/{plan}/publish"),
        Some(token),
        &json!(null),
    )
}

/// Creates and publishes a plan; returns its id.
fn published_plan(app: &TestApp, token: &str, body: &Value) -> String {
    let id = str_of(&create_plan(app, token, body)["id"]);
    expect(publish(app, token, &id), 200, "publish");
    id
}

fn assign(app: &TestApp, token: &str, class: &str, body: &Value) -> Resp {
    app.post(
        &format!("{API}/classes/{class}/assignments"),
        Some(token),
        body,
    )
}

fn assigned(app: &TestApp, token: &str, class: &str, plan: &str, scheduled: &str) -> Value {
    expect(
        assign(
            app,
            token,
            class,
            &json!({"plan_id": plan, "scheduled_on": scheduled}),
        ),
        201,
        "assign",
    )
}

fn complete(app: &TestApp, token: &str, assignment: &str, body: &Value) -> Resp {
    app.send(
        "PUT",
        &format!("{API}/assignments/{assignment}/completion"),
        Some(token),
        body,
    )
}

/// All pages of a search, with the total it reported.
fn search(app: &TestApp, token: &str, query: &str) -> (Vec<Value>, i64) {
    let sep = if query.is_empty() { "" } else { "&" };
    let r = app.get(
        &format!("{API}/lesson-plans?limit=200{sep}{query}"),
        Some(token),
    );
    let body = expect(r, 200, &format!("search {query}"));
    let items = body["items"].as_array().unwrap().clone();
    let total = body["total"].as_i64().unwrap();
    assert!(total <= 200, "more than one page: {total}");
    assert_eq!(items.len() as i64, total, "search {query}");
    (items, total)
}

fn plan_ids(items: &[Value]) -> BTreeSet<String> {
    items.iter().map(|i| str_of(&i["plan_id"])).collect()
}

/// Asserts a 422 naming `field` and returns that field's message.
fn invalid_message(r: &Resp, field: &str) -> String {
    let body = r.invalid_field(field);
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == field)
        .map(|e| str_of(&e["message"]))
        .unwrap()
}

/// Asserts a 422 naming `field` whose message lists every allowed value.
fn assert_lists_allowed(r: &Resp, field: &str, allowed: &[&str]) {
    let message = invalid_message(r, field);
    for value in allowed {
        assert!(
            message.contains(&format!("`{value}`")),
            "the message on {field} lists {value}: {message}"
        );
    }
}

fn assert_rate(value: &Value, expected: Option<f64>, what: &str) {
    match expected {
        None => assert!(value.is_null(), "{what}: expected null, got {value}"),
        Some(x) => {
            let got = value
                .as_f64()
                .unwrap_or_else(|| panic!("{what}: not a number: {value}"));
            assert!((got - x).abs() < 1e-9, "{what}: expected {x}, got {got}");
        }
    }
}

/// (name, assignment id, completed, completion rate, emotion counts)
type ExpectedProgress<'a> = (&'a str, &'a String, i64, f64, &'a [(&'a str, i64)]);

fn emotions(progress: &Value) -> BTreeMap<String, i64> {
    progress["emotions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (str_of(&e["emotion"]), e["count"].as_i64().unwrap()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The library: who sees and edits which plan
// ---------------------------------------------------------------------------------------------

#[test]
fn library_visibility_follows_role_and_scope() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let riverbend = school_id(&mut conn, MIDDLE);
    let admin = app.login("denise.whitfield");
    let principal = app.login("gregory.tan"); // Riverbend school administrator
    let counselor = app.login("daniel.kim"); // Riverbend counselor
    let samuel = app.login("samuel.ortega"); // Riverbend teacher
    let jamal = app.login("jamal.carter"); // Riverbend teacher
    let kwabena = app.login("kwabena.asante"); // Lakeview teacher
    let harbor = app.login("hp.teacher"); // another district
    let student = app.login("andreg197"); // Riverbend student

    // One plan at each level, written as drafts.
    let d = create_plan(
        &app,
        &admin,
        &plan_body(
            "Zephyr District Plan",
            "responsible_decision_making",
            "attachment_trust",
            "6-8",
            &[10, 15],
        ),
    );
    let s = create_plan(
        &app,
        &counselor,
        &plan_body(
            "Zephyr School Plan",
            "social_awareness",
            "safe_communication",
            "6-8",
            &[20],
        ),
    );
    let p = create_plan(
        &app,
        &samuel,
        &plan_body(
            "Zephyr Private Plan",
            "self_management",
            "emotional_regulation",
            "6-8",
            &[5, 5, 5],
        ),
    );
    let (d_id, s_id, p_id) = (str_of(&d["id"]), str_of(&s["id"]), str_of(&p["id"]));
    for (plan, level, author) in [
        (&d, "district", "denise.whitfield"),
        (&s, "school", "daniel.kim"),
        (&p, "private", "samuel.ortega"),
    ] {
        assert_eq!(plan["owner_level"], level, "{plan}");
        assert_eq!(plan["created_by"], user_id(&mut conn, author), "{plan}");
        assert_eq!(plan["editable"], true, "{plan}");
        assert_eq!(plan["archived"], false, "{plan}");
        assert!(plan["published"].is_null(), "a new plan is a draft: {plan}");
        assert_eq!(plan["draft"]["version"], 1, "{plan}");
        assert_eq!(plan["draft"]["status"], "draft", "{plan}");
        let id = str_of(&plan["id"]);
        let row = plan_row(&mut conn, &id);
        assert_eq!(row.owner_level.as_str(), level);
        assert_eq!(row.latest_version, None, "nothing published yet");
        let versions = version_rows(&mut conn, &id);
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].status.as_str(), "draft");
        assert_eq!(versions[0].published_at, None);
    }
    assert_eq!(
        d["school_id"],
        Value::Null,
        "district plans belong to no school"
    );
    assert_eq!(s["school_id"], riverbend.as_str());
    assert_eq!(
        plan_row(&mut conn, &s_id).school_id.as_deref(),
        Some(riverbend.as_str())
    );

    // Students have no library: they read lessons through their assignments.
    let plans_before = count_plans(&mut conn);
    app.post(
        &format!("{API}/lesson-plans"),
        Some(&student),
        &plan_body(
            "Student Plan",
            "self_awareness",
            "emotional_regulation",
            "6-8",
            &[10],
        ),
    )
    .problem(403);
    assert_eq!(
        count_plans(&mut conn),
        plans_before,
        "the student wrote nothing"
    );
    app.get(&format!("{API}/lesson-plans"), Some(&student))
        .problem(403);
    app.get(&format!("{API}/lesson-plans/{d_id}"), Some(&student))
        .problem(403);
    app.get(&format!("{API}/lesson-plans"), None).problem(401);

    // Drafts: only those who may edit a plan see it.
    let get = |token: &str, id: &str| app.get(&format!("{API}/lesson-plans/{id}"), Some(token));
    #[rustfmt::skip]
    let draft_reads: &[(&str, &str, &str, u16)] = &[
        ("admin", &admin, &d_id, 200), ("samuel", &samuel, &d_id, 404), ("principal", &principal, &d_id, 404),
        ("counselor", &counselor, &s_id, 200), ("principal", &principal, &s_id, 200),
        ("jamal", &jamal, &s_id, 404), ("admin", &admin, &s_id, 404), ("kwabena", &kwabena, &s_id, 404),
        ("samuel", &samuel, &p_id, 200), ("jamal", &jamal, &p_id, 404), ("admin", &admin, &p_id, 404),
        ("counselor", &counselor, &p_id, 404), ("harbor", &harbor, &d_id, 404),
    ];
    for (who, token, id, status) in draft_reads {
        let r = get(token, id);
        if *status == 200 {
            let body = expect(r, 200, &format!("{who} reads draft {id}"));
            assert_eq!(body["editable"], true, "{who}: {body}");
            assert_eq!(body["draft"]["version"], 1, "{who}: {body}");
        } else {
            r.problem(*status);
        }
    }
    // Drafts are not in the library, not even for their authors; status=draft lists the
    // drafts one may edit.
    let ours: BTreeSet<String> = [&d_id, &s_id, &p_id].into_iter().cloned().collect();
    for token in [&admin, &counselor, &samuel] {
        let (items, _) = search(&app, token, "");
        assert!(
            plan_ids(&items).is_disjoint(&ours),
            "drafts are not published"
        );
    }
    #[rustfmt::skip]
    let drafts: &[(&str, &str, &[&String])] = &[
        ("admin", &admin, &[&d_id]),
        ("counselor", &counselor, &[&s_id]),
        ("principal", &principal, &[&s_id]),
        ("samuel", &samuel, &[&p_id]),
        ("jamal", &jamal, &[]),
        ("kwabena", &kwabena, &[]),
        ("harbor", &harbor, &[]),
    ];
    for (who, token, expected) in drafts {
        let (items, _) = search(&app, token, "status=draft");
        let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(plan_ids(&items), expected, "{who}'s drafts");
        assert!(
            items.iter().all(|i| i["status"] == "draft"),
            "{who}: {items:?}"
        );
    }

    // Publishing: only owners; others get 404 while they cannot see the plan.
    let before = lesson_tables(&mut conn);
    publish(&app, &samuel, &d_id).problem(404);
    publish(&app, &jamal, &s_id).problem(404);
    publish(&app, &jamal, &p_id).problem(404);
    publish(&app, &harbor, &d_id).problem(404);
    assert_eq!(
        lesson_tables(&mut conn),
        before,
        "refused publishes wrote nothing"
    );
    for (token, id) in [(&admin, &d_id), (&counselor, &s_id), (&samuel, &p_id)] {
        let body = expect(publish(&app, token, id), 200, "publish");
        assert_eq!(body["published"]["version"], 1, "{body}");
        assert_eq!(body["published"]["status"], "published", "{body}");
        assert!(body["published"]["published_at"].is_string(), "{body}");
        assert!(body["draft"].is_null(), "{body}");
        assert_eq!(plan_row(&mut conn, id).latest_version, Some(1));
        let versions = version_rows(&mut conn, id);
        assert_eq!(
            versions.len(),
            1,
            "publishing freezes the draft, it adds no row"
        );
        assert_eq!(versions[0].status.as_str(), "published");
        assert!(versions[0].published_at.is_some());
    }

    // The published library per caller: the district's plans, the own school's, the own.
    let district_plans: i64 = lesson_plans::table
        .filter(lesson_plans::district_id.eq(demo_district()))
        .filter(lesson_plans::owner_level.eq("district"))
        .filter(lesson_plans::latest_version.is_not_null())
        .filter(lesson_plans::archived.eq(false))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let harbor_plans: i64 = lesson_plans::table
        .filter(lesson_plans::district_id.eq(district_id(OTHER_DISTRICT)))
        .filter(lesson_plans::latest_version.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert!(harbor_plans > 0, "Harbor Point has its own starter library");
    #[rustfmt::skip]
    let published: &[(&str, &str, [bool; 3], i64)] = &[
        //                        sees D, S, P                 total
        ("admin",     &admin,     [true, true, false],  district_plans + 1),
        ("principal", &principal, [true, true, false],  district_plans + 1),
        ("counselor", &counselor, [true, true, false],  district_plans + 1),
        ("samuel",    &samuel,    [true, true, true],   district_plans + 2),
        ("jamal",     &jamal,     [true, true, false],  district_plans + 1),
        ("kwabena",   &kwabena,   [true, false, false], district_plans),
        ("harbor",    &harbor,    [false, false, false], harbor_plans),
    ];
    for (who, token, sees, total) in published {
        let (items, reported) = search(&app, token, "");
        assert_eq!(reported, *total, "{who}'s library size");
        let ids = plan_ids(&items);
        for ((id, name), visible) in [(&d_id, "D"), (&s_id, "S"), (&p_id, "P")]
            .into_iter()
            .zip(sees)
        {
            assert_eq!(
                ids.contains(id),
                *visible,
                "{who} sees {name} in search: {visible}"
            );
            let r = get(token, id);
            if *visible {
                let body = expect(r, 200, &format!("{who} reads {name}"));
                assert_eq!(body["published"]["version"], 1);
            } else {
                r.problem(404);
            }
        }
        assert!(
            items.iter().all(|i| i["status"] == "published"
                && i["archived"] == false
                && i["version"].is_i64()),
            "{who}: {items:?}"
        );
        if *who != "samuel" {
            assert!(
                items.iter().all(|i| i["owner_level"] != "private"),
                "{who} sees no private plan"
            );
        }
    }

    // Editing: owners only. Readers who may not edit get 403, others 404; nothing is written.
    let before = lesson_tables(&mut conn);
    let rename = json!({"title": "Renamed"});
    let patch = |token: &str, id: &str| {
        app.patch(&format!("{API}/lesson-plans/{id}"), Some(token), &rename)
    };
    patch(&principal, &d_id).problem(403);
    patch(&samuel, &d_id).problem(403);
    patch(&counselor, &d_id).problem(403);
    patch(&jamal, &s_id).problem(403);
    patch(&admin, &s_id).problem(403);
    patch(&kwabena, &s_id).problem(404);
    patch(&admin, &p_id).problem(404);
    patch(&jamal, &p_id).problem(404);
    patch(&harbor, &d_id).problem(404);
    publish(&app, &samuel, &d_id).problem(403);
    publish(&app, &jamal, &s_id).problem(403);
    assert_eq!(
        lesson_tables(&mut conn),
        before,
        "refused edits wrote nothing"
    );

    // The school's administrator edits the counselor's school plan: a new draft, which other
    // readers never see.
    let edited = expect(
        patch(&principal, &s_id),
        200,
        "principal edits the school plan",
    );
    assert_eq!(edited["draft"]["version"], 2, "{edited}");
    assert_eq!(edited["draft"]["title"], "Renamed");
    assert_eq!(edited["published"]["title"], "Zephyr School Plan");
    for (who, token) in [("samuel", &samuel), ("jamal", &jamal), ("admin", &admin)] {
        let body = expect(get(token, &s_id), 200, who);
        assert_eq!(body["editable"], false, "{who}: {body}");
        assert!(
            body["draft"].is_null(),
            "{who} does not see the draft: {body}"
        );
        assert_eq!(body["published"]["title"], "Zephyr School Plan");
    }
    let body = expect(get(&samuel, &d_id), 200, "samuel reads D");
    assert_eq!(body["editable"], false);
    let body = expect(get(&counselor, &s_id), 200, "counselor reads S");
    assert_eq!(body["editable"], true);
    assert_eq!(body["draft"]["title"], "Renamed");
    let (items, _) = search(&app, &jamal, "q=zephyr");
    let titles: BTreeSet<String> = items.iter().map(|i| str_of(&i["title"])).collect();
    assert_eq!(
        titles,
        ["Zephyr District Plan", "Zephyr School Plan"]
            .map(String::from)
            .into(),
        "search shows the published version, not the draft"
    );
}

#[test]
fn search_filters_words_and_pagination() {
    let app = TestApp::spawn();
    let samuel = app.login("samuel.ortega");
    // Two private plans with known attributes beside the district library.
    let zephyr = published_plan(
        &app,
        &samuel,
        &plan_body(
            "Zephyr Élan: 100% Effort",
            "relationship_skills",
            "safe_communication",
            "9-12",
            &[30, 30, 30],
        ),
    );
    let quiet = published_plan(
        &app,
        &samuel,
        &plan_body(
            "Quiet Corner Zephyr",
            "self_management",
            "attachment_trust",
            "K-2",
            &[7],
        ),
    );

    // The oracle: the unfiltered library, read back through the API.
    let (all, total) = search(&app, &samuel, "");
    assert!(total >= 10, "the district library is there: {total}");
    let expect_filtered = |query: &str, keep: &dyn Fn(&Value) -> bool| {
        let (items, _) = search(&app, &samuel, query);
        let expected: BTreeSet<String> = all
            .iter()
            .filter(|i| keep(i))
            .map(|i| str_of(&i["plan_id"]))
            .collect();
        assert_eq!(plan_ids(&items), expected, "filter {query}");
        items
    };
    for c in COMPETENCIES {
        expect_filtered(&format!("competency={c}"), &|i| i["competency"] == *c);
    }
    for c in COMPONENTS {
        expect_filtered(&format!("component={c}"), &|i| i["component"] == *c);
    }
    for b in GRADE_BANDS {
        let encoded = b.replace('-', "%2D");
        expect_filtered(&format!("grade_band={encoded}"), &|i| i["grade_band"] == *b);
    }
    for m in [7, 20, 30, 90] {
        expect_filtered(&format!("max_duration={m}"), &|i| {
            i["duration_minutes"].as_i64().unwrap() <= m
        });
    }
    expect_filtered("owner=private", &|i| i["owner_level"] == "private");
    expect_filtered("owner=district", &|i| i["owner_level"] == "district");
    expect_filtered(
        "competency=self_management&grade_band=K-2&max_duration=7",
        &|i| {
            i["competency"] == "self_management"
                && i["grade_band"] == "K-2"
                && i["duration_minutes"].as_i64().unwrap() <= 7
        },
    );
    let filtered = expect_filtered(
        "competency=relationship_skills&component=safe_communication&grade_band=9-12&owner=private",
        &|i| i["plan_id"] == zephyr.as_str(),
    );
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0]["duration_minutes"], 90);
    assert_eq!(filtered[0]["version"], 1);

    // Words: every word must appear (title, summary or objectives), in any case, including
    // non-ASCII letters; LIKE wildcards are taken literally.
    let words = |q: &str| plan_ids(&search(&app, &samuel, &format!("q={q}")).0);
    let both: BTreeSet<String> = [zephyr.clone(), quiet.clone()].into();
    assert_eq!(words("zephyr"), both);
    assert_eq!(words("ZEPHYR"), both);
    assert_eq!(words("zephyr%20corner"), [quiet.clone()].into());
    assert_eq!(
        words("corner%20zephyr"),
        [quiet.clone()].into(),
        "word order does not matter"
    );
    assert_eq!(
        words("%C3%89LAN"),
        [zephyr.clone()].into(),
        "ÉLAN matches élan"
    );
    assert_eq!(words("100%25"), [zephyr.clone()].into());
    assert_eq!(words("zephyr%25"), BTreeSet::new(), "% is not a wildcard");
    assert_eq!(words("zeph_r"), BTreeSet::new(), "_ is not a wildcard");
    assert_eq!(words("zephyr%20nowhere"), BTreeSet::new());

    // Pages: stable, disjoint, and together the whole list.
    let mut seen = Vec::new();
    let mut page = 1;
    loop {
        let r = app.get(
            &format!("{API}/lesson-plans?limit=4&page={page}"),
            Some(&samuel),
        );
        let body = expect(r, 200, "page");
        assert_eq!(body["total"], total);
        assert_eq!(body["limit"], 4);
        assert_eq!(body["page"], page);
        let items = body["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        assert!(items.len() <= 4);
        seen.extend(items.iter().map(|i| str_of(&i["plan_id"])));
        page += 1;
    }
    let unpaged: Vec<String> = all.iter().map(|i| str_of(&i["plan_id"])).collect();
    assert_eq!(seen, unpaged, "pages follow the one stable order");
    let again: Vec<String> = search(&app, &samuel, "")
        .0
        .iter()
        .map(|i| str_of(&i["plan_id"]))
        .collect();
    assert_eq!(again, unpaged, "the order is stable across requests");
}

// ---------------------------------------------------------------------------------------------
// Versions: publishing freezes a version; assignments pin it
// ---------------------------------------------------------------------------------------------

#[test]
fn editing_a_published_plan_never_changes_an_existing_assignment() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let class = class_id(&mut conn, "Health & Wellness 7");
    let samuel = app.login("samuel.ortega");
    let andre = app.login("andreg197");

    let plan = published_plan(
        &app,
        &samuel,
        &plan_body(
            "Pinned Breathing",
            "self_management",
            "emotional_regulation",
            "6-8",
            &[5, 10],
        ),
    );
    let v1 = version_rows(&mut conn, &plan).remove(0);
    let v1_snapshot = format!("{v1:?}");
    let first = assigned(&app, &samuel, &class, &plan, "2026-12-01");
    let first_id = str_of(&first["id"]);
    assert_eq!(first["plan_version"], 1);
    assert_eq!(first["plan_version_id"], v1.id.as_str());
    assert_eq!(first["title"], "Pinned Breathing");
    assert_eq!(first["duration_minutes"], 15);
    assert_eq!(first["status"], "scheduled");
    assert_eq!(first["class_id"], class.as_str());
    assert_eq!(first["assigned_by"], user_id(&mut conn, "samuel.ortega"));
    assert_eq!(assignment_row(&mut conn, &first_id).plan_version_id, v1.id);

    // Editing the published plan starts draft version 2; version 1 does not change.
    let v2_body = plan_body(
        "Pinned Breathing, Revised",
        "self_management",
        "emotional_regulation",
        "6-8",
        &[5, 10, 10],
    );
    let edited = expect(
        app.patch(
            &format!("{API}/lesson-plans/{plan}"),
            Some(&samuel),
            &json!({
                "title": v2_body["title"], "duration_minutes": 25, "steps": v2_body["steps"],
            }),
        ),
        200,
        "edit published plan",
    );
    assert_eq!(edited["published"]["version"], 1);
    assert_eq!(edited["published"]["title"], "Pinned Breathing");
    assert_eq!(edited["draft"]["version"], 2);
    assert_eq!(edited["draft"]["status"], "draft");
    assert_eq!(edited["draft"]["title"], "Pinned Breathing, Revised");
    assert_eq!(edited["draft"]["duration_minutes"], 25);
    assert_eq!(
        edited["draft"]["summary"], "Summary of Pinned Breathing.",
        "unchanged fields carry over"
    );
    let versions = version_rows(&mut conn, &plan);
    assert_eq!(versions.len(), 2);
    assert_eq!(
        format!("{:?}", versions[0]),
        v1_snapshot,
        "version 1 is immutable"
    );
    assert_eq!(versions[1].status.as_str(), "draft");
    assert_eq!(plan_row(&mut conn, &plan).latest_version, Some(1));

    // The assignment still teaches version 1, for the teacher and for the student.
    for (who, token) in [("teacher", &samuel), ("student", &andre)] {
        let detail = expect(
            app.get(&format!("{API}/assignments/{first_id}"), Some(token)),
            200,
            who,
        );
        assert_eq!(detail["plan_version"], 1, "{who}");
        assert_eq!(detail["title"], "Pinned Breathing", "{who}");
        assert_eq!(detail["duration_minutes"], 15, "{who}");
        assert_eq!(detail["lesson"]["title"], "Pinned Breathing", "{who}");
        assert_eq!(detail["lesson"]["duration_minutes"], 15, "{who}");
        assert_eq!(
            detail["lesson"]["steps"].as_array().unwrap().len(),
            2,
            "{who}"
        );
    }
    // Until version 2 is published, new assignments pin version 1 too.
    let second = assigned(&app, &samuel, &class, &plan, "2026-12-02");
    assert_eq!(second["plan_version"], 1);

    // Publishing version 2: old assignments keep version 1, new ones get version 2.
    let published = expect(publish(&app, &samuel, &plan), 200, "publish v2");
    assert_eq!(published["published"]["version"], 2);
    assert!(published["draft"].is_null());
    let versions = version_rows(&mut conn, &plan);
    assert_eq!(
        format!("{:?}", versions[0]),
        v1_snapshot,
        "version 1 is immutable"
    );
    assert_eq!(versions[1].status.as_str(), "published");
    assert_eq!(plan_row(&mut conn, &plan).latest_version, Some(2));
    let third = assigned(&app, &samuel, &class, &plan, "2026-12-03");
    assert_eq!(third["plan_version"], 2);
    assert_eq!(third["plan_version_id"], versions[1].id.as_str());
    assert_eq!(third["title"], "Pinned Breathing, Revised");
    assert_eq!(third["duration_minutes"], 25);
    for (a, version, title) in [
        (&first, 1, "Pinned Breathing"),
        (&second, 1, "Pinned Breathing"),
        (&third, 2, "Pinned Breathing, Revised"),
    ] {
        let id = str_of(&a["id"]);
        let detail = expect(
            app.get(&format!("{API}/assignments/{id}"), Some(&andre)),
            200,
            "student",
        );
        assert_eq!(detail["plan_version"], version);
        assert_eq!(detail["lesson"]["title"], title);
        let row = assignment_row(&mut conn, &id);
        assert_eq!(row.plan_version_id, versions[(version - 1) as usize].id);
    }
    let listed = expect(
        app.get(
            &format!("{API}/classes/{class}/assignments?limit=200"),
            Some(&samuel),
        ),
        200,
        "class list",
    );
    let by_id: BTreeMap<String, i64> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (str_of(&a["id"]), a["plan_version"].as_i64().unwrap()))
        .collect();
    assert_eq!(by_id[&first_id], 1);
    assert_eq!(by_id[&str_of(&third["id"])], 2);

    // Nothing left to publish: 409, and nothing changes.
    let before = lesson_tables(&mut conn);
    let conflict = publish(&app, &samuel, &plan).problem(409);
    assert!(
        conflict["detail"].as_str().unwrap().contains("draft"),
        "{conflict}"
    );
    assert_eq!(lesson_tables(&mut conn), before);

    // Editing twice starts one draft (version 3) and then updates it.
    for title in ["Third Take", "Third Take, Again"] {
        let body = expect(
            app.patch(
                &format!("{API}/lesson-plans/{plan}"),
                Some(&samuel),
                &json!({"title": title}),
            ),
            200,
            "edit",
        );
        assert_eq!(body["draft"]["version"], 3);
        assert_eq!(body["draft"]["title"], title);
        assert_eq!(body["published"]["version"], 2);
    }
    let versions = version_rows(&mut conn, &plan);
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(format!("{:?}", versions[0]), v1_snapshot);
    assert_eq!(
        versions[1].title, "Pinned Breathing, Revised",
        "version 2 is immutable"
    );

    // Archiving hides the plan from search and from new assignments; existing assignments
    // keep working for teacher and students alike.
    let archived = expect(
        app.patch(
            &format!("{API}/lesson-plans/{plan}"),
            Some(&samuel),
            &json!({"archived": true}),
        ),
        200,
        "archive",
    );
    assert_eq!(archived["archived"], true);
    assert_eq!(archived["draft"]["version"], 3, "archiving adds no version");
    assert!(plan_row(&mut conn, &plan).archived);
    assert_eq!(version_rows(&mut conn, &plan).len(), 3);
    assert!(
        !plan_ids(&search(&app, &samuel, "").0).contains(&plan),
        "archived plans are not in the library"
    );
    let (only_archived, _) = search(&app, &samuel, "archived=true");
    assert!(
        plan_ids(&only_archived).contains(&plan),
        "archived=true lists it"
    );
    assert!(only_archived.iter().all(|i| i["archived"] == true));
    let still = expect(
        app.get(&format!("{API}/lesson-plans/{plan}"), Some(&samuel)),
        200,
        "read archived",
    );
    assert_eq!(still["archived"], true);
    let assignments_before = count_assignments(&mut conn);
    let refused = assign(
        &app,
        &samuel,
        &class,
        &json!({"plan_id": plan, "scheduled_on": "2026-12-04"}),
    )
    .problem(409);
    assert_eq!(refused["errors"][0]["field"], "plan_id", "{refused}");
    assert_eq!(count_assignments(&mut conn), assignments_before);
    let detail = expect(
        app.get(&format!("{API}/assignments/{first_id}"), Some(&andre)),
        200,
        "student reads",
    );
    assert_eq!(detail["lesson"]["title"], "Pinned Breathing");
    expect(
        complete(&app, &andre, &first_id, &json!({"emotion": "calm"})),
        201,
        "complete",
    );
    let delivered = expect(
        app.patch(
            &format!("{API}/assignments/{first_id}"),
            Some(&samuel),
            &json!({"delivered_on": "2026-11-20"}),
        ),
        200,
        "record delivery",
    );
    assert_eq!(delivered["status"], "delivered");
    let progress = expect(
        app.get(
            &format!("{API}/assignments/{first_id}/progress"),
            Some(&samuel),
        ),
        200,
        "progress",
    );
    assert_eq!(progress["completed"], 1);

    // Unarchived, it can be assigned again (its newest published version, 2).
    let back = expect(
        app.patch(
            &format!("{API}/lesson-plans/{plan}"),
            Some(&samuel),
            &json!({"archived": false}),
        ),
        200,
        "unarchive",
    );
    assert_eq!(back["archived"], false);
    let fourth = assigned(&app, &samuel, &class, &plan, "2026-12-04");
    assert_eq!(fourth["plan_version"], 2);
}

// ---------------------------------------------------------------------------------------------
// Assignments: scheduling, cancelling, delivery, and what students see
// ---------------------------------------------------------------------------------------------

#[test]
fn teachers_reschedule_cancel_reinstate_and_record_delivery() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let class = class_id(&mut conn, "Health & Wellness 7");
    let samuel = app.login("samuel.ortega");
    let andre = app.login("andreg197");
    let plan = published_plan(
        &app,
        &samuel,
        &plan_body(
            "Lifecycle Lesson",
            "self_awareness",
            "emotional_regulation",
            "6-8",
            &[20],
        ),
    );
    let created = expect(
        assign(
            &app,
            &samuel,
            &class,
            &json!({"plan_id": plan, "scheduled_on": "2026-12-01", "due_on": "2026-12-04"}),
        ),
        201,
        "assign",
    );
    let id = str_of(&created["id"]);
    assert_eq!(created["due_on"], "2026-12-04");
    assert!(created["delivered_on"].is_null());
    let path = format!("{API}/assignments/{id}");
    let row = assignment_row(&mut conn, &id);
    assert_eq!(
        row.scheduled_on,
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    );
    assert_eq!(row.due_on, NaiveDate::from_ymd_opt(2026, 12, 4));
    assert_eq!(row.status.as_str(), "scheduled");

    // Reschedule, and a note students never see.
    let moved = expect(
        app.patch(&path, Some(&samuel), &json!({"scheduled_on": "2026-12-02", "due_on": "2026-12-09", "teacher_note": "  After the assembly.  "})),
        200,
        "reschedule",
    );
    assert_eq!(moved["scheduled_on"], "2026-12-02");
    assert_eq!(moved["due_on"], "2026-12-09");
    assert_eq!(moved["teacher_note"], "After the assembly.");
    let row = assignment_row(&mut conn, &id);
    assert_eq!(
        row.scheduled_on,
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
    );
    assert_eq!(row.due_on, NaiveDate::from_ymd_opt(2026, 12, 9));
    assert_eq!(row.teacher_note.as_deref(), Some("After the assembly."));
    let seen = expect(app.get(&path, Some(&andre)), 200, "student reads");
    assert!(seen["teacher_note"].is_null(), "{seen}");
    assert!(seen["my_completion"].is_null());
    assert_eq!(seen["lesson"]["title"], "Lifecycle Lesson");
    let listed = expect(
        app.get(
            &format!("{API}/classes/{class}/assignments?limit=200"),
            Some(&andre),
        ),
        200,
        "student list",
    );
    let mine = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert!(mine["teacher_note"].is_null(), "{mine}");
    let teacher_view = expect(app.get(&path, Some(&samuel)), 200, "teacher reads");
    assert_eq!(teacher_view["teacher_note"], "After the assembly.");

    // Cancel: gone for students (and cannot be completed), still listed for the teacher.
    let cancelled = expect(
        app.patch(&path, Some(&samuel), &json!({"status": "cancelled"})),
        200,
        "cancel",
    );
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(assignment_row(&mut conn, &id).status.as_str(), "cancelled");
    app.get(&path, Some(&andre)).problem(404);
    let completions_before = count_completions(&mut conn);
    complete(&app, &andre, &id, &json!({"emotion": "calm"})).problem(404);
    assert_eq!(count_completions(&mut conn), completions_before);
    let mine = expect(
        app.get(&format!("{API}/me/assignments?limit=200"), Some(&andre)),
        200,
        "me",
    );
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["id"] != id.as_str()));
    let listed = expect(
        app.get(
            &format!("{API}/classes/{class}/assignments?limit=200"),
            Some(&andre),
        ),
        200,
        "student list",
    );
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["id"] != id.as_str()));
    let listed = expect(
        app.get(
            &format!("{API}/classes/{class}/assignments?limit=200"),
            Some(&samuel),
        ),
        200,
        "teacher list",
    );
    let entry = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(entry["status"], "cancelled");

    // Reinstate, then record delivery.
    let back = expect(
        app.patch(&path, Some(&samuel), &json!({"status": "scheduled"})),
        200,
        "reinstate",
    );
    assert_eq!(back["status"], "scheduled");
    expect(app.get(&path, Some(&andre)), 200, "visible again");
    let delivered_on = day(today() - Duration::days(1));
    let delivered = expect(
        app.patch(&path, Some(&samuel), &json!({"delivered_on": delivered_on})),
        200,
        "deliver",
    );
    assert_eq!(delivered["status"], "delivered");
    assert_eq!(delivered["delivered_on"], delivered_on.as_str());
    let row = assignment_row(&mut conn, &id);
    assert_eq!(row.status.as_str(), "delivered");
    assert_eq!(row.delivered_on.map(day), Some(delivered_on.clone()));
    let today_delivery = expect(
        app.patch(&path, Some(&samuel), &json!({"delivered_on": day(today())})),
        200,
        "today is not the future",
    );
    assert_eq!(today_delivery["delivered_on"], day(today()));

    // A delivered lesson cannot be cancelled.
    let before = lesson_tables(&mut conn);
    let refused = app
        .patch(&path, Some(&samuel), &json!({"status": "cancelled"}))
        .problem(409);
    assert_eq!(refused["errors"][0]["field"], "status", "{refused}");
    assert_eq!(lesson_tables(&mut conn), before);
}

// ---------------------------------------------------------------------------------------------
// BOLA: other teachers' classes, other schools and districts, students' reflections
// ---------------------------------------------------------------------------------------------

#[test]
fn assignments_are_scoped_to_the_class_teachers_and_its_students() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let health7 = class_id(&mut conn, "Health & Wellness 7"); // Samuel's; Andre enrolled
    let advisory7a = class_id(&mut conn, "Advisory 7A"); // Jamal's; Andre enrolled too
    let health6 = class_id(&mut conn, "Health & Wellness 6"); // Samuel's; Andre not enrolled
    let riverbend = school_id(&mut conn, MIDDLE);
    let classmate_name = enrolled_usernames(&mut conn, &health7)
        .into_iter()
        .find(|u| u != "andreg197")
        .unwrap();
    assert!(!enrolled_usernames(&mut conn, &health6).contains(&"andreg197".to_owned()));
    let samuel = app.login("samuel.ortega");
    let jamal = app.login("jamal.carter");
    let kwabena = app.login("kwabena.asante");
    let harbor = app.login("hp.teacher");
    let principal = app.login("gregory.tan");
    let other_principal = app.login("sandra.kowalczyk"); // Lakeview
    let andre = app.login("andreg197");
    let classmate = app.login(&classmate_name);
    let andre_id = user_id(&mut conn, "andreg197");
    let classmate_id = user_id(&mut conn, &classmate_name);

    let (library, _) = search(&app, &samuel, "owner=district&grade_band=6-8");
    let plan = str_of(&library[0]["plan_id"]);
    let a = assigned(&app, &samuel, &health7, &plan, "2026-11-20");
    let a_id = str_of(&a["id"]);

    // Andre reflects; the words are his and his teachers' only.
    let secret = "Only my teacher should read this: XJ-4471";
    let done = expect(
        complete(
            &app,
            &andre,
            &a_id,
            &json!({"emotion": "sad", "reflection": secret}),
        ),
        201,
        "andre completes",
    );
    assert_eq!(done["student_id"], andre_id.as_str());
    assert_eq!(done["reflection"], secret);

    // Another teacher of the same school (who even teaches Andre elsewhere), a teacher of
    // another school and one of another district: the class and its assignment do not exist.
    let before = lesson_tables(&mut conn);
    let new_body = json!({"plan_id": plan, "scheduled_on": "2026-12-01"});
    for (who, token) in [
        ("jamal", &jamal),
        ("kwabena", &kwabena),
        ("harbor", &harbor),
    ] {
        for (method, path) in [
            ("GET", format!("{API}/classes/{health7}/assignments")),
            ("GET", format!("{API}/classes/{health7}/lesson-progress")),
            ("GET", format!("{API}/assignments/{a_id}")),
            ("GET", format!("{API}/assignments/{a_id}/completions")),
            ("GET", format!("{API}/assignments/{a_id}/progress")),
        ] {
            let r = app.request(method, &path, Some(token), &[], None);
            let body = r.problem(404);
            assert!(!r.text.contains(secret), "{who} {path}: {body}");
        }
        assign(&app, token, &health7, &new_body).problem(404);
        app.patch(
            &format!("{API}/assignments/{a_id}"),
            Some(token),
            &json!({"status": "cancelled"}),
        )
        .problem(404);
        app.patch(
            &format!("{API}/assignments/{a_id}"),
            Some(token),
            &json!({"scheduled_on": "2026-12-11"}),
        )
        .problem(404);
        complete(&app, token, &a_id, &json!({"emotion": "calm"})).problem(404);
        assert_eq!(lesson_tables(&mut conn), before, "{who} changed nothing");
    }
    // Samuel, in turn, cannot touch Jamal's class.
    let jamals: String = assignments::table
        .filter(assignments::class_id.eq(&advisory7a))
        .order(assignments::id)
        .select(assignments::id)
        .first(&mut conn)
        .unwrap();
    assign(&app, &samuel, &advisory7a, &new_body).problem(404);
    app.get(&format!("{API}/assignments/{jamals}"), Some(&samuel))
        .problem(404);
    app.patch(
        &format!("{API}/assignments/{jamals}"),
        Some(&samuel),
        &json!({"status": "cancelled"}),
    )
    .problem(404);
    app.get(
        &format!("{API}/assignments/{jamals}/completions"),
        Some(&samuel),
    )
    .problem(404);
    app.get(
        &format!("{API}/classes/{advisory7a}/lesson-progress"),
        Some(&samuel),
    )
    .problem(404);
    assert_eq!(
        lesson_tables(&mut conn),
        before,
        "samuel changed nothing in Jamal's class"
    );

    // The school's administrator sees the class and its numbers but neither assigns, changes,
    // nor reads reflections.
    assign(&app, &principal, &health7, &new_body).problem(403);
    app.patch(
        &format!("{API}/assignments/{a_id}"),
        Some(&principal),
        &json!({"status": "cancelled"}),
    )
    .problem(403);
    let r = app.get(
        &format!("{API}/assignments/{a_id}/completions"),
        Some(&principal),
    );
    r.problem(403);
    assert!(!r.text.contains(secret));
    let r = app.get(&format!("{API}/assignments/{a_id}"), Some(&principal));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        !r.text.contains(secret),
        "no reflection in the assignment: {}",
        r.text
    );
    let progress = expect(
        app.get(
            &format!("{API}/assignments/{a_id}/progress"),
            Some(&principal),
        ),
        200,
        "progress",
    );
    assert!(!progress.to_string().contains(secret));
    assert_eq!(
        emotions(&progress),
        BTreeMap::from([("sad".to_owned(), 1)]),
        "counts, never who"
    );
    expect(
        app.get(
            &format!("{API}/classes/{health7}/lesson-progress"),
            Some(&principal),
        ),
        200,
        "class progress",
    );
    let school = expect(
        app.get(
            &format!("{API}/schools/{riverbend}/lesson-progress"),
            Some(&principal),
        ),
        200,
        "school progress",
    );
    assert_eq!(
        school["term_id"],
        fall_term(&mut conn).as_str(),
        "defaults to the running term"
    );
    app.get(
        &format!("{API}/schools/{riverbend}/lesson-progress"),
        Some(&samuel),
    )
    .problem(403);
    assert_eq!(
        lesson_tables(&mut conn),
        before,
        "the principal changed nothing"
    );
    // Another school's administrator: none of it exists.
    for path in [
        format!("{API}/schools/{riverbend}/lesson-progress"),
        format!("{API}/classes/{health7}/lesson-progress"),
        format!("{API}/classes/{health7}/assignments"),
        format!("{API}/assignments/{a_id}"),
        format!("{API}/assignments/{a_id}/progress"),
        format!("{API}/assignments/{a_id}/completions"),
    ] {
        let r = app.get(&path, Some(&other_principal));
        r.problem(404);
        assert!(!r.text.contains(secret));
    }

    // Another teacher's private plan cannot be assigned: for Samuel it does not exist.
    let jamals_plan = published_plan(
        &app,
        &jamal,
        &plan_body(
            "Jamal's Own",
            "self_awareness",
            "emotional_regulation",
            "6-8",
            &[10],
        ),
    );
    let before = lesson_tables(&mut conn);
    assign(
        &app,
        &samuel,
        &health7,
        &json!({"plan_id": jamals_plan, "scheduled_on": "2026-12-01"}),
    )
    .invalid_field("plan_id");
    app.get(&format!("{API}/lesson-plans/{jamals_plan}"), Some(&samuel))
        .problem(404);
    assert_eq!(lesson_tables(&mut conn), before);

    // Students: no teacher operations, no numbers about classmates.
    for token in [&andre, &classmate] {
        assign(&app, token, &health7, &new_body).problem(403);
        app.patch(
            &format!("{API}/assignments/{a_id}"),
            Some(token),
            &json!({"status": "cancelled"}),
        )
        .problem(403);
        for path in [
            format!("{API}/assignments/{a_id}/completions"),
            format!("{API}/assignments/{a_id}/progress"),
            format!("{API}/classes/{health7}/lesson-progress"),
        ] {
            let r = app.get(&path, Some(token));
            r.problem(403);
            assert!(!r.text.contains(secret));
        }
    }
    // A class Andre is not in: its assignments do not exist for him.
    let other: String = assignments::table
        .filter(assignments::class_id.eq(&health6))
        .filter(assignments::status.ne("cancelled"))
        .order(assignments::id)
        .select(assignments::id)
        .first(&mut conn)
        .unwrap();
    app.get(&format!("{API}/assignments/{other}"), Some(&andre))
        .problem(404);
    complete(&app, &andre, &other, &json!({"emotion": "calm"})).problem(404);
    app.get(
        &format!("{API}/classes/{health6}/assignments"),
        Some(&andre),
    )
    .problem(404);
    assert_eq!(lesson_tables(&mut conn), before, "students changed nothing");

    // The classmate sees the assignment, but not Andre's reflection, anywhere.
    let r = app.get(&format!("{API}/assignments/{a_id}"), Some(&classmate));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains(secret), "{}", r.text);
    assert!(r.json()["my_completion"].is_null(), "{}", r.text);
    let r = app.get(&format!("{API}/me/assignments?limit=200"), Some(&classmate));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains(secret), "{}", r.text);
    assert!(!r.text.contains(&andre_id), "{}", r.text);
    let theirs = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == a_id.as_str())
        .cloned()
        .unwrap();
    assert!(theirs["completion"].is_null(), "{theirs}");
    assert_eq!(theirs["state"], "due");
    // Completing it themselves shows only their own completion.
    expect(
        complete(
            &app,
            &classmate,
            &a_id,
            &json!({"emotion": "happy", "reflection": "Fun."}),
        ),
        201,
        "classmate completes",
    );
    let r = app.get(&format!("{API}/assignments/{a_id}"), Some(&classmate));
    let own = r.json()["my_completion"].clone();
    assert_eq!(own["student_id"], classmate_id.as_str());
    assert_eq!(own["reflection"], "Fun.");
    assert!(!r.text.contains(secret));
    // Andre sees his own.
    let mine = expect(
        app.get(&format!("{API}/assignments/{a_id}"), Some(&andre)),
        200,
        "andre",
    );
    assert_eq!(mine["my_completion"]["reflection"], secret);
    assert_eq!(mine["my_completion"]["emotion"], "sad");

    // The class's teacher reads both reflections, with names.
    let list = expect(
        app.get(
            &format!("{API}/assignments/{a_id}/completions"),
            Some(&samuel),
        ),
        200,
        "completions",
    );
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    let andres = items
        .iter()
        .find(|i| i["student_id"] == andre_id.as_str())
        .unwrap();
    assert_eq!(andres["reflection"], secret);
    assert_eq!(andres["emotion"], "sad");
    assert_eq!(andres["given_name"], "Andre");
    assert_eq!(andres["family_name"], "Green");
    assert_eq!(completion_rows(&mut conn, &a_id).len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Completion: a PUT that updates, never duplicates
// ---------------------------------------------------------------------------------------------

#[test]
fn completing_twice_updates_the_one_completion() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let class = class_id(&mut conn, "Health & Wellness 7");
    let samuel = app.login("samuel.ortega");
    let andre = app.login("andreg197");
    let andre_id = user_id(&mut conn, "andreg197");
    let plan = published_plan(
        &app,
        &samuel,
        &plan_body(
            "Idempotent Lesson",
            "self_awareness",
            "emotional_regulation",
            "6-8",
            &[10],
        ),
    );
    let a = str_of(&assigned(&app, &samuel, &class, &plan, "2026-11-20")["id"]);

    let first = expect(
        complete(
            &app,
            &andre,
            &a,
            &json!({"emotion": "calm", "reflection": "first"}),
        ),
        201,
        "first",
    );
    assert_eq!(first["assignment_id"], a.as_str());
    assert_eq!(first["student_id"], andre_id.as_str());
    assert_eq!(first["emotion"], "calm");
    assert_eq!(first["reflection"], "first");
    let rows = completion_rows(&mut conn, &a);
    assert_eq!(rows.len(), 1);
    let completed_at = rows[0].completed_at;

    let second = expect(
        complete(
            &app,
            &andre,
            &a,
            &json!({"emotion": "proud", "reflection": "  second thoughts  "}),
        ),
        200,
        "second",
    );
    assert_eq!(second["emotion"], "proud");
    assert_eq!(second["reflection"], "second thoughts", "trimmed");
    assert_eq!(
        second["completed_at"], first["completed_at"],
        "completion time is kept"
    );
    let rows = completion_rows(&mut conn, &a);
    assert_eq!(rows.len(), 1, "never a second row");
    assert_eq!(rows[0].completed_at, completed_at);
    assert!(rows[0].updated_at >= completed_at);
    assert_eq!(rows[0].emotion.map(|e| e.as_str()), Some("proud"));
    assert_eq!(rows[0].reflection.as_deref(), Some("second thoughts"));

    // A PUT replaces: without emotion or words the completion stays, bare.
    let bare = expect(complete(&app, &andre, &a, &json!({})), 200, "bare");
    assert!(
        bare["emotion"].is_null() && bare["reflection"].is_null(),
        "{bare}"
    );
    let blank = expect(
        complete(&app, &andre, &a, &json!({"reflection": " \n "})),
        200,
        "blank words",
    );
    assert!(
        blank["reflection"].is_null(),
        "blank reflection is no reflection: {blank}"
    );
    let rows = completion_rows(&mut conn, &a);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].emotion, rows[0].reflection.clone()), (None, None));

    // Every view counts it once.
    let mine = expect(
        app.get(&format!("{API}/me/assignments?limit=200"), Some(&andre)),
        200,
        "me",
    );
    let entries: Vec<&Value> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["id"] == a.as_str())
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["state"], "done");
    assert_eq!(entries[0]["completion"]["student_id"], andre_id.as_str());
    let list = expect(
        app.get(&format!("{API}/assignments/{a}/completions"), Some(&samuel)),
        200,
        "completions",
    );
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let progress = expect(
        app.get(&format!("{API}/assignments/{a}/progress"), Some(&samuel)),
        200,
        "progress",
    );
    assert_eq!(progress["completed"], 1);
    assert_eq!(progress["emotions"], json!([]));
}

/// A double tap on "done" (or a retry after a timeout) sends the same PUT twice at once: both
/// must succeed, exactly one creating the completion, and one row must result.
#[test]
fn simultaneous_first_completions_make_one_row_and_no_error() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let class = class_id(&mut conn, "Health & Wellness 7");
    let samuel = app.login("samuel.ortega");
    let andre = app.login("andreg197");
    let plan = published_plan(
        &app,
        &samuel,
        &plan_body(
            "Double Tap Lesson",
            "self_awareness",
            "emotional_regulation",
            "6-8",
            &[10],
        ),
    );
    for round in 0..8 {
        let b = str_of(&assigned(&app, &samuel, &class, &plan, "2026-11-23")["id"]);
        let statuses: Vec<(u16, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let (app, andre, b) = (&app, &andre, &b);
                    scope.spawn(move || {
                        let r =
                            complete(app, andre, b, &json!({"reflection": format!("take {i}")}));
                        (r.status, r.text)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let created = statuses.iter().filter(|(s, _)| *s == 201).count();
        let failed: Vec<&(u16, String)> = statuses
            .iter()
            .filter(|(s, _)| *s != 200 && *s != 201)
            .collect();
        assert!(
            failed.is_empty(),
            "round {round}: concurrent completions failed: {failed:?}"
        );
        assert_eq!(
            created, 1,
            "round {round}: exactly one creates: {statuses:?}"
        );
        assert_eq!(completion_rows(&mut conn, &b).len(), 1, "round {round}");
    }
}

// ---------------------------------------------------------------------------------------------
// Progress numbers against a fixture built here
// ---------------------------------------------------------------------------------------------

#[test]
fn progress_numbers_match_a_hand_computed_fixture() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let riverbend = school_id(&mut conn, MIDDLE);
    let admin = app.login("denise.whitfield");
    let samuel = app.login("samuel.ortega");
    let samuel_id = user_id(&mut conn, "samuel.ortega");

    // A term of our own (so the school's numbers for it are only ours), running today.
    let (starts, ends) = (today() - Duration::days(30), today() + Duration::days(60));
    let term = str_of(
        &expect(
            app.post(
                &format!("{API}/terms"),
                Some(&admin),
                &json!({"name": "Lesson Lab Term", "starts_on": day(starts), "ends_on": day(ends)}),
            ),
            201,
            "term",
        )["id"],
    );
    let new_class = |name: &str| {
        str_of(
            &expect(
                app.post(
                    &format!("{API}/classes"),
                    Some(&admin),
                    &json!({"school_id": riverbend, "term_id": term, "name": name, "grade": 7, "teacher_ids": [samuel_id]}),
                ),
                201,
                "class",
            )["id"],
        )
    };
    let empty = new_class("Lab A Empty");
    let class = new_class("Lab B Lessons");
    // Four Riverbend 7th graders: s1, s2 and s4 will sign in, s3 never does anything.
    let students: Vec<(String, String)> = users::table
        .filter(users::school_id.eq(&riverbend))
        .filter(users::role.eq("student"))
        .filter(users::grade.eq(7))
        .order(users::username)
        .select((users::id, users::username))
        .limit(4)
        .load(&mut conn)
        .unwrap();
    assert_eq!(students.len(), 4);
    for (id, _) in &students {
        expect(
            app.post(
                &format!("{API}/classes/{class}/enrollments"),
                Some(&admin),
                &json!({"student_id": id}),
            ),
            201,
            "enroll",
        );
    }
    let s1 = app.login(&students[0].1);
    let s2 = app.login(&students[1].1);
    let s4 = app.login(&students[3].1);

    // Two plans of known competencies.
    let p1 = published_plan(
        &app,
        &samuel,
        &plan_body(
            "Lab Plan One",
            "self_management",
            "emotional_regulation",
            "6-8",
            &[20],
        ),
    );
    let p2 = published_plan(
        &app,
        &samuel,
        &plan_body(
            "Lab Plan Two",
            "social_awareness",
            "attachment_trust",
            "6-8",
            &[25],
        ),
    );
    let on = |offset: i64| day(today() + Duration::days(offset));
    let a1 = str_of(&assigned(&app, &samuel, &class, &p1, &on(-14))["id"]);
    let a2 = str_of(&assigned(&app, &samuel, &class, &p2, &on(-3))["id"]);
    let a3 = str_of(&assigned(&app, &samuel, &class, &p1, &on(10))["id"]);
    let a4 = str_of(&assigned(&app, &samuel, &class, &p2, &on(-1))["id"]);
    for (a, delivered) in [(&a1, on(-13)), (&a2, on(-3))] {
        expect(
            app.patch(
                &format!("{API}/assignments/{a}"),
                Some(&samuel),
                &json!({"delivered_on": delivered}),
            ),
            200,
            "deliver",
        );
    }

    // Completions:
    //   A1: s1 worried, then changes it to calm; s2 hopeful; s4 worried (s4 then leaves the class)
    //   A2: s2 without an emotion
    //   A3: nobody (it is upcoming)
    //   A4: s2 tired, then A4 is cancelled
    let put = |token: &str, a: &str, body: Value, status: u16| {
        expect(complete(&app, token, a, &body), status, "complete");
    };
    put(&s1, &a1, json!({"emotion": "worried"}), 201);
    put(
        &s1,
        &a1,
        json!({"emotion": "calm", "reflection": "Better now."}),
        200,
    );
    put(&s2, &a1, json!({"emotion": "hopeful"}), 201);
    put(
        &s4,
        &a1,
        json!({"emotion": "worried", "reflection": "Moving away soon."}),
        201,
    );
    put(&s2, &a2, json!({"reflection": "No words today."}), 201);
    put(&s2, &a4, json!({"emotion": "tired"}), 201);
    expect(
        app.patch(
            &format!("{API}/assignments/{a4}"),
            Some(&samuel),
            &json!({"status": "cancelled"}),
        ),
        200,
        "cancel",
    );
    let r = app.request(
        "DELETE",
        &format!("{API}/classes/{class}/enrollments/{}", students[3].0),
        Some(&admin),
        &[],
        None,
    );
    assert_eq!(r.status, 204, "s4 leaves: {}", r.text);
    // s4's completion row stays (it is history), but counts no more.
    assert_eq!(completion_rows(&mut conn, &a1).len(), 3);
    app.get(&format!("{API}/assignments/{a1}"), Some(&s4))
        .problem(404);
    complete(&app, &s4, &a2, &json!({"emotion": "calm"})).problem(404);
    assert_eq!(
        completion_rows(&mut conn, &a2).len(),
        1,
        "no completion for a class one left"
    );

    // By hand: 3 active students (s1, s2, s3).
    //   A1: completed by s1, s2 → 2/3; emotions calm 1, hopeful 1 (s4's worried no longer counts,
    //       s1's first answer was replaced)
    //   A2: completed by s2 → 1/3; no emotion
    //   A3: 0/3
    //   A4 (cancelled): s2 → 1/3; tired 1
    #[rustfmt::skip]
    let expected: &[ExpectedProgress] = &[
        ("A1", &a1, 2, 2.0 / 3.0, &[("calm", 1), ("hopeful", 1)]),
        ("A2", &a2, 1, 1.0 / 3.0, &[]),
        ("A3", &a3, 0, 0.0,       &[]),
        ("A4", &a4, 1, 1.0 / 3.0, &[("tired", 1)]),
    ];
    for (name, id, completed, rate, emotion_counts) in expected {
        let p = expect(
            app.get(&format!("{API}/assignments/{id}/progress"), Some(&samuel)),
            200,
            name,
        );
        assert_eq!(p["assignment_id"], id.as_str(), "{name}");
        assert_eq!(p["enrolled"], 3, "{name}: {p}");
        assert_eq!(p["completed"], *completed, "{name}: {p}");
        assert_rate(&p["completion_rate"], Some(*rate), name);
        let want: BTreeMap<String, i64> = emotion_counts
            .iter()
            .map(|(e, n)| (e.to_string(), *n))
            .collect();
        assert_eq!(emotions(&p), want, "{name}: {p}");
        assert!(p["emotions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["count"].as_i64().unwrap() > 0));
    }
    // Emotions are listed in vocabulary order.
    let p = expect(
        app.get(&format!("{API}/assignments/{a1}/progress"), Some(&admin)),
        200,
        "A1 for the admin",
    );
    assert_eq!(
        p["emotions"],
        json!([{"emotion": "calm", "count": 1}, {"emotion": "hopeful", "count": 1}])
    );

    // The class: A1, A2, A3 assigned (A4 cancelled), A1 and A2 delivered, 3 enrolled;
    // completions by enrolled students in those: 2 + 1 + 0 = 3 of 3 × 3 = 9.
    let lab = expect(
        app.get(
            &format!("{API}/classes/{class}/lesson-progress"),
            Some(&samuel),
        ),
        200,
        "class progress",
    );
    assert_eq!(lab["class_id"], class.as_str());
    assert_eq!(lab["class_name"], "Lab B Lessons");
    assert_eq!(lab["assigned"], 3, "{lab}");
    assert_eq!(lab["delivered"], 2, "{lab}");
    assert_eq!(lab["enrolled"], 3, "{lab}");
    assert_rate(&lab["completion_rate"], Some(3.0 / 9.0), "class");
    let none = expect(
        app.get(
            &format!("{API}/classes/{empty}/lesson-progress"),
            Some(&samuel),
        ),
        200,
        "empty class",
    );
    assert_eq!(
        (
            none["assigned"].clone(),
            none["delivered"].clone(),
            none["enrolled"].clone()
        ),
        (json!(0), json!(0), json!(0))
    );
    assert_rate(&none["completion_rate"], None, "empty class");

    // The school, for our term: our two classes by name, and delivered lessons by competency
    // (A1 self-management, A2 social awareness; the cancelled A4 was never delivered).
    let school = expect(
        app.get(
            &format!("{API}/schools/{riverbend}/lesson-progress?term_id={term}"),
            Some(&admin),
        ),
        200,
        "school progress",
    );
    assert_eq!(school["school_id"], riverbend.as_str());
    assert_eq!(school["term_id"], term.as_str());
    let listed = school["classes"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{school}");
    assert_eq!(listed[0], none);
    assert_eq!(listed[1], lab);
    let by_competency: BTreeMap<String, i64> = school["delivered_by_competency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (str_of(&c["competency"]), c["delivered"].as_i64().unwrap()))
        .collect();
    let want: BTreeMap<String, i64> = COMPETENCIES
        .iter()
        .map(|c| {
            let n = match *c {
                "self_management" | "social_awareness" => 1,
                _ => 0,
            };
            (c.to_string(), n)
        })
        .collect();
    assert_eq!(by_competency, want, "{school}");
    // A term of another district is no term here.
    let harbor_term: String = terms::table
        .filter(terms::district_id.eq(district_id(OTHER_DISTRICT)))
        .select(terms::id)
        .first(&mut conn)
        .unwrap();
    app.get(
        &format!("{API}/schools/{riverbend}/lesson-progress?term_id={harbor_term}"),
        Some(&admin),
    )
    .invalid_field("term_id");

    // The student's own view: done, due and upcoming (cancelled ones are gone).
    let states = |token: &str, query: &str| -> BTreeMap<String, String> {
        let body = expect(
            app.get(
                &format!("{API}/me/assignments?limit=200{query}"),
                Some(token),
            ),
            200,
            "me",
        );
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["class_id"] == class.as_str())
            .map(|i| {
                assert_eq!(i["class_name"], "Lab B Lessons");
                (str_of(&i["id"]), str_of(&i["state"]))
            })
            .collect()
    };
    let s = |a: &String, st: &str| (a.clone(), st.to_owned());
    assert_eq!(
        states(&s1, ""),
        BTreeMap::from([s(&a1, "done"), s(&a2, "due"), s(&a3, "upcoming")])
    );
    assert_eq!(
        states(&s2, ""),
        BTreeMap::from([s(&a1, "done"), s(&a2, "done"), s(&a3, "upcoming")])
    );
    assert_eq!(states(&s1, "&state=done"), BTreeMap::from([s(&a1, "done")]));
    assert_eq!(states(&s1, "&state=due"), BTreeMap::from([s(&a2, "due")]));
    assert_eq!(
        states(&s1, "&state=upcoming"),
        BTreeMap::from([s(&a3, "upcoming")])
    );
    assert_eq!(states(&s4, ""), BTreeMap::new(), "s4 left the class");
    let body = expect(
        app.get(&format!("{API}/me/assignments?limit=200"), Some(&s1)),
        200,
        "me",
    );
    let a1_entry = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == a1.as_str())
        .cloned()
        .unwrap();
    assert_eq!(a1_entry["completion"]["emotion"], "calm");
    assert_eq!(a1_entry["completion"]["reflection"], "Better now.");
    assert!(a1_entry["teacher_note"].is_null());
    app.get(&format!("{API}/me/assignments"), Some(&samuel))
        .problem(403);
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_vocabulary_is_422_naming_the_field_and_listing_the_allowed_values() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let class = class_id(&mut conn, "Health & Wellness 7");
    let samuel = app.login("samuel.ortega");
    let andre = app.login("andreg197");
    let plan = published_plan(
        &app,
        &samuel,
        &plan_body(
            "Vocabulary Lesson",
            "self_awareness",
            "emotional_regulation",
            "6-8",
            &[10],
        ),
    );
    let a = str_of(&assigned(&app, &samuel, &class, &plan, "2026-11-20")["id"]);
    let before = lesson_tables(&mut conn);

    let valid = plan_body(
        "Probe",
        "self_awareness",
        "emotional_regulation",
        "6-8",
        &[10],
    );
    let with = |field: &str, value: &str| {
        let mut body = valid.clone();
        body[field] = json!(value);
        body
    };
    for (field, wrong, allowed) in [
        ("competency", "empathy", COMPETENCIES),
        ("competency", "Self_Awareness", COMPETENCIES),
        ("component", "trust", COMPONENTS),
        ("grade_band", "K2", GRADE_BANDS),
        ("grade_band", "6–8", GRADE_BANDS),
    ] {
        let r = app.post(
            &format!("{API}/lesson-plans"),
            Some(&samuel),
            &with(field, wrong),
        );
        assert_lists_allowed(&r, field, allowed);
        let r = app.patch(
            &format!("{API}/lesson-plans/{plan}"),
            Some(&samuel),
            &json!({ field: wrong }),
        );
        assert_lists_allowed(&r, field, allowed);
        let r = app.get(
            &format!("{API}/lesson-plans?{field}={wrong}"),
            Some(&samuel),
        );
        assert_lists_allowed(&r, field, allowed);
    }
    for wrong in ["ecstatic", "Calm", "", "calm "] {
        let r = complete(
            &app,
            &andre,
            &a,
            &json!({"emotion": wrong, "reflection": "fine"}),
        );
        assert_lists_allowed(&r, "emotion", EMOTIONS);
    }
    assert_eq!(lesson_tables(&mut conn), before, "nothing was written");
    // Every listed emotion is accepted.
    for emotion in EMOTIONS {
        let r = complete(&app, &andre, &a, &json!({"emotion": emotion}));
        assert!(r.status == 200 || r.status == 201, "{emotion}: {}", r.text);
        assert_eq!(
            completion_rows(&mut conn, &a)[0]
                .emotion
                .map(|e| e.as_str()),
            Some(*emotion)
        );
    }
}

#[test]
fn steps_that_do_not_add_up_are_422_on_duration_minutes() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let samuel = app.login("samuel.ortega");
    let plan = published_plan(
        &app,
        &samuel,
        &plan_body(
            "Sums Lesson",
            "self_awareness",
            "emotional_regulation",
            "6-8",
            &[10, 15],
        ),
    );
    let before = lesson_tables(&mut conn);

    let mut body = plan_body(
        "Bad Sum",
        "self_awareness",
        "emotional_regulation",
        "6-8",
        &[5, 15],
    );
    body["duration_minutes"] = json!(25);
    let r = app.post(&format!("{API}/lesson-plans"), Some(&samuel), &body);
    let message = invalid_message(&r, "duration_minutes");
    assert!(
        message.contains("20") && message.contains("25"),
        "names both numbers: {message}"
    );
    body["duration_minutes"] = json!(19);
    app.post(&format!("{API}/lesson-plans"), Some(&samuel), &body)
        .invalid_field("duration_minutes");

    // Editing either side of the sum alone breaks it.
    let patch = |b: Value| app.patch(&format!("{API}/lesson-plans/{plan}"), Some(&samuel), &b);
    patch(json!({"duration_minutes": 30})).invalid_field("duration_minutes");
    patch(json!({"steps": [{"title": "Only", "minutes": 10, "instructions": "Do it."}]}))
        .invalid_field("duration_minutes");
    // With another mistake beside it, the request is refused all the same.
    patch(json!({"duration_minutes": 30, "title": " "})).invalid_field("title");
    assert_eq!(lesson_tables(&mut conn), before, "nothing was written");

    // Changing both together is fine.
    let ok = expect(
        patch(
            json!({"duration_minutes": 12, "steps": [{"title": "Only", "minutes": 12, "instructions": "Do it."}]}),
        ),
        200,
        "consistent edit",
    );
    assert_eq!(ok["draft"]["duration_minutes"], 12);
}

#[test]
fn unpublished_and_archived_plans_cannot_be_assigned() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let class = class_id(&mut conn, "Health & Wellness 7");
    let admin = app.login("denise.whitfield");
    let samuel = app.login("samuel.ortega");

    let draft = str_of(
        &create_plan(
            &app,
            &samuel,
            &plan_body(
                "Never Published",
                "self_awareness",
                "emotional_regulation",
                "6-8",
                &[10],
            ),
        )["id"],
    );
    let (library, _) = search(&app, &samuel, "owner=district");
    let district_plan = str_of(&library[0]["plan_id"]);
    let archived = expect(
        app.patch(
            &format!("{API}/lesson-plans/{district_plan}"),
            Some(&admin),
            &json!({"archived": true}),
        ),
        200,
        "the district archives a plan",
    );
    assert_eq!(archived["archived"], true);
    assert!(!plan_ids(&search(&app, &samuel, "").0).contains(&district_plan));
    let harbor_plan: String = lesson_plans::table
        .filter(lesson_plans::district_id.eq(district_id(OTHER_DISTRICT)))
        .select(lesson_plans::id)
        .first(&mut conn)
        .unwrap();

    let before = lesson_tables(&mut conn);
    let body = |plan: &str| json!({"plan_id": plan, "scheduled_on": "2026-12-01"});
    let r = assign(&app, &samuel, &class, &body(&draft)).problem(409);
    assert_eq!(r["errors"][0]["field"], "plan_id", "{r}");
    assert!(r["detail"].as_str().unwrap().contains("publish"), "{r}");
    let r = assign(&app, &samuel, &class, &body(&district_plan)).problem(409);
    assert_eq!(r["errors"][0]["field"], "plan_id", "{r}");
    assert!(r["detail"].as_str().unwrap().contains("archived"), "{r}");
    // Plans the teacher cannot see are no plans at all.
    assign(&app, &samuel, &class, &body("no-such-plan")).invalid_field("plan_id");
    assign(&app, &samuel, &class, &body(&harbor_plan)).invalid_field("plan_id");
    assert_eq!(lesson_tables(&mut conn), before, "nothing was written");

    // Once published (or unarchived) they can.
    expect(publish(&app, &samuel, &draft), 200, "publish");
    expect(
        assign(&app, &samuel, &class, &body(&draft)),
        201,
        "assign the published plan",
    );
    expect(
        app.patch(
            &format!("{API}/lesson-plans/{district_plan}"),
            Some(&admin),
            &json!({"archived": false}),
        ),
        200,
        "unarchive",
    );
    expect(
        assign(&app, &samuel, &class, &body(&district_plan)),
        201,
        "assign the unarchived plan",
    );
}

#[test]
fn reflections_over_1000_characters_are_422() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let class = class_id(&mut conn, "Health & Wellness 7");
    let samuel = app.login("samuel.ortega");
    let andre = app.login("andreg197");
    let plan = published_plan(
        &app,
        &samuel,
        &plan_body(
            "Reflection Lesson",
            "self_awareness",
            "emotional_regulation",
            "6-8",
            &[10],
        ),
    );
    let a = str_of(&assigned(&app, &samuel, &class, &plan, "2026-11-20")["id"]);

    for text in ["x".repeat(1001), "é".repeat(1001), "x".repeat(5000)] {
        let r = complete(
            &app,
            &andre,
            &a,
            &json!({"emotion": "calm", "reflection": text}),
        );
        let message = invalid_message(&r, "reflection");
        assert!(message.contains("1000"), "{message}");
    }
    assert!(
        completion_rows(&mut conn, &a).is_empty(),
        "nothing was stored"
    );
    // Exactly 1000 characters (not bytes) is fine.
    for text in ["x".repeat(1000), "😀".repeat(1000)] {
        let r = complete(&app, &andre, &a, &json!({"reflection": text}));
        assert!(r.status == 201 || r.status == 200, "{}", r.text);
        assert_eq!(r.json()["reflection"], text.as_str());
        let rows = completion_rows(&mut conn, &a);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].reflection.as_ref().unwrap().chars().count(), 1000);
    }
    // Over the limit on an update leaves the stored completion alone.
    let before = lesson_tables(&mut conn);
    complete(&app, &andre, &a, &json!({"reflection": "y".repeat(1001)}))
        .invalid_field("reflection");
    assert_eq!(lesson_tables(&mut conn), before);
}

#[test]
fn dates_outside_the_class_term_are_422() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let class = class_id(&mut conn, "Health & Wellness 7");
    let samuel = app.login("samuel.ortega");
    let plan = published_plan(
        &app,
        &samuel,
        &plan_body(
            "Dated Lesson",
            "self_awareness",
            "emotional_regulation",
            "6-8",
            &[10],
        ),
    );
    let before = lesson_tables(&mut conn);

    let new = |scheduled: &str, due: Option<&str>| {
        let mut body = json!({"plan_id": plan, "scheduled_on": scheduled});
        if let Some(d) = due {
            body["due_on"] = json!(d);
        }
        assign(&app, &samuel, &class, &body)
    };
    // Fall 2026 runs 2026-08-17 to 2026-12-18.
    let message = invalid_message(&new("2026-08-16", None), "scheduled_on");
    assert!(
        message.contains(FALL_STARTS) && message.contains(FALL_ENDS),
        "names the term: {message}"
    );
    new("2026-12-19", None).invalid_field("scheduled_on");
    new("2027-01-12", None).invalid_field("scheduled_on"); // Spring 2027, another term
    new("2026-03-02", None).invalid_field("scheduled_on"); // Spring 2026
    new("2026-12-01", Some("2026-12-19")).invalid_field("due_on");
    new("2026-12-01", Some("2026-11-30")).invalid_field("due_on"); // due before scheduled
    new("2026-08-10", Some("2026-12-30")).invalid_field("scheduled_on");
    assert_eq!(lesson_tables(&mut conn), before, "nothing was written");

    // The first and last days of the term are in it.
    let first = expect(new(FALL_STARTS, Some(FALL_STARTS)), 201, "first day");
    let last = expect(new(FALL_ENDS, Some(FALL_ENDS)), 201, "last day");
    assert_eq!(first["scheduled_on"], FALL_STARTS);
    assert_eq!(last["due_on"], FALL_ENDS);

    // Rescheduling is held to the same rules, and a refusal changes nothing.
    let id = str_of(&first["id"]);
    let path = format!("{API}/assignments/{id}");
    let before = lesson_tables(&mut conn);
    app.patch(&path, Some(&samuel), &json!({"scheduled_on": "2026-08-16"}))
        .invalid_field("scheduled_on");
    app.patch(
        &path,
        Some(&samuel),
        &json!({"scheduled_on": "2026-12-19", "due_on": "2026-12-19"}),
    )
    .invalid_field("scheduled_on");
    app.patch(&path, Some(&samuel), &json!({"due_on": "2027-01-05"}))
        .invalid_field("due_on");
    // Moving the lesson after its due day without moving the due day.
    app.patch(&path, Some(&samuel), &json!({"scheduled_on": "2026-09-01"}))
        .invalid_field("due_on");
    // Delivery cannot be recorded in the future.
    let tomorrow = day(today() + Duration::days(1));
    app.patch(&path, Some(&samuel), &json!({"delivered_on": tomorrow}))
        .invalid_field("delivered_on");
    assert_eq!(
        lesson_tables(&mut conn),
        before,
        "refused changes wrote nothing"
    );
    let moved = expect(
        app.patch(
            &path,
            Some(&samuel),
            &json!({"scheduled_on": "2026-09-01", "due_on": "2026-09-08"}),
        ),
        200,
        "reschedule within the term",
    );
    assert_eq!(moved["scheduled_on"], "2026-09-01");
    assert_eq!(
        assignment_row(&mut conn, &id).due_on,
        NaiveDate::from_ymd_opt(2026, 9, 8)
    );
}

#[test]
fn a_delivery_date_outside_the_class_term_is_422() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let class = class_id(&mut conn, "Health & Wellness 7");
    let samuel = app.login("samuel.ortega");
    let plan = published_plan(
        &app,
        &samuel,
        &plan_body(
            "Delivered Lesson",
            "self_awareness",
            "emotional_regulation",
            "6-8",
            &[10],
        ),
    );
    let id = str_of(&assigned(&app, &samuel, &class, &plan, "2026-09-01")["id"]);
    let before = lesson_tables(&mut conn);
    // A lesson of the Fall 2026 class cannot have been taught in August 2025 (nor in the
    // previous term).
    for delivered in ["2025-08-01", "2026-03-02", "2026-08-16"] {
        app.patch(
            &format!("{API}/assignments/{id}"),
            Some(&samuel),
            &json!({"delivered_on": delivered}),
        )
        .invalid_field("delivered_on");
    }
    assert_eq!(lesson_tables(&mut conn), before, "nothing was written");
}
