//! Errors and logs name the field that is wrong and what was expected, never what was sent.
//! Each test sends a marker the client typed (an answer, a password, a search) where it does
//! not fit, then checks the problem document and everything logged while the app ran.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::helpers::*;
use serde_json::{json, Value};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Everything the server logs, in both formats it can write (plain text and JSON), at every
/// level, with span closings (which repeat every span field).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// How many tests of this module are running (see [`capture`]).
static CAPTURING: AtomicUsize = AtomicUsize::new(0);

/// Held by each test of this module for its whole run (declared before its app, so dropped
/// after it): the subscriber records only while one is held.
struct Capturing;

impl Drop for Capturing {
    fn drop(&mut self) {
        CAPTURING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Starts capturing everything logged until the guard is dropped. The subscriber is global to
/// the test binary, which holds every module's tests: without the guard it would record, at
/// every level, the servers of all the tests that run after this module's.
fn capture() -> Capturing {
    logs();
    CAPTURING.fetch_add(1, Ordering::SeqCst);
    Capturing
}

/// The server runs on its own threads, so the capture is the global subscriber (set once per
/// test binary; `try_init` also routes `log` records, as the server's own `init` does).
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        // The test's own HTTP client logs the URLs it calls; only the server is under test.
        let server_only = tracing_subscriber::filter::Targets::new()
            .with_default(tracing::Level::TRACE)
            .with_target("ureq", tracing_subscriber::filter::LevelFilter::OFF);
        tracing_subscriber::registry()
            .with(server_only)
            .with(tracing_subscriber::filter::filter_fn(|_| {
                CAPTURING.load(Ordering::SeqCst) > 0
            }))
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_span_events(FmtSpan::CLOSE)
                    .with_writer(captured.clone()),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_span_events(FmtSpan::CLOSE)
                    .with_writer(captured.clone()),
            )
            .try_init()
            .expect("install the capturing subscriber");
        captured
    })
}

/// The log lines of one request (by its `x-request-id`).
fn lines_of(request: &Resp) -> Vec<String> {
    let id = request
        .header("x-request-id")
        .expect("every response carries its request id");
    logs()
        .text()
        .lines()
        .filter(|l| l.contains(id))
        .map(str::to_owned)
        .collect()
}

/// The request was logged at WARN, plain and JSON, as tracing-actix-web logs a client error,
/// and the warning names `field`: the capture works, so the absence of a marker means something.
fn assert_warned_naming(request: &Resp, field: &str) {
    let lines = lines_of(request);
    let warnings: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("Error encountered while processing the incoming HTTP request"))
        .collect();
    assert!(
        warnings.iter().any(|l| l.contains(" WARN ")),
        "no plain WARN line for the request in {lines:#?}"
    );
    assert!(
        warnings.iter().any(|l| l.contains(r#""level":"WARN""#)),
        "no JSON WARN line for the request in {lines:#?}"
    );
    assert!(
        warnings.iter().all(|l| l.contains(field)),
        "the warning does not name {field}: {warnings:#?}"
    );
}

/// Nothing logged so far, by any request of this binary, contains `marker`.
fn assert_never_logged(marker: &str) {
    let text = logs().text();
    let leaks: Vec<&str> = text.lines().filter(|l| l.contains(marker)).collect();
    assert!(leaks.is_empty(), "{marker} was logged: {leaks:#?}");
}

/// Asserts a 422 naming `field`, whose document does not contain `marker`.
fn assert_names_field_not_value(r: &Resp, field: &str, marker: &str) {
    let problem = r.invalid_field(field);
    assert!(
        !r.text.contains(marker),
        "the problem quotes what was sent: {problem}"
    );
}

/// The open demo window of a Riverbend student, and a full, valid answer sheet for it.
fn window_and_answers(app: &TestApp, token: &str) -> (String, Value) {
    let mine = app.get("/api/v1/me/surveys", Some(token));
    assert_eq!(mine.status, 200, "{}", mine.text);
    let window = mine.json()["items"][0]["id"].as_str().unwrap().to_owned();
    let q = app.get(
        &format!("/api/v1/survey-windows/{window}/questionnaire"),
        Some(token),
    );
    assert_eq!(q.status, 200, "{}", q.text);
    let mut answers = Vec::new();
    for section in q.json()["sections"].as_array().unwrap() {
        for item in section["items"].as_array().unwrap() {
            answers.push(json!({"item_id": item["id"], "value": item["options"][0]["value"]}));
        }
    }
    (window, json!({ "answers": answers }))
}

#[test]
fn a_wrong_typed_answer_is_named_but_neither_answered_nor_logged() {
    let _capturing = capture();
    let app = TestApp::spawn();
    let token = app.login(&demo_login("student", MIDDLE));
    let (window, sheet) = window_and_answers(&app, &token);
    let path = format!("/api/v1/survey-windows/{window}/responses");
    let cases: [(&str, Value, &str); 3] = [
        // A string where a number belongs: serde quotes it (`invalid type: string "…"`).
        (
            "SECRET-5517-answer",
            json!("SECRET-5517-answer"),
            "invalid type, expected i32",
        ),
        // A number out of i32's range: serde quotes it (`invalid value: integer `…``).
        (
            "5517551755",
            json!(5_517_551_755_i64),
            "invalid value, expected i32",
        ),
        // A fraction: `invalid type: floating point `…``.
        ("55.1755", json!(55.1755), "invalid type, expected i32"),
    ];
    for (marker, value, message) in &cases {
        let mut body = sheet.clone();
        body["answers"][0]["value"] = value.clone();
        let r = app.post(&path, Some(&token), &body);
        assert_names_field_not_value(&r, "answers[0].value", marker);
        assert_eq!(r.json()["errors"][0]["message"], *message, "{}", r.text);
        assert_warned_naming(&r, "answers[0].value");
    }
    // A valid submission still goes through: the student was refused for the type alone.
    let ok = app.post(&path, Some(&token), &sheet);
    assert_eq!(ok.status, 201, "{}", ok.text);
    drop(app);
    for (marker, _, _) in &cases {
        assert_never_logged(marker);
    }
}

#[test]
fn a_bad_enum_in_a_query_is_named_but_neither_answered_nor_logged() {
    let _capturing = capture();
    let app = TestApp::spawn();
    let admin = app.login(&demo_login("district_admin", ""));
    let marker = "SECRET-5517-query";
    for (query, field) in [
        (format!("role={marker}"), "role"),
        (format!("grade={marker}"), "grade"),
        (format!("active={marker}"), "active"),
    ] {
        let r = app.get(&format!("/api/v1/users?{query}"), Some(&admin));
        assert_names_field_not_value(&r, field, marker);
        assert_warned_naming(&r, field);
    }
    let r = app.get(&format!("/api/v1/users?role={marker}"), Some(&admin));
    let message = r.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("unknown value, expected one of `"),
        "{message}"
    );
    // The query string is logged by parameter name only, on success too.
    let ok = app.get(&format!("/api/v1/users?q={marker}"), Some(&admin));
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(
        lines_of(&ok).iter().any(|l| l.contains("/api/v1/users?q")),
        "the request's target is logged: {:#?}",
        lines_of(&ok)
    );
    drop(app);
    assert_never_logged(marker);
}

#[test]
fn a_bad_json_body_elsewhere_is_named_but_neither_answered_nor_logged() {
    let _capturing = capture();
    let app = TestApp::spawn();
    let admin = app.login(&demo_login("district_admin", ""));
    let school_id = app.find_id(&admin, "/api/v1/schools", "name", MIDDLE);
    let user = |field: &str, value: Value| {
        let mut body = json!({
            "username": "new.student",
            "role": "student",
            "school_id": school_id,
            "grade": 7,
            "given_name": "New",
            "family_name": "Student",
        });
        body[field] = value;
        body
    };
    let cases = [
        // An unknown enum value: `unknown variant `…``.
        ("SECRET-5517-role", "role", json!("SECRET-5517-role")),
        // A password sent as a number: `invalid type: integer `…``.
        ("5517000001", "password", json!(5_517_000_001_i64)),
        // A string for a number.
        ("SECRET-5517-grade", "grade", json!("SECRET-5517-grade")),
    ];
    for (marker, field, value) in &cases {
        let r = app.post("/api/v1/users", Some(&admin), &user(field, value.clone()));
        assert_names_field_not_value(&r, field, marker);
        assert_warned_naming(&r, field);
    }
    // Not JSON at all: a 400 whose detail says where, not what.
    let r = app.request(
        "POST",
        "/api/v1/users",
        Some(&admin),
        &[("Content-Type", "application/json")],
        Some(br#"{"username": SECRET-5517-syntax}"#),
    );
    let problem = r.problem(400);
    assert!(!r.text.contains("SECRET-5517-syntax"), "{problem}");
    drop(app);
    for (marker, _, _) in &cases {
        assert_never_logged(marker);
    }
    assert_never_logged("SECRET-5517-syntax");
}

#[test]
fn what_a_student_writes_in_check_ins_and_help_requests_is_never_logged() {
    let _capturing = capture();
    let app = TestApp::spawn();
    let student = app.login(&demo_login("student", MIDDLE));
    let r = app.send(
        "PUT",
        "/api/v1/me/check-ins",
        Some(&student),
        &json!({"emotion": "sad", "intensity": 4, "note": "SECRET-7781-note"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.send(
        "PUT",
        "/api/v1/me/check-ins",
        Some(&student),
        &json!({"emotion": "SECRET-7781-feeling", "intensity": 4}),
    );
    assert_names_field_not_value(&r, "emotion", "SECRET-7781-feeling");
    assert_warned_naming(&r, "emotion");
    let r = app.post(
        "/api/v1/help-requests",
        Some(&student),
        &json!({"topic": "family", "message": "SECRET-7781-message"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app.post(
        "/api/v1/help-requests",
        Some(&student),
        &json!({"topic": "family", "message": "SECRET-7781-long".repeat(100)}),
    );
    assert_names_field_not_value(&r, "message", "SECRET-7781-long");
    drop(app);
    for marker in [
        "SECRET-7781-note",
        "SECRET-7781-feeling",
        "SECRET-7781-message",
        "SECRET-7781-long",
    ] {
        assert_never_logged(marker);
    }
}
