//! Access tokens (HS256 JWTs, algorithm pinned, `iss`/`aud`/`exp` checked) and opaque refresh tokens.

use base64::Engine;
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::accounts::Role;
use crate::error::ApiError;

pub const ISSUER: &str = "securebase";
pub const AUDIENCE: &str = "securebase-api";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    /// District of the user.
    pub did: String,
    /// School of the user; absent for district staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl_secs: i64) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl_secs,
        }
    }

    pub fn issue(
        &self,
        user_id: &str,
        role: Role,
        district_id: &str,
        school_id: Option<&str>,
    ) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_owned(),
            role,
            did: district_id.to_owned(),
            sid: school_id.map(str::to_owned),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            exp: now + self.access_ttl_secs,
        };
        self.sign(&claims)
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("token signing failed: {e}")))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::Unauthorized("access token expired"),
                _ => ApiError::Unauthorized("invalid access token"),
            })
    }
}

/// A new opaque refresh token (256 random bits, URL-safe).
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Only this hash is stored, so a database dump yields no usable refresh tokens.
pub fn hash_refresh_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}
