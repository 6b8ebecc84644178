//! Liveness and readiness probes for load balancers and orchestrators.

use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

/// The process is up (no dependencies checked).
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// The database answers and its schema is up to date, and the server is not shutting down:
/// ready to serve traffic.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "Database unreachable or not migrated, or the server is shutting down"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(ApiError::Unavailable);
    }
    state
        .db
        .run(|conn| {
            conn.batch_execute("SELECT 1")
                .map_err(|_| ApiError::Unavailable)?;
            match crate::db::has_pending_migrations(conn) {
                Ok(false) => Ok(()),
                _ => {
                    tracing::warn!(
                        "database schema is behind this binary: run `securebase migrate`"
                    );
                    Err(ApiError::Unavailable)
                }
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
    }))
}

/// Marks the app of the metrics listener (`METRICS_ADDR`), where `/metrics` needs no token.
#[derive(Clone, Copy)]
pub struct MetricsListener;

/// Whether the request bears the metrics token (compared by digest, in constant time).
fn bears_metrics_token(req: &HttpRequest, token: Option<&str>) -> bool {
    use sha2::{Digest, Sha256};
    let (Some(token), Some(given)) = (
        token,
        req.headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ")),
    ) else {
        return false;
    };
    Sha256::digest(token.as_bytes()) == Sha256::digest(given.as_bytes())
}

/// Prometheus metrics (text format 0.0.4): requests by route template, method and status with
/// latency histograms, the database pool, background jobs, imports, and accepted survey
/// submissions as a total. Off unless `METRICS_ADDR` (served there without a token) or
/// `METRICS_TOKEN` (served here to requests bearing it) is set; otherwise `404`, as for any
/// unknown route.
#[utoipa::path(
    tag = "health",
    security(("metrics_token" = [])),
    responses(
        (status = 200, description = "The metrics", content_type = "text/plain; version=0.0.4; charset=utf-8", body = String),
        (status = 404, description = "Metrics are off here, or the token is missing or wrong"),
    )
)]
#[get("/metrics")]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let open = req.app_data::<MetricsListener>().is_some();
    if !open && !bears_metrics_token(&req, state.config.metrics_token.as_deref()) {
        return Err(ApiError::NotFound("route"));
    }
    let metrics = crate::metrics::global();
    let (connections, idle, max) = state.db.pool_state();
    metrics.pool(connections, idle, max);
    Ok(HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .body(metrics.render()))
}
