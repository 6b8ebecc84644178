//! `/api/v1/auth/*` and `/api/v1/me`: sign-in, token rotation, sign-out, own account.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{password, queries, tokens, AuthState};
use crate::accounts::{Caller, User, UserRow};
use crate::config::Config;
use crate::db::{self, write_transaction};
use crate::error::ApiError;
use crate::extract::ValidJson;
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 254))]
    #[schema(example = "denise.whitfield")]
    pub username: String,
    #[validate(length(min = 1, max = 1024))]
    #[schema(example = "GrowTogether-2026")]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Short-lived JWT for `Authorization: Bearer`.
    #[schema(
        example = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI2MTExYzYxOS01Y2JlLTU5NGItYWZlYy00MGY4ZTk2ODkzOTEiLCJyb2xlIjoiZGlzdHJpY3RfYWRtaW4ifQ.tAxmJxMDbU13QBa7us33DQLWpzK4woWw5h8Itbna3Qg"
    )]
    pub access_token: String,
    /// Single-use token for `POST /api/v1/auth/refresh`; each use returns a new one.
    #[schema(example = "iqIbTgr-592VFwaKoyPKccIgSvl0Qm7eJ3xN1dLwZ4s")]
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900, minimum = 1)]
    pub expires_in: i64,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 512))]
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[validate(length(min = 1, max = 1024))]
    pub current_password: String,
    #[validate(length(min = 8, max = 128, message = "must be 8 to 128 characters"))]
    pub new_password: String,
}

/// The refusal of a student's activation code where the district turned student passwords off.
pub(crate) const STUDENT_PASSWORDS_OFF: &str =
    "students of this district sign in with their school account, not a password";

/// The address login throttling counts against.
pub(crate) fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    let info = req.connection_info();
    let ip = if trust_forwarded_for {
        info.realip_remote_addr()
    } else {
        info.peer_addr()
    };
    ip.unwrap_or("unknown").to_owned()
}

/// Issues an access token and a refresh token in `family`, storing only the refresh token's hash.
pub(crate) fn issue_pair(
    auth: &AuthState,
    config: &Config,
    conn: &mut db::DbConnection,
    user: &UserRow,
    family: &str,
) -> Result<TokenResponse, ApiError> {
    let access_token = auth.tokens.issue(
        &user.id,
        user.role,
        &user.district_id,
        user.school_id.as_deref(),
    )?;
    let refresh_token = tokens::new_refresh_token();
    let ttl = TimeDelta::from_std(config.refresh_ttl()).unwrap_or(TimeDelta::days(7));
    queries::insert_refresh_token(
        conn,
        &tokens::hash_refresh_token(&refresh_token),
        family,
        &user.id,
        db::now() + ttl,
    )?;
    Ok(TokenResponse {
        access_token,
        refresh_token,
        token_type: "Bearer".to_owned(),
        expires_in: auth.tokens.access_ttl_secs,
    })
}

/// Sign in with username and password.
///
/// Rate-limited per client address and per account: repeated failures lock the account for a while
/// (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong username or password"),
        (status = 429, description = "Too many attempts",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The server is checking as many passwords as it can",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    auth: web::Data<AuthState>,
    req: HttpRequest,
    body: ValidJson<LoginRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let ip = client_ip(&req, state.config.trust_forwarded_for);
    let LoginRequest { username, password } = body.0;
    let au = auth.clone();
    let config = state.config.clone();
    let pair =
        super::sign_in::with_password(&state, &auth, &ip, username, password, move |conn, user| {
            crate::audit::record_in_transaction(conn, user, "auth.login", serde_json::json!({}))?;
            issue_pair(&au, &config, conn, user, &db::new_id())
        })
        .await?;
    Ok(web::Json(pair))
}

enum RefreshOutcome {
    Rotated(TokenResponse),
    Refused(&'static str),
}

/// Exchange a refresh token for a new token pair.
///
/// Refresh tokens rotate: each can be used once. Presenting a used token again is treated as
/// theft, and every token descended from the same sign-in is revoked.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New token pair", body = TokenResponse),
        (status = 401, description = "Unknown, expired, reused or revoked refresh token"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    auth: web::Data<AuthState>,
    body: ValidJson<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let token_hash = tokens::hash_refresh_token(&body.0.refresh_token);
    let (st, au) = (state.clone(), auth.clone());
    // Revocations must commit even when the answer is a refusal, so refusals are values here.
    let outcome = state
        .db
        .write(move |conn| {
            let Some(row) = queries::find_refresh_token(conn, &token_hash)? else {
                return Ok(RefreshOutcome::Refused("invalid refresh token"));
            };
            if row.revoked {
                return Ok(RefreshOutcome::Refused("refresh token revoked"));
            }
            if row.used_at.is_some() || !queries::consume_refresh_token(conn, &token_hash)? {
                queries::revoke_family(conn, &row.family_id)?;
                tracing::warn!(user_id = %row.user_id, "refresh token reuse detected; session family revoked");
                return Ok(RefreshOutcome::Refused("refresh token reuse detected; sign in again"));
            }
            if row.expires_at <= db::now() {
                return Ok(RefreshOutcome::Refused("refresh token expired"));
            }
            match queries::user_by_id(conn, &row.user_id)?.filter(|u| u.active) {
                Some(user) => Ok(RefreshOutcome::Rotated(issue_pair(&au, &st.config, conn, &user, &row.family_id)?)),
                None => {
                    queries::revoke_family(conn, &row.family_id)?;
                    Ok(RefreshOutcome::Refused("account is deactivated"))
                }
            }
        })
        .await?;
    match outcome {
        RefreshOutcome::Rotated(pair) => Ok(web::Json(pair)),
        RefreshOutcome::Refused(why) => Err(ApiError::Unauthorized(why)),
    }
}

/// Sign out: revoke the refresh token and every token rotated from the same sign-in.
///
/// Answers 204 whether or not the token was known, so the call reveals nothing.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Signed out"))
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: ValidJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let token_hash = tokens::hash_refresh_token(&body.0.refresh_token);
    state
        .db
        .write(move |conn| {
            if let Some(row) = queries::find_refresh_token(conn, &token_hash)? {
                queries::revoke_family(conn, &row.family_id)?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in account.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "Own account", body = User))
)]
#[get("/me")]
pub async fn get_me(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<User>, ApiError> {
    let user = state
        .db
        .run(move |conn| {
            queries::user_by_id(conn, &caller.user_id)?
                .filter(|u| u.active)
                .ok_or(ApiError::Unauthorized("account no longer active"))
        })
        .await?;
    Ok(web::Json(user.into()))
}

/// Change own password. Signs out every other session (all refresh tokens are revoked).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 204, description = "Password changed"))
)]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: web::Data<AuthState>,
    caller: Caller,
    body: ValidJson<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.0;
    let user_id = caller.user_id.clone();
    let user = state
        .db
        .run(move |conn| {
            queries::user_by_id(conn, &user_id)?
                .filter(|u| u.active)
                .ok_or(ApiError::Unauthorized("account no longer active"))
        })
        .await?;
    let stored = user.password_hash.clone();
    // Both hashes on the hashing pool: the current password checked, the new one hashed.
    let hash = auth
        .hashes
        .run(move || {
            let current_ok = stored
                .as_deref()
                .is_some_and(|h| password::verify(h, &current_password));
            current_ok.then(|| password::hash(&new_password))
        })
        .await?
        .ok_or_else(|| ApiError::invalid("current_password", "is not the current password"))??;
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |c| {
                queries::set_password_hash(c, &user.id, &hash)?;
                queries::revoke_all_for_user(c, &user.id)?;
                queries::void_activation_codes(c, &user.id)?;
                Ok(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(get_me)
        .service(change_password);
}
