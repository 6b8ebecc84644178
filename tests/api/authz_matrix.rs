//! Role × endpoint authorization matrix for the roster API.
//!
//! Every role is checked on both sides of its scope: allowed inside it (positive controls, so
//! the matrix is not vacuous) and refused outside it, with the status docs/ARCHITECTURE.md
//! ("Scope and proofs") states and `src/rosters/scope.rs` and `src/authz/` implement: 404 for objects the caller may not know exist,
//! 403 where it can see the object but may not change it (or where its role may never call the
//! operation at all). Refused writes are followed by a check that the database did not change.
//!
//! Expectations come from small oracles that restate README "Roles and scopes" (who may do what)
//! over roster data read through the API by a district administrator, never from the code under
//! test.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::helpers::matrix::{Case, Matrix, API};
use crate::helpers::snapshot::Snapshot;
use crate::helpers::*;
use diesel::prelude::*;
use securebase::db::schema::{enrollments, schools, users};
use serde_json::{json, Value};

/// Roles the `Authorized<DistrictAdmins>` extractor lets through.
const DISTRICT_ADMINS: &[&str] = &["district_admin"];
/// Roles the `Authorized<RosterAdmins>` extractor lets through.
const ROSTER_ADMINS: &[&str] = &["district_admin", "school_admin"];
/// Roles the `Authorized<SchoolStaff>` extractor lets through.
const SCHOOL_STAFF: &[&str] = &["district_admin", "school_admin", "counselor"];

// ---------------------------------------------------------------------------------------------
// Roster data, read through the API by a district administrator.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Person {
    id: String,
    username: String,
    role: String,
    school_id: Option<String>,
    given_name: String,
}

#[derive(Debug, Clone)]
struct ClassInfo {
    id: String,
    name: String,
    school_id: String,
    teacher_ids: Vec<String>,
    /// Every enrollment, active or ended: (student id, active).
    enrolled: Vec<(String, bool)>,
}

impl ClassInfo {
    fn has_active(&self, student_id: &str) -> bool {
        self.enrolled.iter().any(|(s, a)| s == student_id && *a)
    }

    fn first_active_student(&self) -> &str {
        self.enrolled
            .iter()
            .find(|(_, a)| *a)
            .map(|(s, _)| s.as_str())
            .unwrap_or_else(|| panic!("class {} has no active student", self.name))
    }
}

/// One district as its district administrator sees it.
struct Roster {
    district_id: String,
    /// (id, name)
    schools: Vec<(String, String)>,
    terms: Vec<String>,
    users: Vec<Person>,
    classes: Vec<ClassInfo>,
}

/// Every item of a list endpoint (path under /api/v1), following the pages; the caller must
/// be allowed to list.
fn list_all(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    for page in 1.. {
        let r = app.get(
            &format!("{API}{path}{sep}limit=200&page={page}"),
            Some(token),
        );
        assert_eq!(r.status, 200, "GET {path}: {}", r.text);
        let body = r.json();
        let batch = body["items"].as_array().unwrap().clone();
        let total = body["total"].as_u64().unwrap() as usize;
        let done = batch.is_empty();
        items.extend(batch);
        if done || items.len() >= total {
            break;
        }
    }
    items
}

fn str_of(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string {field} in {v}"))
        .to_owned()
}

impl Roster {
    fn load(app: &TestApp, admin_token: &str) -> Roster {
        let me = app.get(&format!("{API}/me"), Some(admin_token)).json();
        assert_eq!(me["role"], "district_admin", "{me}");
        let schools = list_all(app, admin_token, "/schools")
            .iter()
            .map(|s| (str_of(s, "id"), str_of(s, "name")))
            .collect();
        let terms = list_all(app, admin_token, "/terms")
            .iter()
            .map(|t| str_of(t, "id"))
            .collect();
        let users = list_all(app, admin_token, "/users")
            .iter()
            .map(|u| Person {
                id: str_of(u, "id"),
                username: str_of(u, "username"),
                role: str_of(u, "role"),
                school_id: u["school_id"].as_str().map(str::to_owned),
                given_name: str_of(u, "given_name"),
            })
            .collect();
        let classes = list_all(app, admin_token, "/classes")
            .iter()
            .map(|c| {
                let id = str_of(c, "id");
                let enrolled = list_all(app, admin_token, &format!("/classes/{id}/enrollments"))
                    .iter()
                    .map(|e| (str_of(e, "student_id"), e["active"].as_bool().unwrap()))
                    .collect();
                ClassInfo {
                    name: str_of(c, "name"),
                    school_id: str_of(c, "school_id"),
                    teacher_ids: c["teachers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| str_of(t, "id"))
                        .collect(),
                    enrolled,
                    id,
                }
            })
            .collect();
        Roster {
            district_id: str_of(&me, "district_id"),
            schools,
            terms,
            users,
            classes,
        }
    }

    fn person(&self, username: &str) -> &Person {
        self.users
            .iter()
            .find(|u| u.username == username)
            .unwrap_or_else(|| panic!("no user {username}"))
    }

    fn school(&self, name: &str) -> &str {
        &self
            .schools
            .iter()
            .find(|(_, n)| n == name)
            .unwrap_or_else(|| panic!("no school {name}"))
            .0
    }

    fn class(&self, name: &str) -> &ClassInfo {
        self.classes
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no class {name}"))
    }

    /// Any class the teacher teaches in which the student is actively enrolled?
    fn teaches_student(&self, teacher_id: &str, student_id: &str) -> bool {
        self.classes
            .iter()
            .any(|c| c.teacher_ids.iter().any(|t| t == teacher_id) && c.has_active(student_id))
    }

    /// Every id this district's rows carry (district, schools, terms, users, classes).
    fn all_ids(&self) -> HashSet<String> {
        let mut ids = HashSet::from([self.district_id.clone()]);
        ids.extend(self.schools.iter().map(|(id, _)| id.clone()));
        ids.extend(self.terms.iter().cloned());
        ids.extend(self.users.iter().map(|u| u.id.clone()));
        ids.extend(self.classes.iter().map(|c| c.id.clone()));
        ids
    }
}

// ---------------------------------------------------------------------------------------------
// Oracles: docs/ARCHITECTURE.md, "Scope and proofs".
// ---------------------------------------------------------------------------------------------

fn is(role: &str, set: &[&str]) -> bool {
    set.contains(&role)
}

/// Own account for everyone; the district's accounts for district staff; the school's people
/// for school staff; students of own classes (active enrollments) for teachers.
fn sees_user(r: &Roster, caller: &Person, target: &Person) -> bool {
    if caller.id == target.id {
        return true;
    }
    match caller.role.as_str() {
        "district_admin" => true,
        "school_admin" | "counselor" => {
            caller.school_id.is_some() && target.school_id == caller.school_id
        }
        "teacher" => target.role == "student" && r.teaches_student(&caller.id, &target.id),
        _ => false,
    }
}

fn sees_class(caller: &Person, class: &ClassInfo) -> bool {
    match caller.role.as_str() {
        "district_admin" => true,
        "school_admin" | "counselor" => caller.school_id.as_deref() == Some(&class.school_id),
        "teacher" => class.teacher_ids.contains(&caller.id),
        _ => class.has_active(&caller.id),
    }
}

fn sees_school(caller: &Person, school_id: &str) -> bool {
    caller.role == "district_admin" || caller.school_id.as_deref() == Some(school_id)
}

/// Status of `PATCH /users/{target}` with a harmless body.
fn manage_user_status(r: &Roster, caller: &Person, target: &Person) -> u16 {
    if !is(&caller.role, ROSTER_ADMINS) {
        403
    } else if !sees_user(r, caller, target) {
        404
    } else if caller.id == target.id {
        403 // nobody changes their own account here
    } else if caller.role == "district_admin"
        || (target.school_id == caller.school_id && is(&target.role, &["teacher", "student"]))
    {
        200
    } else {
        403
    }
}

/// Rows must be identical, except that rows in `touched` (allowed no-op writes) may carry a new
/// `updated_at` — every other column of theirs must still match.
fn assert_unchanged(
    m: &mut Matrix,
    before: &Snapshot,
    after: &Snapshot,
    touched: &HashSet<String>,
) {
    for change in before.changes(after, touched) {
        m.fail(format!("database changed by a refused write: {change}"));
    }
}

static PROBES: AtomicUsize = AtomicUsize::new(0);

fn probe_username() -> String {
    format!("matrix.probe{}", PROBES.fetch_add(1, Ordering::Relaxed))
}

fn new_user_body(role: &str, school_id: Option<&str>, grade: Option<i32>) -> Value {
    let mut body = json!({
        "username": probe_username(),
        "role": role,
        "given_name": "Probe",
        "family_name": "Matrix",
        "password": "a-long-probe-password",
    });
    if let Some(s) = school_id {
        body["school_id"] = json!(s);
    }
    if let Some(g) = grade {
        body["grade"] = json!(g);
    }
    body
}

fn new_class_body(school_id: &str, term_id: &str, teacher_ids: &[&str]) -> Value {
    json!({
        "school_id": school_id,
        "term_id": term_id,
        "name": "Matrix Probe Class",
        "teacher_ids": teacher_ids,
    })
}

fn demo_admin() -> String {
    demo_login("district_admin", "")
}

// ---------------------------------------------------------------------------------------------
// 1. Reads: every demo login × every demo object and list.
// ---------------------------------------------------------------------------------------------

#[test]
fn read_matrix_every_demo_login_against_every_demo_object() {
    let app = TestApp::spawn();
    let mut m = Matrix::new(&app);
    let admin = demo_admin();
    let r = Roster::load(&app, &m.token(&admin));
    let all_terms: HashSet<String> = r.terms.iter().cloned().collect();

    for login in demo_logins() {
        let caller = r.person(&login.username).clone();
        let who = caller.username.as_str();

        m.check(&Case::get(
            who,
            &format!("/districts/{}", r.district_id),
            200,
        ));
        for (school, _) in &r.schools {
            let status = if sees_school(&caller, school) {
                200
            } else {
                404
            };
            m.check(&Case::get(who, &format!("/schools/{school}"), status));
        }
        for term in &r.terms {
            m.check(&Case::get(who, &format!("/terms/{term}"), 200));
        }
        for target in &r.users {
            let status = if sees_user(&r, &caller, target) {
                200
            } else {
                404
            };
            m.check(&Case::get(who, &format!("/users/{}", target.id), status));
        }
        for class in &r.classes {
            let visible = sees_class(&caller, class);
            m.check(&Case::get(
                who,
                &format!("/classes/{}", class.id),
                if visible { 200 } else { 404 },
            ));
            // A student may see the class but not the classmates on its roster.
            let roster_status = match (visible, caller.role.as_str()) {
                (false, _) => 404,
                (true, "student") => 403,
                (true, _) => 200,
            };
            let roster = format!("/classes/{}/enrollments", class.id);
            if roster_status == 200 {
                let got: HashSet<String> = m
                    .list(who, &roster, 200)
                    .unwrap_or_default()
                    .iter()
                    .map(|e| str_of(e, "student_id"))
                    .collect();
                let want: HashSet<String> = class.enrolled.iter().map(|(s, _)| s.clone()).collect();
                if got != want {
                    m.fail(format!(
                        "{who} GET {API}{roster}: roster differs from the admin's"
                    ));
                }
            } else {
                m.check(&Case::get(who, &roster, roster_status));
            }
        }

        // Lists hold exactly what the caller may see.
        let schools: HashSet<String> = r
            .schools
            .iter()
            .filter(|(id, _)| sees_school(&caller, id))
            .map(|(id, _)| id.clone())
            .collect();
        m.list_equals(who, "/schools", &schools);
        m.list_equals(who, "/terms", &all_terms);
        let classes: HashSet<String> = r
            .classes
            .iter()
            .filter(|c| sees_class(&caller, c))
            .map(|c| c.id.clone())
            .collect();
        m.list_equals(who, "/classes", &classes);
        if is(&caller.role, SCHOOL_STAFF) {
            let people: HashSet<String> = r
                .users
                .iter()
                .filter(|u| caller.role == "district_admin" || u.school_id == caller.school_id)
                .map(|u| u.id.clone())
                .collect();
            m.list_equals(who, "/users", &people);
            // A filter naming another school cannot widen the scope.
            for (school, _) in &r.schools {
                let want: HashSet<String> = people
                    .iter()
                    .filter(|id| {
                        r.users
                            .iter()
                            .any(|u| &u.id == *id && u.school_id.as_deref() == Some(school))
                    })
                    .cloned()
                    .collect();
                m.list_equals(who, &format!("/users?school_id={school}"), &want);
                let want: HashSet<String> = classes
                    .iter()
                    .filter(|id| {
                        r.classes
                            .iter()
                            .any(|c| &c.id == *id && &c.school_id == school)
                    })
                    .cloned()
                    .collect();
                m.list_equals(who, &format!("/classes?school_id={school}"), &want);
            }
        } else {
            m.list(who, "/users", 403);
        }
    }
    m.finish("read matrix");
}

// ---------------------------------------------------------------------------------------------
// 2. Writes: every demo login × every demo account and class.
// ---------------------------------------------------------------------------------------------

#[test]
fn write_matrix_every_demo_login_against_every_demo_account_and_class() {
    let app = TestApp::spawn();
    let mut m = Matrix::new(&app);
    let admin = demo_admin();
    let r = Roster::load(&app, &m.token(&admin));
    for login in demo_logins() {
        m.token(&login.username);
    }
    let before = Snapshot::roster(&mut app.conn());
    // Rows an allowed no-op write may touch (new updated_at only).
    let mut touched = HashSet::new();

    for login in demo_logins() {
        let caller = r.person(&login.username).clone();
        let who = caller.username.as_str();
        for target in &r.users {
            // Same given name: an allowed write changes nothing but updated_at.
            let status = manage_user_status(&r, &caller, target);
            if status == 200 {
                touched.insert(format!("user {}", target.id));
            }
            m.check(&Case::patch(
                who,
                &format!("/users/{}", target.id),
                json!({"given_name": target.given_name}),
                status,
            ));
        }
        for class in &r.classes {
            let visible = sees_class(&caller, class);
            let manage = |allowed: u16| match (is(&caller.role, ROSTER_ADMINS), visible) {
                (false, _) => 403,
                (true, false) => 404,
                (true, true) => allowed,
            };
            if manage(200) == 200 {
                touched.insert(format!("class {}", class.id));
            }
            m.check(&Case::patch(
                who,
                &format!("/classes/{}", class.id),
                json!({"name": class.name}),
                manage(200),
            ));
            // Re-enrolling an enrolled student is an idempotent 200 for those who manage the class.
            let student = class.first_active_student();
            if manage(200) == 200 {
                touched.insert(format!("enrollment {} {student}", class.id));
            }
            m.check(&Case::post(
                who,
                &format!("/classes/{}/enrollments", class.id),
                json!({"student_id": student}),
                manage(200),
            ));
            // Ending an enrollment: only the refusals run here (the positive control is below).
            if manage(204) != 204 {
                m.check(&Case::delete(
                    who,
                    &format!("/classes/{}/enrollments/{student}", class.id),
                    manage(204),
                ));
            }
        }
    }
    let after = Snapshot::roster(&mut app.conn());
    assert_unchanged(&mut m, &before, &after, &touched);
    m.finish("write matrix");
}

// ---------------------------------------------------------------------------------------------
// 3–5. Foreign objects: other district (BOLA) in both directions, other school.
// ---------------------------------------------------------------------------------------------

/// Objects on the far side of a scope boundary, or the caller's own ones.
#[derive(Debug, Clone)]
struct Side {
    /// Set when the objects belong to another district (district and terms are then foreign too).
    district: Option<String>,
    school: String,
    term: String,
    grade: i32,
    users: Vec<String>,
    class: String,
    student: String,
    teacher: String,
}

impl Side {
    /// The class, its school, and one person of each role there (plus the district's staff).
    fn of_class(r: &Roster, class_name: &str, foreign_district: bool, grade: i32) -> Side {
        let class = r.class(class_name);
        let school = class.school_id.clone();
        let mut users: Vec<String> = r
            .users
            .iter()
            .filter(|u| u.role == "district_admin")
            .map(|u| u.id.clone())
            .collect();
        for role in ["school_admin", "counselor", "teacher", "student"] {
            if let Some(u) = r
                .users
                .iter()
                .find(|u| u.role == role && u.school_id.as_deref() == Some(&school))
            {
                users.push(u.id.clone());
            }
        }
        Side {
            district: foreign_district.then(|| r.district_id.clone()),
            term: r.terms[0].clone(),
            grade,
            users,
            student: class.first_active_student().to_owned(),
            teacher: class.teacher_ids[0].clone(),
            class: class.id.clone(),
            school,
        }
    }

    fn ids(&self) -> Vec<String> {
        let mut ids = vec![
            self.school.clone(),
            self.class.clone(),
            self.student.clone(),
            self.teacher.clone(),
        ];
        ids.extend(self.users.iter().cloned());
        if let Some(d) = &self.district {
            ids.push(d.clone());
            ids.push(self.term.clone());
        }
        ids
    }
}

/// What `caller` gets against `theirs`: 404 wherever authz looks the object up, 403 where the
/// role extractor refuses the operation before any lookup (id-independent, so it leaks nothing),
/// 422 where a foreign id is only a field value. `mine` are objects the caller manages.
fn foreign_cases(caller: &Person, theirs: &Side, mine: &Side) -> Vec<Case> {
    let who = caller.username.as_str();
    let role = caller.role.as_str();
    let gate = |set: &[&str], status: u16| if is(role, set) { status } else { 403 };
    let mut cases = Vec::new();
    if let Some(district) = &theirs.district {
        cases.push(Case::get(who, &format!("/districts/{district}"), 404));
        cases.push(Case::patch(
            who,
            &format!("/districts/{district}"),
            json!({"name": "Taken Over"}),
            gate(DISTRICT_ADMINS, 404),
        ));
        cases.push(Case::get(who, &format!("/terms/{}", theirs.term), 404));
        cases.push(Case::patch(
            who,
            &format!("/terms/{}", theirs.term),
            json!({"name": "Taken Over"}),
            404,
        ));
    }
    let school = &theirs.school;
    cases.push(Case::get(who, &format!("/schools/{school}"), 404));
    cases.push(Case::patch(
        who,
        &format!("/schools/{school}"),
        json!({"name": "Taken Over"}),
        404,
    ));
    cases.push(Case::patch(
        who,
        &format!("/schools/{school}"),
        json!({"active": false}),
        404,
    ));
    for user in &theirs.users {
        cases.push(Case::get(who, &format!("/users/{user}"), 404));
        cases.push(Case::patch(
            who,
            &format!("/users/{user}"),
            json!({"given_name": "Taken"}),
            gate(ROSTER_ADMINS, 404),
        ));
        cases.push(Case::patch(
            who,
            &format!("/users/{user}"),
            json!({"active": false}),
            gate(ROSTER_ADMINS, 404),
        ));
    }
    let class = &theirs.class;
    cases.push(Case::get(who, &format!("/classes/{class}"), 404));
    cases.push(Case::patch(
        who,
        &format!("/classes/{class}"),
        json!({"name": "Taken Over"}),
        gate(ROSTER_ADMINS, 404),
    ));
    cases.push(Case::get(
        who,
        &format!("/classes/{class}/enrollments"),
        404,
    ));
    cases.push(Case::post(
        who,
        &format!("/classes/{class}/enrollments"),
        json!({"student_id": theirs.student}),
        gate(ROSTER_ADMINS, 404),
    ));
    cases.push(Case::delete(
        who,
        &format!("/classes/{class}/enrollments/{}", theirs.student),
        gate(ROSTER_ADMINS, 404),
    ));
    // Creating into their school: the school is only a field value here.
    cases.push(
        Case::post(
            who,
            "/classes",
            new_class_body(school, &theirs.term, &[&theirs.teacher]),
            gate(ROSTER_ADMINS, 422),
        )
        .field("school_id"),
    );
    cases.push(
        Case::post(
            who,
            "/users",
            new_user_body("student", Some(school), Some(theirs.grade)),
            gate(ROSTER_ADMINS, 422),
        )
        .field("school_id"),
    );
    cases.push(
        Case::post(
            who,
            "/users",
            new_user_body("teacher", Some(school), None),
            gate(ROSTER_ADMINS, 422),
        )
        .field("school_id"),
    );
    if !is(role, ROSTER_ADMINS) {
        return cases;
    }
    // Own objects pointing at theirs.
    let own_class = format!("/classes/{}", mine.class);
    if theirs.district.is_some() {
        cases.push(
            Case::post(
                who,
                "/classes",
                new_class_body(&mine.school, &theirs.term, &[]),
                422,
            )
            .field("term_id"),
        );
        cases.push(
            Case::patch(who, &own_class, json!({"term_id": theirs.term}), 422).field("term_id"),
        );
    }
    cases.push(
        Case::post(
            who,
            "/classes",
            new_class_body(&mine.school, &mine.term, &[&theirs.teacher]),
            422,
        )
        .field("teacher_ids[0]"),
    );
    cases.push(
        Case::patch(
            who,
            &own_class,
            json!({"teacher_ids": [theirs.teacher]}),
            422,
        )
        .field("teacher_ids[0]"),
    );
    cases.push(
        Case::post(
            who,
            &format!("{own_class}/enrollments"),
            json!({"student_id": theirs.student}),
            422,
        )
        .field("student_id"),
    );
    cases.push(Case::delete(
        who,
        &format!("{own_class}/enrollments/{}", theirs.student),
        404,
    ));
    // Moving an own student into their school.
    let move_status = match (role, theirs.district.is_some()) {
        ("district_admin", true) => 422,
        ("district_admin", false) => 200, // allowed: not part of this table
        _ => 403,                         // only district administrators move people
    };
    if move_status != 200 {
        cases.push(
            Case::patch(
                who,
                &format!("/users/{}", mine.student),
                json!({"school_id": school}),
                move_status,
            )
            .field("school_id"),
        );
    }
    cases
}

/// Lists of `who` must name nothing of `theirs`, even when filtered by their ids.
fn check_lists_exclude(m: &mut Matrix, caller: &Person, theirs: &Side) {
    let who = caller.username.as_str();
    let foreign: HashSet<String> = theirs.ids().into_iter().collect();
    let users_status = if is(&caller.role, SCHOOL_STAFF) {
        200
    } else {
        403
    };
    for path in ["/schools", "/terms", "/classes"] {
        m.list_excludes(who, path, 200, &foreign);
    }
    m.list_excludes(who, "/users", users_status, &foreign);
    let filtered = [
        (format!("/classes?school_id={}", theirs.school), 200),
        (format!("/classes?teacher_id={}", theirs.teacher), 200),
        (format!("/users?school_id={}", theirs.school), users_status),
        (
            format!("/users?role=student&school_id={}", theirs.school),
            users_status,
        ),
    ];
    for (path, status) in filtered {
        let items = m.list(who, &path, status).unwrap_or_default();
        if !items.is_empty() {
            m.fail(format!(
                "{who} GET {API}{path}: lists {} foreign rows",
                items.len()
            ));
        }
    }
    if theirs.district.is_some() {
        let path = format!("/classes?term_id={}", theirs.term);
        if !m.list(who, &path, 200).unwrap_or_default().is_empty() {
            m.fail(format!("{who} GET {API}{path}: lists foreign classes"));
        }
    }
}

#[test]
fn demo_callers_of_every_role_get_404_on_every_harbor_point_object() {
    let app = TestApp::spawn();
    let mut m = Matrix::new(&app);
    let demo = Roster::load(&app, &m.token(&demo_admin()));
    let harbor = Roster::load(&app, &m.token("hp.admin"));
    assert_eq!(
        (
            harbor.schools.len(),
            harbor.terms.len(),
            harbor.users.len(),
            harbor.classes.len()
        ),
        (1, 1, 5, 1),
        "Harbor Point lists must hold only Harbor Point rows"
    );
    let theirs = Side::of_class(&harbor, "Advisory 7", true, 7);
    let callers = [
        demo_admin(),
        demo_login("school_admin", ELEMENTARY),
        demo_login("counselor", ELEMENTARY),
        demo_login("teacher", ELEMENTARY),
        demo_login("student", ELEMENTARY),
    ];
    for who in &callers {
        m.token(who);
    }
    let before = Snapshot::roster(&mut app.conn());
    let mine = Side::of_class(&demo, "Grade 4 Homeroom - Goldstein", false, 4);
    let foreign = theirs.ids();
    for who in &callers {
        let caller = demo.person(who).clone();
        for case in foreign_cases(&caller, &theirs, &mine) {
            m.check_indistinguishable(&case, &foreign);
        }
        check_lists_exclude(&mut m, &caller, &theirs);
    }
    // Usernames are global, so a search must not reach across either.
    m.list_excludes(&demo_admin(), "/users?q=hp.", 200, &harbor.all_ids());
    let after = Snapshot::roster(&mut app.conn());
    assert_unchanged(&mut m, &before, &after, &HashSet::new());
    m.finish("demo → Harbor Point");
}

#[test]
fn harbor_point_callers_of_every_role_get_404_on_every_demo_object() {
    let app = TestApp::spawn();
    let mut m = Matrix::new(&app);
    let demo = Roster::load(&app, &m.token(&demo_admin()));
    let harbor = Roster::load(&app, &m.token("hp.admin"));
    let mine = Side::of_class(&harbor, "Advisory 7", true, 7);
    let callers = [
        "hp.admin",
        "hp.principal",
        "hp.counselor",
        "hp.teacher",
        "hp.student",
    ];
    for who in callers {
        m.token(who);
    }
    let before = Snapshot::roster(&mut app.conn());
    let targets = [
        Side::of_class(&demo, "Grade 4 Homeroom - Goldstein", true, 4),
        Side::of_class(&demo, "Health & Wellness 7", true, 7),
        Side::of_class(&demo, "Peer Leadership", true, 10),
    ];
    for who in callers {
        let caller = harbor.person(who).clone();
        for theirs in &targets {
            let foreign = theirs.ids();
            for case in foreign_cases(&caller, theirs, &mine) {
                m.check_indistinguishable(&case, &foreign);
            }
            check_lists_exclude(&mut m, &caller, theirs);
        }
        // Lists hold exactly the caller's own district's rows in scope.
        let own_schools = HashSet::from([harbor.schools[0].0.clone()]);
        m.list_equals(who, "/schools", &own_schools);
        let own_terms: HashSet<String> = harbor.terms.iter().cloned().collect();
        m.list_equals(who, "/terms", &own_terms);
        let own_classes = HashSet::from([harbor.classes[0].id.clone()]);
        m.list_equals(who, "/classes", &own_classes);
    }
    // The district admin reaches into none of the demo district: every school, term, user, class.
    let who = "hp.admin";
    for (school, _) in &demo.schools {
        m.check(&Case::get(who, &format!("/schools/{school}"), 404));
        m.check(&Case::patch(
            who,
            &format!("/schools/{school}"),
            json!({"name": "Taken Over"}),
            404,
        ));
    }
    for term in &demo.terms {
        m.check(&Case::get(who, &format!("/terms/{term}"), 404));
        m.check(&Case::patch(
            who,
            &format!("/terms/{term}"),
            json!({"name": "Taken Over"}),
            404,
        ));
    }
    for user in &demo.users {
        m.check(&Case::get(who, &format!("/users/{}", user.id), 404));
    }
    for class in &demo.classes {
        m.check(&Case::get(who, &format!("/classes/{}", class.id), 404));
        m.check(&Case::get(
            who,
            &format!("/classes/{}/enrollments", class.id),
            404,
        ));
    }
    let own_users: HashSet<String> = harbor.users.iter().map(|u| u.id.clone()).collect();
    m.list_equals(who, "/users", &own_users);
    let after = Snapshot::roster(&mut app.conn());
    assert_unchanged(&mut m, &before, &after, &HashSet::new());
    m.finish("Harbor Point → demo");
}

#[test]
fn school_bound_callers_get_404_on_another_schools_objects() {
    let app = TestApp::spawn();
    let mut m = Matrix::new(&app);
    let r = Roster::load(&app, &m.token(&demo_admin()));
    let elementary = Side::of_class(&r, "Grade 4 Homeroom - Goldstein", false, 4);
    let middle = Side::of_class(&r, "Health & Wellness 7", false, 7);
    // Both directions: Cedar Grove against Riverbend, and Riverbend against Cedar Grove.
    let pairs = [
        (ELEMENTARY, &elementary, &middle),
        (MIDDLE, &middle, &elementary),
    ];
    let roles = ["school_admin", "counselor", "teacher", "student"];
    for (school, _, _) in pairs {
        for role in roles {
            m.token(&demo_login(role, school));
        }
    }
    let before = Snapshot::roster(&mut app.conn());
    for (school, mine, theirs) in pairs {
        // Their users are the other school's people, not the district staff both may not manage.
        let mut theirs = (*theirs).clone();
        theirs.users.retain(|id| {
            r.users
                .iter()
                .any(|u| &u.id == id && u.role != "district_admin")
        });
        for role in roles {
            let caller = r.person(&demo_login(role, school)).clone();
            let who = caller.username.as_str();
            m.check_all(foreign_cases(&caller, &theirs, mine));
            check_lists_exclude(&mut m, &caller, &theirs);
            // Shared by the whole district: readable by everyone in it, changed by nobody here.
            m.check(&Case::get(
                who,
                &format!("/districts/{}", r.district_id),
                200,
            ));
            for term in &r.terms {
                m.check(&Case::get(who, &format!("/terms/{term}"), 200));
                m.check(&Case::patch(
                    who,
                    &format!("/terms/{term}"),
                    json!({"name": "Taken Over"}),
                    403,
                ));
            }
        }
    }
    let after = Snapshot::roster(&mut app.conn());
    assert_unchanged(&mut m, &before, &after, &HashSet::new());
    m.finish("cross-school");
}

// ---------------------------------------------------------------------------------------------
// 6. Within one school: the explicit table.
// ---------------------------------------------------------------------------------------------

#[test]
fn within_school_limits_table() {
    let app = TestApp::spawn();
    let mut m = Matrix::new(&app);
    let admin = demo_admin();
    let r = Roster::load(&app, &m.token(&admin));
    let principal = demo_login("school_admin", ELEMENTARY);
    let counselor = demo_login("counselor", ELEMENTARY);
    let teacher = demo_login("teacher", ELEMENTARY);
    let student = demo_login("student", ELEMENTARY);
    let (sa, co, te, st) = (
        principal.as_str(),
        counselor.as_str(),
        teacher.as_str(),
        student.as_str(),
    );
    for who in [sa, co, te, st] {
        m.token(who);
    }
    let cg = r.school(ELEMENTARY).to_owned();
    let rb = r.school(MIDDLE).to_owned();
    let term = r.terms[0].clone();
    let own = r.class("Grade 4 Homeroom - Goldstein").clone();
    let other = r.class("Grade 3 Homeroom - Nguyen").clone();
    let me_teacher = r.person(te).clone();
    let me_student = r.person(st).clone();
    let me_admin = r.person(sa).clone();
    let me_counselor = r.person(co).clone();
    let district_admin = r.person(&admin).clone();
    let other_teacher = r.person("laura.nguyen").clone();
    assert!(own.teacher_ids.contains(&me_teacher.id) && own.has_active(&me_student.id));
    // A student of the other class whom the teacher does not teach anywhere.
    let stranger = other
        .enrolled
        .iter()
        .map(|(s, _)| s.clone())
        .find(|s| !r.teaches_student(&me_teacher.id, s))
        .expect("a student the teacher does not teach");
    let classmate = own
        .enrolled
        .iter()
        .map(|(s, _)| s.clone())
        .find(|s| s != &me_student.id)
        .unwrap();
    let own_c = format!("/classes/{}", own.id);
    let other_c = format!("/classes/{}", other.id);
    let user = |id: &str| format!("/users/{id}");
    let named = json!({"given_name": "Changed"});

    let mut cases = vec![
        // Teacher: own classes and their students only.
        Case::get(te, &own_c, 200),
        Case::get(te, &format!("{own_c}/enrollments"), 200),
        Case::get(te, &other_c, 404),
        Case::get(te, &format!("{other_c}/enrollments"), 404),
        Case::get(te, &user(&me_student.id), 200),
        Case::get(te, &user(&classmate), 200),
        Case::get(te, &user(&stranger), 404),
        Case::get(te, &user(&other_teacher.id), 404),
        Case::get(te, &user(&me_admin.id), 404),
        Case::get(te, &user(&me_counselor.id), 404),
        Case::get(te, &user(&district_admin.id), 404),
        Case::get(te, &user(&me_teacher.id), 200),
        Case::get(te, "/users", 403),
        Case::get(te, &format!("/schools/{cg}"), 200),
        Case::patch(te, &own_c, json!({"name": "Mine Now"}), 403),
        Case::patch(te, &other_c, json!({"name": "Mine Now"}), 403),
        Case::post(
            te,
            &format!("{own_c}/enrollments"),
            json!({"student_id": stranger}),
            403,
        ),
        Case::delete(te, &format!("{own_c}/enrollments/{}", me_student.id), 403),
        Case::patch(te, &user(&me_student.id), named.clone(), 403),
        Case::post(
            te,
            "/classes",
            new_class_body(&cg, &term, &[&me_teacher.id]),
            403,
        ),
        Case::post(
            te,
            "/users",
            new_user_body("student", Some(&cg), Some(4)),
            403,
        ),
        Case::patch(te, &format!("/schools/{cg}"), json!({"name": "Mine"}), 403),
        // Student: own classes and own record; never a roster.
        Case::get(st, &own_c, 200),
        Case::get(st, &format!("{own_c}/enrollments"), 403),
        Case::get(st, &other_c, 404),
        Case::get(st, &format!("{other_c}/enrollments"), 404),
        Case::get(st, &user(&me_student.id), 200),
        Case::get(st, &user(&classmate), 404),
        Case::get(st, &user(&me_teacher.id), 404),
        Case::get(st, &user(&me_admin.id), 404),
        Case::get(st, "/users", 403),
        Case::get(st, &format!("/schools/{cg}"), 200),
        Case::patch(st, &user(&me_student.id), named.clone(), 403),
        Case::patch(st, &own_c, json!({"name": "Mine Now"}), 403),
        Case::post(
            st,
            &format!("{own_c}/enrollments"),
            json!({"student_id": stranger}),
            403,
        ),
        Case::delete(st, &format!("{own_c}/enrollments/{classmate}"), 403),
        Case::post(st, "/classes", new_class_body(&cg, &term, &[]), 403),
        Case::post(
            st,
            "/users",
            new_user_body("student", Some(&cg), Some(4)),
            403,
        ),
        // Counselor: reads the school, changes nothing.
        Case::get(co, &user(&stranger), 200),
        Case::get(co, &user(&me_teacher.id), 200),
        Case::get(co, &other_c, 200),
        Case::get(co, &format!("{other_c}/enrollments"), 200),
        Case::get(co, &user(&district_admin.id), 404),
        Case::patch(co, &user(&stranger), named.clone(), 403),
        Case::patch(co, &user(&me_teacher.id), json!({"active": false}), 403),
        Case::patch(co, &other_c, json!({"name": "Changed"}), 403),
        Case::post(
            co,
            &format!("{own_c}/enrollments"),
            json!({"student_id": stranger}),
            403,
        ),
        Case::delete(co, &format!("{own_c}/enrollments/{}", me_student.id), 403),
        Case::post(
            co,
            "/users",
            new_user_body("student", Some(&cg), Some(4)),
            403,
        ),
        Case::post(co, "/classes", new_class_body(&cg, &term, &[]), 403),
        Case::patch(
            co,
            &format!("/schools/{cg}"),
            json!({"name": "Changed"}),
            403,
        ),
        // School admin: teachers and students of own school only, never roles or schools.
        Case::post(
            sa,
            "/users",
            new_user_body("district_admin", None, None),
            403,
        ),
        Case::post(
            sa,
            "/users",
            new_user_body("district_admin", Some(&cg), None),
            403,
        ),
        Case::post(
            sa,
            "/users",
            new_user_body("counselor", Some(&cg), None),
            403,
        ),
        Case::post(sa, "/users", new_user_body("counselor", None, None), 403),
        Case::post(
            sa,
            "/users",
            new_user_body("school_admin", Some(&cg), None),
            403,
        ),
        Case::patch(
            sa,
            &user(&other_teacher.id),
            json!({"role": "counselor"}),
            403,
        ),
        Case::patch(
            sa,
            &user(&other_teacher.id),
            json!({"role": "school_admin"}),
            403,
        ),
        Case::patch(sa, &user(&stranger), json!({"role": "teacher"}), 403),
        Case::patch(sa, &user(&stranger), json!({"school_id": rb}), 403),
        Case::patch(sa, &user(&stranger), json!({"school_id": cg}), 403),
        Case::patch(sa, &user(&me_counselor.id), named.clone(), 403),
        Case::patch(sa, &user(&me_counselor.id), json!({"active": false}), 403),
        Case::get(sa, &user(&district_admin.id), 404),
        Case::patch(sa, &user(&district_admin.id), named.clone(), 404),
        Case::patch(
            sa,
            &format!("/schools/{cg}"),
            json!({"name": "Changed"}),
            403,
        ),
        Case::patch(
            sa,
            &format!("/districts/{}", r.district_id),
            json!({"name": "X"}),
            403,
        ),
        Case::patch(
            sa,
            &format!("/terms/{term}"),
            json!({"name": "Changed"}),
            403,
        ),
    ];
    // Nobody but district admins creates schools or terms, or renames the district.
    for who in [sa, co, te, st] {
        cases.push(Case::post(
            who,
            "/schools",
            json!({"name": "Shadow School", "low_grade": 0, "high_grade": 5}),
            403,
        ));
        cases.push(Case::post(
            who,
            "/terms",
            json!({"name": "Shadow Term", "starts_on": "2027-08-01", "ends_on": "2027-12-20"}),
            403,
        ));
        cases.push(Case::patch(
            who,
            &format!("/districts/{}", r.district_id),
            json!({"name": "Shadow District"}),
            403,
        ));
        cases.push(Case::get(
            who,
            &format!("/districts/{}", r.district_id),
            200,
        ));
    }
    // Nobody deactivates, renames, re-roles or moves themselves through PATCH /users/{own id}.
    for who in [admin.as_str(), sa, co, te, st] {
        let id = r.person(who).id.clone();
        for body in [
            json!({"active": false}),
            json!({"given_name": "Myself"}),
            json!({"role": "district_admin"}),
        ] {
            cases.push(Case::patch(who, &user(&id), body, 403));
        }
    }
    cases.push(Case::patch(
        &admin,
        &user(&district_admin.id),
        json!({"school_id": cg}),
        403,
    ));

    let before = Snapshot::roster(&mut app.conn());
    m.check_all(cases);
    let after = Snapshot::roster(&mut app.conn());
    assert_unchanged(&mut m, &before, &after, &HashSet::new());
    // Everyone is still active and signed in.
    for who in [admin.as_str(), sa, co, te, st] {
        m.check(&Case::get(who, "/me", 200));
    }
    m.finish("within school");
}

// ---------------------------------------------------------------------------------------------
// 7. Positive controls: each role may do what docs/ARCHITECTURE.md ("Scope and proofs") says.
// ---------------------------------------------------------------------------------------------

#[test]
fn district_admin_manages_every_school_term_and_account_of_its_district() {
    let app = TestApp::spawn();
    let mut m = Matrix::new(&app);
    let admin = demo_admin();
    let r = Roster::load(&app, &m.token(&admin));
    let da = admin.as_str();
    m.check(&Case::get(
        da,
        &format!("/districts/{}", r.district_id),
        200,
    ));
    m.check(&Case::patch(
        da,
        &format!("/districts/{}", r.district_id),
        json!({"name": "Maple Valley USD"}),
        200,
    ));
    for (school, name) in &r.schools {
        m.check(&Case::get(da, &format!("/schools/{school}"), 200));
        m.check(&Case::patch(
            da,
            &format!("/schools/{school}"),
            json!({"name": format!("{name} (renamed)")}),
            200,
        ));
    }
    for term in &r.terms {
        m.check(&Case::patch(
            da,
            &format!("/terms/{term}"),
            json!({"name": format!("T {term}")}),
            200,
        ));
    }
    m.check(&Case::post(
        da,
        "/schools",
        json!({"name": "Willow Creek K-8", "low_grade": 0, "high_grade": 8}),
        201,
    ));
    m.check(&Case::post(
        da,
        "/terms",
        json!({"name": "Fall 2027", "starts_on": "2027-08-16", "ends_on": "2027-12-17"}),
        201,
    ));
    let rb = r.school(MIDDLE).to_owned();
    let lv = r.school(HIGH).to_owned();
    for role in ["district_admin", "school_admin", "counselor", "teacher"] {
        let school = (role != "district_admin").then_some(rb.as_str());
        m.check(&Case::post(
            da,
            "/users",
            new_user_body(role, school, None),
            201,
        ));
    }
    m.check(&Case::post(
        da,
        "/users",
        new_user_body("student", Some(&lv), Some(11)),
        201,
    ));
    let mover = r.person("laura.nguyen").clone();
    m.check(&Case::patch(
        da,
        &format!("/users/{}", mover.id),
        json!({"role": "counselor"}),
        200,
    ));
    m.check(&Case::patch(
        da,
        &format!("/users/{}", mover.id),
        json!({"school_id": rb}),
        200,
    ));
    let peer = r
        .users
        .iter()
        .find(|u| u.role == "district_admin" && u.username != admin)
        .unwrap()
        .clone();
    m.check(&Case::patch(
        da,
        &format!("/users/{}", peer.id),
        json!({"active": false}),
        200,
    ));
    let kwabena = r.person(&demo_login("teacher", HIGH)).id.clone();
    m.check(&Case::post(
        da,
        "/classes",
        new_class_body(&lv, &r.terms[0], &[&kwabena]),
        201,
    ));

    // Read back what was written.
    let mut conn = app.conn();
    let names: Vec<String> = schools::table
        .filter(schools::district_id.eq(&r.district_id))
        .select(schools::name)
        .load(&mut conn)
        .unwrap();
    for (_, name) in &r.schools {
        assert!(names.contains(&format!("{name} (renamed)")), "{names:?}");
    }
    let (role, school): (String, Option<String>) = users::table
        .find(&mover.id)
        .select((users::role, users::school_id))
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        (role.as_str(), school.as_deref()),
        ("counselor", Some(rb.as_str()))
    );
    let peer_active: bool = users::table
        .find(&peer.id)
        .select(users::active)
        .first(&mut conn)
        .unwrap();
    assert!(!peer_active);
    m.finish("district admin positive controls");
}

#[test]
fn school_admin_builds_a_class_and_the_roster_grants_and_revokes_access() {
    let app = TestApp::spawn();
    let mut m = Matrix::new(&app);
    let r = Roster::load(&app, &m.token(&demo_admin()));
    let principal = demo_login("school_admin", ELEMENTARY);
    let counselor = demo_login("counselor", ELEMENTARY);
    let teacher_name = demo_login("teacher", ELEMENTARY);
    let (sa, co, te) = (
        principal.as_str(),
        counselor.as_str(),
        teacher_name.as_str(),
    );
    let cg = r.school(ELEMENTARY).to_owned();
    let teacher = r.person(te).clone();
    let fall = r.class("Grade 4 Homeroom - Goldstein").clone();
    let other = r.class("Grade 3 Homeroom - Nguyen").clone();
    // A student in someone else's class: invisible to our teacher until enrolled with them.
    let pupil_id = other
        .enrolled
        .iter()
        .map(|(s, _)| s.clone())
        .find(|s| !r.teaches_student(&teacher.id, s))
        .unwrap();
    let pupil = r.users.iter().find(|u| u.id == pupil_id).unwrap().clone();
    m.check(&Case::get(te, &format!("/users/{}", pupil.id), 404));
    m.check(&Case::get(
        &pupil.username,
        &format!("/classes/{}", fall.id),
        404,
    ));

    // The school admin creates a class in own school, taught by the teacher, and enrolls the pupil.
    let created = m.check(&Case::post(
        sa,
        "/classes",
        json!({"school_id": cg, "term_id": r.terms[0], "name": "SEL Circle", "grade": 3,
               "teacher_ids": [teacher.id]}),
        201,
    ));
    let class_id = str_of(&created.json(), "id");
    let class = format!("/classes/{class_id}");
    m.check_all([
        Case::post(
            sa,
            &format!("{class}/enrollments"),
            json!({"student_id": pupil.id}),
            201,
        ),
        Case::post(
            sa,
            &format!("{class}/enrollments"),
            json!({"student_id": pupil.id}),
            200,
        ),
        Case::patch(sa, &class, json!({"name": "SEL Circle (Thursdays)"}), 200),
        Case::post(sa, "/users", new_user_body("teacher", None, None), 201),
        Case::post(
            sa,
            "/users",
            new_user_body("student", Some(&cg), Some(2)),
            201,
        ),
        Case::patch(
            sa,
            &format!("/users/{}", pupil.id),
            json!({"given_name": "Pat"}),
            200,
        ),
        // The teacher now sees the class, its roster and the pupil.
        Case::get(te, &class, 200),
        Case::get(te, &format!("{class}/enrollments"), 200),
        Case::get(te, &format!("/users/{}", pupil.id), 200),
        // The pupil sees the class but not its roster.
        Case::get(&pupil.username, &class, 200),
        Case::get(&pupil.username, &format!("{class}/enrollments"), 403),
        // The counselor reads it all, changes nothing.
        Case::get(co, &class, 200),
        Case::get(co, &format!("{class}/enrollments"), 200),
        Case::patch(co, &class, json!({"name": "Counselor's Circle"}), 403),
    ]);
    let teacher_classes: Vec<String> = m
        .list(te, "/classes", 200)
        .unwrap_or_default()
        .iter()
        .map(|c| str_of(c, "id"))
        .collect();
    assert!(
        teacher_classes.contains(&class_id),
        "teacher's list lacks the new class"
    );
    let roster = m
        .list(te, &format!("{class}/enrollments"), 200)
        .unwrap_or_default();
    assert!(
        roster.iter().any(|e| e["student_id"] == pupil.id.as_str()),
        "{roster:?}"
    );

    // Ending the enrollment revokes the access it granted.
    m.check(&Case::delete(
        sa,
        &format!("{class}/enrollments/{}", pupil.id),
        204,
    ));
    m.check_all([
        Case::get(te, &format!("/users/{}", pupil.id), 404),
        Case::get(&pupil.username, &class, 404),
        Case::get(&pupil.username, &format!("{class}/enrollments"), 404),
        Case::delete(sa, &format!("{class}/enrollments/{}", pupil.id), 204),
    ]);
    let pupil_classes: Vec<String> = m
        .list(&pupil.username, "/classes", 200)
        .unwrap_or_default()
        .iter()
        .map(|c| str_of(c, "id"))
        .collect();
    assert!(!pupil_classes.contains(&class_id));
    let mut conn = app.conn();
    let active: bool = enrollments::table
        .filter(enrollments::class_id.eq(&class_id))
        .filter(enrollments::student_id.eq(&pupil.id))
        .select(enrollments::active)
        .first(&mut conn)
        .unwrap();
    assert!(!active, "the enrollment must be kept, inactive");

    // Replacing the class's teachers revokes the teacher's access too.
    m.check(&Case::patch(sa, &class, json!({"teacher_ids": []}), 200));
    m.check(&Case::get(te, &class, 404));
    // And a deactivated teacher account is the school admin's to manage.
    m.check(&Case::patch(
        sa,
        &format!("/users/{}", r.person("laura.nguyen").id),
        json!({"active": false}),
        200,
    ));
    m.finish("school admin positive controls");
}

// ---------------------------------------------------------------------------------------------
// 8. A deactivated account's access token.
// ---------------------------------------------------------------------------------------------

/// `PATCH /users/{id}` with `active: false` "deactivates the account and signs it out everywhere"
/// (UserPatch docs); `/me` already answers 401 for such a token. The roster routes must too:
/// otherwise a deactivated school administrator keeps creating accounts and ending enrollments
/// until the access token expires. Likewise a demoted administrator must lose the old role's
/// powers (401, forcing a new sign-in, or 403 as the new role — either is acceptable).
#[test]
fn a_deactivated_or_demoted_accounts_access_token_loses_its_powers() {
    let app = TestApp::spawn();
    let mut m = Matrix::new(&app);
    let admin = demo_admin();
    let r = Roster::load(&app, &m.token(&admin));
    let principal = demo_login("school_admin", ELEMENTARY);
    let student = demo_login("student", ELEMENTARY);
    let demoted = demo_login("school_admin", MIDDLE);
    let cg = r.school(ELEMENTARY).to_owned();
    let rb = r.school(MIDDLE).to_owned();
    let own = r.class("Grade 4 Homeroom - Goldstein").clone();
    // Sign them in, then deactivate two and demote the third to teacher.
    for who in [&principal, &student, &demoted] {
        m.token(who);
    }
    for (who, body) in [
        (&principal, json!({"active": false})),
        (&student, json!({"active": false})),
        (&demoted, json!({"role": "teacher"})),
    ] {
        m.check(&Case::patch(
            &admin,
            &format!("/users/{}", r.person(who).id),
            body,
            200,
        ));
    }
    let before = Snapshot::roster(&mut app.conn());
    let (sa, st) = (principal.as_str(), student.as_str());
    m.check_all([
        Case::get(sa, "/me", 401),
        Case::get(st, "/me", 401),
        Case::get(st, "/classes", 401),
        Case::get(st, &format!("/classes/{}", own.id), 401),
        Case::get(st, &format!("/users/{}", r.person(st).id), 401),
        Case::get(sa, "/users", 401),
        Case::post(sa, "/users", new_user_body("teacher", Some(&cg), None), 401),
        Case::delete(
            sa,
            &format!(
                "/classes/{}/enrollments/{}",
                own.id,
                own.first_active_student()
            ),
            401,
        ),
    ]);
    let token = m.token(&demoted);
    let body = new_user_body("teacher", Some(&rb), None);
    let r = app.post(&format!("{API}/users"), Some(&token), &body);
    if r.status != 401 && r.status != 403 {
        m.fail(format!(
            "{demoted} (demoted to teacher) POST {API}/users {body}: expected 401 or 403, got {}: {}",
            r.status, r.text
        ));
    }
    let after = Snapshot::roster(&mut app.conn());
    assert_unchanged(&mut m, &before, &after, &HashSet::new());
    m.finish("deactivated and demoted tokens");
}
