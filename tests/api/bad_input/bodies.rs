//! JSON bodies on every write route: the tables themselves, malformed JSON, wrong types, unknown
//! and missing fields, sizes and media types, invalid values.

use super::*;

// ---------------------------------------------------------------------------------------------
// The tables themselves: every write route is covered, and every base body is valid
// ---------------------------------------------------------------------------------------------

#[test]
fn the_tables_cover_every_write_route_of_the_openapi_document() {
    let db = TestDb::create();
    let mut conn = securebase::db::establish(db.url()).expect("connect to the test database");
    let fx = fixtures(&mut conn);
    let mut covered: Vec<String> = write_routes(&fx)
        .iter()
        .map(|r| r.label.to_owned())
        .collect();
    // The write routes without a body, covered by their own tests below.
    covered.push("DELETE /api/v1/classes/{id}/enrollments/{student_id}".to_owned());
    covered.push("POST /api/v1/lesson-plans/{id}/publish".to_owned());
    covered.push("POST /api/v1/survey-instruments/{id}/publish".to_owned());
    // A multipart upload, not JSON: its malformed bundles are covered in tests/oneroster.rs.
    covered.push("POST /api/v1/districts/{id}/imports/oneroster".to_owned());
    covered.sort();
    let doc = serde_json::to_value(securebase::app::openapi()).unwrap();
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["post", "patch", "put", "delete"].contains(&method.as_str())
                && path.starts_with("/api/v1/")
            {
                documented.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    documented.sort();
    assert_eq!(
        covered, documented,
        "add new write routes to write_routes() so bad input is checked on them"
    );
}

#[test]
fn every_base_body_of_the_tables_is_accepted() {
    let app = TestApp::spawn();
    let mut conn = app.conn();
    let fx = fixtures(&mut conn);
    let tokens: HashMap<&str, String> = [ADMIN, TEACHER, STUDENT, COUNSELOR, PRINCIPAL]
        .into_iter()
        .map(|user| (user, app.login(user)))
        .collect();
    #[rustfmt::skip]
    let expected: &[(&str, u16)] = &[
        ("POST /api/v1/auth/login", 200),
        ("POST /api/v1/auth/refresh", 401), // a well-formed but unknown token
        ("POST /api/v1/auth/logout", 204),
        ("PATCH /api/v1/districts/{id}", 200),
        ("POST /api/v1/schools", 201),
        ("PATCH /api/v1/schools/{id}", 200),
        ("POST /api/v1/terms", 201),
        ("PATCH /api/v1/terms/{id}", 200),
        ("POST /api/v1/users", 201),
        ("PATCH /api/v1/users/{id}", 200),
        ("POST /api/v1/classes", 201),
        ("PATCH /api/v1/classes/{id}", 200),
        ("POST /api/v1/classes/{id}/enrollments", 201),
        ("POST /api/v1/lesson-plans", 201),
        ("PATCH /api/v1/lesson-plans/{id}", 200),
        ("POST /api/v1/classes/{id}/assignments", 201),
        ("PATCH /api/v1/assignments/{id}", 200),
        ("PUT /api/v1/assignments/{id}/completion", 201), // the first completion
        ("POST /api/v1/survey-instruments", 201), // version 2 of the starter questionnaire
        ("POST /api/v1/survey-windows", 201),
        ("POST /api/v1/survey-windows/{id}/opt-outs", 201), // the first opt-out
        ("POST /api/v1/survey-windows/{id}/responses", 201), // the first answer
        ("POST /api/v1/mentoring/programs", 201),
        ("POST /api/v1/mentoring/programs/{id}/participants", 201),
        ("POST /api/v1/mentoring/do-not-match", 201),
        ("POST /api/v1/mentoring/programs/{id}/matches", 201),
        ("PATCH /api/v1/mentoring/matches/{id}", 200),
        ("POST /api/v1/mentoring/matches/{id}/meetings", 201),
        ("POST /api/v1/me/password", 204),
        // A well-formed but unknown code.
        ("POST /api/v1/auth/activate", 422),
        ("POST /api/v1/schools/{id}/activation-codes", 201),
        ("POST /api/v1/users/{id}/activation-code", 201),
        ("POST /api/v1/districts/{id}/identity-providers", 201),
        ("PATCH /api/v1/identity-providers/{id}", 200),
        // A well-formed but unknown one-time code.
        ("POST /api/v1/auth/oidc/token", 401),
        ("PUT /api/v1/districts/{id}/retention", 200),
        ("PUT /api/v1/me/check-ins", 200),
        ("POST /api/v1/help-requests", 201),
        ("PATCH /api/v1/help-requests/{id}", 200),
        ("PUT /api/v1/districts/{id}/support-settings", 200),
        ("POST /api/v1/goals", 201),
        ("PATCH /api/v1/goals/{id}", 200),
        ("POST /api/v1/goals/{id}/reviews", 201),
        ("POST /api/v1/students/{id}/goals", 201),
        ("POST /api/v1/me/goals/{id}/progress", 200),
    ];
    let routes = write_routes(&fx);
    assert_eq!(expected.len(), routes.len());
    for (label, status) in expected {
        let route = route(&routes, label);
        let r = app.send(
            route.method,
            &route.path,
            route.caller.map(|user| tokens[user].as_str()),
            &route.valid,
        );
        assert_eq!(r.status, *status, "{label} with its base body: {}", r.text);
    }
}

// ---------------------------------------------------------------------------------------------
// Malformed JSON → 400
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_json_is_400_on_every_write_route() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    for route in &write_routes(&fx) {
        let valid = serde_json::to_string(&route.valid).unwrap();
        let first = route
            .valid
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        #[rustfmt::skip]
        let bodies: Vec<(&str, Vec<u8>)> = vec![
            ("empty body",           Vec::new()),
            ("whitespace only",      b"  \n ".to_vec()),
            ("truncated",            valid.as_bytes()[..valid.len() - 1].to_vec()),
            ("unclosed string",      format!("{{\"{first}\": \"abc").into_bytes()),
            ("missing value",        format!("{{\"{first}\": }}").into_bytes()),
            ("trailing comma",       format!("{},}}", &valid[..valid.len() - 1]).into_bytes()),
            ("single quotes",        format!("{{'{first}': 'x'}}").into_bytes()),
            ("unquoted key",         format!("{{{first}: \"x\"}}").into_bytes()),
            ("bare word",            b"hello".to_vec()),
            ("NaN literal",          format!("{{\"{first}\": NaN}}").into_bytes()),
            ("trailing garbage",     format!("{valid} x").into_bytes()),
            ("two documents",        format!("{valid}{valid}").into_bytes()),
            ("lone surrogate",       format!("{{\"{first}\": \"\\ud800\"}}").into_bytes()),
            ("raw control char",     format!("{{\"{first}\": \"a\u{1}b\"}}").into_bytes()),
            ("invalid UTF-8",        [format!("{{\"{first}\": \"").as_bytes(), b"\xff\xfe", b"\"}"].concat()),
            ("UTF-16 with BOM",      b"\xff\xfe{\x00}\x00".to_vec()),
        ];
        for (case, body) in bodies {
            bench.json(route, case, &body, Want::Problem(400));
        }
    }
    bench.finish("malformed JSON");
}

// ---------------------------------------------------------------------------------------------
// Wrong JSON types → 422 naming the field
// ---------------------------------------------------------------------------------------------

/// Values of the wrong JSON type for a field whose valid value is `v`.
fn wrong_types(v: &Value) -> Vec<(&'static str, Value)> {
    match v {
        Value::String(_) => vec![
            ("number for string", json!(42)),
            ("object for string", json!({"x": 1})),
        ],
        Value::Number(_) => vec![
            ("string for integer", json!("7")),
            ("float for integer", json!(7.5)),
        ],
        Value::Bool(_) => vec![
            ("string for boolean", json!("true")),
            ("number for boolean", json!(1)),
        ],
        Value::Array(_) => vec![
            ("string for list", json!("x")),
            ("object for list", json!({"0": "x"})),
        ],
        _ => vec![],
    }
}

#[test]
fn wrong_json_types_are_422_naming_the_field() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let routes = write_routes(&fx);
    for route in &routes {
        for (field, value) in route.valid.as_object().unwrap() {
            for (case, wrong) in wrong_types(value) {
                let body = route.with(json!({ field: wrong }));
                bench.value(
                    route,
                    &format!("{field}: {case}"),
                    &body,
                    Want::Invalid(field),
                );
            }
        }
        for field in route.required {
            let body = route.with(json!({ *field: null }));
            bench.value(
                route,
                &format!("{field}: null"),
                &body,
                Want::Invalid(field),
            );
        }
        // The body itself of the wrong type.
        for (case, body) in [
            ("array", json!([])),
            ("string", json!("x")),
            ("number", json!(1)),
            ("null", json!(null)),
        ] {
            bench.value(route, &format!("body is {case}"), &body, Want::Problem(422));
        }
    }
    // Elements of a list are named by index.
    let classes = route(&routes, "POST /api/v1/classes");
    let body = classes.with(json!({"teacher_ids": [fx.samuel, 7]}));
    bench.value(
        classes,
        "teacher_ids element of wrong type",
        &body,
        Want::Invalid("teacher_ids[1]"),
    );
    let patch = route(&routes, "PATCH /api/v1/classes/{id}");
    let body = patch.with(json!({"teacher_ids": [null]}));
    bench.value(
        patch,
        "teacher_ids element null",
        &body,
        Want::Invalid("teacher_ids[0]"),
    );
    // Integers that do not fit.
    let schools = route(&routes, "POST /api/v1/schools");
    for (case, n) in [
        ("2^31", json!(2_147_483_648_i64)),
        ("-2^63", json!(i64::MIN)),
        ("u64 max", json!(u64::MAX)),
    ] {
        let body = schools.with(json!({"low_grade": n}));
        bench.value(
            schools,
            &format!("low_grade {case}"),
            &body,
            Want::Invalid("low_grade"),
        );
    }
    bench.finish("wrong JSON types");
}

// ---------------------------------------------------------------------------------------------
// Unknown and missing fields → 422 naming the field
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_fields_are_422_naming_the_field() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    for route in &write_routes(&fx) {
        let first = route
            .valid
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        let shouting = first.to_uppercase();
        #[rustfmt::skip]
        let extras: Vec<(String, Value)> = vec![
            ("zzz_extra".into(),  json!(true)),
            ("id".into(),         json!("00000000-0000-0000-0000-000000000000")),
            ("created_at".into(), json!("2020-01-01T00:00:00Z")),
            ("district_id".into(), json!("someone-else")),
            (shouting,            json!("x")),
        ];
        for (extra, value) in extras {
            let body = route.with(json!({ extra.clone(): value }));
            bench.value(
                route,
                &format!("unknown field {extra}"),
                &body,
                Want::Invalid(&extra),
            );
        }
    }
    bench.finish("unknown fields");
}

#[test]
fn missing_required_fields_are_422_naming_the_field() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    for route in &write_routes(&fx) {
        for field in route.required {
            let body = route.without(field);
            bench.value(
                route,
                &format!("without {field}"),
                &body,
                Want::Invalid(field),
            );
        }
        if !route.required.is_empty() {
            bench.value(
                route,
                "empty object",
                &json!({}),
                Want::InvalidOneOf(route.required),
            );
        }
    }
    bench.finish("missing fields");
}

// ---------------------------------------------------------------------------------------------
// Size limits → 413; media types → 415
// ---------------------------------------------------------------------------------------------

#[test]
fn bodies_over_the_default_limit_are_413() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    for route in &write_routes(&fx) {
        // One byte over, and far over.
        bench.json(
            route,
            "64 KiB + 1",
            &padded(&route.valid, DEFAULT_LIMIT + 1),
            Want::Problem(413),
        );
        bench.json(
            route,
            "1 MiB",
            &padded(&route.valid, 1024 * 1024),
            Want::Problem(413),
        );
        // Exactly at the limit the body is read: this one is refused for its unknown field.
        let at_limit = padded(&route.with(json!({"zzz_extra": 1})), DEFAULT_LIMIT);
        bench.json(
            route,
            "exactly 64 KiB",
            &at_limit,
            Want::Invalid("zzz_extra"),
        );
        // Without Content-Length (chunked), the limit holds while reading.
        if route.caller.is_some() {
            let body = padded(&route.valid, DEFAULT_LIMIT + 1);
            bench.chunked(route, "chunked, 64 KiB + 1", &body, Want::Problem(413));
        }
    }
    bench.finish("default body limit");
}

#[test]
fn a_configured_smaller_limit_is_enforced_at_its_boundary() {
    let app = TestApp::spawn_with(|c| c.max_json_body = 1024);
    let mut bench = Bench::new(app);
    let fx = bench.fixtures();
    let routes = write_routes(&fx);
    for route in &routes {
        let base = fitting(&route.valid, 1024);
        if base != route.valid {
            // A full answer sheet is itself over this limit.
            bench.json(
                route,
                "full base body over 1024 bytes",
                &serde_json::to_vec(&route.valid).unwrap(),
                Want::Problem(413),
            );
        }
        let with_extra = |body: &Value| {
            let mut body = body.clone();
            body["zzz_extra"] = json!(1);
            body
        };
        bench.json(
            route,
            "1025 bytes",
            &padded(&base, 1025),
            Want::Problem(413),
        );
        let at_limit = padded(&with_extra(&base), 1024);
        bench.json(
            route,
            "exactly 1024 bytes",
            &at_limit,
            Want::Invalid("zzz_extra"),
        );
        if route.caller.is_some() {
            bench.chunked(
                route,
                "chunked, 1025 bytes",
                &padded(&base, 1025),
                Want::Problem(413),
            );
            let at_limit = padded(&with_extra(&base), 1024);
            bench.chunked(
                route,
                "chunked, exactly 1024 bytes",
                &at_limit,
                Want::Invalid("zzz_extra"),
            );
        }
    }
    // The 413 names the configured limit.
    let token = bench.token.clone();
    let schools = route(&routes, "POST /api/v1/schools");
    let body = padded(&schools.valid, 2000);
    let r = bench
        .app
        .request("POST", "/api/v1/schools", Some(&token), JSON, Some(&body));
    let problem = r.problem(413);
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("1024"),
        "the 413 names the limit: {problem}"
    );

    // A valid body of exactly the limit is accepted, with or without Content-Length.
    let before: i64 = schools::table.count().get_result(&mut bench.conn).unwrap();
    let body = padded(
        &json!({"name": "Boundary School", "low_grade": 0, "high_grade": 5}),
        1024,
    );
    let r = bench
        .app
        .request("POST", "/api/v1/schools", Some(&token), JSON, Some(&body));
    assert_eq!(
        r.status, 201,
        "a 1024-byte body under a 1024-byte limit: {}",
        r.text
    );
    let body = padded(
        &json!({"name": "Chunked School", "low_grade": 0, "high_grade": 5}),
        1024,
    );
    let (status, _, text) = send_chunked(&bench.app, "POST", "/api/v1/schools", &token, &body);
    assert_eq!(status, 201, "a chunked 1024-byte body: {text}");
    let after: i64 = schools::table.count().get_result(&mut bench.conn).unwrap();
    assert_eq!(after, before + 2, "both schools were stored");
    bench.forget();
    bench.finish("configured body limit");
}

#[test]
fn bodies_that_are_not_json_are_415() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    #[rustfmt::skip]
    let media_types: &[Option<&str>] = &[
        None,
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=xyz"),
        Some("application/xml"),
        Some("text/json"),
        Some("application/jsonp"),
        Some("application/octet-stream"),
        Some(""),
    ];
    for route in &write_routes(&fx) {
        let body = serde_json::to_vec(&route.valid).unwrap();
        for media_type in media_types {
            let headers: Vec<(&str, &str)> =
                media_type.iter().map(|m| ("Content-Type", *m)).collect();
            bench.send(
                &format!("{} [Content-Type {media_type:?}]", route.label),
                route.method,
                &route.path,
                route.caller,
                &headers,
                Some(&body),
                Want::Problem(415),
            );
        }
    }
    bench.finish("non-JSON media types");
}

#[test]
fn json_media_types_with_parameters_or_odd_case_are_accepted() {
    let app = TestApp::spawn();
    let token = app.login("denise.whitfield");
    let mut conn = app.conn();
    let fx = fixtures(&mut conn);
    for (i, media_type) in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
        "application/problem+json",
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("Riverbend Middle School {i}");
        let body = serde_json::to_vec(&json!({ "name": name })).unwrap();
        let r = app.request(
            "PATCH",
            &format!("/api/v1/schools/{}", fx.riverbend),
            Some(&token),
            &[("Content-Type", media_type)],
            Some(&body),
        );
        assert_eq!(r.status, 200, "Content-Type {media_type}: {}", r.text);
        let stored: String = schools::table
            .find(&fx.riverbend)
            .select(schools::name)
            .first(&mut conn)
            .unwrap();
        assert_eq!(stored, name, "Content-Type {media_type}");
    }
}

// ---------------------------------------------------------------------------------------------
// Invalid values → 422 naming the field
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_enum_values_are_422_naming_the_field() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let routes = write_routes(&fx);
    for label in ["POST /api/v1/users", "PATCH /api/v1/users/{id}"] {
        let route = route(&routes, label);
        for role in [
            "wizard",
            "Teacher",
            "TEACHER",
            "district-admin",
            " student",
            "",
            "admin",
        ] {
            let body = route.with(json!({ "role": role }));
            bench.value(
                route,
                &format!("role {role:?}"),
                &body,
                Want::Invalid("role"),
            );
        }
    }
    // The lesson vocabularies: a near miss is refused, naming the field and listing the
    // allowed values.
    #[rustfmt::skip]
    let lesson_enums: &[(&str, &str, &[&str], &str)] = &[
        ("competency", "self_awareness", &["self-awareness", "Self_Awareness", "empathy", "", "self_awareness "], "POST /api/v1/lesson-plans"),
        ("component", "emotional_regulation", &["emotional-regulation", "regulation", "SAFE_COMMUNICATION"], "POST /api/v1/lesson-plans"),
        ("grade_band", "K-2", &["K2", "k-2", "6–8", "6 - 8", "13-14", "PK"], "POST /api/v1/lesson-plans"),
        ("competency", "self_awareness", &["self awareness", "grit"], "PATCH /api/v1/lesson-plans/{id}"),
        ("component", "emotional_regulation", &["trust"], "PATCH /api/v1/lesson-plans/{id}"),
        ("grade_band", "K-2", &["9-11", "K-12"], "PATCH /api/v1/lesson-plans/{id}"),
        ("emotion", "calm", &["Calm", "ecstatic", "meh", "", "happy "], "PUT /api/v1/assignments/{id}/completion"),
        ("status", "cancelled", &["delivered", "Cancelled", "canceled", "done"], "PATCH /api/v1/assignments/{id}"),
    ];
    for (field, allowed, wrongs, label) in lesson_enums {
        let route = route(&routes, label);
        for wrong in *wrongs {
            let body = route.with(json!({ *field: wrong }));
            let case = format!("{field} {wrong:?}");
            bench.value(route, &case, &body, Want::InvalidListing(field, allowed));
        }
    }
    // The survey vocabularies, inside the items of a new questionnaire.
    let instruments = route(&routes, "POST /api/v1/survey-instruments");
    #[rustfmt::skip]
    let survey_enums: &[(&str, &str, &[&str])] = &[
        ("scale", "agreement_5", &["agreement5", "Agreement_5", "likert_5", "yes-no", "", "frequency_5 "]),
        ("indicator", "belonging", &["Belonging", "bullying", "wellbeing", "safety ", "peer-support"]),
    ];
    for (field, allowed, wrongs) in survey_enums {
        for wrong in *wrongs {
            let mut body = instruments.valid.clone();
            body["sections"][0]["items"][0][*field] = json!(wrong);
            let path = format!("sections[0].items[0].{field}");
            let case = format!("{field} {wrong:?}");
            bench.value(
                instruments,
                &case,
                &body,
                Want::InvalidListing(&path, allowed),
            );
        }
    }
    for wrong in ["politics", "Income", "mental_health", ""] {
        let mut body = instruments.valid.clone();
        body["sections"][0]["items"][1]["ppra_areas"] = json!(["income", wrong]);
        bench.value(
            instruments,
            &format!("ppra_areas {wrong:?}"),
            &body,
            Want::InvalidListing("sections[0].items[1].ppra_areas[1]", "income"),
        );
    }
    for query in ["role=wizard", "role=Teacher", "role=", "role=student%20"] {
        bench.send(
            &format!("GET /api/v1/users?{query}"),
            "GET",
            &format!("/api/v1/users?{query}"),
            Some(ADMIN),
            &[],
            None,
            Want::Invalid("role"),
        );
    }
    bench.finish("unknown enum values");
}

#[test]
fn out_of_range_and_invalid_values_are_422_naming_the_field() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let routes = write_routes(&fx);
    let long = |n: usize| "x".repeat(n);
    let many_ids: Vec<String> = (0..21).map(|i| format!("teacher-{i}")).collect();
    #[rustfmt::skip]
    let cases: Vec<(&str, &str, Value, &[&str])> = vec![
        ("POST /api/v1/schools", "low_grade -1",       json!({"low_grade": -1}), &["low_grade"]),
        ("POST /api/v1/schools", "high_grade 13",      json!({"high_grade": 13}), &["high_grade"]),
        ("POST /api/v1/schools", "low above high",     json!({"low_grade": 5, "high_grade": 2}), &["low_grade", "high_grade"]),
        ("POST /api/v1/schools", "empty name",         json!({"name": ""}), &["name"]),
        ("POST /api/v1/schools", "blank name",         json!({"name": "   "}), &["name"]),
        ("POST /api/v1/schools", "201-char name",      json!({"name": long(201)}), &["name"]),
        ("PATCH /api/v1/schools/{id}", "low_grade -1",   json!({"low_grade": -1}), &["low_grade"]),
        ("PATCH /api/v1/schools/{id}", "high_grade 13",  json!({"high_grade": 13}), &["high_grade"]),
        ("PATCH /api/v1/schools/{id}", "low above high", json!({"low_grade": 9, "high_grade": 8}), &["low_grade", "high_grade"]),
        ("PATCH /api/v1/schools/{id}", "blank name",     json!({"name": " \t "}), &["name"]),
        ("PATCH /api/v1/schools/{id}", "201-char name",  json!({"name": long(201)}), &["name"]),
        ("POST /api/v1/terms", "starts after it ends",   json!({"starts_on": "2027-12-18"}), &["starts_on", "ends_on"]),
        ("POST /api/v1/terms", "month 13",               json!({"starts_on": "2026-13-01"}), &["starts_on"]),
        ("POST /api/v1/terms", "February 30",            json!({"starts_on": "2026-02-30"}), &["starts_on"]),
        ("POST /api/v1/terms", "not a date",             json!({"starts_on": "tomorrow"}), &["starts_on"]),
        ("POST /api/v1/terms", "a timestamp",            json!({"ends_on": "2027-12-17T00:00:00Z"}), &["ends_on"]),
        ("POST /api/v1/terms", "US date",                json!({"ends_on": "12/17/2027"}), &["ends_on"]),
        ("POST /api/v1/terms", "empty name",             json!({"name": ""}), &["name"]),
        ("POST /api/v1/terms", "blank name",             json!({"name": "  "}), &["name"]),
        ("POST /api/v1/terms", "101-char name",          json!({"name": long(101)}), &["name"]),
        ("PATCH /api/v1/terms/{id}", "starts after it ends", json!({"starts_on": "2027-01-01", "ends_on": "2026-12-31"}), &["starts_on", "ends_on"]),
        ("PATCH /api/v1/terms/{id}", "bad date",         json!({"ends_on": "2026-12-32"}), &["ends_on"]),
        ("PATCH /api/v1/terms/{id}", "blank name",       json!({"name": " "}), &["name"]),
        ("POST /api/v1/users", "grade 13",               json!({"grade": 13}), &["grade"]),
        ("POST /api/v1/users", "grade -1",               json!({"grade": -1}), &["grade"]),
        ("POST /api/v1/users", "username too short",     json!({"username": "ab"}), &["username"]),
        ("POST /api/v1/users", "username too long",      json!({"username": long(65)}), &["username"]),
        ("POST /api/v1/users", "username uppercase",     json!({"username": "Probe.User"}), &["username"]),
        ("POST /api/v1/users", "username with space",    json!({"username": "probe user"}), &["username"]),
        ("POST /api/v1/users", "username with slash",    json!({"username": "probe/user"}), &["username"]),
        ("POST /api/v1/users", "bad email",              json!({"email": "not-an-email"}), &["email"]),
        ("POST /api/v1/users", "email without domain",   json!({"email": "probe@"}), &["email"]),
        ("POST /api/v1/users", "short password",         json!({"password": "short"}), &["password"]),
        ("POST /api/v1/users", "129-char password",      json!({"password": long(129)}), &["password"]),
        ("POST /api/v1/users", "empty given name",       json!({"given_name": ""}), &["given_name"]),
        ("POST /api/v1/users", "blank family name",      json!({"family_name": "  "}), &["family_name"]),
        ("POST /api/v1/users", "101-char family name",   json!({"family_name": long(101)}), &["family_name"]),
        ("POST /api/v1/users", "empty school_id",        json!({"school_id": ""}), &["school_id"]),
        ("POST /api/v1/users", "65-char school_id",      json!({"school_id": long(65)}), &["school_id"]),
        ("PATCH /api/v1/users/{id}", "grade 13",         json!({"grade": 13}), &["grade"]),
        ("PATCH /api/v1/users/{id}", "grade -1",         json!({"grade": -1}), &["grade"]),
        ("PATCH /api/v1/users/{id}", "bad email",        json!({"email": "nope"}), &["email"]),
        ("PATCH /api/v1/users/{id}", "blank given name", json!({"given_name": " "}), &["given_name"]),
        ("PATCH /api/v1/users/{id}", "empty school_id",  json!({"school_id": ""}), &["school_id"]),
        ("POST /api/v1/classes", "grade 13",             json!({"grade": 13}), &["grade"]),
        ("POST /api/v1/classes", "grade -1",             json!({"grade": -1}), &["grade"]),
        ("POST /api/v1/classes", "empty name",           json!({"name": ""}), &["name"]),
        ("POST /api/v1/classes", "blank name",           json!({"name": "   "}), &["name"]),
        ("POST /api/v1/classes", "21 teachers",          json!({"teacher_ids": many_ids}), &["teacher_ids"]),
        ("POST /api/v1/classes", "empty teacher id",     json!({"teacher_ids": [""]}), &["teacher_ids"]),
        ("POST /api/v1/classes", "empty school_id",      json!({"school_id": ""}), &["school_id"]),
        ("POST /api/v1/classes", "65-char term_id",      json!({"term_id": long(65)}), &["term_id"]),
        ("PATCH /api/v1/classes/{id}", "grade 13",       json!({"grade": 13}), &["grade"]),
        ("PATCH /api/v1/classes/{id}", "blank name",     json!({"name": " "}), &["name"]),
        ("PATCH /api/v1/classes/{id}", "21 teachers",    json!({"teacher_ids": many_ids}), &["teacher_ids"]),
        ("PATCH /api/v1/classes/{id}", "empty term_id",  json!({"term_id": ""}), &["term_id"]),
        ("POST /api/v1/classes/{id}/enrollments", "empty student_id",   json!({"student_id": ""}), &["student_id"]),
        ("POST /api/v1/classes/{id}/enrollments", "65-char student_id", json!({"student_id": long(65)}), &["student_id"]),
        ("PATCH /api/v1/districts/{id}", "empty name",    json!({"name": ""}), &["name"]),
        ("PATCH /api/v1/districts/{id}", "blank name",    json!({"name": "   "}), &["name"]),
        ("PATCH /api/v1/districts/{id}", "tab and newline name", json!({"name": "\t\n"}), &["name"]),
        ("PATCH /api/v1/districts/{id}", "201-char name", json!({"name": long(201)}), &["name"]),
        ("POST /api/v1/auth/login", "empty username",     json!({"username": ""}), &["username"]),
        ("POST /api/v1/auth/login", "empty password",     json!({"password": ""}), &["password"]),
        ("POST /api/v1/auth/login", "255-char username",  json!({"username": long(255)}), &["username"]),
        ("POST /api/v1/auth/login", "1025-char password", json!({"password": long(1025)}), &["password"]),
        ("POST /api/v1/auth/refresh", "empty token",      json!({"refresh_token": ""}), &["refresh_token"]),
        ("POST /api/v1/auth/refresh", "513-char token",   json!({"refresh_token": long(513)}), &["refresh_token"]),
        ("POST /api/v1/auth/logout", "empty token",       json!({"refresh_token": ""}), &["refresh_token"]),
        ("POST /api/v1/auth/logout", "513-char token",    json!({"refresh_token": long(513)}), &["refresh_token"]),
        ("POST /api/v1/me/password", "short new password",    json!({"new_password": "short"}), &["new_password"]),
        ("POST /api/v1/me/password", "129-char new password", json!({"new_password": long(129)}), &["new_password"]),
        ("POST /api/v1/me/password", "empty current password", json!({"current_password": ""}), &["current_password"]),
        ("POST /api/v1/lesson-plans", "empty title",             json!({"title": ""}), &["title"]),
        ("POST /api/v1/lesson-plans", "blank title",             json!({"title": "  \t"}), &["title"]),
        ("POST /api/v1/lesson-plans", "201-char title",          json!({"title": long(201)}), &["title"]),
        ("POST /api/v1/lesson-plans", "blank summary",           json!({"summary": " "}), &["summary"]),
        ("POST /api/v1/lesson-plans", "2001-char summary",       json!({"summary": long(2001)}), &["summary"]),
        ("POST /api/v1/lesson-plans", "steps add up to less",    json!({"duration_minutes": 25}), &["duration_minutes"]),
        ("POST /api/v1/lesson-plans", "steps add up to more",    json!({"duration_minutes": 15}), &["duration_minutes"]),
        ("POST /api/v1/lesson-plans", "duration 0",              json!({"duration_minutes": 0, "steps": []}), &["duration_minutes", "steps"]),
        ("POST /api/v1/lesson-plans", "duration 481",            json!({"duration_minutes": 481}), &["duration_minutes"]),
        ("POST /api/v1/lesson-plans", "duration -20",            json!({"duration_minutes": -20}), &["duration_minutes"]),
        ("POST /api/v1/lesson-plans", "no steps",                json!({"steps": []}), &["steps"]),
        ("POST /api/v1/lesson-plans", "21 steps",                json!({"duration_minutes": 21, "steps": vec![json!({"title": "s", "minutes": 1, "instructions": "i"}); 21]}), &["steps"]),
        ("POST /api/v1/lesson-plans", "step of 0 minutes",       json!({"steps": [{"title": "a", "minutes": 0, "instructions": "i"}, {"title": "b", "minutes": 20, "instructions": "i"}]}), &["steps[0].minutes"]),
        ("POST /api/v1/lesson-plans", "step of 241 minutes",     json!({"duration_minutes": 241, "steps": [{"title": "a", "minutes": 241, "instructions": "i"}]}), &["steps[0].minutes"]),
        ("POST /api/v1/lesson-plans", "step with blank title",   json!({"steps": [{"title": " ", "minutes": 20, "instructions": "i"}]}), &["steps[0].title"]),
        ("POST /api/v1/lesson-plans", "step without instructions", json!({"steps": [{"title": "a", "minutes": 20}]}), &["steps[0].instructions"]),
        ("POST /api/v1/lesson-plans", "step with unknown field", json!({"steps": [{"title": "a", "minutes": 20, "instructions": "i", "order": 1}]}), &["steps[0].order"]),
        ("POST /api/v1/lesson-plans", "step minutes as string",  json!({"steps": [{"title": "a", "minutes": "20", "instructions": "i"}]}), &["steps[0].minutes"]),
        ("POST /api/v1/lesson-plans", "no objectives",           json!({"objectives": []}), &["objectives"]),
        ("POST /api/v1/lesson-plans", "11 objectives",           json!({"objectives": vec!["o"; 11]}), &["objectives"]),
        ("POST /api/v1/lesson-plans", "blank objective",         json!({"objectives": ["ok", "  "]}), &["objectives"]),
        ("POST /api/v1/lesson-plans", "501-char objective",      json!({"objectives": [long(501)]}), &["objectives"]),
        ("POST /api/v1/lesson-plans", "21 materials",            json!({"materials": vec!["m"; 21]}), &["materials"]),
        ("POST /api/v1/lesson-plans", "empty material",          json!({"materials": [""]}), &["materials"]),
        ("POST /api/v1/lesson-plans", "blank reflection prompt", json!({"reflection_prompt": " "}), &["reflection_prompt"]),
        ("POST /api/v1/lesson-plans", "501-char reflection prompt", json!({"reflection_prompt": long(501)}), &["reflection_prompt"]),
        ("PATCH /api/v1/lesson-plans/{id}", "steps add up to less", json!({"duration_minutes": 40}), &["duration_minutes"]),
        ("PATCH /api/v1/lesson-plans/{id}", "blank title",       json!({"title": " "}), &["title"]),
        ("PATCH /api/v1/lesson-plans/{id}", "201-char title",    json!({"title": long(201)}), &["title"]),
        ("PATCH /api/v1/lesson-plans/{id}", "no steps",          json!({"steps": []}), &["steps"]),
        ("PATCH /api/v1/lesson-plans/{id}", "step of 0 minutes", json!({"steps": [{"title": "a", "minutes": 0, "instructions": "i"}, {"title": "b", "minutes": 35, "instructions": "i"}]}), &["steps[0].minutes"]),
        ("PATCH /api/v1/lesson-plans/{id}", "no objectives",     json!({"objectives": []}), &["objectives"]),
        ("PATCH /api/v1/lesson-plans/{id}", "duration 481",      json!({"duration_minutes": 481}), &["duration_minutes"]),
        ("PATCH /api/v1/lesson-plans/{id}", "archived null",     json!({"archived": null, "title": ""}), &["title"]),
        ("POST /api/v1/classes/{id}/assignments", "scheduled before the term", json!({"scheduled_on": "2026-08-16"}), &["scheduled_on"]),
        ("POST /api/v1/classes/{id}/assignments", "scheduled after the term",  json!({"scheduled_on": "2026-12-19", "due_on": null}), &["scheduled_on"]),
        ("POST /api/v1/classes/{id}/assignments", "scheduled next term",       json!({"scheduled_on": "2027-01-12", "due_on": null}), &["scheduled_on"]),
        ("POST /api/v1/classes/{id}/assignments", "due after the term",        json!({"due_on": "2026-12-19"}), &["due_on"]),
        ("POST /api/v1/classes/{id}/assignments", "due before scheduled",      json!({"due_on": "2026-11-30"}), &["due_on"]),
        ("POST /api/v1/classes/{id}/assignments", "February 30",               json!({"scheduled_on": "2026-02-30"}), &["scheduled_on"]),
        ("POST /api/v1/classes/{id}/assignments", "a timestamp",               json!({"due_on": "2026-12-04T00:00:00Z"}), &["due_on"]),
        ("POST /api/v1/classes/{id}/assignments", "US date",                   json!({"scheduled_on": "12/01/2026"}), &["scheduled_on"]),
        ("POST /api/v1/classes/{id}/assignments", "empty plan_id",             json!({"plan_id": ""}), &["plan_id"]),
        ("POST /api/v1/classes/{id}/assignments", "65-char plan_id",           json!({"plan_id": long(65)}), &["plan_id"]),
        ("POST /api/v1/classes/{id}/assignments", "unknown plan_id",           json!({"plan_id": "no-such-plan"}), &["plan_id"]),
        ("PATCH /api/v1/assignments/{id}", "scheduled before the term", json!({"scheduled_on": "2026-08-01"}), &["scheduled_on"]),
        ("PATCH /api/v1/assignments/{id}", "scheduled after the term",  json!({"scheduled_on": "2026-12-21", "due_on": "2026-12-22"}), &["scheduled_on"]),
        ("PATCH /api/v1/assignments/{id}", "due after the term",        json!({"due_on": "2027-01-04"}), &["due_on"]),
        ("PATCH /api/v1/assignments/{id}", "due before scheduled",      json!({"due_on": "2026-11-23"}), &["due_on"]),
        ("PATCH /api/v1/assignments/{id}", "delivered in the future",   json!({"delivered_on": "2099-01-01"}), &["delivered_on"]),
        ("PATCH /api/v1/assignments/{id}", "not a date",                json!({"delivered_on": "yesterday"}), &["delivered_on"]),
        ("PATCH /api/v1/assignments/{id}", "blank note",                json!({"teacher_note": "  "}), &["teacher_note"]),
        ("PATCH /api/v1/assignments/{id}", "2001-char note",            json!({"teacher_note": long(2001)}), &["teacher_note"]),
        ("PUT /api/v1/assignments/{id}/completion", "1001-char reflection", json!({"reflection": long(1001)}), &["reflection"]),
        ("PUT /api/v1/assignments/{id}/completion", "1001 emoji",           json!({"reflection": "😀".repeat(1001)}), &["reflection"]),
    ];
    for (label, case, changes, fields) in cases {
        let route = route(&routes, label);
        let body = route.with(changes);
        bench.value(route, case, &body, Want::InvalidOneOf(fields));
    }

    // The survey routes.
    let sheet = &fx.answer_sheet;
    let item0 = sheet[0]["item_id"].clone();
    let yes_no = fx.yes_no_item;
    let yes_no_value = format!("answers[{yes_no}].value");
    let answers_with = |i: usize, answer: Value| {
        let mut answers = sheet.clone();
        answers[i] = answer;
        json!({ "answers": answers })
    };
    let one_item = |changes: Value| {
        let mut item =
            json!({"prompt": "I feel safe here.", "scale": "agreement_5", "indicator": "safety"});
        for (k, v) in changes.as_object().unwrap() {
            item[k] = v.clone();
        }
        json!({"sections": [{"title": "Pulse", "items": [item]}]})
    };
    let small_item = json!({"prompt": "p", "scale": "yes_no", "indicator": "safety"});
    let section = json!({"title": "S", "items": [small_item]});
    let school_ids: Vec<String> = (0..101).map(|i| format!("school-{i}")).collect();
    let instruments = "POST /api/v1/survey-instruments";
    let windows = "POST /api/v1/survey-windows";
    let opt_outs = "POST /api/v1/survey-windows/{id}/opt-outs";
    let responses = "POST /api/v1/survey-windows/{id}/responses";
    #[rustfmt::skip]
    let survey_cases: Vec<(&str, &str, Value, Vec<&str>)> = vec![
        (instruments, "grade_min 13",              json!({"grade_min": 13}), vec!["grade_min"]),
        (instruments, "grade_max -1",              json!({"grade_max": -1}), vec!["grade_max"]),
        (instruments, "grade_min above grade_max", json!({"grade_min": 8, "grade_max": 6}), vec!["grade_min", "grade_max"]),
        (instruments, "empty title",               json!({"title": ""}), vec!["title"]),
        (instruments, "blank title",               json!({"title": "  "}), vec!["title"]),
        (instruments, "201-char title",            json!({"title": long(201)}), vec!["title"]),
        (instruments, "blank description",         json!({"description": "\t"}), vec!["description"]),
        (instruments, "2001-char description",     json!({"description": long(2001)}), vec!["description"]),
        (instruments, "no sections",               json!({"sections": []}), vec!["sections"]),
        (instruments, "21 sections",               json!({"sections": vec![section.clone(); 21]}), vec!["sections"]),
        (instruments, "section without items",     json!({"sections": [{"title": "S", "items": []}]}), vec!["sections[0].items"]),
        (instruments, "101 items in a section",    json!({"sections": [{"title": "S", "items": vec![small_item.clone(); 101]}]}), vec!["sections[0].items"]),
        (instruments, "blank section title",       json!({"sections": [{"title": " ", "items": [small_item]}]}), vec!["sections[0].title"]),
        (instruments, "201-char section title",    json!({"sections": [{"title": long(201), "items": [small_item]}]}), vec!["sections[0].title"]),
        (instruments, "blank prompt",              one_item(json!({"prompt": " \n"})), vec!["sections[0].items[0].prompt"]),
        (instruments, "501-char prompt",           one_item(json!({"prompt": long(501)})), vec!["sections[0].items[0].prompt"]),
        (instruments, "9 PPRA areas",              one_item(json!({"ppra_areas": vec!["income"; 9]})), vec!["sections[0].items[0].ppra_areas"]),
        (instruments, "item without scale",        json!({"sections": [{"title": "S", "items": [{"prompt": "p", "indicator": "safety"}]}]}), vec!["sections[0].items[0].scale"]),
        (instruments, "item without indicator",    json!({"sections": [{"title": "S", "items": [{"prompt": "p", "scale": "yes_no"}]}]}), vec!["sections[0].items[0].indicator"]),
        (instruments, "item with unknown field",   one_item(json!({"weight": 2})), vec!["sections[0].items[0].weight"]),
        (instruments, "reverse_scored as string",  one_item(json!({"reverse_scored": "yes"})), vec!["sections[0].items[0].reverse_scored"]),
        (instruments, "required as null",          one_item(json!({"required": null})), vec!["sections[0].items[0].required"]),
        (instruments, "empty lineage_id",          json!({"lineage_id": ""}), vec!["lineage_id"]),
        (instruments, "65-char lineage_id",        json!({"lineage_id": long(65)}), vec!["lineage_id"]),
        (instruments, "unknown lineage_id",        json!({"lineage_id": "no-such-lineage"}), vec!["lineage_id"]),
        (instruments, "lineage of another district", json!({"lineage_id": fx.other_district_lineage}), vec!["lineage_id"]),
        (windows, "min_cell_size 0",               json!({"min_cell_size": 0}), vec!["min_cell_size"]),
        (windows, "min_cell_size -5",              json!({"min_cell_size": -5}), vec!["min_cell_size"]),
        (windows, "min_cell_size 1001",            json!({"min_cell_size": 1001}), vec!["min_cell_size"]),
        (windows, "closes before it opens",        json!({"closes_at": "2027-01-10T08:00:00Z"}), vec!["closes_at", "opens_at"]),
        (windows, "closes when it opens",          json!({"closes_at": "2027-01-11T08:00:00Z"}), vec!["closes_at", "opens_at"]),
        (windows, "a date, not an instant",        json!({"opens_at": "2027-01-11"}), vec!["opens_at"]),
        (windows, "no time zone",                  json!({"closes_at": "2027-01-29T16:00:00"}), vec!["closes_at"]),
        (windows, "not a timestamp",               json!({"opens_at": "next monday"}), vec!["opens_at"]),
        (windows, "February 30",                   json!({"opens_at": "2027-02-30T08:00:00Z"}), vec!["opens_at"]),
        (windows, "no schools",                    json!({"school_ids": []}), vec!["school_ids"]),
        (windows, "101 schools",                   json!({"school_ids": school_ids}), vec!["school_ids"]),
        (windows, "unknown school",                json!({"school_ids": [fx.riverbend, "no-such-school"]}), vec!["school_ids[1]"]),
        (windows, "school of another district",    json!({"school_ids": [fx.other_district_school]}), vec!["school_ids[0]"]),
        (windows, "no grades",                     json!({"grades": []}), vec!["grades"]),
        (windows, "grade 13",                      json!({"grades": [7, 13]}), vec!["grades", "grades[1]"]),
        (windows, "grade -1",                      json!({"grades": [-1]}), vec!["grades", "grades[0]"]),
        (windows, "14 grades",                     json!({"grades": vec![7; 14]}), vec!["grades"]),
        (windows, "a grade the instrument is not for", json!({"grades": [6, 5]}), vec!["grades[1]"]),
        (windows, "empty instrument_id",           json!({"instrument_id": ""}), vec!["instrument_id"]),
        (windows, "65-char instrument_id",         json!({"instrument_id": long(65)}), vec!["instrument_id"]),
        (windows, "unknown instrument_id",         json!({"instrument_id": "no-such-instrument"}), vec!["instrument_id"]),
        (windows, "instrument of another district", json!({"instrument_id": fx.other_district_instrument}), vec!["instrument_id"]),
        (windows, "blank title",                   json!({"title": " "}), vec!["title"]),
        (windows, "201-char title",                json!({"title": long(201)}), vec!["title"]),
        (opt_outs, "empty student_id",             json!({"student_id": ""}), vec!["student_id"]),
        (opt_outs, "65-char student_id",           json!({"student_id": long(65)}), vec!["student_id"]),
        (opt_outs, "unknown student",              json!({"student_id": "no-such-student"}), vec!["student_id"]),
        (opt_outs, "a teacher, not a student",     json!({"student_id": fx.samuel}), vec!["student_id"]),
        (opt_outs, "a student of another school",  json!({"student_id": fx.lakeview_student}), vec!["student_id"]),
        (opt_outs, "a student of another district", json!({"student_id": fx.other_district_student}), vec!["student_id"]),
        (responses, "no answers",                  json!({"answers": []}), vec!["answers"]),
        (responses, "201 answers",                 json!({"answers": vec![sheet[0].clone(); 201]}), vec!["answers"]),
        (responses, "empty item_id",               answers_with(0, json!({"item_id": "", "value": 3})), vec!["answers[0].item_id"]),
        (responses, "65-char item_id",             answers_with(0, json!({"item_id": long(65), "value": 3})), vec!["answers[0].item_id"]),
        (responses, "an item of another survey",   answers_with(0, json!({"item_id": fx.foreign_item, "value": 3})), vec!["answers[0].item_id"]),
        (responses, "value as string",             answers_with(0, json!({"item_id": item0, "value": "3"})), vec!["answers[0].value"]),
        (responses, "value as float",              answers_with(0, json!({"item_id": item0, "value": 3.5})), vec!["answers[0].value"]),
        (responses, "value 0",                     answers_with(0, json!({"item_id": item0, "value": 0})), vec!["answers[0].value"]),
        (responses, "value 2^31",                  answers_with(0, json!({"item_id": item0, "value": 2_147_483_648_i64})), vec!["answers[0].value"]),
        (responses, "a yes/no item answered 3",    answers_with(yes_no, json!({"item_id": sheet[yes_no]["item_id"], "value": 3})), vec![yes_no_value.as_str()]),
        (responses, "an answer without value",     answers_with(0, json!({"item_id": item0})), vec!["answers[0].value"]),
        (responses, "an answer with a note",       answers_with(0, json!({"item_id": item0, "value": 3, "note": "x"})), vec!["answers[0].note"]),
    ];
    for (label, case, changes, fields) in survey_cases {
        let route = route(&routes, label);
        let body = route.with(changes);
        bench.value(route, case, &body, Want::InvalidOneOf(&fields));
    }
    bench.finish("out-of-range and invalid values");
}
