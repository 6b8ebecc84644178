//! The HTTP application: every route, registered once, for the server, the tests and the OpenAPI document.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use std::time::Duration;

use actix_cors::Cors;
use actix_web::middleware::Condition;
use actix_web::{web, App, Error, HttpMessage};
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;
use crate::extract::{path_error, BodyTimeout, JsonLimit};
use crate::openapi::{ApiDoc, SecurityAndErrors};
use crate::state::AppState;
use crate::{
    audit, auth, health, lessons, mentoring, oneroster, reports, retention, rosters, surveys,
};

fn register(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .configure(auth::routes::routes)
                .configure(auth::activation::routes)
                .configure(rosters::routes)
                .configure(oneroster::routes::routes)
                .configure(lessons::routes)
                .configure(surveys::routes)
                .configure(mentoring::routes)
                .configure(reports::routes)
                .service(audit::routes::list_audit_events)
                .configure(retention::routes),
        );
}

/// The OpenAPI document of every registered route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(register)
        .split_for_parts();
    SecurityAndErrors.modify(&mut doc);
    doc
}

async fn unknown_route() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("route"))
}

/// Headers on every response: no content sniffing, no referrer, no framing; and API answers
/// (tokens, rosters, reports) are never stored by a browser or proxy cache.
fn secure_headers(headers: &mut actix_web::http::header::HeaderMap, is_api: bool) {
    use actix_web::http::header;
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if is_api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// CORS for the configured origins only; None (no cross-origin access) when none is listed.
fn cors(origins: &[String]) -> Option<Cors> {
    let origins: Vec<&str> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .collect();
    if origins.is_empty() {
        return None;
    }
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::ACCEPT,
            actix_web::http::header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers(["x-request-id", "retry-after"])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    Some(cors)
}

pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let json_limit = JsonLimit(state.config.max_json_body);
    let body_timeout = BodyTimeout(Duration::from_secs(state.config.request_body_timeout_secs));
    let cors = cors(&state.config.cors_allowed_origins);
    let (app, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(web::Data::new(state))
        .app_data(json_limit)
        .app_data(body_timeout)
        .app_data(web::PathConfig::default().error_handler(path_error))
        .configure(register)
        .split_for_parts();
    SecurityAndErrors.modify(&mut doc);
    app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc))
        .default_service(web::to(unknown_route))
        .wrap(actix_web::middleware::from_fn(
            crate::auth::caller::authenticate,
        ))
        .wrap_fn(|req, srv| {
            use actix_web::dev::Service;
            let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
            let is_api = req.path().starts_with("/api/");
            let fut = srv.call(req);
            async move {
                let mut res = fut.await?;
                let headers = res.headers_mut();
                if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                    headers.insert(HeaderName::from_static("x-request-id"), id);
                }
                secure_headers(headers, is_api);
                Ok(res)
            }
        })
        .wrap(Condition::new(cors.is_some(), cors.unwrap_or_default()))
        // Logs method, route, status, latency and request id; never bodies.
        .wrap(TracingLogger::default())
}
