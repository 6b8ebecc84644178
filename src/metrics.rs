//! Prometheus metrics of the running server: requests by route template, method and status with
//! their latency, the database pool, background jobs, imports, and survey submissions as a total
//! only (nothing per student, class or window, nothing to time one student's answer by).
//!
//! One registry per process (`global`), written from wherever the event happens and rendered
//! by `GET /metrics` in the Prometheus text format 0.0.4 (`prometheus-client`, the Prometheus
//! project's Rust client). The route is off unless `METRICS_ADDR` (a listener of its own) or
//! `METRICS_TOKEN` (a bearer token on the main listener) is set.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Label pairs of one series.
pub type Labels = Vec<(String, String)>;

type Histograms = Family<Labels, Histogram, fn() -> Histogram>;

fn latency() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    request_seconds: Histograms,
    pool_wait_seconds: Histogram,
    pool_connections: Family<Labels, Gauge>,
    pool_max: Gauge,
    job_runs: Family<Labels, Counter>,
    job_failures: Family<Labels, Counter>,
    job_seconds: Histograms,
    imports: Family<Labels, Counter>,
    submissions: Counter,
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("securebase");
        let m = Metrics {
            registry: Registry::default(),
            requests: Family::default(),
            request_seconds: Family::new_with_constructor(latency as fn() -> Histogram),
            pool_wait_seconds: latency(),
            pool_connections: Family::default(),
            pool_max: Gauge::default(),
            job_runs: Family::default(),
            job_failures: Family::default(),
            job_seconds: Family::new_with_constructor(latency as fn() -> Histogram),
            imports: Family::default(),
            submissions: Counter::default(),
        };
        registry.register(
            "http_requests",
            "Requests answered, by route template, method and status",
            m.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route template and method",
            m.request_seconds.clone(),
        );
        registry.register(
            "db_pool_wait_seconds",
            "Time a request waited for a database connection",
            m.pool_wait_seconds.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections open, by state (idle or in_use)",
            m.pool_connections.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "Most database connections the pool opens",
            m.pool_max.clone(),
        );
        registry.register(
            "job_runs",
            "Runs of a background job (survey_job, audit_sealer)",
            m.job_runs.clone(),
        );
        registry.register(
            "job_failures",
            "Runs of a background job that failed",
            m.job_failures.clone(),
        );
        registry.register(
            "job_duration_seconds",
            "Time a run of a background job took",
            m.job_seconds.clone(),
        );
        registry.register(
            "roster_imports",
            "OneRoster imports, by outcome (applied, rejected, dry_run)",
            m.imports.clone(),
        );
        registry.register(
            "survey_submissions_accepted",
            "Survey responses accepted, in total (never per window, school or class)",
            m.submissions.clone(),
        );
        Metrics { registry, ..m }
    }

    /// A request answered: by the route's template (`/api/v1/classes/{id}`, never the path
    /// with its ids), its method and status.
    pub fn request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let status = status.to_string();
        self.requests
            .get_or_create(&labels(&[
                ("route", route),
                ("method", method),
                ("status", &status),
            ]))
            .inc();
        self.request_seconds
            .get_or_create(&labels(&[("route", route), ("method", method)]))
            .observe(took.as_secs_f64());
    }

    pub fn pool_wait(&self, took: Duration) {
        self.pool_wait_seconds.observe(took.as_secs_f64());
    }

    /// The pool as it is now (set when metrics are read).
    pub fn pool(&self, open: u32, idle: u32, max: u32) {
        self.pool_connections
            .get_or_create(&labels(&[("state", "idle")]))
            .set(i64::from(idle));
        self.pool_connections
            .get_or_create(&labels(&[("state", "in_use")]))
            .set(i64::from(open.saturating_sub(idle)));
        self.pool_max.set(i64::from(max));
    }

    pub fn job(&self, job: &str, took: Duration, failed: bool) {
        let job = labels(&[("job", job)]);
        self.job_runs.get_or_create(&job).inc();
        if failed {
            self.job_failures.get_or_create(&job).inc();
        }
        self.job_seconds
            .get_or_create(&job)
            .observe(took.as_secs_f64());
    }

    pub fn import(&self, outcome: &str) {
        self.imports
            .get_or_create(&labels(&[("outcome", outcome)]))
            .inc();
    }

    pub fn submission_accepted(&self) {
        self.submissions.inc();
    }

    /// Every metric in the Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String does not fail.
        let _ = prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// The `Content-Type` of `render`'s text.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;
