use crate::helpers::*;
use diesel::prelude::*;
use securebase::accounts::Role;
use securebase::auth::tokens::{Claims, TokenKeys, AUDIENCE, ISSUER};
use securebase::db::schema::{refresh_tokens, users};
use serde_json::json;

#[test]
fn login_returns_token_pair_and_me_shows_account() {
    let app = TestApp::spawn();
    let r = app.login_pair("denise.whitfield", DEMO_PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 40);
    let token = body["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/me", Some(token));
    assert_eq!(me.status, 200);
    let me = me.json();
    assert_eq!(me["username"], "denise.whitfield");
    assert_eq!(me["role"], "district_admin");
    assert!(me.get("password_hash").is_none());
    assert!(me["created_at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn usernames_are_case_insensitive_and_every_demo_login_works() {
    let app = TestApp::spawn();
    for login in demo_logins() {
        let r = app.login_pair(&login.username.to_uppercase(), &login.password);
        assert_eq!(r.status, 200, "{}: {}", login.username, r.text);
        let me = app.get("/api/v1/me", r.json()["access_token"].as_str());
        assert_eq!(me.json()["role"], login.role.as_str());
    }
}

#[test]
fn wrong_password_and_unknown_user_get_the_same_401() {
    let app = TestApp::spawn();
    let wrong = app.login_pair("denise.whitfield", "not-the-password");
    let unknown = app.login_pair("nobody.here", "whatever-password");
    let a = wrong.problem(401);
    let b = unknown.problem(401);
    assert_eq!(a["detail"], b["detail"]);
    assert_eq!(wrong.header("www-authenticate"), Some("Bearer"));
}

#[test]
fn repeated_failures_lock_the_account_with_retry_after() {
    let app = TestApp::spawn();
    for _ in 0..5 {
        app.login_pair("samuel.ortega", "guess-guess").problem(401);
    }
    // Locked now: even the right password is refused until the lock expires.
    let locked = app.login_pair("samuel.ortega", DEMO_PASSWORD);
    locked.problem(429);
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 800 && retry <= 900, "retry-after {retry}");
    // Other accounts are unaffected.
    assert_eq!(app.login_pair("daniel.kim", DEMO_PASSWORD).status, 200);
    let mut conn = app.conn();
    let locked_until: Option<chrono::NaiveDateTime> = users::table
        .filter(users::username.eq("samuel.ortega"))
        .select(users::locked_until)
        .first(&mut conn)
        .unwrap();
    assert!(locked_until.is_some());
}

/// The lockout holds under concurrency: each attempt is counted, and the lock checked, in the
/// database before its password is hashed, so 100 guesses sent at once are checked at most
/// `threshold` (5) times, and the right password is refused after them.
#[test]
fn a_hundred_parallel_guesses_are_checked_at_most_threshold_times() {
    use securebase::db::schema::audit_events;
    // Neither the per-address limit nor the hashing queue is what is tested here.
    let app = TestApp::spawn_with(|c| {
        c.login_rate_per_ip = 10_000;
        c.password_hash_queue = 1_000;
    });
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..100)
            .map(|i| {
                let app = &app;
                scope.spawn(move || {
                    app.login_pair("samuel.ortega", &format!("guess-{i}"))
                        .status
                })
            })
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap()).collect()
    });
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked, 5, "{statuses:?}");
    assert_eq!(refused, 95, "{statuses:?}");
    app.login_pair("samuel.ortega", DEMO_PASSWORD).problem(429);
    let user: String = users::table
        .filter(users::username.eq("samuel.ortega"))
        .select(users::id)
        .first(&mut app.conn())
        .unwrap();
    app.seal_audit();
    let failures: i64 = audit_events::table
        .filter(audit_events::actor_id.eq(&user))
        .filter(audit_events::action.eq("auth.login_failed"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(failures, 5, "each checked guess is audited, and only those");
}

/// A sign-in storm meets a bounded hashing pool: what the pool cannot take within its wait is
/// answered 503 with Retry-After at once, never a hang or a 500, and the rest sign in.
#[test]
fn a_sign_in_storm_beyond_the_hashing_queue_gets_503_with_retry_after() {
    use securebase::db::schema::users;
    let app = TestApp::spawn_with(|c| {
        c.login_rate_per_ip = 10_000;
        c.password_hash_queue = 1;
        c.password_hash_max_wait_ms = 1_000;
    });
    let students: Vec<String> = users::table
        .filter(users::role.eq("student"))
        .order(users::username.asc())
        .limit(40)
        .select(users::username)
        .load(&mut app.conn())
        .unwrap();
    let started = std::time::Instant::now();
    let answers: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
        let calls: Vec<_> = students
            .iter()
            .map(|u| {
                let app = &app;
                scope.spawn(move || {
                    let r = app.login_pair(u, DEMO_PASSWORD);
                    (r.status, r.header("retry-after").map(str::to_owned))
                })
            })
            .collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    let signed_in = answers.iter().filter(|(s, _)| *s == 200).count();
    let busy: Vec<&(u16, Option<String>)> = answers.iter().filter(|(s, _)| *s == 503).collect();
    assert_eq!(signed_in + busy.len(), 40, "{answers:?}");
    assert!(signed_in >= 1 && !busy.is_empty(), "{answers:?}");
    assert!(
        busy.iter().all(|(_, retry)| retry.as_deref() == Some("1")),
        "{busy:?}"
    );
    // Nobody waited for forty hashes in a row.
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // Refusals for load are not failures: nobody is locked out, nothing is left counted.
    let counted: Vec<(i32, Option<chrono::NaiveDateTime>)> = users::table
        .filter(users::username.eq_any(&students))
        .select((users::failed_logins, users::locked_until))
        .load(&mut app.conn())
        .unwrap();
    assert!(
        counted.iter().all(|(n, lock)| *n == 0 && lock.is_none()),
        "{counted:?}"
    );
    // The refused can sign in once the storm has passed.
    let (first_refused, _) = students
        .iter()
        .zip(&answers)
        .find(|(_, (s, _))| *s == 503)
        .unwrap();
    assert_eq!(app.login_pair(first_refused, DEMO_PASSWORD).status, 200);
}

#[test]
fn successful_login_resets_the_failure_count() {
    let app = TestApp::spawn();
    for _ in 0..4 {
        app.login_pair("samuel.ortega", "guess-guess").problem(401);
    }
    assert_eq!(app.login_pair("samuel.ortega", DEMO_PASSWORD).status, 200);
    for _ in 0..4 {
        app.login_pair("samuel.ortega", "guess-guess").problem(401);
    }
    assert_eq!(app.login_pair("samuel.ortega", DEMO_PASSWORD).status, 200);
}

#[test]
fn a_class_behind_one_address_signs_in_but_a_flood_is_throttled() {
    let app = TestApp::spawn();
    // 35 students of one school sign in from one NAT address within the minute.
    let mut conn = app.conn();
    let students: Vec<String> = users::table
        .filter(users::role.eq("student"))
        .order(users::username.asc())
        .limit(35)
        .select(users::username)
        .load(&mut conn)
        .unwrap();
    for s in &students {
        assert_eq!(app.login_pair(s, DEMO_PASSWORD).status, 200, "{s}");
    }
    // A guessing flood from the same address is cut off with 429 + Retry-After.
    let mut throttled = None;
    for i in 0..200 {
        let r = app.login_pair(&format!("nobody{i}"), "guess-guess");
        if r.status == 429 {
            throttled = Some(r);
            break;
        }
        assert_eq!(r.status, 401);
    }
    let r = throttled.expect("the per-address limit never engaged");
    r.problem(429);
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
}

fn refresh(app: &TestApp, token: &str) -> Resp {
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({ "refresh_token": token }),
    )
}

#[test]
fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn();
    let first = app.login_pair("kenji.watanabe", DEMO_PASSWORD).json();
    let r1 = first["refresh_token"].as_str().unwrap();

    let second = refresh(&app, r1);
    assert_eq!(second.status, 200, "{}", second.text);
    let second = second.json();
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    assert_eq!(
        app.get("/api/v1/me", second["access_token"].as_str())
            .status,
        200
    );

    // Replaying the used token is theft: refused, and the whole family dies, including r2.
    refresh(&app, r1).problem(401);
    refresh(&app, r2).problem(401);

    let mut conn = app.conn();
    let live: i64 = refresh_tokens::table
        .filter(refresh_tokens::revoked.eq(false))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(live, 0);
    // A fresh sign-in starts a new family that works.
    let again = app.login_pair("kenji.watanabe", DEMO_PASSWORD).json();
    assert_eq!(
        refresh(&app, again["refresh_token"].as_str().unwrap()).status,
        200
    );
}

#[test]
fn refresh_tokens_are_stored_hashed() {
    let app = TestApp::spawn();
    let pair = app.login_pair("kenji.watanabe", DEMO_PASSWORD).json();
    let token = pair["refresh_token"].as_str().unwrap();
    let mut conn = app.conn();
    let stored: Vec<String> = refresh_tokens::table
        .select(refresh_tokens::token_hash)
        .load(&mut conn)
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
}

#[test]
fn logout_revokes_the_refresh_token() {
    let app = TestApp::spawn();
    let pair = app.login_pair("kenji.watanabe", DEMO_PASSWORD).json();
    let token = pair["refresh_token"].as_str().unwrap();
    let out = app.post(
        "/api/v1/auth/logout",
        None,
        &json!({ "refresh_token": token }),
    );
    assert_eq!(out.status, 204);
    refresh(&app, token).problem(401);
    // Unknown tokens answer the same, revealing nothing.
    assert_eq!(
        app.post(
            "/api/v1/auth/logout",
            None,
            &json!({ "refresh_token": "nope" })
        )
        .status,
        204
    );
}

#[test]
fn expired_refresh_token_is_refused() {
    let app = TestApp::spawn_with(|c| c.refresh_token_ttl_secs = 0);
    let pair = app.login_pair("kenji.watanabe", DEMO_PASSWORD).json();
    refresh(&app, pair["refresh_token"].as_str().unwrap()).problem(401);
}

#[test]
fn password_change_requires_current_password_and_ends_other_sessions() {
    let app = TestApp::spawn();
    let pair = app.login_pair("kenji.watanabe", DEMO_PASSWORD).json();
    let token = pair["access_token"].as_str().unwrap();
    app.post(
        "/api/v1/me/password",
        Some(token),
        &json!({"current_password": "wrong-one", "new_password": "a-new-long-password"}),
    )
    .invalid_field("current_password");
    app.post(
        "/api/v1/me/password",
        Some(token),
        &json!({"current_password": DEMO_PASSWORD, "new_password": "short"}),
    )
    .invalid_field("new_password");
    let ok = app.post(
        "/api/v1/me/password",
        Some(token),
        &json!({"current_password": DEMO_PASSWORD, "new_password": "a-new-long-password"}),
    );
    assert_eq!(ok.status, 204, "{}", ok.text);
    refresh(&app, pair["refresh_token"].as_str().unwrap()).problem(401);
    app.login_pair("kenji.watanabe", DEMO_PASSWORD).problem(401);
    assert_eq!(
        app.login_pair("kenji.watanabe", "a-new-long-password")
            .status,
        200
    );
}

#[test]
fn deactivated_accounts_cannot_sign_in_or_refresh() {
    let app = TestApp::spawn();
    let admin = app.login("patricia.alvarez");
    let pair = app.login_pair("alanap489", DEMO_PASSWORD).json();
    let student_id = app.get("/api/v1/me", pair["access_token"].as_str()).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.patch(
        &format!("/api/v1/users/{student_id}"),
        Some(&admin),
        &json!({"active": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    app.login_pair("alanap489", DEMO_PASSWORD).problem(401);
    refresh(&app, pair["refresh_token"].as_str().unwrap()).problem(401);
    app.get("/api/v1/me", pair["access_token"].as_str())
        .problem(401);
}

fn claims(role: Role, exp_offset: i64) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: "someone".into(),
        role,
        did: "district".into(),
        sid: None,
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        iat: now,
        exp: now + exp_offset,
    }
}

#[test]
fn forged_expired_and_malformed_tokens_are_401() {
    let app = TestApp::spawn();
    let ours = TokenKeys::new(securebase::config::DEMO_JWT_SECRET.as_bytes(), 900);
    let theirs = TokenKeys::new(b"another-key-another-key-another-key!", 900);
    let expired = ours.sign(&claims(Role::DistrictAdmin, -3600)).unwrap();
    let forged = theirs.sign(&claims(Role::DistrictAdmin, 600)).unwrap();
    let mut wrong_audience = claims(Role::DistrictAdmin, 600);
    wrong_audience.aud = "someone-else".into();
    let wrong_audience = ours.sign(&wrong_audience).unwrap();
    // alg=none with our claims.
    let unsigned = {
        use base64::Engine;
        let enc = |v: &serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        format!(
            "{}.{}.",
            enc(&json!({"alg": "none", "typ": "JWT"})),
            enc(&serde_json::to_value(claims(Role::DistrictAdmin, 600)).unwrap())
        )
    };
    let expired_problem = app.get("/api/v1/me", Some(&expired)).problem(401);
    assert_eq!(expired_problem["detail"], "access token expired");
    for bad in [forged, wrong_audience, unsigned, "garbage".to_owned()] {
        app.get("/api/v1/me", Some(&bad)).problem(401);
    }
    app.get("/api/v1/me", None).problem(401);
    let basic = app.request(
        "GET",
        "/api/v1/me",
        None,
        &[("Authorization", "Basic dXNlcjpwdw==")],
        None,
    );
    basic.problem(401);
}

#[test]
fn concurrent_refreshes_of_one_token_rotate_it_exactly_once() {
    let app = TestApp::spawn();
    let pair = app.login_pair("kenji.watanabe", DEMO_PASSWORD).json();
    let token = pair["refresh_token"].as_str().unwrap().to_owned();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| refresh(&app, &token).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
}

#[test]
fn concurrent_writes_all_succeed_without_busy_errors() {
    let app = TestApp::spawn();
    let admin = app.login("patricia.alvarez");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..24)
            .map(|i| {
                let (app, admin) = (&app, &admin);
                s.spawn(move || {
                    app.post(
                        "/api/v1/users",
                        Some(admin),
                        &json!({
                            "username": format!("parallel{i}"), "role": "student", "grade": 3,
                            "given_name": "Par", "family_name": format!("Allel {i}")
                        }),
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let mut conn = app.conn();
    let created: i64 = users::table
        .filter(users::username.like("parallel%"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(created, 24);
}
