//! Student support: check-ins, help requests and the district's support settings.

use super::*;

pub(super) fn routes(fx: &Fx) -> Vec<Route> {
    vec![
        Route {
            label: "PUT /api/v1/me/check-ins",
            method: "PUT",
            path: "/api/v1/me/check-ins".into(),
            caller: Some(STUDENT),
            valid: json!({"emotion": "calm", "intensity": 3, "note": "Slept well", "wants_to_talk": false}),
            required: &["emotion", "intensity"],
        },
        Route {
            label: "POST /api/v1/help-requests",
            method: "POST",
            path: "/api/v1/help-requests".into(),
            caller: Some(STUDENT),
            valid: json!({"topic": "friends", "urgency": "this_week", "message": "Can we talk?"}),
            required: &["topic"],
        },
        Route {
            label: "PATCH /api/v1/help-requests/{id}",
            method: "PATCH",
            path: format!("/api/v1/help-requests/{}", fx.help_request),
            caller: Some(COUNSELOR),
            valid: json!({"note": "Spoke briefly at lunch"}),
            required: &[],
        },
        Route {
            label: "PUT /api/v1/districts/{id}/support-settings",
            method: "PUT",
            path: format!("/api/v1/districts/{}/support-settings", fx.district),
            caller: Some(ADMIN),
            valid: json!({
                "teachers_see_check_ins": false, "time_zone": "America/Chicago",
                "school_day_starts": "08:00", "school_day_ends": "15:30",
                "acknowledge_school_days": 1, "today_school_hours": 2,
                "crisis_message": "If you are in danger now, call 911.", "reporting_threshold": 10,
                "notice_intensity": 4, "notice_days": 3, "notice_lookback_days": 7,
                "notice_sudden_change": true,
            }),
            required: &[],
        },
    ]
}

/// Values of the right type that the support routes refuse, each naming its field; nothing is
/// written.
#[test]
fn support_values_out_of_range_are_refused_naming_the_field() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let routes = write_routes(&fx);
    let today = chrono::Utc::now().date_naive();
    let check_in = route(&routes, "PUT /api/v1/me/check-ins");
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, Want)> = vec![
        ("feeling outside the vocabulary", json!({"emotion": "meh"}),               Want::InvalidListing("emotion", "calm")),
        ("intensity 0",                    json!({"intensity": 0}),                 Want::Invalid("intensity")),
        ("intensity 6",                    json!({"intensity": 6}),                 Want::Invalid("intensity")),
        ("note over 500",                  json!({"note": "n".repeat(501)}),        Want::Invalid("note")),
        ("blank note",                     json!({"note": " \t "}),                 Want::Invalid("note")),
        ("tomorrow",                       json!({"on": today + chrono::TimeDelta::days(1)}), Want::Invalid("on")),
        ("eight days ago",                 json!({"on": today - chrono::TimeDelta::days(8)}), Want::Invalid("on")),
        ("not a date",                     json!({"on": "2026-13-01"}),             Want::Invalid("on")),
    ];
    for (case, change, want) in &cases {
        bench.value(check_in, case, &check_in.with(change.clone()), *want);
    }
    let ask = route(&routes, "POST /api/v1/help-requests");
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, Want)> = vec![
        ("topic outside the vocabulary", json!({"topic": "bored"}),                  Want::InvalidListing("topic", "friends")),
        ("urgency outside",              json!({"urgency": "now"}),                  Want::InvalidListing("urgency", "today")),
        ("message over 1000",            json!({"message": "m".repeat(1001)}),       Want::Invalid("message")),
        ("an adult of another school",   json!({"to": fx.other_school_counselor}),   Want::Invalid("to")),
        ("a teacher who does not teach", json!({"to": fx.other_teacher}),            Want::Invalid("to")),
        ("another student",              json!({"to": fx.newcomer}),                 Want::Invalid("to")),
        ("nobody",                       json!({"to": "no-such-user"}),              Want::Invalid("to")),
    ];
    for (case, change, want) in &cases {
        bench.value(ask, case, &ask.with(change.clone()), *want);
    }
    let step = route(&routes, "PATCH /api/v1/help-requests/{id}");
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, Want)> = vec![
        ("skips a step",            json!({"state": "met"}),                                   Want::Problem(409)),
        ("closes without a step",   json!({"state": "closed", "closing_reason": "resolved"}),  Want::Problem(409)),
        ("staff withdraw",          json!({"state": "withdrawn"}),                             Want::Problem(409)),
        ("reason without closing",  json!({"closing_reason": "resolved"}),                     Want::Invalid("closing_reason")),
        ("state outside",           json!({"state": "done"}),                                  Want::InvalidListing("state", "acknowledged")),
        ("nothing to change",       json!({"note": null}),                                     Want::Invalid("state")),
        ("note over 2000",          json!({"note": "n".repeat(2001)}),                         Want::Invalid("note")),
        ("meeting not a time",      json!({"meeting_at": "tomorrow"}),                         Want::Invalid("meeting_at")),
    ];
    for (case, change, want) in &cases {
        let mut body = step.with(change.clone());
        if change.get("note").is_none() {
            body.as_object_mut().unwrap().remove("note");
        }
        bench.value(step, case, &body, *want);
    }
    let settings = route(&routes, "PUT /api/v1/districts/{id}/support-settings");
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, Want)> = vec![
        ("unknown time zone",       json!({"time_zone": "Mars/Olympus"}),                 Want::Invalid("time_zone")),
        ("start not a time",        json!({"school_day_starts": "8am"}),                  Want::Invalid("school_day_starts")),
        ("end before start",        json!({"school_day_ends": "07:00"}),                  Want::Invalid("school_day_ends")),
        ("threshold below 5",       json!({"reporting_threshold": 4}),                    Want::Invalid("reporting_threshold")),
        ("look-back shorter",       json!({"notice_days": 5, "notice_lookback_days": 4}), Want::Invalid("notice_lookback_days")),
        ("empty crisis message",    json!({"crisis_message": ""}),                        Want::Invalid("crisis_message")),
        ("13 school hours",         json!({"today_school_hours": 13}),                    Want::Invalid("today_school_hours")),
    ];
    for (case, change, want) in &cases {
        bench.value(settings, case, &settings.with(change.clone()), *want);
    }
    bench.finish("support values");
}
