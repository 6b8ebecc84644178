//! Linking attacks on stored survey answers, as an adversary holding the database would run
//! them: plain SQL including system columns, a `pg_dump` / `sqlite3 .dump` taken while the
//! window is open and again after it closed, and the SQLite `-wal` file. The thirty students of
//! one grade of a school (one reporting cell, so that cells say nothing here) submit answer
//! sheets that identify them (known to the test only); each attack pairs students with responses
//! as well as it can, and passes only when it does no better than chance.
//!
//! Chance, for a random pairing of n = 30: the number of correct pairs is about Poisson(1), so
//! P(≥ 7 correct) < 10⁻⁴; a rank correlation |ρ| ≥ 0.6 has P ≈ 10⁻³.

use std::collections::HashMap;
use std::process::Command;

use crate::helpers::*;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use securebase::db::schema::{
    survey_cell_responses, survey_participation, survey_sealed_responses, survey_windows, users,
};
use serde_json::{json, Value};

const STUDENTS: usize = 30;
const GRADE: i32 = 7;
/// |ρ| at or above this is no chance ordering (P ≈ 10⁻³ for n = 30).
const MOST_RHO_BY_CHANCE: f64 = 0.6;
const MOST_CORRECT_BY_CHANCE: usize = 6;

struct Submitted {
    window: String,
    /// Student ids in submission order.
    order: Vec<String>,
    /// Each student's answers as the opened box stores them (`[value,…]`, in item order).
    answers: HashMap<String, String>,
    /// The items in position order (the order of those values).
    items: Vec<String>,
}

/// The open demo window at Riverbend, answered by its 30 grade 7 students, each with a sheet of
/// their own (a different pseudo-random pattern over every item).
fn submit_identifying_sheets(app: &TestApp) -> Submitted {
    let first = demo_login("student", MIDDLE);
    let token = app.login(&first);
    let mine = app.get("/api/v1/me/surveys", Some(&token)).json();
    let window = mine["items"][0]["id"].as_str().unwrap().to_owned();
    let items = app.questionnaire_items(&token, &window);
    let mut conn = app.conn();
    let school: String = securebase::db::schema::schools::table
        .filter(securebase::db::schema::schools::name.eq(MIDDLE))
        .select(securebase::db::schema::schools::id)
        .first(&mut conn)
        .unwrap();
    let students: Vec<(String, String)> = users::table
        .filter(users::school_id.eq(&school))
        .filter(users::role.eq("student"))
        .filter(users::grade.eq(GRADE))
        .order(users::username.asc())
        .limit(STUDENTS as i64)
        .select((users::id, users::username))
        .load(&mut conn)
        .unwrap();
    assert_eq!(students.len(), STUDENTS);
    let path = format!("/api/v1/survey-windows/{window}/responses");
    let mut order = Vec::new();
    let mut answers = HashMap::new();
    for (i, (id, username)) in students.iter().enumerate() {
        let mut sheet = Vec::new();
        let mut stored = Vec::new();
        for (j, (item, options)) in items.iter().enumerate() {
            // Spread over every item, so that any part of a sheet tells whose it is.
            let value = options[(mix((i as u64) << 32 | j as u64) % options.len() as u64) as usize];
            sheet.push(json!({"item_id": item, "value": value}));
            stored.push(value);
        }
        let token = app.login(username);
        let r = app.post(&path, Some(&token), &json!({ "answers": sheet }));
        assert_eq!(r.status, 201, "{username}: {}", r.text);
        order.push(id.clone());
        answers.insert(id.clone(), serde_json::to_string(&stored).unwrap());
    }
    let distinct: std::collections::HashSet<&String> = answers.values().collect();
    assert_eq!(distinct.len(), STUDENTS, "every sheet is its student's own");
    Submitted {
        window,
        order,
        answers,
        items: items.into_iter().map(|(id, _)| id).collect(),
    }
}

/// SplitMix64's finalizer: a fixed pseudo-random pattern per (student, item).
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Closes the window now and runs the survey job, as the server would within seconds.
fn close_and_open(app: &TestApp, window: &str) {
    let run = app.close_window_now(window);
    let opened: Vec<(&str, usize)> = run
        .opened
        .iter()
        .map(|o| (o.window_id.as_str(), o.responses))
        .collect();
    assert_eq!(opened, vec![(window, STUDENTS)]);
}

/// How many students a pairing links to their own answers.
fn correct(s: &Submitted, pairs: &[(String, String)]) -> usize {
    pairs
        .iter()
        .filter(|(student, answers)| s.answers.get(student) == Some(answers))
        .count()
}

/// Pairs the k-th of `students` with the k-th of `responses` (an attacker's guess from any
/// order both lists share) and checks the guess does no better than chance.
fn assert_order_links_nothing(
    s: &Submitted,
    attack: &str,
    students: &[String],
    responses: &[String],
) {
    assert_eq!(students.len(), STUDENTS, "{attack}: every participant seen");
    assert_eq!(responses.len(), STUDENTS, "{attack}: every response seen");
    let pairs: Vec<(String, String)> = students
        .iter()
        .cloned()
        .zip(responses.iter().cloned())
        .collect();
    let hits = correct(s, &pairs);
    assert!(
        hits <= MOST_CORRECT_BY_CHANCE,
        "{attack}: {hits} of {STUDENTS} students linked to their answers"
    );
    let rho = spearman(s, responses);
    assert!(
        rho.abs() < MOST_RHO_BY_CHANCE,
        "{attack}: the responses' order follows the submission order (rho = {rho:.2})"
    );
}

/// Rank correlation between the submission order and the order `responses` are found in.
fn spearman(s: &Submitted, responses: &[String]) -> f64 {
    let by_answers: HashMap<&String, usize> = s
        .order
        .iter()
        .enumerate()
        .map(|(rank, id)| (&s.answers[id], rank))
        .collect();
    let ranks: Vec<f64> = responses
        .iter()
        .filter_map(|a| by_answers.get(a))
        .map(|r| *r as f64)
        .collect();
    let n = ranks.len() as f64;
    let d2: f64 = ranks
        .iter()
        .enumerate()
        .map(|(i, r)| (i as f64 - r).powi(2))
        .sum();
    1.0 - 6.0 * d2 / (n * (n * n - 1.0))
}

fn is_postgres(app: &TestApp) -> bool {
    matches!(app.db, TestDb::Postgres { .. })
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = BigInt)]
    tx: i64,
}

/// One column of a table's rows of the window, in the order the database stores them
/// (PostgreSQL: `ctid`; SQLite: the table's own order, which is what `.dump` writes), with the
/// row's transaction id on PostgreSQL (`xmin`; 0 on SQLite).
fn stored(app: &TestApp, table: &str, column: &str, window: &str) -> Vec<(String, i64)> {
    let sql = if is_postgres(app) {
        format!(
            "SELECT {column} AS value, xmin::text::bigint AS tx FROM {table} \
             WHERE window_id = '{window}' ORDER BY ctid"
        )
    } else {
        format!("SELECT {column} AS value, 0 AS tx FROM {table} WHERE window_id = '{window}'")
    };
    diesel::sql_query(sql)
        .load::<Row>(&mut app.conn())
        .unwrap()
        .into_iter()
        .map(|r| (r.value, r.tx))
        .collect()
}

/// The plain responses of the window in the order the database stores them: its cell rows in
/// storage order (as `stored` reads them), each row's respondents in the order it lists them;
/// with each row's transaction id. Checks the rows list values in the questionnaire's order.
fn stored_sheets(app: &TestApp, s: &Submitted) -> Vec<(String, i64)> {
    let item_ids = stored(app, "survey_cell_responses", "item_ids", &s.window);
    for (ids, _) in &item_ids {
        assert_eq!(ids, &serde_json::to_string(&s.items).unwrap());
    }
    stored(app, "survey_cell_responses", "answers", &s.window)
        .into_iter()
        .flat_map(|(answers, tx)| {
            let sheets: Vec<Value> = serde_json::from_str(&answers).unwrap();
            sheets.into_iter().map(move |sheet| (sheet.to_string(), tx))
        })
        .collect()
}

/// A full dump of the database, as an operator's backup would be taken.
fn dump(app: &TestApp) -> String {
    let out = match &app.db {
        TestDb::Postgres { url, .. } => Command::new("pg_dump")
            .args(["--data-only", "--inserts", "--no-owner", url])
            .output(),
        TestDb::Sqlite { url, .. } => Command::new("sqlite3").args([url, ".dump"]).output(),
    }
    .expect("pg_dump / sqlite3 on PATH (.ci/run installs them)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The rows a dump holds for `table`, in dump order (both tools write `INSERT INTO` lines here).
fn dumped_rows<'a>(dump: &'a str, table: &str) -> Vec<&'a str> {
    let prefixes = [
        format!("INSERT INTO public.{table} "),
        format!("INSERT INTO {table} "),
        format!("INSERT INTO \"{table}\" "),
    ];
    dump.lines()
        .filter(|l| prefixes.iter().any(|p| l.starts_with(p.as_str())))
        .collect()
}

/// Every plain answer sheet, as the opened box stores it.
fn plaintexts(s: &Submitted) -> Vec<String> {
    s.answers.values().cloned().collect()
}

/// Every plain answer sheet as the opened box stores it and as a sealed envelope spells it
/// inside (a digit per item): while the window is open, neither may be found.
fn plaintexts_in_any_form(s: &Submitted) -> Vec<String> {
    let digits = plaintexts(s).into_iter().map(|sheet| {
        let values: Vec<Option<u8>> = serde_json::from_str(&sheet).unwrap();
        values
            .iter()
            .map(|v| char::from(b'0' + v.unwrap_or(0)))
            .collect::<String>()
    });
    plaintexts(s).into_iter().chain(digits).collect()
}

#[test]
fn a_backup_taken_while_the_window_is_open_holds_only_ciphertext() {
    let app = TestApp::spawn();
    let s = submit_identifying_sheets(&app);
    let mut conn = app.conn();
    let plain: i64 = survey_cell_responses::table
        .filter(survey_cell_responses::window_id.eq(&s.window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(
        plain, 0,
        "nothing is stored in the clear while the window is open"
    );
    let sealed: Vec<(String, String, String)> = survey_sealed_responses::table
        .filter(survey_sealed_responses::window_id.eq(&s.window))
        .select((
            survey_sealed_responses::id,
            survey_sealed_responses::window_id,
            survey_sealed_responses::sealed,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(sealed.len(), STUDENTS);
    // One length for every envelope: which items were skipped does not show either.
    assert!(sealed.iter().all(|r| r.2.len() == sealed[0].2.len()));
    let backup = dump(&app);
    assert!(
        backup.contains(&sealed[0].2),
        "the dump holds the sealed rows"
    );
    for text in plaintexts_in_any_form(&s) {
        assert!(!backup.contains(&text), "an answer sheet is in the backup");
    }
    let school_ids: Vec<String> = securebase::db::schema::schools::table
        .select(securebase::db::schema::schools::id)
        .load(&mut conn)
        .unwrap();
    for row in dumped_rows(&backup, "survey_sealed_responses") {
        for school in &school_ids {
            assert!(
                !row.contains(school.as_str()),
                "a sealed row names a school"
            );
        }
    }
    // The wrapped data key is in the backup; the key that unwraps it is not.
    let wrapped: Option<String> = survey_windows::table
        .find(&s.window)
        .select(survey_windows::sealed_key)
        .first(&mut conn)
        .unwrap();
    assert!(wrapped.unwrap().starts_with("v1."));
    let demo_key = base64_of(&securebase_demo_key());
    assert!(!backup.contains(&demo_key));
}

fn securebase_demo_key() -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(b"securebase demo seal key - not for production use").to_vec()
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn after_closing_neither_storage_order_nor_transaction_ids_link_answers_to_students() {
    let app = TestApp::spawn();
    let s = submit_identifying_sheets(&app);
    // Who answered, as read while the window was open (the box forgets it when opened).
    let participation = stored(&app, "survey_participation", "student_id", &s.window);
    close_and_open(&app, &s.window);
    assert!(
        stored(&app, "survey_participation", "student_id", &s.window).is_empty(),
        "who answered is forgotten once the box is opened"
    );
    let responses = stored_sheets(&app, &s);
    let students: Vec<String> = participation.iter().map(|(v, _)| v.clone()).collect();
    let answers: Vec<String> = responses.iter().map(|(v, _)| v.clone()).collect();
    assert_order_links_nothing(&s, "storage order", &students, &answers);
    // The attacker who somehow learned the submission order does no better either.
    assert_order_links_nothing(&s, "submission order", &s.order, &answers);
    let mut conn = app.conn();
    let sealed: i64 = survey_sealed_responses::table
        .filter(survey_sealed_responses::window_id.eq(&s.window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(sealed, 0, "the box is empty once opened");
    if is_postgres(&app) {
        // Every plain response was written by one transaction: xmin orders nothing.
        let xmins: std::collections::BTreeSet<i64> = responses.iter().map(|(_, tx)| *tx).collect();
        assert_eq!(xmins.len(), 1, "{xmins:?}");
        let mut by_xmin = participation.clone();
        by_xmin.sort_by_key(|(_, tx)| *tx);
        let students: Vec<String> = by_xmin.into_iter().map(|(v, _)| v).collect();
        let mut answers_by_xmin = responses.clone();
        answers_by_xmin.sort_by_key(|(_, tx)| *tx);
        let answers: Vec<String> = answers_by_xmin.into_iter().map(|(v, _)| v).collect();
        assert_order_links_nothing(&s, "xmin", &students, &answers);
        // After VACUUM FREEZE too (the attack of the review).
        diesel::sql_query("VACUUM FREEZE survey_cell_responses")
            .execute(&mut conn)
            .unwrap();
        let frozen = stored_sheets(&app, &s);
        let answers: Vec<String> = frozen.into_iter().map(|(v, _)| v).collect();
        assert_order_links_nothing(&s, "storage order after VACUUM FREEZE", &s.order, &answers);
    }
}

#[test]
fn backups_taken_while_open_and_after_closing_link_nothing() {
    let app = TestApp::spawn();
    let s = submit_identifying_sheets(&app);
    let during = dump(&app);
    close_and_open(&app, &s.window);
    let backup = dump(&app);
    assert!(
        !dumped_rows(&backup, "survey_participation")
            .iter()
            .any(|l| l.contains(&s.window)),
        "the backup after closing says nobody's name for the window"
    );
    let students: Vec<String> = dumped_rows(&during, "survey_participation")
        .into_iter()
        .filter(|l| l.contains(&s.window))
        .filter_map(|l| s.order.iter().find(|id| l.contains(id.as_str())).cloned())
        .collect();
    // The plain responses are in the cell's row: the attacker takes them in the order they
    // appear there.
    let answers: Vec<String> = dumped_rows(&backup, "survey_cell_responses")
        .into_iter()
        .filter(|l| l.contains(&s.window))
        .flat_map(|l| first_offsets(l.as_bytes(), &plaintexts(&s)))
        .map(|(_, sheet)| sheet)
        .collect();
    assert_order_links_nothing(&s, "dump order", &students, &answers);
    assert_order_links_nothing(
        &s,
        "dump order against submission order",
        &s.order,
        &answers,
    );
}

/// The byte offsets at which each of `needles` first appears in `haystack`.
fn first_offsets(haystack: &[u8], needles: &[String]) -> Vec<(usize, String)> {
    let mut found: Vec<(usize, String)> = needles
        .iter()
        .filter_map(|n| {
            haystack
                .windows(n.len())
                .position(|w| w == n.as_bytes())
                .map(|at| (at, n.clone()))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn the_sqlite_write_ahead_log_holds_ciphertext_while_open_and_no_order_after() {
    let app = TestApp::spawn();
    let TestDb::Sqlite { url, .. } = &app.db else {
        return; // PostgreSQL's WAL is the server's; its order is covered by the xmin attack.
    };
    let wal_path = format!("{url}-wal");
    let s = submit_identifying_sheets(&app);
    let wal = std::fs::read(&wal_path).expect("the -wal file");
    assert!(wal.len() > 100_000, "the WAL holds the submissions' pages");
    for text in plaintexts_in_any_form(&s) {
        assert!(
            !wal.windows(text.len()).any(|w| w == text.as_bytes()),
            "an answer sheet is in the WAL while the window is open"
        );
    }
    close_and_open(&app, &s.window);
    let wal = std::fs::read(&wal_path).expect("the -wal file");
    // The attacker's best order of the plain responses in the log: where each first appears.
    // (A cell's row may spill into overflow pages, which can split a sheet in two: those few
    // are not found.)
    let found = first_offsets(&wal, &plaintexts(&s));
    assert!(
        found.len() >= STUDENTS / 2,
        "the opened responses are in the WAL ({} of {STUDENTS} found)",
        found.len()
    );
    let answers: Vec<String> = found.into_iter().map(|(_, a)| a).collect();
    // Given the true submission order (which the log's participation pages do reveal), the
    // response order in the log must still say nothing.
    let order: Vec<String> = s
        .order
        .iter()
        .filter(|id| answers.contains(&s.answers[*id]))
        .cloned()
        .collect();
    let pairs: Vec<(String, String)> = order.into_iter().zip(answers.iter().cloned()).collect();
    let hits = correct(&s, &pairs);
    assert!(hits <= MOST_CORRECT_BY_CHANCE, "WAL order: {hits} linked");
    let rho = spearman(&s, &answers);
    assert!(
        rho.abs() < MOST_RHO_BY_CHANCE,
        "WAL order follows submission order (rho = {rho:.2})"
    );
}

#[test]
fn opening_is_idempotent_and_only_one_of_two_racing_jobs_opens_a_window() {
    let app = TestApp::spawn();
    let s = submit_identifying_sheets(&app);
    let mut conn = app.conn();
    diesel::update(survey_windows::table.find(&s.window))
        .set(survey_windows::closes_at.eq(securebase::db::now() - chrono::TimeDelta::seconds(1)))
        .execute(&mut conn)
        .unwrap();
    let runs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| app.run_survey_job()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let opened: Vec<(&str, usize)> = runs
        .iter()
        .flat_map(|r| &r.opened)
        .map(|o| (o.window_id.as_str(), o.responses))
        .collect();
    assert_eq!(opened, vec![(s.window.as_str(), STUDENTS)], "{runs:?}");
    assert!(app.run_survey_job().opened.is_empty());
    assert_eq!(plain_responses(&mut conn, &[&s.window]).len(), STUDENTS);
    let participants: i64 = survey_participation::table
        .filter(survey_participation::window_id.eq(&s.window))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(participants, 0, "who answered is forgotten once opened");
    // The district report reads the aggregates built by the opening, at once.
    let admin = app.login(&demo_login("district_admin", ""));
    let me = app.get("/api/v1/me", Some(&admin)).json();
    let district = me["district_id"].as_str().unwrap();
    let report = app.get(
        &format!(
            "/api/v1/reports/districts/{district}/climate?window_id={}",
            s.window
        ),
        Some(&admin),
    );
    assert_eq!(report.status, 200, "{}", report.text);
    let body: Value = report.json();
    assert!(body["total"]["respondents"].as_i64().unwrap() >= STUDENTS as i64);
}

#[test]
fn a_failed_opening_leaves_the_window_sealed_whole() {
    let app = TestApp::spawn();
    let s = submit_identifying_sheets(&app);
    let mut conn = app.conn();
    // One sealed row altered (or a lost key): decryption fails partway through the box.
    let victim: String = survey_sealed_responses::table
        .filter(survey_sealed_responses::window_id.eq(&s.window))
        .order(survey_sealed_responses::id.desc())
        .select(survey_sealed_responses::id)
        .first(&mut conn)
        .unwrap();
    diesel::update(survey_sealed_responses::table.find(&victim))
        .set(survey_sealed_responses::sealed.eq(base64_of(&[7u8; 64])))
        .execute(&mut conn)
        .unwrap();
    diesel::update(survey_windows::table.find(&s.window))
        .set(survey_windows::closes_at.eq(securebase::db::now() - chrono::TimeDelta::seconds(1)))
        .execute(&mut conn)
        .unwrap();
    let run = securebase::reports::opening::run_job(
        &mut conn,
        &securebase::seal::SealKeys::demo(),
        chrono::TimeDelta::zero(),
    )
    .unwrap();
    assert!(run.opened.is_empty());
    assert_eq!(run.failed.len(), 1, "{run:?}");
    assert_eq!(run.failed[0].0, s.window);
    // Nothing was half-done: still sealed, not opened, who answered still known, no plain row.
    let count = |table: &str| -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE window_id = '{}'",
            s.window
        ))
        .get_result::<N>(&mut app.conn())
        .unwrap()
        .n
    };
    assert_eq!(count("survey_sealed_responses"), STUDENTS as i64);
    assert_eq!(count("survey_participation"), STUDENTS as i64);
    assert_eq!(count("survey_cell_responses"), 0);
    assert_eq!(count("survey_window_cells"), 0);
    let opened: Option<chrono::NaiveDateTime> = survey_windows::table
        .find(&s.window)
        .select(survey_windows::opened_at)
        .first(&mut conn)
        .unwrap();
    assert_eq!(opened, None);
    // Reports say the window is being tallied, not a 500.
    let admin = app.login(&demo_login("district_admin", ""));
    let district = app.get("/api/v1/me", Some(&admin)).json()["district_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get(
        &format!(
            "/api/v1/reports/districts/{district}/climate?window_id={}",
            s.window
        ),
        Some(&admin),
    )
    .problem(409);
}
