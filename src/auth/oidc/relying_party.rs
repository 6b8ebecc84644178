//! The OpenID Connect relying party: discovery and signing keys from each issuer (cached, with
//! key rotation), the authorization request, the code exchange and the ID-token checks. All
//! protocol work is the `openidconnect` crate's; this file decides what is cached, when keys are
//! fetched again, and how each failure is named.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJsonWebKeySet,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::url::{Host, Url};
use openidconnect::{
    reqwest, AdditionalClaims, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IdToken, IdTokenClaims, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, SignatureVerificationError, TokenResponse as _,
};
use serde::{Deserialize, Serialize};

use super::models::ProviderRow;
use super::vocab::AccountMatch;
use crate::config::Config;
use crate::error::ApiError;

/// Claims beyond the standard ones (a OneRoster `sourcedId` claim, say), read by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
struct OtherClaims(HashMap<String, serde_json::Value>);

impl AdditionalClaims for OtherClaims {}

type ProviderIdToken = IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type ProviderClaims = IdTokenClaims<OtherClaims, CoreGenderClaim>;

/// Why a return from a provider is refused (the reason recorded in the audit trail and sent
/// back to the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The provider answered the authorization request with an error (the person cancelled).
    ProviderError,
    /// The provider that answered is not the one asked (RFC 9207 `iss`).
    WrongIssuer,
    /// The provider refused the code: used already, expired, or not issued for this request.
    CodeRejected,
    /// The token response had no ID token.
    NoIdToken,
    /// The ID token was issued for another client.
    WrongAudience,
    /// The ID token has expired.
    ExpiredToken,
    /// The ID token was not issued for this sign-in (nonce).
    WrongNonce,
    /// No key the provider publishes verifies the signature.
    BadSignature,
    /// Any other failed ID-token check.
    InvalidToken,
    /// The claim that names the account is missing.
    MissingClaim,
    /// Matching by e-mail, and the provider did not say it verified the address.
    UnverifiedEmail,
    /// No account of the district matches.
    UnknownAccount,
    /// More than one account of the district matches: none is chosen.
    AmbiguousAccount,
    /// The matching account is deactivated.
    DeactivatedAccount,
    /// The identity provider was disabled while the person was signing in.
    ProviderDisabled,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::ProviderError => "provider_error",
            Refusal::WrongIssuer => "wrong_issuer",
            Refusal::CodeRejected => "code_rejected",
            Refusal::NoIdToken => "no_id_token",
            Refusal::WrongAudience => "wrong_audience",
            Refusal::ExpiredToken => "expired_token",
            Refusal::WrongNonce => "wrong_nonce",
            Refusal::BadSignature => "bad_signature",
            Refusal::InvalidToken => "invalid_id_token",
            Refusal::MissingClaim => "missing_claim",
            Refusal::UnverifiedEmail => "unverified_email",
            Refusal::UnknownAccount => "unknown_account",
            Refusal::AmbiguousAccount => "ambiguous_account",
            Refusal::DeactivatedAccount => "account_deactivated",
            Refusal::ProviderDisabled => "provider_disabled",
        }
    }

    /// What the person is told, in words.
    pub fn description(self) -> &'static str {
        match self {
            Refusal::ProviderError => "the identity provider did not sign you in",
            Refusal::UnknownAccount => {
                "no securebase account of this district matches your school account; ask your school to add you to the roster"
            }
            Refusal::AmbiguousAccount => {
                "more than one securebase account matches your school account; ask your school's administrator"
            }
            Refusal::DeactivatedAccount => "your securebase account is deactivated",
            Refusal::MissingClaim => {
                "your school account did not say who you are in the way this district set up"
            }
            Refusal::UnverifiedEmail => {
                "your school account's e-mail address is not verified; ask your school's administrator"
            }
            Refusal::ProviderDisabled => "this sign-in option has been turned off",
            _ => "the identity provider's answer could not be trusted; start signing in again",
        }
    }
}

type ProviderClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The client's ID-token verifier, taking only signatures by the provider's published public
/// keys: never `none`, and never HMAC with the client secret (which a provider may offer, and
/// which anyone who learned the secret could forge).
fn asymmetric_only(client: &ProviderClient) -> openidconnect::core::CoreIdTokenVerifier<'_> {
    use CoreJwsSigningAlgorithm as Alg;
    client.id_token_verifier().set_allowed_algs([
        Alg::RsaSsaPkcs1V15Sha256,
        Alg::RsaSsaPkcs1V15Sha384,
        Alg::RsaSsaPkcs1V15Sha512,
        Alg::RsaSsaPssSha256,
        Alg::RsaSsaPssSha384,
        Alg::RsaSsaPssSha512,
        Alg::EcdsaP256Sha256,
        Alg::EcdsaP384Sha384,
        Alg::EcdsaP521Sha512,
        Alg::EdDsa,
    ])
}

fn verification_refusal(error: &ClaimsVerificationError) -> Refusal {
    match error {
        ClaimsVerificationError::Expired(_) => Refusal::ExpiredToken,
        ClaimsVerificationError::InvalidAudience(_) => Refusal::WrongAudience,
        ClaimsVerificationError::InvalidNonce(_) => Refusal::WrongNonce,
        ClaimsVerificationError::SignatureVerification(_) => Refusal::BadSignature,
        _ => Refusal::InvalidToken,
    }
}

/// A discovery document with its keys, and when each was read.
#[derive(Clone)]
struct Cached {
    metadata: CoreProviderMetadata,
    read_at: Instant,
    keys_read_at: Instant,
}

/// What is kept between the start of a sign-in and the provider's return.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The identity the provider vouched for: the value of the provider's account claim.
#[derive(Debug)]
pub struct Identity {
    pub account_value: String,
    /// The provider's own identifier of the person (`sub`), for the audit trail.
    pub subject: String,
}

pub struct RelyingParty {
    http: reqwest::Client,
    /// Discovery documents by issuer (several providers of one issuer share it).
    cache: Mutex<HashMap<String, Cached>>,
    /// When reading an issuer's documents last failed: for `FAILURE_BACKOFF` no sign-in makes
    /// the server try again, so an unreachable issuer costs no connection per request.
    failures: Mutex<HashMap<String, Instant>>,
    ttl: Duration,
    key_refetch: Duration,
    allow_http: bool,
    allow_private: bool,
}

/// How long a failed discovery is remembered.
const FAILURE_BACKOFF: Duration = Duration::from_secs(30);

/// Whether an address is on the public internet: not loopback, private (RFC 1918, unique
/// local, site-local), link-local (cloud metadata services live there), shared (carrier NAT),
/// benchmarking, reserved, unspecified, broadcast or multicast; and for IPv6 forms that carry
/// an IPv4 address (mapped, compatible, NAT64, 6to4), that address judged the same way.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || (a == 192 && b == 0 && c == 0))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                IpAddr::V4(std::net::Ipv4Addr::from(
                    (u32::from(hi) << 16) | u32::from(lo),
                ))
            };
            if let Some(v4) = v6.to_ipv4() {
                // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible).
                return is_public(IpAddr::V4(v4));
            }
            if s[0] == 0x64 && s[1] == 0xff9b {
                // NAT64 (64:ff9b::/96 and 64:ff9b:1::/48): the IPv4 address is the last 32 bits.
                return is_public(embedded(s[6], s[7]));
            }
            if s[0] == 0x2002 {
                // 6to4: the IPv4 address follows the prefix.
                return is_public(embedded(s[1], s[2]));
            }
            if s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0 && s[4] == 0xffff && s[5] == 0 {
                // ::ffff:0:a.b.c.d (IPv4-translated).
                return is_public(embedded(s[6], s[7]));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

/// Resolves names to public addresses only, so a provider's documents cannot send the server
/// to an internal service (SSRF) by a name that points inside.
struct PublicAddressesOnly;

impl reqwest::dns::Resolve for PublicAddressesOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl RelyingParty {
    pub fn new(config: &Config) -> RelyingParty {
        let mut http = reqwest::ClientBuilder::new()
            // Following redirects would let a provider send the server anywhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            // Not through a proxy from the environment: it would resolve names itself, past
            // the public-address check.
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10));
        if !config.oidc_allow_private_addresses {
            http = http.dns_resolver(Arc::new(PublicAddressesOnly));
        }
        RelyingParty {
            http: http
                .build()
                .expect("the HTTP client for identity providers builds"),
            cache: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            ttl: Duration::from_secs(config.oidc_metadata_ttl_secs),
            key_refetch: Duration::from_secs(config.oidc_key_refetch_secs),
            allow_http: config.oidc_allow_http_issuers,
            allow_private: config.oidc_allow_private_addresses,
        }
    }

    /// An address the server may fetch from: `https://` (unless plain HTTP is allowed), and a
    /// host that is a name or a public address (unless private addresses are allowed). Names
    /// are checked again when resolved.
    pub fn reachable(&self, url: &str) -> bool {
        let Ok(url) = Url::parse(url) else {
            return false;
        };
        let scheme_ok = url.scheme() == "https" || (self.allow_http && url.scheme() == "http");
        let host_ok = match url.host() {
            Some(Host::Domain(_)) => true,
            Some(Host::Ipv4(ip)) => self.allow_private || is_public(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.allow_private || is_public(IpAddr::V6(ip)),
            None => false,
        };
        scheme_ok && host_ok && url.username().is_empty() && url.password().is_none()
    }

    fn cached(&self, issuer: &str) -> Option<Cached> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(issuer)
            .filter(|c| c.read_at.elapsed() < self.ttl)
            .cloned()
    }

    fn keep(&self, issuer: &str, cached: Cached) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(issuer.to_owned(), cached);
    }

    /// The issuer's discovery document and keys, read again after `OIDC_METADATA_TTL_SECS`.
    /// Every endpoint it names must be one the server may fetch from (`reachable`).
    async fn metadata(&self, issuer: &str) -> Result<Cached, ApiError> {
        if let Some(cached) = self.cached(issuer) {
            return Ok(cached);
        }
        let recently_failed = {
            let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
            failures
                .get(issuer)
                .is_some_and(|at| at.elapsed() < FAILURE_BACKOFF)
        };
        if recently_failed {
            return Err(ApiError::identity_provider_unreachable());
        }
        match self.discover(issuer).await {
            Ok(metadata) => {
                let now = Instant::now();
                let cached = Cached {
                    metadata,
                    read_at: now,
                    keys_read_at: now,
                };
                self.keep(issuer, cached.clone());
                Ok(cached)
            }
            Err(why) => {
                tracing::warn!(issuer, why, "identity provider discovery failed");
                let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
                failures.insert(issuer.to_owned(), Instant::now());
                Err(ApiError::identity_provider_unreachable())
            }
        }
    }

    /// The discovery document, read and checked here rather than by `discover_async`, which
    /// fetches the keys from whatever `jwks_uri` the document names before anything could
    /// check it: every endpoint is checked first, then the keys are fetched.
    async fn discover(&self, issuer: &str) -> Result<CoreProviderMetadata, String> {
        const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        if !self.reachable(&url) {
            return Err("the issuer is not an address the server may fetch from".to_owned());
        }
        let mut response = self
            .http
            .get(&url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("discovery answered {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err("the discovery document is too large".to_owned());
            }
            body.extend_from_slice(&chunk);
        }
        let metadata: CoreProviderMetadata =
            serde_json::from_slice(&body).map_err(|e| format!("discovery document: {e}"))?;
        if metadata.issuer().as_str() != issuer {
            return Err(format!(
                "the discovery document names another issuer: {}",
                metadata.issuer().as_str()
            ));
        }
        let Some(token_endpoint) = metadata.token_endpoint() else {
            return Err("the discovery document names no token endpoint".to_owned());
        };
        let endpoints = [
            metadata.authorization_endpoint().as_str(),
            token_endpoint.as_str(),
            metadata.jwks_uri().as_str(),
        ];
        if let Some(bad) = endpoints.into_iter().find(|u| !self.reachable(u)) {
            return Err(format!(
                "an endpoint is not an address the server may fetch from: {bad}"
            ));
        }
        let keys = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| e.to_string())?;
        Ok(metadata.set_jwks(keys))
    }

    /// The keys read again, unless they were read less than `OIDC_KEY_REFETCH_SECS` ago.
    async fn refetch_keys(&self, issuer: &str, mut cached: Cached) -> Option<Cached> {
        if cached.keys_read_at.elapsed() < self.key_refetch {
            return None;
        }
        let keys = CoreJsonWebKeySet::fetch_async(cached.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| tracing::warn!(issuer, error = %e, "identity provider keys fetch failed"))
            .ok()?;
        cached.metadata = cached.metadata.set_jwks(keys);
        cached.keys_read_at = Instant::now();
        self.keep(issuer, cached.clone());
        Some(cached)
    }

    fn client(
        provider: &ProviderRow,
        secret: &str,
        metadata: CoreProviderMetadata,
        callback: &str,
    ) -> Result<ProviderClient, ApiError> {
        let redirect = RedirectUrl::new(callback.to_owned())
            .map_err(|_| ApiError::internal("PUBLIC_URL does not make a valid callback URL"))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.client_id.clone()),
            Some(ClientSecret::new(secret.to_owned())),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider's authorization URL for a new sign-in: code flow, PKCE (S256), a fresh
    /// `state` and `nonce`.
    pub async fn authorize(
        &self,
        provider: &ProviderRow,
        secret: &str,
        callback: &str,
    ) -> Result<Authorization, ApiError> {
        let cached = self.metadata(&provider.issuer).await?;
        let client = Self::client(provider, secret, cached.metadata, callback)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in provider.account_match.scopes() {
            request = request.add_scope(Scope::new((*scope).to_owned()));
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and checks the ID token: signature against
    /// the issuer's keys (read again once when the token names a key not yet seen), `iss`,
    /// `aud`, `exp` and `nonce`. Returns the value of the claim that names the account.
    pub async fn complete(
        &self,
        provider: &ProviderRow,
        secret: &str,
        callback: &str,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Result<Identity, Refusal>, ApiError> {
        let cached = self.metadata(&provider.issuer).await?;
        let client = Self::client(provider, secret, cached.metadata.clone(), callback)?;
        let exchange = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|_| ApiError::identity_provider_unreachable())?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()));
        let response = match exchange.request_async(&self.http).await {
            Ok(response) => response,
            Err(e) => {
                tracing::info!(provider_id = %provider.id, error = %e, "identity provider refused the code");
                return Ok(Err(Refusal::CodeRejected));
            }
        };
        let Some(raw) = response.id_token().map(|t| t.to_string()) else {
            return Ok(Err(Refusal::NoIdToken));
        };
        let Ok(id_token) = raw.parse::<ProviderIdToken>() else {
            return Ok(Err(Refusal::InvalidToken));
        };
        let nonce = Nonce::new(nonce.to_owned());
        let checked = id_token.claims(&asymmetric_only(&client), &nonce).cloned();
        let claims = match checked {
            Ok(claims) => claims,
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // A key the cached set does not have: the provider may have rotated its keys.
                let Some(fresh) = self.refetch_keys(&provider.issuer, cached).await else {
                    return Ok(Err(Refusal::BadSignature));
                };
                let client = Self::client(provider, secret, fresh.metadata, callback)?;
                let verifier = asymmetric_only(&client);
                let again = id_token.claims(&verifier, &nonce).cloned();
                match again {
                    Ok(claims) => claims,
                    Err(e) => return Ok(Err(verification_refusal(&e))),
                }
            }
            Err(e) => return Ok(Err(verification_refusal(&e))),
        };
        let subject = claims.subject().as_str().to_owned();
        Ok(
            account_value(&claims, provider).map(|account_value| Identity {
                account_value,
                subject,
            }),
        )
    }
}

/// The value of the provider's account claim, as sent. Matching by e-mail takes only an
/// address the provider says it verified (`email_verified: true`), unless the provider is set
/// not to require it: an unverified address could have been typed by anyone.
fn account_value(claims: &ProviderClaims, provider: &ProviderRow) -> Result<String, Refusal> {
    let name = provider.claim_name.as_str();
    let value = match name {
        "sub" => Some(claims.subject().as_str().to_owned()),
        "email" => claims.email().map(|e| e.as_str().to_owned()),
        "preferred_username" => claims.preferred_username().map(|u| u.as_str().to_owned()),
        other => match claims.additional_claims().0.get(other) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
    };
    let value = value
        .filter(|v| !v.is_empty())
        .ok_or(Refusal::MissingClaim)?;
    if provider.account_match == AccountMatch::Email {
        let verified = claims.email_verified();
        let trusted = if provider.require_verified_email {
            verified == Some(true)
        } else {
            verified != Some(false)
        };
        if !trusted {
            return Err(Refusal::UnverifiedEmail);
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::{is_public, PublicAddressesOnly};
    use openidconnect::reqwest::dns::Resolve;

    #[test]
    fn names_of_internal_addresses_do_not_resolve() {
        let resolved = actix_web::rt::System::new().block_on(async {
            let name = "localhost".parse().expect("a host name");
            PublicAddressesOnly.resolve(name).await.map(|a| a.count())
        });
        let error = resolved.expect_err("localhost is refused");
        assert!(error.to_string().contains("no public address"), "{error}");
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "224.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "8.8.8.8",
            "142.250.72.14",
            "2001:4860:4860::8888",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
