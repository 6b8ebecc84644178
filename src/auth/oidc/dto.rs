//! What the identity-provider routes read and return.

use chrono::NaiveDateTime;
use openidconnect::url::Url;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::models::ProviderRow;
use super::vocab::AccountMatch;
use crate::error::ApiError;

/// A district's identity provider. The client secret is never returned.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityProvider {
    pub id: String,
    pub district_id: String,
    #[schema(example = "Lakeside Google Workspace")]
    pub name: String,
    #[schema(example = "https://accounts.google.com")]
    pub issuer: String,
    pub client_id: String,
    pub account_match: AccountMatch,
    /// The ID-token claim whose value is matched.
    #[schema(example = "email")]
    pub claim_name: String,
    /// Matching by e-mail takes only addresses the provider marks `email_verified: true`.
    pub require_verified_email: bool,
    /// The district's client addresses a sign-in may return to (exact match).
    pub redirect_uris: Vec<String>,
    pub enabled: bool,
    /// Where a client sends the browser to sign in (add `redirect_uri`, `code_challenge`, and
    /// optionally `state`).
    #[schema(example = "/api/v1/auth/oidc/0b9c…/start")]
    pub start_path: String,
    /// The redirect URI to register at the provider for this server (`PUBLIC_URL`), or null
    /// when `PUBLIC_URL` is not set.
    pub callback_url: Option<String>,
    #[serde(serialize_with = "crate::dates::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::dates::utc")]
    pub updated_at: NaiveDateTime,
}

impl IdentityProvider {
    pub fn from_row(row: ProviderRow, callback_url: Option<String>) -> IdentityProvider {
        IdentityProvider {
            start_path: format!("/api/v1/auth/oidc/{}/start", row.id),
            redirect_uris: row.redirect_uris(),
            id: row.id,
            district_id: row.district_id,
            name: row.name,
            issuer: row.issuer,
            client_id: row.client_id,
            account_match: row.account_match,
            claim_name: row.claim_name,
            require_verified_email: row.require_verified_email,
            enabled: row.enabled,
            callback_url,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn redirect_uri_list(uris: &[String]) -> Result<(), ValidationError> {
    if uris.is_empty() || uris.len() > 20 {
        return Err(ValidationError::new("count").with_message("list 1 to 20 addresses".into()));
    }
    for uri in uris {
        check_redirect_uri(uri)
            .map_err(|why| ValidationError::new("uri").with_message(why.into()))?;
    }
    Ok(())
}

/// A client address a sign-in may return to: `https://`, `http://` on a loopback address (an
/// app on the person's own device, RFC 8252 §7.3), or an app's private scheme with a dot in
/// it (RFC 8252 §7.1); no fragment, no user or password.
fn check_redirect_uri(uri: &str) -> Result<(), &'static str> {
    if uri.len() > 2000 {
        return Err("each address is at most 2000 characters");
    }
    let url = Url::parse(uri).map_err(|_| "each address must be an absolute URL")?;
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err("an address may have no fragment and no user or password");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" => match url.host() {
            Some(openidconnect::url::Host::Ipv4(ip)) if ip.is_loopback() => Ok(()),
            Some(openidconnect::url::Host::Ipv6(ip)) if ip.is_loopback() => Ok(()),
            Some(openidconnect::url::Host::Domain("localhost")) => Ok(()),
            _ => Err("http:// is allowed only for a loopback address; use https://"),
        },
        "javascript" | "data" | "file" | "vbscript" => Err("this scheme cannot be a redirect address"),
        scheme if scheme.contains('.') => Ok(()),
        _ => Err("use https://, http:// on a loopback address, or an app scheme such as org.district.app"),
    }
}

/// An issuer URL: `https://` (or `http://` when the server allows it, for a provider on the
/// same machine), without query or fragment; stored without a trailing slash unless it is the
/// whole path, as providers write their own `iss`.
pub fn check_issuer(issuer: &str, allow_http: bool) -> Result<String, ApiError> {
    let url = Url::parse(issuer.trim())
        .map_err(|_| ApiError::invalid("issuer", "must be an absolute URL"))?;
    let scheme_ok = url.scheme() == "https" || (allow_http && url.scheme() == "http");
    if !scheme_ok {
        return Err(ApiError::invalid("issuer", "must be an https:// URL"));
    }
    if url.query().is_some() || url.fragment().is_some() || url.host().is_none() {
        return Err(ApiError::invalid(
            "issuer",
            "must have a host and no query or fragment",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::invalid("issuer", "may have no user or password"));
    }
    Ok(issuer.trim().to_owned())
}

fn valid_claim_name(name: &str) -> Result<(), ValidationError> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:/".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("claim")
            .with_message("a claim name of letters, digits and _-.:/ (at most 100)".into()))
    }
}

/// Register an identity provider for the district.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIdentityProvider {
    #[validate(length(min = 1, max = 100))]
    #[schema(example = "Lakeside Google Workspace")]
    pub name: String,
    /// The provider's issuer; its discovery document is read from
    /// `<issuer>/.well-known/openid-configuration`.
    #[validate(length(min = 1, max = 500))]
    #[schema(example = "https://accounts.google.com")]
    pub issuer: String,
    #[validate(length(min = 1, max = 255))]
    pub client_id: String,
    /// Sealed at rest and never returned.
    #[validate(length(min = 1, max = 1024))]
    pub client_secret: String,
    pub account_match: AccountMatch,
    /// The claim to read; by default `email`, `sub` (sourced_id) or `preferred_username`.
    #[validate(custom(function = "valid_claim_name"))]
    pub claim_name: Option<String>,
    /// Default true: matching by e-mail takes only an address the provider marks
    /// `email_verified: true`. Set false only for a provider that sends no such claim and whose
    /// addresses only the district assigns; a provider that lets people edit their own
    /// address must match by `sourced_id` or `username` instead.
    pub require_verified_email: Option<bool>,
    #[validate(custom(function = "redirect_uri_list"))]
    #[schema(example = json!(["https://sel.lakeside.example/signed-in"]))]
    pub redirect_uris: Vec<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// Change an identity provider: only the fields given change. A new `client_secret` replaces
/// the old one; a new `issuer` or `client_id` needs the secret given again (the stored one is
/// never sent anywhere else).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityProviderPatch {
    #[validate(length(min = 1, max = 100))]
    pub name: Option<String>,
    #[validate(length(min = 1, max = 500))]
    pub issuer: Option<String>,
    #[validate(length(min = 1, max = 255))]
    pub client_id: Option<String>,
    #[validate(length(min = 1, max = 1024))]
    pub client_secret: Option<String>,
    pub account_match: Option<AccountMatch>,
    #[validate(custom(function = "valid_claim_name"))]
    pub claim_name: Option<String>,
    pub require_verified_email: Option<bool>,
    #[validate(custom(function = "redirect_uri_list"))]
    pub redirect_uris: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

fn pkce_value(value: &str) -> Result<(), ValidationError> {
    let ok = (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("pkce")
            .with_message("43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)".into()))
    }
}

/// How a client starts a sign-in: where to come back to, and its own PKCE challenge, which
/// binds the one-time code it will receive to this browser's client.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StartQuery {
    /// One of the provider's registered `redirect_uris`, exactly.
    #[validate(length(min = 1, max = 2000))]
    pub redirect_uri: String,
    /// The client's own value, returned unchanged (guards the client against forged returns).
    #[validate(length(min = 1, max = 500))]
    pub state: Option<String>,
    /// BASE64URL(SHA-256(code_verifier)) of a verifier the client keeps (RFC 7636).
    #[validate(custom(function = "pkce_value"))]
    pub code_challenge: String,
    /// Only `S256`.
    #[param(example = "S256")]
    pub code_challenge_method: Option<String>,
}

/// The provider's return. Other parameters a provider adds (`session_state`, say) are ignored.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    pub state: Option<String>,
    pub code: Option<String>,
    /// The provider's error (`access_denied` when the person cancelled).
    pub error: Option<String>,
    /// The issuer that answered (RFC 9207); when given it must be the provider's.
    pub iss: Option<String>,
}

/// Exchange the one-time code a sign-in returned for securebase's tokens.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcTokenRequest {
    #[validate(length(min = 1, max = 200))]
    pub code: String,
    /// The verifier whose challenge started the sign-in.
    #[validate(custom(function = "pkce_value"))]
    pub code_verifier: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_addresses_are_https_loopback_or_an_app_scheme() {
        assert!(check_redirect_uri("https://sel.example/signed-in").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:7777/cb").is_ok());
        assert!(check_redirect_uri("http://localhost/cb").is_ok());
        assert!(check_redirect_uri("org.lakeside.sel:/signed-in").is_ok());
        assert!(check_redirect_uri("http://sel.example/cb").is_err());
        assert!(check_redirect_uri("https://sel.example/cb#x").is_err());
        assert!(check_redirect_uri("https://u:p@sel.example/cb").is_err());
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
        assert!(check_redirect_uri("/relative").is_err());
    }

    #[test]
    fn issuers_are_https_unless_allowed() {
        assert!(check_issuer("https://accounts.google.com", false).is_ok());
        assert!(check_issuer("http://127.0.0.1:9000", false).is_err());
        assert!(check_issuer("http://127.0.0.1:9000", true).is_ok());
        assert!(check_issuer("https://idp.example/?x=1", false).is_err());
        assert!(check_issuer("not a url", true).is_err());
    }
}
