//! Strict defaults at the edge: security headers, no CORS unless configured, JSON depth, and
//! stalled clients (slow request heads, trickled bodies) cut off without starving the others.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::helpers::*;
use serde_json::json;

fn raw(app: &TestApp) -> TcpStream {
    let addr = app.base.trim_start_matches("http://");
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
}

/// Everything the server sends until it closes the connection (or the read times out).
fn read_all(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn api_answers_are_not_cached_or_sniffed() {
    let app = TestApp::spawn();
    let login = app.login_pair("denise.whitfield", DEMO_PASSWORD);
    assert_eq!(login.header("cache-control"), Some("no-store"));
    let token = login.json()["access_token"].as_str().unwrap().to_owned();
    for r in [
        app.get("/api/v1/me", Some(&token)),
        app.get("/api/v1/me", None),
        app.get("/api/v1/no-such-route", Some(&token)),
    ] {
        assert_eq!(r.header("cache-control"), Some("no-store"), "{}", r.text);
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    }
    let health = app.get("/healthz", None);
    assert_eq!(health.header("x-content-type-options"), Some("nosniff"));
}

fn preflight(app: &TestApp, origin: &str) -> Resp {
    app.request(
        "OPTIONS",
        "/api/v1/auth/login",
        None,
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        None,
    )
}

#[test]
fn no_origin_is_allowed_cross_origin_unless_configured() {
    let app = TestApp::spawn();
    let r = preflight(&app, "https://sel.example.org");
    assert!(
        r.header("access-control-allow-origin").is_none(),
        "{:?}",
        r.headers
    );
    let r = app.request(
        "GET",
        "/healthz",
        None,
        &[("Origin", "https://sel.example.org")],
        None,
    );
    assert!(r.header("access-control-allow-origin").is_none());

    let app =
        TestApp::spawn_with(|c| c.cors_allowed_origins = vec!["https://sel.example.org".into()]);
    let r = preflight(&app, "https://sel.example.org");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://sel.example.org")
    );
    let r = preflight(&app, "https://elsewhere.example.com");
    assert!(r.header("access-control-allow-origin").is_none());
    assert_eq!(r.status / 100, 4);
    let r = app.request(
        "POST",
        "/api/v1/auth/login",
        None,
        &[
            ("Origin", "https://sel.example.org"),
            ("Content-Type", "application/json"),
        ],
        Some(
            json!({"username": "denise.whitfield", "password": DEMO_PASSWORD})
                .to_string()
                .as_bytes(),
        ),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://sel.example.org")
    );
}

#[test]
fn deeply_nested_json_is_refused_as_malformed() {
    let app = TestApp::spawn();
    let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let body = format!("{{\"username\": {deep}, \"password\": \"x\"}}");
    let r = app.request(
        "POST",
        "/api/v1/auth/login",
        None,
        &[("Content-Type", "application/json")],
        Some(body.as_bytes()),
    );
    let problem = r.problem(400);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("deeper than 32"),
        "{problem}"
    );
    // Far deeper than the parser's own recursion limit: still a 400, never a crash.
    let abyss = "[".repeat(60_000);
    let r = app.request(
        "POST",
        "/api/v1/auth/login",
        None,
        &[("Content-Type", "application/json")],
        Some(abyss.as_bytes()),
    );
    r.problem(400);
}

#[test]
fn a_trickled_body_times_out_with_408_while_others_are_served() {
    let app = TestApp::spawn_with(|c| c.request_body_timeout_secs = 1);
    let mut slow = raw(&app);
    write!(
        slow,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Content-Length: 200\r\n\r\n{{\"username\""
    )
    .unwrap();
    // Meanwhile another client is answered.
    assert_eq!(app.get("/healthz", None).status, 200);
    let answer = read_all(&mut slow);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("urn:securebase:problem:request-timeout"),
        "{answer}"
    );
}

#[test]
fn clients_stalling_in_their_request_head_are_disconnected_and_do_not_starve_others() {
    let app = TestApp::spawn_with(|c| c.request_head_timeout_secs = 1);
    let mut stalled: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = raw(&app);
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    // The two workers still answer everyone else.
    for _ in 0..5 {
        assert_eq!(app.get("/healthz", None).status, 200);
    }
    for s in &mut stalled {
        let answer = read_all(s);
        // Cut off: a 408 or a plain close, never a hang (the read has a 20 s timeout).
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
    }
}
