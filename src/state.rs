//! What every handler may need, shared by all workers: the database, the configuration and the
//! sealing keys. Areas above the base layer register their own shared state beside it
//! (`auth::AuthState`, `surveys::queries::PublishedItems`; see `app::Services`).

use std::sync::Arc;

use crate::config::Config;
use crate::db::Db;
use crate::seal::SealKeys;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub seal_keys: Arc<SealKeys>,
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
        }
    }
}
