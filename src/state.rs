//! What every handler may need, shared by all workers: the database, the configuration and the
//! sealing keys. Areas above the base layer register their own shared state beside it
//! (`auth::AuthState`, `surveys::queries::PublishedItems`; see `app::Services`).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::config::Config;
use crate::db::Db;
use crate::seal::SealKeys;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub seal_keys: Arc<SealKeys>,
    /// Set when the server is shutting down: `/readyz` answers 503.
    pub draining: Arc<AtomicBool>,
    /// Held (shared) by each run of a background job; taken whole at shutdown, which so waits
    /// for the runs under way and starts no more.
    pub jobs: Arc<tokio::sync::RwLock<()>>,
}

impl AppState {
    pub fn new(config: Config, seal_keys: SealKeys) -> AppState {
        let db = Db::connect(
            &config.database_url,
            config.pool_size,
            std::time::Duration::from_secs(config.database_timeout_secs.max(1)),
        );
        AppState {
            db,
            config: Arc::new(config),
            seal_keys: Arc::new(seal_keys),
            draining: Arc::new(AtomicBool::new(false)),
            jobs: Arc::new(tokio::sync::RwLock::new(())),
        }
    }
}
