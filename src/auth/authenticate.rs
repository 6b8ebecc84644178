//! Authentication middleware: verifies the bearer token and loads the account, once per
//! request, before any extractor runs (the extractors themselves are in `accounts`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use actix_web::{web, HttpRequest};
use diesel::prelude::*;

use super::tokens::Claims;
use super::AuthState;
use crate::accounts::{Caller, Resolved, Role, SessionResolved};
use crate::db::schema::users;
use crate::error::ApiError;
use crate::state::AppState;

/// The cookie of a web session (`crate::web`): `__Host-` makes browsers refuse it unless it is
/// `Secure`, for the whole site (`Path=/`) and set by this host alone (no `Domain`).
pub const SESSION_COOKIE: &str = "__Host-securebase-session";

/// The secret of the request's web session, left on the request for the pages' CSRF checks.
#[derive(Clone)]
pub struct SessionSecret(pub String);

/// Middleware: verifies the bearer token (if any) and loads the account, once per request.
/// Outside `/api/`, a web session's cookie does the same for the pages; the API never reads
/// cookies, so a page on another site cannot make a browser call it with a session.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.headers().contains_key(header::AUTHORIZATION) {
        let resolved = match verify_token(req.request()) {
            Ok((state, claims)) => current_caller(&state, claims).await,
            Err(e) => Err(e),
        };
        req.extensions_mut().insert(Resolved(resolved));
    } else if !req.path().starts_with("/api/") {
        if let Some(secret) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) {
            let resolved = session_caller(req.request(), &secret).await;
            if resolved.is_ok() {
                req.extensions_mut().insert(SessionSecret(secret));
            }
            req.extensions_mut().insert(SessionResolved(resolved));
        }
    }
    next.call(req).await
}

/// The account of a live web session (an ended one is removed and refused).
async fn session_caller(req: &HttpRequest, secret: &str) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?
        .clone();
    let lifetimes = super::sessions::Lifetimes::of(&state.config);
    let secret = secret.to_owned();
    let user_id = state
        .db
        .run(move |conn| {
            Ok(super::sessions::resume(
                conn,
                &secret,
                crate::db::now(),
                lifetimes,
            )?)
        })
        .await?
        .ok_or(ApiError::Unauthorized(
            "your session has ended; sign in again",
        ))?;
    load_caller(&state, user_id, None).await
}

fn verify_token(req: &HttpRequest) -> Result<(web::Data<AppState>, Claims), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?
        .clone();
    let auth = req
        .app_data::<web::Data<AuthState>>()
        .ok_or_else(|| ApiError::internal("authentication state missing"))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized("missing bearer token"))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or(ApiError::Unauthorized(
            "Authorization must use the Bearer scheme",
        ))?
        .trim();
    let claims = auth.tokens.verify(token)?;
    Ok((state, claims))
}

/// id, district, role, school, grade, active
type AccountState = (String, String, Role, Option<String>, Option<i32>, bool);

/// The token proves who signed in; the account's role, school and active flag are read now,
/// so deactivating an account or changing its role takes effect on its very next request,
/// not when its access token expires.
async fn current_caller(state: &AppState, claims: Claims) -> Result<Caller, ApiError> {
    load_caller(state, claims.sub, Some(claims.did)).await
}

/// The account as it is now; `district`, when given, must still be the account's.
async fn load_caller(
    state: &AppState,
    user_id: String,
    district: Option<String>,
) -> Result<Caller, ApiError> {
    let row: Option<AccountState> = state
        .db
        .run(move |conn| {
            Ok(users::table
                .find(&user_id)
                .select((
                    users::id,
                    users::district_id,
                    users::role,
                    users::school_id,
                    users::grade,
                    users::active,
                ))
                .first(conn)
                .optional()?)
        })
        .await?;
    let (user_id, district_id, role, school_id, grade, active) =
        row.ok_or(ApiError::Unauthorized("account not found"))?;
    if !active {
        return Err(ApiError::Unauthorized("account is deactivated"));
    }
    if district.is_some_and(|d| d != district_id) || role.is_school_bound() != school_id.is_some() {
        return Err(ApiError::Unauthorized("invalid access token"));
    }
    Ok(Caller {
        user_id,
        role,
        district_id,
        school_id,
        grade,
    })
}
