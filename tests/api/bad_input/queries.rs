//! Everything outside a JSON body: query strings of the list routes, NUL bytes and odd values
//! in ids, names and queries, routes that do not exist.

use super::*;

// ---------------------------------------------------------------------------------------------
// Query strings of the list routes → 422 naming the parameter
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_query_parameters_are_422_naming_the_parameter() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let enrollments = format!("/api/v1/classes/{}/enrollments", fx.class);
    let assignments = format!("/api/v1/classes/{}/assignments", fx.lesson_class);
    #[rustfmt::skip]
    let lists: Vec<(&str, String, &str)> = vec![
        ("GET /api/v1/schools", "/api/v1/schools".into(), ADMIN),
        ("GET /api/v1/terms", "/api/v1/terms".into(), ADMIN),
        ("GET /api/v1/users", "/api/v1/users".into(), ADMIN),
        ("GET /api/v1/classes", "/api/v1/classes".into(), ADMIN),
        ("GET /api/v1/classes/{id}/enrollments", enrollments, ADMIN),
        ("GET /api/v1/lesson-plans", "/api/v1/lesson-plans".into(), ADMIN),
        ("GET /api/v1/classes/{id}/assignments", assignments, TEACHER),
        ("GET /api/v1/me/assignments", "/api/v1/me/assignments".into(), STUDENT),
        ("GET /api/v1/survey-instruments", "/api/v1/survey-instruments".into(), ADMIN),
        ("GET /api/v1/survey-windows", "/api/v1/survey-windows".into(), ADMIN),
    ];
    // Not paginated: only the term is asked for.
    let progress = (
        "GET /api/v1/schools/{id}/lesson-progress",
        format!("/api/v1/schools/{}/lesson-progress", fx.riverbend),
        ADMIN,
    );
    let q201 = "q".repeat(201);
    #[rustfmt::skip]
    let paging: &[(&str, &str)] = &[
        ("page=0", "page"), ("page=-1", "page"), ("page=abc", "page"), ("page=1.5", "page"),
        ("page=", "page"), ("page=1000001", "page"), ("page=99999999999999999999", "page"),
        ("limit=0", "limit"), ("limit=201", "limit"), ("limit=500", "limit"), ("limit=-5", "limit"),
        ("limit=ten", "limit"), ("limit=1e2", "limit"),
        ("foo=1", "foo"), ("Page=2", "Page"), ("limit=10&limit=20", "limit"),
    ];
    let q101 = "q".repeat(101);
    let id65 = "i".repeat(65);
    #[rustfmt::skip]
    let specific: Vec<(&str, String, &str)> = vec![
        ("GET /api/v1/schools", "active=maybe".into(), "active"),
        ("GET /api/v1/schools", "active=1".into(), "active"),
        ("GET /api/v1/terms", "active=true".into(), "active"),
        ("GET /api/v1/users", "grade=abc".into(), "grade"),
        ("GET /api/v1/users", "grade=13".into(), "grade"),
        ("GET /api/v1/users", "grade=-1".into(), "grade"),
        ("GET /api/v1/users", "grade=2.5".into(), "grade"),
        ("GET /api/v1/users", "grade=".into(), "grade"),
        ("GET /api/v1/users", "grade=1&grade=2".into(), "grade"),
        ("GET /api/v1/users", "active=maybe".into(), "active"),
        ("GET /api/v1/users", "active=".into(), "active"),
        ("GET /api/v1/users", format!("q={q101}"), "q"),
        ("GET /api/v1/users", format!("school_id={id65}"), "school_id"),
        ("GET /api/v1/users", "school_id=".into(), "school_id"),
        ("GET /api/v1/classes", "grade=abc".into(), "grade"),
        ("GET /api/v1/classes", "grade=13".into(), "grade"),
        ("GET /api/v1/classes", "active=maybe".into(), "active"),
        ("GET /api/v1/classes", format!("q={q101}"), "q"),
        ("GET /api/v1/classes", format!("term_id={id65}"), "term_id"),
        ("GET /api/v1/classes", format!("teacher_id={id65}"), "teacher_id"),
        ("GET /api/v1/classes", format!("school_id={id65}"), "school_id"),
        ("GET /api/v1/classes", "role=teacher".into(), "role"),
        ("GET /api/v1/classes/{id}/enrollments", "active=maybe".into(), "active"),
        ("GET /api/v1/classes/{id}/enrollments", "grade=7".into(), "grade"),
        ("GET /api/v1/lesson-plans", "competency=wizard".into(), "competency"),
        ("GET /api/v1/lesson-plans", "competency=self-awareness".into(), "competency"),
        ("GET /api/v1/lesson-plans", "competency=".into(), "competency"),
        ("GET /api/v1/lesson-plans", "component=trust".into(), "component"),
        ("GET /api/v1/lesson-plans", "grade_band=K2".into(), "grade_band"),
        ("GET /api/v1/lesson-plans", "grade_band=6%E2%80%938".into(), "grade_band"),
        ("GET /api/v1/lesson-plans", "grade_band=K-2&grade_band=3-5".into(), "grade_band"),
        ("GET /api/v1/lesson-plans", "max_duration=0".into(), "max_duration"),
        ("GET /api/v1/lesson-plans", "max_duration=481".into(), "max_duration"),
        ("GET /api/v1/lesson-plans", "max_duration=abc".into(), "max_duration"),
        ("GET /api/v1/lesson-plans", "max_duration=-5".into(), "max_duration"),
        ("GET /api/v1/lesson-plans", "owner=everyone".into(), "owner"),
        ("GET /api/v1/lesson-plans", "status=archived".into(), "status"),
        ("GET /api/v1/lesson-plans", "archived=maybe".into(), "archived"),
        ("GET /api/v1/lesson-plans", "q=".into(), "q"),
        ("GET /api/v1/lesson-plans", format!("q={q201}"), "q"),
        ("GET /api/v1/lesson-plans", "emotion=calm".into(), "emotion"),
        ("GET /api/v1/me/assignments", "state=late".into(), "state"),
        ("GET /api/v1/me/assignments", "state=Done".into(), "state"),
        ("GET /api/v1/me/assignments", "state=".into(), "state"),
        ("GET /api/v1/classes/{id}/assignments", "state=due".into(), "state"),
        ("GET /api/v1/schools/{id}/lesson-progress", "term_id=".into(), "term_id"),
        ("GET /api/v1/schools/{id}/lesson-progress", format!("term_id={id65}"), "term_id"),
        ("GET /api/v1/schools/{id}/lesson-progress", "term_id=no-such-term".into(), "term_id"),
        ("GET /api/v1/schools/{id}/lesson-progress", "page=2".into(), "page"),
    ];
    for (label, path, caller) in &lists {
        for (query, field) in paging {
            bench.send(
                &format!("{label}?{query}"),
                "GET",
                &format!("{path}?{query}"),
                Some(caller),
                &[],
                None,
                Want::Invalid(field),
            );
        }
    }
    for (label, query, field) in &specific {
        let (_, path, caller) = lists
            .iter()
            .chain([&progress])
            .find(|(l, _, _)| l == label)
            .unwrap();
        bench.send(
            &format!("{label}?{query}"),
            "GET",
            &format!("{path}?{query}"),
            Some(caller),
            &[],
            None,
            Want::Invalid(field),
        );
    }
    bench.finish("bad query parameters");
}

// ---------------------------------------------------------------------------------------------
// NUL bytes and odd values: never a 500
// ---------------------------------------------------------------------------------------------

#[test]
fn nul_characters_in_ids_names_and_queries_never_cause_a_server_error() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let routes = write_routes(&fx);
    let class = fx.class.clone();
    // Lookups by an id holding NUL: there is no such object.
    #[rustfmt::skip]
    let lookups: Vec<(&str, String, Option<Value>)> = vec![
        ("GET",    "/api/v1/users/%00".into(), None),
        ("GET",    "/api/v1/schools/a%00b".into(), None),
        ("GET",    "/api/v1/terms/%00".into(), None),
        ("GET",    "/api/v1/classes/%00".into(), None),
        ("GET",    "/api/v1/classes/%00/enrollments".into(), None),
        ("GET",    "/api/v1/districts/%00".into(), None),
        ("PATCH",  "/api/v1/schools/%00".into(), Some(json!({"name": "x"}))),
        ("PATCH",  "/api/v1/terms/%00".into(), Some(json!({"name": "x"}))),
        ("PATCH",  "/api/v1/users/%00".into(), Some(json!({"given_name": "x"}))),
        ("PATCH",  "/api/v1/classes/%00".into(), Some(json!({"name": "x"}))),
        ("POST",   "/api/v1/classes/%00/enrollments".into(), Some(json!({"student_id": fx.newcomer}))),
        ("DELETE", format!("/api/v1/classes/{class}/enrollments/%00"), None),
        ("DELETE", format!("/api/v1/classes/%00/enrollments/{}", fx.newcomer), None),
        ("GET",    "/api/v1/lesson-plans/%00".into(), None),
        ("PATCH",  "/api/v1/lesson-plans/%00".into(), Some(json!({"title": "x"}))),
        ("POST",   "/api/v1/lesson-plans/%00/publish".into(), None),
        ("GET",    "/api/v1/classes/%00/assignments".into(), None),
        ("POST",   "/api/v1/classes/%00/assignments".into(), Some(json!({"plan_id": fx.plan, "scheduled_on": "2026-12-01"}))),
        ("GET",    "/api/v1/classes/%00/lesson-progress".into(), None),
        ("GET",    "/api/v1/schools/%00/lesson-progress".into(), None),
        ("GET",    "/api/v1/assignments/%00".into(), None),
        ("PATCH",  "/api/v1/assignments/%00".into(), Some(json!({"teacher_note": "x"}))),
        ("PUT",    "/api/v1/assignments/%00/completion".into(), Some(json!({"emotion": "calm"}))),
        ("GET",    "/api/v1/assignments/%00/completions".into(), None),
        ("GET",    "/api/v1/assignments/%00/progress".into(), None),
        ("GET",    "/api/v1/survey-instruments/%00".into(), None),
        ("POST",   "/api/v1/survey-instruments/%00/publish".into(), None),
        ("GET",    "/api/v1/public/survey-instruments/%00".into(), None),
        ("GET",    "/api/v1/survey-windows/%00".into(), None),
        ("GET",    "/api/v1/survey-windows/a%00b/questionnaire".into(), None),
        ("GET",    "/api/v1/survey-windows/%00/participation".into(), None),
        ("POST",   "/api/v1/survey-windows/%00/opt-outs".into(), Some(json!({"student_id": fx.opted_out}))),
        ("POST",   "/api/v1/survey-windows/%00/responses".into(), Some(json!({"answers": fx.answer_sheet}))),
    ];
    for (method, path, body) in lookups {
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
        let headers: &[(&str, &str)] = if bytes.is_some() { JSON } else { &[] };
        bench.send(
            &format!("{method} {path}"),
            method,
            &path,
            Some(ADMIN),
            headers,
            bytes.as_deref(),
            Want::Problem(404),
        );
    }
    // Filters holding NUL match nothing (or are refused).
    #[rustfmt::skip]
    let filters: &[(&str, &str)] = &[
        ("/api/v1/users?q=%00", "q"),
        ("/api/v1/users?q=a%00", "q"),
        ("/api/v1/users?school_id=%00", "school_id"),
        ("/api/v1/classes?q=%00", "q"),
        ("/api/v1/classes?term_id=%00", "term_id"),
        ("/api/v1/classes?teacher_id=%00", "teacher_id"),
        ("/api/v1/lesson-plans?q=%00", "q"),
        ("/api/v1/lesson-plans?q=breathing%00", "q"),
    ];
    for (path, field) in filters {
        bench.send(
            &format!("GET {path}"),
            "GET",
            path,
            Some(ADMIN),
            &[],
            None,
            Want::EmptyOrInvalid(field),
        );
    }
    // References and names holding NUL in bodies are refused, naming the field.
    let nul = "a\u{0}b";
    #[rustfmt::skip]
    let bodies: Vec<(&str, Value, &str)> = vec![
        ("POST /api/v1/schools", json!({"name": nul}), "name"),
        ("PATCH /api/v1/schools/{id}", json!({"name": nul}), "name"),
        ("POST /api/v1/terms", json!({"name": nul}), "name"),
        ("PATCH /api/v1/districts/{id}", json!({"name": nul}), "name"),
        ("POST /api/v1/users", json!({"given_name": nul}), "given_name"),
        ("POST /api/v1/users", json!({"school_id": nul}), "school_id"),
        ("PATCH /api/v1/users/{id}", json!({"family_name": nul}), "family_name"),
        ("PATCH /api/v1/users/{id}", json!({"school_id": nul}), "school_id"),
        ("POST /api/v1/classes", json!({"name": nul}), "name"),
        ("POST /api/v1/classes", json!({"school_id": nul}), "school_id"),
        ("POST /api/v1/classes", json!({"term_id": nul}), "term_id"),
        ("POST /api/v1/classes", json!({"teacher_ids": [nul]}), "teacher_ids[0]"),
        ("PATCH /api/v1/classes/{id}", json!({"term_id": nul}), "term_id"),
        ("POST /api/v1/classes/{id}/enrollments", json!({"student_id": nul}), "student_id"),
        ("POST /api/v1/lesson-plans", json!({"title": nul}), "title"),
        ("POST /api/v1/lesson-plans", json!({"objectives": ["ok", nul]}), "objectives[1]"),
        ("POST /api/v1/lesson-plans", json!({"steps": [{"title": nul, "minutes": 20, "instructions": "i"}]}), "steps[0].title"),
        ("PATCH /api/v1/lesson-plans/{id}", json!({"reflection_prompt": nul}), "reflection_prompt"),
        ("PATCH /api/v1/lesson-plans/{id}", json!({"materials": [nul]}), "materials[0]"),
        ("POST /api/v1/classes/{id}/assignments", json!({"plan_id": nul}), "plan_id"),
        ("PATCH /api/v1/assignments/{id}", json!({"teacher_note": nul}), "teacher_note"),
        ("PUT /api/v1/assignments/{id}/completion", json!({"reflection": nul}), "reflection"),
        ("PUT /api/v1/assignments/{id}/completion", json!({"emotion": nul}), "emotion"),
        ("POST /api/v1/survey-instruments", json!({"title": nul}), "title"),
        ("POST /api/v1/survey-instruments", json!({"lineage_id": nul}), "lineage_id"),
        ("POST /api/v1/survey-instruments", json!({"sections": [{"title": nul, "items": []}]}), "sections[0].title"),
        ("POST /api/v1/survey-instruments", json!({"sections": [{"title": "S", "items": [{"prompt": nul, "scale": "yes_no", "indicator": "safety"}]}]}), "sections[0].items[0].prompt"),
        ("POST /api/v1/survey-windows", json!({"instrument_id": nul}), "instrument_id"),
        ("POST /api/v1/survey-windows", json!({"title": nul}), "title"),
        ("POST /api/v1/survey-windows", json!({"school_ids": [fx.riverbend, nul]}), "school_ids[1]"),
        ("POST /api/v1/survey-windows/{id}/opt-outs", json!({"student_id": nul}), "student_id"),
        ("POST /api/v1/survey-windows/{id}/responses", json!({"answers": [{"item_id": nul, "value": 3}]}), "answers[0].item_id"),
    ];
    for (label, changes, field) in bodies {
        let route = route(&routes, label);
        let body = route.with(changes);
        bench.value(
            route,
            &format!("NUL in {field}"),
            &body,
            Want::Invalid(field),
        );
    }
    // Sign-in and token routes: refused as usual, not with a 500.
    let login = route(&routes, "POST /api/v1/auth/login");
    bench.value(
        login,
        "NUL in username",
        &login.with(json!({"username": nul})),
        Want::ProblemOneOf(&[401, 422]),
    );
    let refresh = route(&routes, "POST /api/v1/auth/refresh");
    bench.value(
        refresh,
        "NUL in token",
        &refresh.with(json!({"refresh_token": nul})),
        Want::ProblemOneOf(&[401, 422]),
    );
    bench.finish("NUL characters");
}

#[test]
fn odd_but_well_formed_values_never_cause_a_server_error() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    #[rustfmt::skip]
    let odd: Vec<(&str, Value)> = vec![
        ("SQL",            json!("' OR '1'='1'; DROP TABLE users; --")),
        ("LIKE wildcards", json!("%_%\\")),
        ("path",           json!("../../etc/passwd")),
        ("emoji",          json!("😀🏫")),
        ("RTL override",   json!("\u{202e}evil")),
        ("10k chars",      json!("x".repeat(10_000))),
        ("empty",          json!("")),
        ("whitespace",     json!(" \t\n ")),
        ("i32 max",        json!(i32::MAX)),
        ("i32 min",        json!(i32::MIN)),
        ("huge float",     json!(1e300)),
        ("negative zero",  json!(-0.0)),
        ("nested",         json!({"a": [1, {"b": null}]})),
        ("long list",      json!(vec!["x"; 1000])),
        ("deep list",      serde_json::from_str::<Value>(&format!("{}{}", "[".repeat(100), "]".repeat(100))).unwrap()),
    ];
    for route in &write_routes(&fx) {
        // Changing one's own password mid-run would only add noise.
        if route.label == "POST /api/v1/me/password" {
            continue;
        }
        for field in route.valid.as_object().unwrap().keys() {
            // A wrong password is meant to count against the account (a write by design).
            if route.label == "POST /api/v1/auth/login" && field == "password" {
                continue;
            }
            for (case, value) in &odd {
                let body = route.with(json!({ field: value }));
                bench.value(
                    route,
                    &format!("{field}: {case}"),
                    &body,
                    Want::NoServerError,
                );
            }
        }
    }
    // Deep nesting inside a field the server must skip or refuse.
    let deep = format!("{{\"name\": {}1{}}}", "[".repeat(5000), "]".repeat(5000));
    for route in write_routes(&fx)
        .iter()
        .filter(|r| r.valid.get("name").is_some())
    {
        bench.json(
            route,
            "5000-deep nesting",
            deep.as_bytes(),
            Want::ProblemOneOf(&[400, 422]),
        );
    }
    bench.finish("odd values");
}

// ---------------------------------------------------------------------------------------------
// Routes that do not exist; DELETE with unknown ids
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_routes_are_404_problem_documents() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let body = serde_json::to_vec(&json!({"name": "x"})).unwrap();
    #[rustfmt::skip]
    let unknown: Vec<(&str, String)> = vec![
        ("GET",    "/api/v1/nope".into()),
        ("GET",    "/api/v1".into()),
        ("GET",    "/api/v1/".into()),
        ("GET",    "/api/v2/users".into()),
        // (Outside /api/ an unknown path is a page's 404: tests/api/web.rs.)
        ("GET",    format!("/api/v1/users/{}/extra", fx.student)),
        ("GET",    format!("/api/v1/classes/{}/enrollments/{}/x", fx.class, fx.newcomer)),
        ("POST",   "/api/v1/nope".into()),
        ("POST",   "/api/v1/enrollments".into()),
        ("DELETE", "/api/v1/nope".into()),
    ];
    #[rustfmt::skip]
    let wrong_method: Vec<(&str, String)> = vec![
        ("DELETE", format!("/api/v1/users/{}", fx.student)),
        ("DELETE", format!("/api/v1/schools/{}", fx.riverbend)),
        ("DELETE", format!("/api/v1/classes/{}", fx.class)),
        ("PUT",    format!("/api/v1/schools/{}", fx.riverbend)),
        ("POST",   format!("/api/v1/users/{}", fx.student)),
        ("PATCH",  "/api/v1/users".into()),
        ("PATCH",  format!("/api/v1/classes/{}/enrollments/{}", fx.class, fx.newcomer)),
        ("GET",    format!("/api/v1/classes/{}/enrollments/{}", fx.class, fx.newcomer)),
        ("GET",    "/api/v1/auth/login".into()),
        ("DELETE", format!("/api/v1/lesson-plans/{}", fx.plan)),
        ("PUT",    format!("/api/v1/lesson-plans/{}", fx.plan)),
        ("GET",    format!("/api/v1/lesson-plans/{}/publish", fx.plan)),
        ("PATCH",  format!("/api/v1/lesson-plans/{}/publish", fx.plan)),
        ("DELETE", format!("/api/v1/assignments/{}", fx.assignment)),
        ("POST",   format!("/api/v1/assignments/{}/completion", fx.assignment)),
        ("PATCH",  format!("/api/v1/assignments/{}/completion", fx.assignment)),
        ("DELETE", format!("/api/v1/assignments/{}/completion", fx.assignment)),
        ("POST",   "/api/v1/me/assignments".into()),
        ("DELETE", format!("/api/v1/survey-instruments/{}", fx.survey_instrument)),
        ("PATCH",  format!("/api/v1/survey-instruments/{}", fx.survey_instrument)),
        ("GET",    format!("/api/v1/survey-instruments/{}/publish", fx.survey_instrument)),
        ("POST",   format!("/api/v1/public/survey-instruments/{}", fx.survey_instrument)),
        ("PATCH",  format!("/api/v1/survey-windows/{}", fx.survey_window)),
        ("DELETE", format!("/api/v1/survey-windows/{}", fx.survey_window)),
        ("GET",    format!("/api/v1/survey-windows/{}/opt-outs", fx.survey_window)),
        ("DELETE", format!("/api/v1/survey-windows/{}/opt-outs", fx.survey_window)),
        // Nobody reads individual responses: there is no such route.
        ("GET",    format!("/api/v1/survey-windows/{}/responses", fx.survey_window)),
        ("PUT",    format!("/api/v1/survey-windows/{}/responses", fx.survey_window)),
        ("POST",   format!("/api/v1/survey-windows/{}/participation", fx.survey_window)),
        ("POST",   "/api/v1/me/surveys".into()),
    ];
    for caller in [Some(ADMIN), None] {
        let who = if caller.is_some() {
            "signed in"
        } else {
            "anonymous"
        };
        for (method, path) in &unknown {
            bench.send(
                &format!("{method} {path} ({who})"),
                method,
                path,
                caller,
                JSON,
                Some(&body),
                Want::Problem(404),
            );
        }
        for (method, path) in &wrong_method {
            bench.send(
                &format!("{method} {path} ({who})"),
                method,
                path,
                caller,
                JSON,
                Some(&body),
                Want::ProblemOneOf(&[404, 405]),
            );
        }
    }
    bench.finish("unknown routes");
}
