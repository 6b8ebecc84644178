use std::collections::BTreeMap;

use crate::helpers::*;
use diesel::prelude::*;
use securebase::db::schema::{classes, users};
use securebase::db::{self, DbConnection};
use securebase::{ops, seed};

fn ids_by_username(conn: &mut DbConnection) -> BTreeMap<String, String> {
    users::table
        .select((users::username, users::id))
        .load::<(String, String)>(conn)
        .unwrap()
        .into_iter()
        .collect()
}

#[test]
fn demo_seed_is_deterministic_and_matches_the_files_on_disk() {
    let app = TestApp::spawn();
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("fresh.db").to_str().unwrap().to_owned();
    ops::migrate(&url).unwrap();
    let loaded = ops::seed_dir(
        &url,
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seed/demo"),
    )
    .unwrap();
    assert_eq!(loaded.schools, 3);
    assert!(loaded.users >= 300, "{loaded:?}");
    let mut fresh = db::establish(&url).unwrap();
    let mut reference = app.conn();
    let fresh_ids = ids_by_username(&mut fresh);
    let reference_ids = ids_by_username(&mut reference);
    for (username, id) in &fresh_ids {
        assert_eq!(reference_ids.get(username), Some(id), "{username}");
    }
    let class_count = |c: &mut DbConnection| classes::table.count().get_result::<i64>(c).unwrap();
    assert_eq!(class_count(&mut fresh) as usize, loaded.classes);
}

#[test]
fn loading_the_same_district_twice_is_refused_and_writes_nothing() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let before = ids_by_username(&mut conn).len();
    let err = seed::load(&mut conn, &seed::demo_files()).unwrap_err();
    assert!(err.to_string().contains("already loaded"), "{err}");
    assert_eq!(ids_by_username(&mut conn).len(), before);
}

#[test]
fn demo_logins_cover_every_role_and_school() {
    let logins = demo_logins();
    assert!(logins
        .iter()
        .any(|l| l.role == "district_admin" && l.school.is_empty()));
    for school in [ELEMENTARY, MIDDLE, HIGH] {
        for role in ["school_admin", "counselor", "teacher", "student"] {
            assert!(
                logins.iter().any(|l| l.role == role && l.school == school),
                "{role} at {school}"
            );
        }
    }
}

#[test]
fn create_admin_bootstraps_a_new_district() {
    let app = TestApp::spawn();
    let admin = ops::NewAdmin {
        district_name: "Cobalt Ridge Schools".into(),
        username: "Ada.Admin".into(),
        given_name: "Ada".into(),
        family_name: "Admin".into(),
        email: Some("ada@cobalt.example.org".into()),
        password: "a-long-admin-password".into(),
    };
    let (district_id, user_id) = ops::create_admin(app.db.url(), admin).unwrap();
    // The new account is in the district's audit trail, made by the system.
    let r = app.login_pair("ada.admin", "a-long-admin-password");
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    let r = app.get("/api/v1/audit-events?action=user.created", Some(&token));
    assert_eq!(r.status, 200, "{}", r.text);
    let events = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor_role"], "system", "{events:?}");
    assert_eq!(
        events[0]["scope"]["user_id"],
        user_id.as_str(),
        "{events:?}"
    );
    let r = app.login_pair("ada.admin", "a-long-admin-password");
    assert_eq!(r.status, 200, "{}", r.text);
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    let me = app.get("/api/v1/me", Some(&token)).json();
    assert_eq!(me["role"], "district_admin");
    assert_eq!(me["district_id"], district_id.as_str());
    // A new district starts empty and sees nothing of the demo district.
    assert_eq!(app.get("/api/v1/schools", Some(&token)).json()["total"], 0);
    assert_eq!(app.get("/api/v1/classes", Some(&token)).json()["total"], 0);

    let weak = ops::NewAdmin {
        district_name: "Cobalt Ridge Schools".into(),
        username: "second.admin".into(),
        given_name: "S".into(),
        family_name: "A".into(),
        email: None,
        password: "short".into(),
    };
    assert!(ops::create_admin(app.db.url(), weak).is_err());
}

#[test]
fn serve_requires_a_real_secret_outside_demo_mode() {
    let mut config = securebase::config::Config::for_database("x.db");
    config.jwt_secret = None;
    assert!(config.resolve_secret(false).is_err());
    assert!(config.resolve_secret(true).is_ok());
    config.jwt_secret = Some("too-short".into());
    assert!(config.resolve_secret(false).is_err());
    config.jwt_secret = Some("x".repeat(32));
    assert!(config.resolve_secret(false).is_ok());
}

#[test]
fn probes_report_liveness_and_readiness() {
    let app = TestApp::spawn();
    let health = app.get("/healthz", None);
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    assert_eq!(app.get("/readyz", None).status, 200);
    assert!(health
        .header("x-request-id")
        .is_some_and(|id| id.len() >= 32));
}

#[test]
fn an_unreachable_database_gives_503_problems_not_hangs_or_500s() {
    // Nothing listens on port 1: the pool cannot connect.
    let app = TestApp::spawn_with(|c| {
        c.database_url = "postgres://postgres@127.0.0.1:1/none".into();
        c.database_timeout_secs = 1;
    });
    assert_eq!(app.get("/healthz", None).status, 200);
    let ready = app.get("/readyz", None);
    ready.problem(503);
    assert!(ready.header("retry-after").is_some());
    app.login_pair("denise.whitfield", DEMO_PASSWORD)
        .problem(503);
}

#[test]
fn database_urls_pick_the_backend_by_scheme_and_redact_passwords() {
    use securebase::db::Backend;
    assert_eq!(Backend::of_url("postgres://u:p@h/db"), Backend::Postgres);
    assert_eq!(Backend::of_url("postgresql://h/db"), Backend::Postgres);
    assert_eq!(Backend::of_url("sqlite://data/sb.db"), Backend::Sqlite);
    assert_eq!(Backend::of_url("securebase.db"), Backend::Sqlite);
    assert_eq!(db::sqlite_path("sqlite://data/sb.db"), "data/sb.db");
    assert_eq!(
        ops::redact("postgres://app:s3cret@db:5432/sb"),
        "postgres://app:***@db:5432/sb"
    );
    assert_eq!(ops::redact("sb.db"), "sb.db");
}

#[test]
fn synthetic_generator_submits_through_the_real_path() {
    use securebase::db::schema::{
        survey_participation, survey_sealed_responses, survey_window_cells,
    };
    use securebase::surveys::synthetic::{generate, Spec};
    let app = TestApp::spawn();
    let mut conn = app.conn();
    // 20 students per school and grade: at 80% most cells reach the cell size of 10.
    let spec = Spec {
        schools: 2,
        students_per_school: 140,
        response_rate: 0.8,
        seed: 7,
        close: true,
        past_windows: 1,
    };
    let keys = securebase::seal::SealKeys::demo();
    let g = generate(&mut conn, &spec, &keys).unwrap();
    // Closed windows are opened by the survey job, as the command does right after.
    assert_eq!(app.run_survey_job().opened.len(), 2);
    assert_eq!(g.students, 280);
    assert_eq!(g.past_window_ids.len(), 1);
    // The same students answered the past window and the current one.
    assert!((320..=560).contains(&g.responses), "{g:?}");
    let windows = [g.window_id.as_str(), g.past_window_ids[0].as_str()];
    let plain = plain_responses(&mut conn, &windows).len() as i64;
    // Cells too small to report keep their responses sealed.
    let sealed: i64 = survey_sealed_responses::table
        .filter(survey_sealed_responses::window_id.eq_any(windows))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(plain + sealed, g.responses as i64);
    assert!(plain > sealed, "{plain} plain, {sealed} sealed");
    let counted: Vec<i32> = survey_window_cells::table
        .filter(survey_window_cells::window_id.eq(&g.window_id))
        .select(survey_window_cells::respondents)
        .load(&mut conn)
        .unwrap();
    let responses: i64 = counted.iter().map(|n| i64::from(*n)).sum();
    assert!((160..=280).contains(&responses), "{responses}");
    assert_eq!(g.pending.len() as i64, 280 - responses);
    // Who answered was forgotten when the window was opened.
    let participation: i64 = survey_participation::table
        .filter(survey_participation::window_id.eq(&g.window_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(participation, 0);
    // The generator answers the belonging and bullying items of every sheet.
    let current = plain_responses(&mut conn, &[&g.window_id]);
    assert!(!current.is_empty());
    assert!(current.iter().all(|r| r.answers.len() >= 10), "{current:?}");
    // Same seed, same answers: the generator is deterministic apart from ids.
    let again = generate(&mut conn, &spec, &keys).unwrap();
    assert_eq!(again.responses, g.responses);
}

#[test]
fn an_unmigrated_database_is_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("empty.db").to_str().unwrap().to_owned();
    let app = TestApp::spawn_with(|c| c.database_url = url.clone());
    assert_eq!(app.get("/healthz", None).status, 200);
    app.get("/readyz", None).problem(503);
    ops::migrate(&url).unwrap();
    assert_eq!(app.get("/readyz", None).status, 200);
}

/// Migration 2026-12-06-000010 moved plain responses from a row per respondent into a row per
/// cell. Reverting it writes them back one per row; applying it again groups them again: the
/// responses of every cell come back as they were (in a new random order). The migrations after
/// it are reverted and applied again on the way.
#[test]
fn moving_plain_responses_between_rows_and_cells_keeps_every_response() {
    use diesel::sql_types::BigInt;
    use diesel_migrations::MigrationHarness;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let windows: Vec<String> = securebase::db::schema::survey_windows::table
        .select(securebase::db::schema::survey_windows::id)
        .load(&mut conn)
        .unwrap();
    let windows: Vec<&str> = windows.iter().map(String::as_str).collect();
    let sorted = |mut v: Vec<PlainResponse>| {
        for r in &mut v {
            r.stored.clear();
        }
        v.sort_by(|a, b| {
            (&a.school_id, a.grade, &a.answers).cmp(&(&b.school_id, b.grade, &b.answers))
        });
        v
    };
    let before = sorted(plain_responses(&mut conn, &windows));
    assert!(
        before.len() > 100,
        "the demo's closed windows have responses"
    );
    // Back to before 000010 (reverting the migrations after it too), then forward again.
    loop {
        let reverted = match &mut conn {
            DbConnection::Pg(c) => c.revert_last_migration(securebase::db::PG_MIGRATIONS),
            DbConnection::Sqlite(c) => c.revert_last_migration(securebase::db::SQLITE_MIGRATIONS),
        }
        .unwrap();
        if reverted
            .to_string()
            .replace('-', "")
            .starts_with("20261206000010")
        {
            break;
        }
    }
    let rows = diesel::sql_query("SELECT COUNT(*) AS n FROM survey_responses")
        .get_result::<N>(&mut conn)
        .unwrap()
        .n;
    assert_eq!(rows, before.len() as i64, "one row per response");
    db::run_migrations(&mut conn).unwrap();
    let after = sorted(plain_responses(&mut conn, &windows));
    assert_eq!(after, before);
}

#[test]
fn docs_without_its_slash_redirects_and_the_root_points_to_the_docs() {
    let app = TestApp::spawn();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let docs = agent.get(&format!("{}/docs", app.base)).call().unwrap();
    assert_eq!(docs.status(), 308);
    assert_eq!(docs.header("location"), Some("/docs/"));
    // A client asking for JSON gets the pointer; a browser gets the pages (sign-in first).
    let root = app.request("GET", "/", None, &[("Accept", "application/json")], None);
    assert_eq!(root.status, 200);
    let pointer = root.json();
    assert_eq!(pointer["docs"], "/docs/");
    assert_eq!(pointer["openapi"], "/openapi.json");
    assert_eq!(app.get("/docs/", None).status, 200);
    assert_eq!(app.get("/nowhere", None).status, 404);
    let page = agent.get(&format!("{}/", app.base)).call().unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.header("location"), Some("/sign-in?next=%2F"));
}

/// 32 bytes, base64: a seal key for commands run here.
const SEAL_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

#[test]
fn long_commands_show_progress_on_a_terminal_and_nothing_in_a_pipe() {
    let db = TestDb::create();
    let bin = env!("CARGO_BIN_EXE_securebase");
    let args = [
        "synthetic",
        "--schools",
        "1",
        "--students-per-school",
        "14",
        "--close",
        "--database-url",
        db.url(),
    ];
    // In a pipe: the results on stdout, no spinner on stderr.
    let out = std::process::Command::new(bin)
        .args(args)
        .env("RUST_LOG", "warn")
        .env("SURVEY_SEAL_KEY", SEAL_KEY)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("14 students"), "{stdout}");
    assert!(!stderr.contains("generating"), "{stderr}");
    // On a terminal (util-linux `script` gives it one), the spinner names the step.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok()
    {
        let line = std::iter::once(bin)
            .chain(args)
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" ");
        let tty = std::process::Command::new("script")
            .args(["-qec", &format!("RUST_LOG=warn {line}"), "/dev/null"])
            .env("SURVEY_SEAL_KEY", SEAL_KEY)
            .output()
            .unwrap();
        assert!(tty.status.success(), "{tty:?}");
        let seen = String::from_utf8_lossy(&tty.stdout);
        assert!(
            seen.contains("generating 1 schools of 14 students"),
            "{seen}"
        );
    }
}

/// SIGTERM: `/readyz` answers 503 during the drain period while requests are still served;
/// then the server stops accepting connections, lets an import under way (its upload still
/// arriving) finish and answer, and exits 0. The import is written whole.
#[test]
fn sigterm_drains_then_finishes_requests_in_flight_and_exits_zero() {
    use crate::helpers::oneroster::{multipart, Bundle, IMPORT_PATH_PREFIX};
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    let db = TestDb::create();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_securebase"))
        .args([
            "serve",
            "--demo",
            "--database-url",
            db.url(),
            "--bind-addr",
            &addr,
        ])
        .env("SHUTDOWN_DRAIN_SECS", "2")
        .env("SHUTDOWN_GRACE_SECS", "30")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://{addr}");
    let agent = ureq::AgentBuilder::new().build();
    let started = Instant::now();
    while agent.get(&format!("{base}/healthz")).call().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let login: serde_json::Value = agent
        .post(&format!("{base}/api/v1/auth/login"))
        .send_json(
            serde_json::json!({"username": "denise.whitfield", "password": "GrowTogether-2026"}),
        )
        .unwrap()
        .into_json()
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    // An import whose upload is half sent when the signal comes.
    let (content_type, body) = multipart(&Bundle::sample().zip());
    let (first, rest) = body.split_at(body.len() / 2);
    let mut upload = TcpStream::connect(&addr).unwrap();
    write!(
        upload,
        "POST {IMPORT_PATH_PREFIX}{}/imports/oneroster HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {token}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        crate::helpers::lookups::demo_district(),
        body.len()
    )
    .unwrap();
    upload.write_all(first).unwrap();
    upload.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    // Draining: still serving, but not ready.
    std::thread::sleep(Duration::from_millis(500));
    let ready = agent.get(&format!("{base}/readyz")).call();
    assert!(
        matches!(ready, Err(ureq::Error::Status(503, _))),
        "readyz while draining: {ready:?}"
    );
    assert!(agent.get(&format!("{base}/healthz")).call().is_ok());
    // After the drain period no new connection is taken…
    std::thread::sleep(Duration::from_millis(2500).saturating_sub(signalled.elapsed()));
    std::thread::sleep(Duration::from_millis(500));
    let refused = agent
        .get(&format!("{base}/healthz"))
        .timeout(Duration::from_secs(2))
        .call();
    assert!(
        refused.is_err(),
        "a new request after the drain: {refused:?}"
    );
    // … but the import under way finishes and answers.
    upload.write_all(rest).unwrap();
    upload.flush().unwrap();
    let mut answer = String::new();
    upload.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"applied\":true"), "{answer}");
    // Then the process exits, successfully.
    let exited = Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(
            exited.elapsed() < Duration::from_secs(30),
            "server did not exit"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "exit status {status:?}");
    // The import is there whole: every user of the sample bundle.
    let mut conn = db::establish(db.url()).unwrap();
    let imported: i64 = users::table
        .filter(users::source_id.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(imported, 44);
}

const METRICS_TOKEN: &str = "metrics-token-for-tests-0123456789abcdef";

/// `/metrics` is off unless configured; with a token it answers only requests bearing it, in
/// the Prometheus text format, naming routes by template (never a path with its ids).
#[test]
fn metrics_are_served_only_with_the_token_and_name_routes_by_template() {
    let off = TestApp::spawn();
    off.get("/metrics", None).problem(404);
    off.get("/metrics", Some(METRICS_TOKEN)).problem(404);
    let app = TestApp::spawn_with(|c| c.metrics_token = Some(METRICS_TOKEN.to_owned()));
    app.get("/metrics", None).problem(404);
    app.get("/metrics", Some("not-the-token")).problem(404);
    let token = app.login("denise.whitfield");
    let class = app.find_id(&token, "/api/v1/classes", "name", "Health & Wellness 7");
    assert_eq!(
        app.get(&format!("/api/v1/classes/{class}"), Some(&token))
            .status,
        200
    );
    let r = app.get("/metrics", Some(METRICS_TOKEN));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        r.headers
    );
    assert!(
        r.text.contains(
            "securebase_http_requests_total{route=\"/api/v1/classes/{id}\",method=\"GET\",status=\"200\"}"
        ),
        "{}",
        r.text
    );
    assert!(r
        .text
        .contains("securebase_http_request_duration_seconds_bucket"));
    assert!(r.text.contains("securebase_db_pool_max_connections"));
    assert!(r
        .text
        .contains("# TYPE securebase_survey_submissions_accepted_total counter"));
    assert!(!r.text.contains(&class), "no id in the metrics");
}
