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
use crate::accounts::{Caller, Resolved, Role};
use crate::db::schema::users;
use crate::error::ApiError;
use crate::state::AppState;

/// Middleware: verifies the bearer token (if any) and loads the account, once per request.
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
    }
    next.call(req).await
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
    let user_id = claims.sub;
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
    if claims.did != district_id || role.is_school_bound() != school_id.is_some() {
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
