//! Scope matrix of the survey routes: instruments, the public (PPRA) questionnaire text,
//! windows, questionnaires, guardian opt-outs, participation counts and submissions.
//!
//! Every caller is checked on both sides of its scope (allowed inside it, so the matrix is not
//! vacuous, and refused outside it) with the statuses docs/ARCHITECTURE.md ("Scope and proofs")
//! defines: 404 for objects the caller may not know exist, 403 where its role may never call the
//! operation at all. Every 404 is compared with the answer for an id that exists nowhere: both
//! must read alike. Callers of the second district (Harbor Point) are part of every matrix, so
//! cross-district access is checked in both directions on every route.
//!
//! Expectations come from small oracles that restate README "Roles and scopes" and
//! docs/ARCHITECTURE.md ("Anonymity and disclosure") over seed data read from the database and over the windows and
//! drafts the tests create, never from the code under test.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::helpers::matrix::{Case, Matrix, API};
use crate::helpers::*;
use diesel::prelude::*;
use securebase::db::schema::{
    class_teachers, classes, survey_instruments, survey_items, survey_opt_outs,
    survey_participation, survey_window_schools, survey_windows, users,
};
use serde_json::{json, Value};

const ADMIN: &str = "denise.whitfield";
const HP_ADMIN: &str = "hp.admin";
/// Who sends no token.
const ANONYMOUS: &str = "";
/// Every Harbor Point account (one of each role).
const HARBOR_CALLERS: [&str; 5] = [
    "hp.admin",
    "hp.principal",
    "hp.counselor",
    "hp.teacher",
    "hp.student",
];

// ---------------------------------------------------------------------------------------------
// The world: people from the seed; instruments and windows from the seed plus a few created here.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Person {
    id: String,
    username: String,
    role: String,
    district: String,
    school: Option<String>,
    grade: Option<i32>,
}

impl Person {
    fn is(&self, roles: &[&str]) -> bool {
        roles.contains(&self.role.as_str())
    }
}

#[derive(Debug, Clone)]
struct Instrument {
    label: String,
    id: String,
    district: String,
    published: bool,
}

#[derive(Debug, Clone)]
struct Window {
    label: &'static str,
    id: String,
    district: String,
    instrument: String,
    schools: Vec<String>,
    grades: Vec<i32>,
}

struct World {
    people: HashMap<String, Person>,
    demo: String,
    cedar_grove: String,
    riverbend: String,
    lakeview: String,
    harbor_school: String,
    instruments: Vec<Instrument>,
    windows: Vec<Window>,
    /// Active classes by teacher id.
    teacher_classes: HashMap<String, HashSet<String>>,
}

impl World {
    fn person(&self, username: &str) -> &Person {
        self.people
            .get(username)
            .unwrap_or_else(|| panic!("no user {username}"))
    }

    fn window(&self, label: &str) -> &Window {
        self.windows
            .iter()
            .find(|w| w.label == label)
            .unwrap_or_else(|| panic!("no window {label}"))
    }

    fn instrument(&self, label: &str) -> &Instrument {
        self.instruments
            .iter()
            .find(|i| i.label == label)
            .unwrap_or_else(|| panic!("no instrument {label}"))
    }

    /// Students of a school, by username, optionally of one grade.
    fn students(&self, school: &str, grade: Option<i32>) -> Vec<&Person> {
        let mut out: Vec<&Person> = self
            .people
            .values()
            .filter(|p| p.role == "student" && p.school.as_deref() == Some(school))
            .filter(|p| grade.is_none() || p.grade == grade)
            .collect();
        out.sort_by(|a, b| a.username.cmp(&b.username));
        out
    }

    /// Every student id and username of both districts: none may appear in participation.
    fn student_identities(&self) -> Vec<String> {
        self.people
            .values()
            .filter(|p| p.role == "student")
            .flat_map(|p| [p.id.clone(), p.username.clone()])
            .collect()
    }
}

/// A small questionnaire for grades 6-8.
fn instrument_body(title: &str) -> Value {
    json!({
        "title": title, "description": "A scope probe.", "grade_min": 6, "grade_max": 8,
        "sections": [{"title": "Pulse", "items": [
            {"prompt": "I feel I belong at this school.", "scale": "agreement_5", "indicator": "belonging"},
            {"prompt": "There is an adult at school I trust.", "scale": "yes_no", "indicator": "trusted_adult"},
        ]}],
    })
}

/// A window open from yesterday for a month.
fn window_body(instrument: &str, title: &str, schools: &[&str], grades: &[i32]) -> Value {
    let now = chrono::Utc::now();
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    json!({
        "instrument_id": instrument, "title": title,
        "opens_at": at(now - chrono::TimeDelta::days(1)),
        "closes_at": at(now + chrono::TimeDelta::days(30)),
        "school_ids": schools, "grades": grades,
    })
}

/// Reads the seed and creates, through the API: a draft instrument in each district, a
/// Riverbend window for grades 6 and 8 only, a Lakeview-only window, and a Harbor Point window.
fn world(m: &mut Matrix) -> World {
    let app = m.app;
    let mut conn = app.conn();
    let demo = securebase::seed::district_id("Maple Valley Unified School District");
    let harbor = securebase::seed::district_id("Harbor Point School District");
    let people: HashMap<String, Person> = users::table
        .select((
            users::id,
            users::username,
            users::role,
            users::district_id,
            users::school_id,
            users::grade,
        ))
        .load::<(String, String, String, String, Option<String>, Option<i32>)>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|(id, username, role, district, school, grade)| {
            (
                username.clone(),
                Person {
                    id,
                    username,
                    role,
                    district,
                    school,
                    grade,
                },
            )
        })
        .collect();
    let cedar_grove = school_id(&mut conn, ELEMENTARY);
    let riverbend = school_id(&mut conn, MIDDLE);
    let lakeview = school_id(&mut conn, HIGH);
    let harbor_school = school_id(&mut conn, "Harbor Point Middle School");

    let mut instruments: Vec<Instrument> = survey_instruments::table
        .order(survey_instruments::id)
        .select((
            survey_instruments::id,
            survey_instruments::district_id,
            survey_instruments::grade_min,
            survey_instruments::status,
        ))
        .load::<(String, String, i32, String)>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|(id, district, grade_min, status)| Instrument {
            label: format!(
                "{} starter from grade {grade_min}",
                if district == demo { "demo" } else { "harbor" }
            ),
            id,
            district,
            published: status == "published",
        })
        .collect();
    assert_eq!(instruments.len(), 4, "two starter versions per district");
    assert!(instruments.iter().all(|i| i.published));

    let mut windows: Vec<Window> = Vec::new();
    // The open windows (the demo's closed ones with answers belong to the reports' tests).
    for (id, district, instrument, grades) in survey_windows::table
        .filter(survey_windows::closes_at.gt(securebase::db::now()))
        .order(survey_windows::id)
        .select((
            survey_windows::id,
            survey_windows::district_id,
            survey_windows::instrument_id,
            survey_windows::grades,
        ))
        .load::<(String, String, String, String)>(&mut conn)
        .unwrap()
    {
        let grades: Vec<i32> = serde_json::from_str(&grades).unwrap();
        let schools: Vec<String> = survey_window_schools::table
            .filter(survey_window_schools::window_id.eq(&id))
            .select(survey_window_schools::school_id)
            .load(&mut conn)
            .unwrap();
        let label = match grades.first() {
            Some(3) => "demo 3-5",
            _ => "demo 6-12",
        };
        windows.push(Window {
            label,
            id,
            district,
            instrument,
            schools,
            grades,
        });
    }
    assert_eq!(windows.len(), 2, "the two open demo windows");
    assert_eq!(windows[0].district, demo);
    assert_eq!(windows[1].district, demo);
    let labels: BTreeSet<&str> = windows.iter().map(|w| w.label).collect();
    assert_eq!(labels, BTreeSet::from(["demo 3-5", "demo 6-12"]));
    assert_eq!(
        windows
            .iter()
            .find(|w| w.label == "demo 3-5")
            .unwrap()
            .schools,
        vec![cedar_grove.clone()]
    );

    // Drafts: one per district.
    for (who, label, district) in [
        (ADMIN, "demo draft", &demo),
        (HP_ADMIN, "harbor draft", &harbor),
    ] {
        let token = m.token(who);
        let r = app.post(
            &format!("{API}/survey-instruments"),
            Some(&token),
            &instrument_body(label),
        );
        assert_eq!(r.status, 201, "{who} creates a draft: {}", r.text);
        instruments.push(Instrument {
            label: label.to_owned(),
            id: r.json()["id"].as_str().unwrap().to_owned(),
            district: district.clone(),
            published: false,
        });
    }

    // More windows, so that school and grade both decide.
    let starter_6_12 = |district: &str| {
        instruments
            .iter()
            .find(|i| i.district == district && i.label.ends_with("from grade 6"))
            .unwrap()
            .id
            .clone()
    };
    let demo_6_12 = starter_6_12(&demo);
    let harbor_6_12 = starter_6_12(&harbor);
    // (opened by, label, district, instrument, school, grades)
    #[rustfmt::skip]
    let more = [
        (ADMIN,    "riverbend 6+8", &demo,   &demo_6_12,   riverbend.as_str(),     vec![6, 8]),
        (ADMIN,    "lakeview",      &demo,   &demo_6_12,   lakeview.as_str(),      vec![9, 10, 11, 12]),
        (HP_ADMIN, "harbor",        &harbor, &harbor_6_12, harbor_school.as_str(), vec![6, 7, 8]),
    ];
    for (who, label, district, instrument, school, grades) in more {
        let schools = [school];
        let token = m.token(who);
        let r = app.post(
            &format!("{API}/survey-windows"),
            Some(&token),
            &window_body(instrument, label, &schools, &grades),
        );
        assert_eq!(r.status, 201, "{who} opens window {label}: {}", r.text);
        windows.push(Window {
            label,
            id: r.json()["id"].as_str().unwrap().to_owned(),
            district: district.to_owned(),
            instrument: instrument.clone(),
            schools: schools.iter().map(|s| s.to_string()).collect(),
            grades,
        });
    }

    // A teacher's participation rows are the classes of the terms a window runs in; every
    // window of this test runs during the Fall 2026 term of its district.
    let mut teacher_classes: HashMap<String, HashSet<String>> = HashMap::new();
    for (class, teacher) in class_teachers::table
        .inner_join(classes::table.inner_join(securebase::db::schema::terms::table))
        .filter(classes::active.eq(true))
        .filter(securebase::db::schema::terms::name.eq("Fall 2026"))
        .select((class_teachers::class_id, class_teachers::teacher_id))
        .load::<(String, String)>(&mut conn)
        .unwrap()
    {
        teacher_classes.entry(teacher).or_default().insert(class);
    }
    World {
        people,
        demo,
        cedar_grove,
        riverbend,
        lakeview,
        harbor_school,
        instruments,
        windows,
        teacher_classes,
    }
}

// ---------------------------------------------------------------------------------------------
// Oracles: docs/ARCHITECTURE.md, "Scope and proofs" and "Anonymity and disclosure".
// ---------------------------------------------------------------------------------------------

/// `GET /survey-instruments/{id}`: staff only; district staff see drafts, other staff the
/// published versions of their own district.
fn instrument_status(c: &Person, i: &Instrument) -> u16 {
    if c.role == "student" {
        403
    } else if c.district != i.district {
        404
    } else if i.published || c.role == "district_admin" {
        200
    } else {
        404
    }
}

/// District staff: every window of the district; school staff and teachers: windows including
/// their school; students: windows offered to their school and grade.
fn sees_window(c: &Person, w: &Window) -> bool {
    if c.district != w.district {
        return false;
    }
    if c.role == "district_admin" {
        return true;
    }
    let school = c.school.as_ref().is_some_and(|s| w.schools.contains(s));
    school && (c.role != "student" || c.grade.is_some_and(|g| w.grades.contains(&g)))
}

fn found(visible: bool) -> u16 {
    if visible {
        200
    } else {
        404
    }
}

/// `GET /survey-windows/{id}/participation`: staff only.
fn participation_status(c: &Person, w: &Window) -> u16 {
    if c.role == "student" {
        403
    } else {
        found(sees_window(c, w))
    }
}

/// `POST /survey-windows/{id}/opt-outs` for `student`: administrators and counselors; the
/// window must be visible (else 404), the student in the caller's scope and offered the window
/// (else 422 on student_id).
fn opt_out_status(c: &Person, window: &Window, student: &Person) -> u16 {
    if !c.is(&["district_admin", "school_admin", "counselor"]) {
        return 403;
    }
    if !sees_window(c, window) {
        return 404;
    }
    let in_scope = student.district == c.district
        && (c.role == "district_admin" || student.school == c.school);
    let offered = student.role == "student"
        && student
            .school
            .as_ref()
            .is_some_and(|s| window.schools.contains(s))
        && student.grade.is_some_and(|g| window.grades.contains(&g));
    if in_scope && offered {
        201
    } else {
        422
    }
}

/// A list must hold exactly these ids (closed windows aside: the demo's past windows with
/// answers are the reports' fixtures, not this matrix's).
fn list_equals(m: &mut Matrix, who: &str, path: &str, expected: &BTreeSet<String>) {
    if let Some(items) = m.list(who, path, 200) {
        let got: BTreeSet<String> = items
            .iter()
            .filter(|i| i["state"] != "closed")
            .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        if &got != expected {
            m.fail(format!(
                "{who} GET {API}{path}: lists {got:?}, expected {expected:?}"
            ));
        }
    }
}

/// Rows of the survey tables that no refused request may add or change.
fn survey_rows(app: &TestApp) -> BTreeSet<String> {
    let mut conn = app.conn();
    let mut out = BTreeSet::new();
    for (id, status, published) in survey_instruments::table
        .select((
            survey_instruments::id,
            survey_instruments::status,
            survey_instruments::published_at,
        ))
        .load::<(String, String, Option<chrono::NaiveDateTime>)>(&mut conn)
        .unwrap()
    {
        out.insert(format!("instrument {id} {status} {published:?}"));
    }
    for id in survey_windows::table
        .select(survey_windows::id)
        .load::<String>(&mut conn)
        .unwrap()
    {
        out.insert(format!("window {id}"));
    }
    for (w, s) in survey_opt_outs::table
        .select((survey_opt_outs::window_id, survey_opt_outs::student_id))
        .load::<(String, String)>(&mut conn)
        .unwrap()
    {
        out.insert(format!("opt-out {w} {s}"));
    }
    for (w, s) in survey_participation::table
        .select((
            survey_participation::window_id,
            survey_participation::student_id,
        ))
        .load::<(String, String)>(&mut conn)
        .unwrap()
    {
        out.insert(format!("participation {w} {s}"));
    }
    // Open windows hold their responses sealed (closed ones too, for cells too small to report).
    let responses: i64 = securebase::db::schema::survey_sealed_responses::table
        .filter(
            securebase::db::schema::survey_sealed_responses::window_id.eq_any(
                survey_windows::table
                    .filter(survey_windows::closes_at.gt(securebase::db::now()))
                    .select(survey_windows::id),
            ),
        )
        .count()
        .get_result(&mut conn)
        .unwrap();
    out.insert(format!("responses {responses}"));
    out
}

/// The only keys a participation document may carry: counts, never people or answers.
/// Every window of this file has the default minimum cell size.
const DEFAULT_CELL_SIZE: i64 = 10;

const PARTICIPATION_KEYS: &[&str] = &[
    "window_id",
    "state",
    "schools",
    "classes",
    "school_id",
    "eligible",
    "responded",
    "response_rate",
    "response_percent",
    "grades",
    "grade",
    "class_id",
    "class_name",
    "enrolled",
    "suppressed",
    "min_cell_size",
    "rounded",
];

fn keys_of(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                keys_of(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| keys_of(i, out)),
        _ => {}
    }
}

/// Rows by role: district staff every school of the window, school staff their own school,
/// teachers their own classes and no school; and nowhere a student or an answer.
fn check_participation(
    m: &mut Matrix,
    w: &World,
    caller: &Person,
    window: &Window,
    body: &Value,
    forbidden: &[String],
) {
    let who = &caller.username;
    let what = format!("{who} GET participation of window {}", window.label);
    let schools: BTreeSet<String> = body["schools"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r["school_id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let classes: BTreeSet<String> = body["classes"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r["class_id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let (want_schools, want_classes): (BTreeSet<String>, BTreeSet<String>) =
        match caller.role.as_str() {
            "district_admin" => (window.schools.iter().cloned().collect(), BTreeSet::new()),
            "teacher" => (
                BTreeSet::new(),
                w.teacher_classes
                    .get(&caller.id)
                    .map(|c| c.iter().cloned().collect())
                    .unwrap_or_default(),
            ),
            _ => (caller.school.iter().cloned().collect(), BTreeSet::new()),
        };
    if schools != want_schools {
        m.fail(format!(
            "{what}: school rows {schools:?}, expected {want_schools:?}"
        ));
    }
    if classes != want_classes {
        m.fail(format!(
            "{what}: class rows {classes:?}, expected {want_classes:?}"
        ));
    }
    if body["window_id"] != window.id.as_str() {
        m.fail(format!("{what}: window_id {}", body["window_id"]));
    }
    for row in body["schools"].as_array().into_iter().flatten() {
        for cell in row["grades"].as_array().into_iter().flatten() {
            let grade = cell["grade"].as_i64().unwrap_or(-1) as i32;
            if !window.grades.contains(&grade) {
                m.fail(format!("{what}: a row for grade {grade}, not offered"));
            }
        }
    }
    let mut keys = BTreeSet::new();
    keys_of(body, &mut keys);
    let extra: Vec<&String> = keys
        .iter()
        .filter(|k| !PARTICIPATION_KEYS.contains(&k.as_str()))
        .collect();
    if !extra.is_empty() {
        m.fail(format!("{what}: unexpected fields {extra:?} in {body}"));
    }
    let text = body.to_string();
    if let Some(leak) = forbidden.iter().find(|f| text.contains(f.as_str())) {
        m.fail(format!("{what}: the document names {leak}: {text}"));
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Instruments and the public questionnaire text
// ---------------------------------------------------------------------------------------------

#[test]
fn instrument_scope_matrix() {
    let app = TestApp::spawn();
    let mut m = Matrix::new(&app);
    let w = world(&mut m);
    let callers = [
        ADMIN,
        "gregory.tan",
        "daniel.kim",
        "samuel.ortega",
        "andreg197",
        "hp.admin",
        "hp.principal",
        "hp.counselor",
        "hp.teacher",
        "hp.student",
    ];
    let before = survey_rows(&app);

    // Reading: every caller × every instrument of both districts, and the lists.
    for who in callers {
        let caller = w.person(who).clone();
        for i in &w.instruments {
            let case = Case::get(
                who,
                &format!("/survey-instruments/{}", i.id),
                instrument_status(&caller, i),
            );
            let r = m.check_hidden(&case, &[&i.id]);
            if r.status == 200 && r.json()["id"] != i.id.as_str() {
                m.fail(format!("{}: answers with another instrument", case.label()));
            }
        }
        if caller.role == "student" {
            m.check(&Case::get(who, "/survey-instruments", 403));
        } else {
            let expected: BTreeSet<String> = w
                .instruments
                .iter()
                .filter(|i| instrument_status(&caller, i) == 200)
                .map(|i| i.id.clone())
                .collect();
            list_equals(&mut m, who, "/survey-instruments", &expected);
        }
    }

    // Creating: district administrators only, into their own district.
    let mut created: Vec<(String, String)> = Vec::new();
    for who in callers {
        let caller = w.person(who).clone();
        let expect = if caller.role == "district_admin" {
            201
        } else {
            403
        };
        let r = m.check(&Case::post(
            who,
            "/survey-instruments",
            instrument_body(&format!("Created by {who}")),
            expect,
        ));
        if r.status == 201 {
            created.push((
                caller.district.clone(),
                r.json()["id"].as_str().unwrap().to_owned(),
            ));
        }
    }
    // Each district admin's new draft is theirs alone.
    for (district, id) in &created {
        for who in [ADMIN, HP_ADMIN, "gregory.tan", "hp.principal"] {
            let caller = w.person(who).clone();
            let draft = Instrument {
                label: "new".into(),
                id: id.clone(),
                district: district.clone(),
                published: false,
            };
            let case = Case::get(
                who,
                &format!("/survey-instruments/{id}"),
                instrument_status(&caller, &draft),
            );
            m.check_hidden(&case, &[id]);
        }
    }

    // Publishing: nobody but the owning district's administrator; 404 across districts.
    let demo_draft = w.instrument("demo draft").clone();
    let harbor_draft = w.instrument("harbor draft").clone();
    for draft in [&demo_draft, &harbor_draft] {
        for who in callers {
            let caller = w.person(who);
            if caller.role == "district_admin" && caller.district == draft.district {
                continue; // publishes last
            }
            let expect = if caller.role != "district_admin" {
                403
            } else {
                404
            };
            let case = Case::bare_post(
                who,
                &format!("/survey-instruments/{}/publish", draft.id),
                expect,
            );
            m.check_hidden(&case, &[&draft.id]);
        }
    }
    for i in w.instruments.iter().filter(|i| i.published) {
        // Published starters: 409 for their own administrator, 404 for the other one.
        for who in [ADMIN, HP_ADMIN] {
            let caller = w.person(who);
            let expect = if caller.district == i.district {
                409
            } else {
                404
            };
            let case = Case::bare_post(
                who,
                &format!("/survey-instruments/{}/publish", i.id),
                expect,
            );
            m.check_hidden(&case, &[&i.id]);
        }
    }
    let after_refusals = survey_rows(&app);
    let mut expected_rows = before.clone();
    {
        let mut conn = app.conn();
        for (_, id) in &created {
            let status: String = survey_instruments::table
                .find(id)
                .select(survey_instruments::status)
                .first(&mut conn)
                .unwrap();
            expected_rows.insert(format!("instrument {id} {status} None"));
        }
    }
    if after_refusals != expected_rows {
        let added: Vec<_> = after_refusals.difference(&expected_rows).collect();
        let removed: Vec<_> = expected_rows.difference(&after_refusals).collect();
        m.fail(format!(
            "refused requests changed survey rows: added {added:?}, removed {removed:?}"
        ));
    }

    // The public (PPRA) text: no sign-in, any district's published version, never a draft.
    for who in [ANONYMOUS, "andreg197", "hp.student"] {
        for i in &w.instruments {
            let case = Case::get(
                who,
                &format!("/public/survey-instruments/{}", i.id),
                found(i.published),
            );
            m.check_hidden(&case, &[&i.id]);
        }
        m.check(&Case::get(
            who,
            "/public/survey-instruments/no-such-instrument",
            404,
        ));
    }
    // The public text is exactly what staff read.
    let starter = w.instrument("demo starter from grade 6").clone();
    let public = app.get(
        &format!("{API}/public/survey-instruments/{}", starter.id),
        None,
    );
    let token = m.token("samuel.ortega");
    let staff = app.get(
        &format!("{API}/survey-instruments/{}", starter.id),
        Some(&token),
    );
    if public.status != 200 || staff.status != 200 || public.json() != staff.json() {
        m.fail(format!(
            "the public text differs from the staff view: {} vs {}",
            public.text, staff.text
        ));
    }

    // The owners publish; then the versions are readable by their district's staff and the
    // public, still by nobody in the other district.
    for (who, draft) in [(ADMIN, &demo_draft), (HP_ADMIN, &harbor_draft)] {
        m.check(&Case::bare_post(
            who,
            &format!("/survey-instruments/{}/publish", draft.id),
            200,
        ));
        let published = Instrument {
            published: true,
            ..draft.clone()
        };
        for reader in callers {
            let caller = w.person(reader).clone();
            let case = Case::get(
                reader,
                &format!("/survey-instruments/{}", draft.id),
                instrument_status(&caller, &published),
            );
            m.check_hidden(&case, &[&draft.id]);
        }
        m.check(&Case::get(
            ANONYMOUS,
            &format!("/public/survey-instruments/{}", draft.id),
            200,
        ));
    }
    // Signed out, the staff routes are closed.
    for path in [
        "/survey-instruments".to_owned(),
        format!("/survey-instruments/{}", starter.id),
    ] {
        m.check(&Case::get(ANONYMOUS, &path, 401));
    }
    m.check(&Case::bare_post(
        ANONYMOUS,
        &format!("/survey-instruments/{}/publish", demo_draft.id),
        401,
    ));
    m.check(&Case::post(
        ANONYMOUS,
        "/survey-instruments",
        instrument_body("Anonymous"),
        401,
    ));
    m.finish("instrument scope");
}

// ---------------------------------------------------------------------------------------------
// 2. Windows, questionnaires and participation: every login × every window
// ---------------------------------------------------------------------------------------------

#[test]
fn window_questionnaire_and_participation_read_matrix() {
    let app = TestApp::spawn();
    let mut m = Matrix::new(&app);
    let w = world(&mut m);
    let mut callers: Vec<String> = demo_logins().into_iter().map(|l| l.username).collect();
    callers.extend(HARBOR_CALLERS.iter().map(|s| s.to_string()));
    let forbidden = w.student_identities();
    let before = survey_rows(&app);

    for who in &callers {
        let caller = w.person(who).clone();
        for window in &w.windows {
            let visible = sees_window(&caller, window);
            let base = format!("/survey-windows/{}", window.id);
            let r = m.check_hidden(&Case::get(who, &base, found(visible)), &[&window.id]);
            if r.status == 200 {
                let body = r.json();
                let schools: BTreeSet<&str> = body["school_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                let want: BTreeSet<&str> = window.schools.iter().map(String::as_str).collect();
                if body["id"] != window.id.as_str() || schools != want {
                    m.fail(format!("{who} GET {base}: another window: {body}"));
                }
            }
            let q = m.check_hidden(
                &Case::get(who, &format!("{base}/questionnaire"), found(visible)),
                &[&window.id],
            );
            if q.status == 200 && q.json()["window_id"] != window.id.as_str() {
                m.fail(format!("{who} GET {base}/questionnaire: {}", q.text));
            }
            let p = m.check_hidden(
                &Case::get(
                    who,
                    &format!("{base}/participation"),
                    participation_status(&caller, window),
                ),
                &[&window.id],
            );
            if p.status == 200 {
                check_participation(&mut m, &w, &caller, window, &p.json(), &forbidden);
            }
        }
        // Lists: staff see the windows of their scope, students use /me/surveys instead.
        let visible: BTreeSet<String> = w
            .windows
            .iter()
            .filter(|win| sees_window(&caller, win))
            .map(|win| win.id.clone())
            .collect();
        if caller.role == "student" {
            m.check(&Case::get(who, "/survey-windows", 403));
            let r = m.check(&Case::get(who, "/me/surveys", 200));
            if r.status == 200 {
                let got: BTreeSet<String> = r.json()["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["id"].as_str().unwrap().to_owned())
                    .collect();
                // Every window here is open and nobody has answered or opted out yet.
                if got != visible {
                    m.fail(format!(
                        "{who} GET {API}/me/surveys: {got:?}, expected {visible:?}"
                    ));
                }
            }
        } else {
            list_equals(&mut m, who, "/survey-windows", &visible);
            m.check(&Case::get(who, "/me/surveys", 403));
        }
    }
    // Signed out: nothing.
    let window = w.window("demo 6-12").id.clone();
    for path in [
        "/survey-windows".to_owned(),
        format!("/survey-windows/{window}"),
        format!("/survey-windows/{window}/questionnaire"),
        format!("/survey-windows/{window}/participation"),
        "/me/surveys".to_owned(),
    ] {
        m.check(&Case::get(ANONYMOUS, &path, 401));
    }
    // Creating windows: district administrators only; another district's instrument or school
    // is not theirs to name.
    let demo_6_12 = w.instrument("demo starter from grade 6").id.clone();
    let harbor_6_12 = w.instrument("harbor starter from grade 6").id.clone();
    let mut opened = Vec::new();
    for who in &callers {
        let caller = w.person(who).clone();
        let (instrument, school) = if caller.district == w.demo {
            (&demo_6_12, &w.riverbend)
        } else {
            (&harbor_6_12, &w.harbor_school)
        };
        let expect = if caller.role == "district_admin" {
            201
        } else {
            403
        };
        let r = m.check(&Case::post(
            who,
            "/survey-windows",
            window_body(instrument, "Scope", &[school], &[7]),
            expect,
        ));
        if r.status == 201 {
            opened.push(r.json()["id"].as_str().unwrap().to_owned());
        }
    }
    for (who, instrument, school, field) in [
        (ADMIN, &harbor_6_12, &w.riverbend, "instrument_id"),
        (ADMIN, &demo_6_12, &w.harbor_school, "school_ids[0]"),
        (HP_ADMIN, &demo_6_12, &w.harbor_school, "instrument_id"),
        (HP_ADMIN, &harbor_6_12, &w.lakeview, "school_ids[0]"),
    ] {
        m.check(
            &Case::post(
                who,
                "/survey-windows",
                window_body(instrument, "Across", &[school], &[7]),
                422,
            )
            .field(field),
        );
    }
    let mut expected = before.clone();
    expected.extend(opened.iter().map(|id| format!("window {id}")));
    let after = survey_rows(&app);
    if after != expected {
        let added: Vec<_> = after.difference(&expected).collect();
        let removed: Vec<_> = expected.difference(&after).collect();
        m.fail(format!(
            "reads and refused writes changed survey rows: added {added:?}, removed {removed:?}"
        ));
    }
    m.finish("window read matrix");
}

// ---------------------------------------------------------------------------------------------
// 3. Guardian opt-outs
// ---------------------------------------------------------------------------------------------

#[test]
fn opt_out_scope_matrix() {
    let app = TestApp::spawn();
    let mut m = Matrix::new(&app);
    let w = world(&mut m);
    let before = survey_rows(&app);
    let riverbend: Vec<Person> = w
        .students(&w.riverbend, None)
        .into_iter()
        .filter(|s| s.username != "andreg197")
        .cloned()
        .collect();
    let lakeview: Vec<Person> = w.students(&w.lakeview, None).into_iter().cloned().collect();
    let cedar_4 = w.students(&w.cedar_grove, Some(4))[0].clone();
    let cedar_1 = w.students(&w.cedar_grove, Some(1))[0].clone();
    let riverbend_7 = w
        .students(&w.riverbend, Some(7))
        .into_iter()
        .find(|s| s.username != "andreg197")
        .unwrap()
        .clone();
    let riverbend_8 = w.students(&w.riverbend, Some(8))[0].clone();
    let hp_student = w.person("hp.student").clone();
    let samuel = w.person("samuel.ortega").clone();
    let (w35, w612, w68, wl, wh) = (
        w.window("demo 3-5").clone(),
        w.window("demo 6-12").clone(),
        w.window("riverbend 6+8").clone(),
        w.window("lakeview").clone(),
        w.window("harbor").clone(),
    );
    // (caller, window, student): each 201 uses a student nobody opted out before.
    #[rustfmt::skip]
    let cases: Vec<(&str, &Window, &Person)> = vec![
        // Own school: recorded.
        ("gregory.tan",      &w612, &riverbend[0]),
        ("daniel.kim",       &w612, &riverbend[1]),
        ("luis.navarro",     &w612, &lakeview[0]),
        ("patricia.alvarez", &w35,  &cedar_4),
        ("daniel.kim",       &w68,  &riverbend_8),
        // District staff: any student of the district the window is offered to.
        (ADMIN,              &w612, &riverbend[2]),
        (ADMIN,              &w612, &lakeview[1]),
        // Another school's student through a window both schools share: not in scope.
        ("luis.navarro",     &w612, &riverbend[3]),
        ("gregory.tan",      &w612, &lakeview[2]),
        // A window that does not include the caller's school: not visible.
        ("patricia.alvarez", &w612, &riverbend[3]),
        ("daniel.kim",       &w35,  &cedar_4),
        ("daniel.kim",       &wl,   &lakeview[2]),
        ("gregory.tan",      &wl,   &lakeview[2]),
        // A visible window, but the caller's student is not offered it, or not a student.
        ("daniel.kim",       &w68,  &riverbend_7),
        ("patricia.alvarez", &w35,  &cedar_1),
        (ADMIN,              &w35,  &riverbend[3]),
        ("daniel.kim",       &w612, &samuel),
        ("daniel.kim",       &w612, &cedar_4),
        ("daniel.kim",       &w612, &hp_student),
        // Teachers and students never record opt-outs.
        ("samuel.ortega",    &w612, &riverbend[3]),
        ("samuel.ortega",    &wh,   &hp_student),
        ("andreg197",        &w612, &riverbend[3]),
        ("alanap489",        &w35,  &cedar_4),
        // Across districts: nothing to see.
        ("hp.admin",         &w612, &riverbend[3]),
        ("hp.principal",     &w612, &riverbend[3]),
        ("hp.counselor",     &w35,  &cedar_4),
        ("hp.student",       &w612, &riverbend[3]),
        (ADMIN,              &wh,   &hp_student),
        ("daniel.kim",       &wh,   &hp_student),
        ("hp.counselor",     &wh,   &riverbend[3]),
        // Harbor Point's own: recorded.
        ("hp.counselor",     &wh,   &hp_student),
    ];
    let mut recorded: BTreeSet<String> = BTreeSet::new();
    for (who, window, student) in &cases {
        let caller = w.person(who).clone();
        let expect = opt_out_status(&caller, window, student);
        let case = Case::post(
            who,
            &format!("/survey-windows/{}/opt-outs", window.id),
            json!({"student_id": student.id}),
            expect,
        )
        .field("student_id");
        let r = m.check_hidden(&case, &[&window.id]);
        if expect == 201 {
            recorded.insert(format!("opt-out {} {}", window.id, student.id));
            if r.status == 201 {
                // Idempotent for the same caller.
                m.check(&Case {
                    expect: 200,
                    ..case.clone()
                });
            }
        }
    }
    // Signed out.
    m.check(&Case::post(
        ANONYMOUS,
        &format!("/survey-windows/{}/opt-outs", w612.id),
        json!({"student_id": riverbend[3].id}),
        401,
    ));
    // Exactly the allowed opt-outs were stored.
    let after = survey_rows(&app);
    let mut expected = before.clone();
    expected.extend(recorded.iter().cloned());
    if after != expected {
        let added: Vec<_> = after.difference(&expected).collect();
        let removed: Vec<_> = expected.difference(&after).collect();
        m.fail(format!(
            "opt-outs stored differ from the allowed ones: added {added:?}, missing {removed:?}"
        ));
    }
    // An opted-out student is no longer offered the window; the others still are.
    let opted = riverbend[0].username.clone();
    let r = m.check(&Case::get(&opted, "/me/surveys", 200));
    if r.status == 200 && r.text.contains(&w612.id) {
        m.fail(format!("{opted} is still offered window {}", w612.label));
    }
    m.finish("opt-out scope");
}

// ---------------------------------------------------------------------------------------------
// 4. Submissions, and what participation shows afterwards
// ---------------------------------------------------------------------------------------------

/// A full, valid answer sheet from a questionnaire (the second option of every item).
fn answer_sheet(questionnaire: &Value) -> Value {
    let mut answers = Vec::new();
    for section in questionnaire["sections"].as_array().unwrap() {
        for item in section["items"].as_array().unwrap() {
            let options = item["options"].as_array().unwrap();
            answers.push(json!({"item_id": item["id"], "value": options[1]["value"]}));
        }
    }
    json!({ "answers": answers })
}

#[test]
fn submission_scope_matrix_and_participation_names_no_one() {
    let app = TestApp::spawn();
    let mut m = Matrix::new(&app);
    let w = world(&mut m);
    let before = survey_rows(&app);
    let (w35, w612, w68, wh) = (
        w.window("demo 3-5").clone(),
        w.window("demo 6-12").clone(),
        w.window("riverbend 6+8").clone(),
        w.window("harbor").clone(),
    );
    // Answer sheets from the questionnaires as their students see them.
    let mut sheets: HashMap<String, Value> = HashMap::new();
    for (who, window) in [
        ("alanap489", &w35),
        ("andreg197", &w612),
        ("hp.student", &wh),
    ] {
        let token = m.token(who);
        let q = app.get(
            &format!("{API}/survey-windows/{}/questionnaire", window.id),
            Some(&token),
        );
        assert_eq!(q.status, 200, "{who}: {}", q.text);
        sheets.insert(window.instrument.clone(), answer_sheet(&q.json()));
    }
    let sheet = |window: &Window| sheets[&window.instrument].clone();

    let students = ["andreg197", "adityah171", "alanap489", "hp.student"];
    let staff = [
        ADMIN,
        "gregory.tan",
        "daniel.kim",
        "samuel.ortega",
        "luis.navarro",
        "kwabena.asante",
        "patricia.alvarez",
        "hp.admin",
        "hp.counselor",
        "hp.teacher",
    ];
    let mut taken: BTreeSet<String> = BTreeSet::new();
    // Staff never answer, whichever window (403, the same for a window that does not exist).
    for who in staff {
        for window in &w.windows {
            let case = Case::post(
                who,
                &format!("/survey-windows/{}/responses", window.id),
                sheet(window),
                403,
            );
            m.check_hidden(&case, &[&window.id]);
        }
    }
    // Students answer the windows offered to their school and grade; any other is not found.
    for who in students {
        let caller = w.person(who).clone();
        for window in &w.windows {
            let expect = if sees_window(&caller, window) {
                201
            } else {
                404
            };
            let case = Case::post(
                who,
                &format!("/survey-windows/{}/responses", window.id),
                sheet(window),
                expect,
            );
            let r = m.check_hidden(&case, &[&window.id]);
            if expect == 201 {
                taken.insert(format!("participation {} {}", window.id, caller.id));
                if r.status == 201 && r.json().as_object().is_some_and(|o| o.len() != 1) {
                    m.fail(format!(
                        "{}: the receipt carries more than a message: {}",
                        case.label(),
                        r.text
                    ));
                }
            }
        }
    }
    // The oracle's positive controls: every student took at least one window.
    assert_eq!(taken.len(), 5, "{taken:?}");
    for window in [&w612, &w68] {
        m.check(&Case::post(
            ANONYMOUS,
            &format!("/survey-windows/{}/responses", window.id),
            sheet(window),
            401,
        ));
    }
    // Once taken, an opt-out is answered as for anyone else (no oracle of who answered).
    let andre = w.person("andreg197").clone();
    m.check(&Case::post(
        "daniel.kim",
        &format!("/survey-windows/{}/opt-outs", w612.id),
        json!({"student_id": andre.id}),
        201,
    ));
    // Exactly the allowed submissions were stored: one participation row and one response each.
    let after = survey_rows(&app);
    let mut expected: BTreeSet<String> = before
        .iter()
        .filter(|r| !r.starts_with("responses "))
        .cloned()
        .collect();
    expected.extend(taken.iter().cloned());
    expected.insert(format!("opt-out {} {}", w612.id, andre.id));
    expected.insert(format!("responses {}", taken.len()));
    if after != expected {
        let added: Vec<_> = after.difference(&expected).collect();
        let removed: Vec<_> = expected.difference(&after).collect();
        m.fail(format!(
            "submissions stored differ from the allowed ones: added {added:?}, missing {removed:?}"
        ));
    }

    // Participation now: counts by scope, and never a student id, username or answer.
    let mut forbidden = w.student_identities();
    let mut conn = app.conn();
    forbidden.extend(
        survey_items::table
            .select(survey_items::id)
            .load::<String>(&mut conn)
            .unwrap(),
    );
    for who in staff.iter().chain(students.iter()) {
        let caller = w.person(who).clone();
        for window in &w.windows {
            let case = Case::get(
                who,
                &format!("/survey-windows/{}/participation", window.id),
                participation_status(&caller, window),
            );
            let r = m.check_hidden(&case, &[&window.id]);
            if r.status == 200 {
                let body = r.json();
                check_participation(&mut m, &w, &caller, window, &body, &forbidden);
                // School staff see their school's count move; district staff every school's.
                for row in body["schools"].as_array().into_iter().flatten() {
                    let school = row["school_id"].as_str().unwrap_or_default();
                    let want = taken
                        .iter()
                        .filter(|t| t.starts_with(&format!("participation {} ", window.id)))
                        .filter(|t| {
                            let student = t.rsplit(' ').next().unwrap();
                            w.people
                                .values()
                                .any(|p| p.id == student && p.school.as_deref() == Some(school))
                        })
                        .count() as i64;
                    // Fewer than the cell size: withheld; more: rounded down while open.
                    let shown = if want < DEFAULT_CELL_SIZE {
                        Value::Null
                    } else {
                        json!(want - want % 5)
                    };
                    if row["responded"] != shown {
                        m.fail(format!(
                            "{who} participation of {}: school {school} responded {}, expected {shown}",
                            window.label, row["responded"]
                        ));
                    }
                }
            }
        }
    }
    m.finish("submission scope");
}
