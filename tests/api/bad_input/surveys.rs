//! Survey instruments, windows, opt-outs and responses.

use super::*;

pub(super) fn routes(fx: &Fx) -> Vec<Route> {
    vec![
        Route {
            label: "POST /api/v1/survey-instruments",
            method: "POST",
            path: "/api/v1/survey-instruments".into(),
            caller: Some(ADMIN),
            valid: json!({
                "title": "Probe pulse", "description": "Two quick questions.",
                "grade_min": 6, "grade_max": 8, "lineage_id": fx.survey_lineage,
                "sections": [{"title": "Pulse", "items": [
                    {"prompt": "I feel I belong at this school.", "scale": "agreement_5",
                     "indicator": "belonging", "reverse_scored": false, "required": true,
                     "ppra_areas": []},
                    {"prompt": "Another student teased me in a hurtful way.",
                     "scale": "frequency_5", "indicator": "bullying_victimization",
                     "required": false, "ppra_areas": ["illegal_or_antisocial_behavior"]},
                ]}],
            }),
            required: &["title", "description", "grade_min", "grade_max", "sections"],
        },
        Route {
            label: "POST /api/v1/survey-windows",
            method: "POST",
            path: "/api/v1/survey-windows".into(),
            caller: Some(ADMIN),
            valid: json!({
                "instrument_id": fx.survey_instrument, "title": "Probe window",
                "opens_at": "2027-01-11T08:00:00Z", "closes_at": "2027-01-29T16:00:00Z",
                "school_ids": [fx.riverbend], "grades": [6, 7], "min_cell_size": 10,
            }),
            required: &[
                "instrument_id",
                "title",
                "opens_at",
                "closes_at",
                "school_ids",
                "grades",
            ],
        },
        Route {
            label: "POST /api/v1/survey-windows/{id}/opt-outs",
            method: "POST",
            path: format!("/api/v1/survey-windows/{}/opt-outs", fx.survey_window),
            caller: Some(COUNSELOR),
            valid: json!({"student_id": fx.opted_out}),
            required: &["student_id"],
        },
        Route {
            label: "POST /api/v1/survey-windows/{id}/responses",
            method: "POST",
            path: format!("/api/v1/survey-windows/{}/responses", fx.survey_window),
            caller: Some(STUDENT),
            valid: json!({"answers": fx.answer_sheet}),
            required: &["answers"],
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// Publishing a survey instrument: a write route without a body
// ---------------------------------------------------------------------------------------------

#[test]
fn publishing_an_instrument_reads_no_body_and_refuses_unknown_foreign_and_published_ones() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let publish = |id: &str| format!("/api/v1/survey-instruments/{id}/publish");
    let routes = write_routes(&fx);
    let create = route(&routes, "POST /api/v1/survey-instruments");
    let new_draft = |bench: &mut Bench, who: &str, body: &Value| -> String {
        let token = bench.token_for(Some(who)).unwrap();
        let r = bench
            .app
            .send("POST", "/api/v1/survey-instruments", Some(&token), body);
        assert_eq!(r.status, 201, "{who} creates a draft: {}", r.text);
        assert_eq!(r.json()["status"], "draft", "{}", r.text);
        bench.forget();
        r.json()["id"].as_str().unwrap().to_owned()
    };
    // A draft of this district, and one of Harbor Point (its own questionnaire, no lineage).
    let draft = new_draft(&mut bench, ADMIN, &create.valid);
    let other_draft = new_draft(&mut bench, "hp.admin", &create.without("lineage_id"));
    #[rustfmt::skip]
    let cases: Vec<(&str, Option<&str>, String, Want)> = vec![
        ("unknown instrument",                    Some(ADMIN),     "no-such-instrument".into(),          Want::Problem(404)),
        ("very long id",                          Some(ADMIN),     "i".repeat(5000),                     Want::Problem(404)),
        ("published instrument of another district", Some(ADMIN),  fx.other_district_instrument.clone(), Want::Problem(404)),
        ("draft of another district",             Some(ADMIN),     other_draft.clone(),                  Want::Problem(404)),
        ("already published",                     Some(ADMIN),     fx.survey_instrument.clone(),         Want::Problem(409)),
        ("a school administrator, draft",         Some(PRINCIPAL), draft.clone(),                        Want::Problem(403)),
        ("a school administrator, published",     Some(PRINCIPAL), fx.survey_instrument.clone(),         Want::Problem(403)),
        ("a counselor, draft",                    Some(COUNSELOR), draft.clone(),                        Want::Problem(403)),
        ("a student, draft",                      Some(STUDENT),   draft.clone(),                        Want::Problem(403)),
        ("anonymous, draft",                      None,            draft.clone(),                        Want::Problem(401)),
        ("anonymous, unknown instrument",         None,            "no-such-instrument".into(),          Want::Problem(401)),
    ];
    for (case, caller, id, want) in &cases {
        let path = publish(id);
        bench.send(
            &format!("publish instrument [{case}]"),
            "POST",
            &path,
            *caller,
            &[],
            None,
            *want,
        );
        // A body is not read: garbage, or JSON asking for something, changes nothing.
        bench.send(
            &format!("publish instrument [{case}, with a text/plain body]"),
            "POST",
            &path,
            *caller,
            &[("Content-Type", "text/plain")],
            Some(b"{not json"),
            *want,
        );
        bench.send(
            &format!("publish instrument [{case}, with a JSON body]"),
            "POST",
            &path,
            *caller,
            JSON,
            Some(br#"{"status": "published", "district_id": "x", "version": 9}"#),
            *want,
        );
    }

    // The draft publishes once, whatever body comes along; then there is nothing to publish.
    let token = bench.token.clone();
    let r = bench.app.request(
        "POST",
        &publish(&draft),
        Some(&token),
        &[("Content-Type", "text/plain")],
        Some(b"{not json"),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let published = r.json();
    assert_eq!(published["status"], "published", "{published}");
    assert_eq!(published["version"], 2, "{published}");
    assert!(published["published_at"].is_string(), "{published}");
    bench.forget();
    bench.send(
        "publish instrument [just published]",
        "POST",
        &publish(&draft),
        Some(ADMIN),
        &[],
        None,
        Want::Problem(409),
    );
    // Harbor Point's draft is still a draft: the refusals above wrote nothing.
    let status: String = survey_instruments::table
        .find(&other_draft)
        .select(survey_instruments::status)
        .first(&mut bench.conn)
        .unwrap();
    assert_eq!(status, "draft");
    bench.finish("publish instrument");
}
