//! The web pages (`src/web`) as a browser uses them: sessions, CSRF, the API's sign-in limits
//! and session rules, role refusals, a survey taken part by part, bad input, headers. The
//! journeys in a real browser, with axe on every page, are in `tests/web` (CI: tests/ci/web.sh).

use diesel::prelude::*;
use securebase::db::schema::{assignments, audit_events, survey_participation, web_sessions};

use crate::helpers::lookups::{class_id, user_id};
use crate::helpers::pages::{hidden, Pages};
use crate::helpers::{TestApp, DEMO_PASSWORD};

fn sessions_of(app: &TestApp, username: &str) -> Vec<String> {
    let mut conn = app.conn();
    let id = user_id(&mut conn, username);
    web_sessions::table
        .filter(web_sessions::user_id.eq(id))
        .select(web_sessions::token_hash)
        .load(&mut conn)
        .unwrap()
}

#[test]
fn signing_in_opens_a_session_with_a_strict_cookie_kept_only_as_a_hash() {
    let app = TestApp::spawn();
    let mut browser = Pages::new(&app);
    let form = browser.get("/sign-in");
    assert_eq!(form.status, 200);
    let done = browser.try_sign_in("samuel.ortega", DEMO_PASSWORD, "/library?q=breathing");
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/library?q=breathing"));
    let cookie = done
        .set_cookies
        .iter()
        .find(|c| c.starts_with("__Host-securebase-session="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert!(
        !cookie.contains("Max-Age"),
        "a session cookie, gone with the browser: {cookie}"
    );
    let secret = browser.cookies["__Host-securebase-session"].clone();
    let stored = sessions_of(&app, "samuel.ortega");
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], secret, "only a hash of the secret is stored");
    let page = browser.get("/library?q=breathing");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Lesson library"));
    app.seal_audit();
    let mut conn = app.conn();
    let logins: i64 = audit_events::table
        .filter(audit_events::action.eq("auth.login"))
        .filter(audit_events::actor_id.eq(user_id(&mut conn, "samuel.ortega")))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(logins, 1, "the sign-in is on the record");
}

#[test]
fn a_wrong_password_keeps_the_username_not_the_password_and_counts_toward_the_apis_lockout() {
    let app = TestApp::spawn();
    let mut browser = Pages::new(&app);
    for _ in 0..5 {
        let refused = browser.try_sign_in("samuel.ortega", "Wrong-Password-1", "/");
        assert_eq!(refused.status, 401, "{}", refused.body);
        assert!(refused.body.contains("value=\"samuel.ortega\""));
        assert!(!refused.body.contains("Wrong-Password-1"));
        assert!(!browser.cookies.contains_key("__Host-securebase-session"));
    }
    // The account is locked for the API too: one lockout, whichever door was knocked on.
    let api = app.login_pair("samuel.ortega", DEMO_PASSWORD);
    assert_eq!(api.status, 429, "{}", api.text);
    let locked = browser.try_sign_in("samuel.ortega", DEMO_PASSWORD, "/");
    assert_eq!(locked.status, 429, "{}", locked.body);
    // A missing field is named next to it.
    let form = browser.get("/sign-in");
    let csrf = form.csrf();
    let blank = browser.post(
        "/sign-in",
        &[
            ("csrf", &csrf),
            ("username", "someone"),
            ("password", ""),
            ("next", "/"),
        ],
    );
    assert_eq!(blank.status, 422);
    assert!(
        blank.body.contains("id=\"password-error\""),
        "{}",
        blank.body
    );
}

#[test]
fn sign_in_returns_only_to_a_page_of_this_site() {
    let app = TestApp::spawn();
    for next in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let mut browser = Pages::new(&app);
        let done = browser.try_sign_in("andreg197", DEMO_PASSWORD, next);
        assert_eq!(done.status, 303);
        assert_eq!(done.location.as_deref(), Some("/"), "next={next}");
    }
}

#[test]
fn forms_without_the_session_token_or_from_another_site_are_refused_and_change_nothing() {
    let app = TestApp::spawn();
    let mut teacher = Pages::new(&app);
    teacher.sign_in("samuel.ortega");
    let class = class_id(&mut app.conn(), "Health & Wellness 7");
    let assign = teacher.get(&format!("/classes/{class}/assign?q=breathing"));
    assert_eq!(assign.status, 200, "{}", assign.body);
    let plan = hidden_radio(&assign.body, "plan_id");
    let csrf = assign.csrf();
    let today = chrono::Utc::now().date_naive().to_string();
    let count = |app: &TestApp| -> i64 {
        assignments::table
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    let before = count(&app);
    let path = format!("/classes/{class}/assign");
    // No token, a token of another session, another site's origin, the null origin.
    let mut other = Pages::new(&app);
    other.sign_in("david.goldstein");
    let other_token = other.get("/").csrf();
    for (token, origin) in [
        ("", Some(app.base.clone())),
        (other_token.as_str(), Some(app.base.clone())),
        (csrf.as_str(), Some("https://evil.example".to_owned())),
        (csrf.as_str(), Some("null".to_owned())),
    ] {
        teacher.origin = origin;
        let refused = teacher.post(
            &path,
            &[
                ("csrf", token),
                ("plan_id", &plan),
                ("scheduled_on", &today),
            ],
        );
        assert_eq!(refused.status, 403, "token {token:?}: {}", refused.body);
        assert!(refused.body.contains("This form has expired"));
    }
    assert_eq!(count(&app), before, "nothing was assigned");
    teacher.origin = Some(app.base.clone());
    let done = teacher.post(
        &path,
        &[
            ("csrf", &csrf),
            ("plan_id", &plan),
            ("scheduled_on", &today),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(count(&app), before + 1);
}

/// The value of the first radio button named `name`.
fn hidden_radio(body: &str, name: &str) -> String {
    let marker = format!("type=\"radio\" name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} radio"))
        + marker.len();
    let end = body[start..].find('"').unwrap() + start;
    body[start..end].to_owned()
}

#[test]
fn the_api_never_reads_the_session_cookie() {
    let app = TestApp::spawn();
    let mut browser = Pages::new(&app);
    browser.sign_in("denise.whitfield");
    let secret = browser.cookies["__Host-securebase-session"].clone();
    let me = app.request(
        "GET",
        "/api/v1/me",
        None,
        &[("Cookie", &format!("__Host-securebase-session={secret}"))],
        None,
    );
    me.problem(401);
    // Nor by an encoded path the router decodes to the API's (`/%61pi/` is `/api/`).
    for path in ["/%61pi/v1/me", "/%61pi/v1/classes", "/api%2Fv1/me"] {
        let sneaked = app.request(
            "GET",
            path,
            None,
            &[("Cookie", &format!("__Host-securebase-session={secret}"))],
            None,
        );
        assert_ne!(sneaked.status, 200, "{path}: {}", sneaked.text);
        assert!(!sneaked.text.contains("denise"), "{path}: {}", sneaked.text);
    }
}

#[test]
fn a_nul_in_a_page_address_is_a_404_page_never_a_server_error() {
    let app = TestApp::spawn();
    let mut teacher = Pages::new(&app);
    teacher.sign_in("samuel.ortega");
    for path in [
        "/classes/%00",
        "/assignments/a%00b",
        "/library?q=%00",
        "/lessons/x%00",
    ] {
        let page = teacher.get(path);
        assert_eq!(page.status, 404, "{path}: {}", page.body);
    }
    let mut district = Pages::new(&app);
    district.sign_in("denise.whitfield");
    assert_eq!(district.get("/audit?action=%00").status, 404);
}

#[test]
fn sessions_end_at_sign_out_when_idle_and_with_the_apis_own_sessions() {
    let app = TestApp::spawn();
    // Sign-out: the row goes, the old cookie is worthless.
    let mut browser = Pages::new(&app);
    browser.sign_in("andreg197");
    let secret = browser.cookies["__Host-securebase-session"].clone();
    let csrf = browser.get("/").csrf();
    let out = browser.post("/sign-out", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/sign-in?signed_out=1"));
    assert!(sessions_of(&app, "andreg197").is_empty());
    browser
        .cookies
        .insert("__Host-securebase-session".into(), secret);
    let again = browser.get("/");
    assert_eq!(again.status, 303);
    assert_eq!(again.location.as_deref(), Some("/sign-in?next=%2F"));

    // Idle for longer than WEB_SESSION_IDLE_MINS: ended, and removed.
    let mut idle = Pages::new(&app);
    idle.sign_in("andreg197");
    diesel::update(web_sessions::table)
        .set(web_sessions::last_seen_at.eq(securebase::db::now() - chrono::TimeDelta::minutes(31)))
        .execute(&mut app.conn())
        .unwrap();
    let back = idle.get("/lessons/nothing");
    assert_eq!(back.status, 303);
    assert_eq!(
        back.location.as_deref(),
        Some("/sign-in?next=%2Flessons%2Fnothing")
    );
    assert!(sessions_of(&app, "andreg197").is_empty());

    // A password change through the API ends the web sessions too, as it ends refresh tokens.
    let mut teacher = Pages::new(&app);
    teacher.sign_in("samuel.ortega");
    let token = app.login("samuel.ortega");
    let changed = app.post(
        "/api/v1/me/password",
        Some(&token),
        &serde_json::json!({"current_password": DEMO_PASSWORD, "new_password": "A-new-one-2027"}),
    );
    assert_eq!(changed.status, 204, "{}", changed.text);
    assert_eq!(teacher.get("/").status, 303);
    assert!(sessions_of(&app, "samuel.ortega").is_empty());

    // Deactivation by an administrator: the next page is the sign-in page.
    let mut student = Pages::new(&app);
    student.sign_in("adityah171");
    let admin = app.login("denise.whitfield");
    let id = user_id(&mut app.conn(), "adityah171");
    let off = app.patch(
        &format!("/api/v1/users/{id}"),
        Some(&admin),
        &serde_json::json!({"active": false}),
    );
    assert_eq!(off.status, 200, "{}", off.text);
    assert_eq!(student.get("/").status, 303);
}

#[test]
fn a_student_takes_a_survey_part_by_part_once_with_nothing_stored_before_sending() {
    let app = TestApp::spawn();
    let mut student = Pages::new(&app);
    student.sign_in("andreg197");
    let today = student.get("/");
    assert_eq!(today.status, 200, "{}", today.body);
    let start = today
        .body
        .find("href=\"/surveys/")
        .expect("a survey to take")
        + 15;
    let window = today.body[start..start + 36].to_owned();
    let intro = student.get(&format!("/surveys/{window}"));
    assert_eq!(intro.status, 200);
    assert!(intro.body.contains("Who can see your answers"));
    let path = format!("/surveys/{window}");
    let taken = |app: &TestApp| -> i64 {
        survey_participation::table
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    let before = taken(&app);
    // Start, then answer each part with its first option; earlier answers ride along hidden.
    let mut page = student.post(
        &path,
        &[("csrf", &intro.csrf()), ("part", "0"), ("go", "start")],
    );
    let mut parts = 0;
    loop {
        assert_eq!(page.status, 200, "{}", page.body);
        parts += 1;
        assert!(
            page.body.contains(&format!("Part {parts} of")),
            "{}",
            page.body
        );
        assert_eq!(taken(&app), before, "nothing is recorded before Send");
        let mut fields: Vec<(String, String)> = vec![
            ("csrf".into(), page.csrf()),
            ("part".into(), hidden(&page.body, "part").unwrap()),
            ("attempt".into(), hidden(&page.body, "attempt").unwrap()),
        ];
        fields.extend(hidden_answers(&page.body));
        for name in radio_groups(&page.body) {
            let marker = format!("name=\"{name}\" value=\"");
            let at = page.body.find(&marker).unwrap() + marker.len();
            let value = page.body[at..].split('"').next().unwrap().to_owned();
            fields.push((name, value));
        }
        let last = page.body.contains("value=\"send\"");
        fields.push(("go".into(), if last { "send" } else { "next" }.into()));
        let borrowed: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        page = student.post(&path, &borrowed);
        if last {
            break;
        }
    }
    assert!(parts > 1, "the demo questionnaire has several parts");
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.location.as_deref(),
        Some(format!("/surveys/{window}/thanks").as_str())
    );
    assert_eq!(taken(&app), before + 1);
    let again = student.get(&path);
    assert_eq!(again.status, 409);
    assert!(again.body.contains("You have already taken this survey"));
    // A replayed part (the Back button of a shared computer) draws no answer again.
    let replay = student.post(
        &path,
        &[
            ("csrf", &again.csrf()),
            ("part", "1"),
            ("go", "back"),
            ("q.anything", "4"),
        ],
    );
    assert_eq!(replay.status, 409);
    assert!(!replay.body.contains("checked"), "{}", replay.body);
    assert!(!student
        .get("/")
        .body
        .contains(&format!("/surveys/{window}")));
}

/// Names of the radio groups of a page, in order.
fn radio_groups(body: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for piece in body.split("type=\"radio\" name=\"").skip(1) {
        let name = piece.split('"').next().unwrap().to_owned();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The answers a part carries from the others (hidden inputs named `q.…`).
fn hidden_answers(body: &str) -> Vec<(String, String)> {
    body.split("<input type=\"hidden\" name=\"q.")
        .skip(1)
        .map(|piece| {
            let name = format!("q.{}", piece.split('"').next().unwrap());
            let value = piece
                .split("value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            (name, value.to_owned())
        })
        .collect()
}

#[test]
fn a_required_question_left_blank_is_named_and_the_answers_given_are_kept() {
    let app = TestApp::spawn();
    let mut student = Pages::new(&app);
    student.sign_in("andreg197");
    let today = student.get("/");
    let start = today.body.find("href=\"/surveys/").unwrap() + 15;
    let window = today.body[start..start + 36].to_owned();
    let path = format!("/surveys/{window}");
    let intro = student.get(&path);
    let first = student.post(
        &path,
        &[("csrf", &intro.csrf()), ("part", "0"), ("go", "start")],
    );
    let groups = radio_groups(&first.body);
    let required: Vec<&String> = groups
        .iter()
        .filter(|g| {
            let at = first.body.find(&format!("name=\"{g}\"")).unwrap();
            first.body[..at]
                .rfind("<legend>")
                .is_some_and(|l| first.body[l..at].contains("needs an answer"))
        })
        .collect();
    let Some(skipped) = required.first() else {
        return; // no required item in the first part of this questionnaire
    };
    let answered: Vec<&String> = groups.iter().filter(|g| g != skipped).collect();
    let mut fields = vec![
        ("csrf".to_owned(), first.csrf()),
        ("part".to_owned(), "0".to_owned()),
        (
            "attempt".to_owned(),
            hidden(&first.body, "attempt").unwrap(),
        ),
        ("go".to_owned(), "next".to_owned()),
    ];
    for g in &answered {
        fields.push(((*g).clone(), "1".to_owned()));
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let again = student.post(&path, &borrowed);
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(
        again.body.contains(&format!("id=\"{skipped}-error\"")),
        "{}",
        again.body
    );
    assert!(again.body.contains("Part 1 of"));
    for g in answered {
        assert!(
            again
                .body
                .contains(&format!("name=\"{g}\" value=\"1\" checked")),
            "{g} kept"
        );
    }
}

#[test]
fn pages_refuse_the_roles_the_api_refuses() {
    let app = TestApp::spawn();
    let class = class_id(&mut app.conn(), "Health & Wellness 7");
    let mut teacher = Pages::new(&app);
    teacher.sign_in("samuel.ortega");
    let reports = teacher.get("/reports");
    assert_eq!(reports.status, 403);
    assert!(reports.body.contains("Not allowed"));
    assert_eq!(teacher.get("/mentoring").status, 403);
    let mut student = Pages::new(&app);
    student.sign_in("andreg197");
    assert_eq!(student.get(&format!("/classes/{class}")).status, 403);
    assert_eq!(student.get("/library").status, 403);
    let mut counselor = Pages::new(&app);
    counselor.sign_in("daniel.kim");
    assert_eq!(
        counselor.get(&format!("/classes/{class}/assign")).status,
        403
    );
    // Another school's class is not found, as in the API.
    let mut other = Pages::new(&app);
    other.sign_in("kwabena.asante");
    assert_eq!(other.get(&format!("/classes/{class}")).status, 404);
}

#[test]
fn bad_input_on_assigning_shows_the_errors_beside_the_fields_and_writes_nothing() {
    let app = TestApp::spawn();
    let class = class_id(&mut app.conn(), "Health & Wellness 7");
    let mut teacher = Pages::new(&app);
    teacher.sign_in("samuel.ortega");
    let form = teacher.get(&format!("/classes/{class}/assign?q=breathing"));
    let plan = hidden_radio(&form.body, "plan_id");
    let csrf = form.csrf();
    let count = || -> i64 {
        assignments::table
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    let before = count();
    let path = format!("/classes/{class}/assign");
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("scheduled_on", "2026-02-31")], "scheduled_on-error"),
        (
            &[("plan_id", &plan), ("scheduled_on", "not a date")],
            "scheduled_on-error",
        ),
        // Outside the class's term: the domain's own message.
        (
            &[("plan_id", &plan), ("scheduled_on", "2031-01-05")],
            "scheduled_on-error",
        ),
        (
            &[
                ("plan_id", "no-such-plan"),
                ("scheduled_on", "2026-11-02"),
                ("q", "breathing"),
            ],
            "plan_id-error",
        ),
    ];
    for (fields, error_id) in cases {
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let page = teacher.post(&path, &all);
        assert_eq!(page.status, 422, "{fields:?}: {}", page.body);
        assert!(
            page.body.contains(&format!("id=\"{error_id}\"")),
            "{fields:?}: {}",
            page.body
        );
        assert!(!page.body.contains("panicked") && !page.body.contains("internal"));
    }
    let kept = teacher.post(
        &path,
        &[
            ("csrf", &csrf),
            ("plan_id", &plan),
            ("scheduled_on", "2031-01-05"),
        ],
    );
    assert!(
        kept.body.contains("value=\"2031-01-05\""),
        "what was typed is kept"
    );
    assert!(kept.body.contains(&format!("value=\"{plan}\" checked")));
    assert_eq!(count(), before);
    // Not a form at all: a clear 415, not a 500.
    let json = app.request(
        "POST",
        &path,
        None,
        &[
            ("Content-Type", "application/json"),
            (
                "Cookie",
                &format!(
                    "__Host-securebase-session={}",
                    teacher.cookies["__Host-securebase-session"]
                ),
            ),
        ],
        Some(b"{}"),
    );
    assert_eq!(json.status, 415, "{}", json.text);
}

#[test]
fn pages_are_never_cached_and_allow_no_script() {
    let app = TestApp::spawn();
    let mut browser = Pages::new(&app);
    browser.sign_in("andreg197");
    for path in ["/sign-in", "/", "/nowhere"] {
        let page = browser.get(path);
        assert_eq!(page.header("cache-control"), Some("no-store"), "{path}");
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(!page.body.contains("<script"), "{path} has a script");
    }
    assert_eq!(browser.get("/nowhere").status, 404);
    let css = browser.get("/static/app.css");
    assert_eq!(css.status, 200);
    assert!(css
        .header("cache-control")
        .unwrap_or_default()
        .contains("max-age"));
    let api = app.get("/api/v1/nowhere", None);
    assert_eq!(api.header("content-type"), Some("application/problem+json"));
}

/// The first login card's code on a page of cards.
fn first_code(body: &str) -> String {
    let at = body.find("class=\"code\">").expect("a code on the cards") + 13;
    body[at..].split('<').next().unwrap().to_owned()
}

#[test]
fn login_cards_are_issued_once_on_the_record_and_a_code_sets_the_password_on_the_activation_page() {
    let app = TestApp::spawn();
    let class = class_id(&mut app.conn(), "Health & Wellness 7");
    let mut counselor = Pages::new(&app);
    counselor.sign_in("daniel.kim");
    assert_eq!(
        counselor.get("/login-cards").status,
        403,
        "roster administrators only"
    );
    let mut admin = Pages::new(&app);
    admin.sign_in("gregory.tan");
    let form = admin.get("/login-cards");
    assert_eq!(form.status, 200);
    let csrf = form.csrf();
    // Neither or both of class and grade: named, nothing issued.
    let neither = admin.post("/login-cards", &[("csrf", &csrf)]);
    assert_eq!(neither.status, 422);
    let both = admin.post(
        "/login-cards",
        &[("csrf", &csrf), ("class_id", &class), ("grade", "7")],
    );
    assert_eq!(both.status, 422);
    let cards = admin.post(
        "/login-cards",
        &[
            ("csrf", &csrf),
            ("class_id", &class),
            ("include_activated", "yes"),
        ],
    );
    assert_eq!(cards.status, 200, "{}", cards.body);
    assert_eq!(cards.header("cache-control"), Some("no-store"));
    assert!(cards.body.contains("andreg197"));
    let card_start = cards.body.find("andreg197").unwrap();
    let code = first_code(&cards.body[card_start..]);
    app.seal_audit();
    let issued: i64 = audit_events::table
        .filter(audit_events::action.eq("activation_codes.issue"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(issued, 1);

    // The student uses the code on the activation page (no session, no token needed).
    let mut student = Pages::new(&app);
    let page = student.get("/activate");
    assert_eq!(page.status, 200);
    let differ = student.post(
        "/activate",
        &[
            ("code", &code),
            ("password", "Sunflower-2027"),
            ("password_again", "Sunflower-2028"),
        ],
    );
    assert_eq!(differ.status, 422);
    assert!(differ.body.contains("id=\"password_again-error\""));
    let wrong = student.post(
        "/activate",
        &[
            ("code", "AAAA-BBBB-CCCC"),
            ("password", "Sunflower-2027"),
            ("password_again", "Sunflower-2027"),
        ],
    );
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("id=\"code-error\""));
    student.origin = Some("https://evil.example".into());
    let forged = student.post(
        "/activate",
        &[
            ("code", &code),
            ("password", "Sunflower-2027"),
            ("password_again", "Sunflower-2027"),
        ],
    );
    assert_eq!(forged.status, 403);
    student.origin = Some(app.base.clone());
    let done = student.post(
        "/activate",
        &[
            ("code", &code),
            ("password", "Sunflower-2027"),
            ("password_again", "Sunflower-2027"),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some("/sign-in?activated=andreg197")
    );
    let signed_in = student.try_sign_in("andreg197", "Sunflower-2027", "/");
    assert_eq!(signed_in.status, 303);
    let again = student.post(
        "/activate",
        &[
            ("code", &code),
            ("password", "Sunflower-2029"),
            ("password_again", "Sunflower-2029"),
        ],
    );
    assert_eq!(again.status, 422, "a code works once");
}

#[test]
fn a_check_in_and_a_request_for_help_go_through_the_support_rules() {
    use securebase::db::schema::{check_ins, help_requests};
    let app = TestApp::spawn();
    let mut student = Pages::new(&app);
    student.sign_in("andreg197");
    let form = student.get("/check-in");
    assert_eq!(form.status, 200);
    let csrf = form.csrf();
    let missing = student.post("/check-in", &[("csrf", &csrf), ("intensity", "3")]);
    assert_eq!(missing.status, 422);
    assert!(missing.body.contains("id=\"emotion-error\""));
    let too_long = "x".repeat(501);
    let long = student.post(
        "/check-in",
        &[
            ("csrf", &csrf),
            ("emotion", "calm"),
            ("intensity", "3"),
            ("note", &too_long),
        ],
    );
    assert_eq!(long.status, 422, "{}", long.body);
    assert!(long.body.contains(&too_long), "what was typed is kept");
    let id = user_id(&mut app.conn(), "andreg197");
    let before: i64 = check_ins::table
        .filter(check_ins::student_id.eq(&id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    let done = student.post(
        "/check-in",
        &[
            ("csrf", &csrf),
            ("emotion", "calm"),
            ("intensity", "2"),
            ("note", "ok"),
            ("wants_to_talk", "yes"),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let after: i64 = check_ins::table
        .filter(check_ins::student_id.eq(&id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert!(
        after == before + 1 || after == before,
        "today's check-in recorded or replaced"
    );
    let today = student.get("/?checked_in=1");
    assert!(today.body.contains("Thank you for checking in"));
    assert!(today.body.contains("Calm"));
    // "I would like to talk" opened a request; another through the help form.
    let requests = |app: &TestApp| -> i64 {
        help_requests::table
            .filter(help_requests::student_id.eq(&id))
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    let opened = requests(&app);
    assert!(opened >= 1);
    let help = student.get("/help");
    assert_eq!(help.status, 200);
    let bad = student.post(
        "/help",
        &[
            ("csrf", &csrf),
            ("topic", "not-a-topic"),
            ("urgency", "today"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"topic-error\""));
    let sent = student.post(
        "/help",
        &[
            ("csrf", &csrf),
            ("topic", "friends"),
            ("urgency", "today"),
            ("to", ""),
        ],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(requests(&app), opened + 1);
    let mut teacher = Pages::new(&app);
    teacher.sign_in("samuel.ortega");
    assert_eq!(teacher.get("/check-in").status, 403);
}

#[test]
fn opt_outs_and_the_audit_trail_through_the_pages() {
    use securebase::db::schema::survey_opt_outs;
    let app = TestApp::spawn();
    let mut counselor = Pages::new(&app);
    counselor.sign_in("daniel.kim");
    let page = counselor.get("/opt-outs");
    assert_eq!(page.status, 200);
    let at = page.body.find("<option value=\"").unwrap();
    let window = page.body[at..]
        .split("<option value=\"")
        .map(|p| p.split('"').next().unwrap())
        .find(|v| !v.is_empty())
        .expect("an open or upcoming window")
        .to_owned();
    let csrf = page.csrf();
    let unknown = counselor.post(
        "/opt-outs",
        &[
            ("csrf", &csrf),
            ("window_id", &window),
            ("student", "nobody-here"),
        ],
    );
    assert_eq!(unknown.status, 422);
    assert!(unknown.body.contains("id=\"student-error\""));
    assert!(unknown.body.contains("value=\"nobody-here\""));
    let elsewhere = counselor.post(
        "/opt-outs",
        &[
            ("csrf", &csrf),
            ("window_id", &window),
            ("student", "adityah171"),
        ],
    );
    assert_eq!(
        elsewhere.status, 422,
        "another school's student is not found"
    );
    let done = counselor.post(
        "/opt-outs",
        &[
            ("csrf", &csrf),
            ("window_id", &window),
            ("student", "amaraa251"),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let id = user_id(&mut app.conn(), "amaraa251");
    let stored: i64 = survey_opt_outs::table
        .filter(survey_opt_outs::student_id.eq(&id))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(stored, 1);

    assert_eq!(counselor.get("/audit").status, 403, "district staff only");
    let mut district = Pages::new(&app);
    district.sign_in("denise.whitfield");
    let trail = district.get("/audit?action=survey.opt_out");
    assert_eq!(trail.status, 200);
    assert!(trail.body.contains("survey.opt_out"));
    assert!(
        trail.body.contains(&id),
        "the opt-out's scope names the student"
    );
    let bad_day = district.get("/audit?on=2026-13-40");
    assert_eq!(bad_day.status, 422);
    assert!(bad_day.body.contains("id=\"on-error\""));
}

#[test]
fn a_roster_bundle_is_checked_and_its_problems_listed_on_the_import_page() {
    use crate::helpers::oneroster::{multipart, Bundle};
    let app = TestApp::spawn();
    let mut teacher = Pages::new(&app);
    teacher.sign_in("samuel.ortega");
    assert_eq!(teacher.get("/imports").status, 403);
    let mut district = Pages::new(&app);
    district.sign_in("denise.whitfield");
    let form = district.get("/imports");
    assert_eq!(form.status, 200);
    let at = form.body.find("action=\"/imports?csrf=").unwrap() + 22;
    let token = form.body[at..].split('"').next().unwrap().to_owned();
    let (content_type, body) = multipart(&Bundle::sample().zip());
    let forged = district.post_raw("/imports?dry_run=1&csrf=forged", &content_type, &body);
    assert_eq!(forged.status, 403);
    let checked = district.post_raw(
        &format!("/imports?csrf={token}&dry_run=1"),
        &content_type,
        &body,
    );
    assert_eq!(checked.status, 200, "{}", checked.body);
    assert!(
        checked.body.contains("The bundle is fine"),
        "{}",
        checked.body
    );
    let mut broken = Bundle::sample();
    broken.append("users.csv", "not,a,valid,row\n");
    let (content_type, body) = multipart(&broken.zip());
    let refused = district.post_raw(&format!("/imports?csrf={token}"), &content_type, &body);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("nothing was written"));
    assert!(refused.body.contains("users.csv"));
}
