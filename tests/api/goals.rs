//! Goals: school and district goals on published figures, their status and reviews, and
//! students' personal goals, through the API on a fresh demo database.

use chrono::{NaiveDate, TimeDelta, Utc};
use diesel::prelude::*;
use securebase::db::schema::{
    audit_events, goal_reviews, goal_versions, goals, student_goal_progress, survey_instruments,
    survey_window_schools, survey_windows, terms,
};
use serde_json::{json, Value};

use crate::helpers::lookups::{demo_district, school_id, user_id};
use crate::helpers::matrix::{Case, Matrix};
use crate::helpers::*;

const PRINCIPAL: &str = "gregory.tan"; // Riverbend school administrator
const COUNSELOR: &str = "daniel.kim"; // Riverbend
const TEACHER: &str = "samuel.ortega"; // Riverbend, teaches the student
const OTHER_TEACHER: &str = "hannah.lindqvist"; // Riverbend, grade 6 only
const STUDENT: &str = "andreg197"; // Riverbend, grade 7
const DISTRICT: &str = "denise.whitfield";
const OTHER_COUNSELOR: &str = "kenji.watanabe"; // Cedar Grove
const ELEMENTARY_ADMIN: &str = "patricia.alvarez"; // Cedar Grove

/// The closed window whose title starts with `title` offered at the school, and its lineage.
fn window(app: &TestApp, school: &str, title: &str) -> (String, String) {
    let mut conn = app.conn();
    let school = school_id(&mut conn, school);
    survey_windows::table
        .inner_join(survey_instruments::table)
        .inner_join(
            survey_window_schools::table
                .on(survey_window_schools::window_id.eq(survey_windows::id)),
        )
        .filter(survey_window_schools::school_id.eq(school))
        .filter(survey_windows::title.like(format!("{title}%")))
        .select((survey_windows::id, survey_instruments::lineage_id))
        .first(&mut conn)
        .unwrap_or_else(|e| panic!("window {title}: {e}"))
}

fn spring(app: &TestApp, school: &str) -> (String, String) {
    window(app, school, "Spring 2026 climate survey")
}

fn fall(app: &TestApp, school: &str) -> (String, String) {
    window(app, school, "Fall 2026 early-term")
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn in_days(days: i64) -> String {
    (today() + TimeDelta::days(days)).to_string()
}

fn belonging(school: &str, lineage: &str, window: &str, target: f64) -> Value {
    json!({
        "title": "More students feel they belong",
        "school_id": school,
        "metric": {"kind": "climate", "lineage_id": lineage, "indicator": "belonging",
                   "measure": "percent_favorable"},
        "baseline": {"window_id": window},
        "target": target,
        "deadline": in_days(200),
        "cadence": "quarterly",
    })
}

fn goal_count(app: &TestApp) -> i64 {
    goals::table.count().get_result(&mut app.conn()).unwrap()
}

fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.seal_audit();
    audit_events::table
        .filter(audit_events::action.eq(action))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

/// The school's climate report of a window, as its administrator reads it.
fn school_report(app: &TestApp, token: &str, school: &str, window: &str) -> Value {
    let r = app.get(
        &format!("/api/v1/reports/schools/{school}/climate?window_id={window}"),
        Some(token),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn indicator<'a>(row: &'a Value, name: &str) -> &'a Value {
    row["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == name)
        .unwrap_or_else(|| panic!("no {name} in {row}"))
}

/// The demo's goal of a school with this title.
fn demo_goal(app: &TestApp, school: &str, title: &str) -> String {
    let mut conn = app.conn();
    let school = school_id(&mut conn, school);
    goals::table
        .filter(goals::school_id.eq(school))
        .filter(goals::title.eq(title))
        .select(goals::id)
        .first(&mut conn)
        .unwrap()
}

/// The demo student's personal goal.
fn student_goal(app: &TestApp, username: &str) -> String {
    let mut conn = app.conn();
    let student = user_id(&mut conn, username);
    goals::table
        .filter(goals::student_id.eq(student))
        .select(goals::id)
        .first(&mut conn)
        .unwrap()
}

#[test]
fn a_school_admin_sets_a_belonging_goal_from_spring_sees_its_status_and_reviews_it() {
    let app = TestApp::spawn();
    let admin = app.login(ELEMENTARY_ADMIN);
    let school = school_id(&mut app.conn(), ELEMENTARY);
    let (spring, lineage) = spring(&app, ELEMENTARY);
    let (fall, _) = fall(&app, ELEMENTARY);
    // The baseline and the latest value are the school reports' own figures.
    let spring_row = school_report(&app, &admin, &school, &spring)["total"].clone();
    let fall_row = school_report(&app, &admin, &school, &fall)["total"].clone();
    let base = indicator(&spring_row, "belonging")["favorable"].clone();
    let latest = indicator(&fall_row, "belonging")["favorable"].clone();
    let b = base["value"].as_f64().expect("spring belonging is shown");
    let created_before = audit_count(&app, "goal.created");
    let target = (b + 8.0).round();
    let created = app.post(
        "/api/v1/goals",
        Some(&admin),
        &belonging(&school, &lineage, &spring, target),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let goal = created.json();
    assert_eq!(goal["kind"], "school");
    assert_eq!(goal["version"], 1);
    assert_eq!(goal["unit"], "percent");
    assert_eq!(goal["direction"], "up");
    assert_eq!(goal["baseline"]["window_id"], spring.as_str());
    assert_eq!(goal["baseline"]["value"], base["value"]);
    assert_eq!(goal["baseline"]["low"], base["low"]);
    assert_eq!(goal["baseline"]["high"], base["high"]);
    assert_eq!(
        goal["baseline"]["n"],
        indicator(&spring_row, "belonging")["n"]
    );
    let progress = &goal["progress"];
    assert_eq!(progress["latest"]["window_id"], fall.as_str());
    assert_eq!(progress["latest"]["value"], latest["value"]);
    assert_eq!(progress["latest"]["low"], latest["low"]);
    assert_eq!(progress["latest"]["high"], latest["high"]);
    assert_eq!(progress["path"].as_array().unwrap().len(), 1);
    // The status by the documented rule, recomputed here from the published figures.
    let (lo, hi) = (
        latest["low"].as_f64().unwrap(),
        latest["high"].as_f64().unwrap(),
    );
    let baseline_on: NaiveDate = goal["baseline"]["measured_on"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let measured_on: NaiveDate = progress["latest"]["measured_on"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let span = (today() + TimeDelta::days(200) - baseline_on).num_days() as f64;
    let elapsed = (measured_on - baseline_on).num_days() as f64;
    let expected = ((b + (target - b) * elapsed / span) * 100.0).round() / 100.0;
    let status = if lo >= target {
        "met"
    } else if hi >= expected {
        "on_track"
    } else {
        "at_risk"
    };
    assert_eq!(progress["status"], status, "{progress}");
    if status != "met" {
        assert_eq!(progress["expected"].as_f64().unwrap(), expected);
    }
    let id = goal["id"].as_str().unwrap().to_owned();
    assert_eq!(audit_count(&app, "goal.created"), created_before + 1);

    // Only the owner records a review; a counselor of the school reads it but may not.
    let review = json!({"what_happened": "Advisory circles began.", "what_changes": "Raise the target.",
                        "target": target + 2.0});
    app.post(
        &format!("/api/v1/goals/{id}/reviews"),
        Some(&app.login(OTHER_COUNSELOR)),
        &review,
    )
    .problem(403);
    let r = app.post(
        &format!("/api/v1/goals/{id}/reviews"),
        Some(&admin),
        &review,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = r.json();
    assert_eq!(
        (r["version_before"].clone(), r["version_after"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(r["status"], status);
    assert_eq!(r["value"], latest["value"]);
    // The history keeps both versions, the second made by the review.
    let detail = app.get(&format!("/api/v1/goals/{id}"), Some(&admin)).json();
    assert_eq!(detail["goal"]["version"], 2);
    assert_eq!(detail["goal"]["target"], target + 2.0);
    let history = detail["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["terms"]["target"], target);
    assert_eq!(history[1]["terms"]["target"], target + 2.0);
    assert_eq!(history[1]["review_id"], r["id"]);
    assert_eq!(detail["reviews"].as_array().unwrap().len(), 1);
    let versions: i64 = goal_versions::table
        .filter(goal_versions::goal_id.eq(&id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(versions, 2);
    assert_eq!(
        audit_count(&app, "goal.reviewed"),
        3 + 1,
        "the demo's three and this one"
    );
    // A review that changes nothing keeps the version.
    let same = app.post(
        &format!("/api/v1/goals/{id}/reviews"),
        Some(&admin),
        &json!({"what_happened": "Quiet month.", "what_changes": "Nothing."}),
    );
    assert_eq!(same.status, 201, "{}", same.text);
    assert_eq!(same.json()["version_after"], 2);
}

#[test]
fn status_follows_the_documented_rule_at_known_data() {
    let app = TestApp::spawn();
    let admin = app.login(ELEMENTARY_ADMIN);
    let school = school_id(&mut app.conn(), ELEMENTARY);
    let (spring, lineage) = spring(&app, ELEMENTARY);
    let (fall, _) = fall(&app, ELEMENTARY);
    let b = indicator(
        &school_report(&app, &admin, &school, &spring)["total"],
        "belonging",
    )["favorable"]["value"]
        .as_f64()
        .unwrap();
    let latest = indicator(
        &school_report(&app, &admin, &school, &fall)["total"],
        "belonging",
    )["favorable"]
        .clone();
    let (lo, hi) = (
        latest["low"].as_f64().unwrap(),
        latest["high"].as_f64().unwrap(),
    );
    let status_for = |target: f64, deadline: &str| {
        let mut body = belonging(&school, &lineage, &spring, target);
        body["deadline"] = json!(deadline);
        let r = app.post("/api/v1/goals", Some(&admin), &body);
        assert_eq!(r.status, 201, "{}", r.text);
        let g = r.json();
        (
            g["id"].as_str().unwrap().to_owned(),
            g["progress"]["status"].as_str().unwrap().to_owned(),
        )
    };
    // Demo belonging rose from spring to fall: a target inside the fall interval is not met
    // (the whole interval must reach it), one at its low end is.
    assert!(lo > b, "the demo's belonging rose: {b} -> {latest}");
    assert_eq!(status_for(lo, &in_days(100)).1, "met");
    assert_ne!(status_for(hi, &in_days(100)).1, "met");
    // Far above the interval with the deadline tomorrow: the path expects more than the
    // interval reaches.
    let (late, s) = status_for(99.9, &in_days(1));
    assert_eq!(s, "at_risk");
    // Once the deadline has passed, an unmet goal is not met.
    diesel::update(goals::table.find(&late))
        .set(goals::deadline.eq(today() - TimeDelta::days(1)))
        .execute(&mut app.conn())
        .unwrap();
    let g = app
        .get(&format!("/api/v1/goals/{late}"), Some(&admin))
        .json();
    assert_eq!(g["goal"]["progress"]["status"], "not_met");
    // A figure that should fall: bullying is met only when the whole interval is at or
    // below the target.
    let bullying = |target: f64| {
        json!({"title": "Less bullying", "school_id": school,
               "metric": {"kind": "climate", "lineage_id": lineage,
                          "indicator": "bullying_victimization", "measure": "frequent_victimization"},
               "baseline": {"window_id": spring}, "target": target, "deadline": in_days(100),
               "cadence": "monthly"})
    };
    // Fall's frequent victimization (15.7-24.2) is far above the path to 0%.
    let r = app.post("/api/v1/goals", Some(&admin), &bullying(0.0));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["progress"]["status"], "at_risk");
    assert_eq!(r.json()["direction"], "down");
    // A target above the baseline is on the wrong side for a figure that should fall.
    let base = app.post("/api/v1/goals", Some(&admin), &bullying(50.0));
    let field = base.invalid_field("target");
    assert!(
        field["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("below the baseline"),
        "{field}"
    );
}

#[test]
fn a_goal_on_a_withheld_cell_is_not_measurable_and_never_shows_the_value() {
    let app = TestApp::spawn();
    let admin = app.login("sandra.kowalczyk"); // Lakeview
    let school = school_id(&mut app.conn(), HIGH);
    let (spring, lineage) = spring(&app, HIGH);
    // Grade 12 answered too little in every demo window: no baseline can come from it.
    let mut body = belonging(&school, &lineage, &spring, 90.0);
    body["metric"]["grades"] = json!([12]);
    let before = goal_count(&app);
    let r = app.post("/api/v1/goals", Some(&admin), &body);
    let problem = r.invalid_field("baseline.window_id");
    assert!(problem.to_string().contains("withheld"), "{problem}");
    assert_eq!(goal_count(&app), before);
    // A goal whose group became withheld later (here: its grades changed in the database, as
    // a later window's small cell would) shows "not measurable" and no value, interval or n.
    let demo = demo_goal(&app, HIGH, "More students feel they belong");
    let metric: String = goals::table
        .find(&demo)
        .select(goals::metric)
        .first::<Option<String>>(&mut app.conn())
        .unwrap()
        .unwrap();
    let mut metric: Value = serde_json::from_str(&metric).unwrap();
    metric["grades"] = json!([12]);
    diesel::update(goals::table.find(&demo))
        .set(goals::metric.eq(metric.to_string()))
        .execute(&mut app.conn())
        .unwrap();
    let g = app
        .get(&format!("/api/v1/goals/{demo}"), Some(&admin))
        .json();
    let progress = &g["goal"]["progress"];
    assert_eq!(progress["status"], "not_measurable", "{progress}");
    let latest = &progress["latest"];
    for field in ["value", "low", "high", "n"] {
        assert_eq!(latest[field], Value::Null, "{field}: {latest}");
    }
    assert!(latest["withheld"].as_str().unwrap().contains("withheld"));
    assert_eq!(progress["expected"], Value::Null);
    // The roll-up counts it as not measurable.
    let list = app.get("/api/v1/goals", Some(&admin)).json();
    assert_eq!(list["rollup"][0]["not_measurable"], 1, "{}", list["rollup"]);
}

#[test]
fn bad_goals_name_the_field_and_write_nothing() {
    let app = TestApp::spawn();
    let admin = app.login(ELEMENTARY_ADMIN);
    let school = school_id(&mut app.conn(), ELEMENTARY);
    let (spring, lineage) = spring(&app, ELEMENTARY);
    let fall_term: String = terms::table
        .filter(terms::name.eq("Fall 2026"))
        .select(terms::id)
        .first(&mut app.conn())
        .unwrap();
    let open_window: String = survey_windows::table
        .filter(survey_windows::closes_at.gt(Utc::now().naive_utc()))
        .select(survey_windows::id)
        .first(&mut app.conn())
        .unwrap();
    let good = belonging(&school, &lineage, &spring, 90.0);
    let with = |path: &[&str], value: Value| {
        let mut b = good.clone();
        let mut at = &mut b;
        for p in &path[..path.len() - 1] {
            at = &mut at[*p];
        }
        at[path[path.len() - 1]] = value;
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        // A grade the school does not teach.
        (with(&["metric", "grades"], json!([9])), "metric.grades"),
        (with(&["metric", "grades"], json!([3, 3])), "metric.grades"),
        // A measure of another indicator.
        (
            with(&["metric", "measure"], json!("frequent_victimization")),
            "metric.measure",
        ),
        (
            with(&["metric", "lineage_id"], json!("")),
            "metric.lineage_id",
        ),
        // An unknown field inside the metric.
        (with(&["metric", "colour"], json!("red")), "metric.colour"),
        // A baseline from an open window, or from none.
        (
            with(&["baseline"], json!({"window_id": open_window})),
            "baseline.window_id",
        ),
        (
            with(&["baseline"], json!({"window_id": "no-such-window"})),
            "baseline.window_id",
        ),
        (
            with(&["baseline"], json!({"term_id": fall_term})),
            "baseline.window_id",
        ),
        // A deadline before the baseline, and one already past.
        (with(&["deadline"], json!("2026-01-01")), "deadline"),
        (
            with(
                &["deadline"],
                json!((today() - TimeDelta::days(1)).to_string()),
            ),
            "deadline",
        ),
        // A target on the wrong side of the baseline, or outside the scale.
        (with(&["target"], json!(1.0)), "target"),
        (with(&["target"], json!(101.0)), "target"),
        // An owner who may not own a school goal, and a strategy that does not exist.
        (
            with(
                &["owner_id"],
                json!(user_id(&mut app.conn(), "david.goldstein")),
            ),
            "owner_id",
        ),
        (
            with(&["strategies"], json!([{"lesson_plan_id": "nope"}])),
            "strategies[0].lesson_plan_id",
        ),
        (
            with(
                &["strategies"],
                json!([{"note": "a", "lesson_plan_id": "b"}]),
            ),
            "strategies[0]",
        ),
        (with(&["cadence"], json!("weekly")), "cadence"),
        (with(&["title"], json!(" ")), "title"),
    ];
    let before = goal_count(&app);
    let created_before = audit_count(&app, "goal.created");
    for (body, field) in cases {
        let r = app.post("/api/v1/goals", Some(&admin), &body);
        assert_eq!(r.status, 422, "{field}: {}", r.text);
        r.invalid_field(field);
    }
    // A lesson goal's baseline is an ended term: the term under way is refused.
    let lessons = json!({"title": "Deliver more lessons", "school_id": school,
        "metric": {"kind": "lesson_completion"}, "baseline": {"term_id": fall_term},
        "target": 90, "deadline": in_days(100), "cadence": "monthly"});
    let r = app.post("/api/v1/goals", Some(&admin), &lessons);
    r.invalid_field("baseline.term_id");
    // A district goal is for district administrators.
    let mut district = good.clone();
    district.as_object_mut().unwrap().remove("school_id");
    app.post("/api/v1/goals", Some(&admin), &district)
        .problem(403);
    assert_eq!(goal_count(&app), before);
    assert_eq!(audit_count(&app, "goal.created"), created_before);
}

#[test]
fn a_lesson_goal_starts_from_an_ended_term_as_sel_activity_shows_it() {
    let app = TestApp::spawn();
    let admin = app.login(ELEMENTARY_ADMIN);
    let school = school_id(&mut app.conn(), ELEMENTARY);
    // The demo's lessons are all in Fall 2026; end that term yesterday.
    let fall_term: String = terms::table
        .filter(terms::name.eq("Fall 2026"))
        .select(terms::id)
        .first(&mut app.conn())
        .unwrap();
    diesel::update(terms::table.find(&fall_term))
        .set(terms::ends_on.eq(today() - TimeDelta::days(1)))
        .execute(&mut app.conn())
        .unwrap();
    let activity = app
        .get(
            &format!("/api/v1/reports/schools/{school}/sel-activity?term_id={fall_term}"),
            Some(&admin),
        )
        .json();
    let rated = activity["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["completion_rate"].is_number())
        .expect("a competency with delivered lessons")
        .clone();
    let rate = rated["completion_rate"].as_f64().unwrap() * 100.0;
    let body = json!({"title": "Finish the lessons", "school_id": school,
        "metric": {"kind": "lesson_completion", "competency": rated["competency"]},
        "baseline": {"term_id": fall_term}, "target": 99.0, "deadline": in_days(150),
        "cadence": "monthly"});
    let r = app.post("/api/v1/goals", Some(&admin), &body);
    assert_eq!(r.status, 201, "{}", r.text);
    let g = r.json();
    assert_eq!(
        g["baseline"]["value"].as_f64().unwrap(),
        (rate * 10.0).round() / 10.0
    );
    assert_eq!(
        g["baseline"]["low"],
        Value::Null,
        "counts of records are exact"
    );
    // No term has begun since: nothing to measure yet.
    assert_eq!(g["progress"]["status"], "not_measurable");
    assert_eq!(g["progress"]["path"], json!([]));
    // Mentoring: the students served over the term, as SEL activity counts them.
    let served = activity["mentoring"]["students_served"].as_f64().unwrap();
    let body = json!({"title": "Mentor more students", "school_id": school,
        "metric": {"kind": "mentoring_students_served"},
        "baseline": {"term_id": fall_term}, "target": served + 10.0, "deadline": in_days(150),
        "cadence": "quarterly"});
    let r = app.post("/api/v1/goals", Some(&admin), &body);
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["baseline"]["value"].as_f64().unwrap(), served);
    assert_eq!(r.json()["unit"], "students");
    // A lesson or mentoring metric takes no climate fields.
    let mut wrong = body.clone();
    wrong["metric"]["indicator"] = json!("belonging");
    app.post("/api/v1/goals", Some(&admin), &wrong)
        .invalid_field("metric.indicator");
}

#[test]
fn a_climate_goal_takes_its_lineage_from_the_baseline_window_by_default() {
    let app = TestApp::spawn();
    let admin = app.login(ELEMENTARY_ADMIN);
    let school = school_id(&mut app.conn(), ELEMENTARY);
    let (spring, lineage) = spring(&app, ELEMENTARY);
    let mut body = belonging(&school, &lineage, &spring, 90.0);
    body["metric"].as_object_mut().unwrap().remove("lineage_id");
    let r = app.post("/api/v1/goals", Some(&admin), &body);
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["metric"]["lineage_id"], lineage.as_str());
    // Without a window to take it from, it is required.
    body["baseline"] = json!({"term_id": "t"});
    app.post("/api/v1/goals", Some(&admin), &body)
        .invalid_field("metric.lineage_id");
}

#[test]
fn reviews_fall_due_on_the_cadence_and_are_settled_by_the_owner() {
    let app = TestApp::spawn();
    let principal = app.login(PRINCIPAL);
    let district = app.login(DISTRICT);
    let due = app.get("/api/v1/goals/reviews-due", Some(&district)).json();
    let due = due["due"].as_array().unwrap().clone();
    // The demo: each school's belonging goal was set ten weeks ago with a monthly cadence,
    // reviewed once, and is due again.
    assert_eq!(due.len(), 3, "{due:?}");
    let point = (Utc::now().date_naive() - TimeDelta::days(70))
        .checked_add_months(chrono::Months::new(2))
        .unwrap();
    assert!(
        due.iter().all(|d| d["due_on"] == point.to_string()),
        "{due:?}"
    );
    let mine = app
        .get("/api/v1/goals/reviews-due", Some(&principal))
        .json();
    let mine = mine["due"].as_array().unwrap().clone();
    assert_eq!(mine.len(), 1);
    let id = mine[0]["goal_id"].as_str().unwrap().to_owned();
    let r = app.post(
        &format!("/api/v1/goals/{id}/reviews"),
        Some(&principal),
        &json!({"what_happened": "Circles continue.", "what_changes": "None."}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["due_on"], point.to_string());
    let after = app
        .get("/api/v1/goals/reviews-due", Some(&principal))
        .json();
    assert_eq!(after["due"], json!([]));
    let reviews: i64 = goal_reviews::table
        .filter(goal_reviews::goal_id.eq(&id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(reviews, 2, "the demo's review and this one");
    // The district roll-up counts each school's active goals by status.
    let list = app.get("/api/v1/goals", Some(&district)).json();
    let rollup = list["rollup"].as_array().unwrap();
    assert_eq!(rollup.len(), 3);
    let counted: u64 = rollup
        .iter()
        .map(|r| {
            ["on_track", "at_risk", "met", "not_met", "not_measurable"]
                .iter()
                .map(|k| r[*k].as_u64().unwrap())
                .sum::<u64>()
        })
        .sum();
    assert_eq!(counted as usize, list["goals"].as_array().unwrap().len());
}

#[test]
fn a_counselor_sets_a_goal_with_a_student_who_logs_progress() {
    let app = TestApp::spawn();
    let counselor = app.login(COUNSELOR);
    let s = app.login(STUDENT);
    let student = user_id(&mut app.conn(), STUDENT);
    let created = app.post(
        &format!("/api/v1/students/{student}/goals"),
        Some(&counselor),
        &json!({"title": "Take three deep breaths before I answer back", "measure": "yes_days",
                "weekly_target": 3, "review_on": in_days(14)}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let goal = created.json();
    assert_eq!(goal["kind"], "student");
    assert_eq!(goal["owner"]["id"], user_id(&mut app.conn(), COUNSELOR));
    let id = goal["id"].as_str().unwrap().to_owned();
    // The student sees it and logs today; a second log the same day replaces the first.
    let mine = app.get("/api/v1/me/goals", Some(&s)).json();
    assert!(mine["who_can_see"].as_str().unwrap().contains("counselors"));
    assert!(mine["goals"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["id"] == id.as_str()));
    let path = format!("/api/v1/me/goals/{id}/progress");
    let r = app.post(&path, Some(&s), &json!({"value": 1}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["weeks"][0]["value"], 1.0);
    assert_eq!(r.json()["weeks"][0]["met"], Value::Null);
    let r = app.post(&path, Some(&s), &json!({"value": 0}));
    assert_eq!(r.json()["weeks"][0]["value"], 0.0);
    let logs: Vec<(i32, Option<String>)> = student_goal_progress::table
        .filter(student_goal_progress::goal_id.eq(&id))
        .select((
            student_goal_progress::value,
            student_goal_progress::check_in_id,
        ))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(logs, vec![(0, None)]);
    // Logged with the day's check-in, it is linked to it.
    app.post(&path, Some(&s), &json!({"value": 1, "with_check_in": true}))
        .invalid_field("with_check_in");
    let c = app.send(
        "PUT",
        "/api/v1/me/check-ins",
        Some(&s),
        &json!({"emotion": "calm", "intensity": 2}),
    );
    assert_eq!(c.status, 200, "{}", c.text);
    let check_in = c.json()["check_in"]["id"].as_str().unwrap().to_owned();
    let r = app.post(&path, Some(&s), &json!({"value": 1, "with_check_in": true}));
    assert_eq!(r.status, 200, "{}", r.text);
    let linked: Option<String> = student_goal_progress::table
        .filter(student_goal_progress::goal_id.eq(&id))
        .select(student_goal_progress::check_in_id)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(linked, Some(check_in));
    // Bad logs.
    app.post(&path, Some(&s), &json!({"value": 2}))
        .invalid_field("value");
    app.post(&path, Some(&s), &json!({"value": 1, "on": in_days(1)}))
        .invalid_field("on");
    app.post(&path, Some(&s), &json!({"value": 1, "on": in_days(-8)}))
        .invalid_field("on");
    // Someone else's goal: one answer for "not yours" and "no such goal".
    let other = student_goal(&app, "alanap489");
    app.post(
        &format!("/api/v1/me/goals/{other}/progress"),
        Some(&s),
        &json!({"value": 1}),
    )
    .problem(404);
    // The counselor reads the student's goals (audited) and closes this one; logging stops.
    let read = app.get(
        &format!("/api/v1/students/{student}/goals"),
        Some(&counselor),
    );
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(audit_count(&app, "student_goals.read"), 1);
    let closed = app.patch(
        &format!("/api/v1/goals/{id}"),
        Some(&counselor),
        &json!({"state": "closed"}),
    );
    assert_eq!(closed.status, 200, "{}", closed.text);
    app.post(&path, Some(&s), &json!({"value": 1})).problem(409);
    // Bad student goals.
    let goals_path = format!("/api/v1/students/{student}/goals");
    for (body, field) in [
        (
            json!({"title": "x", "measure": "minutes_to_calm", "weekly_target": 0, "review_on": in_days(7)}),
            "weekly_target",
        ),
        (
            json!({"title": "x", "measure": "yes_days", "weekly_target": 8, "review_on": in_days(7)}),
            "weekly_target",
        ),
        (
            json!({"title": "x", "measure": "yes_days", "weekly_target": 3, "review_on": in_days(0)}),
            "review_on",
        ),
        (
            json!({"title": "x", "measure": "hugs", "weekly_target": 3, "review_on": in_days(7)}),
            "measure",
        ),
    ] {
        app.post(&goals_path, Some(&counselor), &body)
            .invalid_field(field);
    }
}

/// Every role on every goals route, inside and outside its scope.
#[test]
fn every_role_is_refused_outside_its_scope() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let riverbend = school_id(&mut conn, MIDDLE);
    let student = user_id(&mut conn, STUDENT);
    let (spring_w, lineage) = spring(&app, MIDDLE);
    let school_goal = demo_goal(&app, MIDDLE, "More students feel they belong");
    let personal = student_goal(&app, STUDENT);
    let district = app.post(
        "/api/v1/goals",
        Some(&app.login(DISTRICT)),
        &json!({"title": "District belonging", "metric": {"kind": "climate",
            "lineage_id": lineage, "indicator": "belonging", "measure": "percent_favorable"},
            "baseline": {"window_id": spring_w}, "target": 95, "deadline": in_days(300),
            "cadence": "quarterly"}),
    );
    assert_eq!(district.status, 201, "{}", district.text);
    let district_goal = district.json()["id"].as_str().unwrap().to_owned();
    let other_student = demo_login("student", ELEMENTARY);
    let everyone = [
        DISTRICT,
        PRINCIPAL,
        COUNSELOR,
        TEACHER,
        OTHER_TEACHER,
        OTHER_COUNSELOR,
        "hp.counselor",
        "hp.admin",
        STUDENT,
        other_student.as_str(),
    ];
    let new_goal = belonging(&riverbend, &lineage, &spring_w, 95.0);
    let review = json!({"what_happened": "Met with staff.", "what_changes": "Nothing."});
    let personal_goal = json!({"title": "Ask for help in class", "measure": "times_used",
                               "weekly_target": 2, "review_on": in_days(10)});
    let mut cases = Vec::new();
    for who in everyone {
        let student_role = who == STUDENT || who == other_student;
        let school_staff = matches!(who, DISTRICT | PRINCIPAL | COUNSELOR);
        cases.push(Case::get(
            who,
            "/goals",
            if student_role || matches!(who, TEACHER | OTHER_TEACHER) {
                403
            } else {
                200
            },
        ));
        cases.push(Case::get(
            who,
            "/goals/reviews-due",
            if student_role || matches!(who, TEACHER | OTHER_TEACHER) {
                403
            } else {
                200
            },
        ));
        let expect = match who {
            DISTRICT | PRINCIPAL | COUNSELOR => 201,
            TEACHER | OTHER_TEACHER => 403,
            w if w == STUDENT || w == other_student => 403,
            _ => 422,
        };
        cases.push(Case::post(who, "/goals", new_goal.clone(), expect).field("school_id"));
        // A school goal: its school's administrators and counselors and district staff.
        let reads = if school_staff { 200 } else { 404 };
        cases.push(Case::get(who, &format!("/goals/{school_goal}"), reads));
        cases.push(Case::get(
            who,
            &format!("/goals/{school_goal}/reviews"),
            reads,
        ));
        cases.push(Case::patch(
            who,
            &format!("/goals/{school_goal}"),
            json!({"title": format!("Belonging ({who})")}),
            reads,
        ));
        // Its owner (the principal) reviews it.
        let expect = match who {
            PRINCIPAL => 201,
            DISTRICT | COUNSELOR => 403,
            _ => 404,
        };
        cases.push(Case::post(
            who,
            &format!("/goals/{school_goal}/reviews"),
            review.clone(),
            expect,
        ));
        // A district goal: district staff only.
        let reads = if who == DISTRICT { 200 } else { 404 };
        cases.push(Case::get(who, &format!("/goals/{district_goal}"), reads));
        // A student's goal: the student and the school's counselors; teachers not by default;
        // administrators never.
        let reads = if who == COUNSELOR || who == STUDENT {
            200
        } else {
            404
        };
        cases.push(Case::get(who, &format!("/goals/{personal}"), reads));
        let expect = match who {
            COUNSELOR => 200,
            STUDENT => 403,
            _ => 404,
        };
        cases.push(Case::patch(
            who,
            &format!("/goals/{personal}"),
            json!({"title": "Ask for help when stuck"}),
            expect,
        ));
        let expect = match who {
            COUNSELOR => 201,
            STUDENT => 403,
            _ => 404,
        };
        cases.push(Case::post(
            who,
            &format!("/goals/{personal}/reviews"),
            review.clone(),
            expect,
        ));
        let expect = match who {
            COUNSELOR => 200,
            TEACHER | PRINCIPAL | DISTRICT | STUDENT => 403,
            _ => 404,
        };
        cases.push(Case::get(
            who,
            &format!("/students/{student}/goals"),
            expect,
        ));
        let expect = match who {
            COUNSELOR => 201,
            TEACHER | PRINCIPAL | DISTRICT | STUDENT => 403,
            _ => 404,
        };
        cases.push(Case::post(
            who,
            &format!("/students/{student}/goals"),
            personal_goal.clone(),
            expect,
        ));
        cases.push(Case::get(
            who,
            "/me/goals",
            if student_role { 200 } else { 403 },
        ));
        let expect = match who {
            STUDENT => 200,
            w if w == other_student => 404,
            _ => 403,
        };
        cases.push(Case::post(
            who,
            &format!("/me/goals/{personal}/progress"),
            json!({"value": 1}),
            expect,
        ));
    }
    cases.push(Case::get("", "/goals", 401));
    cases.push(Case::get("", &format!("/goals/{school_goal}"), 401));
    let mut m = Matrix::new(&app);
    m.check_all(cases);
    // Where the district allows it, the student's own teachers see their goals (read only).
    let r = app.send(
        "PUT",
        &format!("/api/v1/districts/{}/support-settings", demo_district()),
        Some(&app.login(DISTRICT)),
        &json!({"teachers_see_student_goals": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    m.check_all([
        Case::get(TEACHER, &format!("/students/{student}/goals"), 200),
        Case::get(TEACHER, &format!("/goals/{personal}"), 200),
        Case::patch(
            TEACHER,
            &format!("/goals/{personal}"),
            json!({"title": "t"}),
            403,
        ),
        Case::get(OTHER_TEACHER, &format!("/students/{student}/goals"), 404),
        Case::get(OTHER_TEACHER, &format!("/goals/{personal}"), 404),
    ]);
}

/// A teacher allowed to see students' goals sees only those set while they already taught the
/// student (an enrollment made later, say by an administrator building a class around the
/// student, opens nothing set before it), and never what was said at a review. The trail names
/// goals, not students.
#[test]
fn a_teacher_sees_goals_set_while_teaching_and_no_review_notes() {
    use securebase::db::schema::{class_teachers, enrollments};
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let student = user_id(&mut conn, STUDENT);
    let hannah = user_id(&mut conn, OTHER_TEACHER);
    let r = app.send(
        "PUT",
        &format!("/api/v1/districts/{}/support-settings", demo_district()),
        Some(&app.login(DISTRICT)),
        &json!({"teachers_see_student_goals": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let demo = student_goal(&app, STUDENT);
    let counselor = app.login(COUNSELOR);
    let reviewed = app.post(
        &format!("/api/v1/goals/{demo}/reviews"),
        Some(&counselor),
        &json!({"what_happened": "Spoke up twice about a friend.", "what_changes": "Keep going."}),
    );
    assert_eq!(reviewed.status, 201, "{}", reviewed.text);
    // His teacher since the term began sees the goal, without the review's words.
    let teacher = app.login(TEACHER);
    let seen = app.get(&format!("/api/v1/goals/{demo}"), Some(&teacher));
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(seen.json()["reviews"], json!([]));
    let listed = app.get(&format!("/api/v1/goals/{demo}/reviews"), Some(&teacher));
    assert_eq!(listed.json()["reviews"], json!([]));
    assert!(!seen.text.contains("Spoke up twice"));
    // Enrolled in one of Hannah's classes today: the earlier goal stays hidden from her.
    let class: String = class_teachers::table
        .filter(class_teachers::teacher_id.eq(&hannah))
        .select(class_teachers::class_id)
        .first(&mut conn)
        .unwrap();
    let now = Utc::now().naive_utc();
    diesel::insert_into(enrollments::table)
        .values((
            enrollments::class_id.eq(&class),
            enrollments::student_id.eq(&student),
            enrollments::active.eq(true),
            enrollments::created_at.eq(now),
            enrollments::updated_at.eq(now),
        ))
        .execute(&mut conn)
        .unwrap();
    let hannah_token = app.login(OTHER_TEACHER);
    app.get(&format!("/api/v1/goals/{demo}"), Some(&hannah_token))
        .problem(404);
    let list = app.get(
        &format!("/api/v1/students/{student}/goals"),
        Some(&hannah_token),
    );
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.json()["goals"], json!([]));
    // A goal set from now on is hers to see.
    let new = app.post(
        &format!("/api/v1/students/{student}/goals"),
        Some(&counselor),
        &json!({"title": "Say hello to one new person", "measure": "yes_days",
                "weekly_target": 2, "review_on": in_days(7)}),
    );
    assert_eq!(new.status, 201, "{}", new.text);
    let list = app.get(
        &format!("/api/v1/students/{student}/goals"),
        Some(&hannah_token),
    );
    assert_eq!(list.json()["goals"].as_array().unwrap().len(), 1);
    // Changing nothing still shows the goal: it is audited as a read.
    let reads = audit_count(&app, "student_goals.read");
    let r = app.patch(
        &format!("/api/v1/goals/{demo}"),
        Some(&counselor),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(audit_count(&app, "student_goals.read"), reads + 1);
    // The trail names goals, never the student.
    let scopes: Vec<String> = audit_events::table
        .filter(audit_events::action.eq_any(["student_goals.read", "goal.created"]))
        .select(audit_events::scope)
        .load(&mut conn)
        .unwrap();
    assert!(!scopes.is_empty());
    assert!(scopes.iter().all(|s| !s.contains(&student)), "{scopes:?}");
    // A deadline may not move into the past.
    let school_goal = demo_goal(&app, MIDDLE, "More students feel they belong");
    app.patch(
        &format!("/api/v1/goals/{school_goal}"),
        Some(&app.login(PRINCIPAL)),
        &json!({"deadline": in_days(-3)}),
    )
    .invalid_field("deadline");
}
