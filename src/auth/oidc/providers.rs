//! `/districts/{id}/identity-providers` and `/identity-providers/{id}`: a district's
//! administrators register and change the providers its people sign in with. Every change is
//! in the audit trail (never the client secret).

use actix_web::{get, patch, post, web, HttpResponse};

use super::dto::{check_issuer, IdentityProvider, IdentityProviderPatch, NewIdentityProvider};
use super::models::ProviderRow;
use super::queries;
use crate::accounts::{Authorized, DistrictAdmins};
use crate::db;
use crate::error::{ApiError, Forbidden, NotFound};
use crate::extract::ValidJson;
use crate::seal::SealKeys;
use crate::state::AppState;

/// What a provider's client-secret key is bound to (its wrapping names the provider).
pub fn secret_context(provider_id: &str) -> String {
    format!("identity-provider:{provider_id}")
}

/// Seals `secret` under a new data key of its own, bound to the provider.
pub fn seal_secret(
    keys: &SealKeys,
    provider_id: &str,
    secret: &str,
) -> Result<(String, String), ApiError> {
    let context = secret_context(provider_id);
    let wrapped = keys.new_wrapped_data_key(&context);
    let key = keys
        .unwrap_data_key(&wrapped, &context)
        .map_err(|e| ApiError::internal(format!("sealing a client secret: {e}")))?;
    Ok((wrapped, key.seal(secret.as_bytes(), provider_id.as_bytes())))
}

/// The provider's client secret, opened.
pub fn open_secret(keys: &SealKeys, row: &ProviderRow) -> Result<String, ApiError> {
    let key = keys
        .unwrap_data_key(&row.client_secret_key, &secret_context(&row.id))
        .map_err(|e| ApiError::internal(format!("opening a client secret: {e}")))?;
    let bytes = key
        .open(&row.client_secret_sealed, row.id.as_bytes())
        .map_err(|e| ApiError::internal(format!("opening a client secret: {e}")))?;
    String::from_utf8(bytes).map_err(|_| ApiError::internal("a client secret is not text"))
}

/// A district administrator manages only their own district's providers; another district's
/// are not found, as the district itself is not.
fn own_district(caller: &Authorized<DistrictAdmins>, district_id: &str) -> Result<(), ApiError> {
    if caller.district_id == district_id {
        Ok(())
    } else {
        Err(ApiError::NotFound("district"))
    }
}

/// Whether turning `row` off leaves a district whose students have no password sign-in with no
/// enabled provider at all.
fn students_would_be_locked_out(
    conn: &mut crate::db::DbConnection,
    row: &ProviderRow,
) -> Result<bool, ApiError> {
    crate::auth::queries::lock_sign_in_settings(conn, &row.district_id)?;
    if crate::auth::queries::student_passwords(conn, &row.district_id)? {
        return Ok(false);
    }
    let others = queries::providers_of(conn, &row.district_id)?
        .into_iter()
        .filter(|p| p.enabled && p.id != row.id)
        .count();
    Ok(others == 0)
}

pub fn callback_url(state: &AppState) -> Option<String> {
    state
        .config
        .public_base_url()
        .map(|base| format!("{base}/api/v1/auth/oidc/callback"))
}

/// What the audit trail keeps of a provider: everything but the secret.
fn audit_view(row: &ProviderRow) -> serde_json::Value {
    serde_json::json!({
        "provider_id": row.id,
        "name": row.name,
        "issuer": row.issuer,
        "client_id": row.client_id,
        "account_match": row.account_match,
        "claim_name": row.claim_name,
        "require_verified_email": row.require_verified_email,
        "redirect_uris": row.redirect_uris(),
        "enabled": row.enabled,
    })
}

/// The district's identity providers (district administrators).
#[utoipa::path(
    tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "District id")),
    responses((status = 200, body = Vec<IdentityProvider>), Forbidden, NotFound)
)]
#[get("/districts/{id}/identity-providers")]
pub async fn list_identity_providers(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<String>,
) -> Result<web::Json<Vec<IdentityProvider>>, ApiError> {
    let id = path.into_inner();
    own_district(&caller, &id)?;
    let rows = state
        .db
        .run(move |conn| queries::providers_of(conn, &id))
        .await?;
    let callback = callback_url(&state);
    Ok(web::Json(
        rows.into_iter()
            .map(|r| IdentityProvider::from_row(r, callback.clone()))
            .collect(),
    ))
}

/// Register an identity provider for the district (district administrators).
///
/// Register `callback_url` of the answer at the provider as this client's redirect URI.
#[utoipa::path(
    tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "District id")),
    request_body = NewIdentityProvider,
    responses(
        (status = 201, body = IdentityProvider),
        Forbidden,
        NotFound,
        (status = 409, description = "Name already used in the district"),
        (status = 422, description = "See the problem document"),
    )
)]
#[post("/districts/{id}/identity-providers")]
pub async fn create_identity_provider(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<String>,
    body: ValidJson<NewIdentityProvider>,
) -> Result<HttpResponse, ApiError> {
    let district_id = path.into_inner();
    own_district(&caller, &district_id)?;
    let new = body.0;
    let issuer = check_issuer(&new.issuer, state.config.oidc_allow_http_issuers)?;
    let id = db::new_id();
    let (client_secret_key, client_secret_sealed) =
        seal_secret(&state.seal_keys, &id, &new.client_secret)?;
    let now = db::now();
    let row = ProviderRow {
        id,
        district_id,
        name: new.name.trim().to_owned(),
        issuer,
        client_id: new.client_id.trim().to_owned(),
        client_secret_key,
        client_secret_sealed,
        claim_name: new
            .claim_name
            .unwrap_or_else(|| new.account_match.default_claim().to_owned()),
        account_match: new.account_match,
        require_verified_email: new.require_verified_email.unwrap_or(true),
        redirect_uris: serde_json::to_string(&new.redirect_uris)
            .map_err(|e| ApiError::internal(e.to_string()))?,
        enabled: new.enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    let saved = row.clone();
    state
        .db
        .write(move |conn| {
            if queries::name_taken(conn, &row.district_id, &row.name, None)? {
                return Err(ApiError::conflict(
                    Some("name"),
                    "another identity provider of the district has this name",
                ));
            }
            queries::insert_provider(conn, &row)?;
            crate::audit::record_in_transaction(
                conn,
                &caller.caller,
                "identity_provider.created",
                audit_view(&row),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(IdentityProvider::from_row(saved, callback_url(&state))))
}

/// Change an identity provider (district administrators of its district): rename it, move it
/// to a new issuer or client, replace its secret, change how accounts are matched or which
/// addresses a sign-in may return to, or turn it off. Sign-ins under way with it are refused
/// once it is turned off.
#[utoipa::path(
    tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "Identity provider id")),
    request_body = IdentityProviderPatch,
    responses(
        (status = 200, body = IdentityProvider),
        Forbidden,
        NotFound,
        (status = 409, description = "Name already used in the district, or the last provider of a district whose students have no passwords turned off"),
        (status = 422, description = "See the problem document"),
    )
)]
#[patch("/identity-providers/{id}")]
pub async fn update_identity_provider(
    state: web::Data<AppState>,
    caller: Authorized<DistrictAdmins>,
    path: web::Path<String>,
    body: ValidJson<IdentityProviderPatch>,
) -> Result<web::Json<IdentityProvider>, ApiError> {
    let id = path.into_inner();
    let patch = body.0;
    if (patch.issuer.is_some() || patch.client_id.is_some()) && patch.client_secret.is_none() {
        // Otherwise the stored secret would go to whatever token endpoint the new issuer names.
        return Err(ApiError::invalid(
            "client_secret",
            "give the client secret again when the issuer or client id changes",
        ));
    }
    let issuer = patch
        .issuer
        .as_deref()
        .map(|i| check_issuer(i, state.config.oidc_allow_http_issuers))
        .transpose()?;
    let sealed = patch
        .client_secret
        .as_deref()
        .map(|secret| seal_secret(&state.seal_keys, &id, secret))
        .transpose()?;
    let changed = state
        .db
        .write(move |conn| {
            let before = queries::provider(conn, &id)?
                .filter(|p| p.district_id == caller.district_id)
                .ok_or(ApiError::NotFound("identity provider"))?;
            let mut row = before.clone();
            if let Some(name) = patch.name {
                row.name = name.trim().to_owned();
            }
            if let Some(issuer) = issuer {
                row.issuer = issuer;
            }
            if let Some(client_id) = patch.client_id {
                row.client_id = client_id.trim().to_owned();
            }
            let secret_changed = sealed.is_some();
            if let Some((key, secret)) = sealed {
                row.client_secret_key = key;
                row.client_secret_sealed = secret;
            }
            if let Some(by) = patch.account_match {
                row.account_match = by;
                if patch.claim_name.is_none() {
                    row.claim_name = by.default_claim().to_owned();
                }
            }
            if let Some(claim) = patch.claim_name {
                row.claim_name = claim;
            }
            if let Some(uris) = patch.redirect_uris {
                row.redirect_uris =
                    serde_json::to_string(&uris).map_err(|e| ApiError::internal(e.to_string()))?;
            }
            if let Some(required) = patch.require_verified_email {
                row.require_verified_email = required;
            }
            if let Some(enabled) = patch.enabled {
                row.enabled = enabled;
            }
            if before.enabled && !row.enabled && students_would_be_locked_out(conn, &row)? {
                return Err(ApiError::conflict(
                    Some("enabled"),
                    "the district's students sign in only with identity providers and this is \
                     its last one enabled: turn student passwords on first",
                ));
            }
            if queries::name_taken(conn, &row.district_id, &row.name, Some(&row.id))? {
                return Err(ApiError::conflict(
                    Some("name"),
                    "another identity provider of the district has this name",
                ));
            }
            row.updated_at = db::now();
            queries::update_provider(conn, &row)?;
            crate::audit::record_in_transaction(
                conn,
                &caller.caller,
                "identity_provider.changed",
                serde_json::json!({
                    "provider_id": row.id,
                    "from": audit_view(&before),
                    "to": audit_view(&row),
                    "client_secret_replaced": secret_changed,
                }),
            )?;
            Ok(row)
        })
        .await?;
    Ok(web::Json(IdentityProvider::from_row(
        changed,
        callback_url(&state),
    )))
}
