//! Mentoring programs, participants, matches and meetings.

use super::*;

pub(super) fn routes(fx: &Fx) -> Vec<Route> {
    vec![
        Route {
            label: "POST /api/v1/mentoring/programs",
            method: "POST",
            path: "/api/v1/mentoring/programs".into(),
            caller: Some(COUNSELOR),
            valid: json!({
                "name": "Probe Program", "goals": "Belonging in sixth grade",
                "mentor_grades": [8], "mentee_grades": [6], "min_grade_gap": 2,
                "preferred_grade_gap": 2, "mentor_capacity": 2,
                "starts_on": "2026-09-01", "ends_on": "2027-06-15",
            }),
            required: &[
                "name",
                "mentor_grades",
                "mentee_grades",
                "mentor_capacity",
                "starts_on",
                "ends_on",
            ],
        },
        Route {
            label: "POST /api/v1/mentoring/programs/{id}/participants",
            method: "POST",
            path: format!(
                "/api/v1/mentoring/programs/{}/participants",
                fx.mentoring.program
            ),
            caller: Some(COUNSELOR),
            valid: json!({
                "student_id": fx.mentoring.newcomer, "role": "mentee",
                "interests": ["music", "animals"],
                "availability": [{"day": "monday", "period": "lunch"}],
            }),
            required: &["student_id", "role", "availability"],
        },
        Route {
            label: "POST /api/v1/mentoring/do-not-match",
            method: "POST",
            path: "/api/v1/mentoring/do-not-match".into(),
            caller: Some(COUNSELOR),
            valid: json!({"student_a_id": fx.mentoring.pair.0, "student_b_id": fx.mentoring.pair.1}),
            required: &["student_a_id", "student_b_id"],
        },
        Route {
            label: "POST /api/v1/mentoring/programs/{id}/matches",
            method: "POST",
            path: format!(
                "/api/v1/mentoring/programs/{}/matches",
                fx.mentoring.program
            ),
            caller: Some(COUNSELOR),
            valid: json!({"matches": [{"mentor_id": fx.mentoring.mentor, "mentee_id": fx.mentoring.mentee}]}),
            required: &["matches"],
        },
        Route {
            label: "PATCH /api/v1/mentoring/matches/{id}",
            method: "PATCH",
            path: format!("/api/v1/mentoring/matches/{}", fx.mentoring.proposed_match),
            caller: Some(COUNSELOR),
            valid: json!({"status": "active"}),
            required: &["status"],
        },
        Route {
            label: "POST /api/v1/mentoring/matches/{id}/meetings",
            method: "POST",
            path: format!(
                "/api/v1/mentoring/matches/{}/meetings",
                fx.mentoring.active_match
            ),
            caller: Some(COUNSELOR),
            valid: json!({
                "met_on": fx.mentoring.yesterday, "minutes": 30,
                "topics": ["friendships"], "note": "Planned the next check-in.",
            }),
            required: &["met_on", "minutes", "topics"],
        },
    ]
}
