//! Sign-in with the district's identity provider (OpenID Connect), against a real provider
//! (tests/oidc: panva's oidc-provider on Node) driven as a browser would: the flow end to end,
//! and each way a return can be forged, replayed or simply wrong.

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::oidc::{account, pkce, query_of, Browser, TestProvider};
use crate::helpers::{demo_district, lookups, Resp, TestApp, DEMO_PASSWORD};
use securebase::db::schema::{audit_events, identity_providers, oidc_sign_ins};

const CLIENT: &str = "https://sel.maplevalley.example/signed-in";

/// The people the test provider knows: two staff by e-mail, a student by username, and a
/// person the district has never heard of.
fn provider_accounts() -> Vec<Value> {
    vec![
        account(
            "g-denise",
            json!({"email": "Denise.Whitfield@maplevalley.example.org", "email_verified": true}),
        ),
        account(
            "g-david",
            json!({"email": "david.goldstein@maplevalley.example.org", "email_verified": true}),
        ),
        account(
            "g-stranger",
            json!({"email": "stranger@elsewhere.example", "email_verified": true}),
        ),
        account(
            "g-unverified",
            json!({"email": "david.goldstein@maplevalley.example.org", "email_verified": false}),
        ),
        account(
            "g-unsaid",
            json!({"email": "david.goldstein@maplevalley.example.org"}),
        ),
        account("c-alana", json!({"preferred_username": "alanap489"})),
        // A Kelvin sign for the K: Unicode lower-cases it to "k", but it is not the username.
        account("c-kelvin", json!({"preferred_username": "\u{212A}aid420"})),
    ]
}

struct Setup {
    app: TestApp,
    admin: String,
    provider: TestProvider,
    provider_id: String,
}

fn callback(app: &TestApp) -> String {
    format!("{}/api/v1/auth/oidc/callback", app.base)
}

fn register(app: &TestApp, admin: &str, provider: &TestProvider, by: &str, name: &str) -> String {
    let r = app.post(
        &format!("/api/v1/districts/{}/identity-providers", demo_district()),
        Some(admin),
        &json!({
            "name": name,
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
            "account_match": by,
            "redirect_uris": [CLIENT, "http://127.0.0.1:7777/cb"],
        }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let body = r.json();
    assert_eq!(body["callback_url"], json!(callback(app)));
    assert!(body.get("client_secret").is_none(), "{body}");
    body["id"].as_str().unwrap().to_owned()
}

fn setup_with(tamper: Option<&str>, adjust: impl FnOnce(&mut securebase::config::Config)) -> Setup {
    let app = TestApp::spawn_with(adjust);
    let admin = app.login("denise.whitfield");
    let provider = TestProvider::start(&callback(&app), &provider_accounts(), tamper);
    let provider_id = register(&app, &admin, &provider, "email", "Maple Valley Google");
    Setup {
        app,
        admin,
        provider,
        provider_id,
    }
}

fn setup() -> Setup {
    setup_with(None, |_| {})
}

/// What a client does to start, in `browser`: returns the provider's authorization URL and the
/// client's PKCE verifier.
fn start(app: &TestApp, browser: &mut Browser, provider_id: &str) -> (String, String) {
    let (verifier, challenge) = pkce();
    let page = browser.get(&format!(
        "{}/api/v1/auth/oidc/{provider_id}/start?redirect_uri={}&state=client-state-1&code_challenge={challenge}&code_challenge_method=S256",
        app.base,
        urlencode(CLIENT)
    ));
    assert_eq!(page.status, 303, "{}", page.body);
    (page.location.unwrap(), verifier)
}

fn urlencode(s: &str) -> String {
    openidconnect::url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The whole flow as `who` at the provider; returns where the browser lands at the client.
fn sign_in(s: &Setup, provider_id: &str, who: &str) -> (HashMap, String) {
    let mut browser = Browser::default();
    let (authorize, verifier) = start(&s.app, &mut browser, provider_id);
    let back = browser.sign_in_at_provider(&authorize, who, &callback(&s.app));
    let landed = browser.get(&back);
    assert_eq!(landed.status, 303, "{}", landed.body);
    let at_client = landed.location.unwrap();
    assert!(at_client.starts_with(CLIENT), "{at_client}");
    (query_of(&at_client), verifier)
}

type HashMap = std::collections::HashMap<String, String>;

fn exchange(app: &TestApp, code: &str, verifier: &str) -> Resp {
    app.post(
        "/api/v1/auth/oidc/token",
        None,
        &json!({"code": code, "code_verifier": verifier}),
    )
}

fn audit(app: &TestApp, action: &str) -> Vec<Value> {
    app.seal_audit();
    audit_events::table
        .filter(audit_events::action.eq(action))
        .order(audit_events::seq)
        .select(audit_events::scope)
        .load::<String>(&mut app.conn())
        .unwrap()
        .into_iter()
        .map(|s| serde_json::from_str(&s).unwrap())
        .collect()
}

fn refusal_reasons(app: &TestApp) -> Vec<String> {
    audit(app, "auth.oidc_refused")
        .iter()
        .map(|s| s["reason"].as_str().unwrap().to_owned())
        .collect()
}

fn refused(params: &HashMap, reason: &str) {
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("access_denied"),
        "{params:?}"
    );
    assert_eq!(
        params.get("reason").map(String::as_str),
        Some(reason),
        "{params:?}"
    );
    assert_eq!(
        params.get("state").map(String::as_str),
        Some("client-state-1")
    );
    assert!(!params.contains_key("code"), "{params:?}");
}

#[test]
fn demo_staff_and_students_sign_in_through_the_district_provider() {
    let s = setup();
    // Students of this district sign in with a username-based provider (no e-mail addresses).
    let students = register(
        &s.app,
        &s.admin,
        &s.provider,
        "username",
        "Maple Valley Clever",
    );

    for (provider, who, username) in [
        (&s.provider_id, "g-denise", "denise.whitfield"),
        (&s.provider_id, "g-david", "david.goldstein"),
        (&students, "c-alana", "alanap489"),
    ] {
        let (params, verifier) = sign_in(&s, provider, who);
        assert_eq!(
            params.get("state").map(String::as_str),
            Some("client-state-1")
        );
        let code = params
            .get("code")
            .unwrap_or_else(|| panic!("{who}: {params:?}"));
        let r = exchange(&s.app, code, &verifier);
        assert_eq!(r.status, 200, "{who}: {}", r.text);
        let tokens = r.json();
        let me = s.app.get("/api/v1/me", tokens["access_token"].as_str());
        assert_eq!(me.status, 200, "{}", me.text);
        assert_eq!(me.json()["username"], json!(username));
        // The usual refresh token works too.
        let refreshed = s.app.post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": tokens["refresh_token"]}),
        );
        assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    }

    let logins = audit(&s.app, "auth.login");
    let by_oidc: Vec<&Value> = logins.iter().filter(|l| l["method"] == "oidc").collect();
    assert_eq!(by_oidc.len(), 3, "{logins:?}");
    assert_eq!(audit(&s.app, "identity_provider.created").len(), 2);
    assert!(refusal_reasons(&s.app).is_empty());

    // The client secret is sealed: neither the row nor the audit trail holds it in the clear.
    let rows: Vec<(String, String)> = identity_providers::table
        .select((
            identity_providers::client_secret_key,
            identity_providers::client_secret_sealed,
        ))
        .load(&mut s.app.conn())
        .unwrap();
    for (key, sealed) in rows {
        assert!(
            !key.contains(&s.provider.client_secret) && !sealed.contains(&s.provider.client_secret)
        );
    }
    let everything: Vec<String> = audit_events::table
        .select(audit_events::scope)
        .load(&mut s.app.conn())
        .unwrap();
    assert!(everything
        .iter()
        .all(|e| !e.contains(&s.provider.client_secret)));

    // Nobody was created by signing in.
    let listed = s.app.get(
        &format!("/api/v1/districts/{}/identity-providers", demo_district()),
        Some(&s.admin),
    );
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json().as_array().unwrap().len(), 2);
}

#[test]
fn forged_and_replayed_returns_are_refused() {
    let s = setup();
    let cb = callback(&s.app);

    // A state this server never issued.
    let mut browser = Browser::default();
    let forged = browser.get(&format!("{cb}?code=abc&state=not-a-state-we-issued"));
    assert_eq!(forged.status, 400, "{}", forged.body);
    assert!(
        forged.body.contains("unknown or has expired"),
        "{}",
        forged.body
    );
    let no_state = browser.get(&format!("{cb}?code=abc"));
    assert_eq!(no_state.status, 400);

    // A complete return, then the same return again (from history, a log, a proxy).
    let (authorize, verifier) = start(&s.app, &mut browser, &s.provider_id);
    let back = browser.sign_in_at_provider(&authorize, "g-denise", &cb);
    let first = browser.get(&back);
    assert_eq!(first.status, 303);
    let params = query_of(&first.location.unwrap());
    let replay = browser.get(&back);
    assert_eq!(replay.status, 400, "{}", replay.body);
    assert!(replay.body.contains("already completed"), "{}", replay.body);
    assert_eq!(refusal_reasons(&s.app), ["state_replayed"]);

    // The first return's code still signs in, once.
    let code = &params["code"];
    assert_eq!(exchange(&s.app, code, &verifier).status, 200);
    assert_eq!(exchange(&s.app, code, &verifier).status, 401);

    // The provider's code replayed inside another sign-in (its own state): the provider
    // refuses a code it has already exchanged.
    let (second, _) = start(&s.app, &mut browser, &s.provider_id);
    let second_state = query_of(&second)["state"].clone();
    let provider_code = query_of(&back)["code"].clone();
    let mixed = browser.get(&format!(
        "{cb}?code={}&state={}",
        urlencode(&provider_code),
        urlencode(&second_state)
    ));
    assert_eq!(mixed.status, 303, "{}", mixed.body);
    refused(&query_of(&mixed.location.unwrap()), "code_rejected");
}

#[test]
fn a_nonce_changed_in_the_authorization_request_is_refused() {
    let s = setup();
    let mut browser = Browser::default();
    let (authorize, _) = start(&s.app, &mut browser, &s.provider_id);
    let nonce = query_of(&authorize)["nonce"].clone();
    let tampered = authorize.replace(&format!("nonce={nonce}"), "nonce=attacker-chosen-nonce");
    assert_ne!(tampered, authorize);
    let back = browser.sign_in_at_provider(&tampered, "g-denise", &callback(&s.app));
    let landed = browser.get(&back);
    refused(&query_of(&landed.location.unwrap()), "wrong_nonce");
    assert_eq!(refusal_reasons(&s.app), ["wrong_nonce"]);
}

#[test]
fn tokens_for_another_client_or_expired_are_refused() {
    for (tamper, reason) in [("aud", "wrong_audience"), ("expired", "expired_token")] {
        let s = setup_with(Some(tamper), |_| {});
        let (params, verifier) = sign_in(&s, &s.provider_id, "g-denise");
        refused(&params, reason);
        assert_eq!(refusal_reasons(&s.app), [reason]);
        // Nothing to exchange: no code was issued.
        let none: i64 = oidc_sign_ins::table
            .filter(oidc_sign_ins::handoff_hash.is_not_null())
            .count()
            .get_result(&mut s.app.conn())
            .unwrap();
        assert_eq!(none, 0, "{tamper}");
        let _ = verifier;
    }
}

#[test]
fn a_key_rotated_at_the_provider_is_fetched_and_trusted() {
    let s = setup_with(None, |c| c.oidc_key_refetch_secs = 0);
    let (params, verifier) = sign_in(&s, &s.provider_id, "g-denise");
    assert_eq!(exchange(&s.app, &params["code"], &verifier).status, 200);

    let before = s.provider.key_ids();
    let kid = s.provider.rotate_keys();
    assert_eq!(s.provider.key_ids(), std::slice::from_ref(&kid));
    assert!(!before.contains(&kid));

    // The server's cached keys do not have the new one: it reads them again and trusts it.
    let (params, verifier) = sign_in(&s, &s.provider_id, "g-denise");
    let code = params.get("code").unwrap_or_else(|| panic!("{params:?}"));
    assert_eq!(exchange(&s.app, code, &verifier).status, 200);
    assert!(refusal_reasons(&s.app).is_empty());
}

#[test]
fn unknown_unverified_and_deactivated_people_are_refused() {
    let s = setup();
    let (params, _) = sign_in(&s, &s.provider_id, "g-stranger");
    refused(&params, "unknown_account");
    let (params, _) = sign_in(&s, &s.provider_id, "g-unverified");
    refused(&params, "unverified_email");
    // No `email_verified` at all is not verified either, unless the district says so.
    let (params, _) = sign_in(&s, &s.provider_id, "g-unsaid");
    refused(&params, "unverified_email");
    let students = register(
        &s.app,
        &s.admin,
        &s.provider,
        "username",
        "Maple Valley Clever",
    );
    let (params, _) = sign_in(&s, &students, "c-kelvin");
    refused(&params, "unknown_account");

    let david = lookups::user_id(&mut s.app.conn(), "david.goldstein");
    let r = s.app.patch(
        &format!("/api/v1/users/{david}"),
        Some(&s.admin),
        &json!({"active": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let (params, _) = sign_in(&s, &s.provider_id, "g-david");
    refused(&params, "account_deactivated");
    assert!(params["error_description"].contains("deactivated"));

    assert_eq!(
        refusal_reasons(&s.app),
        [
            "unknown_account",
            "unverified_email",
            "unverified_email",
            "unknown_account",
            "account_deactivated"
        ]
    );
    // A provider that sends no `email_verified` and whose addresses only the district assigns.
    let r = s.app.patch(
        &format!("/api/v1/identity-providers/{}", s.provider_id),
        Some(&s.admin),
        &json!({"require_verified_email": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["require_verified_email"], json!(false));
    let (params, _) = sign_in(&s, &s.provider_id, "g-unsaid");
    refused(&params, "account_deactivated");
    let (params, _) = sign_in(&s, &s.provider_id, "g-unverified");
    refused(&params, "unverified_email");
}

#[test]
fn only_registered_redirect_addresses_are_accepted() {
    let s = setup();
    let (_, challenge) = pkce();
    for unregistered in [
        "https://sel.maplevalley.example/signed-in/",
        "https://sel.maplevalley.example/signed-in?next=/admin",
        "https://evil.example/signed-in",
        "http://sel.maplevalley.example/signed-in",
    ] {
        let r = s.app.get(
            &format!(
                "/api/v1/auth/oidc/{}/start?redirect_uri={}&code_challenge={challenge}",
                s.provider_id,
                urlencode(unregistered)
            ),
            None,
        );
        r.invalid_field("redirect_uri");
        assert!(r.header("location").is_none());
    }
    // A malformed challenge, a method other than S256, an unknown provider.
    let base = format!(
        "/api/v1/auth/oidc/{}/start?redirect_uri={}",
        s.provider_id,
        urlencode(CLIENT)
    );
    s.app
        .get(&format!("{base}&code_challenge=short"), None)
        .invalid_field("code_challenge");
    s.app
        .get(
            &format!("{base}&code_challenge={challenge}&code_challenge_method=plain"),
            None,
        )
        .invalid_field("code_challenge_method");
    let unknown = s.app.get(
        &format!(
            "/api/v1/auth/oidc/{}/start?redirect_uri={}&code_challenge={challenge}",
            uuid::Uuid::new_v4(),
            urlencode(CLIENT)
        ),
        None,
    );
    unknown.problem(404);
    let stored: i64 = oidc_sign_ins::table
        .count()
        .get_result(&mut s.app.conn())
        .unwrap();
    assert_eq!(stored, 0, "nothing is kept for a refused start");

    // A provider turned off starts no sign-in.
    let r = s.app.patch(
        &format!("/api/v1/identity-providers/{}", s.provider_id),
        Some(&s.admin),
        &json!({"enabled": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    s.app
        .get(&format!("{base}&code_challenge={challenge}"), None)
        .problem(404);
    let changes = audit(&s.app, "identity_provider.changed");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["to"]["enabled"], json!(false));
}

#[test]
fn the_one_time_code_needs_the_clients_verifier() {
    let s = setup();
    let (params, verifier) = sign_in(&s, &s.provider_id, "g-denise");
    let (wrong, _) = pkce();
    // A stolen code without the verifier is refused, and spent.
    assert_eq!(exchange(&s.app, &params["code"], &wrong).status, 401);
    assert_eq!(exchange(&s.app, &params["code"], &verifier).status, 401);
    assert_eq!(exchange(&s.app, "no-such-code", &verifier).status, 401);
    assert_eq!(refusal_reasons(&s.app), ["client_verifier_mismatch"]);
    // A code whose provider was turned off after it vouched for the person is not honoured.
    let (params, verifier) = sign_in(&s, &s.provider_id, "g-denise");
    let r = s.app.patch(
        &format!("/api/v1/identity-providers/{}", s.provider_id),
        Some(&s.admin),
        &json!({"enabled": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(exchange(&s.app, &params["code"], &verifier).status, 401);
    // The provider vouched for the person before the code was lost: that is recorded too.
    let verified = audit(&s.app, "auth.oidc_verified");
    assert_eq!(verified.len(), 2);
    assert_eq!(verified[0]["subject"], json!("g-denise"));
}

#[test]
fn a_return_from_another_browser_is_refused() {
    let s = setup();
    // The attacker starts a sign-in and sends the provider's URL to the person, who signs in.
    let mut attacker = Browser::default();
    let (authorize, _) = start(&s.app, &mut attacker, &s.provider_id);
    let mut victim = Browser::default();
    let back = victim.sign_in_at_provider(&authorize, "g-denise", &callback(&s.app));
    let landed = victim.get(&back);
    assert_eq!(landed.status, 400, "{}", landed.body);
    assert!(landed.body.contains("another browser"), "{}", landed.body);
    assert!(landed.location.is_none());
    // Nothing was claimed or issued; the attempt is recorded once however often it is sent.
    assert_eq!(victim.get(&back).status, 400);
    assert_eq!(refusal_reasons(&s.app), ["another_browser"]);
    let issued: i64 = oidc_sign_ins::table
        .filter(oidc_sign_ins::handoff_hash.is_not_null())
        .count()
        .get_result(&mut s.app.conn())
        .unwrap();
    assert_eq!(issued, 0);
}

#[test]
fn a_district_can_turn_student_passwords_off() {
    let s = setup();
    let district = demo_district();
    let student = "alanap489";
    let before = s.app.login_pair(student, DEMO_PASSWORD);
    assert_eq!(before.status, 200);
    let old_refresh = before.json()["refresh_token"].clone();

    let teacher = s.app.login("david.goldstein");
    let r = s.app.patch(
        &format!("/api/v1/districts/{district}"),
        Some(&teacher),
        &json!({"student_passwords": false}),
    );
    assert_eq!(r.status, 403);
    // Not while no identity provider is enabled: students could not sign in at all.
    let provider = format!("/api/v1/identity-providers/{}", s.provider_id);
    let off = json!({"student_passwords": false});
    let district_path = format!("/api/v1/districts/{district}");
    assert_eq!(
        s.app
            .patch(&provider, Some(&s.admin), &json!({"enabled": false}))
            .status,
        200
    );
    let r = s.app.patch(&district_path, Some(&s.admin), &off);
    assert_eq!(r.problem(409)["errors"][0]["field"], "student_passwords");
    assert_eq!(
        s.app
            .patch(&provider, Some(&s.admin), &json!({"enabled": true}))
            .status,
        200
    );
    let r = s.app.patch(&district_path, Some(&s.admin), &off);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["student_passwords"], json!(false));

    // Sessions students began with a password end with the switch.
    let r = s.app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": old_refresh}),
    );
    assert_eq!(r.status, 401, "{}", r.text);
    // The right password is answered as a wrong one (guessing learns nothing while passwords
    // are off); the audit trail keeps the reason.
    let right = s.app.login_pair(student, DEMO_PASSWORD);
    let wrong = s.app.login_pair(student, "not-the-password");
    assert_eq!(right.problem(401)["detail"], wrong.problem(401)["detail"]);
    // Staff passwords keep working.
    assert_eq!(
        s.app.login_pair("david.goldstein", DEMO_PASSWORD).status,
        200
    );
    // An activation code of a student sets no password.
    let school = lookups::school_id(&mut s.app.conn(), "Cedar Grove Elementary School");
    let alana = lookups::user_id(&mut s.app.conn(), student);
    let issued = s.app.post(
        &format!("/api/v1/schools/{school}/activation-codes"),
        Some(&s.admin),
        &json!({"user_ids": [alana], "include_activated": true}),
    );
    assert_eq!(issued.status, 201, "{}", issued.text);
    let code = issued.json()["codes"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = s.app.post(
        "/api/v1/auth/activate",
        None,
        &json!({"code": code, "password": "a-new-password-1234"}),
    );
    r.problem(403);

    // The student signs in with the district's provider instead.
    let students = register(
        &s.app,
        &s.admin,
        &s.provider,
        "username",
        "Maple Valley Clever",
    );
    let (params, verifier) = sign_in(&s, &students, "c-alana");
    assert_eq!(exchange(&s.app, &params["code"], &verifier).status, 200);

    // Its last enabled provider cannot be turned off while students have no passwords.
    let r = s
        .app
        .patch(&provider, Some(&s.admin), &json!({"enabled": false}));
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s.app.patch(
        &format!("/api/v1/identity-providers/{students}"),
        Some(&s.admin),
        &json!({"enabled": false}),
    );
    assert_eq!(r.problem(409)["errors"][0]["field"], "enabled");

    let changes = audit(&s.app, "district.student_passwords_changed");
    assert_eq!(
        changes,
        [json!({"district_id": district, "student_passwords": false})]
    );
    assert_eq!(audit(&s.app, "auth.login_refused").len(), 1);
}

#[test]
fn identity_providers_are_the_district_administrators_own() {
    let s = setup();
    let district = demo_district();
    let list = format!("/api/v1/districts/{district}/identity-providers");
    let one = format!("/api/v1/identity-providers/{}", s.provider_id);
    for who in [
        "patricia.alvarez",
        "kenji.watanabe",
        "david.goldstein",
        "alanap489",
    ] {
        let token = s.app.login(who);
        assert_eq!(s.app.get(&list, Some(&token)).status, 403, "{who}");
        let body = json!({"name": who, "issuer": s.provider.issuer, "client_id": "c",
            "client_secret": "s", "account_match": "email", "redirect_uris": [CLIENT]});
        assert_eq!(s.app.post(&list, Some(&token), &body).status, 403, "{who}");
        assert_eq!(
            s.app
                .patch(&one, Some(&token), &json!({"enabled": false}))
                .status,
            403,
            "{who}"
        );
    }
    // Another district's administrator sees neither the list nor the provider.
    let other = s.app.login("hp.admin");
    assert_eq!(s.app.get(&list, Some(&other)).status, 404);
    let body = json!({"name": "Harbor", "issuer": s.provider.issuer, "client_id": "c",
        "client_secret": "s", "account_match": "email", "redirect_uris": [CLIENT]});
    assert_eq!(s.app.post(&list, Some(&other), &body).status, 404);
    assert_eq!(
        s.app
            .patch(&one, Some(&other), &json!({"enabled": false}))
            .status,
        404
    );
    // Bad input names the field; nothing is written.
    let r = s.app.post(
        &list,
        Some(&s.admin),
        &json!({"name": "x", "issuer": "ftp://idp.example", "client_id": "c", "client_secret": "s",
                "account_match": "email", "redirect_uris": [CLIENT]}),
    );
    r.invalid_field("issuer");
    let r = s.app.post(
        &list,
        Some(&s.admin),
        &json!({"name": "x", "issuer": s.provider.issuer, "client_id": "c", "client_secret": "s",
                "account_match": "email", "redirect_uris": ["http://sel.example/cb"]}),
    );
    r.invalid_field("redirect_uris");
    let r = s.app.post(
        &list,
        Some(&s.admin),
        &json!({"name": "Maple Valley Google", "issuer": s.provider.issuer, "client_id": "c",
                "client_secret": "s", "account_match": "email", "redirect_uris": [CLIENT]}),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    let count: i64 = identity_providers::table
        .count()
        .get_result(&mut s.app.conn())
        .unwrap();
    assert_eq!(count, 1);
}

#[test]
fn providers_on_internal_addresses_are_not_fetched() {
    // As in production: private, loopback and link-local addresses are off limits.
    let app = TestApp::spawn_with(|c| c.oidc_allow_private_addresses = false);
    let admin = app.login("denise.whitfield");
    let by_address = TestProvider::start(&callback(&app), &provider_accounts(), None);
    let by_name =
        TestProvider::start_named(&callback(&app), &provider_accounts(), None, "localhost");
    assert!(by_name.issuer.starts_with("http://localhost:"));
    for (provider, name) in [(&by_address, "By address"), (&by_name, "By name")] {
        let id = register(&app, &admin, provider, "email", name);
        let mut browser = Browser::default();
        let (_, challenge) = pkce();
        let page = browser.get(&format!(
            "{}/api/v1/auth/oidc/{id}/start?redirect_uri={}&code_challenge={challenge}",
            app.base,
            urlencode(CLIENT)
        ));
        assert_eq!(page.status, 502, "{name}: {}", page.body);
        assert!(
            page.body.contains("identity-provider-unreachable"),
            "{}",
            page.body
        );
        // The answer says nothing of what the address holds.
        assert!(!page.body.contains("127.0.0.1") && !page.body.contains("localhost"));
    }
    let stored: i64 = oidc_sign_ins::table
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(stored, 0);
}
