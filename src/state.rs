use std::sync::Arc;

use crate::auth::rate_limit::IpLimiter;
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::db::Db;

/// Everything a handler may need, shared by all workers.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub tokens: Arc<TokenKeys>,
    pub login_limiter: Arc<IpLimiter>,
    pub activation_limiter: Arc<IpLimiter>,
    pub config: Arc<Config>,
    pub published_items: Arc<crate::surveys::queries::PublishedItems>,
    pub seal_keys: Arc<crate::seal::SealKeys>,
    /// Where passwords are hashed: one thread per core, a bounded queue (`auth::hashing`).
    pub hashes: crate::auth::hashing::HashPool,
}

impl AppState {
    pub fn new(config: Config, jwt_secret: &str, seal_keys: crate::seal::SealKeys) -> AppState {
        let db = Db::connect(
            &config.database_url,
            config.pool_size,
            std::time::Duration::from_secs(config.database_timeout_secs.max(1)),
        );
        AppState {
            db,
            tokens: Arc::new(TokenKeys::new(
                jwt_secret.as_bytes(),
                config.access_token_ttl_secs as i64,
            )),
            login_limiter: Arc::new(IpLimiter::new(config.login_rate_per_ip)),
            activation_limiter: Arc::new(IpLimiter::new(config.activation_rate_per_ip)),
            hashes: crate::auth::hashing::HashPool::per_core(
                config.password_hash_queue,
                std::time::Duration::from_millis(config.password_hash_max_wait_ms),
            ),
            config: Arc::new(config),
            published_items: Arc::default(),
            seal_keys: Arc::new(seal_keys),
        }
    }
}
