//! Account activation: imported accounts have no password. Staff issue one-time codes
//! (`rosters::activation`); the account holder sets a password with one here. Only a SHA-256
//! hash of each code is stored.

mod codes;

use actix_web::{post, web, HttpRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub use codes::{hash_code, new_code};

use super::{password, queries};
use crate::accounts::Role;
use crate::db;
use crate::error::ApiError;
use crate::extract::ValidJson;
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(activate);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateRequest {
    /// The code from the login card (case and dashes do not matter).
    #[validate(length(min = 1, max = 64))]
    #[schema(example = "K7QM-2WXP-9RTD")]
    pub code: String,
    /// The new password.
    #[validate(length(min = 8, max = 128, message = "must be 8 to 128 characters"))]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Activated {
    /// Sign in with this username and the new password.
    #[schema(example = "cf.mokafor")]
    pub username: String,
    pub given_name: String,
    pub role: Role,
}

const INVALID_CODE: &str =
    "this code is not valid: it may be mistyped, already used or expired; ask for a new one";

/// Set a password with an activation code.
///
/// The code identifies the account; the answer names its username, to sign in with. A code
/// works once. Attempts are limited per client address (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body = ActivateRequest,
    responses(
        (status = 200, description = "Password set", body = Activated),
        (status = 403, description = "A student's code where the district turned student passwords off"),
        (status = 422, description = "Unknown, used or expired code, or a password that is too short"),
        (status = 429, description = "Too many attempts",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/auth/activate")]
pub async fn activate(
    state: web::Data<AppState>,
    auth: web::Data<crate::auth::AuthState>,
    req: HttpRequest,
    body: ValidJson<ActivateRequest>,
) -> Result<web::Json<Activated>, ApiError> {
    let ip = super::routes::client_ip(&req, state.config.trust_forwarded_for);
    let ActivateRequest { code, password } = body.0;
    Ok(web::Json(
        with_code(&state, &auth, &ip, code, password).await?,
    ))
}

/// Sets an account's first password with its one-time code (the API's `POST /auth/activate`
/// and the pages' activation form): rate-limited per address, the code claimed once, every
/// earlier session ended, on the record.
pub async fn with_code(
    state: &AppState,
    auth: &crate::auth::AuthState,
    ip: &str,
    code: String,
    password: String,
) -> Result<Activated, ApiError> {
    auth.activation_limiter
        .check(ip)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    let code_hash = hash_code(&code);
    // A cheap look first, so a wrong code costs no password hashing.
    let lookup = code_hash.clone();
    state
        .db
        .run(move |conn| {
            let account = queries::usable_code(conn, &lookup, db::now())?
                .ok_or_else(|| ApiError::invalid("code", INVALID_CODE))?;
            // A valid code of a student whose district signs students in only with its
            // identity provider sets no password.
            if !queries::password_sign_in_allowed(conn, &account)? {
                return Err(ApiError::Forbidden(
                    super::routes::STUDENT_PASSWORDS_OFF.to_owned(),
                ));
            }
            Ok(account)
        })
        .await?;
    let password_hash = auth.hashes.run(move || password::hash(&password)).await??;
    let account = state
        .db
        .write(move |conn| {
            let now = db::now();
            let account = queries::usable_code(conn, &code_hash, now)?
                .ok_or_else(|| ApiError::invalid("code", INVALID_CODE))?;
            // Again here, under the district's sign-in settings: the switch may have been
            // turned off while the password was hashed.
            if !queries::password_sign_in_allowed(conn, &account)? {
                return Err(ApiError::Forbidden(
                    super::routes::STUDENT_PASSWORDS_OFF.to_owned(),
                ));
            }
            // Claimed with a condition, so two concurrent uses cannot both succeed.
            if !queries::claim_code(conn, &code_hash, now)? {
                return Err(ApiError::invalid("code", INVALID_CODE));
            }
            queries::void_activation_codes(conn, &account.id)?;
            queries::set_password_hash(conn, &account.id, &password_hash)?;
            queries::record_success(conn, &account.id)?;
            // A reset ends every session signed in with the old password.
            queries::revoke_all_for_user(conn, &account.id)?;
            crate::audit::record_in_transaction(
                conn,
                &account,
                "auth.activated",
                serde_json::json!({}),
            )?;
            Ok(account)
        })
        .await?;
    tracing::info!(user_id = %account.id, "account activated");
    Ok(Activated {
        role: account.role,
        username: account.username,
        given_name: account.given_name,
    })
}
