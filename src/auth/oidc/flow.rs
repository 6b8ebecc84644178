//! The sign-in itself, in three requests:
//!
//! 1. `GET /auth/oidc/{provider_id}/start`: the client names where to come back to (one of the
//!    provider's registered addresses, exactly) and its PKCE challenge. The server keeps a new
//!    `state`, `nonce` and PKCE verifier of its own, gives the browser a cookie that binds the
//!    sign-in to it, and sends it to the provider.
//! 2. `GET /auth/oidc/callback`: the provider sends the browser back with a code. The server
//!    honours each `state` once, exchanges the code, checks the ID token, finds the account of
//!    the district the token names, and sends the browser to the client's address with a
//!    one-time code (60 seconds) — or with `error=access_denied` and the reason.
//! 3. `POST /auth/oidc/token`: the client exchanges that code, with its PKCE verifier, for
//!    securebase's usual tokens. Tokens never travel in a URL.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::TimeDelta;
use openidconnect::url::Url;
use sha2::{Digest, Sha256};

use super::dto::{CallbackQuery, OidcTokenRequest, StartQuery};
use super::models::{ProviderRow, SignInRow};
use super::providers::{callback_url, open_secret};
use super::queries::{self, Suspicious};
use super::relying_party::Refusal;
use crate::accounts::UserRow;
use crate::auth::routes::{client_ip, issue_pair, TokenResponse};
use crate::auth::{tokens, AuthState};
use crate::db::{self, write_transaction};
use crate::error::ApiError;
use crate::extract::{ValidJson, ValidQuery};
use crate::state::AppState;

/// How long a person has at the provider before the sign-in must start again.
const SIGN_IN_MINUTES: i64 = 10;
/// How long the client has to exchange its one-time code.
const HANDOFF_SECONDS: i64 = 60;

fn hash(value: &str) -> String {
    tokens::hash_refresh_token(value)
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The cookie that binds a sign-in to the browser that started it: named after the state's
/// hash, so two sign-ins in one browser (two tabs) do not overwrite each other.
fn browser_cookie_name(state_hash: &str) -> String {
    format!("securebase_sign_in_{}", &state_hash[..12])
}

/// The cookie goes back only to the callback, under whatever path `PUBLIC_URL` has, and only
/// over HTTPS when the server is reached by HTTPS.
fn browser_cookie(callback: &str, name: &str, value: &str, max_age: i64) -> String {
    let (path, secure) = match Url::parse(callback) {
        Ok(url) => (url.path().to_owned(), url.scheme() == "https"),
        Err(_) => ("/api/v1/auth/oidc/callback".to_owned(), false),
    };
    format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Records a refused sign-in in the district's audit trail: by the account when one was found,
/// otherwise by the system.
fn record_refusal(
    conn: &mut db::DbConnection,
    provider: &ProviderRow,
    user: Option<&UserRow>,
    reason: &str,
) -> Result<(), ApiError> {
    let scope = serde_json::json!({"provider_id": provider.id, "reason": reason});
    match user {
        Some(user) => crate::audit::record_in_transaction(conn, user, "auth.oidc_refused", scope),
        None => crate::audit::record_in_transaction(
            conn,
            crate::audit::Actor::system(&provider.district_id),
            "auth.oidc_refused",
            scope,
        ),
    }
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The client's address with `params` added to its query.
fn back_to_client(sign_in: &SignInRow, params: &[(&str, &str)]) -> HttpResponse {
    let Ok(mut url) = Url::parse(&sign_in.redirect_uri) else {
        return HttpResponse::BadRequest().finish();
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, v);
        }
        if let Some(state) = &sign_in.client_state {
            query.append_pair("state", state);
        }
    }
    see_other(url.as_str())
}

/// Start signing in with an identity provider: answers 303 to the provider.
///
/// `redirect_uri` must be one of the provider's registered addresses exactly; anything else is
/// refused here, before the browser goes anywhere.
#[utoipa::path(
    tag = "auth",
    params(("provider_id" = String, Path, description = "Identity provider id"), StartQuery),
    responses(
        (status = 303, description = "To the identity provider",
            headers(
                ("Location" = String, description = "The provider's authorization URL"),
                ("Set-Cookie" = String, description = "Binds the sign-in to this browser: sent back only to the callback"),
            )),
        (status = 404, description = "No such identity provider, or it is turned off"),
        (status = 422, description = "An unregistered redirect_uri, or a malformed PKCE challenge"),
        (status = 429, description = "Too many attempts",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 502, description = "The identity provider could not be reached"),
    )
)]
#[get("/auth/oidc/{provider_id}/start")]
pub async fn oidc_start(
    state: web::Data<AppState>,
    auth: web::Data<AuthState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: ValidQuery<StartQuery>,
) -> Result<HttpResponse, ApiError> {
    let ip = client_ip(&req, state.config.trust_forwarded_for);
    auth.oidc_limiter
        .check(&ip)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    let query = query.0;
    if query
        .code_challenge_method
        .as_deref()
        .is_some_and(|m| m != "S256")
    {
        return Err(ApiError::invalid(
            "code_challenge_method",
            "only S256 is supported",
        ));
    }
    let id = path.into_inner();
    let provider = state
        .db
        .run(move |conn| queries::provider(conn, &id))
        .await?
        .filter(|p| p.enabled)
        .ok_or(ApiError::NotFound("identity provider"))?;
    if !provider.redirect_uris().contains(&query.redirect_uri) {
        return Err(ApiError::invalid(
            "redirect_uri",
            "is not one of this identity provider's registered addresses",
        ));
    }
    let callback = callback_url(&state).ok_or_else(|| {
        tracing::error!("sign-in with an identity provider needs PUBLIC_URL");
        ApiError::internal("PUBLIC_URL is not set")
    })?;
    let secret = open_secret(&state.seal_keys, &provider)?;
    let authorization = auth.oidc.authorize(&provider, &secret, &callback).await?;
    let now = db::now();
    let browser = tokens::new_refresh_token();
    let state_hash = hash(&authorization.state);
    let cookie = browser_cookie(
        &callback,
        &browser_cookie_name(&state_hash),
        &browser,
        SIGN_IN_MINUTES * 60,
    );
    let row = SignInRow {
        state_hash,
        provider_id: provider.id.clone(),
        pkce_verifier: authorization.pkce_verifier,
        nonce: authorization.nonce,
        redirect_uri: query.redirect_uri,
        client_state: query.state,
        client_challenge: query.code_challenge,
        browser_hash: hash(&browser),
        started_at: now,
        expires_at: now + TimeDelta::minutes(SIGN_IN_MINUTES),
        returned_at: None,
        replayed_at: None,
        foreign_browser_at: None,
        user_id: None,
        handoff_hash: None,
        handoff_expires_at: None,
        handoff_used_at: None,
    };
    state
        .db
        .write(move |conn| {
            queries::forget_expired(conn, now)?;
            queries::insert_sign_in(conn, &row)
        })
        .await?;
    let mut response = see_other(&authorization.url);
    if let Ok(value) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// What a provider's return comes to.
enum Return {
    /// A one-time code for this account (and the provider's `sub` of the person).
    SignedIn(UserRow, String),
    Refused(Refusal, Option<UserRow>),
}

/// Where the identity provider sends the browser back: answers 303 to the client's address,
/// with `code` (and the client's `state`) or with `error=access_denied`, `reason` and
/// `error_description`.
///
/// A `state` the server did not issue, has expired, or has already been returned, or a return
/// to a browser without the cookie `start` gave, is refused here (400), without going back to
/// any client.
#[utoipa::path(
    tag = "auth",
    params(CallbackQuery),
    responses(
        (status = 303, description = "Back to the client",
            headers(("Location" = String, description = "The client's redirect_uri with code or error"))),
        (status = 400, description = "Unknown, expired or already used state, or a return to another browser than the one that started"),
        (status = 429, description = "Too many attempts",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 502, description = "The identity provider could not be reached"),
    )
)]
#[get("/auth/oidc/callback")]
pub async fn oidc_callback(
    state: web::Data<AppState>,
    auth: web::Data<AuthState>,
    req: HttpRequest,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, ApiError> {
    let ip = client_ip(&req, state.config.trust_forwarded_for);
    auth.oidc_limiter
        .check(&ip)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    let query = query.into_inner();
    let Some(returned_state) = query
        .state
        .as_deref()
        .filter(|s| !s.is_empty() && s.len() <= 512)
    else {
        return Err(ApiError::Malformed {
            detail: "state is required".to_owned(),
            field: Some("state".to_owned()),
        });
    };
    let state_hash = hash(returned_state);
    let cookie_name = browser_cookie_name(&state_hash);
    let browser_hash = req.cookie(&cookie_name).map(|c| hash(c.value()));
    let (sign_in, provider) = claim_return(&state, state_hash, browser_hash).await?;
    // The cookie is left to expire: a return sent again from this browser is then told, and
    // recorded, as a replay.
    match provider_return(&state, &auth, &sign_in, &provider, &query).await? {
        Return::SignedIn(user, subject) => {
            signed_in(&state, &sign_in, &provider, user, subject).await
        }
        Return::Refused(refusal, user) => refused(&state, &sign_in, &provider, refusal, user).await,
    }
}

/// A one-time code for the account, recorded, and the browser sent back to the client with it.
async fn signed_in(
    state: &AppState,
    sign_in: &SignInRow,
    provider: &ProviderRow,
    user: UserRow,
    subject: String,
) -> Result<HttpResponse, ApiError> {
    let handoff = tokens::new_refresh_token();
    let handoff_hash = hash(&handoff);
    let (sh, provider_id) = (sign_in.state_hash.clone(), provider.id.clone());
    state
        .db
        .write(move |conn| {
            queries::set_handoff(
                conn,
                &sh,
                &user.id,
                &handoff_hash,
                db::now() + TimeDelta::seconds(HANDOFF_SECONDS),
            )?;
            // The provider vouched for this person: recorded even if the client never
            // exchanges the code, with the provider's own identifier of them.
            crate::audit::record_in_transaction(
                conn,
                &user,
                "auth.oidc_verified",
                serde_json::json!({"provider_id": provider_id, "subject": subject}),
            )
        })
        .await?;
    Ok(back_to_client(sign_in, &[("code", &handoff)]))
}

/// The refusal recorded, and the browser sent back to the client with it.
async fn refused(
    state: &AppState,
    sign_in: &SignInRow,
    provider: &ProviderRow,
    refusal: Refusal,
    user: Option<UserRow>,
) -> Result<HttpResponse, ApiError> {
    let provider = provider.clone();
    state
        .db
        .write(move |conn| record_refusal(conn, &provider, user.as_ref(), refusal.reason()))
        .await?;
    Ok(back_to_client(
        sign_in,
        &[
            ("error", "access_denied"),
            ("reason", refusal.reason()),
            ("error_description", refusal.description()),
        ],
    ))
}

/// The sign-in of a returned state, honoured once, with its provider. The return must come
/// from the browser that started it (its cookie). A replay is recorded once, as a value inside
/// the transaction so its audit row commits.
async fn claim_return(
    state: &AppState,
    state_hash: String,
    browser_hash: Option<String>,
) -> Result<(SignInRow, ProviderRow), ApiError> {
    const UNKNOWN: &str = "this sign-in is unknown or has expired; start again";
    state
        .db
        .write(move |conn| {
            let now = db::now();
            let Some(row) = queries::sign_in(conn, &state_hash)? else {
                return Ok(Err(refused_state(UNKNOWN)));
            };
            let Some(provider) = queries::provider(conn, &row.provider_id)? else {
                return Ok(Err(refused_state(UNKNOWN)));
            };
            if browser_hash.as_deref() != Some(row.browser_hash.as_str()) {
                // Not the browser that started: a link someone else made (login CSRF), a leaked
                // return, or a sign-in begun on another device. Nothing is claimed; recorded
                // once per sign-in.
                if queries::mark_suspicious(conn, &state_hash, Suspicious::ForeignBrowser, now)? {
                    record_refusal(conn, &provider, None, "another_browser")?;
                }
                return Ok(Err(refused_state(
                    "this sign-in was started in another browser; start again here",
                )));
            }
            if queries::claim_return(conn, &state_hash, now)? {
                return Ok(Ok((row, provider)));
            }
            if row.returned_at.is_none() {
                return Ok(Err(refused_state("this sign-in has expired; start again")));
            }
            // The same return twice: a replayed URL (from history, a log, a proxy).
            if queries::mark_suspicious(conn, &state_hash, Suspicious::Replayed, now)? {
                record_refusal(conn, &provider, None, "state_replayed")?;
            }
            Ok(Err(refused_state(
                "this sign-in was already completed; start again",
            )))
        })
        .await?
}

fn refused_state(why: &str) -> ApiError {
    ApiError::Malformed {
        detail: why.to_owned(),
        field: Some("state".to_owned()),
    }
}

/// Checks what the provider sent back and finds the account.
async fn provider_return(
    state: &AppState,
    auth: &AuthState,
    sign_in: &SignInRow,
    provider: &ProviderRow,
    query: &CallbackQuery,
) -> Result<Return, ApiError> {
    if !provider.enabled {
        return Ok(Return::Refused(Refusal::ProviderDisabled, None));
    }
    if query.error.is_some() {
        return Ok(Return::Refused(Refusal::ProviderError, None));
    }
    if query
        .iss
        .as_deref()
        .is_some_and(|iss| iss != provider.issuer)
    {
        return Ok(Return::Refused(Refusal::WrongIssuer, None));
    }
    let Some(code) = query
        .code
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 2048)
    else {
        return Ok(Return::Refused(Refusal::ProviderError, None));
    };
    let callback =
        callback_url(state).ok_or_else(|| ApiError::internal("PUBLIC_URL is not set"))?;
    let secret = open_secret(&state.seal_keys, provider)?;
    let identity = match auth
        .oidc
        .complete(
            provider,
            &secret,
            &callback,
            code,
            &sign_in.pkce_verifier,
            &sign_in.nonce,
        )
        .await?
    {
        Ok(identity) => identity,
        Err(refusal) => return Ok(Return::Refused(refusal, None)),
    };
    let (district_id, by) = (provider.district_id.clone(), provider.account_match);
    let subject = identity.subject.clone();
    let mut found = state
        .db
        .run(move |conn| {
            queries::matching_accounts(conn, &district_id, by, &identity.account_value)
        })
        .await?;
    Ok(match found.len() {
        0 => Return::Refused(Refusal::UnknownAccount, None),
        1 => {
            let user = found.remove(0);
            if user.active {
                Return::SignedIn(user, subject)
            } else {
                Return::Refused(Refusal::DeactivatedAccount, Some(user))
            }
        }
        _ => Return::Refused(Refusal::AmbiguousAccount, None),
    })
}

/// Exchange the one-time code of a sign-in with an identity provider for tokens.
///
/// The code works once, for 60 seconds, and only with the verifier of the PKCE challenge the
/// sign-in started with.
#[utoipa::path(
    tag = "auth",
    request_body = OidcTokenRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Unknown, used or expired code, or the wrong verifier"),
        (status = 429, description = "Too many attempts",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/auth/oidc/token")]
pub async fn oidc_token(
    state: web::Data<AppState>,
    auth: web::Data<AuthState>,
    req: HttpRequest,
    body: ValidJson<OidcTokenRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let ip = client_ip(&req, state.config.trust_forwarded_for);
    auth.oidc_limiter
        .check(&ip)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    let OidcTokenRequest {
        code,
        code_verifier,
    } = body.0;
    let handoff_hash = hash(&code);
    let lookup = handoff_hash.clone();
    let live = state
        .db
        .run(move |conn| queries::handoff_is_live(conn, &lookup, db::now()))
        .await?;
    if !live {
        return Err(ApiError::Unauthorized(
            "this sign-in code is unknown, used or expired",
        ));
    }
    let (st, au) = (state.clone(), auth.clone());
    let pair = state
        .db
        .run(move |conn| {
            write_transaction(conn, |c| {
                let refused =
                    ApiError::Unauthorized("this sign-in code is unknown, used or expired");
                let Some(sign_in) = queries::claim_handoff(c, &handoff_hash, db::now())? else {
                    return Err(refused);
                };
                // Claimed before the verifier is compared: a wrong guess spends the code. A
                // code presented without its verifier was stolen or injected: recorded.
                if s256(&code_verifier) != sign_in.client_challenge {
                    let provider = queries::provider(c, &sign_in.provider_id)?;
                    if let Some(provider) = provider {
                        record_refusal(c, &provider, None, "client_verifier_mismatch")?;
                    }
                    return Ok(Err(refused));
                }
                // The provider may have been turned off since it vouched for the person.
                if !queries::provider(c, &sign_in.provider_id)?.is_some_and(|p| p.enabled) {
                    return Ok(Err(ApiError::Unauthorized(
                        "this sign-in option has been turned off",
                    )));
                }
                let user = sign_in
                    .user_id
                    .as_deref()
                    .map(|id| crate::auth::queries::user_by_id(c, id))
                    .transpose()?
                    .flatten()
                    .filter(|u| u.active);
                let Some(user) = user else {
                    return Ok(Err(ApiError::Unauthorized("account is deactivated")));
                };
                crate::audit::record_in_transaction(
                    c,
                    &user,
                    "auth.login",
                    serde_json::json!({"method": "oidc", "provider_id": sign_in.provider_id}),
                )?;
                issue_pair(&au, &st.config, c, &user, &db::new_id()).map(Ok)
            })
        })
        .await??;
    Ok(web::Json(pair))
}
