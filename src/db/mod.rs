//! Database access: one connection type over PostgreSQL and SQLite, a pool, and the
//! helpers every module uses to run diesel work off the async executor.

pub mod schema;
pub mod text_enum;

pub(crate) use text_enum::text_enum;

use std::time::Duration;

use chrono::{DurationRound, NaiveDateTime, TimeDelta, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::ApiError;

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which backend a `DATABASE_URL` names. Decided by scheme, never by trial connection:
/// a PostgreSQL URL whose server is down must report that, not become a SQLite file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// The file path SQLite should open for a URL such as `sqlite://data/sb.db`, `sqlite:sb.db` or `sb.db`.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

pub fn establish(url: &str) -> ConnectionResult<DbConnection> {
    match Backend::of_url(url) {
        Backend::Postgres => PgConnection::establish(url).map(DbConnection::Pg),
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(sqlite_path(url))?;
            // WAL lets readers proceed during a write; the busy timeout makes writers queue instead of failing.
            conn.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
            )
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<usize> {
    let applied = match conn {
        DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.len())
}

/// True when the schema lacks a migration this binary embeds (e.g. `serve --no-migrate` on a
/// fresh database): the server must not report ready then.
pub fn has_pending_migrations(conn: &mut DbConnection) -> QueryResult<bool> {
    let pending = match conn {
        DbConnection::Pg(c) => c.has_pending_migration(PG_MIGRATIONS),
        DbConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
    };
    pending.map_err(|e| {
        diesel::result::Error::QueryBuilderError(format!("reading migrations: {e}").into())
    })
}

/// Pool manager that picks the backend from the URL scheme (the stock r2d2 manager tries
/// each backend in turn and hides a PostgreSQL connection error behind "invalid url").
pub struct Manager {
    url: String,
}

/// A pooled connection, and whether it was seen to lose its server. diesel cannot tell a
/// PostgreSQL connection whose server went away from a live one; without this flag the pool
/// would hand the dead connection out again and again after a database restart.
pub struct Pooled {
    conn: DbConnection,
    lost: bool,
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Pooled;
    type Error = ConnectionError;

    fn connect(&self) -> Result<Pooled, ConnectionError> {
        establish(&self.url).map(|conn| Pooled { conn, lost: false })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), ConnectionError> {
        conn.conn
            .ping()
            .map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        conn.lost || conn.conn.is_broken()
    }
}

pub type Pool = r2d2::Pool<Manager>;

#[derive(Clone)]
pub struct Db {
    pool: Pool,
}

impl Db {
    /// Builds the pool lazily: the server starts (and `/readyz` reports) even while the database is down.
    pub fn connect(url: &str, max_size: u32, timeout: Duration) -> Db {
        let pool = r2d2::Pool::builder()
            .max_size(max_size)
            .min_idle(Some(0))
            .connection_timeout(timeout)
            .test_on_check_out(false)
            .build_unchecked(Manager {
                url: url.to_owned(),
            });
        Db { pool }
    }

    pub fn get(&self) -> Result<r2d2::PooledConnection<Manager>, ApiError> {
        let asked = std::time::Instant::now();
        let conn = self.pool.get().map_err(|e| {
            tracing::warn!(error = %e, "database unavailable");
            ApiError::Unavailable
        });
        crate::metrics::global().pool_wait(asked.elapsed());
        conn
    }

    /// The pool now: connections open, of which idle, and the most it opens.
    pub fn pool_state(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (
            state.connections,
            state.idle_connections,
            self.pool.max_size(),
        )
    }

    /// Runs blocking diesel work on the blocking thread pool, never on the async executor.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || {
            let mut conn = db.get()?;
            let result = work(&mut conn);
            if matches!(result, Err(ApiError::Unavailable)) {
                // The server went away under this connection: the pool must not reuse it.
                conn.lost = true;
            }
            result
        })
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
    }

    /// Like [`Db::run`], inside a write transaction (see [`write_transaction`]).
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |conn| write_transaction(conn, work)).await
    }
}

/// A transaction that will write. On SQLite it begins IMMEDIATE so it takes the write lock
/// up front: a deferred read-then-write transaction fails with SQLITE_BUSY under concurrency
/// instead of waiting for the busy timeout.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Pg(_) => {
            <DbConnection as TransactionManager<DbConnection>>::begin_transaction(conn)?
        }
    }
    match work(conn) {
        Ok(value) => {
            <DbConnection as TransactionManager<DbConnection>>::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The original error matters more than a failed rollback; a broken connection is discarded by the pool.
            let _ = <DbConnection as TransactionManager<DbConnection>>::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// Runs the same diesel expression on whichever backend the connection is: batch inserts are
/// only implemented for the concrete connection types, not for the multi-backend one. Code
/// outside `db` never matches on the backend itself: it uses this macro or one of the
/// functions here that differ per backend (transactions, the exclusive lock).
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// A transaction whose commit does not wait for the WAL flush on PostgreSQL
/// (`synchronous_commit = off` for this transaction only); a plain transaction on SQLite. Nested
/// in a caller's transaction, it is a savepoint and the setting applies to the whole of it.
pub fn transaction_without_flush<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::SimpleConnection;
    let postgres = matches!(conn, DbConnection::Pg(_));
    conn.transaction(|conn| {
        if postgres {
            conn.batch_execute("SET LOCAL synchronous_commit TO OFF")?;
        }
        work(conn)
    })
}

/// Like [`write_transaction`], with a commit that does not wait for the WAL flush on
/// PostgreSQL, opened and set in one round trip there (for a caller outside any transaction).
pub fn write_transaction_without_flush<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::SimpleConnection;
    if !matches!(conn, DbConnection::Pg(_)) {
        return write_transaction(conn, work);
    }
    conn.batch_execute("BEGIN; SET LOCAL synchronous_commit TO OFF")?;
    let result = work(conn);
    conn.batch_execute(if result.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
    result
}

/// Serializes the callers of one `key` until their transactions end: a transaction-scoped
/// advisory lock on PostgreSQL. Nothing on SQLite, whose write transaction already excludes
/// every other writer.
pub fn exclusive_transaction_lock(conn: &mut DbConnection, key: i64) -> QueryResult<()> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(key)
            .execute(c)?;
    }
    Ok(())
}

/// Like [`exclusive_transaction_lock`], shared: holders of the shared lock of `key` do not
/// wait for each other, only for (and block) the exclusive one.
pub fn shared_transaction_lock(conn: &mut DbConnection, key: i64) -> QueryResult<()> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock_shared($1)")
            .bind::<diesel::sql_types::BigInt, _>(key)
            .execute(c)?;
    }
    Ok(())
}

/// Rows per INSERT, keeping every statement under SQLite's 32,766 bound parameters.
const BATCH_PARAMETERS: usize = 30_000;

/// Calls `insert` for consecutive ranges of `len` rows of `columns` columns each.
pub fn insert_batches(
    len: usize,
    columns: usize,
    mut insert: impl FnMut(std::ops::Range<usize>) -> QueryResult<usize>,
) -> QueryResult<()> {
    let per_batch = (BATCH_PARAMETERS / columns).max(1);
    let mut start = 0;
    while start < len {
        let end = (start + per_batch).min(len);
        insert(start..end)?;
        start = end;
    }
    Ok(())
}

/// The backend type boxed queries are built for.
pub type DbBackend = <DbConnection as diesel::Connection>::Backend;

/// The current instant as stored: UTC, truncated to microseconds so both backends round-trip it exactly.
pub fn now() -> NaiveDateTime {
    truncate(Utc::now().naive_utc())
}

pub fn truncate(t: NaiveDateTime) -> NaiveDateTime {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// True when a diesel error is a unique-constraint violation (mapped to 409 by callers).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
