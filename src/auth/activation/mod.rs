//! Account activation: imported accounts have no password. Staff issue one-time codes (for a
//! class, a grade or chosen accounts, printable as login cards); the account holder sets a
//! password with the code. Only a SHA-256 hash of each code is stored.

mod codes;

use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use codes::{accounts_for, hash_code, issue, login_cards_csv, usable_code, DEFAULT_DAYS};
pub use codes::{CodesFormat, CodesQuery, IssueCodes, IssuedCode, IssuedCodes, ReissueCode};

use super::{password, queries};
use crate::accounts::{Authorized, Role, RosterAdmins, Staff};
use crate::authz;
use crate::db;
use crate::db::schema::activation_codes;
use crate::error::{ApiError, Problem};
use crate::extract::{ValidJson, ValidQuery};
use crate::rosters;
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(issue_for_school)
        .service(reissue_for_user)
        .service(activate);
}

/// Issue activation codes for a class, a grade or chosen accounts of a school.
///
/// For school and district administrators. Each account gets a new one-time code (any unused
/// earlier code stops working). The codes are shown only in this answer — `format=csv` gives
/// printable login cards — and stored only as hashes.
#[utoipa::path(
    security(("bearer" = [])),
    tag = "auth",
    params(("id" = String, Path, description = "School id"), CodesQuery),
    request_body = IssueCodes,
    responses(
        (status = 201, description = "Codes issued", content(
            (IssuedCodes = "application/json"),
            (String = "text/csv", example = "family_name,given_name,username,role,grade,code,expires_at\nOkafor,Maya,cf.mokafor,student,7,K7QM-2WXP-9RTD,2026-12-11T08:00:00Z\n"),
        )),
        (status = 403, description = "Not a roster administrator of this school", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "School or class not found in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid request", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/schools/{id}/activation-codes")]
pub async fn issue_for_school(
    state: web::Data<AppState>,
    caller: Authorized<RosterAdmins>,
    path: web::Path<String>,
    query: ValidQuery<CodesQuery>,
    body: ValidJson<IssueCodes>,
) -> Result<HttpResponse, ApiError> {
    let school_id = path.into_inner();
    let body = body.0;
    let caller = caller.caller;
    let codes = state
        .db
        .write(move |conn| {
            let school = rosters::scope::roster_school(conn, &caller, &school_id)?;
            let accounts = accounts_for(conn, &caller, &school.id, &body)?;
            let codes = issue(
                conn,
                &caller,
                accounts,
                body.expires_in_days.unwrap_or(DEFAULT_DAYS),
            )?;
            crate::audit::record_in_transaction(
                conn,
                &caller,
                "activation_codes.issue",
                serde_json::json!({
                    "school_id": school.id,
                    "class_id": body.class_id,
                    "grade": body.grade,
                    "accounts": codes.len(),
                }),
            )?;
            Ok(codes)
        })
        .await?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if query.0.format == Some(CodesFormat::Csv) {
        return Ok(response
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"login-cards.csv\"",
            ))
            .body(login_cards_csv(&codes)?));
    }
    Ok(response.json(IssuedCodes {
        count: codes.len(),
        codes,
    }))
}

/// Issue a new activation code for one account (a forgotten password, a lost card).
///
/// For staff who may reset the account: district and school administrators, and for a student
/// also the school's counselors and the student's teachers. Earlier unused codes stop working;
/// the current password stays valid until the new code is used.
#[utoipa::path(
    security(("bearer" = [])),
    tag = "auth",
    params(("id" = String, Path, description = "User id")),
    request_body = ReissueCode,
    responses(
        (status = 201, description = "Code issued", body = IssuedCode),
        (status = 403, description = "Your role may not reset this account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Account not found in your scope", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users/{id}/activation-code")]
pub async fn reissue_for_user(
    state: web::Data<AppState>,
    caller: Authorized<Staff>,
    path: web::Path<String>,
    body: ValidJson<ReissueCode>,
) -> Result<HttpResponse, ApiError> {
    let user_id = path.into_inner();
    let days = body.0.expires_in_days.unwrap_or(DEFAULT_DAYS);
    let caller = caller.caller;
    let mut codes = state
        .db
        .write(move |conn| {
            let account = authz::reissue_activation(conn, &caller, &user_id)?.into_inner();
            if !account.active {
                return Err(ApiError::conflict(None, "the account is deactivated"));
            }
            let codes = issue(conn, &caller, vec![account], days)?;
            crate::audit::record_in_transaction(
                conn,
                &caller,
                "activation_codes.reissue",
                serde_json::json!({ "user_id": user_id }),
            )?;
            Ok(codes)
        })
        .await?;
    let code = codes
        .pop()
        .ok_or_else(|| ApiError::internal("no code issued"))?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(code))
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
        (status = 422, description = "Unknown, used or expired code, or a password that is too short", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json",
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
    auth.activation_limiter
        .check(&ip)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    let ActivateRequest { code, password } = body.0;
    let code_hash = hash_code(&code);
    // A cheap look first, so a wrong code costs no password hashing.
    let lookup = code_hash.clone();
    state
        .db
        .run(move |conn| usable_code(conn, &lookup, db::now()).map_err(ApiError::from))
        .await?
        .ok_or_else(|| ApiError::invalid("code", INVALID_CODE))?;
    let password_hash = auth.hashes.run(move || password::hash(&password)).await??;
    let account = state
        .db
        .write(move |conn| {
            let now = db::now();
            let account = usable_code(conn, &code_hash, now)?
                .ok_or_else(|| ApiError::invalid("code", INVALID_CODE))?;
            // Claimed with a condition, so two concurrent uses cannot both succeed.
            let claimed = diesel::update(
                activation_codes::table
                    .filter(activation_codes::code_hash.eq(&code_hash))
                    .filter(activation_codes::used_at.is_null()),
            )
            .set(activation_codes::used_at.eq(now))
            .execute(conn)?;
            if claimed != 1 {
                return Err(ApiError::invalid("code", INVALID_CODE));
            }
            diesel::delete(
                activation_codes::table
                    .filter(activation_codes::user_id.eq(&account.id))
                    .filter(activation_codes::used_at.is_null()),
            )
            .execute(conn)?;
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
    Ok(web::Json(Activated {
        role: account.role,
        username: account.username,
        given_name: account.given_name,
    }))
}
