//! Test harness: each test gets its own database, copied from a migrated and seeded template,
//! and its own server on a real loopback port. `TEST_DATABASE_URL=postgres://…` switches the
//! whole suite to PostgreSQL (a fresh database per test, created from a template database).
//!
//! Beside it: [`matrix`] (the role × route matrix runner), [`snapshot`] (rows a refused request
//! must leave as they were), [`lookups`] (ids by username or name) and [`oneroster`] (bundles
//! to import).

pub mod lookups;
pub mod matrix;
pub mod oidc;
pub mod oneroster;
pub mod pages;
pub mod snapshot;

pub use lookups::*;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{mpsc, OnceLock};
use std::thread::JoinHandle;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use securebase::app::{build_app, Services};
use securebase::config::Config;
use securebase::db::{self, DbConnection};
use securebase::seed;
use serde_json::Value;

pub const DEMO_PASSWORD: &str = "GrowTogether-2026";

/// A second, small district: every cross-district (BOLA) test reaches into it.
pub fn other_district_files() -> HashMap<&'static str, &'static str> {
    HashMap::from([
        ("district.csv", "name\nHarbor Point School District\n"),
        ("schools.csv", "key,name,low_grade,high_grade\nhp-ms,Harbor Point Middle School,6,8\n"),
        ("terms.csv", "key,name,starts_on,ends_on\nhp-fall,Fall 2026,2026-08-20,2026-12-20\n"),
        (
            "users.csv",
            "username,role,school,grade,given_name,family_name,email\n\
             hp.admin,district_admin,,,Hana,Park,hp.admin@harbor.example.org\n\
             hp.principal,school_admin,hp-ms,,Omar,Haddad,\n\
             hp.counselor,counselor,hp-ms,,Ines,Costa,\n\
             hp.teacher,teacher,hp-ms,,Paul,Meyer,\n\
             hp.student,student,hp-ms,7,Lena,Vogel,\n",
        ),
        ("classes.csv", "key,school,term,name,grade,teachers\nhp-advisory-7,hp-ms,hp-fall,Advisory 7,7,hp.teacher\n"),
        ("enrollments.csv", "class,student\nhp-advisory-7,hp.student\n"),
        ("logins.csv", "role,username,password,school\ndistrict_admin,hp.admin,GrowTogether-2026,\n"),
    ])
}

fn populate(conn: &mut DbConnection) {
    db::run_migrations(conn).expect("migrate template");
    seed::load_demo(conn).expect("seed demo");
    seed::load(conn, &other_district_files()).expect("seed other district");
}

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Hash of everything the template contains, so a changed migration or seed builds a new template.
fn template_fingerprint() -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut files: Vec<PathBuf> = Vec::new();
    // Everything that shapes the template's content. The date too: the demo survey windows
    // are opened around the day the template is built.
    chrono::Utc::now().date_naive().hash(&mut hasher);
    for dir in [
        "migrations/postgres",
        "seed",
        "src/seed.rs",
        "src/lessons/library.rs",
        "src/surveys/library.rs",
        "src/mentoring/demo.rs",
        "src/support/demo.rs",
        "src/support/help_requests.rs",
        "src/support/school_time.rs",
        // The demo's goals are set through the goals code, their baselines read from reports.
        "src/goals",
        "src/surveys/demo.rs",
        "src/surveys/synthetic.rs",
        // The demo's closed windows are sealed and opened, and their reports rendered, at load.
        "src/surveys/roster.rs",
        "src/surveys/ballot_box.rs",
        "src/surveys/responses.rs",
        "src/seal.rs",
        "src/reports",
        // The load's audit events are chained by the sealer.
        "src/audit",
    ] {
        for entry in walk(&repo_dir().join(dir)) {
            files.push(entry);
        }
    }
    files.sort();
    for f in files {
        f.to_string_lossy().hash(&mut hasher);
        std::fs::read(&f).unwrap_or_default().hash(&mut hasher);
    }
    for (k, v) in {
        let mut v: Vec<_> = other_district_files().into_iter().collect();
        v.sort();
        v
    } {
        k.hash(&mut hasher);
        v.hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    if dir.is_file() {
        return vec![dir.to_path_buf()];
    }
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// One test's database; removed when dropped.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    pub fn create() -> TestDb {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => Self::create_pg(&url),
            _ => Self::create_sqlite(),
        }
    }

    fn create_sqlite() -> TestDb {
        static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
        let (_, template) = TEMPLATE.get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("template.db");
            let mut conn = db::establish(path.to_str().unwrap()).expect("open template");
            populate(&mut conn);
            // Fold the WAL into the main file so a plain copy carries everything.
            conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")
                .unwrap();
            (dir, path)
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("test.db");
        std::fs::copy(template, &path).expect("copy template");
        TestDb::Sqlite {
            url: path.to_str().unwrap().to_owned(),
            _dir: dir,
        }
    }

    fn create_pg(admin_url: &str) -> TestDb {
        let template = format!("securebase_tpl_{}", template_fingerprint());
        let mut admin = db::establish(admin_url).expect("connect TEST_DATABASE_URL");
        // Several test binaries start at once: the first builds the template, the others wait.
        admin
            .batch_execute("SELECT pg_advisory_lock(727272)")
            .unwrap();
        let exists: i64 = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{template}'"
        ))
        .get_result::<Count>(&mut admin)
        .map(|c| c.n)
        .unwrap_or(0);
        if exists == 0 {
            // Templates of earlier schemas are dead weight once the schema changed.
            let stale: Vec<Name> = diesel::sql_query(
                "SELECT datname AS name FROM pg_database WHERE datname LIKE 'securebase_tpl_%'",
            )
            .load(&mut admin)
            .unwrap_or_default();
            for old in stale {
                let _ = admin.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    old.name
                ));
            }
            admin
                .batch_execute(&format!("CREATE DATABASE {template}"))
                .unwrap();
            let mut conn = db::establish(&with_database(admin_url, &template)).unwrap();
            populate(&mut conn);
            drop(conn);
        }
        let name = format!("securebase_test_{}", uuid_simple());
        let created = admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"));
        admin
            .batch_execute("SELECT pg_advisory_unlock(727272)")
            .unwrap();
        created.expect("create test database");
        TestDb::Postgres {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
        {
            if let Ok(mut admin) = db::establish(admin_url) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn uuid_simple() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let prefix = match base.rfind('/') {
        Some(i) if i > base.find("://").map(|s| s + 2).unwrap_or(0) => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// A response as a client sees it.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Asserts an RFC 9457 problem with this status and returns it.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.text
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["status"], status);
        assert!(
            body["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:securebase:problem:"),
            "{body}"
        );
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "{body}"
        );
        body
    }

    /// Asserts a 422 naming `field` among its errors.
    pub fn invalid_field(&self, field: &str) -> Value {
        let body = self.problem(422);
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .expect("errors array")
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&field),
            "expected field {field} in {fields:?}"
        );
        body
    }
}

pub struct TestApp {
    pub base: String,
    /// The server's SURVEY_SETTLE_DAYS, for the survey job run by [`TestApp::run_survey_job`].
    pub settle: chrono::TimeDelta,
    pub db: TestDb,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
    agent: ureq::Agent,
}

impl TestApp {
    pub fn spawn() -> TestApp {
        Self::spawn_with(|_| {})
    }

    pub fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let db = TestDb::create();
        let mut config = Config::for_database(db.url());
        config.pool_size = 4;
        // Bound first, so the server knows its own address (the OpenID Connect callback).
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        config.public_url = Some(format!("http://{}", listener.local_addr().unwrap()));
        // The test identity provider (tests/oidc) runs on this machine over plain HTTP.
        config.oidc_allow_http_issuers = true;
        config.oidc_allow_private_addresses = true;
        adjust(&mut config);
        let head_timeout = std::time::Duration::from_secs(config.request_head_timeout_secs);
        let keys = config.resolve_seal_keys(true).expect("seal keys");
        let settle = config.settle_period();
        let services = Services::new(config, securebase::config::DEMO_JWT_SECRET, keys);
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || build_app(services.clone()))
                    .workers(2)
                    .client_request_timeout(head_timeout)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .listen(listener)
                    .expect("listen");
                let addr = server.addrs()[0];
                let server = server.run();
                tx.send((addr, server.handle())).unwrap();
                let _ = server.await;
            })
        });
        let (addr, handle) = rx.recv().expect("server started");
        TestApp {
            base: format!("http://{addr}"),
            settle,
            db,
            handle,
            thread: Some(thread),
            agent: ureq::AgentBuilder::new().build(),
        }
    }

    /// Runs the survey job once, as the server's background task and `securebase surveys
    /// close-due` do (tests do not wait for the timer).
    pub fn run_survey_job(&self) -> securebase::reports::opening::JobRun {
        let mut conn = self.conn();
        securebase::reports::opening::run_job(
            &mut conn,
            &securebase::seal::SealKeys::demo(),
            self.settle,
        )
        .expect("survey job")
    }

    /// Chains the audit events recorded so far, as the server's sealer does every second (tests
    /// do not wait for it); before reading `audit_events` directly.
    pub fn seal_audit(&self) {
        securebase::audit::seal_pending(&mut self.conn()).expect("audit sealer");
    }

    /// Closes a window now (as if its `closes_at` had passed) and runs the survey job, which
    /// opens its sealed responses.
    pub fn close_window_now(&self, window: &str) -> securebase::reports::opening::JobRun {
        use securebase::db::schema::survey_windows;
        diesel::update(survey_windows::table.find(window))
            .set(survey_windows::closes_at.eq(db::now() - chrono::TimeDelta::seconds(1)))
            .execute(&mut self.conn())
            .expect("close the window");
        self.run_survey_job()
    }

    /// A window's questionnaire as `(item id, option values)` in order, as a student sees it.
    pub fn questionnaire_items(&self, token: &str, window: &str) -> Vec<(String, Vec<i64>)> {
        let q = self.get(
            &format!("/api/v1/survey-windows/{window}/questionnaire"),
            Some(token),
        );
        assert_eq!(q.status, 200, "{}", q.text);
        q.json()["sections"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["items"].as_array().unwrap().clone())
            .map(|i| {
                let values = i["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["value"].as_i64().unwrap())
                    .collect();
                (i["id"].as_str().unwrap().to_owned(), values)
            })
            .collect()
    }

    /// A direct connection to this test's database, to assert effects.
    pub fn conn(&self) -> DbConnection {
        db::establish(self.db.url()).expect("connect test db")
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Resp {
        let mut req = self
            .agent
            .request(method, &format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let result = match body {
            Some(b) => req.send_bytes(b),
            None => req.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: transport error {e}"),
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .map(|h| {
                let v = response.header(&h).unwrap_or("").to_owned();
                (h.to_ascii_lowercase(), v)
            })
            .collect();
        let text = response.into_string().unwrap_or_default();
        Resp {
            status,
            headers,
            text,
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.request("GET", path, token, &[], None)
    }

    pub fn send(&self, method: &str, path: &str, token: Option<&str>, body: &Value) -> Resp {
        let bytes = serde_json::to_vec(body).unwrap();
        self.request(
            method,
            path,
            token,
            &[("Content-Type", "application/json")],
            Some(&bytes),
        )
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send("POST", path, token, body)
    }

    pub fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send("PATCH", path, token, body)
    }

    pub fn login_pair(&self, username: &str, password: &str) -> Resp {
        self.post(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"username": username, "password": password}),
        )
    }

    /// Signs in with the demo password and returns the access token.
    pub fn login(&self, username: &str) -> String {
        let r = self.login_pair(username, DEMO_PASSWORD);
        assert_eq!(r.status, 200, "login {username}: {}", r.text);
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// Looks up an id by a field value in a list endpoint (first page of up to 200).
    pub fn find_id(&self, token: &str, list_path: &str, field: &str, value: &str) -> String {
        let sep = if list_path.contains('?') { '&' } else { '?' };
        let r = self.get(&format!("{list_path}{sep}limit=200"), Some(token));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i[field] == value)
            .unwrap_or_else(|| panic!("no {field}={value} in {list_path}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let stop = self.handle.stop(false);
        actix_web::rt::System::new().block_on(stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Submits an answer sheet and asserts it was taken (201).
pub fn submit(app: &TestApp, token: &str, window: &str, body: &Value) {
    let r = app.post(
        &format!("/api/v1/survey-windows/{window}/responses"),
        Some(token),
        body,
    );
    assert_eq!(r.status, 201, "{}", r.text);
}

/// Closes a window now and asserts the survey job opened it.
pub fn close_now(app: &TestApp, window: &str) {
    let run = app.close_window_now(window);
    assert!(
        run.opened.iter().any(|o| o.window_id == window),
        "the job opened the window: {run:?}"
    );
}

/// An instant as the API takes it (RFC 3339, UTC, whole seconds).
pub fn at(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The demo's published questionnaire for grades 6–12 (the one its open window administers).
pub fn secondary_instrument(app: &TestApp, admin: &str) -> String {
    let windows = app
        .get("/api/v1/survey-windows?limit=200", Some(admin))
        .json();
    windows["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["state"] == "open" && w["grades"].as_array().unwrap().contains(&7.into()))
        .expect("the demo's open window")["instrument_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Demo accounts by role and school (from seed/demo/logins.csv, as the README documents).
pub fn demo_logins() -> Vec<seed::LoginRecord> {
    seed::logins(&seed::demo_files()).expect("logins.csv")
}

pub fn demo_login(role: &str, school: &str) -> String {
    demo_logins()
        .into_iter()
        .find(|l| l.role == role && l.school == school)
        .unwrap_or_else(|| panic!("no demo login for {role} at {school:?}"))
        .username
}

pub const ELEMENTARY: &str = "Cedar Grove Elementary School";
pub const MIDDLE: &str = "Riverbend Middle School";
pub const HIGH: &str = "Lakeview High School";

/// One respondent's plain answers, as an opened window stores them: in the row of their
/// (school, grade) cell, a JSON array of values in the order of the row's item ids.
#[derive(Debug, Clone, PartialEq)]
pub struct PlainResponse {
    pub school_id: String,
    pub grade: i32,
    /// Item id → value, for the items answered.
    pub answers: std::collections::BTreeMap<String, i64>,
    /// The values as the row spells them (`[4,2,null,…]`).
    pub stored: String,
}

/// Every plain response of the windows given, cell by cell, each cell's respondents in the order
/// its row stores them. Checks that each row's `respondents` says how many it holds.
pub fn plain_responses(conn: &mut DbConnection, window_ids: &[&str]) -> Vec<PlainResponse> {
    use securebase::db::schema::survey_cell_responses as plain;
    let rows: Vec<(String, i32, String, String, i32)> = plain::table
        .filter(plain::window_id.eq_any(window_ids))
        .order((plain::window_id, plain::school_id, plain::grade))
        .select((
            plain::school_id,
            plain::grade,
            plain::item_ids,
            plain::answers,
            plain::respondents,
        ))
        .load(conn)
        .unwrap();
    let mut out = Vec::new();
    for (school_id, grade, item_ids, answers, respondents) in rows {
        let item_ids: Vec<String> = serde_json::from_str(&item_ids).unwrap();
        let given: Vec<Vec<Option<i64>>> = serde_json::from_str(&answers).unwrap();
        assert_eq!(
            given.len(),
            respondents as usize,
            "{school_id} grade {grade}"
        );
        for values in given {
            assert_eq!(values.len(), item_ids.len());
            out.push(PlainResponse {
                school_id: school_id.clone(),
                grade,
                answers: item_ids
                    .iter()
                    .zip(&values)
                    .filter_map(|(id, v)| v.map(|v| (id.clone(), v)))
                    .collect(),
                stored: serde_json::to_string(&values).unwrap(),
            });
        }
    }
    out
}
