//! OneRoster 1.1 import: the sample bundle end to end, re-import, bulk and delta semantics,
//! every kind of malformed bundle (a report, nothing written) and who may import.

use crate::helpers::oneroster::{upload, upload_bytes, Bundle};
use crate::helpers::*;
use diesel::prelude::*;
use securebase::db::schema::{class_teachers, classes, enrollments, schools, terms, users};
use securebase::db::DbConnection;
use securebase::seed::district_id;
use serde_json::Value;

const DISTRICT_ADMIN: &str = "denise.whitfield";

fn imported_users(conn: &mut DbConnection) -> i64 {
    users::table
        .filter(users::source_id.is_not_null())
        .count()
        .get_result(conn)
        .unwrap()
}

fn user_by_source(conn: &mut DbConnection, source: &str) -> (String, bool, String, Option<i32>) {
    users::table
        .filter(users::source_id.eq(source))
        .select((
            users::username,
            users::active,
            users::family_name,
            users::grade,
        ))
        .first(conn)
        .unwrap_or_else(|e| panic!("user {source}: {e}"))
}

/// Every table an import writes, counted, to prove a rejected import wrote nothing.
fn roster_counts(conn: &mut DbConnection) -> [i64; 6] {
    [
        schools::table.count().get_result(conn).unwrap(),
        terms::table.count().get_result(conn).unwrap(),
        users::table.count().get_result(conn).unwrap(),
        classes::table.count().get_result(conn).unwrap(),
        enrollments::table.count().get_result(conn).unwrap(),
        class_teachers::table.count().get_result(conn).unwrap(),
    ]
}

fn import_ok(app: &TestApp, token: &str, bundle: &Bundle) -> Value {
    let r = upload(app, token, &demo_district(), bundle);
    assert_eq!(r.status, 200, "{}", r.text);
    let report = r.json();
    assert_eq!(report["applied"], true, "{report}");
    assert_eq!(report["error_count"], 0, "{report}");
    report
}

/// Uploads a bad bundle: 422 with a report naming the problem, and nothing written.
fn rejected(app: &TestApp, bundle_bytes: &[u8]) -> Vec<Value> {
    let token = app.login(DISTRICT_ADMIN);
    let before = roster_counts(&mut app.conn());
    let r = upload_bytes(app, &token, &demo_district(), bundle_bytes, false);
    let body = r.problem(422);
    assert_eq!(body["type"], "urn:securebase:problem:import-rejected");
    // The problem's members, then the report in its own field order (as a 200 would give it).
    assert!(
        r.text
            .starts_with(r#"{"type":"urn:securebase:problem:import-rejected","#)
            && r.text.contains(r#","report":{"district_id":"#),
        "{}",
        r.text
    );
    let report = &body["report"];
    assert_eq!(report["applied"], false);
    assert!(report["error_count"].as_u64().unwrap() >= 1, "{report}");
    assert_eq!(
        roster_counts(&mut app.conn()),
        before,
        "a rejected import wrote rows"
    );
    report["errors"].as_array().unwrap().clone()
}

fn has_error(errors: &[Value], file: &str, line: Option<u64>, column: Option<&str>, text: &str) {
    let found = errors.iter().any(|e| {
        e["file"] == file
            && line.is_none_or(|l| e["line"] == l)
            && column.is_none_or(|c| e["column"] == c)
            && e["message"].as_str().unwrap().contains(text)
    });
    assert!(
        found,
        "expected {file}:{line:?} {column:?} \"{text}\" in {}",
        serde_json::to_string_pretty(errors).unwrap()
    );
}

#[test]
fn the_sample_bundle_imports_end_to_end_and_a_second_import_changes_nothing() {
    let app = TestApp::spawn();
    let token = app.login(DISTRICT_ADMIN);
    let report = import_ok(&app, &token, &Bundle::sample());
    assert_eq!(report["schools"]["created"], 2, "{report}");
    assert_eq!(report["users"]["created"], 44);
    assert_eq!(report["classes"]["created"], 6);
    assert_eq!(report["enrollments"]["created"], 42);
    assert_eq!(report["class_teachers"]["created"], 7);
    assert_eq!(report["skipped"]["user role parent"], 2);
    assert_eq!(report["skipped"]["user role guardian"], 1);
    assert_eq!(report["files"].as_array().unwrap().len(), 6);
    // The demo's hand-made terms of the same titles are taken over, and the report says so.
    assert!(
        report["notices"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("term \"Fall 2026\" already existed")),
        "{report}"
    );

    let mut conn = app.conn();
    assert_eq!(imported_users(&mut conn), 44);
    // Imported accounts wait for activation: no password.
    let without_password: i64 = users::table
        .filter(users::source_id.is_not_null())
        .filter(users::password_hash.is_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(without_password, 44);
    let (username, active, _, grade) = user_by_source(&mut conn, "usr-s-0001");
    assert!(username.starts_with("cf."));
    assert!(active);
    assert!(grade.is_some());
    let (_, disabled_active, _, _) = user_by_source(&mut conn, "usr-s-0022");
    assert!(
        !disabled_active,
        "enabledUser=false imports an inactive account"
    );
    let admin_role: String = users::table
        .filter(users::source_id.eq("usr-a-0001"))
        .select(users::role)
        .first(&mut conn)
        .unwrap();
    assert_eq!(admin_role, "school_admin");
    // The class title joins its course: "Period 1" alone says nothing.
    let class_name: String = classes::table
        .filter(classes::source_id.eq("cls-cfms-adv6-p1"))
        .select(classes::name)
        .first(&mut conn)
        .unwrap();
    assert_eq!(class_name, "Advisory 6 — Period 1");
    let school: (String, i32, i32) = schools::table
        .filter(schools::source_id.eq("org-cfms"))
        .select((schools::name, schools::low_grade, schools::high_grade))
        .first(&mut conn)
        .unwrap();
    assert_eq!(school, ("Cedar Falls Middle School".to_owned(), 6, 8));

    // The district administrator sees the new school through the API.
    let listed = app.get("/api/v1/schools?limit=200", Some(&token)).json();
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "Cedar Falls Middle School"));

    let before = roster_counts(&mut conn);
    let stamps: Vec<chrono::NaiveDateTime> = users::table
        .filter(users::source_id.is_not_null())
        .order(users::id)
        .select(users::updated_at)
        .load(&mut conn)
        .unwrap();
    let again = import_ok(&app, &token, &Bundle::sample());
    for kind in [
        "schools",
        "terms",
        "users",
        "classes",
        "enrollments",
        "class_teachers",
    ] {
        assert_eq!(again[kind]["created"], 0, "{kind}: {again}");
        assert_eq!(again[kind]["updated"], 0, "{kind}: {again}");
        assert_eq!(again[kind]["deactivated"], 0, "{kind}: {again}");
    }
    assert_eq!(again["users"]["unchanged"], 44);
    assert_eq!(roster_counts(&mut conn), before);
    let stamps_after: Vec<chrono::NaiveDateTime> = users::table
        .filter(users::source_id.is_not_null())
        .order(users::id)
        .select(users::updated_at)
        .load(&mut conn)
        .unwrap();
    assert_eq!(stamps, stamps_after, "an unchanged row was rewritten");
}

#[test]
fn a_dry_run_reports_the_same_counts_and_writes_nothing() {
    let app = TestApp::spawn();
    let token = app.login(DISTRICT_ADMIN);
    let before = roster_counts(&mut app.conn());
    let r = upload_bytes(
        &app,
        &token,
        &demo_district(),
        &Bundle::sample().zip(),
        true,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let report = r.json();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["applied"], false);
    assert_eq!(report["users"]["created"], 44);
    assert_eq!(report["enrollments"]["created"], 42);
    assert_eq!(roster_counts(&mut app.conn()), before);
}

#[test]
fn the_command_line_imports_a_folder() {
    let app = TestApp::spawn();
    let dir = tempfile::tempdir().unwrap();
    Bundle::sample().write_dir(dir.path());
    let limits = securebase::oneroster::Limits {
        max_uncompressed_bytes: 1 << 30,
    };
    let dry =
        securebase::ops::import_oneroster(app.db.url(), &demo_district(), dir.path(), limits, true)
            .unwrap();
    assert_eq!(dry.users.created, 44);
    assert_eq!(imported_users(&mut app.conn()), 0);
    let report = securebase::ops::import_oneroster(
        app.db.url(),
        &demo_district(),
        dir.path(),
        limits,
        false,
    )
    .unwrap();
    assert!(report.applied);
    assert_eq!(imported_users(&mut app.conn()), 44);
    let unknown = securebase::ops::import_oneroster(
        app.db.url(),
        "no-such-district",
        dir.path(),
        limits,
        false,
    );
    assert!(unknown.is_err());
}

#[test]
fn a_bulk_file_deactivates_what_it_no_longer_lists_and_keeps_the_rows() {
    let app = TestApp::spawn();
    let token = app.login(DISTRICT_ADMIN);
    import_ok(&app, &token, &Bundle::sample());
    let mut conn = app.conn();
    let class_id: String = classes::table
        .filter(classes::source_id.eq("cls-cfms-adv6-p1"))
        .select(classes::id)
        .first(&mut conn)
        .unwrap();
    let enrolled_in_class: i64 = enrollments::table
        .filter(enrollments::class_id.eq(&class_id))
        .count()
        .get_result(&mut conn)
        .unwrap();

    // A student left, a class closed (with its enrollments) and one enrollment ended.
    let enrollments_text = Bundle::sample().text("enrollments.csv");
    let class_rows: Vec<&str> = enrollments_text
        .lines()
        .filter(|l| l.contains(",cls-cfms-adv6-p1,"))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let student_rows: Vec<&str> = enrollments_text
        .lines()
        .filter(|l| l.contains(",usr-s-0002,"))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let mut bundle = Bundle::sample();
    bundle
        .drop_rows("users.csv", &["usr-s-0002"])
        .drop_rows("classes.csv", &["cls-cfms-adv6-p1"])
        .drop_rows("enrollments.csv", &class_rows)
        .drop_rows("enrollments.csv", &student_rows);
    let report = import_ok(&app, &token, &bundle);
    assert_eq!(report["users"]["deactivated"], 1, "{report}");
    assert_eq!(report["classes"]["deactivated"], 1, "{report}");
    assert!(report["enrollments"]["deactivated"].as_u64().unwrap() >= 1);

    let (_, active, _, _) = user_by_source(&mut conn, "usr-s-0002");
    assert!(!active, "the student who left is inactive");
    let class_active: bool = classes::table
        .find(&class_id)
        .select(classes::active)
        .first(&mut conn)
        .unwrap();
    assert!(!class_active);
    // Nothing was deleted: the enrollments are still there, inactive.
    let still_there: Vec<bool> = enrollments::table
        .filter(enrollments::class_id.eq(&class_id))
        .select(enrollments::active)
        .load(&mut conn)
        .unwrap();
    assert_eq!(still_there.len() as i64, enrolled_in_class);
    assert!(still_there.iter().all(|a| !a));
    // A teacher's assignment to the closed class no longer grants access.
    let teachers_left: i64 = class_teachers::table
        .filter(class_teachers::class_id.eq(&class_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(teachers_left, 0);

    // The student comes back: the same account is reactivated, not duplicated.
    let report = import_ok(&app, &token, &Bundle::sample());
    assert_eq!(report["users"]["created"], 0);
    assert_eq!(report["users"]["updated"], 1, "{report}");
    let (_, active, _, _) = user_by_source(&mut conn, "usr-s-0002");
    assert!(active);
    assert_eq!(imported_users(&mut conn), 44);
}

#[test]
fn hand_made_accounts_are_not_deactivated_by_a_bulk_import() {
    let app = TestApp::spawn();
    let token = app.login(DISTRICT_ADMIN);
    let mut conn = app.conn();
    let active_before: i64 = users::table
        .filter(users::source_id.is_null())
        .filter(users::active.eq(true))
        .count()
        .get_result(&mut conn)
        .unwrap();
    import_ok(&app, &token, &Bundle::sample());
    let active_after: i64 = users::table
        .filter(users::source_id.is_null())
        .filter(users::active.eq(true))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(active_before, active_after);
}

const DELTA_USERS_HEADER: &str = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n";
const DELTA_ENROLLMENTS_HEADER: &str =
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n";

fn user_line(bundle: &Bundle, source: &str) -> Vec<String> {
    bundle
        .text("users.csv")
        .lines()
        .find(|l| l.starts_with(&format!("{source},")))
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_delta_applies_status_and_date_last_modified_and_leaves_the_rest_alone() {
    let app = TestApp::spawn();
    let token = app.login(DISTRICT_ADMIN);
    import_ok(&app, &token, &Bundle::sample());
    let sample = Bundle::sample();

    // usr-s-0003 renamed (newer), usr-s-0004 renamed by an older row (stale), usr-s-0005 deleted.
    let mut renamed = user_line(&sample, "usr-s-0003");
    renamed[2] = "2026-09-01T08:00:00Z".into();
    renamed[9] = "Renamed".into();
    let mut stale = user_line(&sample, "usr-s-0004");
    stale[2] = "2026-07-01T08:00:00Z".into();
    stale[9] = "Stale".into();
    let mut deleted = user_line(&sample, "usr-s-0005");
    deleted[1] = "tobedeleted".into();
    deleted[2] = "2026-09-01T08:00:00Z".into();
    let users_csv = format!(
        "{DELTA_USERS_HEADER}{}\n{}\n{}\n",
        renamed.join(","),
        stale.join(","),
        deleted.join(",")
    );
    // One enrollment ends, one begins.
    let ending = sample
        .text("enrollments.csv")
        .lines()
        .find(|l| l.contains(",student,"))
        .unwrap()
        .to_owned();
    let ending_fields: Vec<&str> = ending.split(',').collect();
    let class = ending_fields[3];
    let school = ending_fields[4];
    let mut ended: Vec<String> = ending_fields.iter().map(|s| s.to_string()).collect();
    ended[1] = "tobedeleted".into();
    ended[2] = "2026-09-01T08:00:00Z".into();
    let newcomer = "usr-s-0006";
    let began = format!(
        "enr-delta-1,active,2026-09-01T08:00:00Z,{class},{school},{newcomer},student,false,2026-09-01,\n"
    );
    let enrollments_csv = format!("{DELTA_ENROLLMENTS_HEADER}{}\n{began}", ended.join(","));

    let mut delta = Bundle::sample();
    for table in ["orgs", "academicSessions", "courses", "classes"] {
        delta.manifest_mode(table, "absent");
        let file = if table == "academicSessions" {
            "academicSessions.csv".to_owned()
        } else {
            format!("{table}.csv")
        };
        delta.remove(&file);
    }
    delta
        .manifest_mode("users", "delta")
        .manifest_mode("enrollments", "delta")
        .set("users.csv", users_csv)
        .set("enrollments.csv", enrollments_csv);
    let report = import_ok(&app, &token, &delta);
    assert_eq!(report["users"]["updated"], 1, "{report}");
    assert_eq!(report["users"]["deactivated"], 1, "{report}");
    assert_eq!(report["users"]["stale"], 1, "{report}");
    assert_eq!(report["enrollments"]["deactivated"], 1, "{report}");

    let mut conn = app.conn();
    assert_eq!(user_by_source(&mut conn, "usr-s-0003").2, "Renamed");
    assert_ne!(user_by_source(&mut conn, "usr-s-0004").2, "Stale");
    assert!(!user_by_source(&mut conn, "usr-s-0005").1);
    // Users the delta does not name are untouched (a delta never deactivates by absence).
    assert!(user_by_source(&mut conn, "usr-s-0007").1);
    assert_eq!(imported_users(&mut conn), 44);
    let newcomer_enrolled: i64 = enrollments::table
        .inner_join(users::table)
        .inner_join(classes::table)
        .filter(users::source_id.eq(newcomer))
        .filter(classes::source_id.eq(class))
        .filter(enrollments::active.eq(true))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(newcomer_enrolled, 1);
}

#[test]
fn headers_are_matched_by_name_in_any_order_with_a_bom_and_quoted_fields() {
    let app = TestApp::spawn();
    let token = app.login(DISTRICT_ADMIN);
    let mut bundle = Bundle::sample();
    // Columns reversed, a BOM, CRLF line ends, and a quoted name holding a comma and a newline.
    let text = bundle.text("orgs.csv");
    let mut reordered = String::from("\u{feff}");
    for line in text.lines() {
        let mut fields: Vec<&str> = line.split(',').collect();
        fields.reverse();
        reordered.push_str(&fields.join(","));
        reordered.push_str("\r\n");
    }
    let reordered = reordered.replace(
        "Cedar Falls Middle School",
        "\"Cedar Falls Middle School, North\nCampus\"",
    );
    bundle.set("orgs.csv", reordered);
    import_ok(&app, &token, &bundle);
    let name: String = schools::table
        .filter(schools::source_id.eq("org-cfms"))
        .select(schools::name)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(name, "Cedar Falls Middle School, North\nCampus");
}

#[test]
fn a_missing_or_misspelled_column_is_reported_with_its_file() {
    let app = TestApp::spawn();
    let mut bundle = Bundle::sample();
    bundle.edit("users.csv", |t| t.replacen(",username,", ",userName,", 1));
    let errors = rejected(&app, &bundle.zip());
    has_error(
        &errors,
        "users.csv",
        Some(1),
        Some("username"),
        "required column is missing",
    );
}

#[test]
fn a_zip_without_a_manifest_or_not_a_zip_at_all_is_reported() {
    let app = TestApp::spawn();
    let mut bundle = Bundle::sample();
    bundle.remove("manifest.csv");
    let errors = rejected(&app, &bundle.zip());
    has_error(&errors, "bundle", None, None, "manifest.csv is missing");
    let errors = rejected(&app, b"sourcedId,name\nnot,a zip\n");
    has_error(&errors, "bundle", None, None, "not a zip archive");
}

#[test]
fn a_manifest_naming_a_missing_file_is_reported() {
    let app = TestApp::spawn();
    let mut bundle = Bundle::sample();
    bundle.remove("classes.csv");
    let errors = rejected(&app, &bundle.zip());
    has_error(
        &errors,
        "manifest.csv",
        None,
        Some("value"),
        "no classes.csv",
    );
}

#[test]
fn rows_with_bad_values_are_each_reported_with_line_and_column() {
    let app = TestApp::spawn();
    let mut bundle = Bundle::sample();
    bundle
        // Line 2 of users.csv: a grade code that does not exist.
        .edit("users.csv", |t| t.replacen(",08,\n", ",8,\n", 1))
        .append(
            "users.csv",
            // An unknown org, a duplicate sourcedId and a bad date.
            "usr-x-1,,2026-08-01T12:00:00Z,true,org-nowhere,teacher,cf.xone,,Xavier,One,,,,,,,,\n\
             usr-s-0001,,2026-08-01T12:00:00Z,true,org-cfms,student,cf.dup,,Dup,Licate,,,,,,,07,\n\
             usr-x-2,,01/08/2026,true,org-cfms,teacher,cf.xtwo,,Xena,Two,,,,,,,,\n",
        )
        .append(
            "enrollments.csv",
            "enr-x-1,,,cls-missing,org-cfms,usr-s-0001,student,false,,\n\
             enr-x-2,,,cls-cfms-adv6-p1,org-cfms,usr-missing,student,false,,\n",
        );
    let errors = rejected(&app, &bundle.zip());
    has_error(
        &errors,
        "users.csv",
        None,
        Some("grades"),
        "unknown grade code \"8\"",
    );
    has_error(
        &errors,
        "users.csv",
        Some(49),
        Some("orgSourcedIds"),
        "unknown org \"org-nowhere\"",
    );
    has_error(
        &errors,
        "users.csv",
        Some(50),
        Some("sourcedId"),
        "duplicate sourcedId",
    );
    has_error(
        &errors,
        "users.csv",
        Some(51),
        Some("dateLastModified"),
        "bad date-time",
    );
    has_error(
        &errors,
        "enrollments.csv",
        None,
        Some("classSourcedId"),
        "unknown class \"cls-missing\"",
    );
    has_error(
        &errors,
        "enrollments.csv",
        None,
        Some("userSourcedId"),
        "unknown user \"usr-missing\"",
    );
}

#[test]
fn non_utf8_bytes_are_reported_not_guessed() {
    let app = TestApp::spawn();
    let mut bundle = Bundle::sample();
    let mut users = bundle.files["users.csv"].clone();
    // "Zoë" saved as Latin-1: the byte 0xEB is not UTF-8.
    let line = b"usr-x-9,,,true,org-cfms,student,cf.latin,,Zo\xeb,Lat,,,,,,,07,\n";
    users.extend_from_slice(line);
    bundle.set("users.csv", users);
    let errors = rejected(&app, &bundle.zip());
    has_error(
        &errors,
        "users.csv",
        Some(49),
        Some("givenName"),
        "not valid UTF-8",
    );
}

#[test]
fn a_school_of_another_district_org_is_refused() {
    let app = TestApp::spawn();
    let mut bundle = Bundle::sample();
    bundle.append(
        "orgs.csv",
        "org-other-district,,,Elsewhere Unified,district,EU,\n\
         org-other-school,,,Elsewhere Middle School,school,EMS,org-other-district\n",
    );
    let errors = rejected(&app, &bundle.zip());
    has_error(
        &errors,
        "orgs.csv",
        None,
        Some("type"),
        "several district orgs",
    );

    // Once the district is bound to its org, a second district org is simply foreign.
    let token = app.login(DISTRICT_ADMIN);
    import_ok(&app, &token, &Bundle::sample());
    let errors = rejected(&app, &bundle.zip());
    has_error(
        &errors,
        "orgs.csv",
        Some(6),
        Some("parentSourcedId"),
        "not to the district being imported into",
    );
}

#[test]
fn an_oversized_upload_is_refused_before_it_is_read() {
    let app = TestApp::spawn_with(|c| c.import_max_bytes = 2_000);
    let token = app.login(DISTRICT_ADMIN);
    let r = upload_bytes(
        &app,
        &token,
        &demo_district(),
        &Bundle::sample().zip(),
        false,
    );
    let body = r.problem(413);
    assert!(body["detail"].as_str().unwrap().contains("2000"), "{body}");
}

#[test]
fn a_zip_bomb_is_stopped_at_the_uncompressed_limit() {
    let app = TestApp::spawn_with(|c| c.import_max_uncompressed_bytes = 200_000);
    let mut bundle = Bundle::sample();
    // Two megabytes of one repeated line compress to a few kilobytes.
    let filler = "usr-pad,,,true,org-cfms,teacher,cf.pad,,Pad,Ding,,,,,,,,\n".repeat(40_000);
    bundle.append("users.csv", &filler);
    let zipped = bundle.zip();
    assert!(zipped.len() < 100_000, "the bomb should compress well");
    let errors = rejected(&app, &zipped);
    has_error(
        &errors,
        "bundle",
        None,
        None,
        "IMPORT_MAX_UNCOMPRESSED_BYTES",
    );
}

#[test]
fn only_a_district_administrator_imports_and_only_into_their_district() {
    let app = TestApp::spawn();
    let zip = Bundle::sample().zip();
    let district = demo_district();
    for who in [
        demo_login("school_admin", MIDDLE),
        demo_login("counselor", MIDDLE),
        demo_login("teacher", MIDDLE),
        demo_login("student", MIDDLE),
    ] {
        let token = app.login(&who);
        upload_bytes(&app, &token, &district, &zip, false).problem(403);
    }
    let (content_type, body) = crate::helpers::oneroster::multipart(&zip);
    let anonymous = app.request(
        "POST",
        &format!("/api/v1/districts/{district}/imports/oneroster"),
        None,
        &[("Content-Type", &content_type)],
        Some(&body),
    );
    anonymous.problem(401);
    // A district administrator of another district cannot even see this one.
    let other_admin = app.login("hp.admin");
    upload_bytes(&app, &other_admin, &district, &zip, false).problem(404);
    // Nor can this district's administrator import into the other one.
    let token = app.login(DISTRICT_ADMIN);
    upload_bytes(&app, &token, &district_id(OTHER_DISTRICT), &zip, false).problem(404);
    assert_eq!(imported_users(&mut app.conn()), 0);
}

#[test]
fn an_upload_without_the_file_field_or_not_multipart_is_a_clear_4xx() {
    let app = TestApp::spawn();
    let token = app.login(DISTRICT_ADMIN);
    let path = format!("/api/v1/districts/{}/imports/oneroster", demo_district());
    let r = app.post(&path, Some(&token), &serde_json::json!({"file": "x"}));
    let problem = r.problem(415);
    assert!(
        problem["detail"].as_str().unwrap().contains("multipart"),
        "{problem}"
    );
    let r = app.request(
        "POST",
        &path,
        Some(&token),
        &[("Content-Type", "application/zip")],
        Some(&Bundle::sample().zip()),
    );
    r.problem(415);
    let boundary = "b0";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nhello\r\n--{boundary}--\r\n"
    );
    let r = app.request(
        "POST",
        &path,
        Some(&token),
        &[(
            "Content-Type",
            &format!("multipart/form-data; boundary={boundary}"),
        )],
        Some(body.as_bytes()),
    );
    r.invalid_field("file");
    let r = app.request(
        "POST",
        &format!("{path}?dry_run=maybe"),
        Some(&token),
        &[(
            "Content-Type",
            &format!("multipart/form-data; boundary={boundary}"),
        )],
        Some(body.as_bytes()),
    );
    assert_eq!(r.status / 100, 4, "{}", r.text);
}

#[test]
fn usernames_may_move_between_accounts_in_one_import_and_access_changes_are_audited() {
    let app = TestApp::spawn();
    let token = app.login(DISTRICT_ADMIN);
    import_ok(&app, &token, &Bundle::sample());
    let mut conn = app.conn();
    let (first, _, _, _) = user_by_source(&mut conn, "usr-s-0001");
    let (second, _, _, _) = user_by_source(&mut conn, "usr-s-0002");
    // usr-s-0002 takes usr-s-0001's username, which moves on to a new one; its row comes later.
    let mut bundle = Bundle::sample();
    bundle.edit("users.csv", |t| {
        t.replacen(&format!(",{first},"), ",cf.renamed.first,", 1)
            .replacen(&format!(",{second},"), &format!(",{first},"), 1)
    });
    let report = import_ok(&app, &token, &bundle);
    assert_eq!(report["users"]["updated"], 2, "{report}");
    assert_eq!(
        user_by_source(&mut conn, "usr-s-0001").0,
        "cf.renamed.first"
    );
    assert_eq!(user_by_source(&mut conn, "usr-s-0002").0, first);

    // A student withdrawn by the SIS: the change of access is in the audit trail, per account.
    let mut withdrawn = bundle.clone();
    withdrawn.drop_rows("users.csv", &["usr-s-0003"]);
    import_ok(&app, &token, &withdrawn);
    let events = app
        .get(
            "/api/v1/audit-events?action=user.access_changed",
            Some(&token),
        )
        .json();
    let (id,): (String,) = users::table
        .filter(users::source_id.eq("usr-s-0003"))
        .select((users::id,))
        .first(&mut conn)
        .unwrap();
    let change = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["scope"]["user_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no event for the withdrawn student: {events}"));
    assert_eq!(
        change["scope"]["active"],
        serde_json::json!({"from": true, "to": false})
    );
    assert_eq!(change["scope"]["source"], "roster.import");
}

#[test]
fn a_school_renamed_to_another_schools_name_is_reported() {
    let app = TestApp::spawn();
    let token = app.login(DISTRICT_ADMIN);
    import_ok(&app, &token, &Bundle::sample());
    let mut bundle = Bundle::sample();
    bundle.edit("orgs.csv", |t| {
        t.replace("Maple Ridge Elementary School", "Cedar Falls Middle School")
    });
    let errors = rejected(&app, &bundle.zip());
    has_error(&errors, "orgs.csv", None, Some("name"), "already named");
}

/// Grade TK (transitional kindergarten) is imported as kindergarten with a notice; a student
/// whom a bulk import moves to a grade securebase does not serve is deactivated, and named.
#[test]
fn tk_is_kindergarten_and_a_student_moved_to_an_unserved_grade_is_named() {
    let app = TestApp::spawn();
    let token = app.login(DISTRICT_ADMIN);
    let mut bundle = Bundle::sample();
    let tk = user_line(&bundle, "usr-s-0025");
    bundle.edit("users.csv", |text| {
        text.replace(&tk.join(","), &{
            let mut row = tk.clone();
            row[16] = "TK".to_owned();
            row.join(",")
        })
    });
    let report = import_ok(&app, &token, &bundle);
    let notices = report["notices"].to_string();
    assert!(notices.contains("grade TK"), "{notices}");
    let (_, active, _, grade) = user_by_source(&mut app.conn(), "usr-s-0025");
    assert!(active);
    assert_eq!(grade, Some(0));
    // Moved to pre-kindergarten by the next bulk export: deactivated, and the report says who.
    let line = user_line(&bundle, "usr-s-0002");
    bundle.edit("users.csv", |text| {
        text.replace(&line.join(","), &{
            let mut row = line.clone();
            row[16] = "PK".to_owned();
            row.join(",")
        })
    });
    let report = import_ok(&app, &token, &bundle);
    let notices = report["notices"].to_string();
    assert!(
        notices
            .contains("student usr-s-0002 (cf.mherrera) is deactivated: grade PK is outside KG-12"),
        "{notices}"
    );
    assert_eq!(report["users"]["deactivated"], 1, "{report}");
    let (_, active, _, _) = user_by_source(&mut app.conn(), "usr-s-0002");
    assert!(!active);
}

/// An enrollment counts only between its dates: one that ended before the import (a dropped
/// student, often still `active`) and one that begins after it are imported inactive, counted in
/// the notices; re-importing changes nothing, and the dropped student is not in the class.
#[test]
fn enrollments_outside_their_dates_are_imported_inactive() {
    let app = TestApp::spawn();
    let token = app.login(DISTRICT_ADMIN);
    let today = chrono::Utc::now().date_naive();
    let yesterday = (today - chrono::TimeDelta::days(1)).to_string();
    let tomorrow = (today + chrono::TimeDelta::days(1)).to_string();
    let mut bundle = Bundle::sample();
    bundle.edit("enrollments.csv", |text| {
        text.lines()
            .map(|line| {
                let mut f: Vec<String> = line.split(',').map(str::to_owned).collect();
                if f[0] == "enr-0008" || f[0] == "enr-0001" {
                    // A dropped student, and a teacher who left the class.
                    f[1] = "active".to_owned();
                    f[9] = yesterday.clone();
                } else if f[0] == "enr-0009" {
                    f[8] = tomorrow.clone();
                }
                format!("{}\n", f.join(","))
            })
            .collect()
    });
    let report = import_ok(&app, &token, &bundle);
    let notices = report["notices"].to_string();
    assert!(
        notices.contains("2 enrollment(s) with an endDate before"),
        "{notices}"
    );
    assert!(
        notices.contains("1 enrollment(s) with a beginDate after"),
        "{notices}"
    );
    let mut conn = app.conn();
    let active_of = |conn: &mut DbConnection, enrollment: &str| -> bool {
        let line = Bundle::sample()
            .text("enrollments.csv")
            .lines()
            .find(|l| l.starts_with(&format!("{enrollment},")))
            .unwrap()
            .to_owned();
        let f: Vec<&str> = line.split(',').collect();
        let class: String = classes::table
            .filter(classes::source_id.eq(f[3]))
            .select(classes::id)
            .first(conn)
            .unwrap();
        let student: String = users::table
            .filter(users::source_id.eq(f[5]))
            .select(users::id)
            .first(conn)
            .unwrap();
        enrollments::table
            .filter(enrollments::class_id.eq(class))
            .filter(enrollments::student_id.eq(student))
            .select(enrollments::active)
            .first(conn)
            .unwrap()
    };
    assert!(!active_of(&mut conn, "enr-0008"), "dropped: inactive");
    assert!(!active_of(&mut conn, "enr-0009"), "not begun: inactive");
    assert!(active_of(&mut conn, "enr-0010"));
    // The same bundle again changes nothing.
    let again = import_ok(&app, &token, &bundle);
    assert_eq!(again["enrollments"]["updated"], 0, "{again}");
    assert_eq!(again["enrollments"]["created"], 0, "{again}");
    assert_eq!(again["class_teachers"]["created"], 0, "{again}");
    let teachers_of_class: i64 = class_teachers::table
        .inner_join(classes::table)
        .filter(classes::source_id.eq("cls-cfms-adv6-p1"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(teachers_of_class, 0, "the teacher who left has no access");
    // A bad date is a problem with its line and column.
    let mut bad = Bundle::sample();
    bad.edit("enrollments.csv", |text| {
        text.replacen(",2026-08-17,", ",2026-13-01,", 1)
    });
    let errors = rejected(&app, &bad.zip());
    has_error(
        &errors,
        "enrollments.csv",
        Some(2),
        Some("beginDate"),
        "bad date",
    );
}

/// Academic sessions keep their type and parent; a class of both semesters is linked to the
/// school year holding them (it does not end in January); sessions no class is in (a grading
/// period) are kept as parts of the calendar but not offered as terms, nor as the current term.
#[test]
fn sessions_keep_type_and_parent_and_year_long_classes_span_the_year() {
    let app = TestApp::spawn();
    let token = app.login(DISTRICT_ADMIN);
    let today = chrono::Utc::now().date_naive();
    let mut bundle = Bundle::sample();
    bundle.edit("academicSessions.csv", |text| {
        format!(
            "{text}as-q1,,,Q1,gradingPeriod,{},{},as-fall-2026,2027\n\
             as-lone,,,Summer bridge,term,2027-06-14,2027-07-30,,2027\n\
             as-orphan,,,Intersession,term,2027-01-23,2027-01-24,as-nowhere,2027\n",
            today - chrono::TimeDelta::days(10),
            today + chrono::TimeDelta::days(10),
        )
    });
    // A class of two sessions that are not parts of one: linked to the first, with a notice.
    bundle.edit("classes.csv", |text| {
        text.lines()
            .map(|l| {
                if l.starts_with("cls-cfms-adv7-p1,") {
                    l.replacen(",as-fall-2026,", ",\"as-fall-2026,as-lone\",", 1)
                } else {
                    l.to_owned()
                }
            })
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    });
    let report = import_ok(&app, &token, &bundle);
    let notices = report["notices"].to_string();
    assert!(
        notices.contains("1 class(es) listing several sessions"),
        "{notices}"
    );
    assert!(
        notices.contains("cls-cfms-adv7-p1") && notices.contains("not parts of one session"),
        "{notices}"
    );
    assert!(notices.contains("Q1 (gradingPeriod)"), "{notices}");
    assert!(
        notices.contains("names parent \\\"as-nowhere\\\""),
        "{notices}"
    );
    let mut conn = app.conn();
    let term_of =
        |conn: &mut DbConnection, source: &str| -> (String, Option<String>, Option<String>) {
            terms::table
                .filter(terms::source_id.eq(source))
                .select((terms::id, terms::session_type, terms::parent_id))
                .first(conn)
                .unwrap_or_else(|e| panic!("term {source}: {e}"))
        };
    let (year, year_type, year_parent) = term_of(&mut conn, "as-2027");
    assert_eq!(
        (year_type.as_deref(), year_parent),
        (Some("schoolYear"), None)
    );
    let (fall, fall_type, fall_parent) = term_of(&mut conn, "as-fall-2026");
    assert_eq!(fall_type.as_deref(), Some("semester"));
    assert_eq!(fall_parent.as_deref(), Some(year.as_str()));
    let (q1, _, q1_parent) = term_of(&mut conn, "as-q1");
    assert_eq!(q1_parent.as_deref(), Some(fall.as_str()));
    let class_term = |conn: &mut DbConnection, source: &str| -> String {
        classes::table
            .filter(classes::source_id.eq(source))
            .select(classes::term_id)
            .first(conn)
            .unwrap()
    };
    assert_eq!(class_term(&mut conn, "cls-cfms-ela7-p3"), year, "year-long");
    assert_eq!(class_term(&mut conn, "cls-cfms-adv7-p1"), fall);
    // The terms offered: those classes are in (and those made here), not Q1 nor the lone term.
    let listed = |query: &str| -> Vec<String> {
        let r = app.get(&format!("/api/v1/terms?limit=200{query}"), Some(&token));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let offered = listed("");
    assert!(offered.contains(&year) && offered.contains(&fall));
    assert!(!offered.contains(&q1), "{offered:?}");
    let all = listed("&include_parents=true");
    assert!(all.contains(&q1));
    // Q1 runs today, but the current term (SEL activity's default) is one classes are in.
    let school: String = schools::table
        .filter(schools::source_id.eq("org-cfms"))
        .select(schools::id)
        .first(&mut conn)
        .unwrap();
    let activity = app.get(
        &format!("/api/v1/reports/schools/{school}/sel-activity"),
        Some(&token),
    );
    assert_eq!(activity.status, 200, "{}", activity.text);
    assert_ne!(activity.json()["term"]["id"], q1.as_str());
    // Nor the school year that starts with the fall semester: of terms starting together, the
    // shorter one is the current term.
    assert_ne!(activity.json()["term"]["id"], year.as_str());
    // The same bundle again changes no term.
    let again = import_ok(&app, &token, &bundle);
    assert_eq!(again["terms"]["updated"], 0, "{again}");
    assert_eq!(again["classes"]["updated"], 0, "{again}");
    // A session type outside OneRoster's is a problem on its line.
    let mut bad = Bundle::sample();
    bad.edit("academicSessions.csv", |t| {
        t.replacen(",schoolYear,", ",year,", 1)
    });
    let errors = rejected(&app, &bad.zip());
    has_error(
        &errors,
        "academicSessions.csv",
        Some(2),
        Some("type"),
        "unknown session type",
    );
}
