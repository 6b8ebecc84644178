//! Climate reports through the API: correct numbers (recomputed here from the raw responses),
//! no suppressed value derivable from everything a district administrator can read, scope, and
//! the audit trail.

use std::collections::{BTreeMap, HashMap};

use crate::helpers::*;
use diesel::prelude::*;
use securebase::accounts::Role;
use securebase::auth::tokens::TokenKeys;
use securebase::db::schema::{audit_events, survey_items, users};
use securebase::surveys::synthetic::{generate, Spec};
use serde_json::Value;

const ADMIN: &str = "denise.whitfield";

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
        demo_district()
    );
    let r = app.get(&path, Some(&token));
    assert_eq!(r.status, 200, "{}", r.text);
    let report = r.json();
    assert_eq!(report["meta"]["window_id"], window);
    assert_eq!(report["meta"]["min_cell_size"], 10);
    assert!(report["meta"]["scoring_rules_version"].is_string());
    let total = report["total"]["respondents"].as_i64().unwrap();
    assert!(total > 100, "{total}");
    // Response rates are percentages in `response_percent` (0–100); the deprecated
    // `response_rate` carries the same value for one release.
    let eligible = report["total"]["eligible"].as_f64().unwrap();
    let percent = report["total"]["response_percent"].as_f64().unwrap();
    assert!(
        (percent - (total as f64 * 100.0 / eligible)).abs() <= 0.05,
        "{percent}"
    );
    assert_eq!(
        report["total"]["response_rate"],
        report["total"]["response_percent"]
    );
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
            demo_district(),
            open[0]["id"].as_str().unwrap()
        ),
        Some(&token),
    );
    r.problem(409);
}

/// What the recomputation knows of an item: scale, indicator, reverse scored, bullying form.
type ItemFacts = (String, String, bool, Option<String>);

/// One respondent's scores by the README's rules (scoring rules 2026-12-06.1), computed here
/// from the raw answers. Keys: each indicator, and for bullying also `bullying_any` and
/// `bullying_form:<form>`; values: (index, hit).
fn rescore(
    answers: &BTreeMap<String, i32>,
    items: &HashMap<String, ItemFacts>,
) -> BTreeMap<String, (Option<f64>, bool)> {
    // Per indicator: answered, favorable, sum and count of 5-point values.
    let mut scales: BTreeMap<String, (u32, u32, f64, u32)> = BTreeMap::new();
    let mut out: BTreeMap<String, (Option<f64>, bool)> = BTreeMap::new();
    let flag = |out: &mut BTreeMap<String, (Option<f64>, bool)>, key: String, hit: bool| {
        let e = out.entry(key).or_insert((None, false));
        e.1 |= hit;
    };
    for (id, value) in answers {
        let (scale, indicator, reverse, form) = &items[id];
        if indicator == "bullying_victimization" {
            let frequent = scale == "frequency_5" && *value >= 3;
            let any = if scale == "yes_no" {
                *value == 2
            } else {
                *value >= 2
            };
            flag(&mut out, indicator.clone(), frequent);
            flag(&mut out, "bullying_any".into(), any);
            if let Some(form) = form {
                flag(&mut out, format!("bullying_form:{form}"), frequent);
            }
            continue;
        }
        let e = scales.entry(indicator.clone()).or_insert((0, 0, 0.0, 0));
        e.0 += 1;
        if scale == "yes_no" {
            e.1 += u32::from((*value == 2) != *reverse);
        } else {
            let v = if *reverse { 6 - value } else { *value };
            e.1 += u32::from(v >= 4);
            e.2 += f64::from(v);
            e.3 += 1;
        }
    }
    for (k, (answered, favorable, sum, five)) in scales {
        let mean = (five > 0).then(|| sum / f64::from(five));
        out.insert(k, (mean, 2 * favorable > answered));
    }
    out
}

/// Wilson's 95% interval at the effective sample size of `n` respondents among `population`.
fn wilson(hits: f64, n: f64, population: f64) -> (f64, f64) {
    let p = hits / n;
    if n >= population {
        return (p, p);
    }
    let n = n * (population - 1.0) / (population - n);
    let z = 1.959964_f64;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    (centre - half, centre + half)
}

/// Checks a published share against hits of n among `population`.
fn check_share(pct: &serde_json::Value, hits: f64, n: f64, population: f64, what: &str) {
    let p = 100.0 * hits / n;
    if pct.is_null() {
        panic!("{what}: no share shown for {hits} of {n}");
    }
    if pct["coarsened"] == true {
        // Only a sensitive share is coarsened: at most max(1, n/20) hits or misses.
        let l = (n / 20.0).floor().max(1.0);
        assert!(
            hits <= l || n - hits <= l,
            "{what}: {pct} for {hits} of {n}"
        );
        assert!(pct["value"].is_null() && pct["low"].is_null(), "{pct}");
        return;
    }
    assert!(
        (pct["value"].as_f64().unwrap() - p).abs() <= 0.05 + 1e-9,
        "{what}: {pct} vs {p}"
    );
    let (lo, hi) = wilson(hits, n, population);
    assert!(
        (pct["low"].as_f64().unwrap() - 100.0 * lo).abs() <= 0.05 + 1e-9,
        "{what}: {pct} vs {lo}"
    );
    assert!(
        (pct["high"].as_f64().unwrap() - 100.0 * hi).abs() <= 0.05 + 1e-9,
        "{what}: {pct} vs {hi}"
    );
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
    let items: HashMap<String, ItemFacts> = survey_items::table
        .select((
            survey_items::id,
            survey_items::scale,
            survey_items::indicator,
            survey_items::reverse_scored,
            survey_items::bullying_form,
        ))
        .load::<(String, String, String, bool, Option<String>)>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|(id, s, i, r, f)| (id, (s, i, r, f)))
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
            let population = row["eligible"].as_f64().unwrap();
            if name == "bullying_victimization" {
                check_share(&ind["prevalence"], hits, n, population, name);
                let any = scored
                    .iter()
                    .filter(|s| s.get("bullying_any").is_some_and(|(_, h)| *h))
                    .count() as f64;
                check_share(&ind["any_prevalence"], any, n, population, "any");
                let forms = ind["forms"].as_array().unwrap();
                if row["grade"].is_null() {
                    // Each form is shown, or withheld as a whole where it would tell too much.
                    assert!(forms.len() <= 4, "{ind}");
                } else {
                    assert!(forms.is_empty(), "forms only on totals: {ind}");
                }
                for form in forms {
                    let key = format!("bullying_form:{}", form["form"].as_str().unwrap());
                    let of: Vec<bool> = scored
                        .iter()
                        .filter_map(|s| s.get(&key).map(|(_, h)| *h))
                        .collect();
                    assert_eq!(form["n"].as_u64().unwrap() as usize, of.len(), "{form}");
                    let h = of.iter().filter(|h| **h).count() as f64;
                    check_share(&form["prevalence"], h, of.len() as f64, population, &key);
                }
            } else {
                check_share(&ind["favorable"], hits, n, population, name);
                let xs: Vec<f64> = values.iter().filter_map(|(m, _)| *m).collect();
                let m = xs.len() as f64;
                let mean = xs.iter().sum::<f64>() / m;
                let s2 = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0);
                // Student's t on the logit of the scale position, finite-population corrected;
                // n is large here: the t quantile is within 0.01 of 1.97.
                let se = ((1.0 - m / population).max(0.0) * s2 / m).sqrt();
                let u = (mean - 1.0) / 4.0;
                let logit = (u / (1.0 - u)).ln();
                let half = 1.97 * se / (4.0 * u * (1.0 - u));
                let back = |x: f64| 1.0 + 4.0 / (1.0 + (-x).exp());
                assert!(
                    (ind["mean"].as_f64().unwrap() - mean).abs() <= 0.005 + 1e-9,
                    "{name}: {ind} vs {mean}"
                );
                assert!(
                    (ind["mean_ci_low"].as_f64().unwrap() - back(logit - half)).abs() <= 0.015,
                    "{ind}"
                );
                assert!(
                    (ind["mean_ci_high"].as_f64().unwrap() - back(logit + half)).abs() <= 0.015,
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
                    demo_district()
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
        demo_district()
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
            demo_district()
        ),
        Some(&admin),
    )
    .invalid_field("window_id");
    app.get(
        &format!("/api/v1/reports/districts/{}/climate", demo_district()),
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

/// The district report of a window with its school rows.
fn district_report(app: &TestApp, token: &str, window: &str) -> Value {
    let r = app.get(
        &format!(
            "/api/v1/reports/districts/{}/climate?window_id={window}&breakdown=schools",
            demo_district()
        ),
        Some(token),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn belonging_of(row: &Value) -> &Value {
    row["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == "belonging")
        .unwrap()
}

#[test]
fn a_change_compares_only_the_schools_both_windows_offered() {
    use securebase::db::schema::{
        survey_cell_responses, survey_window_cells, survey_window_reports, survey_window_schools,
    };
    let app = TestApp::spawn();
    let admin = app.login(ADMIN);
    let secondary: Vec<Value> = closed_windows(&app, &admin)
        .into_iter()
        .filter(|w| w["grades"].as_array().unwrap().contains(&Value::from(12)))
        .collect();
    let (earlier, later) = (
        secondary[0]["id"].as_str().unwrap(),
        secondary[1]["id"].as_str().unwrap(),
    );
    let report = district_report(&app, &admin, later);
    let lineage = report["meta"]["instrument_lineage_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let schools: Vec<String> = report["schools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["school_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(schools.len() >= 2, "{schools:?}");
    // The earlier window was not offered at one school (as if it joined the survey later).
    let dropped = &schools[0];
    let mut conn = app.conn();
    diesel::delete(
        survey_window_cells::table
            .filter(survey_window_cells::window_id.eq(earlier))
            .filter(survey_window_cells::school_id.eq(dropped)),
    )
    .execute(&mut conn)
    .unwrap();
    diesel::delete(
        survey_cell_responses::table
            .filter(survey_cell_responses::window_id.eq(earlier))
            .filter(survey_cell_responses::school_id.eq(dropped)),
    )
    .execute(&mut conn)
    .unwrap();
    diesel::delete(
        survey_window_schools::table
            .filter(survey_window_schools::window_id.eq(earlier))
            .filter(survey_window_schools::school_id.eq(dropped)),
    )
    .execute(&mut conn)
    .unwrap();
    diesel::delete(
        survey_window_reports::table.filter(survey_window_reports::window_id.eq(earlier)),
    )
    .execute(&mut conn)
    .unwrap();

    let r = app.get(
        &format!(
            "/api/v1/reports/districts/{}/climate/trend?lineage_id={lineage}",
            demo_district()
        ),
        Some(&admin),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let trend = r.json();
    let belonging = trend["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == "belonging")
        .unwrap();
    let points = belonging["points"].as_array().unwrap();
    let c = &points[1]["change"];
    let common: Vec<&String> = schools.iter().filter(|s| *s != dropped).collect();
    assert_eq!(c["whole_windows"], false, "{c}");
    assert_eq!(c["schools"].as_array().unwrap().len(), common.len(), "{c}");
    // The later side is the common schools' rows of the later report, not its total.
    let rows_after: Vec<&Value> = report["schools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["school_id"] != dropped.as_str())
        .collect();
    let n_after: u64 = rows_after
        .iter()
        .map(|r| belonging_of(r)["n"].as_u64().unwrap())
        .sum();
    assert_eq!(c["n_after"].as_u64(), Some(n_after), "{c}");
    assert!(n_after < points[1]["n"].as_u64().unwrap(), "{c}");
    let favorable_after: f64 = rows_after
        .iter()
        .map(|r| {
            let b = belonging_of(r);
            b["favorable"]["value"].as_f64().unwrap() * b["n"].as_f64().unwrap()
        })
        .sum::<f64>()
        / n_after as f64;
    assert!(
        (c["percent_after"].as_f64().unwrap() - favorable_after).abs() <= 0.1,
        "{c} vs {favorable_after}"
    );
    // The earlier side is the earlier window as it now stands: those same schools.
    let before = district_report(&app, &admin, earlier);
    assert_eq!(c["n_before"], belonging_of(&before["total"])["n"], "{c}");
    assert_eq!(c["percent_before"], points[0]["percent"], "{c}");
}

#[test]
fn windows_scored_under_older_rules_are_scored_again_from_their_stored_answers() {
    use securebase::db::schema::{
        survey_window_aggregations, survey_window_cells, survey_window_reports,
    };
    let app = TestApp::spawn();
    let admin = app.login(ADMIN);
    let window = closed_windows(&app, &admin)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let original = district_report(&app, &admin, &window);
    let mut conn = app.conn();
    // As if opened under the rules before 2026-12-06.1, with aggregates that no longer match
    // the answers (every plain cell's replaced by an empty one).
    let age = |conn: &mut securebase::db::DbConnection| {
        diesel::update(survey_window_aggregations::table.find(&window))
            .set(survey_window_aggregations::scoring_rules_version.eq("2026-11-27.1"))
            .execute(conn)
            .unwrap();
        diesel::update(
            survey_window_cells::table
                .filter(survey_window_cells::window_id.eq(&window))
                .filter(survey_window_cells::aggregates.not_like("sealed:%")),
        )
        .set(survey_window_cells::aggregates.eq(r#"{"indicators":{},"items":{}}"#))
        .execute(conn)
        .unwrap();
        // Renderings are stored under the rules they were rendered with.
        diesel::delete(
            survey_window_reports::table.filter(survey_window_reports::window_id.eq(&window)),
        )
        .execute(conn)
        .unwrap();
    };
    age(&mut conn);
    let run = app.run_survey_job();
    assert_eq!(run.rescored, vec![window.clone()], "{run:?}");
    assert!(run.rescore_failed.is_empty(), "{run:?}");
    let again = district_report(&app, &admin, &window);
    assert_eq!(again["meta"]["scoring_rules_version"], "2026-12-06.1");
    assert_eq!(again["total"], original["total"]);
    assert_eq!(again["schools"], original["schools"]);
    assert_eq!(again["items"], original["items"]);
    assert!(app.run_survey_job().rescored.is_empty());
    // A read finds a stale window before the job does, and scores it first.
    age(&mut conn);
    let read = district_report(&app, &admin, &window);
    assert_eq!(read["total"], original["total"]);
    assert_eq!(read["grades"], original["grades"]);
    app.seal_audit();
    let rescored: i64 = audit_events::table
        .filter(audit_events::action.eq("survey_window.rescored"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(rescored, 2);
}

#[test]
fn a_window_that_cannot_be_scored_again_names_its_rules_and_is_not_compared() {
    use securebase::db::schema::{
        survey_cell_responses, survey_window_aggregations, survey_window_reports,
    };
    let app = TestApp::spawn();
    let admin = app.login(ADMIN);
    let secondary: Vec<Value> = closed_windows(&app, &admin)
        .into_iter()
        .filter(|w| w["grades"].as_array().unwrap().contains(&Value::from(12)))
        .collect();
    let earlier = secondary[0]["id"].as_str().unwrap();
    let lineage = district_report(&app, &admin, earlier)["meta"]["instrument_lineage_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Built under older rules, and its stored answers are gone: it cannot be scored again.
    let mut conn = app.conn();
    diesel::update(survey_window_aggregations::table.find(earlier))
        .set(survey_window_aggregations::scoring_rules_version.eq("2026-11-27.1"))
        .execute(&mut conn)
        .unwrap();
    diesel::delete(
        survey_cell_responses::table.filter(survey_cell_responses::window_id.eq(earlier)),
    )
    .execute(&mut conn)
    .unwrap();
    diesel::delete(
        survey_window_reports::table.filter(survey_window_reports::window_id.eq(earlier)),
    )
    .execute(&mut conn)
    .unwrap();
    let run = app.run_survey_job();
    assert_eq!(run.rescore_failed.len(), 1, "{run:?}");
    let report = district_report(&app, &admin, earlier);
    assert_eq!(report["meta"]["scoring_rules_version"], "2026-11-27.1");
    let r = app.get(
        &format!(
            "/api/v1/reports/districts/{}/climate/trend?lineage_id={lineage}",
            demo_district()
        ),
        Some(&admin),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    for indicator in r.json()["indicators"].as_array().unwrap() {
        let points = indicator["points"].as_array().unwrap();
        assert_eq!(points[0]["scoring_rules_version"], "2026-11-27.1");
        assert_eq!(points[1]["scoring_rules_version"], "2026-12-06.1");
        let c = &points[1]["change"];
        assert!(
            c["mean_change"].is_null() && c["percent_change"].is_null(),
            "{c}"
        );
        assert!(
            c["note"].as_str().unwrap().contains("different rules"),
            "{c}"
        );
    }
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
                demo_district(),
                secondary[1]["id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .json();
    let lineage = latest["meta"]["instrument_lineage_id"].as_str().unwrap();
    let r = app.get(
        &format!(
            "/api/v1/reports/districts/{}/climate/trend?lineage_id={lineage}",
            demo_district()
        ),
        Some(&admin),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let trend = r.json();
    // Without a lineage, the two questionnaire versions that closed together are ambiguous.
    let r = app.get(
        &format!(
            "/api/v1/reports/districts/{}/climate/trend",
            demo_district()
        ),
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
    assert!(points[0]["change"].is_null());
    assert_eq!(points[1]["window_id"], secondary[1]["id"]);
    // Each point carries the indicator's own n, beside the window's respondents.
    for p in points {
        assert!(
            p["n"].as_u64().unwrap() <= p["respondents"].as_u64().unwrap(),
            "{p}"
        );
        assert_eq!(p["scoring_rules_version"], "2026-12-06.1");
    }
    let c = &points[1]["change"];
    // Both windows offered the same schools and grades: the change is between the totals.
    assert_eq!(c["whole_windows"], true, "{c}");
    assert_eq!(c["grades"], serde_json::json!([6, 7, 8, 9, 10, 11, 12]));
    assert_eq!(c["n_before"], points[0]["n"]);
    assert_eq!(c["n_after"], points[1]["n"]);
    assert_eq!(c["mean_before"], points[0]["mean"]);
    assert_eq!(c["mean_after"], points[1]["mean"]);
    assert_eq!(c["percent_before"], points[0]["percent"]);
    let change = c["mean_change"].as_f64().unwrap();
    let expected = points[1]["mean"].as_f64().unwrap() - points[0]["mean"].as_f64().unwrap();
    assert!((change - expected).abs() < 0.011, "{points:?}");
    assert!(
        change > 0.0,
        "the demo's belonging rose this term: {points:?}"
    );
    for key in ["mean", "percent"] {
        let p = c[format!("{key}_p_value")].as_f64().unwrap();
        let q = c[format!("{key}_q_value")].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p) && q >= p - 1e-9, "{c}");
        assert_eq!(c[format!("{key}_significant")], q <= 0.05, "{c}");
    }
    assert!(trend["method"]
        .as_str()
        .unwrap()
        .contains("Benjamini-Hochberg"));

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
        demo_district()
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

/// Parses an SVG chart as XML and returns its text content, checking its accessible frame.
/// With `CHART_SAMPLES_DIR` set, also keeps the chart there as `name`.svg, for
/// `tests/ci/render-charts.sh` to draw in a browser.
fn svg_text(name: &str, body: &str) -> String {
    if let Ok(dir) = std::env::var("CHART_SAMPLES_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.svg"), body).unwrap();
    }
    let doc = roxmltree::Document::parse(body).expect("the chart is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("role"), Some("img"));
    let children: Vec<&str> = root
        .children()
        .filter(|n| n.is_element())
        .take(2)
        .map(|n| n.tag_name().name())
        .collect();
    assert_eq!(children, ["title", "desc"], "title and desc come first");
    doc.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn reports_and_trends_are_drawn_as_accessible_charts() {
    let app = TestApp::spawn();
    let admin = app.login(ADMIN);
    let secondary: Vec<Value> = closed_windows(&app, &admin)
        .into_iter()
        .filter(|w| w["grades"].as_array().unwrap().contains(&Value::from(12)))
        .collect();
    let window = secondary[0]["id"].as_str().unwrap();
    let base = format!(
        "/api/v1/reports/districts/{}/climate?window_id={window}",
        demo_district()
    );
    // Every indicator at the district total.
    let r = app.get(&format!("{base}&format=svg"), Some(&admin));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.header("content-type"),
        Some("image/svg+xml; charset=utf-8")
    );
    let text = svg_text("report-district-overview", &r.text);
    assert!(text.contains("Belonging"), "{text}");
    assert!(text.contains("fewer than 10 respondents"), "{text}");
    // Belonging by school and grade, asked for by the Accept header: the demo's small cell
    // (grade 12) is drawn as withheld, with its reason, and never as a number.
    let report = district_report(&app, &admin, window);
    let twelve = report["grades"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["grade"] == 12)
        .unwrap();
    let r = app.request(
        "GET",
        &format!("{base}&breakdown=schools&indicator=belonging"),
        Some(&admin),
        &[("accept", "image/svg+xml")],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let text = svg_text("report-district-belonging", &r.text);
    let names = school_ids(&app, &admin);
    for row in report["schools"].as_array().unwrap() {
        let id = row["school_id"].as_str().unwrap();
        let name = names.iter().find(|(_, v)| *v == id).unwrap().0;
        assert!(text.contains(name.as_str()), "{name}: {text}");
    }
    assert!(text.contains("Grade 12"), "{text}");
    if twelve["suppressed"] == "small_cell" {
        assert!(text.contains("small cell"), "{text}");
    }
    // The trend, drawn.
    let lineage = report["meta"]["instrument_lineage_id"].as_str().unwrap();
    let r = app.get(
        &format!(
            "/api/v1/reports/districts/{}/climate/trend?lineage_id={lineage}&format=svg",
            demo_district()
        ),
        Some(&admin),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let text = svg_text("trend-district", &r.text);
    for w in &secondary {
        assert!(text.contains(w["title"].as_str().unwrap()), "{text}");
    }
    // An unknown indicator is refused, not drawn empty.
    app.get(
        &format!("{base}&format=svg&indicator=happiness"),
        Some(&admin),
    )
    .problem(422);
    // Charts take the reports' scope checks: a teacher reads no report, and a counselor no
    // other school's.
    let teacher = app.login("samuel.ortega");
    app.get(&format!("{base}&format=svg"), Some(&teacher))
        .problem(403);
    let counselor = app.login("daniel.kim");
    let lakeview = &names[HIGH];
    let r = app.get(
        &format!("/api/v1/reports/schools/{lakeview}/climate?window_id={window}&format=svg"),
        Some(&counselor),
    );
    assert!(
        r.status == 403 || r.status == 404,
        "{} {}",
        r.status,
        r.text
    );
    assert!(!r.text.contains("<svg"), "{}", r.text);
}
