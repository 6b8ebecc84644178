//! Schools, terms, accounts, classes and enrollments.

use super::*;

pub(super) fn routes(fx: &Fx) -> Vec<Route> {
    vec![
        Route {
            label: "POST /api/v1/schools",
            method: "POST",
            path: "/api/v1/schools".into(),
            caller: Some(ADMIN),
            valid: json!({"name": "Probe School", "low_grade": 0, "high_grade": 5}),
            required: &["name", "low_grade", "high_grade"],
        },
        Route {
            label: "PATCH /api/v1/schools/{id}",
            method: "PATCH",
            path: format!("/api/v1/schools/{}", fx.riverbend),
            caller: Some(ADMIN),
            valid: json!({"name": "Riverbend MS", "low_grade": 6, "high_grade": 8, "active": true}),
            required: &[],
        },
        Route {
            label: "POST /api/v1/terms",
            method: "POST",
            path: "/api/v1/terms".into(),
            caller: Some(ADMIN),
            valid: json!({"name": "Probe Term", "starts_on": "2027-08-16", "ends_on": "2027-12-17"}),
            required: &["name", "starts_on", "ends_on"],
        },
        Route {
            label: "PATCH /api/v1/terms/{id}",
            method: "PATCH",
            path: format!("/api/v1/terms/{}", fx.fall),
            caller: Some(ADMIN),
            valid: json!({"name": "Autumn 2026", "starts_on": "2026-08-18", "ends_on": "2026-12-17"}),
            required: &[],
        },
        Route {
            label: "POST /api/v1/users",
            method: "POST",
            path: "/api/v1/users".into(),
            caller: Some(ADMIN),
            valid: json!({
                "username": "probe.user", "role": "student", "school_id": fx.riverbend, "grade": 7,
                "given_name": "Pro", "family_name": "Be", "email": "probe@maplevalley.example.org",
                "password": "a-long-enough-password",
            }),
            required: &["username", "role", "given_name", "family_name"],
        },
        Route {
            label: "PATCH /api/v1/users/{id}",
            method: "PATCH",
            path: format!("/api/v1/users/{}", fx.student),
            caller: Some(ADMIN),
            valid: json!({
                "given_name": "Amara", "family_name": "Abdi", "email": "amara@maplevalley.example.org",
                "grade": 8, "active": true, "school_id": fx.riverbend, "role": "student",
            }),
            required: &[],
        },
        Route {
            label: "POST /api/v1/classes",
            method: "POST",
            path: "/api/v1/classes".into(),
            caller: Some(ADMIN),
            valid: json!({
                "school_id": fx.riverbend, "term_id": fx.fall, "name": "Probe Class", "grade": 7,
                "teacher_ids": [fx.samuel],
            }),
            required: &["school_id", "term_id", "name"],
        },
        Route {
            label: "PATCH /api/v1/classes/{id}",
            method: "PATCH",
            path: format!("/api/v1/classes/{}", fx.class),
            caller: Some(ADMIN),
            valid: json!({
                "name": "Advisory 7-A", "term_id": fx.fall, "grade": 7, "active": true,
                "teacher_ids": [fx.samuel],
            }),
            required: &[],
        },
        Route {
            label: "POST /api/v1/classes/{id}/enrollments",
            method: "POST",
            path: format!("/api/v1/classes/{}/enrollments", fx.class),
            caller: Some(ADMIN),
            valid: json!({"student_id": fx.newcomer}),
            required: &["student_id"],
        },
    ]
}

#[test]
fn ending_an_enrollment_with_unknown_ids_is_404_and_writes_nothing() {
    let mut bench = Bench::new(TestApp::spawn());
    let fx = bench.fixtures();
    let other_class: String = classes::table
        .filter(classes::name.eq("Advisory 7"))
        .select(classes::id)
        .first(&mut bench.conn)
        .unwrap();
    let other_student: String = users::table
        .filter(users::username.eq("hp.student"))
        .select(users::id)
        .first(&mut bench.conn)
        .unwrap();
    let enrolled: String = enrollments::table
        .filter(enrollments::class_id.eq(&fx.class))
        .select(enrollments::student_id)
        .first(&mut bench.conn)
        .unwrap();
    #[rustfmt::skip]
    let cases: Vec<(&str, String, String)> = vec![
        ("unknown class",                   "no-such-class".into(), enrolled.clone()),
        ("class of another district",       other_class.clone(),    other_student.clone()),
        ("unknown student",                 fx.class.clone(),       "no-such-student".into()),
        ("student never enrolled",          fx.class.clone(),       fx.newcomer.clone()),
        ("student of another district",     fx.class.clone(),       other_student.clone()),
        ("a teacher, not a student",        fx.class.clone(),       fx.samuel.clone()),
        ("very long ids",                   "c".repeat(5000),       "s".repeat(5000)),
    ];
    for (case, class, student) in cases {
        let path = format!("/api/v1/classes/{class}/enrollments/{student}");
        bench.send(
            &format!("DELETE enrollment [{case}]"),
            "DELETE",
            &path,
            Some(ADMIN),
            &[],
            None,
            Want::Problem(404),
        );
        // A body on DELETE is not read: garbage with any media type changes nothing.
        bench.send(
            &format!("DELETE enrollment [{case}, with a text/plain body]"),
            "DELETE",
            &path,
            Some(ADMIN),
            &[("Content-Type", "text/plain")],
            Some(b"{not json"),
            Want::Problem(404),
        );
    }
    bench.finish("DELETE enrollment");
}
