//! The binary's subcommands, as library functions (so tests can drive them too).

use std::path::Path;
use std::sync::atomic::Ordering;

use anyhow::{anyhow, bail, Context};
use diesel::prelude::*;

use crate::accounts::{Role, UserRow};
use crate::app::{build_app, Services};
use crate::auth::password;
use crate::config::Config;
use crate::db::schema::districts;
use crate::db::{self, write_transaction};
use crate::rosters::dto::validate_username;
use crate::rosters::queries;
use crate::seed;
use crate::state::AppState;

pub fn migrate(database_url: &str) -> anyhow::Result<usize> {
    let mut conn = db::establish(database_url)
        .with_context(|| format!("connecting to {}", redact(database_url)))?;
    db::run_migrations(&mut conn)
}

/// Hides the password of a database URL in messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..scheme_end], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

pub fn seed_dir(database_url: &str, dir: &Path) -> anyhow::Result<seed::Loaded> {
    let files = seed::read_dir(dir)?;
    let mut conn = db::establish(database_url)
        .with_context(|| format!("connecting to {}", redact(database_url)))?;
    seed::load(&mut conn, &files)
}

/// `securebase import oneroster`: imports a bundle into a district, without an acting user.
pub fn import_oneroster(
    database_url: &str,
    district_id: &str,
    path: &Path,
    limits: crate::oneroster::Limits,
    dry_run: bool,
) -> anyhow::Result<crate::oneroster::ImportReport> {
    let mut conn = db::establish(database_url)
        .with_context(|| format!("connecting to {}", redact(database_url)))?;
    crate::oneroster::import(&mut conn, district_id, path, limits, dry_run, None)
        .map_err(|e| anyhow::anyhow!("{}", e.problem().detail))
}

/// `securebase purge`: applies every district's retention settings.
pub fn purge(database_url: &str, dry_run: bool) -> anyhow::Result<Vec<crate::retention::Purged>> {
    let mut conn = db::establish(database_url)
        .with_context(|| format!("connecting to {}", redact(database_url)))?;
    crate::retention::purge(&mut conn, db::now(), dry_run)
        .map_err(|e| anyhow::anyhow!("{}", e.problem().detail))
}

/// The survey job (`reports::opening`) every `SURVEY_JOB_INTERVAL_SECS`, on the blocking pool.
/// Failures are logged and retried at the next tick; several servers may run it at once.
fn spawn_survey_job(state: AppState) {
    let every = std::time::Duration::from_secs(state.config.survey_job_interval_secs.max(1));
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(every);
        loop {
            ticks.tick().await;
            // Shutting down: the run under way (if any) finishes; no new one starts.
            let Some(_running) = job_run(&state).await else {
                break;
            };
            let (keys, settle) = (state.seal_keys.clone(), state.config.settle_period());
            let started = std::time::Instant::now();
            let run = state
                .db
                .run(move |conn| crate::reports::opening::run_job(conn, &keys, settle))
                .await;
            let failed = run.as_ref().map_or(true, |r| {
                !r.failed.is_empty() || !r.rescore_failed.is_empty()
            });
            crate::metrics::global().job("survey_job", started.elapsed(), failed);
            match run {
                Ok(run) => {
                    for o in &run.opened {
                        let window_id = &o.window_id;
                        tracing::info!(%window_id, "survey window closed: responses opened");
                    }
                    for (window_id, error) in &run.failed {
                        tracing::error!(%window_id, %error, "survey window could not be opened; it stays sealed");
                    }
                    for window_id in &run.rescored {
                        tracing::info!(%window_id, "survey window scored again under the current scoring rules");
                    }
                    for (window_id, error) in &run.rescore_failed {
                        tracing::error!(%window_id, %error, "survey window could not be scored again; its reports name the rules it was scored with");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "survey job failed; retrying at next tick"),
            }
        }
    });
}

/// A background job's permit to run once, or None when the server is shutting down.
async fn job_run(state: &AppState) -> Option<tokio::sync::RwLockReadGuard<'_, ()>> {
    if state.draining.load(Ordering::SeqCst) {
        return None;
    }
    let running = state.jobs.read().await;
    (!state.draining.load(Ordering::SeqCst)).then_some(running)
}

/// `securebase surveys rewrap`: wraps every window's data key, and every identity provider's
/// client-secret key, under the current seal key.
/// Returns how many were rewrapped and how many were under it already.
pub fn rewrap(
    conn: &mut db::DbConnection,
    keys: &crate::seal::SealKeys,
) -> anyhow::Result<(usize, usize)> {
    use crate::db::schema::{identity_providers, survey_windows};
    write_transaction(conn, |conn| {
        let wrapped: Vec<(String, Option<String>)> = survey_windows::table
            .filter(survey_windows::sealed_key.is_not_null())
            .select((survey_windows::id, survey_windows::sealed_key))
            .load(conn)?;
        let (mut rewrapped, mut current) = (0, 0);
        for (id, key) in wrapped {
            let Some(key) = key else { continue };
            match keys
                .rewrap(&key, &id)
                .map_err(|e| anyhow!("window {id}: {e}"))?
            {
                Some(new) => {
                    diesel::update(survey_windows::table.find(&id))
                        .set(survey_windows::sealed_key.eq(new))
                        .execute(conn)?;
                    rewrapped += 1;
                }
                None => current += 1,
            }
        }
        // Identity providers' client secrets are sealed under data keys of their own.
        let providers: Vec<(String, String)> = identity_providers::table
            .select((
                identity_providers::id,
                identity_providers::client_secret_key,
            ))
            .load(conn)?;
        for (id, key) in providers {
            let context = crate::auth::oidc::providers::secret_context(&id);
            match keys
                .rewrap(&key, &context)
                .map_err(|e| anyhow!("identity provider {id}: {e}"))?
            {
                Some(new) => {
                    diesel::update(identity_providers::table.find(&id))
                        .set(identity_providers::client_secret_key.eq(new))
                        .execute(conn)?;
                    rewrapped += 1;
                }
                None => current += 1,
            }
        }
        Ok((rewrapped, current))
    })
}

/// `securebase audit verify`: checks every district's audit hash chain, and with a signed heads
/// file and its key, that every chain still holds those heads.
pub fn audit_verify(
    database_url: &str,
    against: Option<(std::path::PathBuf, Vec<u8>)>,
) -> anyhow::Result<(Vec<crate::audit::ChainReport>, Vec<String>)> {
    let mut conn = db::establish(database_url)
        .with_context(|| format!("connecting to {}", redact(database_url)))?;
    let reports = crate::audit::verify(&mut conn)?;
    let problems = match against {
        None => Vec::new(),
        Some((path, key)) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let signed: crate::audit::SignedHeads = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a heads file", path.display()))?;
            crate::audit::verify_against(&mut conn, &signed, &key)?
        }
    };
    Ok((reports, problems))
}

/// `securebase audit seal`: chains the events recorded but not chained yet.
pub fn audit_seal(database_url: &str) -> anyhow::Result<usize> {
    let mut conn = db::establish(database_url)
        .with_context(|| format!("connecting to {}", redact(database_url)))?;
    crate::audit::seal_pending(&mut conn).map_err(|e| anyhow!("{}", e.problem().detail))
}

/// `securebase audit heads`: chains what is pending, then signs every district's head.
pub fn audit_heads(database_url: &str, key: &[u8]) -> anyhow::Result<crate::audit::SignedHeads> {
    let mut conn = db::establish(database_url)
        .with_context(|| format!("connecting to {}", redact(database_url)))?;
    crate::audit::seal_pending(&mut conn).map_err(|e| anyhow!("{}", e.problem().detail))?;
    Ok(crate::audit::heads(&mut conn, key)?)
}

/// The key heads files are signed with (`AUDIT_HEADS_KEY`): at least 32 characters.
pub fn audit_heads_key(key: Option<&str>) -> anyhow::Result<Vec<u8>> {
    match key {
        Some(k) if k.len() >= 32 => Ok(k.as_bytes().to_vec()),
        Some(_) => Err(anyhow!("AUDIT_HEADS_KEY must be at least 32 characters")),
        None => Err(anyhow!(
            "AUDIT_HEADS_KEY is required to sign or check heads (e.g. `openssl rand -base64 32`); \
             keep it where the database's administrators cannot read it"
        )),
    }
}

/// The audit sealer (`audit::seal_pending`) every `AUDIT_SEAL_INTERVAL_MS`, on the blocking pool.
fn spawn_audit_sealer(state: AppState) {
    let every = std::time::Duration::from_millis(state.config.audit_seal_interval_ms.max(10));
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(every);
        loop {
            ticks.tick().await;
            let Some(_running) = job_run(&state).await else {
                break;
            };
            let started = std::time::Instant::now();
            let sealed = state.db.run(crate::audit::seal_pending).await;
            crate::metrics::global().job("audit_sealer", started.elapsed(), sealed.is_err());
            if let Err(e) = sealed {
                tracing::warn!(error = %e, "audit sealer failed; retrying at next tick");
            }
        }
    });
}

pub async fn serve(mut config: Config, demo: bool, migrate_on_start: bool) -> anyhow::Result<()> {
    if demo {
        // A local demo may sign in through an identity provider on this machine over plain
        // HTTP (tests/oidc, as the README shows); production issuers stay https:// and public.
        config.oidc_allow_http_issuers = true;
        config.oidc_allow_private_addresses = true;
    }
    let secret = config.resolve_secret(demo)?;
    let seal_keys = config.resolve_seal_keys(demo)?;
    let url = config.database_url.clone();
    tracing::info!(database = %redact(&url), backend = ?db::Backend::of_url(&url), "starting securebase");
    if migrate_on_start || demo {
        let applied = actix_web::web::block({
            let url = url.clone();
            move || migrate(&url)
        })
        .await??;
        tracing::info!(applied, "migrations up to date");
    }
    if demo {
        let loaded = actix_web::web::block(move || -> anyhow::Result<Option<seed::Loaded>> {
            let mut conn = db::establish(&url)?;
            if seed::database_is_empty(&mut conn)? {
                Ok(Some(seed::load_demo(&mut conn)?))
            } else {
                Ok(None)
            }
        })
        .await??;
        match loaded {
            Some(l) => tracing::info!(
                users = l.users,
                classes = l.classes,
                "demo district loaded; logins in seed/demo/logins.csv"
            ),
            None => tracing::info!("database already has data; demo not reloaded"),
        }
    }
    let bind = config.bind_addr.clone();
    let keep_alive = std::time::Duration::from_secs(config.keep_alive_secs);
    let head_timeout = config.request_head_timeout_secs.max(1);
    // Database work runs on each worker's blocking pool, and can only proceed as far as the one
    // connection pool (shared by the workers) lets it: threads beyond it would only wait, each
    // holding its stack and allocator heap (actix's default of 512 per process took the server to
    // 500 MB under 1,000 connections). The workers' threads add up to the pool's size; waiting
    // work queues for a thread instead.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let blocking_threads = (config.pool_size as usize).div_ceil(workers).max(2);
    tracing::info!(
        seal_key = seal_keys.current().id(),
        "survey seal key loaded"
    );
    let drain = std::time::Duration::from_secs(config.shutdown_drain_secs);
    let grace = config.shutdown_grace_secs;
    if config.metrics_token.as_ref().is_some_and(|t| t.len() < 32) {
        bail!("METRICS_TOKEN must be at least 32 characters (e.g. `openssl rand -hex 32`)");
    }
    let metrics_addr = config.metrics_addr.clone();
    let services = Services::new(config, &secret, seal_keys);
    let state = services.state.clone();
    spawn_survey_job(state.clone());
    spawn_audit_sealer(state.clone());
    let server = actix_web::HttpServer::new(move || build_app(services.clone()))
        .keep_alive(keep_alive)
        // A client that sends its request head slowly (slowloris) is cut off; bodies have their
        // own deadline in the extractors (REQUEST_BODY_TIMEOUT_SECS, UPLOAD_TIMEOUT_SECS).
        .client_request_timeout(std::time::Duration::from_secs(head_timeout))
        .client_disconnect_timeout(std::time::Duration::from_secs(5))
        // A class opening the survey at once arrives as a burst of connections; the kernel
        // caps this at net.core.somaxconn.
        .backlog(4096)
        .worker_max_blocking_threads(blocking_threads)
        .bind(&bind)
        .with_context(|| format!("binding {bind}"))?
        // Signals are handled below: readiness goes first, then the graceful stop.
        .disable_signals()
        .shutdown_timeout(grace)
        .run();
    let metrics = match metrics_addr {
        Some(addr) => Some(metrics_server(state.clone(), &addr)?),
        None => None,
    };
    actix_web::rt::spawn(stop_on_signal(
        server.handle(),
        metrics,
        state.clone(),
        drain,
    ));
    tracing::info!(%bind, "listening; API docs at /docs/");
    server.await?;
    finish_jobs(&state, std::time::Duration::from_secs(grace)).await;
    tracing::info!("stopped");
    Ok(())
}

/// On SIGTERM or SIGINT: `/readyz` answers 503 at once; after the drain period the server stops
/// accepting connections and lets the requests under way finish (up to the grace period).
async fn stop_on_signal(
    handle: actix_web::dev::ServerHandle,
    metrics: Option<actix_web::dev::ServerHandle>,
    state: AppState,
    drain: std::time::Duration,
) {
    use actix_web::rt::signal;
    let terminate = async {
        match signal::unix::signal(signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    let interrupt = async {
        let _ = signal::ctrl_c().await;
    };
    futures_util::future::select(Box::pin(terminate), Box::pin(interrupt)).await;
    state.draining.store(true, Ordering::SeqCst);
    tracing::info!(
        drain_secs = drain.as_secs(),
        "shutting down: /readyz answers 503; in-flight requests finish"
    );
    actix_web::rt::time::sleep(drain).await;
    handle.stop(true).await;
    if let Some(metrics) = metrics {
        metrics.stop(true).await;
    }
}

/// `GET /metrics` alone on an address of its own (`METRICS_ADDR`), without a token: for a
/// scraper on a network clients do not reach.
fn metrics_server(state: AppState, addr: &str) -> anyhow::Result<actix_web::dev::ServerHandle> {
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(state.clone()))
            .app_data(crate::health::MetricsListener)
            .service(crate::health::metrics)
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .bind(addr)
    .with_context(|| format!("binding METRICS_ADDR {addr}"))?
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    tracing::info!(%addr, "metrics at /metrics");
    Ok(handle)
}

/// Waits (up to `grace`) for the background jobs' runs under way; none starts after.
async fn finish_jobs(state: &AppState, grace: std::time::Duration) {
    state.draining.store(true, Ordering::SeqCst);
    match actix_web::rt::time::timeout(grace, state.jobs.write()).await {
        Ok(_all_done) => tracing::info!("background jobs finished"),
        Err(_) => tracing::warn!(
            "a background job was still running after the grace period; its transaction is rolled back"
        ),
    }
}

pub struct NewAdmin {
    pub district_name: String,
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub password: String,
}

/// Creates a district (or reuses the one with that name) and its first district administrator.
pub fn create_admin(database_url: &str, admin: NewAdmin) -> anyhow::Result<(String, String)> {
    let username = admin.username.trim().to_lowercase();
    validate_username(&username)
        .map_err(|_| anyhow!("username must be 3-64 characters of a-z 0-9 . _ - @ +"))?;
    if admin.password.len() < 12 {
        bail!("the administrator password must be at least 12 characters");
    }
    let hash = password::hash(&admin.password).map_err(|e| anyhow!("{e}"))?;
    let mut conn = db::establish(database_url)
        .with_context(|| format!("connecting to {}", redact(database_url)))?;
    db::run_migrations(&mut conn)?;
    write_transaction(&mut conn, |conn| -> anyhow::Result<(String, String)> {
        let now = db::now();
        let existing: Option<String> = districts::table
            .filter(districts::name.eq(&admin.district_name))
            .select(districts::id)
            .first(conn)
            .optional()?;
        let district_id = match existing.clone() {
            Some(id) => id,
            None => {
                let id = db::new_id();
                diesel::insert_into(districts::table)
                    .values((
                        districts::id.eq(&id),
                        districts::name.eq(&admin.district_name),
                        districts::created_at.eq(now),
                        districts::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                id
            }
        };
        let row = UserRow {
            id: db::new_id(),
            district_id: district_id.clone(),
            school_id: None,
            role: Role::DistrictAdmin,
            username,
            email: admin.email,
            given_name: admin.given_name,
            family_name: admin.family_name,
            grade: None,
            password_hash: Some(hash),
            active: true,
            failed_logins: 0,
            locked_until: None,
            created_at: now,
            updated_at: now,
        };
        queries::insert_user(conn, &row).map_err(|e| anyhow!("{}", e.problem().detail))?;
        // Every new account is in the audit trail; this one was made at the command line, by
        // whoever runs the server (the system), not by a signed-in user.
        crate::audit::record_in_transaction(
            conn,
            crate::audit::Actor::system(&district_id),
            "user.created",
            serde_json::json!({
                "user_id": row.id, "role": row.role, "school_id": row.school_id,
                "via": "create-admin",
            }),
        )
        .map_err(|e| anyhow!("{}", e.problem().detail))?;
        if existing.is_none() {
            // A new district starts with the starter lesson library, published by its first admin.
            crate::lessons::library::install_starter(conn, &district_id, &row.id)?;
            crate::surveys::library::install_starter(conn, &district_id, &row.id)?;
        }
        Ok((district_id, row.id))
    })
}

/// Signs an access token for each caller and writes them one per line: the distinct respondents
/// of a load benchmark, without a login (and its deliberate Argon2 cost) per student.
pub fn write_tokens(
    path: &Path,
    secret: &[u8],
    ttl_secs: i64,
    callers: &[crate::accounts::Caller],
) -> anyhow::Result<usize> {
    use std::io::Write;
    let keys = crate::auth::tokens::TokenKeys::new(secret, ttl_secs);
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    for caller in callers {
        let token = keys
            .issue(
                &caller.user_id,
                caller.role,
                &caller.district_id,
                caller.school(),
            )
            .map_err(|e| anyhow!("{e:?}"))?;
        writeln!(out, "{token}")?;
    }
    out.flush()?;
    Ok(callers.len())
}
