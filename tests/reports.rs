//! Climate reports through the API: correct numbers (recomputed here from the raw responses),
//! no suppressed value derivable from everything a district administrator can read, scope, and
//! the audit trail.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::*;
use diesel::prelude::*;
use securebase::auth::tokens::TokenKeys;
use securebase::auth::Role;
use securebase::db::schema::{audit_events, survey_items, users};
use securebase::surveys::synthetic::{generate, Spec};
use serde_json::Value;

const ADMIN: &str = "denise.whitfield";
const DISTRICT: &str = "Maple Valley Unified School District";

fn district_id() -> String {
    securebase::seed::district_id(DISTRICT)
}

/// The demo's closed windows, oldest first.
fn closed_windows(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.get("/api/v1/survey-windows?limit=200", Some(token));
    assert_eq!(r.status, 200, "{}", r.text);
    let mut closed: Vec<Value> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["state"] == "closed")
        .cloned()
        .collect();
    closed.sort_by_key(|w| w["closes_at"].as_str().unwrap().to_owned());
    closed
}

fn school_ids(app: &TestApp, token: &str) -> HashMap<String, String> {
    app.get("/api/v1/schools?limit=200", Some(token)).json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_demo_district_reads_closed_windows_with_suppressed_cells_in_json_and_csv() {
    let app = TestApp::spawn();
    let token = app.login(ADMIN);
    let closed = closed_windows(&app, &token);
    assert_eq!(
        closed.len(),
        4,
        "two past windows × two grade versions: {closed:?}"
    );
    let secondary = closed
        .iter()
        .rev()
        .find(|w| w["grades"].as_array().unwrap().contains(&Value::from(12)))
        .unwrap();
    let window = secondary["id"].as_str().unwrap();
    let path = format!(
        "/api/v1/reports/districts/{}/climate?window_id={window}",
        district_id()
    );
    let r = app.get(&path, Some(&token));
    assert_eq!(r.status, 200, "{}", r.text);
    let report = r.json();
    assert_eq!(report["meta"]["window_id"], window);
    assert_eq!(report["meta"]["min_cell_size"], 10);
    assert!(report["meta"]["scoring_rules_version"].is_string());
    let total = report["total"]["respondents"].as_i64().unwrap();
    assert!(total > 100, "{total}");
    // A row per school on request only (it is the bulk of a large district's report).
    assert_eq!(report["schools"], serde_json::json!([]));
    let by_school = app
        .get(&format!("{path}&breakdown=schools"), Some(&token))
        .json();
    assert_eq!(by_school["schools"].as_array().unwrap().len(), 2);
    assert_eq!(by_school["total"], report["total"]);
    let grades = report["grades"].as_array().unwrap();
    let twelve = grades.iter().find(|g| g["grade"] == 12).unwrap();
    assert_eq!(twelve["suppressed"], "small_cell", "{twelve}");
    assert!(twelve["respondents"].is_null() && twelve["indicators"][0]["mean"].is_null());
    let complementary = grades
        .iter()
        .filter(|g| g["suppressed"] == "complementary")
        .count();
    assert!(complementary >= 1, "{grades:?}");
    let shown: Vec<&Value> = grades
        .iter()
        .filter(|g| g["suppressed"].is_null())
        .collect();
    assert!(shown.len() >= 4, "most grades report: {grades:?}");
    assert_eq!(report["items"].as_array().unwrap().len(), 27);

    // CSV: the same numbers, with the metadata on every line.
    let r = app.request("GET", &path, Some(&token), &[("Accept", "text/csv")], None);
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    let mut lines = csv::Reader::from_reader(r.text.as_bytes());
    let header = lines.headers().unwrap().clone();
    for column in [
        "instrument_version",
        "window_opens_at",
        "window_closes_at",
        "scoring_rules_version",
        "min_cell_size",
    ] {
        assert!(header.iter().any(|h| h == column), "{header:?}");
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = lines.records().map(Result::unwrap).collect();
    let belonging_total = rows
        .iter()
        .find(|r| &r[col("section")] == "total" && &r[col("indicator")] == "belonging")
        .unwrap();
    assert_eq!(belonging_total[col("respondents")], total.to_string());
    let json_belonging = report["total"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == "belonging")
        .unwrap();
    assert_eq!(
        belonging_total[col("mean")],
        json_belonging["mean"].to_string()
    );
    assert!(rows.iter().all(|r| &r[col("window_id")] == window));
    let csv_again = app.get(&format!("{path}&format=csv"), Some(&token));
    assert_eq!(csv_again.text, r.text);

    // Results exist only for closed windows.
    let open: Vec<Value> = app
        .get("/api/v1/survey-windows?limit=200", Some(&token))
        .json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["state"] == "open")
        .cloned()
        .collect();
    let r = app.get(
        &format!(
            "/api/v1/reports/districts/{}/climate?window_id={}",
            district_id(),
            open[0]["id"].as_str().unwrap()
        ),
        Some(&token),
    );
    r.problem(409);
}

/// One respondent's scores by the README's rules, computed here from the raw answers.
fn rescore(
    answers: &BTreeMap<String, i32>,
    items: &HashMap<String, (String, String, bool)>,
) -> BTreeMap<String, (Option<f64>, bool)> {
    let mut sums: BTreeMap<String, (f64, u32)> = BTreeMap::new();
    let mut victimized: Option<bool> = None;
    for (id, value) in answers {
        let (scale, indicator, reverse) = &items[id];
        if indicator == "bullying_victimization" {
            let hit = if scale == "yes_no" {
                *value == 2
            } else {
                *value >= 2
            };
            victimized = Some(victimized.unwrap_or(false) || hit);
            continue;
        }
        let mut v = if scale == "yes_no" {
            if *value == 2 {
                5.0
            } else {
                1.0
            }
        } else {
            f64::from(*value)
        };
        if *reverse {
            v = 6.0 - v;
        }
        let e = sums.entry(indicator.clone()).or_insert((0.0, 0));
        e.0 += v;
        e.1 += 1;
    }
    let mut out: BTreeMap<String, (Option<f64>, bool)> = sums
        .into_iter()
        .map(|(k, (s, n))| {
            let mean = s / f64::from(n);
            (k, (Some(mean), mean >= 4.0))
        })
        .collect();
    if let Some(v) = victimized {
        out.insert("bullying_victimization".into(), (None, v));
    }
    out
}

fn wilson(hits: f64, n: f64) -> (f64, f64) {
    let z = 1.959964_f64;
    let p = hits / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    (centre - half, centre + half)
}

#[test]
fn every_reported_figure_matches_a_recomputation_from_the_raw_responses() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let g = generate(
        &mut conn,
        &Spec {
            schools: 3,
            students_per_school: 140,
            response_rate: 0.85,
            seed: 7,
            close: true,
            past_windows: 0,
        },
        &securebase::seal::SealKeys::demo(),
    )
    .unwrap();
    app.run_survey_job();
    let admin: String = users::table
        .filter(users::district_id.eq(&g.district_id))
        .filter(users::role.eq("district_admin"))
        .select(users::id)
        .first(&mut conn)
        .unwrap();
    let token = TokenKeys::new(securebase::config::DEMO_JWT_SECRET.as_bytes(), 900)
        .issue(&admin, Role::DistrictAdmin, &g.district_id, None)
        .unwrap();
    let items: HashMap<String, (String, String, bool)> = survey_items::table
        .select((
            survey_items::id,
            survey_items::scale,
            survey_items::indicator,
            survey_items::reverse_scored,
        ))
        .load::<(String, String, String, bool)>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|(id, s, i, r)| (id, (s, i, r)))
        .collect();
    let raw: Vec<(String, i32, BTreeMap<String, i32>)> =
        plain_responses(&mut conn, &[&g.window_id])
            .into_iter()
            .map(|r| {
                let answers = r.answers.into_iter().map(|(k, v)| (k, v as i32)).collect();
                (r.school_id, r.grade, answers)
            })
            .collect();
    assert_eq!(raw.len(), g.responses);

    let report = app
        .get(
            &format!(
                "/api/v1/reports/districts/{}/climate?window_id={}&breakdown=schools",
                g.district_id, g.window_id
            ),
            Some(&token),
        )
        .json();
    let mut compared = 0;
    // Every shown row: the district, each school, each grade.
    let rows = std::iter::once(&report["total"])
        .chain(report["schools"].as_array().unwrap())
        .chain(report["grades"].as_array().unwrap());
    for row in rows {
        if !row["suppressed"].is_null() {
            continue;
        }
        let mine: Vec<&(String, i32, BTreeMap<String, i32>)> = raw
            .iter()
            .filter(|(s, g, _)| {
                row["school_id"].as_str().is_none_or(|id| id == s)
                    && row["grade"].as_i64().is_none_or(|gr| gr == i64::from(*g))
            })
            .collect();
        assert_eq!(
            row["respondents"].as_u64().unwrap() as usize,
            mine.len(),
            "{row}"
        );
        let scored: Vec<BTreeMap<String, (Option<f64>, bool)>> =
            mine.iter().map(|(_, _, a)| rescore(a, &items)).collect();
        for ind in row["indicators"].as_array().unwrap() {
            let name = ind["indicator"].as_str().unwrap();
            if !ind["suppressed"].is_null() {
                // Withheld (too telling, or complementary to what is): no mean, no interval, at
                // most the coarse category of the share.
                assert!(
                    ind["mean"].is_null() && ind["mean_ci_low"].is_null(),
                    "{ind}"
                );
                for key in ["favorable", "prevalence"] {
                    assert!(ind[key].is_null() || ind[key]["coarsened"] == true, "{ind}");
                }
                continue;
            }
            let values: Vec<&(Option<f64>, bool)> =
                scored.iter().filter_map(|s| s.get(name)).collect();
            let n = values.len() as f64;
            assert_eq!(
                ind["n"].as_u64().unwrap() as usize,
                values.len(),
                "{name} {row}"
            );
            let hits = values.iter().filter(|(_, h)| *h).count() as f64;
            let pct = ind
                .get(if name == "bullying_victimization" {
                    "prevalence"
                } else {
                    "favorable"
                })
                .unwrap();
            let p = 100.0 * hits / n;
            if p <= 5.0 || p >= 95.0 {
                assert_eq!(pct["coarsened"], true, "{pct}");
                assert!(pct["value"].is_null() && pct["low"].is_null(), "{pct}");
            } else {
                assert!(
                    (pct["value"].as_f64().unwrap() - p).abs() <= 0.05 + 1e-9,
                    "{name}: {pct} vs {p}"
                );
                let (lo, hi) = wilson(hits, n);
                assert!(
                    (pct["low"].as_f64().unwrap() - 100.0 * lo).abs() <= 0.05 + 1e-9,
                    "{pct}"
                );
                assert!(
                    (pct["high"].as_f64().unwrap() - 100.0 * hi).abs() <= 0.05 + 1e-9,
                    "{pct}"
                );
            }
            if name != "bullying_victimization" {
                let xs: Vec<f64> = values.iter().map(|(m, _)| m.unwrap()).collect();
                let mean = xs.iter().sum::<f64>() / n;
                let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
                // n is large here: the t quantile is within 0.01 of 1.97.
                let half = 1.97 * sd / n.sqrt();
                assert!(
                    (ind["mean"].as_f64().unwrap() - mean).abs() <= 0.005 + 1e-9,
                    "{name}: {ind} vs {mean}"
                );
                assert!(
                    (ind["mean_ci_low"].as_f64().unwrap() - (mean - half)).abs() <= 0.015,
                    "{ind}"
                );
                assert!(
                    (ind["mean_ci_high"].as_f64().unwrap() - (mean + half)).abs() <= 0.015,
                    "{ind}"
                );
            }
            compared += 1;
        }
    }
    assert!(compared > 50, "{compared}");
    // Item distributions: counts per option for the district.
    for item in report["items"].as_array().unwrap() {
        let id = item["item_id"].as_str().unwrap();
        let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
        for (_, _, a) in &raw {
            if let Some(v) = a.get(id) {
                *counts.entry(i64::from(*v)).or_default() += 1;
            }
        }
        let d = &item["distribution"];
        if d.is_null() || d["coarsened"] == true {
            assert!(d.is_null() != item["suppressed"].is_null(), "{item}");
            continue;
        }
        for c in d["counts"].as_array().unwrap() {
            let expected = counts
                .get(&c["value"].as_i64().unwrap())
                .copied()
                .unwrap_or(0);
            assert_eq!(c["count"].as_u64().unwrap(), expected, "{id}");
        }
    }
}

/// Exact rank test: is `target` a linear combination of `rows`? (Integer elimination.)
fn determined(rows: &[Vec<i128>], target: &[i128]) -> bool {
    fn rank(m: &mut [Vec<i128>]) -> usize {
        let cols = m.first().map_or(0, Vec::len);
        let mut r = 0;
        for c in 0..cols {
            let Some(p) = (r..m.len()).find(|&i| m[i][c] != 0) else {
                continue;
            };
            m.swap(r, p);
            for i in 0..m.len() {
                if i != r && m[i][c] != 0 {
                    let (a, b) = (m[r][c], m[i][c]);
                    let pivot = m[r].clone();
                    for (x, p) in m[i].iter_mut().zip(&pivot) {
                        *x = *x * a - p * b;
                    }
                    let g = m[i].iter().fold(0i128, |g, x| num_gcd(g, x.abs()));
                    if g > 1 {
                        m[i].iter_mut().for_each(|x| *x /= g);
                    }
                }
            }
            r += 1;
        }
        r
    }
    fn num_gcd(a: i128, b: i128) -> i128 {
        if b == 0 {
            a
        } else {
            num_gcd(b, a % b)
        }
    }
    let mut a: Vec<Vec<i128>> = rows.to_vec();
    let base = rank(&mut a);
    let mut b: Vec<Vec<i128>> = rows.to_vec();
    b.push(target.to_vec());
    rank(&mut b) == base
}

#[test]
fn no_suppressed_count_can_be_derived_from_all_the_reports_an_administrator_can_read() {
    let app = TestApp::spawn();
    let token = app.login(ADMIN);
    let schools = school_ids(&app, &token);
    let mut checked = 0;
    for window in closed_windows(&app, &token) {
        let id = window["id"].as_str().unwrap();
        let district = app
            .get(
                &format!(
                    "/api/v1/reports/districts/{}/climate?window_id={id}&breakdown=schools",
                    district_id()
                ),
                Some(&token),
            )
            .json();
        let school_list: Vec<String> = window["school_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect();
        let grades: Vec<i64> = window["grades"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_i64().unwrap())
            .collect();
        let var = |s: usize, g: usize| s * grades.len() + g;
        let width = school_list.len() * grades.len();
        let mut shown: Vec<Vec<i128>> = Vec::new();
        let mut hidden: Vec<(String, Vec<i128>)> = Vec::new();
        let mut take = |row: &Value, vars: Vec<usize>, label: String| {
            let mut eq = vec![0i128; width];
            for v in vars {
                eq[v] = 1;
            }
            if row["suppressed"].is_null() {
                assert!(row["respondents"].is_i64(), "{label}: {row}");
                shown.push(eq);
            } else {
                assert!(row["respondents"].is_null(), "{label}: {row}");
                hidden.push((label, eq));
            }
        };
        let all: Vec<usize> = (0..width).collect();
        take(&district["total"], all, "district".into());
        for row in district["schools"].as_array().unwrap() {
            let s = school_list
                .iter()
                .position(|x| x == row["school_id"].as_str().unwrap())
                .unwrap();
            take(
                row,
                (0..grades.len()).map(|g| var(s, g)).collect(),
                format!("school {s}"),
            );
        }
        for row in district["grades"].as_array().unwrap() {
            let g = grades
                .iter()
                .position(|x| *x == row["grade"].as_i64().unwrap())
                .unwrap();
            take(
                row,
                (0..school_list.len()).map(|s| var(s, g)).collect(),
                format!("grade {}", grades[g]),
            );
        }
        for (s, school) in school_list.iter().enumerate() {
            let report = app
                .get(
                    &format!("/api/v1/reports/schools/{school}/climate?window_id={id}"),
                    Some(&token),
                )
                .json();
            take(
                &report["total"],
                (0..grades.len()).map(|g| var(s, g)).collect(),
                format!("school report {s}"),
            );
            for row in report["grades"].as_array().unwrap() {
                let g = grades
                    .iter()
                    .position(|x| *x == row["grade"].as_i64().unwrap())
                    .unwrap();
                take(
                    row,
                    vec![var(s, g)],
                    format!("school {s} grade {}", grades[g]),
                );
            }
        }
        for (label, eq) in &hidden {
            assert!(
                !determined(&shown, eq),
                "window {id}: {label} is derivable from the shown counts"
            );
            checked += 1;
        }
        assert!(schools.values().any(|v| school_list.contains(v)));
    }
    assert!(
        checked >= 2,
        "the fixtures must contain suppressed cells: {checked}"
    );
}

#[test]
fn reports_follow_the_roles_scopes_and_every_read_is_audited() {
    let app = TestApp::spawn();
    let admin = app.login(ADMIN);
    let schools = school_ids(&app, &admin);
    let window = closed_windows(&app, &admin)
        .into_iter()
        .find(|w| w["grades"].as_array().unwrap().contains(&Value::from(7)))
        .unwrap();
    let window = window["id"].as_str().unwrap().to_owned();
    let riverbend = &schools[MIDDLE];
    let lakeview = &schools[HIGH];
    let school_path = |s: &str| format!("/api/v1/reports/schools/{s}/climate?window_id={window}");
    let district_path = format!(
        "/api/v1/reports/districts/{}/climate?window_id={window}",
        district_id()
    );

    let counselor = app.login("daniel.kim");
    assert_eq!(
        app.get(&school_path(riverbend), Some(&counselor)).status,
        200
    );
    app.get(&school_path(lakeview), Some(&counselor))
        .problem(404);
    app.get(&district_path, Some(&counselor)).problem(403);
    let principal = app.login("gregory.tan");
    assert_eq!(
        app.get(
            &format!("{}&format=csv", school_path(riverbend)),
            Some(&principal)
        )
        .status,
        200
    );
    for who in ["samuel.ortega", "andreg197"] {
        let t = app.login(who);
        app.get(&school_path(riverbend), Some(&t)).problem(403);
        app.get(&district_path, Some(&t)).problem(403);
    }
    let outsider = app.login("hp.admin");
    app.get(&district_path, Some(&outsider)).problem(404);
    app.get(&school_path(riverbend), Some(&outsider))
        .problem(404);
    assert_eq!(app.get(&district_path, Some(&admin)).status, 200);
    app.get(
        &format!(
            "/api/v1/reports/districts/{}/climate?window_id=nope",
            district_id()
        ),
        Some(&admin),
    )
    .invalid_field("window_id");
    app.get(
        &format!("/api/v1/reports/districts/{}/climate", district_id()),
        Some(&admin),
    )
    .invalid_field("window_id");

    // The trail: three reads in this district, newest first; only district staff list it.
    let events = app.get("/api/v1/audit-events", Some(&admin));
    assert_eq!(events.status, 200, "{}", events.text);
    // Sign-ins are audited too; this test is about report reads.
    let items: Vec<serde_json::Value> = events.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("report."))
        .cloned()
        .collect();
    let actions: Vec<(String, String)> = items
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor_role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("report.read".to_owned(), "district_admin".to_owned()),
            ("report.export".to_owned(), "school_admin".to_owned()),
            ("report.read".to_owned(), "counselor".to_owned()),
        ]
    );
    assert_eq!(items[1]["scope"]["format"], "csv");
    assert_eq!(items[1]["scope"]["school_id"], riverbend.as_str());
    let exports = app
        .get("/api/v1/audit-events?action=report.export", Some(&admin))
        .json();
    assert_eq!(exports["total"], 1);
    app.get("/api/v1/audit-events", Some(&counselor))
        .problem(403);
    assert_eq!(
        app.get("/api/v1/audit-events?action=report.read", Some(&outsider))
            .json()["total"],
        0
    );

    // Append-only, whatever SQL is tried.
    let mut conn = app.conn();
    let changed = diesel::update(audit_events::table)
        .set(audit_events::action.eq("nothing"))
        .execute(&mut conn);
    assert!(changed.is_err(), "update must be refused");
    assert!(
        diesel::delete(audit_events::table)
            .execute(&mut conn)
            .is_err(),
        "delete must be refused"
    );
}

#[test]
fn trends_compare_consecutive_windows_and_sel_activity_sits_beside_them() {
    let app = TestApp::spawn();
    let admin = app.login(ADMIN);
    let secondary: Vec<Value> = closed_windows(&app, &admin)
        .into_iter()
        .filter(|w| w["grades"].as_array().unwrap().contains(&Value::from(12)))
        .collect();
    assert_eq!(secondary.len(), 2);
    let latest = app
        .get(
            &format!(
                "/api/v1/reports/districts/{}/climate?window_id={}",
                district_id(),
                secondary[1]["id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .json();
    let lineage = latest["meta"]["instrument_lineage_id"].as_str().unwrap();
    let r = app.get(
        &format!(
            "/api/v1/reports/districts/{}/climate/trend?lineage_id={lineage}",
            district_id()
        ),
        Some(&admin),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let trend = r.json();
    // Without a lineage, the two questionnaire versions that closed together are ambiguous.
    let r = app.get(
        &format!("/api/v1/reports/districts/{}/climate/trend", district_id()),
        Some(&admin),
    );
    let problem = r.invalid_field("lineage_id");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(lineage),
        "{problem}"
    );
    let belonging = trend["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == "belonging")
        .unwrap();
    let points = belonging["points"].as_array().unwrap();
    assert_eq!(points.len(), 2, "{belonging}");
    assert!(points[0]["mean_change"].is_null());
    assert_eq!(points[1]["window_id"], secondary[1]["id"]);
    let change = points[1]["mean_change"].as_f64().unwrap();
    let expected = points[1]["mean"].as_f64().unwrap() - points[0]["mean"].as_f64().unwrap();
    assert!((change - expected).abs() < 0.011, "{points:?}");
    assert!(
        change > 0.0,
        "the demo's belonging rose this term: {points:?}"
    );
    assert!(points[1]["mean_change_exceeds_margin"].is_boolean());

    let schools = school_ids(&app, &admin);
    let counselor = app.login("daniel.kim");
    let riverbend = &schools[MIDDLE];
    let r = app.get(
        &format!("/api/v1/reports/schools/{riverbend}/climate/trend?lineage_id={lineage}"),
        Some(&counselor),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json()["indicators"][0]["points"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    app.get(
        &format!("/api/v1/reports/schools/{}/climate/trend", schools[HIGH]),
        Some(&counselor),
    )
    .problem(404);
    // Riverbend takes one questionnaire version: its default lineage is unambiguous.
    let r = app.get(
        &format!("/api/v1/reports/schools/{riverbend}/climate/trend"),
        Some(&counselor),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["lineage_id"], lineage);

    let r = app.get(
        &format!("/api/v1/reports/schools/{riverbend}/sel-activity"),
        Some(&counselor),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let activity = r.json();
    assert_eq!(activity["lessons"].as_array().unwrap().len(), 5);
    let delivered: i64 = activity["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["delivered"].as_i64().unwrap())
        .sum();
    assert!(delivered > 0, "{activity}");
    assert!(
        activity["mentoring"]["active_matches"].as_i64().unwrap() >= 1,
        "{activity}"
    );
    let teacher = app.login("samuel.ortega");
    app.get(
        &format!("/api/v1/reports/schools/{riverbend}/sel-activity"),
        Some(&teacher),
    )
    .problem(403);
    app.get(
        &format!("/api/v1/reports/schools/{riverbend}/sel-activity?term_id=nope"),
        Some(&counselor),
    )
    .invalid_field("term_id");
}

#[test]
fn concurrent_first_reads_of_a_report_all_succeed_and_store_it_once() {
    use securebase::db::schema::{survey_window_aggregations, survey_window_reports};
    let app = TestApp::spawn();
    let token = app.login(ADMIN);
    let window = closed_windows(&app, &token)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!(
        "/api/v1/reports/districts/{}/climate?window_id={window}",
        district_id()
    );
    // Opening the window rendered its reports; as after a change of the reports' form, none is
    // stored now, and eight readers arrive at once.
    let mut conn = app.conn();
    let rendered_at_opening: i64 = survey_window_reports::table
        .filter(survey_window_reports::window_id.eq(&window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert!(
        rendered_at_opening >= 3,
        "district, district with schools, each school"
    );
    diesel::delete(
        survey_window_reports::table.filter(survey_window_reports::window_id.eq(&window)),
    )
    .execute(&mut conn)
    .unwrap();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| app.get(&path, Some(&token)).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses, vec![200; 8]);
    let stored: i64 = survey_window_reports::table
        .filter(survey_window_reports::window_id.eq(&window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let built: i64 = survey_window_aggregations::table
        .filter(survey_window_aggregations::window_id.eq(&window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!((stored, built), (1, 1));
    app.seal_audit();
    let audited: i64 = audit_events::table
        .filter(audit_events::action.like("report.%"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 8, "every read is recorded");
}
