//! The HTTP application: every route, registered once, for the server, the tests and the OpenAPI document.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::middleware::Condition;
use actix_web::{web, App, Error, HttpMessage};
use tracing::field::Empty;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder, TracingLogger};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::AuthState;
use crate::config::Config;
use crate::error::ApiError;
use crate::extract::{path_error, BodyTimeout, JsonLimit};
use crate::openapi::{ApiDoc, SecurityAndErrors};
use crate::seal::SealKeys;
use crate::state::AppState;
use crate::surveys::queries::PublishedItems;
use crate::{
    audit, auth, goals, health, lessons, mentoring, oneroster, reports, retention, rosters,
    support, surveys,
};

fn register(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .configure(auth::routes::routes)
                .configure(auth::activation::routes)
                .configure(auth::oidc::routes)
                .configure(rosters::routes)
                .configure(oneroster::routes::routes)
                .configure(lessons::routes)
                .configure(surveys::routes)
                .configure(mentoring::routes)
                .configure(reports::routes)
                .service(audit::routes::list_audit_events)
                .configure(retention::routes)
                .configure(support::routes)
                .configure(goals::routes),
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

/// No such route: a problem document for API clients, a page for browsers.
async fn unknown_route(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    use actix_web::ResponseError;
    if crate::web::is_page(req.path()) {
        crate::web::page::WebError::Api(ApiError::NotFound("page")).error_response()
    } else {
        ApiError::NotFound("route").error_response()
    }
}

/// `/docs` without its slash: a permanent redirect to Swagger UI at `/docs/`.
async fn docs_without_slash() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

/// `/` asked for JSON (not a browser): where to go from here (not part of the API contract).
/// Browsers get the pages' start page (`web::pages::home`).
fn wants_json(req: &actix_web::dev::RequestHead) -> bool {
    req.headers
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

async fn root() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(serde_json::json!({
        "name": "securebase",
        "docs": "/docs/",
        "openapi": "/openapi.json",
        "api": "/api/v1",
        "health": "/healthz",
    }))
}

/// Headers on every response: no content sniffing, no referrer, no framing; API answers
/// (tokens, rosters, reports) and pages (a child's answers in a form) are never stored by a
/// browser or proxy cache (the pages' stylesheet and icon may be); pages get a strict
/// Content-Security-Policy.
fn secure_headers(headers: &mut actix_web::http::header::HeaderMap, is_api: bool, is_page: bool) {
    use actix_web::http::header;
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Pages send their origin with their own forms (the CSRF check reads it; under
    // `no-referrer` a browser sends `Origin: null`), and never a referrer to another site.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(if is_page {
            "same-origin"
        } else {
            "no-referrer"
        }),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if (is_api || is_page) && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if is_page {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(crate::web::CONTENT_SECURITY_POLICY),
        );
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

/// The span every request is logged in: tracing-actix-web's default fields, except that
/// `http.target` names the query parameters without their values (`/api/v1/…?status&limit`).
/// Query strings carry what clients send (search terms, filters); logs name fields, never values.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        let user_agent = request
            .headers()
            .get("User-Agent")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let method = request.method().as_str();
        let flavor = match request.version() {
            actix_web::http::Version::HTTP_09 => "0.9",
            actix_web::http::Version::HTTP_10 => "1.0",
            actix_web::http::Version::HTTP_2 => "2.0",
            actix_web::http::Version::HTTP_3 => "3.0",
            _ => "1.1",
        };
        let connection = request.connection_info();
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let target = target_without_values(request.path(), request.query_string());
        tracing::info_span!(
            "HTTP request",
            http.method = %method,
            http.route = %route,
            http.flavor = %flavor,
            http.scheme = %connection.scheme(),
            http.host = %connection.host(),
            http.client_ip = %connection.realip_remote_addr().unwrap_or(""),
            http.user_agent = %user_agent,
            http.target = %target,
            http.status_code = Empty,
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = Empty,
            trace_id = Empty,
            request_id = %request_id,
            exception.message = Empty,
            exception.details = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: tracing::Span,
        outcome: &Result<ServiceResponse<B>, Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// The path, then the names of the query parameters (still percent-encoded) without values.
fn target_without_values(path: &str, query: &str) -> String {
    let names: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split('=').next().unwrap_or(""))
        .collect();
    if names.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", names.join("&"))
    }
}

/// Everything the application shares between workers, each area's part registered as its own
/// application data: the base `AppState`, authentication's keys and limits, and the published
/// survey items cache.
#[derive(Clone)]
pub struct Services {
    pub state: AppState,
    pub auth: AuthState,
    pub published_items: Arc<PublishedItems>,
}

impl Services {
    pub fn new(config: Config, jwt_secret: &str, seal_keys: SealKeys) -> Services {
        let auth = AuthState::new(&config, jwt_secret);
        Services {
            state: AppState::new(config, seal_keys),
            auth,
            published_items: Arc::default(),
        }
    }
}

pub fn build_app(
    services: Services,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let Services {
        state,
        auth,
        published_items,
    } = services;
    let json_limit = JsonLimit(state.config.max_json_body);
    let body_timeout = BodyTimeout(Duration::from_secs(state.config.request_body_timeout_secs));
    let cors = cors(&state.config.cors_allowed_origins);
    let (app, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(web::Data::new(state))
        .app_data(web::Data::new(auth))
        .app_data(web::Data::from(published_items))
        .app_data(json_limit)
        .app_data(body_timeout)
        .app_data(web::PathConfig::default().error_handler(path_error))
        .configure(register)
        .split_for_parts();
    SecurityAndErrors.modify(&mut doc);
    app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc))
        .route("/docs", web::get().to(docs_without_slash))
        .route(
            "/",
            web::get()
                .guard(actix_web::guard::fn_guard(|ctx| wants_json(ctx.head())))
                .to(root),
        )
        .configure(crate::web::routes)
        .default_service(web::to(unknown_route))
        .wrap(actix_web::middleware::from_fn(crate::auth::authenticate))
        .wrap(actix_web::middleware::from_fn(crate::web::refuse_nul))
        .wrap_fn(|req, srv| {
            use actix_web::dev::Service;
            let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
            let is_api = req.path().starts_with("/api/");
            let is_page = crate::web::is_page(req.path());
            let fut = srv.call(req);
            async move {
                let mut res = fut.await?;
                let headers = res.headers_mut();
                if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                    headers.insert(HeaderName::from_static("x-request-id"), id);
                }
                secure_headers(headers, is_api, is_page);
                Ok(res)
            }
        })
        .wrap(Condition::new(cors.is_some(), cors.unwrap_or_default()))
        .wrap(actix_web::middleware::from_fn(record_metrics))
        // Logs method, route, status, latency and request id; never bodies nor query values.
        .wrap(TracingLogger::<RequestSpan>::new())
}

/// Counts each answered request by its route's template (never the path with its ids), method
/// and status, with its latency.
async fn record_metrics(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = std::time::Instant::now();
    // Only the standard methods name a series: a client inventing methods must not grow them.
    let method: &'static str = match req.method().as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    };
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    crate::metrics::global().request(&route, method, res.status().as_u16(), started.elapsed());
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::target_without_values;

    #[test]
    fn the_logged_target_names_query_parameters_without_values() {
        assert_eq!(target_without_values("/a", ""), "/a");
        assert_eq!(
            target_without_values("/a", "q=SECRET-5517&limit=5&flag"),
            "/a?q&limit&flag"
        );
        assert_eq!(target_without_values("/a", "&&x=1&"), "/a?x");
    }
}
