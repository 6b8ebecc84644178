//! What authentication shares between workers: token keys, sign-in limits, the hashing pool.
//! Registered as its own application data beside the base `AppState`.

use std::sync::Arc;
use std::time::Duration;

use super::hashing::HashPool;
use super::rate_limit::IpLimiter;
use super::tokens::TokenKeys;
use crate::config::Config;

#[derive(Clone)]
pub struct AuthState {
    pub tokens: Arc<TokenKeys>,
    pub login_limiter: Arc<IpLimiter>,
    pub activation_limiter: Arc<IpLimiter>,
    /// Sign-in starts and returns through identity providers (`OIDC_RATE_PER_IP`).
    pub oidc_limiter: Arc<IpLimiter>,
    /// Where passwords are hashed: one thread per core, a bounded queue (`auth::hashing`).
    pub hashes: HashPool,
    /// Identity providers' discovery documents and keys, cached (`oidc::relying_party`).
    pub oidc: Arc<super::oidc::RelyingParty>,
}

impl AuthState {
    pub fn new(config: &Config, jwt_secret: &str) -> AuthState {
        AuthState {
            tokens: Arc::new(TokenKeys::new(
                jwt_secret.as_bytes(),
                config.access_token_ttl_secs as i64,
            )),
            login_limiter: Arc::new(IpLimiter::new(config.login_rate_per_ip)),
            activation_limiter: Arc::new(IpLimiter::new(config.activation_rate_per_ip)),
            oidc_limiter: Arc::new(IpLimiter::new(config.oidc_rate_per_ip)),
            hashes: HashPool::per_core(
                config.password_hash_queue,
                Duration::from_millis(config.password_hash_max_wait_ms),
            ),
            oidc: Arc::new(super::oidc::RelyingParty::new(config)),
        }
    }
}
