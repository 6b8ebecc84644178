//! Goals: school and district goals, their reviews, and students' personal goals.

use super::*;

fn in_days(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::TimeDelta::days(days)).to_string()
}

pub(super) fn routes(fx: &Fx) -> Vec<Route> {
    let g = &fx.goals;
    vec![
        Route {
            label: "POST /api/v1/goals",
            method: "POST",
            path: "/api/v1/goals".into(),
            caller: Some(ADMIN),
            valid: json!({
                "title": "More students feel they belong",
                "school_id": g.riverbend,
                "metric": {"kind": "climate", "lineage_id": fx.survey_lineage,
                           "indicator": "belonging", "measure": "percent_favorable", "grades": []},
                "baseline": {"window_id": g.spring_window},
                "target": 99.0,
                "deadline": in_days(200),
                "cadence": "quarterly",
                "strategies": [{"note": "Advisory circles"}],
            }),
            required: &[
                "title", "metric", "baseline", "target", "deadline", "cadence",
            ],
        },
        Route {
            label: "PATCH /api/v1/goals/{id}",
            method: "PATCH",
            path: format!("/api/v1/goals/{}", g.school_goal),
            caller: Some(ADMIN),
            valid: json!({"title": "Everyone belongs", "cadence": "monthly"}),
            required: &[],
        },
        Route {
            label: "POST /api/v1/goals/{id}/reviews",
            method: "POST",
            path: format!("/api/v1/goals/{}/reviews", g.school_goal),
            caller: Some(PRINCIPAL),
            valid: json!({"what_happened": "Circles started.", "what_changes": "Nothing yet."}),
            required: &["what_happened", "what_changes"],
        },
        Route {
            label: "POST /api/v1/students/{id}/goals",
            method: "POST",
            path: format!("/api/v1/students/{}/goals", g.andre),
            caller: Some(COUNSELOR),
            valid: json!({"title": "Ask for help when I am stuck", "measure": "times_used",
                          "weekly_target": 2, "review_on": in_days(14)}),
            required: &["title", "measure", "weekly_target", "review_on"],
        },
        Route {
            label: "POST /api/v1/me/goals/{id}/progress",
            method: "POST",
            path: format!("/api/v1/me/goals/{}/progress", g.student_goal),
            caller: Some(STUDENT),
            valid: json!({"value": 1}),
            required: &["value"],
        },
    ]
}

/// Values of the right type that the goals routes refuse, each naming its field; nothing is
/// written.
#[test]
fn goal_values_out_of_range_are_refused_naming_the_field() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let routes = write_routes(&fx);
    let create = route(&routes, "POST /api/v1/goals");
    let metric = create.valid["metric"].clone();
    let with_metric = |k: &str, v: Value| {
        let mut m = metric.clone();
        m[k] = v;
        json!({ "metric": m })
    };
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, Want)> = vec![
        ("a grade the school does not teach", with_metric("grades", json!([3])),        Want::Invalid("metric.grades")),
        ("a grade outside K-12",             with_metric("grades", json!([13])),       Want::Invalid("metric.grades")),
        ("bullying as favorable",            with_metric("indicator", json!("bullying_victimization")), Want::Invalid("metric.measure")),
        ("an unknown lineage",               with_metric("lineage_id", json!("nope")), Want::Invalid("baseline.window_id")),
        ("a kind outside the vocabulary",    with_metric("kind", json!("happiness")),  Want::InvalidListing("metric.kind", "climate")),
        ("an open window",                   json!({"baseline": {"window_id": fx.survey_window}}), Want::Invalid("baseline.window_id")),
        ("both window and term",             json!({"baseline": {"window_id": fx.goals.spring_window, "term_id": "t"}}), Want::Invalid("baseline.window_id")),
        ("a deadline before the baseline",   json!({"deadline": "2026-01-01"}),        Want::Invalid("deadline")),
        ("a target below the baseline",      json!({"target": 0.0}),                   Want::Invalid("target")),
        ("a target over 100%",               json!({"target": 100.5}),                 Want::Invalid("target")),
        ("a school of another district",     json!({"school_id": fx.other_district_school}), Want::Invalid("school_id")),
        ("a teacher as owner",               json!({"owner_id": fx.samuel}),           Want::Invalid("owner_id")),
        ("a program elsewhere",              json!({"strategies": [{"mentoring_program_id": "nope"}]}), Want::Invalid("strategies[0].mentoring_program_id")),
        ("an empty strategy",                json!({"strategies": [{}]}),              Want::Invalid("strategies[0]")),
        ("21 strategies",                    json!({"strategies": vec![json!({"note": "n"}); 21]}), Want::Invalid("strategies")),
        ("cadence outside",                  json!({"cadence": "weekly"}),             Want::InvalidListing("cadence", "monthly")),
    ];
    for (case, change, want) in &cases {
        bench.value(create, case, &create.with(change.clone()), *want);
    }
    let patch = route(&routes, "PATCH /api/v1/goals/{id}");
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, Want)> = vec![
        ("a target below the baseline",   json!({"target": 1.0}),                   Want::Invalid("target")),
        ("a deadline before the baseline", json!({"deadline": "2026-01-01"}),       Want::Invalid("deadline")),
        ("a student as owner",            json!({"owner_id": fx.goals.andre}),      Want::Invalid("owner_id")),
        ("the metric",                    json!({"metric": {"kind": "mentoring_students_served"}}), Want::Invalid("metric")),
        ("a review day",                  json!({"review_on": in_days(3)}),         Want::Invalid("review_on")),
        ("state outside",                 json!({"state": "paused"}),               Want::InvalidListing("state", "closed")),
    ];
    for (case, change, want) in &cases {
        bench.value(patch, case, &patch.with(change.clone()), *want);
    }
    let review = route(&routes, "POST /api/v1/goals/{id}/reviews");
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, Want)> = vec![
        ("blank text",                  json!({"what_happened": "  "}),             Want::Invalid("what_happened")),
        ("text over 2000",              json!({"what_changes": "w".repeat(2001)}),   Want::Invalid("what_changes")),
        ("a target on the wrong side",  json!({"target": 2.0}),                     Want::Invalid("target")),
        ("a next review on a school goal", json!({"next_review_on": in_days(9)}),   Want::Invalid("next_review_on")),
    ];
    for (case, change, want) in &cases {
        bench.value(review, case, &review.with(change.clone()), *want);
    }
    // A review by someone who does not own the goal.
    let not_owner = Route {
        caller: Some(COUNSELOR),
        ..clone_route(review)
    };
    bench.value(
        &not_owner,
        "not the owner",
        &review.valid,
        Want::Problem(403),
    );
    let personal = route(&routes, "POST /api/v1/students/{id}/goals");
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, Want)> = vec![
        ("measure outside",         json!({"measure": "hugs"}),          Want::InvalidListing("measure", "times_used")),
        ("no times",                json!({"weekly_target": 0}),         Want::Invalid("weekly_target")),
        ("eight yes days",          json!({"measure": "yes_days", "weekly_target": 8}), Want::Invalid("weekly_target")),
        ("a review today",          json!({"review_on": in_days(0)}),    Want::Invalid("review_on")),
        ("a review in two years",   json!({"review_on": in_days(800)}),  Want::Invalid("review_on")),
        ("title over 200",          json!({"title": "t".repeat(201)}),   Want::Invalid("title")),
    ];
    for (case, change, want) in &cases {
        bench.value(personal, case, &personal.with(change.clone()), *want);
    }
    let progress = route(&routes, "POST /api/v1/me/goals/{id}/progress");
    let today = chrono::Utc::now().date_naive();
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, Want)> = vec![
        ("a value over the day's most", json!({"value": 2}),                              Want::Invalid("value")),
        ("a negative value",            json!({"value": -1}),                             Want::Invalid("value")),
        ("tomorrow",                    json!({"on": today + chrono::TimeDelta::days(1)}), Want::Invalid("on")),
        ("last week",                   json!({"on": today - chrono::TimeDelta::days(8)}), Want::Invalid("on")),
    ];
    for (case, change, want) in &cases {
        bench.value(progress, case, &progress.with(change.clone()), *want);
    }
    // Progress on someone else's goal.
    let other: String = {
        use securebase::db::schema::goals;
        goals::table
            .filter(goals::student_id.is_not_null())
            .filter(goals::student_id.ne(&fx.goals.andre))
            .select(goals::id)
            .first(&mut bench.app.conn())
            .unwrap()
    };
    let elsewhere = Route {
        path: format!("/api/v1/me/goals/{other}/progress"),
        ..clone_route(progress)
    };
    bench.value(
        &elsewhere,
        "someone else's goal",
        &progress.valid,
        Want::Problem(404),
    );
    bench.finish("goal values");
}

fn clone_route(r: &Route) -> Route {
    Route {
        label: r.label,
        method: r.method,
        path: r.path.clone(),
        caller: r.caller,
        valid: r.valid.clone(),
        required: r.required,
    }
}
