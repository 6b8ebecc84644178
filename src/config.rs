//! Runtime configuration, from environment variables or command-line flags.

use std::time::Duration;

use clap::Args;

/// Stands in for `JWT_SECRET` in demo mode only; `serve` without `--demo` refuses to start without a real one.
pub const DEMO_JWT_SECRET: &str = "securebase-demo-secret-not-for-production-use";

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database URL: `postgres://…` for PostgreSQL, otherwise a SQLite file path (`sqlite://path` or `path`).
    #[arg(long, env = "DATABASE_URL", default_value = "securebase.db")]
    pub database_url: String,

    /// HMAC secret for signing access tokens (at least 32 bytes). Required unless `--demo`.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Address and port to listen on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind_addr: String,

    /// Database connections per process.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 16)]
    pub pool_size: u32,

    /// Seconds a request waits for a database connection before answering 503.
    #[arg(long, env = "DATABASE_TIMEOUT_SECS", default_value_t = 5)]
    pub database_timeout_secs: u64,

    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "ACCESS_TOKEN_TTL_SECS", default_value_t = 900)]
    pub access_token_ttl_secs: u64,

    /// Lifetime of a refresh token, in seconds (default 7 days).
    #[arg(long, env = "REFRESH_TOKEN_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    pub refresh_token_ttl_secs: u64,

    /// Login attempts allowed per client IP per minute (a class behind one school NAT must fit).
    #[arg(long, env = "LOGIN_RATE_PER_IP", default_value_t = 120)]
    pub login_rate_per_ip: u32,

    /// Consecutive failed logins after which an account is locked.
    #[arg(long, env = "LOGIN_LOCKOUT_THRESHOLD", default_value_t = 5)]
    pub lockout_threshold: u32,

    /// How long a locked account stays locked, in seconds.
    #[arg(long, env = "LOGIN_LOCKOUT_SECS", default_value_t = 900)]
    pub lockout_secs: u64,

    /// Take the client IP from `X-Forwarded-For` (only behind a trusted reverse proxy).
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false)]
    pub trust_forwarded_for: bool,

    /// Maximum JSON request body, in bytes.
    #[arg(long, env = "MAX_JSON_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_json_body: usize,

    /// Seconds an idle keep-alive connection stays open. Respondents reading a questionnaire
    /// keep their connection between requests; a reverse proxy usually sets its own.
    #[arg(long, env = "KEEP_ALIVE_SECS", default_value_t = 60)]
    pub keep_alive_secs: u64,

    /// On SIGTERM (or Ctrl-C): seconds the server keeps serving while `/readyz` answers 503, so
    /// a load balancer stops sending it new requests first (e.g. 5 behind Kubernetes).
    #[arg(long, env = "SHUTDOWN_DRAIN_SECS", default_value_t = 0)]
    pub shutdown_drain_secs: u64,

    /// Then: seconds in-flight requests (and a background job's current run) may take to
    /// finish after the server stops accepting connections; what is still running then is cut,
    /// its transaction rolled back.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,

    /// Serve `GET /metrics` (Prometheus) on this address of its own, e.g. `127.0.0.1:9464`,
    /// reachable by the scraper and not by clients. Off by default.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<String>,

    /// Serve `GET /metrics` on the main address too, to requests bearing this token
    /// (`Authorization: Bearer …`; at least 32 characters). Off by default.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Largest OneRoster bundle (zip) accepted for upload, in bytes; larger ones are refused
    /// before they are read.
    #[arg(long, env = "IMPORT_MAX_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub import_max_bytes: u64,

    /// Most bytes a OneRoster bundle may expand to when unzipped (a guard against zip bombs).
    #[arg(long, env = "IMPORT_MAX_UNCOMPRESSED_BYTES", default_value_t = 512 * 1024 * 1024)]
    pub import_max_uncompressed_bytes: u64,

    /// Seconds a client has to send a request's head (line and headers); slower ones are
    /// disconnected, so a stalled client cannot hold a connection slot.
    #[arg(long, env = "REQUEST_HEAD_TIMEOUT_SECS", default_value_t = 10)]
    pub request_head_timeout_secs: u64,

    /// Seconds a client has to send a JSON body (`408` after that).
    #[arg(long, env = "REQUEST_BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub request_body_timeout_secs: u64,

    /// Seconds an upload (a OneRoster bundle) may take to arrive (`408` after that).
    #[arg(long, env = "UPLOAD_TIMEOUT_SECS", default_value_t = 600)]
    pub upload_timeout_secs: u64,

    /// Origins allowed to call the API from a browser (CORS), comma-separated, e.g.
    /// `https://sel.maplevalley.org`. Empty (the default): no cross-origin access.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub cors_allowed_origins: Vec<String>,

    /// Account activation attempts allowed per client IP per minute.
    #[arg(long, env = "ACTIVATION_RATE_PER_IP", default_value_t = 60)]
    pub activation_rate_per_ip: u32,

    /// The key that wraps each survey window's data key (32 random bytes as base64 or hex,
    /// e.g. `openssl rand -base64 32`). Required unless `--demo`; keep it outside the database
    /// and its backups. Losing it makes the responses of windows still open unreadable.
    #[arg(long, env = "SURVEY_SEAL_KEY", hide_env_values = true)]
    pub survey_seal_key: Option<String>,

    /// Earlier seal keys, comma-separated, kept during a rotation until
    /// `securebase surveys rewrap` has wrapped every open window's key under the current one.
    #[arg(
        long,
        env = "SURVEY_SEAL_KEY_PREVIOUS",
        value_delimiter = ',',
        default_value = "",
        hide_env_values = true
    )]
    pub survey_seal_key_previous: Vec<String>,

    /// Days a student's account and placement (school, grade) must have existed before a
    /// window opens to count towards a cell's minimum size (defeats cells stuffed with
    /// accounts made or moved for the purpose; see the README's threat model).
    #[arg(long, env = "SURVEY_SETTLE_DAYS", default_value_t = 30)]
    pub survey_settle_days: u32,

    /// Seconds between two runs of the survey job (fixing the population of windows that
    /// opened, opening the sealed responses of windows that closed).
    #[arg(long, env = "SURVEY_JOB_INTERVAL_SECS", default_value_t = 10)]
    pub survey_job_interval_secs: u64,

    /// Milliseconds between two runs of the audit sealer, which chains the events recorded since
    /// (`securebase audit seal` does it once).
    #[arg(long, env = "AUDIT_SEAL_INTERVAL_MS", default_value_t = 1000)]
    pub audit_seal_interval_ms: u64,

    /// Password checks that may wait for a hashing thread (one per core) before sign-ins are
    /// answered 503 with Retry-After.
    #[arg(long, env = "PASSWORD_HASH_QUEUE", default_value_t = 64)]
    pub password_hash_queue: usize,

    /// The longest a password check waits for a hashing thread before it is answered 503.
    #[arg(long, env = "PASSWORD_HASH_MAX_WAIT_MS", default_value_t = 2000)]
    pub password_hash_max_wait_ms: u64,

    /// The address clients and identity providers reach this server at, e.g.
    /// `https://sel.district.example`: the OpenID Connect callback registered at each provider is
    /// this plus `/api/v1/auth/oidc/callback`. Defaults to `http://BIND_ADDR` when that is a
    /// loopback address; otherwise sign-in with an identity provider needs it set.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Accept identity providers whose issuer is plain `http://` (a provider on this machine in
    /// development or tests). Off by default: issuers must be `https://`.
    #[arg(long, env = "OIDC_ALLOW_HTTP_ISSUERS", default_value_t = false)]
    pub oidc_allow_http_issuers: bool,

    /// Let the server fetch identity-provider documents from loopback, private and link-local
    /// addresses (an on-premises provider inside the district's network). Off by default, so
    /// that a provider's URLs cannot reach internal services.
    #[arg(long, env = "OIDC_ALLOW_PRIVATE_ADDRESSES", default_value_t = false)]
    pub oidc_allow_private_addresses: bool,

    /// Sign-in starts and returns through identity providers per client address per minute.
    #[arg(long, env = "OIDC_RATE_PER_IP", default_value_t = 600)]
    pub oidc_rate_per_ip: u32,

    /// How long a provider's discovery document and signing keys are kept before they are read
    /// again, in seconds. A token signed by a key not yet seen fetches the keys at once.
    #[arg(long, env = "OIDC_METADATA_TTL_SECS", default_value_t = 3600)]
    pub oidc_metadata_ttl_secs: u64,

    /// The fewest seconds between two fetches of a provider's keys prompted by an unknown key
    /// id, so that forged tokens cannot make the server hammer the provider.
    #[arg(long, env = "OIDC_KEY_REFETCH_SECS", default_value_t = 10)]
    pub oidc_key_refetch_secs: u64,

    /// Web pages: minutes of inactivity after which a signed-in browser must sign in again (a
    /// school Chromebook is shared). A session never outlives the refresh-token lifetime.
    #[arg(long, env = "WEB_SESSION_IDLE_MINS", default_value_t = 30)]
    pub web_session_idle_mins: u64,
}

impl Config {
    /// A configuration for tests and embedding, with every default and the given database.
    pub fn for_database(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_owned(),
            jwt_secret: Some(DEMO_JWT_SECRET.to_owned()),
            bind_addr: "127.0.0.1:0".to_owned(),
            pool_size: 8,
            database_timeout_secs: 5,
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 7 * 24 * 3600,
            login_rate_per_ip: 120,
            lockout_threshold: 5,
            lockout_secs: 900,
            trust_forwarded_for: false,
            max_json_body: 64 * 1024,
            keep_alive_secs: 60,
            shutdown_drain_secs: 0,
            shutdown_grace_secs: 30,
            metrics_addr: None,
            metrics_token: None,
            import_max_bytes: 256 * 1024 * 1024,
            import_max_uncompressed_bytes: 512 * 1024 * 1024,
            activation_rate_per_ip: 60,
            request_head_timeout_secs: 10,
            request_body_timeout_secs: 30,
            upload_timeout_secs: 600,
            cors_allowed_origins: Vec::new(),
            survey_seal_key: None,
            survey_seal_key_previous: Vec::new(),
            // Test accounts are made seconds before their windows open; the tests of the
            // settling rule set it themselves.
            survey_settle_days: 0,
            survey_job_interval_secs: 10,
            audit_seal_interval_ms: 1000,
            password_hash_queue: 64,
            password_hash_max_wait_ms: 2000,
            public_url: None,
            oidc_allow_http_issuers: false,
            oidc_allow_private_addresses: false,
            oidc_rate_per_ip: 600,
            oidc_metadata_ttl_secs: 3600,
            oidc_key_refetch_secs: 10,
            web_session_idle_mins: 30,
        }
    }

    /// The survey seal keys; demo mode (and tests) fall back to the public demo key.
    pub fn resolve_seal_keys(&self, demo: bool) -> anyhow::Result<crate::seal::SealKeys> {
        use crate::seal::{SealKey, SealKeys};
        let current = match &self.survey_seal_key {
            Some(k) => SealKey::parse(k).map_err(|e| anyhow::anyhow!("SURVEY_SEAL_KEY: {e}"))?,
            None if demo => return Ok(SealKeys::demo()),
            None => anyhow::bail!(
                "SURVEY_SEAL_KEY is required (32 random bytes, e.g. `openssl rand -base64 32`), \
                 or run `serve --demo` for a local demo"
            ),
        };
        let previous = self
            .survey_seal_key_previous
            .iter()
            .filter(|k| !k.trim().is_empty())
            .map(|k| SealKey::parse(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("SURVEY_SEAL_KEY_PREVIOUS: {e}"))?;
        Ok(SealKeys::new(current, previous))
    }

    /// The base address of this server as clients and identity providers see it, without a
    /// trailing slash: `PUBLIC_URL`, or `http://BIND_ADDR` for a loopback address.
    pub fn public_base_url(&self) -> Option<String> {
        if let Some(url) = &self.public_url {
            return Some(url.trim_end_matches('/').to_owned());
        }
        let addr: std::net::SocketAddr = self.bind_addr.parse().ok()?;
        (addr.ip().is_loopback() && addr.port() != 0).then(|| format!("http://{addr}"))
    }

    pub fn settle_period(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::days(i64::from(self.survey_settle_days))
    }

    pub fn access_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl_secs)
    }

    pub fn web_session_idle(&self) -> Duration {
        Duration::from_secs(self.web_session_idle_mins.max(1) * 60)
    }

    pub fn refresh_ttl(&self) -> Duration {
        Duration::from_secs(self.refresh_token_ttl_secs)
    }

    /// The signing secret; demo mode falls back to a fixed, documented one.
    pub fn resolve_secret(&self, demo: bool) -> anyhow::Result<String> {
        match &self.jwt_secret {
            Some(s) if s.len() >= 32 => Ok(s.clone()),
            Some(_) => anyhow::bail!("JWT_SECRET must be at least 32 bytes"),
            None if demo => Ok(DEMO_JWT_SECRET.to_owned()),
            None => {
                anyhow::bail!("JWT_SECRET is required (or run `serve --demo` for a local demo)")
            }
        }
    }
}
