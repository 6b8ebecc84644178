//! Sign-in, sessions, passwords, activation codes and district settings.

use super::*;

pub(super) fn routes(fx: &Fx) -> Vec<Route> {
    vec![
        Route {
            label: "POST /api/v1/auth/login",
            method: "POST",
            path: "/api/v1/auth/login".into(),
            caller: None,
            valid: json!({"username": "denise.whitfield", "password": DEMO_PASSWORD}),
            required: &["username", "password"],
        },
        Route {
            label: "POST /api/v1/auth/refresh",
            method: "POST",
            path: "/api/v1/auth/refresh".into(),
            caller: None,
            valid: json!({"refresh_token": "r".repeat(43)}),
            required: &["refresh_token"],
        },
        Route {
            label: "POST /api/v1/auth/logout",
            method: "POST",
            path: "/api/v1/auth/logout".into(),
            caller: None,
            valid: json!({"refresh_token": "r".repeat(43)}),
            required: &["refresh_token"],
        },
        Route {
            label: "POST /api/v1/me/password",
            method: "POST",
            path: "/api/v1/me/password".into(),
            caller: Some(ADMIN),
            valid: json!({"current_password": DEMO_PASSWORD, "new_password": "another-long-password"}),
            required: &["current_password", "new_password"],
        },
        Route {
            label: "PATCH /api/v1/districts/{id}",
            method: "PATCH",
            path: format!("/api/v1/districts/{}", fx.district),
            caller: Some(ADMIN),
            valid: json!({"name": "Maple Valley USD"}),
            required: &[],
        },
        Route {
            label: "POST /api/v1/auth/activate",
            method: "POST",
            path: "/api/v1/auth/activate".into(),
            caller: None,
            valid: json!({"code": "AAAA-BBBB-CCCC", "password": "river-stones-42"}),
            required: &["code", "password"],
        },
        Route {
            label: "POST /api/v1/schools/{id}/activation-codes",
            method: "POST",
            path: format!("/api/v1/schools/{}/activation-codes", fx.riverbend),
            caller: Some(ADMIN),
            valid: json!({"grade": 7, "include_activated": false, "expires_in_days": 14}),
            required: &[],
        },
        Route {
            label: "POST /api/v1/users/{id}/activation-code",
            method: "POST",
            path: format!("/api/v1/users/{}/activation-code", fx.student),
            caller: Some(ADMIN),
            valid: json!({"expires_in_days": 7}),
            required: &[],
        },
        Route {
            label: "PUT /api/v1/districts/{id}/retention",
            method: "PUT",
            path: format!("/api/v1/districts/{}/retention", fx.district),
            caller: Some(ADMIN),
            valid: json!({"participation_days": 365, "deactivated_account_days": 730, "reflection_days": 365}),
            required: &[],
        },
    ]
}
