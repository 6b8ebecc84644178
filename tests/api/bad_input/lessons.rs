//! Lesson plans, assignments and completions.

use super::*;

pub(super) fn routes(fx: &Fx) -> Vec<Route> {
    vec![
        Route {
            label: "POST /api/v1/lesson-plans",
            method: "POST",
            path: "/api/v1/lesson-plans".into(),
            caller: Some(ADMIN),
            valid: json!({
                "title": "Probe Plan", "summary": "A short probe lesson.",
                "competency": "self_awareness", "component": "emotional_regulation",
                "grade_band": "6-8", "duration_minutes": 20,
                "objectives": ["Name one feeling"], "materials": ["Paper"],
                "steps": [
                    {"title": "Check in", "minutes": 5, "instructions": "Share one word."},
                    {"title": "Practice", "minutes": 15, "instructions": "Try it in pairs."},
                ],
                "reflection_prompt": "How do you feel now?",
            }),
            required: &[
                "title",
                "summary",
                "competency",
                "component",
                "grade_band",
                "duration_minutes",
                "objectives",
                "materials",
                "steps",
                "reflection_prompt",
            ],
        },
        Route {
            label: "PATCH /api/v1/lesson-plans/{id}",
            method: "PATCH",
            path: format!("/api/v1/lesson-plans/{}", fx.edited_plan),
            caller: Some(ADMIN),
            valid: json!({
                "title": "Beyond Mad, Sad, or Fine", "summary": "Naming feelings precisely.",
                "competency": "self_awareness", "component": "emotional_regulation",
                "grade_band": "6-8", "duration_minutes": 35,
                "objectives": ["Name three shades of anger"], "materials": ["Feelings wheel"],
                "steps": [
                    {"title": "Warm-up", "minutes": 10, "instructions": "Sort feeling words."},
                    {"title": "Practice", "minutes": 25, "instructions": "Describe a scene."},
                ],
                "reflection_prompt": "Which new word fits today?", "archived": false,
            }),
            required: &[],
        },
        Route {
            label: "POST /api/v1/classes/{id}/assignments",
            method: "POST",
            path: format!("/api/v1/classes/{}/assignments", fx.lesson_class),
            caller: Some(TEACHER),
            valid: json!({"plan_id": fx.plan, "scheduled_on": "2026-12-01", "due_on": "2026-12-04"}),
            required: &["plan_id", "scheduled_on"],
        },
        Route {
            label: "PATCH /api/v1/assignments/{id}",
            method: "PATCH",
            path: format!("/api/v1/assignments/{}", fx.assignment),
            caller: Some(TEACHER),
            valid: json!({
                "scheduled_on": "2026-11-24", "due_on": "2026-12-02", "status": "scheduled",
                "delivered_on": "2026-11-25", "teacher_note": "Good discussion.",
            }),
            required: &[],
        },
        Route {
            label: "PUT /api/v1/assignments/{id}/completion",
            method: "PUT",
            path: format!("/api/v1/assignments/{}/completion", fx.assignment),
            caller: Some(STUDENT),
            valid: json!({"emotion": "calm", "reflection": "Breathing in squares helped."}),
            required: &[],
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// Publishing a lesson plan: a write route without a body
// ---------------------------------------------------------------------------------------------

#[test]
fn publishing_reads_no_body_and_refuses_unknown_plans_and_empty_drafts_writing_nothing() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let publish = |id: &str| format!("/api/v1/lesson-plans/{id}/publish");
    #[rustfmt::skip]
    let cases: Vec<(&str, Option<&str>, String, Want)> = vec![
        ("unknown plan",                  Some(ADMIN),   "no-such-plan".into(),          Want::Problem(404)),
        ("plan of another district",      Some(ADMIN),   fx.other_district_plan.clone(), Want::Problem(404)),
        ("very long id",                  Some(ADMIN),   "p".repeat(5000),               Want::Problem(404)),
        ("published plan without draft",  Some(ADMIN),   fx.plan.clone(),                Want::Problem(409)),
        ("a teacher, district plan",      Some(TEACHER), fx.plan.clone(),                Want::Problem(403)),
        ("a student",                     Some(STUDENT), fx.plan.clone(),                Want::ProblemOneOf(&[403, 404])),
        ("anonymous",                     None,          fx.plan.clone(),                Want::Problem(401)),
    ];
    for (case, caller, id, want) in &cases {
        let path = publish(id);
        bench.send(
            &format!("publish [{case}]"),
            "POST",
            &path,
            *caller,
            &[],
            None,
            *want,
        );
        // A body is not read: garbage, or JSON asking for something, changes nothing.
        bench.send(
            &format!("publish [{case}, with a text/plain body]"),
            "POST",
            &path,
            *caller,
            &[("Content-Type", "text/plain")],
            Some(b"{not json"),
            *want,
        );
        bench.send(
            &format!("publish [{case}, with a JSON body]"),
            "POST",
            &path,
            *caller,
            JSON,
            Some(br#"{"version": 7, "status": "published"}"#),
            *want,
        );
    }

    // A fresh draft publishes once, whatever body comes along; then there is nothing to publish.
    let routes = write_routes(&fx);
    let create = route(&routes, "POST /api/v1/lesson-plans");
    let token = bench.token.clone();
    let r = bench
        .app
        .send("POST", &create.path, Some(&token), &create.valid);
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let r = bench.app.request(
        "POST",
        &publish(&id),
        Some(&token),
        &[("Content-Type", "text/plain")],
        Some(b"{not json"),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["published"]["version"], 1, "{}", r.text);
    bench.forget();
    bench.send(
        "publish [just published]",
        "POST",
        &publish(&id),
        Some(ADMIN),
        &[],
        None,
        Want::Problem(409),
    );
    bench.finish("publish");
}
